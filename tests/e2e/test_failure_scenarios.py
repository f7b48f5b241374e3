"""The module, the report and the batch against node groups that fail as EKS's do, scripted in the fleet document.

A PodDisruptionBudget that blocks eviction unless ``force``, instances that never join (the node group left
DEGRADED with a health issue), and a node group degraded before any update: each is set in the fleet document
(localeks/README.md, "Failure scenarios"), the way a rehearsal of a maintenance run would set it.
"""

from conftest import REGION

INFO = "fleetops.eks.eks_nodegroup_version_info"
BATCH = "fleetops.eks.eks_nodegroup_version_batch"
OLD, LATEST = "1.31.0-20241024", "1.31.7-20250403"
NODE = "ip-10-0-3-41.ec2.internal"
INSTANCE = "i-0aa11bb22cc33dd44"

SCENARIOS = {
    "region": REGION,
    "defaults": {"update_duration": 0.5},
    "clusters": [
        {
            "name": "rehearsal",
            "version": "1.31",
            "nodegroups": [
                {"name": "guarded", "version": "1.31", "release_version": OLD, "pod_disruption_budget": {"nodes": [NODE]}},
                {"name": "broken", "version": "1.31", "release_version": OLD, "nodes_fail_to_join": {"instance_ids": [INSTANCE]}},
                {
                    "name": "sick",
                    "version": "1.31",
                    "release_version": OLD,
                    "health_issues": [
                        {"code": "AsgInstanceLaunchFailures", "message": "Could not launch On-Demand Instances.", "resource_ids": ["eks-sick-asg"]}
                    ],
                },
                {"name": "fine", "version": "1.31", "release_version": OLD},
            ],
        }
    ],
}


def scenarios(control):
    control.load_fleet(SCENARIOS)
    control.clear_requests()
    return control


def test_a_pod_disruption_budget_fails_the_update_until_it_is_forced(control, ansible, eks):
    scenarios(control)
    blocked = ansible.run(cluster_name="rehearsal", name="guarded", release_version="latest", wait_delay=1)
    assert blocked.failed and blocked.changed, blocked
    errors = blocked.result["nodegroup_update"]["errors"]
    assert [(error["error_code"], error["resource_ids"]) for error in errors] == [("PodEvictionFailure", [NODE])]
    assert "PodEvictionFailure" in blocked.msg
    # The node group is left as EKS leaves it: ACTIVE, on its old release, without health issues.
    assert blocked.result["nodegroup"]["status"] == "ACTIVE"
    assert blocked.result["nodegroup"]["release_version"] == OLD
    assert blocked.result["nodegroup"]["health"]["issues"] == []

    forced = ansible.run(cluster_name="rehearsal", name="guarded", release_version="latest", force=True, wait_delay=1)
    assert forced.changed and not forced.failed, forced
    assert forced.result["nodegroup_update"]["status"] == "Successful"
    assert forced.result["nodegroup"]["release_version"] == LATEST
    assert control.count("UpdateNodegroupVersion") == 2


def test_instances_that_never_join_leave_the_node_group_degraded_and_a_rerun_is_refused_before_any_change(control, ansible, eks):
    scenarios(control)
    failed = ansible.run(cluster_name="rehearsal", name="broken", release_version="latest", force=True, wait_delay=1)
    assert failed.failed and failed.changed, failed
    assert [error["error_code"] for error in failed.result["nodegroup_update"]["errors"]] == ["NodeCreationFailure"]
    nodegroup = failed.result["nodegroup"]
    assert nodegroup["status"] == "DEGRADED" and nodegroup["release_version"] == OLD
    assert [(issue["code"], issue["resource_ids"]) for issue in nodegroup["health"]["issues"]] == [("NodeCreationFailure", [INSTANCE])]
    # What boto3 reads agrees with what the module reported.
    described = eks.describe_nodegroup(clusterName="rehearsal", nodegroupName="broken")["nodegroup"]
    assert described["status"] == "DEGRADED" and described["health"]["issues"][0]["code"] == "NodeCreationFailure"

    again = ansible.run(cluster_name="rehearsal", name="broken", release_version="latest", force=True, wait_delay=1)
    assert again.failed and not again.changed, again
    assert "DEGRADED" in again.msg, again.msg
    assert control.count("UpdateNodegroupVersion") == 1

    # Repaired (its issues cleared), the node group is ACTIVE again and the next run goes through the same way.
    control.set_health("rehearsal", "broken", [])
    control.behaviour("rehearsal", "broken", nodes_fail_to_join=False)
    repaired = ansible.run(cluster_name="rehearsal", name="broken", release_version="latest", wait_delay=1)
    assert repaired.changed and not repaired.failed, repaired
    assert repaired.result["nodegroup"]["status"] == "ACTIVE" and repaired.result["nodegroup"]["release_version"] == LATEST


def test_the_report_blocks_degraded_node_groups_with_their_issues_and_the_batch_upgrades_the_rest(control, ansible):
    scenarios(control)
    report = ansible.run(module=INFO, cluster_names=["rehearsal"])
    assert not report.failed, report
    entries = {entry["name"]: entry for entry in report.result["nodegroups"]}
    sick = entries["sick"]
    assert sick["status"] == "DEGRADED" and sick["upgrade"] is None
    assert "AsgInstanceLaunchFailures" in sick["blocked_reason"], sick
    assert entries["fine"]["upgrade"] and entries["fine"]["blocked_reason"] is None
    assert report.result["summary"]["blocked"] == 1

    batch = ansible.run(
        module=BATCH,
        nodegroups=[{"cluster_name": "rehearsal", "name": name, "release_version": "latest"} for name in ("fine", "sick")],
        continue_on_error=True,
        wait_delay=1,
    )
    outcome = {entry["name"]: entry for entry in batch.result["nodegroups"]}
    assert batch.failed and batch.changed, batch
    assert outcome["fine"]["changed"] and not outcome["fine"].get("failed"), outcome["fine"]
    assert outcome["sick"]["failed"] and not outcome["sick"]["changed"], outcome["sick"]
    assert "DEGRADED" in outcome["sick"]["msg"]
    # Only the healthy node group was sent an update.
    assert control.count("UpdateNodegroupVersion") == 1
