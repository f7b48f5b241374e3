"""Failure scenarios from the fleet file leave node groups and updates as EKS leaves them, with EKS's codes only."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from localeks.client import Control, ControlError
from localeks.eks.models import eks_enum, localeks_backends
from localeks.fleet import FleetError, check_fleet

NODES = ["ip-10-0-3-41.ec2.internal"]
INSTANCES = ["i-0aa11bb22cc33dd44", "i-0ee55ff66aa77bb88"]

SCENARIOS: dict[str, Any] = {
    "region": "us-east-1",
    # Updates end when they start: the next read sees them ended, however slow the machine.
    "defaults": {"update_duration": 0},
    "clusters": [
        {
            "name": "risky",
            "version": "1.31",
            "nodegroups": [
                {"name": "guarded", "version": "1.30", "pod_disruption_budget": {"nodes": NODES}},
                {"name": "guarded-default", "version": "1.30", "pod_disruption_budget": True},
                {"name": "unjoinable", "version": "1.30", "nodes_fail_to_join": {"instance_ids": INSTANCES}},
                {"name": "unjoinable-default", "version": "1.30", "nodes_fail_to_join": True},
                {
                    "name": "sick",
                    "version": "1.30",
                    "health_issues": [
                        {"code": "AsgInstanceLaunchFailures", "message": "Could not launch On-Demand Instances.",
                         "resource_ids": ["eks-sick-asg"]},
                    ],
                },
                {"name": "fails-once", "version": "1.30", "fail_next_update": {"error_code": "AccessDenied"}},
            ],
        }
    ],
}


@pytest.fixture
def risky(control: Control) -> Control:
    control.load_fleet(SCENARIOS, reset=False)
    return control


def describe(eks: Any, name: str) -> dict[str, Any]:
    return eks.describe_nodegroup(clusterName="risky", nodegroupName=name)["nodegroup"]


def run_update(eks: Any, name: str, **kwargs: Any) -> dict[str, Any]:
    """Start an update and read it: it has already ended (update_duration 0)."""
    update = eks.update_nodegroup_version(clusterName="risky", nodegroupName=name, **kwargs)["update"]
    return eks.describe_update(name="risky", nodegroupName=name, updateId=update["id"])["update"]


def assert_eks_codes(update: dict[str, Any], nodegroup: dict[str, Any]) -> None:
    assert all(error["errorCode"] in eks_enum("ErrorCode") for error in update["errors"])
    assert all(issue["code"] in eks_enum("NodegroupIssueCode") for issue in nodegroup["health"]["issues"])


def test_a_pod_disruption_budget_fails_the_update_unless_forced(eks: Any, risky: Control) -> None:
    failed = run_update(eks, "guarded")
    assert failed["status"] == "Failed"
    assert failed["errors"] == [{
        "errorCode": "PodEvictionFailure",
        "errorMessage": "Reached max retries while trying to evict pods from nodes in node group guarded",
        "resourceIds": NODES,
    }]
    guarded = describe(eks, "guarded")
    # the old nodes still run: the node group is ACTIVE, healthy, on its version
    assert (guarded["status"], guarded["health"], guarded["version"]) == ("ACTIVE", {"issues": []}, "1.30")
    assert_eks_codes(failed, guarded)

    forced = run_update(eks, "guarded", force=True)
    assert (forced["status"], forced["errors"]) == ("Successful", [])
    assert describe(eks, "guarded")["version"] == "1.31"


def test_a_pod_disruption_budget_names_the_nodes_as_eks_does(eks: Any, risky: Control) -> None:
    failed = run_update(eks, "guarded-default")
    [error] = failed["errors"]
    assert error["errorCode"] == "PodEvictionFailure"
    assert len(error["resourceIds"]) == 1 and error["resourceIds"][0].startswith("ip-10-0-")
    assert error["resourceIds"][0].endswith(".ec2.internal")
    assert run_update(eks, "guarded-default")["status"] == "Failed"  # the budget stays until it is lifted
    risky.behaviour("risky", "guarded-default", pod_disruption_budget=None)
    assert run_update(eks, "guarded-default")["status"] == "Successful"


def test_a_pod_disruption_budget_does_not_block_config_updates(eks: Any, risky: Control) -> None:
    update = eks.update_nodegroup_config(clusterName="risky", nodegroupName="guarded", scalingConfig={"desiredSize": 2})
    described = eks.describe_update(name="risky", nodegroupName="guarded", updateId=update["update"]["id"])["update"]
    assert described["status"] == "Successful"


def test_nodes_that_fail_to_join_leave_the_node_group_degraded(eks: Any, risky: Control) -> None:
    failed = run_update(eks, "unjoinable", force=True)  # force does not help: it is about new nodes
    assert failed["status"] == "Failed"
    assert failed["errors"] == [{
        "errorCode": "NodeCreationFailure",
        "errorMessage": "Couldn't proceed with upgrade process as new nodes are not joining node group unjoinable",
        "resourceIds": INSTANCES,
    }]
    unjoinable = describe(eks, "unjoinable")
    assert (unjoinable["status"], unjoinable["version"]) == ("DEGRADED", "1.30")
    assert unjoinable["health"]["issues"] == [{
        "code": "NodeCreationFailure",
        "message": "Instances failed to join the kubernetes cluster",
        "resourceIds": INSTANCES,
    }]
    assert_eks_codes(failed, unjoinable)

    with pytest.raises(eks.exceptions.ResourceInUseException, match="DEGRADED"):
        eks.update_nodegroup_version(clusterName="risky", nodegroupName="unjoinable")

    # once repaired (the issue cleared, the behaviour lifted), the node group can be updated again
    assert risky.set_health("risky", "unjoinable", []) == {"status": "ACTIVE", "health": {"issues": []}}
    risky.behaviour("risky", "unjoinable", nodes_fail_to_join=False)
    assert run_update(eks, "unjoinable")["status"] == "Successful"


def test_nodes_that_fail_to_join_get_instance_ids(eks: Any, risky: Control) -> None:
    failed = run_update(eks, "unjoinable-default")
    ids = failed["errors"][0]["resourceIds"]
    assert ids and all(i.startswith("i-0") and len(i) == 19 for i in ids)
    assert describe(eks, "unjoinable-default")["health"]["issues"][0]["resourceIds"] == ids


def test_a_degraded_node_group_from_the_fleet_file(eks: Any, risky: Control) -> None:
    sick = describe(eks, "sick")
    assert sick["status"] == "DEGRADED"
    assert sick["health"]["issues"] == [{
        "code": "AsgInstanceLaunchFailures",
        "message": "Could not launch On-Demand Instances.",
        "resourceIds": ["eks-sick-asg"],
    }]
    with pytest.raises(eks.exceptions.ResourceInUseException, match="DEGRADED status"):
        eks.update_nodegroup_version(clusterName="risky", nodegroupName="sick")
    assert risky.nodegroup_health("risky", "sick")["status"] == "DEGRADED"


def test_a_failed_update_from_the_fleet_file_fails_once(eks: Any, risky: Control) -> None:
    failed = run_update(eks, "fails-once")
    assert (failed["status"], failed["errors"][0]["errorCode"]) == ("Failed", "AccessDenied")
    assert describe(eks, "fails-once")["status"] == "ACTIVE"
    assert run_update(eks, "fails-once")["status"] == "Successful"


def test_a_held_scenario_ends_as_planned(eks: Any, risky: Control) -> None:
    risky.behaviour("risky", "unjoinable", hold_updates=True)
    update = eks.update_nodegroup_version(clusterName="risky", nodegroupName="unjoinable")["update"]
    assert describe(eks, "unjoinable")["status"] == "UPDATING"
    assert risky.finish_update("risky", update["id"], status=None)["status"] == "Failed"
    assert describe(eks, "unjoinable")["status"] == "DEGRADED"


def test_a_scenario_finished_otherwise_leaves_no_issue(eks: Any, risky: Control) -> None:
    risky.behaviour("risky", "unjoinable", hold_updates=True)
    update = eks.update_nodegroup_version(clusterName="risky", nodegroupName="unjoinable")["update"]
    risky.finish_update("risky", update["id"], status="Successful")
    unjoinable = describe(eks, "unjoinable")
    assert (unjoinable["status"], unjoinable["health"]["issues"], unjoinable["version"]) == ("ACTIVE", [], "1.31")


@pytest.mark.parametrize(
    ("nodegroup", "message"),
    [
        ({"pod_disruption_budget": {"pods": ["a"]}}, "unknown field pod_disruption_budget.pods"),
        ({"pod_disruption_budget": "yes"}, "pod_disruption_budget must be true, false, null or an object"),
        ({"nodes_fail_to_join": {"instance_ids": "i-1"}}, "nodes_fail_to_join.instance_ids must be a list"),
        ({"health_issues": [{"code": "Broken"}]}, "health_issues[0].code must be one of EKS's NodegroupIssueCode"),
        ({"health_issues": [{"message": "x"}]}, "health_issues[0].code is required"),
        ({"health_issues": {"code": "Unknown"}}, "health_issues must be a list"),
        ({"fail_next_update": {"error_code": "PodsStuck"}}, "fail_next_update.error_code must be one of EKS's ErrorCode"),
        ({"update_duration": "long"}, "update_duration must be a number of seconds"),
        ({"desired_size": "3"}, "clusters[0].nodegroups[0].desired_size must be an integer"),
        ({"labels": {"a": 1}}, "clusters[0].nodegroups[0].labels must be a mapping of strings"),
    ],
)
def test_the_fleet_file_refuses_wrong_scenarios(nodegroup: dict[str, Any], message: str) -> None:
    document = {"clusters": [{"name": "x", "nodegroups": [{"name": "ng", **nodegroup}]}]}
    with pytest.raises(FleetError) as refused:
        check_fleet(document)
    assert message in str(refused.value)
    if "clusters[0]" not in message:
        assert "clusters[0].nodegroups[0]" in str(refused.value)


def test_a_wrong_fleet_creates_nothing(eks: Any, control: Control) -> None:
    broken = {"clusters": [{"name": "half", "nodegroups": [{"name": "ok"}, {"name": "bad", "nodes_fail_to_join": 3}]}]}
    with pytest.raises(ControlError) as refused:
        control.load_fleet(broken, reset=False)
    assert refused.value.status == 400 and "clusters[0].nodegroups[1]" in str(refused.value)
    assert "half" not in eks.list_clusters()["clusters"]


def test_health_through_the_control_api_is_checked(risky: Control) -> None:
    with pytest.raises(ControlError) as refused:
        risky.set_health("risky", "guarded", [{"code": "Meltdown"}])
    assert refused.value.status == 400 and "issues[0].code" in str(refused.value)
    assert risky.set_health("risky", "guarded", [{"code": "Unknown", "message": "Something is off."}])["status"] == "DEGRADED"
    backend = localeks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert backend.describe_nodegroup("risky", "guarded").health["issues"][0]["resourceIds"] == []
