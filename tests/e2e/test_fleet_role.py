"""The nodegroup_upgrade role end to end: batches, bounds, order, hooks, errors, check mode and summary.

Concurrency is read from the endpoint: an update is InProgress from its UpdateNodegroupVersion call for the
node group's update_duration.
"""

from conftest import REGION
from fleets import LATEST_131
from fleet_helpers import INFO, hook_file, max_overlap, run_role, started_without_waiting, update_intervals

DURATION = 2


def fleet_document(per_cluster=3, current=()):
    clusters = []
    for cluster in ("prod", "edge"):
        nodegroups = []
        for index in range(1, per_cluster + 1):
            name = "ng-%d" % index
            group = {"name": name, "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"}
            if "%s/%s" % (cluster, name) in current:
                group = {"name": name, "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131}
            nodegroups.append(group)
        clusters.append({"name": cluster, "version": "1.31", "nodegroups": nodegroups})
    return {"region": REGION, "defaults": {"update_duration": DURATION}, "clusters": clusters}


def targets(*keys, **options):
    return [dict({"cluster": key.split("/")[0], "nodegroup": key.split("/")[1]}, **options) for key in keys]


def starts(control):
    return [(entry["cluster"], entry["nodegroup"]) for entry in control.requests(operation="UpdateNodegroupVersion")]


def test_explicit_list_in_bounded_batches_with_hooks_and_summary(control, ansible, tmp_path):
    control.load_fleet(fleet_document(current=["edge/ng-3"]))
    control.clear_requests()
    log = tmp_path / "hooks.log"
    hook = hook_file(tmp_path, log)
    keys = ["prod/ng-1", "prod/ng-2", "prod/ng-3", "edge/ng-1", "edge/ng-2", "edge/ng-3"]
    run = run_role(
        ansible,
        nodegroup_upgrade_targets=targets(*keys, kubernetes_version="1.31"),
        nodegroup_upgrade_max_parallel=2,
        nodegroup_upgrade_per_cluster=1,
        nodegroup_upgrade_pre_tasks=[hook],
        nodegroup_upgrade_post_tasks=[hook],
        nodegroup_upgrade_wait_delay=1,
    )
    assert run.rc == 0, run
    rows = run.by_name()
    assert [row["cluster"] + "/" + row["nodegroup"] for row in run.summary] == keys
    for key in keys[:5]:
        row = rows[key]
        assert row["status"] == "upgraded", run
        assert row["from"] == {"version": "1.30", "release_version": "1.30.4-20241024", "launch_template_version": None}
        assert row["to"] == {"version": "1.31", "release_version": LATEST_131, "launch_template_version": None}
        assert row["update_id"] and row["duration"] >= DURATION
    assert rows["edge/ng-3"]["status"] == "current" and rows["edge/ng-3"]["update_id"] is None
    assert rows["edge/ng-3"]["from"] == rows["edge/ng-3"]["to"]

    # never more than 2 in progress, never 2 of one cluster; each cluster in the order given
    intervals = update_intervals(control, lambda key: DURATION)
    assert len(intervals) == 5
    assert max_overlap(intervals) <= 2
    assert max_overlap(intervals, "prod") == 1 and max_overlap(intervals, "edge") == 1
    assert [key for key, dummy, dummy in intervals if key.startswith("prod/")] == ["prod/ng-1", "prod/ng-2", "prod/ng-3"]
    # clusters go in parallel: each batch's second update is started without waiting for its first
    for first, second in [("prod/ng-1", "edge/ng-1"), ("prod/ng-2", "edge/ng-2")]:
        assert started_without_waiting(control, first, second)
    assert not started_without_waiting(control, "edge/ng-1", "prod/ng-2")

    # hooks: pre (knowing the target) before and post after each node group that changed; none for the one already current
    lines = log.read_text().split("\n")
    for key in keys[:5]:
        assert "pre %s 1.31" % key in lines and "post %s 1.31" % key in lines, lines
        assert lines.index("pre %s 1.31" % key) < lines.index("post %s 1.31" % key)
    assert not [line for line in lines if "edge/ng-3" in line]
    assert "node group" in run.output and "prod/ng-1" in run.output and "upgraded" in run.output  # printed table


def test_from_report_respects_both_bounds_then_leaves_nothing_to_do(control, ansible):
    control.load_fleet(fleet_document())
    control.clear_requests()
    run = run_role(ansible, nodegroup_upgrade_from_report=True, nodegroup_upgrade_max_parallel=3, nodegroup_upgrade_per_cluster=2,
                   nodegroup_upgrade_wait_delay=1)
    assert run.rc == 0, run
    assert len(run.summary) == 6 and all(row["status"] == "upgraded" for row in run.summary), run
    intervals = update_intervals(control, lambda key: DURATION)
    assert len(intervals) == 6
    assert max_overlap(intervals) <= 3
    assert max_overlap(intervals, "prod") <= 2 and max_overlap(intervals, "edge") <= 2
    # the first batch: the first cluster's first two node groups and the other cluster's first one
    order = [row["cluster"] + "/" + row["nodegroup"] for row in run.summary]
    first, other = order[0].split("/")[0], [key for key in order if not key.startswith(order[0].split("/")[0])][0]
    assert order[:3] == [first + "/ng-1", first + "/ng-2", first + "/ng-3"]
    assert started_without_waiting(control, first + "/ng-1", first + "/ng-2")
    assert started_without_waiting(control, first + "/ng-1", other)
    assert not started_without_waiting(control, first + "/ng-1", first + "/ng-3")

    report = ansible.run(module=INFO)
    assert report.result["summary"]["behind"] == 0, report
    control.clear_requests()
    again = run_role(ansible, nodegroup_upgrade_from_report=True)
    assert again.rc == 0 and again.summary == [], again
    assert starts(control) == []


def test_continue_on_error_goes_on_and_fails_at_the_end(control, ansible, eks):
    control.load_fleet(fleet_document(per_cluster=2))
    control.behaviour("prod", "ng-1", fail_next_update={"error_code": "PodEvictionFailure", "error_message": "Reached max retries"})
    control.clear_requests()
    run = run_role(ansible, nodegroup_upgrade_targets=targets("prod/ng-1", "prod/ng-2", "edge/ng-1", "edge/ng-2", kubernetes_version="1.31"),
                   nodegroup_upgrade_continue_on_error=True, nodegroup_upgrade_max_parallel=4, nodegroup_upgrade_wait_delay=1)
    assert run.rc != 0, run
    rows = run.by_name()
    failed = rows["prod/ng-1"]
    assert failed["status"] == "failed" and "PodEvictionFailure" in failed["msg"], run
    assert failed["update_id"] and failed["from"]["version"] == "1.30"
    assert [rows[key]["status"] for key in ("prod/ng-2", "edge/ng-1", "edge/ng-2")] == ["upgraded"] * 3
    assert "1 node group(s) failed: prod/ng-1" in run.output
    # the failed update was followed, not started again
    assert len(eks.list_updates(name="prod", nodegroupName="ng-1")["updateIds"]) == 1


def test_fail_fast_starts_nothing_more_after_a_failure(control, ansible):
    control.load_fleet(fleet_document(per_cluster=2))
    control.behaviour("prod", "ng-1", fail_next_update={"error_code": "NodeCreationFailure", "error_message": "Instances failed to join"})
    control.clear_requests()
    run = run_role(ansible, nodegroup_upgrade_targets=targets("prod/ng-1", "edge/ng-1", "prod/ng-2", "edge/ng-2", kubernetes_version="1.31"),
                   nodegroup_upgrade_max_parallel=2, nodegroup_upgrade_wait_delay=1)
    assert run.rc != 0, run
    rows = run.by_name()
    # the first batch is followed to its end; the second is never started
    assert rows["prod/ng-1"]["status"] == "failed" and "NodeCreationFailure" in rows["prod/ng-1"]["msg"]
    assert rows["edge/ng-1"]["status"] == "upgraded"
    assert rows["prod/ng-2"]["status"] == "not_started" and rows["edge/ng-2"]["status"] == "not_started"
    assert sorted(set(starts(control))) == [("edge", "ng-1"), ("prod", "ng-1")]


def test_a_failing_pre_task_fails_its_node_group_only(control, ansible, tmp_path):
    control.load_fleet(fleet_document(per_cluster=1))
    control.clear_requests()
    hook = tmp_path / "refuse.yml"
    hook.write_text(
        "- name: refuse prod\n"
        "  ansible.builtin.fail:\n"
        "    msg: drain refused\n"
        "  when: nodegroup_upgrade_nodegroup.cluster == 'prod'\n"
    )
    run = run_role(ansible, nodegroup_upgrade_targets=targets("prod/ng-1", "edge/ng-1", kubernetes_version="1.31"),
                   nodegroup_upgrade_pre_tasks=[str(hook)], nodegroup_upgrade_continue_on_error=True,
                   nodegroup_upgrade_fail_at_end=False, nodegroup_upgrade_wait_delay=1)
    assert run.rc == 0, run
    rows = run.by_name()
    assert rows["prod/ng-1"]["status"] == "failed" and rows["prod/ng-1"]["msg"] == "drain refused"
    assert rows["edge/ng-1"]["status"] == "upgraded"
    assert starts(control) == [("edge", "ng-1")]


def test_check_mode_previews_the_run_and_changes_nothing(control, ansible, eks, tmp_path):
    control.load_fleet(fleet_document(per_cluster=2, current=["edge/ng-2"]))
    control.clear_requests()
    log = tmp_path / "hooks.log"
    run = run_role(ansible, check=True, nodegroup_upgrade_targets=targets("prod/ng-1", "prod/ng-2", "edge/ng-1", "edge/ng-2"),
                   nodegroup_upgrade_pre_tasks=[hook_file(tmp_path, log)])
    assert run.rc == 0, run
    assert starts(control) == []
    rows = run.by_name()
    for key in ("prod/ng-1", "prod/ng-2", "edge/ng-1"):
        assert rows[key]["status"] == "would_upgrade", run
        # no target options: the latest release of the current minor
        assert rows[key]["to"]["version"] == "1.30" and rows[key]["to"]["release_version"] == "1.30.11-20250403"
    assert rows["edge/ng-2"]["status"] == "current"
    assert eks.describe_nodegroup(clusterName="prod", nodegroupName="ng-1")["nodegroup"]["version"] == "1.30"
    assert not log.exists()  # the shell hook is skipped in check mode, as any command task is


def test_duplicate_targets_are_refused(control, ansible):
    control.load_fleet(fleet_document(per_cluster=1))
    run = run_role(ansible, nodegroup_upgrade_targets=targets("prod/ng-1", "prod/ng-1"))
    assert run.rc != 0 and "Each node group must be named once; named again: prod/ng-1." in run.output, run
