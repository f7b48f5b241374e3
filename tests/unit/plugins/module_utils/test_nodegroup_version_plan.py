# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The planner, with plain dicts shaped like DescribeNodegroup's output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import uuid

import pytest

from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import PlanError
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import check_options
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import derive_client_request_token
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import describe_update_errors
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import in_flight_decision
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import plan_update
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import required_lookups
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import target_mismatches
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import update_mismatches

AL2023_PARAM_130 = "/aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/standard/recommended/release_version"
AL2023_PARAM_131 = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"
TEMPLATE = {"name": "web-nodes", "id": "lt-0123456789abcdef0", "version": "2"}


def nodegroup(**changes):
    described = {
        "clusterName": "prod",
        "nodegroupName": "general",
        "status": "ACTIVE",
        "version": "1.30",
        "releaseVersion": "1.30.8-20250101",
        "amiType": "AL2023_x86_64_STANDARD",
        "modifiedAt": datetime.datetime(2025, 1, 2, 3, 4, 5),
        "health": {"issues": []},
    }
    described.update(changes)
    return described


def with_template(**changes):
    return nodegroup(launchTemplate=dict(TEMPLATE), **changes)


def options(**given):
    params = {
        "cluster_name": "prod",
        "name": "general",
        "kubernetes_version": None,
        "release_version": None,
        "launch_template": None,
        "force": False,
        "client_request_token": None,
        "wait": True,
        "wait_timeout": 3600,
        "wait_delay": 30,
    }
    params.update(given)
    return params


def lookups_for(described, **given):
    return required_lookups(described, check_options(options(**given)))


def plan_for(described, facts=None, **given):
    request = check_options(options(**given))
    required_lookups(described, request)
    return plan_update(described, request, facts or {})


def refusal(call, *args, **kwargs):
    with pytest.raises(PlanError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- options on their own ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.3, 1.31, 131])
def test_unquoted_kubernetes_version_is_refused_with_the_fix(value):
    error = refusal(check_options, options(kubernetes_version=value))
    assert error.option == "kubernetes_version"
    assert "Quote the value" in error.msg


@pytest.mark.parametrize("value", ["1.31.2", "v1.31", "131", "1.", "latest", ""])
def test_malformed_kubernetes_version_is_refused(value):
    error = refusal(check_options, options(kubernetes_version=value))
    assert error.option == "kubernetes_version"
    assert "\"1.31\"" in error.msg


@pytest.mark.parametrize("value", ["1.31", "newest", "ami-0123", "1.31.4_20250203", "Latest"])
def test_malformed_release_version_is_refused(value):
    error = refusal(check_options, options(release_version=value))
    assert error.option == "release_version"
    assert "latest" in error.msg


def test_template_name_and_id_together_are_refused():
    error = refusal(check_options, options(launch_template={"name": "a", "id": "lt-1", "version": "1"}))
    assert error.option == "launch_template"
    assert "mutually exclusive" in error.msg


@pytest.mark.parametrize("value", ["latest", "0", 0, -1, "3.0", True, 2.5])
def test_malformed_template_version_is_refused(value):
    error = refusal(check_options, options(launch_template={"name": None, "id": None, "version": value}))
    assert error.option == "launch_template.version"
    assert "$Latest" in error.msg


@pytest.mark.parametrize("given, normalised", [(3, "3"), ("3", "3"), ("$Latest", "$Latest"), ("$Default", "$Default"), (None, "$Default")])
def test_template_version_is_normalised(given, normalised):
    request = check_options(options(launch_template={"name": None, "id": None, "version": given}))
    assert request["launch_template"]["version"] == normalised


@pytest.mark.parametrize("option", ["wait_timeout", "wait_delay"])
@pytest.mark.parametrize("value", [0, -5])
def test_non_positive_durations_are_refused(option, value):
    error = refusal(check_options, options(**{option: value}))
    assert error.option == option


# -- Kubernetes version ------------------------------------------------------------------------


def test_same_kubernetes_version_is_a_noop_without_lookups():
    described = nodegroup(version="1.31", releaseVersion="1.31.1-20250101")
    lookups = lookups_for(described, kubernetes_version="1.31")
    assert lookups == {"cluster_version": False, "release_parameter": None, "release_required": False, "launch_template_version": None}
    plan = plan_for(described, kubernetes_version="1.31")
    assert plan.action == "none"
    assert plan.request is None
    assert "already has Kubernetes 1.31" in plan.reason


