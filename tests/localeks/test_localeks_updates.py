from __future__ import annotations

from typing import Any

import pytest

from localeks_support import nodegroup, params, wait_update

from localeks.client import Control


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
    for _ in range(5):
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
