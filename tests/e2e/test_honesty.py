"""Honest under faults: what a run reports when something goes wrong after it sent its update, or before.

Each case runs the modules through ansible-playbook against the local EKS endpoint, with the fault held by the
endpoint (fault rules, held updates) rather than timed, and checks the result against what EKS really did.
"""

import time

import pytest

from fleets import LATEST_131

reliability = pytest.mark.reliability
BATCH = "fleetops.eks.eks_nodegroup_version_batch"
OLD_RELEASE = "1.31.4-20250203"


def version_update_ids(eks, name, cluster="prod"):
    return [
        update_id
        for update_id in eks.list_updates(name=cluster, nodegroupName=name)["updateIds"]
        if eks.describe_update(name=cluster, nodegroupName=name, updateId=update_id)["update"]["type"] == "VersionUpdate"
    ]


def requests_span(control):
    """Seconds between the first and the last AWS request the endpoint logged."""
    times = [entry["time"] for entry in control.requests()]
    return max(times) - min(times) if times else 0.0


# -- 1. a started update never vanishes from the result ---------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            kind,
            marks=reliability(
                "fault", "update started, then every DescribeUpdate answers %s, wait_timeout 5: fails, changed, with the update id and the request" % kind,
                updates=1,
            ),
        )
        for kind in ("throttle", "access_denied", "server_error")
    ],
)
def test_a_started_update_stays_in_the_result_whatever_ends_the_wait(fleet, ansible, eks, fault):
    fleet.behaviour("prod", "old", hold_updates=True)
    fleet.add_fault(kind=fault, service="eks", operation="DescribeUpdate")
    run = ansible.run(cluster_name="prod", name="old", release_version="latest", wait_timeout=5, wait_delay=1)
    fleet.clear_faults()
    assert run.failed and run.changed, run
    started = version_update_ids(eks, "old")
    assert len(started) == 1
    assert run.result["nodegroup_update"]["id"] == started[0]
    assert run.result["request"]["release_version"] == LATEST_131 and run.result["request"]["client_request_token"]
    assert started[0] in run.msg


@reliability("fault", "DescribeUpdate denied by IAM in a batch: each started update is in its entry, changed", updates=2)
def test_a_batch_reports_every_started_update_when_describe_update_is_denied(fleet, ansible, eks):
    for name in ("old", "general"):
        fleet.behaviour("prod", name, hold_updates=True)
    fleet.add_fault(kind="access_denied", service="eks", operation="DescribeUpdate")
    targets = [
        {"cluster_name": "prod", "name": "old", "release_version": "latest"},
        {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"},
    ]
    run = ansible.run(module=BATCH, nodegroups=targets, wait_timeout=10, wait_delay=1)
    fleet.clear_faults()
    assert run.failed and run.changed, run
    for entry in run.result["nodegroups"]:
        assert entry["changed"] is True and entry["status"] == "failed", entry
        assert entry["nodegroup_update"]["id"] == version_update_ids(eks, entry["name"])[0]
        assert entry["request"]["client_request_token"]
        assert "AccessDeniedException" in entry["msg"]


@reliability("fault", "UpdateNodegroupVersion's answer lost on every try: changed, the request and its token; the re-run attaches", updates=1)
def test_a_start_whose_answer_never_arrives_is_reported_as_sent_and_the_rerun_attaches(fleet, ansible, eks):
    fleet.behaviour("prod", "old", hold_updates=True)
    fleet.add_fault(kind="lose_response", service="eks", operation="UpdateNodegroupVersion")
    run = ansible.run(cluster_name="prod", name="old", release_version="latest", wait_timeout=5, wait_delay=1)
    assert run.failed and run.changed, run
    assert run.result["request"]["client_request_token"] in run.msg and "answer was lost" in run.msg
    fleet.clear_faults()
    again = ansible.run(cluster_name="prod", name="old", release_version="latest", wait=False)
    assert not again.failed and not again.changed, again
    assert again.result["nodegroup_update"]["id"] == version_update_ids(eks, "old")[0]


# -- 2. a reused token is not a success -------------------------------------------------------------------


@reliability("behaviour", "client_request_token reused for another target: refused as not this task's update, node group left", updates=1)
def test_a_reused_token_handing_back_another_update_is_a_failure(fleet, ansible, eks):
    first = ansible.run(cluster_name="prod", name="old", release_version=OLD_RELEASE, client_request_token="t", wait_delay=1)
    assert not first.failed and first.changed, first
    second = ansible.run(cluster_name="prod", name="old", release_version="latest", client_request_token="t", wait_delay=1)
    assert second.failed, second
    assert "client_request_token t was used before for another request" in second.msg
    assert eks.describe_nodegroup(clusterName="prod", nodegroupName="old")["nodegroup"]["releaseVersion"] == OLD_RELEASE
    assert len(version_update_ids(eks, "old")) == 1


# -- 3. wait_timeout bounds the task ----------------------------------------------------------------------


@reliability("fault", "endpoint accepts connections and never answers, wait_timeout 10: ends within the bound", updates=0)
def test_a_hung_endpoint_ends_the_task_within_wait_timeout(fleet, ansible):
    fleet.add_fault(kind="hang", service="eks")
    began = time.monotonic()
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_timeout=10)
    elapsed = time.monotonic() - began
    fleet.clear_faults()
    assert run.failed and not run.changed, run
    assert "Timed out after 10s" in run.msg and "DescribeNodegroup" in run.msg
    # botocore alone took 188 s here (60 s read timeout, four attempts); the bound is the timeout plus start-up.
    assert elapsed < 10 + 30, elapsed
    assert requests_span(fleet) <= 10 + 1


