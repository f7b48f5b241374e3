"""eks_nodegroup_version_info end to end: the report's flags, latest releases, updates in flight and its calls.

Releases come from the endpoint's catalogue (AL2023 1.30: oldest 1.30.4-20241024, latest 1.30.11-20250403;
1.31: oldest 1.31.0-20241024, latest 1.31.7-20250403).
"""

import collections

import pytest

from conftest import REGION
from fleets import LATEST_131
from fleet_helpers import INFO

LATEST_130 = "1.30.11-20250403"
AL2023_131 = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"

FLEET = {
    "region": REGION,
    "defaults": {"update_duration": 1},
    "launch_templates": [
        {"name": "web-nodes", "versions": 3, "default_version": 2},
        {"name": "custom-nodes", "versions": 2, "image_id": ["ami-0c0ffee0000000001", "ami-0c0ffee0000000002"]},
    ],
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                {"name": "old", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.0-20241024"},
                {"name": "current", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131},
                {"name": "web", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131,
                 "launch_template": {"name": "web-nodes", "version": 1}},
                {"name": "web2", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131,
                 "launch_template": {"name": "web-nodes", "version": 3}},
                {"name": "custom", "version": "1.31", "launch_template": {"name": "custom-nodes", "version": 1}},
                {"name": "windows", "version": "1.31", "ami_type": "WINDOWS_CORE_2022_x86_64"},
                {"name": "rocket", "version": "1.31", "ami_type": "BOTTLEROCKET_x86_64"},
            ],
        },
        {"name": "edge", "version": "1.30", "nodegroups": [
            {"name": "small", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_130}]},
    ],
}


@pytest.fixture
def fleet(control):
    control.load_fleet(FLEET)
    control.clear_requests()
    return control


def calls(control):
    return collections.Counter((entry["service"], entry["operation"]) for entry in control.requests())


def by_name(result):
    return dict(("%s/%s" % (entry["cluster"], entry["name"]), entry) for entry in result["nodegroups"])


def test_report_flags_latest_releases_and_reasons_with_bounded_calls(fleet, ansible):
    run = ansible.run(module=INFO)
    assert not run.failed and not run.changed, run
    report = by_name(run.result)
    assert sorted(report) == ["edge/small"] + ["prod/" + name for name in sorted(
        ["general", "old", "current", "web", "web2", "custom", "windows", "rocket"])]

    general = report["prod/general"]
    assert general["kubernetes_behind"] and general["behind"] and general["cluster_version"] == "1.31"
    assert general["latest_release"] == LATEST_130  # the latest of its own minor
    assert general["upgrade"] == {"kubernetes_version": "1.31"}

    old = report["prod/old"]
    assert old["release_behind"] and not old["kubernetes_behind"] and not old["template_behind"]
    assert old["latest_release"] == LATEST_131 and old["release_parameter"] == AL2023_131
    assert old["upgrade"] == {"release_version": LATEST_131}

    current = report["prod/current"]
    assert not current["behind"] and current["upgrade"] is None and current["upgrade_reason"] == "up to date"

    web, web2 = report["prod/web"], report["prod/web2"]
    assert web["template_behind"] and web["launch_template_latest_version"] == "3" and web["launch_template"]["version"] == "1"
    assert web["upgrade"] == {"launch_template": {"version": "3"}}
    assert not web2["behind"]

    custom = report["prod/custom"]
    assert custom["ami_type"] == "CUSTOM" and custom["latest_release"] is None and "custom AMI" in custom["latest_release_reason"]
    assert custom["template_behind"] and custom["upgrade"] == {"launch_template": {"version": "2"}}

    windows = report["prod/windows"]
    assert windows["latest_release"] is None and "Windows" in windows["latest_release_reason"] and not windows["behind"]

    rocket = report["prod/rocket"]
    assert rocket["release_behind"] and rocket["upgrade"] == {"release_version": rocket["latest_release"]}
    assert rocket["latest_release"] and rocket["release_parameter"].startswith("/aws/service/bottlerocket/aws-k8s-1.31/")

    assert not report["edge/small"]["behind"] and report["edge/small"]["cluster_version"] == "1.30"
    assert sorted(run.result["clusters"], key=lambda cluster: cluster["name"]) == [
        {"name": "edge", "version": "1.30", "nodegroups": 1}, {"name": "prod", "version": "1.31", "nodegroups": 8}]
    assert run.result["summary"] == {"clusters": 2, "nodegroups": 9, "behind": 5, "kubernetes_behind": 1, "release_behind": 3,
                                     "template_behind": 2, "update_in_progress": 0, "upgradable": 5}

    # Bounded: one DescribeCluster per cluster, one GetParameters for the 4 parameters of 9 node groups,
    # one DescribeLaunchTemplateVersions per distinct template; nothing written.
    counted = calls(fleet)
    assert counted[("eks", "ListClusters")] == 1
    assert counted[("eks", "DescribeCluster")] == 2
    assert counted[("eks", "ListNodegroups")] == 2
    assert counted[("eks", "DescribeNodegroup")] == 9
    assert counted[("ssm", "GetParameters")] == 1 and counted[("ssm", "GetParameter")] == 0
    assert counted[("ec2", "DescribeLaunchTemplateVersions")] == 2
    assert counted[("eks", "ListUpdates")] == 0
    assert not [key for key in counted if key[1].startswith(("Update", "Create", "Delete"))]