def test_kubernetes_version_upgrade_reads_cluster_and_predicts_release():
    lookups = lookups_for(nodegroup(), kubernetes_version="1.31")
    assert lookups["cluster_version"] is True
    assert lookups["release_parameter"] == AL2023_PARAM_131
    assert lookups["release_required"] is False
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.31.4-20250203"}, kubernetes_version="1.31")
    assert plan.action == "update"
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31", "releaseVersion": "1.31.4-20250203"}
    assert plan.after == {"version": "1.31", "release_version": "1.31.4-20250203", "launch_template_version": None}
    assert plan.before["version"] == "1.30"


def test_kubernetes_version_upgrade_without_known_latest_leaves_release_to_eks():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release_error": "denied"}, kubernetes_version="1.31")
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31"}
    assert plan.after["release_version"] is None
    assert "release 1.30.8-20250101 -> latest" in plan.reason


def test_kubernetes_version_may_skip_minors_up_to_the_cluster():
    plan = plan_for(nodegroup(version="1.29", releaseVersion="1.29.9-20250101"), {"cluster_version": "1.31"}, kubernetes_version="1.31")
    assert plan.request["version"] == "1.31"


def test_kubernetes_version_rollback_is_refused_before_lookups():
    error = refusal(lookups_for, nodegroup(version="1.31", releaseVersion="1.31.1-20250101"), kubernetes_version="1.30")
    assert error.option == "kubernetes_version"
    assert "older than" in error.msg and "roll" in error.msg


def test_kubernetes_version_newer_than_cluster_is_refused():
    error = refusal(plan_for, nodegroup(), {"cluster_version": "1.30"}, kubernetes_version="1.31")
    assert error.option == "kubernetes_version"
    assert "newer than cluster prod's version 1.30" in error.msg
    assert "Upgrade the cluster first" in error.msg


def test_minor_versions_compare_numerically():
    # 1.9 -> 1.10 is an upgrade, not a rollback
    plan = plan_for(nodegroup(version="1.9", releaseVersion="1.9.1-20200101"), {"cluster_version": "1.10"}, kubernetes_version="1.10")
    assert plan.request["version"] == "1.10"


# -- exact release ---------------------------------------------------------------------------------


def test_same_exact_release_is_a_noop_without_lookups():
    lookups = lookups_for(nodegroup(), release_version="1.30.8-20250101")
    assert lookups["release_parameter"] is None and not lookups["cluster_version"]
    assert plan_for(nodegroup(), release_version="1.30.8-20250101").action == "none"


def test_newer_exact_release_is_sent_as_is():
    plan = plan_for(nodegroup(), release_version="1.30.9-20250301")
    # the version is pinned too: without it EKS would move the node group to the cluster's version
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.30", "releaseVersion": "1.30.9-20250301"}
    assert plan.after["release_version"] == "1.30.9-20250301"


def test_older_exact_release_is_refused():
    error = refusal(lookups_for, nodegroup(), release_version="1.30.7-20241201")
    assert error.option == "release_version"
    assert "older than" in error.msg and "1.30.8-20250101" in error.msg


def test_release_of_a_newer_minor_without_kubernetes_version_says_to_set_it():
    error = refusal(lookups_for, nodegroup(), release_version="1.31.4-20250203")
    assert error.option == "release_version"
    assert "belongs to Kubernetes 1.31" in error.msg
    assert "set kubernetes_version: \"1.31\" too" in error.msg


def test_release_of_another_minor_than_the_target_is_refused():
    error = refusal(lookups_for, nodegroup(), kubernetes_version="1.31", release_version="1.30.9-20250301")
    assert error.option == "release_version"
    assert "choose a 1.31 release" in error.msg


def test_kubernetes_version_and_release_together():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31"}, kubernetes_version="1.31", release_version="1.31.2-20250115")
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31", "releaseVersion": "1.31.2-20250115"}
    # the current release belongs to the old minor: an older date on the new minor is no rollback
    plan = plan_for(nodegroup(releaseVersion="1.30.9-20250601"), {"cluster_version": "1.31"}, kubernetes_version="1.31", release_version="1.31.0-20240901")
    assert plan.request["releaseVersion"] == "1.31.0-20240901"


def test_bottlerocket_releases_are_compared_by_version():
    described = nodegroup(amiType="BOTTLEROCKET_x86_64", version="1.32", releaseVersion="1.30.0-aaaa1111")
    assert plan_for(described, release_version="1.31.1-bbbb2222").request["releaseVersion"] == "1.31.1-bbbb2222"
    assert refusal(lookups_for, described, release_version="1.29.0-cccc3333").option == "release_version"


# -- latest release ----------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [{"release_version": "latest"}, {}], ids=["latest", "no-target-options"])
def test_latest_reads_the_ssm_parameter_of_the_current_minor(given):
    lookups = lookups_for(nodegroup(), **given)
    assert lookups == {"cluster_version": False, "release_parameter": AL2023_PARAM_130, "release_required": True, "launch_template_version": None}


