"""eks_nodegroup_version end to end: ansible-playbook against the local EKS endpoint.

Every test asserts on the task's result and on the endpoint's request log.
Releases come from the endpoint's catalogue: for AL2023 on 1.30 the oldest is
1.30.4-20241024 and the latest 1.30.11-20250403; on 1.31, 1.31.0-20241024 and
1.31.7-20250403.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from fleets import LATEST_131


def writes(control):
    return control.count("UpdateNodegroupVersion")


def calls(control):
    return [(entry["service"], entry["operation"]) for entry in control.requests()]


def update_ids(eks, name, cluster="prod"):
    return eks.list_updates(name=cluster, nodegroupName=name)["updateIds"]


def in_background(call, **kwargs):
    """Start ``call(**kwargs)`` in a thread; the future's ``result()`` is what it returned."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call, **kwargs)
    pool.shutdown(wait=False)
    return future


def finish_when_polled(control, running, after_seq, name="general", cluster="prod"):
    """Once the background run has polled the node group's held update (after request ``after_seq``), end it Successful.

    Returns the run's result.
    """
    control.wait_for_request("DescribeUpdate", cluster=cluster, nodegroup=name, after_seq=after_seq, timeout=300, give_up=running.done)
    update = control.update_in_progress(cluster, name)
    if update is not None:
        control.finish_update(cluster, update["id"])
    return running.result(timeout=300)


# -- upgrades and idempotence --------------------------------------------------------------------


@pytest.mark.reliability('behaviour', 'upgrade waits to Successful; a re-run is changed=false with 1 EKS read', updates=1)
def test_kubernetes_version_upgrade_waits_for_success_and_reruns_as_noop(fleet, ansible, eks):
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert not run.failed, run
    assert run.changed
    assert run.result["nodegroup_update"]["status"] == "Successful"
    assert run.result["nodegroup_update"]["type"] == "VersionUpdate"
    assert run.result["nodegroup"]["version"] == "1.31"
    assert run.result["nodegroup"]["release_version"] == LATEST_131
    assert run.result["nodegroup"]["status"] == "ACTIVE"
    assert run.result["request"]["version"] == "1.31"
    assert writes(fleet) == 1
    assert fleet.count("DescribeUpdate") >= 1
    assert len(update_ids(eks, "general")) == 1

    fleet.clear_requests()
    again = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert not again.failed and not again.changed, again
    assert again.result["nodegroup_update"] is None and again.result["request"] is None
    assert calls(fleet) == [("eks", "DescribeNodegroup")]


@pytest.mark.reliability('behaviour', 'check mode sends nothing and predicts the exact request (token included) a real run sends', updates=1)
def test_check_mode_predicts_the_exact_request_and_sends_nothing(fleet, ansible, eks):
    preview = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", check=True, diff=True)
    assert not preview.failed and preview.changed, preview
    assert writes(fleet) == 0
    assert preview.result["nodegroup_update"] is None
    assert preview.result["diff"]["before"] == {"version": "1.30", "release_version": "1.30.4-20241024", "launch_template_version": None}
    assert preview.result["diff"]["after"] == {"version": "1.31", "release_version": LATEST_131, "launch_template_version": None}
    assert "Would update" in preview.msg
    assert eks.describe_nodegroup(clusterName="prod", nodegroupName="general")["nodegroup"]["version"] == "1.30"

    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", diff=True, wait_delay=1)
    assert not run.failed, run
    # what check mode said would be sent, token included, is what was sent
    assert run.result["request"] == preview.result["request"]
    assert run.result["diff"]["after"] == preview.result["diff"]["after"]
    assert writes(fleet) == 1


@pytest.mark.parametrize("args", [{"release_version": "latest"}, {}], ids=["latest", "no-target-options"])
def test_latest_release_is_resolved_from_ssm_and_idempotent(fleet, ansible, args):
    run = ansible.run(cluster_name="prod", name="old", wait_delay=1, **args)
    assert not run.failed and run.changed, run
    assert run.result["request"]["release_version"] == LATEST_131
    assert run.result["nodegroup"]["release_version"] == LATEST_131
    assert writes(fleet) == 1

    fleet.clear_requests()
    again = ansible.run(cluster_name="prod", name="old", wait_delay=1, **args)
    assert not again.failed and not again.changed, again
    assert calls(fleet) == [("eks", "DescribeNodegroup"), ("ssm", "GetParameter")]


