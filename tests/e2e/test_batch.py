"""eks_nodegroup_version_batch end to end: many node groups in one ansible-playbook task.

Runs on the same fleet as test_module.py (tests/e2e/fleets.py) and asserts on each
node group's result, on the endpoint's request log and on what EKS really did.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from fleets import LATEST_131

BATCH = "fleetops.eks.eks_nodegroup_version_batch"

# Four node groups of cluster prod: three with something to do, one already current.
TARGETS = [
    {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"},
    {"cluster_name": "prod", "name": "old", "release_version": "latest"},
    {"cluster_name": "prod", "name": "web", "launch_template": {"version": "$Latest"}},
    {"cluster_name": "prod", "name": "current", "release_version": "latest"},
]


def operations(control, service="eks"):
    return [entry["operation"] for entry in control.requests() if entry["service"] == service]


def by_name(run):
    return dict((entry["name"], entry) for entry in run.result["nodegroups"])


def in_background(call, **kwargs):
    """Start ``call(**kwargs)`` in a thread; the future's ``result()`` is what it returned."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call, **kwargs)
    pool.shutdown(wait=False)
    return future


def polled(control, running, name, after_seq, cluster="prod"):
    """The DescribeUpdate of node group ``name`` the background run sent after request ``after_seq`` (None if it ended first)."""
    return control.wait_for_request("DescribeUpdate", cluster=cluster, nodegroup=name, after_seq=after_seq, timeout=300, give_up=running.done)


def finish_when_polled(control, running, names, after_seq, cluster="prod"):
    """Once the background run has polled the held update of each of ``names`` (since ``after_seq``), end them Successful.

    Returns the run's result.
    """
    for name in names:
        polled(control, running, name, after_seq, cluster)
    for name in names:
        update = control.update_in_progress(cluster, name)
        if update is not None:
            control.finish_update(cluster, update["id"])
    return running.result(timeout=300)


def version_updates(eks, cluster, name):
    return [
        update_id
        for update_id in eks.list_updates(name=cluster, nodegroupName=name)["updateIds"]
        if eks.describe_update(name=cluster, nodegroupName=name, updateId=update_id)["update"]["type"] == "VersionUpdate"
    ]


def test_a_batch_starts_every_update_before_following_them_and_reruns_as_noop(fleet, ansible, eks):
    fleet.behaviour("prod", "general", update_duration=3)
    fleet.behaviour("prod", "old", update_duration=3)
    fleet.behaviour("prod", "web", update_duration=3)
    run = ansible.run(module=BATCH, nodegroups=TARGETS, wait_delay=1)
    assert not run.failed and run.changed, run
    results = by_name(run)
    assert [entry["name"] for entry in run.result["nodegroups"]] == ["general", "old", "web", "current"]
    assert {name: entry["status"] for name, entry in results.items()} == {
        "general": "updated", "old": "updated", "web": "updated", "current": "current"
    }
    assert results["general"]["nodegroup"]["version"] == "1.31"
    assert results["old"]["nodegroup"]["release_version"] == LATEST_131
    assert results["web"]["nodegroup"]["launch_template"]["version"] == "3"
    assert results["current"]["changed"] is False and results["current"]["nodegroup_update"] is None
    assert all(results[name]["nodegroup_update"]["status"] == "Successful" for name in ("general", "old", "web"))
    assert all(results[name]["duration"] >= 2 for name in ("general", "old", "web"))
    assert results["current"]["duration"] is None
    assert run.msg == "4 node groups: 3 updated, 1 current."

    log = operations(fleet)
    # the three updates were all started before the first poll: they ran side by side
    assert log.count("UpdateNodegroupVersion") == 3
    assert max(i for i, op in enumerate(log) if op == "UpdateNodegroupVersion") < log.index("DescribeUpdate")
    # and one SSM read for the one parameter two node groups need (1.31, AL2023 x86_64)
    assert operations(fleet, "ssm") == ["GetParameter"]

    fleet.clear_requests()
    again = ansible.run(module=BATCH, nodegroups=TARGETS, wait_delay=1)
    assert not again.failed and not again.changed, again
    assert {entry["status"] for entry in again.result["nodegroups"]} == {"current"}
    assert operations(fleet) == ["DescribeNodegroup"] * 4
    assert operations(fleet, "ssm") == ["GetParameter"]
    assert operations(fleet, "ec2") == ["DescribeLaunchTemplateVersions"]