@pytest.mark.parametrize("given", [{"release_version": "latest"}, {}], ids=["latest", "no-target-options"])
def test_newer_latest_release_is_sent_exactly(given):
    plan = plan_for(nodegroup(), {"latest_release": "1.30.9-20250301"}, **given)
    assert plan.action == "update"
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.30", "releaseVersion": "1.30.9-20250301"}


@pytest.mark.parametrize("given", [{"release_version": "latest"}, {}], ids=["latest", "no-target-options"])
def test_already_latest_is_a_noop(given):
    assert plan_for(nodegroup(), {"latest_release": "1.30.8-20250101"}, **given).action == "none"


def test_ssm_reporting_an_older_latest_is_a_noop_not_a_rollback():
    plan = plan_for(nodegroup(), {"latest_release": "1.30.7-20241201"}, release_version="latest")
    assert plan.action == "none"
    assert "older: nothing to roll back" in plan.reason


def test_unknown_latest_is_refused_with_the_reason():
    error = refusal(plan_for, nodegroup(), {"latest_release_error": "SSM parameter /x does not exist"}, release_version="latest")
    assert error.option == "release_version"
    assert "SSM parameter /x does not exist" in error.msg
    assert "exact release" in error.msg


def test_latest_on_windows_says_aws_publishes_ami_ids_only():
    described = nodegroup(amiType="WINDOWS_CORE_2022_x86_64", releaseVersion="1.30.9-20250212")
    lookups = lookups_for(described)
    assert lookups["release_parameter"] is None and lookups["release_required"] is True
    error = refusal(plan_for, described)
    assert error.option == "release_version"
    assert "only AMI ids" in error.msg and "/aws/service/ami-windows-latest/" in error.msg
    assert "Windows releases are" in error.msg and "Set release_version to an exact release" in error.msg


def test_latest_with_kubernetes_version_uses_the_new_minor():
    lookups = lookups_for(nodegroup(), kubernetes_version="1.31", release_version="latest")
    assert lookups["release_parameter"] == AL2023_PARAM_131
    assert lookups["release_required"] is False
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.31.4-20250203"}, kubernetes_version="1.31", release_version="latest")
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31", "releaseVersion": "1.31.4-20250203"}


def test_kubernetes_version_already_there_with_latest_moves_the_release():
    described = nodegroup(version="1.31", releaseVersion="1.31.1-20250101")
    plan = plan_for(described, {"latest_release": "1.31.4-20250203"}, kubernetes_version="1.31", release_version="latest")
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31", "releaseVersion": "1.31.4-20250203"}


# -- launch template ------------------------------------------------------------------------------------


def test_same_template_number_is_a_noop_without_lookups():
    lookups = lookups_for(with_template(), launch_template={"version": 2})
    assert lookups["launch_template_version"] is None
    assert plan_for(with_template(), launch_template={"version": 2}).action == "none"


def test_other_template_number_is_checked_and_sent_by_id():
    assert lookups_for(with_template(), launch_template={"version": 3})["launch_template_version"] == "3"
    plan = plan_for(with_template(), {"launch_template_version": "3"}, launch_template={"version": 3})
    # only the template moves: version and release are pinned to what the node group has
    assert plan.request == {
        "clusterName": "prod",
        "nodegroupName": "general",
        "version": "1.30",
        "releaseVersion": "1.30.8-20250101",
        "launchTemplate": {"id": TEMPLATE["id"], "version": "3"},
    }
    assert plan.after == dict(plan.before, launch_template_version="3")


@pytest.mark.parametrize("alias", ["$Latest", "$Default"])
def test_template_aliases_are_resolved_before_comparing(alias):
    assert lookups_for(with_template(), launch_template={"version": alias})["launch_template_version"] == alias
    assert plan_for(with_template(), {"launch_template_version": "2"}, launch_template={"version": alias}).action == "none"
    plan = plan_for(with_template(), {"launch_template_version": "5"}, launch_template={"version": alias})
    assert plan.request["launchTemplate"] == {"id": TEMPLATE["id"], "version": "5"}


def test_template_named_by_the_user_is_sent_as_named():
    plan = plan_for(with_template(), {"launch_template_version": "3"}, launch_template={"name": "web-nodes", "version": 3})
    assert plan.request["launchTemplate"] == {"name": "web-nodes", "version": "3"}
    plan = plan_for(with_template(), {"launch_template_version": "3"}, launch_template={"id": TEMPLATE["id"], "version": 3})
    assert plan.request["launchTemplate"] == {"id": TEMPLATE["id"], "version": "3"}