@reliability("fault", "every DescribeUpdate throttled, wait_timeout 5: ends within the bound with the update", updates=1)
def test_endless_throttling_ends_the_task_within_wait_timeout(fleet, ansible, eks):
    fleet.behaviour("prod", "old", hold_updates=True)
    fleet.add_fault(kind="throttle", service="eks", operation="DescribeUpdate")
    run = ansible.run(cluster_name="prod", name="old", release_version="latest", wait_timeout=5, wait_delay=30)
    span = requests_span(fleet)
    fleet.clear_faults()
    assert run.failed and run.changed, run
    assert run.result["nodegroup_update"]["id"] == version_update_ids(eks, "old")[0]
    # The last poll falls on the deadline and is the one call allowed after it (one short attempt).
    assert span <= 5 + 1, span


# -- 4 and 5. odd input is refused before any call --------------------------------------------------------


ODD_INPUT = [
    ("newline", {"kubernetes_version": "1.31\n"}, "kubernetes_version"),
    ("leading-zero", {"kubernetes_version": "01.31"}, "kubernetes_version"),
    ("padded-minor", {"kubernetes_version": "1.031"}, "kubernetes_version"),
    ("full-width", {"kubernetes_version": "\uff11.\uff13\uff11"}, "kubernetes_version"),
    ("release-newline", {"release_version": LATEST_131 + "\n"}, "release_version"),
    ("400-digits", {"wait_timeout": int("9" * 400)}, "wait_timeout"),
    ("absurd", {"wait_timeout": 1000000000000}, "wait_timeout"),
    ("empty-name", {"name": ""}, "name"),
]


@pytest.mark.parametrize(
    "options, option",
    [
        pytest.param(options, option, id=case,
                     marks=reliability("bad input", "odd input (%s), check mode and real: refused naming %s; no call changes anything" % (case, option)))
        for case, options, option in ODD_INPUT
    ],
)
def test_odd_input_is_refused_before_any_call(fleet, ansible, options, option):
    given = dict({"cluster_name": "prod", "name": "old"}, **options)
    for check in (True, False):
        run = ansible.run(check=check, **given)
        assert run.failed and not run.changed, run
        assert option in run.msg and "Traceback" not in run.output, run
    assert fleet.count("UpdateNodegroupVersion") == 0


# -- 8. already at the target whatever the status ---------------------------------------------------------


@reliability("behaviour", "DEGRADED node group already at the target: ok; a DEGRADED one behind: refused naming its status")
def test_a_degraded_node_group_already_at_the_target_is_ok(fleet, ansible, endpoint):
    from localeks.eks.models import localeks_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = localeks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    with backend.lock:
        for name in ("current", "old"):
            backend.describe_nodegroup("prod", name).status = "DEGRADED"
    run = ansible.run(cluster_name="prod", name="current", release_version="latest")
    assert not run.failed and not run.changed, run
    refused = ansible.run(cluster_name="prod", name="old", release_version="latest")
    assert refused.failed and not refused.changed, refused
    assert "degraded" in refused.msg
    assert fleet.count("UpdateNodegroupVersion") == 0
