from __future__ import annotations

import time
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from localeks_support import nodegroup, params, wait_update

from localeks.client import Control, ControlError
from localeks.eks.models import LocalEKSBackend, localeks_backends


def test_describe_nodegroup_looks_like_eks(eks: Any) -> None:
    general = nodegroup(eks, "general")
    assert general["version"] == "1.30"
    assert general["releaseVersion"] == "1.30.4-20241024"  # seeded on the oldest release
    assert general["amiType"] == "AL2023_x86_64_STANDARD"
    assert general["status"] == "ACTIVE"
    assert "launchTemplate" not in general
    assert general["updateConfig"] == {"maxUnavailable": 1}  # EKS's default, always described

    web = nodegroup(eks, "web")
    assert web["launchTemplate"]["name"] == "web-nodes"
    assert web["launchTemplate"]["id"].startswith("lt-")
    assert web["launchTemplate"]["version"] == "1"

    custom = nodegroup(eks, "custom")
    assert custom["amiType"] == "CUSTOM"
    assert custom["releaseVersion"] == "ami-0c0ffee0000000001"
    assert custom["launchTemplate"]["version"] == "1"  # the template's default version


def test_create_nodegroup_defaults_to_template_default_version_and_latest_release(
    eks: Any,
) -> None:
    eks.create_nodegroup(
        clusterName="prod",
        nodegroupName="fresh",
        nodeRole="arn:aws:iam::123456789012:role/eks-nodes",
        subnets=["subnet-0a1b2c3d4e5f60001"],
        launchTemplate={"name": "web-nodes"},
    )
    fresh = nodegroup(eks, "fresh")
    assert fresh["launchTemplate"]["version"] == "2"
    assert fresh["version"] == "1.31"
    assert fresh["amiType"] == "AL2023_x86_64_STANDARD"
    assert fresh["releaseVersion"] == "1.31.7-20250403"


def test_update_goes_in_progress_then_applies_versions(eks: Any) -> None:
    before = nodegroup(eks, "general")
    update = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="general", version="1.31"
    )["update"]
    assert update["status"] == "InProgress"
    assert update["type"] == "VersionUpdate"
    assert update["errors"] == []
    assert params(update) == {"Version": "1.31", "ReleaseVersion": "1.31.7-20250403"}

    during = nodegroup(eks, "general")
    assert during["status"] == "UPDATING"
    assert during["version"] == "1.30"
    assert during["modifiedAt"] >= before["modifiedAt"]

    assert wait_update(eks, "general", update["id"])["status"] == "Successful"
    after = nodegroup(eks, "general")
    assert (after["status"], after["version"], after["releaseVersion"]) == (
        "ACTIVE",
        "1.31",
        "1.31.7-20250403",
    )
    assert after["modifiedAt"] > during["modifiedAt"]


def test_update_without_arguments_targets_cluster_version(eks: Any) -> None:
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert params(update)["Version"] == "1.31"


def test_release_only_update_stays_on_minor(eks: Any) -> None:
    update = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="general", releaseVersion="1.30.9-20250203"
    )["update"]
    assert params(update) == {"Version": "1.30", "ReleaseVersion": "1.30.9-20250203"}
    wait_update(eks, "general", update["id"])
    assert nodegroup(eks, "general")["releaseVersion"] == "1.30.9-20250203"


def test_launch_template_update_applies_template_version(eks: Any) -> None:
    update = eks.update_nodegroup_version(
        clusterName="prod",
        nodegroupName="web",
        launchTemplate={"name": "web-nodes", "version": "$Latest"},
    )["update"]
    assert params(update) == {
        "Version": "1.31",
        "ReleaseVersion": "1.31.7-20250403",
        "LaunchTemplateName": "web-nodes",
        "LaunchTemplateVersion": "3",
    }
    wait_update(eks, "web", update["id"])
    assert nodegroup(eks, "web")["launchTemplate"]["version"] == "3"