def test_one_ssm_call_for_many_node_groups_of_one_minor_and_family(control, ansible):
    control.load_fleet({"region": REGION, "clusters": [{"name": "big", "version": "1.31", "nodegroups": [
        {"name": "ng-%02d" % index, "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD"} for index in range(12)]}]})
    control.clear_requests()
    run = ansible.run(module=INFO, cluster_names=["big"])
    assert not run.failed, run
    assert run.result["summary"]["release_behind"] == 12
    assert control.count("GetParameters", service="ssm") == 1
    assert control.count("ListClusters") == 0  # named clusters are not listed


def test_twelve_parameters_take_two_get_parameters_calls(control, ansible):
    nodegroups = []
    for minor in ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34"]:
        for ami_type in ["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"]:
            nodegroups.append({"name": "ng-%s-%s" % (minor.replace(".", ""), ami_type.split("_")[1].lower()), "version": minor,
                               "ami_type": ami_type})
    control.load_fleet({"region": REGION, "clusters": [{"name": "mixed", "version": "1.34", "nodegroups": nodegroups}]})
    control.clear_requests()
    run = ansible.run(module=INFO)
    assert not run.failed, run
    assert all(entry["latest_release"] for entry in run.result["nodegroups"]), run
    assert len(set(entry["release_parameter"] for entry in run.result["nodegroups"])) == 12
    assert control.count("GetParameters", service="ssm") == 2


def test_filters_and_check_mode(fleet, ansible):
    run = ansible.run(module=INFO, check=True, cluster_names=["prod"], nodegroup_names=["old", "web", "absent"])
    assert not run.failed and not run.changed, run
    assert [entry["name"] for entry in run.result["nodegroups"]] == ["old", "web"]
    counted = calls(fleet)
    assert counted[("eks", "DescribeNodegroup")] == 2 and counted[("eks", "ListClusters")] == 0


def test_update_in_flight_is_named(fleet, ansible, eks):
    fleet.behaviour("prod", "general", update_duration=60)
    started = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general", version="1.31")["update"]
    fleet.clear_requests()
    run = ansible.run(module=INFO, cluster_names=["prod"])
    assert not run.failed, run
    general = by_name(run.result)["prod/general"]
    assert general["status"] == "UPDATING"
    assert general["update_in_progress"] == {"id": started["id"], "type": "VersionUpdate", "status": "InProgress"}
    assert run.result["summary"]["update_in_progress"] == 1
    # ListUpdates for the one UPDATING node group only
    assert fleet.count("ListUpdates") == 1


def test_ssm_denied_is_a_reason_not_a_failure(fleet, ansible):
    fleet.add_fault(kind="server_error", service="ssm", operation="GetParameters", status=400,
                    error_code="AccessDeniedException", message="not authorized to perform ssm:GetParameters")
    run = ansible.run(module=INFO, cluster_names=["prod"], nodegroup_names=["old", "general"])
    assert not run.failed, run
    for entry in run.result["nodegroups"]:
        assert entry["latest_release"] is None and "denied" in entry["latest_release_reason"]
        assert not entry["release_behind"]
    # the Kubernetes minor is still compared
    assert by_name(run.result)["prod/general"]["kubernetes_behind"]


def test_unknown_cluster_fails_with_its_name(fleet, ansible):
    run = ansible.run(module=INFO, cluster_names=["nope"])
    assert run.failed
    assert "nope" in run.msg and "cluster_names" in run.msg