def test_ssm_reporting_an_older_release_is_a_noop(fleet, ansible):
    run = ansible.run(cluster_name="prod", name="ahead", release_version="latest")
    assert not run.failed and not run.changed, run
    assert "older: nothing to roll back" in run.msg
    assert writes(fleet) == 0


def test_exact_release_upgrade_then_noop(fleet, ansible):
    run = ansible.run(cluster_name="prod", name="old", release_version="1.31.4-20250203", wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup"]["release_version"] == "1.31.4-20250203"
    again = ansible.run(cluster_name="prod", name="old", release_version="1.31.4-20250203")
    assert not again.failed and not again.changed, again
    assert writes(fleet) == 1


def test_launch_template_versions_are_resolved_before_comparing(fleet, ansible):
    default = ansible.run(cluster_name="prod", name="web", launch_template={"version": "$Default"}, wait_delay=1)
    assert not default.failed and default.changed, default
    assert default.result["nodegroup"]["launch_template"]["version"] == "2"
    assert default.result["request"]["launch_template"]["version"] == "2"

    latest = ansible.run(cluster_name="prod", name="web", launch_template={"name": "web-nodes", "version": "$Latest"}, wait_delay=1)
    assert not latest.failed and latest.changed, latest
    assert latest.result["nodegroup"]["launch_template"]["version"] == "3"
    # only the template moved
    assert latest.result["nodegroup"]["release_version"] == LATEST_131
    assert writes(fleet) == 2

    fleet.clear_requests()
    again = ansible.run(cluster_name="prod", name="web", launch_template={"version": "$Latest"})
    assert not again.failed and not again.changed, again
    assert calls(fleet) == [("eks", "DescribeNodegroup"), ("ec2", "DescribeLaunchTemplateVersions")]

    fleet.clear_requests()
    numbered = ansible.run(cluster_name="prod", name="web", launch_template={"version": 3})
    assert not numbered.failed and not numbered.changed, numbered
    assert calls(fleet) == [("eks", "DescribeNodegroup")]


def test_custom_ami_nodegroup_rolls_out_a_template_version(fleet, ansible):
    preview = ansible.run(cluster_name="prod", name="custom", launch_template={"version": "$Latest"}, check=True, diff=True)
    assert not preview.failed and preview.changed, preview
    # a custom AMI's release is the AMI id the template version names
    assert preview.result["diff"]["after"] == {"version": "1.31", "release_version": "ami-0c0ffee0000000002", "launch_template_version": "2"}
    assert "version" not in preview.result["request"]  # EKS refuses a version for custom AMIs

    run = ansible.run(cluster_name="prod", name="custom", launch_template={"version": "$Latest"}, diff=True, wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup"]["ami_type"] == "CUSTOM"
    assert run.result["diff"]["after"] == preview.result["diff"]["after"]
    assert run.result["nodegroup"]["release_version"] == "ami-0c0ffee0000000002"


@pytest.mark.reliability('fault', 'runs while an update to the same target is in flight attach to it; never a second update', updates=1)
def test_wait_false_starts_and_reruns_attach_to_the_same_update(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    started = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait=False)
    assert not started.failed and started.changed, started
    assert started.result["nodegroup_update"]["status"] == "InProgress"
    update_id = started.result["nodegroup_update"]["id"]

    attached = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait=False)
    assert not attached.failed and not attached.changed, attached
    assert attached.result["nodegroup_update"]["id"] == update_id
    assert "already in progress" in attached.msg

    mark = fleet.last_seq()
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    followed = finish_when_polled(fleet, running, mark)
    assert not followed.failed and followed.changed, followed
    assert followed.result["nodegroup_update"]["id"] == update_id
    assert followed.result["nodegroup_update"]["status"] == "Successful"
    assert writes(fleet) == 1
    assert update_ids(eks, "general") == [update_id]


@pytest.mark.reliability('fault', 'wait times out: fails with update id and status; a re-run resumes the same update', updates=1)
def test_timeout_reports_the_update_and_a_rerun_resumes_it(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    first = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_timeout=2, wait_delay=1)
    assert first.failed, first
    update_id = first.result["nodegroup_update"]["id"]
    assert update_id in first.msg and "InProgress" in first.msg and "run the task again" in first.msg
    assert first.result["nodegroup_update"]["status"] == "InProgress"

    mark = fleet.last_seq()
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_timeout=60, wait_delay=1)
    resumed = finish_when_polled(fleet, running, mark)
    assert not resumed.failed and resumed.changed, resumed
    assert resumed.result["nodegroup_update"]["id"] == update_id
    assert resumed.result["nodegroup"]["version"] == "1.31"
    assert writes(fleet) == 1
    assert update_ids(eks, "general") == [update_id]