def test_check_mode_previews_every_node_group_and_predicts_the_requests(fleet, ansible):
    preview = ansible.run(module=BATCH, nodegroups=TARGETS, check=True, diff=True)
    assert not preview.failed and preview.changed, preview
    assert [entry["status"] for entry in preview.result["nodegroups"]] == ["would_update"] * 3 + ["current"]
    assert "UpdateNodegroupVersion" not in operations(fleet)
    assert by_name(preview)["general"]["diff"]["after"]["version"] == "1.31"

    run = ansible.run(module=BATCH, nodegroups=TARGETS, wait=False)
    assert not run.failed and run.changed, run
    assert [entry["status"] for entry in run.result["nodegroups"]] == ["in_progress"] * 3 + ["current"]
    for sent, predicted in zip(run.result["nodegroups"], preview.result["nodegroups"]):
        assert sent["request"] == predicted["request"]


def test_a_bad_option_refuses_the_whole_batch_before_any_call(fleet, ansible):
    targets = TARGETS[:2] + [{"cluster_name": "prod", "name": "web", "launch_template": {"version": "newest"}}]
    run = ansible.run(module=BATCH, nodegroups=targets)
    assert run.failed and not run.changed, run
    assert run.msg.startswith("nodegroups[2] (prod/web): launch_template.version")
    assert fleet.requests() == []

    twice = ansible.run(module=BATCH, nodegroups=TARGETS + [{"cluster_name": "prod", "name": "general", "release_version": "latest"}])
    assert twice.failed and "nodegroups[4] (prod/general) names a node group a second time" in twice.msg, twice
    assert fleet.requests() == []


@pytest.mark.reliability("behaviour", "batch, failing fast: one node group refused while planning, nothing of the batch started", updates=0)
def test_a_refusal_stops_the_batch_before_anything_starts(fleet, ansible, eks):
    targets = TARGETS[:2] + [{"cluster_name": "prod", "name": "current", "kubernetes_version": "1.30"}]
    run = ansible.run(module=BATCH, nodegroups=targets, wait_delay=1)
    assert run.failed and not run.changed, run
    results = by_name(run)
    assert results["current"]["status"] == "failed"
    assert "roll" in results["current"]["msg"].lower()
    assert results["general"]["status"] == results["old"]["status"] == "not_started"
    assert "prod/current failed first" in results["general"]["msg"]
    assert "UpdateNodegroupVersion" not in operations(fleet)


def test_continue_on_error_upgrades_the_others_and_fails_at_the_end(fleet, ansible, eks):
    targets = TARGETS[:2] + [{"cluster_name": "prod", "name": "current", "kubernetes_version": "1.30"}]
    run = ansible.run(module=BATCH, nodegroups=targets, continue_on_error=True, wait_delay=1)
    assert run.failed and run.changed, run
    results = by_name(run)
    assert [results[name]["status"] for name in ("general", "old", "current")] == ["updated", "updated", "failed"]
    assert "1 failed" in run.msg and "prod/current:" in run.msg
    assert operations(fleet).count("UpdateNodegroupVersion") == 2


