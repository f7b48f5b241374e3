"""The reliability matrix's own cases: faults an operator meets, concurrency and secrets.

Each case runs the module through ansible-playbook against the local EKS endpoint and
declares how many version updates it must start; the harness counts them afterwards.
The rest of the matrix (refusals, failed and cancelled updates, resume, throttling at
start, a lost response retried by botocore) is marked in test_module.py.
"""

import json
import threading
import time

import pytest

from conftest import CREDENTIALS

reliability = pytest.mark.reliability


def in_background(call, **kwargs):
    """Run ``call(**kwargs)`` in a thread; ``.join()`` returns its result, ``.done()`` says whether it ended."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", call(**kwargs)))
    thread.start()

    class Handle:
        @staticmethod
        def join(timeout=120):
            thread.join(timeout)
            assert not thread.is_alive(), "the background run did not end"
            return box["result"]

        @staticmethod
        def done():
            return not thread.is_alive()

    return Handle()


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def first_update_id(eks, name="general"):
    return wait_for(lambda: (eks.list_updates(name="prod", nodegroupName=name)["updateIds"] or [None])[0], what="an update to start")


def writes(control):
    return control.count("UpdateNodegroupVersion")


# -- the endpoint and the credentials ---------------------------------------------------------------------


@reliability("fault", "endpoint unreachable: the task fails naming the node group and the connection error; nothing started")
def test_unreachable_endpoint(fleet, ansible):
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", defaults={"endpoint_url": "http://127.0.0.1:9"})
    assert run.failed and not run.changed, run
    assert "node group general in cluster prod" in run.msg
    assert "Could not connect to the endpoint URL" in run.msg


@reliability("fault", "no credentials anywhere: the task fails saying so; no call is made")
def test_missing_credentials(fleet, ansible, tmp_path):
    nowhere = str(tmp_path / "absent")
    run = ansible.run(
        cluster_name="prod",
        name="general",
        kubernetes_version="1.31",
        env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_CONFIG_FILE": nowhere},
    )
    assert run.failed and not run.changed, run
    assert "credentials" in run.msg.lower()
    assert fleet.requests() == []


# -- transient faults ---------------------------------------------------------------------------------------


@reliability("fault", "throttling bursts longer than botocore's own retries, during the wait: retried with backoff; success", updates=1)
def test_throttling_burst_during_the_wait(fleet, ansible):
    fleet.add_fault(kind="throttle", service="eks", operation="DescribeUpdate", count=7)
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup_update"]["status"] == "Successful"


@reliability("fault", "throttling bursts on SSM and on the update call itself: retried; the latest release reached", updates=1)
def test_throttling_burst_at_the_start(fleet, ansible):
    fleet.add_fault(kind="throttle", service="ssm", operation="GetParameter", count=6)
    fleet.add_fault(kind="throttle", service="eks", operation="UpdateNodegroupVersion", count=6)
    run = ansible.run(cluster_name="prod", name="old", release_version="latest", wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup"]["release_version"] == "1.31.7-20250403"


@reliability("fault", "503 ServiceUnavailable on reads and EC2 RequestLimitExceeded: retried; success", updates=1)
def test_service_unavailable_and_ec2_throttling(fleet, ansible):
    fleet.add_fault(kind="server_error", service="eks", operation="DescribeNodegroup", status=503, count=3)
    fleet.add_fault(kind="throttle", service="ec2", operation="DescribeLaunchTemplateVersions", count=3)
    run = ansible.run(cluster_name="prod", name="web", launch_template={"version": "$Latest"}, wait_delay=1)
    assert not run.failed and run.changed, run
    assert run.result["nodegroup"]["launch_template"]["version"] == "3"


@reliability(
    "fault",
    "every response to UpdateNodegroupVersion lost until wait_timeout: fails, changed, with the request and its token; a re-run attaches",
    updates=1,
)
def test_lost_responses_then_a_rerun_attaches(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    fleet.add_fault(kind="lose_response", service="eks", operation="UpdateNodegroupVersion")
    lost = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1, wait_timeout=5)
    assert lost.failed and lost.changed, lost
    assert "answer was lost" in lost.msg and lost.result["request"]["client_request_token"] in lost.msg
    attempts = writes(fleet)
    assert attempts > 1  # tried again, with the same token each time

    fleet.clear_faults()
    fleet.behaviour("prod", "general", hold_updates=False)
    update_id = first_update_id(eks)
    mark = fleet.last_seq()
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    fleet.wait_for_request("DescribeUpdate", nodegroup="general", after_seq=mark, timeout=300, give_up=running.done)
    fleet.finish_update("prod", update_id)
    rerun = running.join(300)
    assert not rerun.failed and rerun.changed, rerun
    assert rerun.result["nodegroup_update"]["id"] == update_id
    assert writes(fleet) == attempts  # the re-run sent no update call


# -- updates that end badly -------------------------------------------------------------------------------------


@reliability("fault", "NodeCreationFailure with several errors: the task fails listing every code, message and resource id", updates=1)
def test_failed_update_with_several_errors(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    update_id = first_update_id(eks)
    errors = [
        {"errorCode": "NodeCreationFailure", "errorMessage": "Instances failed to join the kubernetes cluster", "resourceIds": ["i-0aaa1111", "i-0bbb2222"]},
        {"errorCode": "AccessDenied", "errorMessage": "The node role is missing AmazonEKSWorkerNodePolicy", "resourceIds": ["eks-nodes-prod"]},
    ]
    fleet.finish_update("prod", update_id, status="Failed", errors=errors)
    run = running.join()
    assert run.failed, run
    for error in errors:
        assert error["errorCode"] in run.msg and error["errorMessage"] in run.msg
        assert all(resource in run.msg for resource in error["resourceIds"])
    assert [error["error_code"] for error in run.result["nodegroup_update"]["errors"]] == ["NodeCreationFailure", "AccessDenied"]
    assert run.result["nodegroup_update"]["id"] == update_id


@reliability("fault", "node group deleted during the wait: the task fails saying it no longer exists", updates=None)
def test_nodegroup_deleted_during_the_wait(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    running = in_background(ansible.run, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    first_update_id(eks)
    wait_for(lambda: fleet.count("DescribeUpdate"), what="the module to poll")
    eks.delete_nodegroup(clusterName="prod", nodegroupName="general")
    run = running.join()
    assert run.failed, run
    assert "no longer exists" in run.msg and "deleted" in run.msg
    assert writes(fleet) == 1


@reliability("fault", "another update outlasts wait_timeout: the task fails naming it; nothing started")
def test_timeout_waiting_for_another_update(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    config = eks.update_nodegroup_config(clusterName="prod", nodegroupName="general", scalingConfig={"desiredSize": 4})["update"]
    run = ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_timeout=3, wait_delay=1)
    assert run.failed, run
    assert "Timed out" in run.msg and config["id"] in run.msg and "ConfigUpdate" in run.msg


# -- concurrency ----------------------------------------------------------------------------------------------------

CONCURRENT_RUNS = 6


@reliability("concurrency", "%d hosts (forks) upgrade one node group at once: exactly one update; every run succeeds" % CONCURRENT_RUNS, updates=1)
def test_simultaneous_runs_start_one_update(fleet, ansible, observe):
    fleet.behaviour("prod", "general", update_duration=3)
    hosts = ["runner%d" % number for number in range(CONCURRENT_RUNS)]
    out = str(ansible.workdir) + "/concurrent-{{ inventory_hostname }}.json"
    task = {
        "name": "upgrade the same node group from every host",
        "fleetops.eks.eks_nodegroup_version": {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31", "wait_delay": 1},
        "register": "result",
        "ignore_errors": True,
    }
    save = {"name": "save", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out}}
    output, rc = ansible.run_playbook(ansible.playbook([task, save], hosts="all"), inventory=",".join(hosts) + ",", forks=CONCURRENT_RUNS)
    results = []
    for host in hosts:
        with open(out.replace("{{ inventory_hostname }}", host)) as handle:
            results.append(json.load(handle))
    assert not [result for result in results if result.get("failed")], output
    update_ids = set(result["nodegroup_update"]["id"] for result in results if result.get("nodegroup_update"))
    assert len(update_ids) == 1, update_ids
    assert all(result["nodegroup"]["version"] == "1.31" for result in results)
    observe(
        "%d runs: %d changed, %d found nothing left to do, 0 failed; one update id"
        % (len(results), sum(1 for result in results if result["changed"]), sum(1 for result in results if not result["changed"]))
    )


# -- secrets ----------------------------------------------------------------------------------------------------------

SECRET_KEY = "wJalrXUtnFEMI-fleetops-secret-Q7x9"
SESSION_TOKEN = "FwoGZXIvYXdzEfleetopsSessionTokenZ3k8"


@reliability("security", "secret key and session token (env and options) never in results or -vvv output, on success and failure", updates=1)
def test_secrets_are_never_printed(fleet, ansible, observe):
    secrets = {"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION_TOKEN}
    options = {"secret_key": SECRET_KEY, "session_token": SESSION_TOKEN, "access_key": CREDENTIALS["AWS_ACCESS_KEY_ID"]}
    runs = [
        ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1, env=secrets, verbosity=3, **options),
        ansible.run(cluster_name="prod", name="current", kubernetes_version="1.30", env=secrets, verbosity=3, **options),
        ansible.run(cluster_name="prod", name="general", kubernetes_version="1.31", env=secrets, verbosity=3,
                    defaults={"endpoint_url": "http://127.0.0.1:9"}, **options),
    ]
    assert [run.failed for run in runs] == [False, True, True], runs
    for run in runs:
        for secret in (SECRET_KEY, SESSION_TOKEN):
            assert secret not in run.output
            assert secret not in json.dumps(run.result)
    observe("success, refusal and connection error at -vvv: 0 occurrences of either secret in %d lines of output"
            % sum(len(run.output.splitlines()) for run in runs))