@pytest.mark.reliability('fault', 'config update in flight: wait=false fails naming it; wait=true waits, then updates', updates=1)
def test_another_update_in_flight_fails_without_wait_and_is_waited_for_with_it(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    config = eks.update_nodegroup_config(clusterName="prod", nodegroupName="general", scalingConfig={"desiredSize": 3})["update"]
    assert config["status"] == "InProgress"

    refused = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait=False)
    assert refused.failed, refused
    assert config["id"] in refused.msg and "ConfigUpdate" in refused.msg and "wait: true" in refused.msg
    assert writes(fleet) == 0

    fleet.behaviour("prod", "general", hold_updates=False)
    mark = fleet.last_seq()
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    run = finish_when_polled(fleet, running, mark)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup_update"]["id"] != config["id"]
    assert run.result["nodegroup"]["version"] == "1.31"
    assert writes(fleet) == 1


# -- failed and cancelled updates ------------------------------------------------------------------------


@pytest.mark.reliability('fault', 'PodEvictionFailure: fails with code, message, nodes; a forced re-run starts a new update', updates=2)
def test_failed_update_reports_every_error_and_a_rerun_starts_a_new_update(fleet, ansible, eks):
    nodes = ["ip-10-0-1-17.ec2.internal", "ip-10-0-2-33.ec2.internal"]
    message = "Reached max retries while trying to evict pods from nodes in node group general"
    fleet.behaviour("prod", "general",
                    fail_next_update={"error_code": "PodEvictionFailure", "error_message": message, "resource_ids": nodes, "unless_force": True})
    failed = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert failed.failed and failed.changed, failed
    assert "Failed" in failed.msg and "PodEvictionFailure" in failed.msg and message in failed.msg
    assert all(node in failed.msg for node in nodes)
    assert failed.result["nodegroup_update"]["status"] == "Failed"
    assert failed.result["nodegroup_update"]["errors"] == [{"error_code": "PodEvictionFailure", "error_message": message, "resource_ids": nodes}]
    assert failed.result["nodegroup"]["version"] == "1.30"

    # the same request after a failure is a new update (the token follows the node group's state)
    retried = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", force=True, wait_delay=1)
    assert not retried.failed and retried.changed, retried
    assert retried.result["request"]["force"] is True
    assert retried.result["nodegroup_update"]["id"] != failed.result["nodegroup_update"]["id"]
    assert writes(fleet) == 2
    assert len(update_ids(eks, "general")) == 2


@pytest.mark.reliability('fault', 'force=true: the PDB eviction failure does not happen; success', updates=1)
def test_force_prevents_a_pod_eviction_failure(fleet, ansible):
    fleet.behaviour("prod", "general", fail_next_update={"error_code": "PodEvictionFailure", "unless_force": True})
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", force=True, wait_delay=1)
    assert not run.failed and run.changed, run


@pytest.mark.reliability('fault', 'cancelled update: the task fails saying Cancelled', updates=1)
def test_cancelled_update_fails_the_task(fleet, ansible):
    fleet.behaviour("prod", "general", cancel_next_update=True)
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert run.failed, run
    assert "Cancelled" in run.msg
    assert run.result["nodegroup_update"]["status"] == "Cancelled"


# -- refusals before any change --------------------------------------------------------------------------------