def test_a_failed_update_fails_its_node_group_and_the_others_are_followed_to_their_end(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True, fail_next_update={"error_code": "PodEvictionFailure", "error_message": "Reached max retries"})
    fleet.behaviour("prod", "old", hold_updates=True)
    running = in_background(ansible.run, module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    for name in ("general", "old"):
        assert polled(fleet, running, name, 0), running.result()
    fleet.finish_update("prod", fleet.update_in_progress("prod", "general")["id"], status=None)  # Failed, as planned
    # general's failure seen, the run goes on following old's update, still in progress
    seen = polled(fleet, running, "general", fleet.last_seq())
    assert seen and polled(fleet, running, "old", seen["seq"]), running.result()
    run = finish_when_polled(fleet, running, ["old"], 0)
    assert run.failed and run.changed, run
    results = by_name(run)
    assert results["general"]["status"] == "failed"
    assert "PodEvictionFailure: Reached max retries" in results["general"]["msg"]
    assert results["general"]["nodegroup_update"]["status"] == "Failed"
    # started before the failure: followed to its end, not abandoned
    assert results["old"]["status"] == "updated"
    assert len(version_updates(eks, "prod", "general")) == len(version_updates(eks, "prod", "old")) == 1


def test_without_wait_the_batch_returns_and_a_rerun_attaches_to_the_same_updates(fleet, ansible, eks):
    for name in ("general", "old"):
        fleet.behaviour("prod", name, hold_updates=True)
    started = ansible.run(module=BATCH, nodegroups=TARGETS[:2], wait=False)
    assert not started.failed and started.changed, started
    assert [entry["status"] for entry in started.result["nodegroups"]] == ["in_progress", "in_progress"]

    mark = fleet.last_seq()
    running = in_background(ansible.run, module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    followed = finish_when_polled(fleet, running, ["general", "old"], mark)
    assert not followed.failed, followed
    assert [entry["status"] for entry in followed.result["nodegroups"]] == ["updated", "updated"]
    for first, second in zip(started.result["nodegroups"], followed.result["nodegroups"]):
        assert first["nodegroup_update"]["id"] == second["nodegroup_update"]["id"]
    assert operations(fleet).count("UpdateNodegroupVersion") == 2


def test_a_timeout_names_each_update_and_a_rerun_resumes_on_them(fleet, ansible, eks):
    for name in ("general", "old"):
        fleet.behaviour("prod", name, hold_updates=True)
    run = ansible.run(module=BATCH, nodegroups=TARGETS[:2], wait_timeout=2, wait_delay=1)
    assert run.failed, run
    for entry in run.result["nodegroups"]:
        assert entry["status"] == "failed"
        assert entry["msg"].startswith("Timed out after 2s waiting for update %s" % entry["nodegroup_update"]["id"])
        # one poll round a second: about two polls of each update in two seconds
        assert 1 <= entry["duration"] <= 4

    mark = fleet.last_seq()
    running = in_background(ansible.run, module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    resumed = finish_when_polled(fleet, running, ["general", "old"], mark)
    assert not resumed.failed, resumed
    assert [entry["nodegroup_update"]["id"] for entry in resumed.result["nodegroups"]] == [
        entry["nodegroup_update"]["id"] for entry in run.result["nodegroups"]]
    assert operations(fleet).count("UpdateNodegroupVersion") == 2


def test_a_node_group_busy_with_another_update_is_started_when_that_update_ends(fleet, ansible, eks):
    fleet.behaviour("prod", "general", hold_updates=True)
    config = eks.update_nodegroup_config(clusterName="prod", nodegroupName="general", scalingConfig={"desiredSize": 4})["update"]
    fleet.behaviour("prod", "general", hold_updates=False)
    mark = fleet.last_seq()
    running = in_background(ansible.run, module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    run = finish_when_polled(fleet, running, ["general"], mark)
    assert not run.failed, run
    results = by_name(run)
    assert results["general"]["status"] == results["old"]["status"] == "updated"
    assert results["general"]["nodegroup_update"]["id"] != config["id"]
    assert eks.describe_update(name="prod", nodegroupName="general", updateId=config["id"])["update"]["status"] == "Successful"


@pytest.mark.reliability("fault", "batch: throttling bursts on the poll loop's DescribeUpdate, longer than botocore's retries; all updated", updates=2)
def test_throttling_during_the_batch_poll_loop_is_retried(fleet, ansible):
    for name in ("general", "old"):
        fleet.behaviour("prod", name, update_duration=3)
    fleet.add_fault(kind="throttle", service="eks", operation="DescribeUpdate", count=10)
    run = ansible.run(module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    assert not run.failed and run.changed, run
    assert [entry["status"] for entry in run.result["nodegroups"]] == ["updated", "updated"]
    assert operations(fleet).count("UpdateNodegroupVersion") == 2


@pytest.mark.reliability("fault", "batch: a lost response to an update call, retried by botocore with the same token; one update each", updates=2)
def test_a_lost_update_response_in_a_batch_starts_one_update(fleet, ansible, eks):
    fleet.add_fault(kind="lose_response", service="eks", operation="UpdateNodegroupVersion", count=1)
    run = ansible.run(module=BATCH, nodegroups=TARGETS[:2], wait_delay=1)
    assert not run.failed and run.changed, run
    assert [entry["status"] for entry in run.result["nodegroups"]] == ["updated", "updated"]
    assert len(version_updates(eks, "prod", "general")) == len(version_updates(eks, "prod", "old")) == 1