def test_custom_ami_update_rolls_out_template_ami(eks: Any) -> None:
    lt_id = nodegroup(eks, "custom")["launchTemplate"]["id"]
    update = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="custom", launchTemplate={"id": lt_id, "version": "2"}
    )["update"]
    assert params(update) == {"LaunchTemplateName": "custom-nodes", "LaunchTemplateVersion": "2"}
    wait_update(eks, "custom", update["id"])
    custom = nodegroup(eks, "custom")
    assert custom["launchTemplate"]["version"] == "2"
    assert custom["releaseVersion"] == "ami-0c0ffee0000000002"
    assert custom["version"] == "1.31"


@pytest.mark.parametrize("status", ["Failed", "Cancelled"])
def test_failed_and_cancelled_updates_keep_versions(
    eks: Any, control: Control, status: str
) -> None:
    if status == "Failed":
        control.behaviour("prod", "general", fail_next_update={"error_code": "PodEvictionFailure"})
    else:
        control.behaviour("prod", "general", cancel_next_update=True)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    done = wait_update(eks, "general", update["id"])
    assert done["status"] == status
    assert done["errors"] and {"errorCode", "errorMessage", "resourceIds"} <= set(done["errors"][0])
    general = nodegroup(eks, "general")
    assert (general["status"], general["version"], general["releaseVersion"]) == (
        "ACTIVE",
        "1.30",
        "1.30.4-20241024",
    )
    # The behaviour is consumed: the next update succeeds.
    retry = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert wait_update(eks, "general", retry["id"])["status"] == "Successful"


def test_pod_eviction_failure_unless_force(eks: Any, control: Control) -> None:
    failure = {
        "error_code": "PodEvictionFailure",
        "error_message": "Reached max retries while trying to evict pods",
        "resource_ids": ["ip-10-0-1-23.ec2.internal"],
        "unless_force": True,
    }
    control.behaviour("prod", "general", fail_next_update=failure)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    failed = wait_update(eks, "general", update["id"])
    assert failed["errors"] == [
        {
            "errorCode": "PodEvictionFailure",
            "errorMessage": "Reached max retries while trying to evict pods",
            "resourceIds": ["ip-10-0-1-23.ec2.internal"],
        }
    ]
    control.behaviour("prod", "general", fail_next_update=failure)
    forced = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general", force=True)
    assert wait_update(eks, "general", forced["update"]["id"])["status"] == "Successful"


def test_finish_update_now(eks: Any, control: Control) -> None:
    control.behaviour("prod", "general", update_duration=60)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    errors = [{"errorCode": "NodeCreationFailure", "errorMessage": "boom", "resourceIds": ["i-1"]}]
    finished = control.finish_update("prod", update["id"], status="Failed", errors=errors)
    assert finished["status"] == "Failed"
    described = eks.describe_update(name="prod", nodegroupName="general", updateId=update["id"])
    assert described["update"]["errors"] == errors
    assert nodegroup(eks, "general")["status"] == "ACTIVE"


def test_update_duration_per_nodegroup(eks: Any, control: Control) -> None:
    control.behaviour("prod", "general", update_duration=60)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert wait_update(eks, "general", update["id"], timeout=0.5)["status"] == "InProgress"


def test_config_update_goes_through_lifecycle(eks: Any) -> None:
    update = eks.update_nodegroup_config(
        clusterName="prod",
        nodegroupName="general",
        scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": 4},
    )["update"]
    assert (update["type"], update["status"]) == ("ConfigUpdate", "InProgress")
    assert nodegroup(eks, "general")["status"] == "UPDATING"
    with pytest.raises(eks.exceptions.ResourceInUseException):
        eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")
    assert wait_update(eks, "general", update["id"])["status"] == "Successful"
    assert nodegroup(eks, "general")["scalingConfig"]["desiredSize"] == 4