REFUSALS = [
    ("rollback-version", {"name": "current", "kubernetes_version": "1.30"}, "kubernetes_version 1.30 is older than"),
    ("rollback-release", {"name": "current", "release_version": "1.31.4-20250203"}, "release_version 1.31.4-20250203 is older than"),
    ("above-cluster", {"cluster_name": "edge", "name": "small", "kubernetes_version": "1.31"}, "newer than cluster edge's version 1.30"),
    ("release-of-another-minor", {"name": "general", "release_version": "1.31.4-20250203"}, "belongs to Kubernetes 1.31"),
    ("release-not-a-release", {"name": "general", "release_version": "1.31"}, "neither 'latest' nor an EKS AMI release version"),
    ("malformed-version", {"name": "general", "kubernetes_version": "v1.31"}, "is not a Kubernetes minor version"),
    ("unquoted-version", {"name": "general", "kubernetes_version": 1.3}, "Quote the value"),
    ("template-name-and-id", {"name": "web", "launch_template": {"name": "web-nodes", "id": "lt-1", "version": 2}}, "mutually exclusive"),
    ("template-version-malformed", {"name": "web", "launch_template": {"version": "newest"}}, "is not a launch template version"),
    ("template-version-missing", {"name": "web", "launch_template": {"version": 99}}, "launch_template.version 99 cannot be used"),
    ("foreign-template", {"name": "web", "launch_template": {"name": "other-nodes", "version": 1}}, "cannot be replaced"),
    ("template-without-one", {"name": "general", "launch_template": {"version": "$Latest"}}, "created without a launch template"),
    ("version-on-custom-ami", {"name": "custom", "kubernetes_version": "1.31"}, "custom AMI"),
    ("release-on-custom-ami", {"name": "custom", "release_version": "latest"}, "custom AMI"),
    ("nothing-on-custom-ami", {"name": "custom"}, "no latest EKS release"),
    ("latest-unknown-on-windows", {"name": "windows"}, "AWS publishes only AMI ids"),
    ("unknown-cluster", {"cluster_name": "nope", "name": "general"}, "No cluster found for name: nope"),
    ("unknown-nodegroup", {"name": "nope"}, "No node group found for name: nope"),
    ("zero-timeout", {"name": "general", "kubernetes_version": "1.31", "wait_timeout": 0}, "wait_timeout is 0; give a whole number of seconds from 1"),
    ("negative-delay", {"name": "general", "kubernetes_version": "1.31", "wait_delay": -1}, "wait_delay is -1; give a whole number of seconds from 1"),
]


@pytest.mark.parametrize(
    "args, expected",
    [pytest.param(args, expected, id=case, marks=pytest.mark.reliability("bad input", 'refused: "%s"; 0 mutating calls' % expected))
     for case, args, expected in REFUSALS],
)
def test_refusals_name_the_problem_and_change_nothing(fleet, ansible, args, expected):
    args = dict({"cluster_name": "prod"}, **args)
    run = ansible.run(**args)
    assert run.failed and not run.changed, run
    assert expected in run.msg, run.msg
    assert writes(fleet) == 0
    assert not [entry for entry in fleet.requests() if not entry["operation"].startswith(("Describe", "Get", "List"))]


# -- transient faults -------------------------------------------------------------------------------------------


@pytest.mark.reliability('fault', 'throttling on read and start, 500 during the wait: retried; one update', updates=1)
def test_throttling_and_server_errors_are_retried_and_start_one_update(fleet, ansible, eks):
    fleet.add_fault(kind="throttle", service="eks", operation="DescribeNodegroup", count=2)
    fleet.add_fault(kind="throttle", service="eks", operation="UpdateNodegroupVersion", count=3)
    fleet.add_fault(kind="server_error", service="eks", operation="DescribeUpdate", count=2)
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup_update"]["status"] == "Successful"
    assert len(update_ids(eks, "general")) == 1
    assert sum(1 for entry in fleet.requests() if entry.get("fault")) == 7


@pytest.mark.reliability('fault', 'lost response to UpdateNodegroupVersion: botocore retries with the same token; one update', updates=1)
def test_lost_response_to_the_update_call_yields_one_update(fleet, ansible, eks):
    fleet.add_fault(kind="lose_response", service="eks", operation="UpdateNodegroupVersion", count=1)
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert not run.failed and run.changed, run
    assert writes(fleet) == 2  # the lost call and botocore's retry, with the same token
    assert update_ids(eks, "general") == [run.result["nodegroup_update"]["id"]]


def test_check_mode_with_another_update_in_flight_says_it_would_wait(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    config = eks.update_nodegroup_config(clusterName="prod", nodegroupName="general", scalingConfig={"desiredSize": 3})["update"]
    preview = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", check=True)
    assert not preview.failed and preview.changed, preview
    assert "Would wait for update ConfigUpdate %s" % config["id"] in preview.msg
    assert preview.result["nodegroup_update"] is None
    assert preview.result["request"]["version"] == "1.31"
    assert writes(fleet) == 0