@pytest.mark.parametrize("key, value", [("name", "other-nodes"), ("id", "lt-0fffffffffffffff0")])
def test_template_other_than_the_nodegroups_is_refused(key, value):
    error = refusal(lookups_for, with_template(), launch_template={key: value, "version": 3})
    assert error.option == "launch_template." + key
    assert "web-nodes" in error.msg and "cannot be replaced" in error.msg


def test_template_on_a_nodegroup_without_one_is_refused():
    error = refusal(lookups_for, nodegroup(), launch_template={"version": "$Latest"})
    assert error.option == "launch_template"
    assert "without a launch template" in error.msg


def test_template_with_kubernetes_version_in_one_request():
    plan = plan_for(with_template(), {"cluster_version": "1.31", "launch_template_version": "3"}, kubernetes_version="1.31", launch_template={"version": "3"})
    assert plan.request["version"] == "1.31"
    assert plan.request["launchTemplate"]["version"] == "3"


# -- custom AMI, status ---------------------------------------------------------------------------------


def custom_ami():
    return with_template(amiType="CUSTOM", releaseVersion="ami-0c0ffee0000000001")


@pytest.mark.parametrize("given", [{"kubernetes_version": "1.31"}, {"release_version": "latest"}, {"release_version": "1.30.9-20250301"}])
def test_version_or_release_on_custom_ami_is_refused(given):
    option = list(given)[0]
    error = refusal(lookups_for, custom_ami(), **given)
    assert error.option == option
    assert "custom AMI" in error.msg and "launch_template.version" in error.msg


def test_no_target_on_custom_ami_is_refused():
    error = refusal(lookups_for, custom_ami())
    assert error.option == "launch_template"
    assert "no latest EKS release" in error.msg


def test_template_on_custom_ami_is_planned():
    plan = plan_for(custom_ami(), {"launch_template_version": "3"}, launch_template={"version": "$Latest"})
    # EKS refuses version and release for custom AMIs: the template alone is sent
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "launchTemplate": {"id": TEMPLATE["id"], "version": "3"}}
    assert plan.after["release_version"] == "ami-0c0ffee0000000001"  # the template names no other AMI
    moved = plan_for(custom_ami(), {"launch_template_version": "3", "launch_template_image_id": "ami-0c0ffee0000000003"}, launch_template={"version": 3})
    # a custom-AMI node group's release is the AMI its template version names
    assert moved.after == {"version": "1.30", "release_version": "ami-0c0ffee0000000003", "launch_template_version": "3"}
    assert lookups_for(custom_ami(), launch_template={"version": "$Latest"})["release_parameter"] is None


@pytest.mark.parametrize("status, words", [
    ("CREATING", "still being created"),
    ("DELETING", "being deleted"),
    ("CREATE_FAILED", "failed to be created"),
    ("DELETE_FAILED", "failed to be deleted"),
])
def test_nodegroup_not_active_is_refused_saying_what_it_does(status, words):
    error = refusal(lookups_for, nodegroup(status=status), kubernetes_version="1.31")
    assert words in error.msg and status in error.msg and "Wait until it is ACTIVE" in error.msg