def test_client_request_token_is_idempotent(eks: Any, control: Control) -> None:
    first = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="general", clientRequestToken="tok-1"
    )["update"]
    again = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="general", clientRequestToken="tok-1"
    )["update"]
    assert again["id"] == first["id"]
    ids = eks.list_updates(name="prod", nodegroupName="general")["updateIds"]
    assert ids == [first["id"]]
    # Same token after completion still answers with the same update.
    wait_update(eks, "general", first["id"])
    later = eks.update_nodegroup_version(
        clusterName="prod", nodegroupName="general", clientRequestToken="tok-1"
    )["update"]
    assert (later["id"], later["status"]) == (first["id"], "Successful")


def test_list_updates_filter_order_and_pagination(eks: Any, control: Control) -> None:
    ids = []
    for _i in range(5):
        update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="plain")["update"]
        ids.append(update["id"])
        control.finish_update("prod", update["id"])
    assert eks.list_updates(name="prod", nodegroupName="plain")["updateIds"] == ids
    assert eks.list_updates(name="prod", nodegroupName="general")["updateIds"] == []
    assert eks.list_updates(name="prod")["updateIds"] == []  # cluster-level updates

    first = eks.list_updates(name="prod", nodegroupName="plain", maxResults=2)
    assert first["updateIds"] == ids[:2]
    paged = [
        update_id
        for page in eks.get_paginator("list_updates").paginate(
            name="prod", nodegroupName="plain", PaginationConfig={"PageSize": 2}
        )
        for update_id in page["updateIds"]
    ]
    assert paged == ids
    last = eks.list_updates(
        name="prod", nodegroupName="plain", maxResults=2, nextToken=first["nextToken"]
    )
    assert last["updateIds"] == ids[2:4]
    with pytest.raises(eks.exceptions.InvalidParameterException):
        eks.list_updates(name="prod", nodegroupName="plain", nextToken="garbage")


def test_describe_update_not_found(eks: Any) -> None:
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_update(name="prod", nodegroupName="general", updateId="nope")
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_update(name="missing", nodegroupName="general", updateId="nope")


# -- held updates -------------------------------------------------------------------------------


def backend() -> LocalEKSBackend:
    return localeks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def after_any_time(eks: Any, name: str, update_id: str) -> dict[str, Any]:
    """The update as described once the endpoint's clock has passed any duration: nothing waits on a timer."""
    with backend().lock:
        backend().advance(now=backend().now() + 10**9)
    return eks.describe_update(name="prod", nodegroupName=name, updateId=update_id)["update"]


def test_a_held_update_never_ends_by_itself(eks: Any, control: Control) -> None:
    assert control.behaviour("prod", "general", hold_updates=True, update_duration=0)["hold_updates"] is True
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert after_any_time(eks, "general", update["id"])["status"] == "InProgress"
    assert nodegroup(eks, "general")["status"] == "UPDATING"

    held = control.update_in_progress("prod", "general")
    assert held is not None
    assert (held["id"], held["status"], held["held"], held["type"]) == (update["id"], "InProgress", True, "VersionUpdate")
    assert (held["cluster"], held["nodegroup"], held["ended"]) == ("prod", "general", None)
    assert control.update_in_progress("prod", "web") is None

    finished = control.finish_update("prod", update["id"])
    assert (finished["status"], finished["held"]) == ("Successful", True)
    assert finished["ended"] >= finished["started"]
    assert control.update_in_progress("prod", "general") is None
    general = nodegroup(eks, "general")
    assert (general["status"], general["version"]) == ("ACTIVE", "1.31")


def test_the_hold_applies_to_every_next_update_until_lifted(eks: Any, control: Control) -> None:
    control.behaviour("prod", "general", hold_updates=True)
    config = eks.update_nodegroup_config(
        clusterName="prod", nodegroupName="general", scalingConfig={"desiredSize": 3}
    )["update"]
    held = control.update_in_progress("prod", "general")
    assert held is not None and (held["id"], held["type"], held["held"]) == (config["id"], "ConfigUpdate", True)
    control.finish_update("prod", config["id"])
    second = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert after_any_time(eks, "general", second["id"])["status"] == "InProgress"

    # lifting the hold releases nothing already held; later updates run their course
    control.behaviour("prod", "general", hold_updates=False)
    assert after_any_time(eks, "general", second["id"])["status"] == "InProgress"
    control.finish_update("prod", second["id"])
    third = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general", releaseVersion="1.31.7-20250403")
    assert after_any_time(eks, "general", third["update"]["id"])["status"] == "Successful"


def test_a_held_update_ends_as_planned(eks: Any, control: Control) -> None:
    control.behaviour(
        "prod", "general", hold_updates=True,
        fail_next_update={"error_code": "PodEvictionFailure", "error_message": "PDB", "resource_ids": ["i-1"]},
    )
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    finished = control.finish_update("prod", update["id"], status=None)
    assert finished["status"] == "Failed"
    assert finished["errors"] == [{"errorCode": "PodEvictionFailure", "errorMessage": "PDB", "resourceIds": ["i-1"]}]

    control.behaviour("prod", "general", cancel_next_update=True)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    overridden = control.finish_update("prod", update["id"], status="Failed")
    assert overridden["status"] == "Failed"
    assert overridden["errors"][0]["errorMessage"] == "Update failed."


def test_hold_every_update(eks: Any, control: Control, fleet: dict[str, Any]) -> None:
    assert control.hold_updates() is True
    first = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    second = eks.update_nodegroup_version(clusterName="prod", nodegroupName="plain")["update"]
    with backend().lock:
        backend().advance(now=backend().now() + 10**9)
    in_progress = control.updates(status="InProgress")
    assert {(u["nodegroup"], u["id"], u["held"]) for u in in_progress} == {
        ("general", first["id"], True),
        ("plain", second["id"], True),
    }

    assert control.hold_updates(False) is False
    web = eks.update_nodegroup_version(clusterName="prod", nodegroupName="web")["update"]
    assert after_any_time(eks, "web", web["id"])["status"] == "Successful"
    assert [u["id"] for u in control.updates(status="InProgress")] == [first["id"], second["id"]]

    # a reset ends the hold
    control.hold_updates(True)
    control.load_fleet(fleet)
    after_reset = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    running = control.update_in_progress("prod", "general")
    assert running is not None and (running["id"], running["held"]) == (after_reset["id"], False)


def test_updates_lists_what_ran_and_when(eks: Any, control: Control) -> None:
    before = time.time()
    done = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert after_any_time(eks, "general", done["id"])["status"] == "Successful"
    control.behaviour("prod", "plain", hold_updates=True)
    running = eks.update_nodegroup_version(clusterName="prod", nodegroupName="plain")["update"]

    listed = {u["id"]: u for u in control.updates()}
    assert set(listed) == {done["id"], running["id"]}
    ended = listed[done["id"]]
    assert (ended["cluster"], ended["nodegroup"], ended["status"], ended["held"]) == ("prod", "general", "Successful", False)
    # a timed update ends at its start plus its duration (the fleet's 0.2 s)
    assert before <= ended["started"] and ended["ended"] == pytest.approx(ended["started"] + 0.2)
    assert listed[running["id"]]["ended"] is None
    assert [u["id"] for u in control.updates("prod", "plain")] == [running["id"]]
    assert [u["id"] for u in control.updates(status="Successful")] == [done["id"]]
    assert control.updates("prod", "web") == []