def test_degraded_nodegroup_names_its_health_issues():
    described = nodegroup(status="DEGRADED", health={"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]})
    error = refusal(lookups_for, described, kubernetes_version="1.31")
    assert "AsgInstanceLaunchFailures: no capacity" in error.msg


def test_updating_nodegroup_is_planned():
    plan = plan_for(nodegroup(status="UPDATING"), {"cluster_version": "1.31"}, kubernetes_version="1.31")
    assert plan.action == "update"


def test_force_is_sent_only_when_asked():
    assert "force" not in plan_for(nodegroup(), release_version="1.30.9-20250301").request
    assert plan_for(nodegroup(), release_version="1.30.9-20250301", force=True).request["force"] is True


# -- updates in flight ----------------------------------------------------------------------------------


def version_update(status="InProgress", kind="VersionUpdate", **params):
    return {"id": "u-1", "status": status, "type": kind, "params": [{"type": key, "value": value} for key, value in params.items()]}


def test_update_to_the_same_target_is_attached():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.31.4-20250203"}, kubernetes_version="1.31")
    assert in_flight_decision(plan, version_update(Version="1.31", ReleaseVersion="1.31.4-20250203")) == "attach"
    assert in_flight_decision(plan, version_update(Version="1.31", ReleaseVersion="1.31.5-20250301")) == "other"
    # latest not known: EKS chooses the release, so any release the update names is the target's
    unknown = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release_error": "denied"}, kubernetes_version="1.31")
    assert in_flight_decision(unknown, version_update(Version="1.31", ReleaseVersion="1.31.5-20250301")) == "attach"


def test_update_to_another_target_is_not_attached():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31"}, kubernetes_version="1.31")
    assert in_flight_decision(plan, version_update(Version="1.30", ReleaseVersion="1.30.9-20250301")) == "other"
    release_plan = plan_for(nodegroup(), release_version="1.30.9-20250301")
    assert in_flight_decision(release_plan, version_update(Version="1.30", ReleaseVersion="1.30.10-20250401")) == "other"
    template_plan = plan_for(with_template(), {"launch_template_version": "3"}, launch_template={"version": 3})
    pinned = {"Version": "1.30", "ReleaseVersion": "1.30.8-20250101"}
    assert in_flight_decision(template_plan, version_update(LaunchTemplateVersion="4", **pinned)) == "other"
    assert in_flight_decision(template_plan, version_update(LaunchTemplateVersion="3", LaunchTemplateName="web-nodes", **pinned)) == "attach"


def test_config_update_in_flight_is_another_update():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31"}, kubernetes_version="1.31")
    assert in_flight_decision(plan, version_update(kind="ConfigUpdate", DesiredSize="3")) == "other"


# -- token, errors -------------------------------------------------------------------------------------------


def test_token_is_a_deterministic_uuid_of_request_and_state():
    described = nodegroup()
    request = {"clusterName": "prod", "nodegroupName": "general", "version": "1.31"}
    token = derive_client_request_token(described, request)
    assert uuid.UUID(token).version == 5
    assert token == derive_client_request_token(nodegroup(), dict(request))
    assert token != derive_client_request_token(described, dict(request, force=True))
    assert token != derive_client_request_token(nodegroup(releaseVersion="1.30.9-20250301"), request)
    assert token != derive_client_request_token(nodegroup(modifiedAt=datetime.datetime(2025, 2, 1)), request)
    # the status is not part of it: a re-run that sees UPDATING after a lost response keeps the token
    assert token == derive_client_request_token(nodegroup(status="UPDATING"), request)


def test_every_error_of_a_failed_update_is_described():
    update = {
        "errors": [
            {"errorCode": "PodEvictionFailure", "errorMessage": "Reached max retries", "resourceIds": ["ip-10-0-0-1", "ip-10-0-0-2"]},
            {"errorCode": "NodeCreationFailure", "errorMessage": "Instances failed to join", "resourceIds": []},
        ]
    }
    assert describe_update_errors(update) == [
        "PodEvictionFailure: Reached max retries (resources: ip-10-0-0-1, ip-10-0-0-2)",
        "NodeCreationFailure: Instances failed to join (resources: none)",
    ]


# -- strict options ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1.31\n", "01.31", "1.031", "\uff11.\uff13\uff11", "1.3\u0661", "1.31\r\n"])
def test_kubernetes_version_is_ascii_whole_and_canonical(value):
    error = refusal(check_options, options(kubernetes_version=value))
    assert error.option == "kubernetes_version"
    assert "\"1.31\"" in error.msg and "no leading zeros" in error.msg


@pytest.mark.parametrize("value", [
    "1.31.7-20250403\n",
    "01.31.7-20250403",
    "1.31.07-20250403",
    "1.031.7-20250403",
    "1.31.7-2025040\uff13",
    "1.3\u0661.7-20250403",
    "1.32.0-CAFE0123",
    "1.32.0-cafe01234",
])
def test_release_version_is_ascii_whole_and_canonical(value):
    error = refusal(check_options, options(release_version=value))
    assert error.option == "release_version"
    assert "\"1.31.4-20250203\"" in error.msg and "\"1.32.0-cafe0123\"" in error.msg


@pytest.mark.parametrize("value", ["1.31", "1.9", "1.10", "0.1"])
def test_canonical_kubernetes_versions_are_accepted(value):
    assert check_options(options(kubernetes_version=value))["kubernetes_version"] == value


@pytest.mark.parametrize("value", ["3\n", "\u0663", "\uff13", "$latest", "$Latest\n", "+3", " 3", 2 ** 63, str(2 ** 63), -(2 ** 63)])
def test_template_version_is_exact_and_bounded(value):
    error = refusal(check_options, options(launch_template={"version": value}))
    assert error.option == "launch_template.version"
    assert "$Latest" in error.msg and str(2 ** 63 - 1) in error.msg


@pytest.mark.parametrize("value", [2 ** 63 - 1, str(2 ** 63 - 1)])
def test_largest_template_version_ec2_takes_is_accepted(value):
    assert check_options(options(launch_template={"version": value}))["launch_template"]["version"] == str(2 ** 63 - 1)


@pytest.mark.parametrize("option, longest", [("cluster_name", 100), ("name", 63)])
@pytest.mark.parametrize("value", ["", " prod", "prod\n", "pr\u00f6d", "pr\x00d", "-prod", "_prod", "prod.eu", "prod eu", "\uff50rod", None, 5, ["prod"]])
def test_eks_names_are_refused_unless_eks_takes_them(option, longest, value):
    error = refusal(check_options, options(**{option: value}))
    assert error.option == option
    assert error.msg.startswith(option + " ")


@pytest.mark.parametrize("option, longest", [("cluster_name", 100), ("name", 63)])
def test_eks_names_are_bounded_as_eks_bounds_them(option, longest):
    assert check_options(options(**{option: "a" * longest}))[option] == "a" * longest
    assert check_options(options(**{option: "0Prod_eu-1"}))[option] == "0Prod_eu-1"
    error = refusal(check_options, options(**{option: "a" * (longest + 1)}))
    assert error.option == option and "1 to %d characters" % longest in error.msg


@pytest.mark.parametrize("option", ["cluster_name", "name"])
def test_missing_names_are_refused(option):
    params = options()
    del params[option]
    error = refusal(check_options, params)
    assert error.option == option and "required" in error.msg


@pytest.mark.parametrize("key", ["name", "id"])
@pytest.mark.parametrize("value", ["", " ", "web nodes\n", "w\u00e9b", 7])
def test_empty_or_malformed_template_name_or_id_is_refused(key, value):
    error = refusal(check_options, options(launch_template={key: value, "version": 3}))
    assert error.option == "launch_template." + key
    assert ("launch_template.%s" % key) in error.msg and "leave launch_template.%s out" % key in error.msg


@pytest.mark.parametrize("value", ["", "tok\x00en", "t\u00f8ken", "\ud800", "line\nbreak", 42])
def test_unusable_client_request_token_is_refused(value):
    error = refusal(check_options, options(client_request_token=value))
    assert error.option == "client_request_token"
    assert "printable ASCII" in error.msg and "leave client_request_token out" in error.msg


def test_printable_client_request_token_is_accepted():
    check_options(options(client_request_token="nightly run 2025-04-03 #1"))


@pytest.mark.parametrize("option, longest", [("wait_timeout", 604800), ("wait_delay", 3600)])
@pytest.mark.parametrize("value", [True, False, 1.5, 30.0, "30", None.__class__, 10 ** 400, -(10 ** 400), "over"])
def test_durations_must_be_whole_seconds_in_range(option, longest, value):
    error = refusal(check_options, options(**{option: value}))
    assert error.option == option
    assert error.msg.startswith(option + " ") and ("from 1 to %d" % longest) in error.msg
    assert len(error.msg) < 200


@pytest.mark.parametrize("option, longest", [("wait_timeout", 604800), ("wait_delay", 3600)])
def test_durations_are_bounded(option, longest):
    check_options(options(**{option: longest}))
    error = refusal(check_options, options(**{option: longest + 1}))
    assert "is %d;" % (longest + 1) in error.msg and "from 1 to %d" % longest in error.msg


def test_huge_numbers_are_abbreviated_in_messages():
    for option in ("wait_timeout", "kubernetes_version"):
        error = refusal(check_options, options(**{option: 10 ** 400}))
        assert "0" * 50 not in error.msg
        assert "about 401 digits" in error.msg
    error = refusal(check_options, options(release_version="1" * 5000))
    assert "1" * 100 not in error.msg and "5000 characters" in error.msg


ODD_VALUES = [None, [], ["1.31"], {}, {"a": 1}, 10 ** 400, -(10 ** 400), 2 ** 64, True, False, 0, -1, 1.5, float("nan"),
              float("inf"), b"1.31", bytearray(b"x"), "\ud800", "\x00", "\u202e", "1.31\n", object(), ("1", "31")]


@pytest.mark.parametrize("option", ["cluster_name", "name", "kubernetes_version", "release_version", "launch_template", "force",
                                    "client_request_token", "wait", "wait_timeout", "wait_delay"])
def test_odd_values_raise_plan_errors_only(option):
    for value in ODD_VALUES:
        try:
            check_options(options(**{option: value}))
        except PlanError as e:
            assert e.option == option
            assert option in e.msg
    for value in ODD_VALUES:
        try:
            check_options(options(launch_template={"name": value, "version": value}))
        except PlanError as e:
            assert e.option.startswith("launch_template")


@pytest.mark.parametrize("value", [None, [], "options", 3])
def test_options_that_are_not_a_dict_are_refused(value):
    assert "dict" in refusal(check_options, value).msg


# -- release families ---------------------------------------------------------------------------------------


def rocket(**changes):
    return nodegroup(**dict({"amiType": "BOTTLEROCKET_x86_64", "version": "1.32", "releaseVersion": "1.34.0-d2a1f0e5"}, **changes))


def test_bottlerocket_release_with_an_all_digit_commit_is_a_bottlerocket_release():
    plan = plan_for(rocket(), release_version="1.40.0-12345678")
    assert plan.request["releaseVersion"] == "1.40.0-12345678"
    assert plan.request["version"] == "1.32"
    assert refusal(lookups_for, rocket(releaseVersion="1.40.0-12345678"), release_version="1.34.0-d2a1f0e5").option == "release_version"


@pytest.mark.parametrize("current, latest", [("1.34.0-d2a1f0e5", "1.40.0-12345678"), ("1.40.0-12345678", "1.42.0-5be0c2f1")])
def test_bottlerocket_latest_with_an_all_digit_commit_is_compared_as_bottlerocket(current, latest):
    plan = plan_for(rocket(releaseVersion=current), {"latest_release": latest}, release_version="latest")
    assert plan.action == "update"
    assert plan.request["releaseVersion"] == latest


def test_bottlerocket_latest_older_than_an_all_digit_commit_release_is_a_noop():
    plan = plan_for(rocket(releaseVersion="1.40.0-12345678"), {"latest_release": "1.34.0-d2a1f0e5"}, release_version="latest")
    assert plan.action == "none"
    assert "which is older" in plan.reason


@pytest.mark.parametrize("ami_type", ["AL2023_x86_64_STANDARD", "AL2_ARM_64", "WINDOWS_FULL_2022_x86_64"])
def test_bottlerocket_release_on_a_dated_ami_type_is_refused_before_lookups(ami_type):
    error = refusal(lookups_for, nodegroup(amiType=ami_type), release_version="1.30.0-cafe0123")
    assert error.option == "release_version"
    assert "is a Bottlerocket release" in error.msg and ami_type in error.msg
    assert "-2025" in error.msg  # an example of the right form


def test_dated_release_on_bottlerocket_is_refused_before_lookups():
    error = refusal(lookups_for, rocket(), release_version="1.32.7-20250715")
    assert error.option == "release_version"
    assert "Amazon Linux or Windows release" in error.msg
    assert "\"1.32.0-cafe0123\"" in error.msg


def test_windows_releases_name_their_minor():
    windows = nodegroup(amiType="WINDOWS_CORE_2022_x86_64", version="1.31", releaseVersion="1.31.5-20250212")
    assert plan_for(windows, release_version="1.31.7-20250409").request["releaseVersion"] == "1.31.7-20250409"
    assert "set kubernetes_version: \"1.32\" too" in refusal(lookups_for, windows, release_version="1.32.3-20250409").msg
    assert "older than" in refusal(lookups_for, windows, release_version="1.31.2-20241112").msg


def test_latest_of_another_family_or_minor_from_ssm_is_not_trusted():
    error = refusal(plan_for, nodegroup(), {"latest_release": "1.30.9-cafe0123"}, release_version="latest")
    assert error.option == "release_version" and "not a release of that AMI type and minor" in error.msg
    error = refusal(plan_for, nodegroup(), {"latest_release": "1.31.9-20250301"})
    assert "not a release of that AMI type and minor" in error.msg
    # on a version change SSM's answer only predicts EKS's choice: a wrong one is left out
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.30.9-20250301"}, kubernetes_version="1.31")
    assert plan.request == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31"}


# -- status: only an update needs an ACTIVE node group ---------------------------------------------------------


NOT_UPDATABLE = ["DEGRADED", "CREATING", "DELETING", "CREATE_FAILED", "DELETE_FAILED"]


@pytest.mark.parametrize("status", NOT_UPDATABLE)
@pytest.mark.parametrize("facts, given", [
    ({}, {"kubernetes_version": "1.30"}),
    ({}, {"release_version": "1.30.8-20250101"}),
    ({"latest_release": "1.30.8-20250101"}, {"release_version": "latest"}),
    ({"latest_release": "1.30.8-20250101"}, {}),
    ({"latest_release": "1.30.7-20241201"}, {}),
    ({"launch_template_version": "2"}, {"launch_template": {"version": "$Latest"}}),
    ({}, {"launch_template": {"version": 2}}),
], ids=["version", "release", "latest", "no-target", "older-latest", "template-alias", "template-number"])
def test_already_at_the_target_is_a_noop_whatever_the_status(status, facts, given):
    described = with_template(status=status, health={"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]})
    plan = plan_for(described, facts, **given)
    assert plan.action == "none"
    assert plan.request is None


@pytest.mark.parametrize("status", NOT_UPDATABLE)
def test_not_updatable_nodegroup_is_looked_up_then_refused_when_an_update_is_needed(status):
    described = with_template(status=status)
    lookups = lookups_for(described, release_version="latest")
    assert lookups["release_parameter"] == AL2023_PARAM_130
    error = refusal(plan_for, described, {"latest_release": "1.30.9-20250301"}, release_version="latest")
    assert status in error.msg and "Wait until it is ACTIVE" in error.msg
    assert lookups_for(described, launch_template={"version": "$Latest"})["launch_template_version"] == "$Latest"
    assert "Wait until it is ACTIVE" in refusal(plan_for, described, {"launch_template_version": "3"}, launch_template={"version": "$Latest"}).msg


@pytest.mark.parametrize("given", [{"kubernetes_version": "1.31"}, {"release_version": "1.30.9-20250301"}, {"launch_template": {"version": 3}}])
def test_not_updatable_nodegroup_asked_for_a_certain_change_is_refused_before_lookups(given):
    error = refusal(lookups_for, with_template(status="DEGRADED"), **given)
    assert "is degraded" in error.msg


def test_other_refusals_still_come_first_on_a_degraded_nodegroup():
    degraded = custom_ami()
    degraded["status"] = "DEGRADED"
    assert "custom AMI" in refusal(lookups_for, degraded, kubernetes_version="1.30").msg
    assert "older than" in refusal(lookups_for, nodegroup(status="DEGRADED"), release_version="1.30.7-20241201").msg


# -- verification -----------------------------------------------------------------------------------------------


def test_target_mismatches_of_a_nodegroup_at_the_target_are_none():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.31.4-20250203"}, kubernetes_version="1.31")
    assert target_mismatches(plan, nodegroup(version="1.31", releaseVersion="1.31.4-20250203", status="DEGRADED")) == []


def test_target_mismatches_name_each_difference():
    plan = plan_for(with_template(version="1.31", releaseVersion="1.31.3-20250123"), {"launch_template_version": "3"},
                    release_version="1.31.7-20250403", launch_template={"version": 3})
    ended = with_template(version="1.31", releaseVersion="1.31.4-20250203")
    assert target_mismatches(plan, ended) == [
        "release_version is 1.31.4-20250203, the target is 1.31.7-20250403",
        "launch_template.version is 2, the target is 3",
    ]
    assert target_mismatches(plan, nodegroup(version="1.30", releaseVersion="1.31.7-20250403")) == [
        "kubernetes_version is 1.30, the target is 1.31",
        "launch_template.version is None, the target is 3",
    ]


def test_release_eks_picks_must_belong_to_the_new_minor():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release_error": "denied"}, kubernetes_version="1.31")
    assert plan.after["release_version"] is None
    assert target_mismatches(plan, nodegroup(version="1.31", releaseVersion="1.31.9-20250601")) == []
    assert target_mismatches(plan, nodegroup(version="1.31", releaseVersion="1.30.8-20250101")) == [
        "release_version is 1.30.8-20250101, which is not a release of Kubernetes 1.31"
    ]
    # Bottlerocket releases do not name the minor: any release EKS picks is the target's
    moved = plan_for(rocket(version="1.31"), {"cluster_version": "1.32"}, kubernetes_version="1.32")
    assert target_mismatches(moved, rocket(releaseVersion="1.34.0-d2a1f0e5")) == []


def test_update_mismatches_and_in_flight_decision_agree():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release": "1.31.4-20250203"}, kubernetes_version="1.31")
    same = version_update(Version="1.31", ReleaseVersion="1.31.4-20250203")
    assert update_mismatches(plan, same) == [] and in_flight_decision(plan, same) == "attach"
    other = version_update(Version="1.31", ReleaseVersion="1.31.5-20250301")
    assert update_mismatches(plan, other) == ["update u-1 has ReleaseVersion 1.31.5-20250301, the target is 1.31.4-20250203"]
    assert in_flight_decision(plan, other) == "other"
    assert update_mismatches(plan, version_update(Version="1.31")) == ["update u-1 names no ReleaseVersion, the target is 1.31.4-20250203"]
    assert update_mismatches(plan, version_update(kind="ConfigUpdate", DesiredSize="3")) == ["update u-1 is a ConfigUpdate, not a VersionUpdate"]


def test_update_mismatches_when_eks_picks_the_release():
    plan = plan_for(nodegroup(), {"cluster_version": "1.31", "latest_release_error": "denied"}, kubernetes_version="1.31")
    assert update_mismatches(plan, version_update(Version="1.31")) == []
    assert update_mismatches(plan, version_update(Version="1.31", ReleaseVersion="1.31.5-20250301")) == []
    wrong = version_update(Version="1.31", ReleaseVersion="1.30.9-20250301")
    assert update_mismatches(plan, wrong) == ["update u-1 has ReleaseVersion 1.30.9-20250301, which is not a release of Kubernetes 1.31"]
    assert in_flight_decision(plan, wrong) == "other"