def test_updates_and_behaviour_refuse_bad_input(control: Control) -> None:
    with pytest.raises(ControlError) as unknown_cluster:
        control.updates("nope")
    assert unknown_cluster.value.status == 404
    with pytest.raises(ControlError) as unknown_nodegroup:
        control.update_in_progress("prod", "nope")
    assert unknown_nodegroup.value.status == 404
    with pytest.raises(ControlError, match="give the cluster") as no_cluster:
        control.updates(nodegroup="general")
    assert no_cluster.value.status == 400
    with pytest.raises(ControlError, match="status must be one of") as status:
        control.updates(status="Done")
    assert status.value.status == 400
    with pytest.raises(ControlError, match="hold_updates must be true or false") as hold:
        control.behaviour("prod", "general", hold_updates="yes")
    assert hold.value.status == 400
    with pytest.raises(ControlError, match="update_duration must be a number") as duration:
        control.behaviour("prod", "general", update_duration=-1, hold_updates=True)
    assert duration.value.status == 400
    assert control.behaviour("prod", "general")["hold_updates"] is False  # nothing of a refused change applies
    with pytest.raises(ControlError, match="hold_updates must be true or false"):
        control.hold_updates("always")  # type: ignore[arg-type]


def test_launch_template_node_groups_leave_out_what_the_template_holds(eks: Any) -> None:
    for name in ("web", "custom"):
        described = nodegroup(eks, name)
        assert not {"diskSize", "remoteAccess", "instanceTypes"} & set(described), name
        assert set(described["resources"]) == {"autoScalingGroups"}
    general = nodegroup(eks, "general")
    assert (general["diskSize"], general["instanceTypes"]) == (20, ["m5.large"])
    assert "remoteAccess" not in general  # none was asked for
    created = eks.create_nodegroup(
        clusterName="prod", nodegroupName="fresh", nodeRole="arn:aws:iam::123456789012:role/eks-nodes",
        subnets=["subnet-0a1b2c3d4e5f60001"], launchTemplate={"name": "web-nodes"},
    )["nodegroup"]
    assert not {"diskSize", "remoteAccess", "instanceTypes"} & set(created)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"diskSize": 50}, "Disk size must be specified within the launch template."),
        ({"remoteAccess": {"ec2SshKey": "ops"}}, "Remote access configuration cannot be specified with a launch template."),
    ],
)
def test_launch_template_node_groups_refuse_disk_and_remote_access(eks: Any, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(eks.exceptions.InvalidParameterException, match=message):
        eks.create_nodegroup(
            clusterName="prod", nodegroupName="fresh", nodeRole="arn:aws:iam::123456789012:role/eks-nodes",
            subnets=["subnet-0a1b2c3d4e5f60001"], launchTemplate={"name": "web-nodes"}, **extra,
        )


def test_config_update_params_are_eks_update_param_types(eks: Any) -> None:
    import json

    from localeks.eks.models import eks_enum

    update = eks.update_nodegroup_config(
        clusterName="prod",
        nodegroupName="general",
        labels={"addOrUpdateLabels": {"team": "web", "tier": "front"}, "removeLabels": ["old"]},
        taints={"addOrUpdateTaints": [{"key": "gpu", "value": "yes", "effect": "NO_SCHEDULE"}], "removeTaints": [{"key": "spot", "effect": "NO_EXECUTE"}]},
        scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": 4},
        updateConfig={"maxUnavailablePercentage": 25},
    )["update"]
    assert all(p["type"] in eks_enum("UpdateParamType") and isinstance(p["value"], str) for p in update["params"])
    values = params(update)
    assert json.loads(values["LabelsToAdd"]) == {"team": "web", "tier": "front"}
    assert json.loads(values["LabelsToRemove"]) == ["old"]
    assert json.loads(values["TaintsToAdd"]) == [{"key": "gpu", "value": "yes", "effect": "NO_SCHEDULE"}]
    assert json.loads(values["TaintsToRemove"]) == [{"key": "spot", "effect": "NO_EXECUTE"}]
    assert (values["MinSize"], values["MaxSize"], values["DesiredSize"]) == ("1", "6", "4")
    assert values["MaxUnavailablePercentage"] == "25"
    described = eks.describe_update(name="prod", nodegroupName="general", updateId=update["id"])["update"]
    assert described["params"] == update["params"]

    only = eks.update_nodegroup_config(clusterName="prod", nodegroupName="plain", updateConfig={"maxUnavailable": 2})["update"]
    assert only["params"] == [{"type": "MaxUnavailable", "value": "2"}]
