"""eks_nodegroup_version_info end to end: the report's flags, latest releases, updates in flight and its calls.

Releases come from the endpoint's catalogue (AL2023 1.30: oldest 1.30.4-20241024, latest 1.30.11-20250403;
1.31: oldest 1.31.0-20241024, latest 1.31.7-20250403; Amazon Linux 2 up to 1.32 only, whose latest is 1.32.7-20250715).
"""

import collections

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import REGION
from localeks.eks.models import localeks_backends
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
                                     "template_behind": 2, "update_in_progress": 0, "upgradable": 5, "blocked": 0}
    assert all(entry["blocked_reason"] is None for entry in run.result["nodegroups"])

    # Bounded: one DescribeCluster per cluster, one GetParameters for the 3 parameters of 9 node groups,
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
    fleet.behaviour("prod", "general", hold_updates=True)
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


def backend():
    """The endpoint's EKS model (in this process), for states no API call can put a node group in."""
    return localeks_backends[DEFAULT_ACCOUNT_ID][REGION]


@pytest.mark.parametrize("args, option, name", [
    ({"cluster_names": [""]}, "cluster_names", "''"),
    ({"cluster_names": ["prod", "prod/eu"]}, "cluster_names", "'prod/eu'"),
    ({"cluster_names": ["prod"], "nodegroup_names": ["general", " web"]}, "nodegroup_names", "' web'"),
])
def test_malformed_names_fail_naming_the_option_before_any_call(fleet, ansible, args, option, name):
    run = ansible.run(module=INFO, **args)
    assert run.failed, run
    assert run.msg.startswith("%s: %s is not a valid EKS" % (option, name)), run
    assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output
    assert fleet.requests() == []


def test_an_unexpected_error_fails_naming_what_was_read(fleet, ansible):
    # A DescribeCluster answer without the cluster's version: nothing the module expects.
    backend().clusters["edge"].version = None
    run = ansible.run(module=INFO, cluster_names=["prod", "edge"], env={"ANSIBLE_DISPLAY_TRACEBACK": "error"})
    assert run.failed, run
    assert run.msg == "Unexpected error while reading cluster edge (DescribeCluster, ListNodegroups): KeyError: 'version'", run
    assert "MODULE FAILURE" not in run.output
    assert "KeyError" in str(run.result.get("exception")), run


def test_a_node_group_that_is_not_active_gets_no_upgrade(fleet, ansible):
    issues = [{"code": "AsgInstanceLaunchFailures", "message": "Instance launch failed: insufficient capacity.",
               "resourceIds": ["eks-general-asg"]}]
    general = backend().describe_nodegroup("prod", "general")
    general.status, general.health = "DEGRADED", {"issues": issues}
    backend().describe_nodegroup("prod", "old").status = "CREATE_FAILED"
    backend().describe_nodegroup("prod", "current").status = "DELETING"
    run = ansible.run(module=INFO, cluster_names=["prod"])
    assert not run.failed, run
    report = by_name(run.result)

    general = report["prod/general"]
    assert general["status"] == "DEGRADED" and general["kubernetes_behind"] and general["behind"]
    assert general["upgrade"] is None and general["upgrade_reason"] == general["blocked_reason"]
    assert general["blocked_reason"] == (
        "the node group is DEGRADED (health issues: AsgInstanceLaunchFailures: Instance launch failed: insufficient capacity."
        " (eks-general-asg)): EKS starts updates only on ACTIVE node groups")
    old = report["prod/old"]
    assert old["release_behind"] and old["upgrade"] is None and old["blocked_reason"].startswith("the node group is CREATE_FAILED: ")
    # already at its targets: up to date, whatever its status
    current = report["prod/current"]
    assert current["upgrade"] is None and current["upgrade_reason"] == "up to date" and current["blocked_reason"] is None

    summary = run.result["summary"]
    assert summary["behind"] == 5 and summary["upgradable"] == 3 and summary["blocked"] == 2
    assert summary["upgradable"] == len([entry for entry in run.result["nodegroups"] if entry["upgrade"]])


LATEST_AL2_132 = "1.32.7-20250715"
AL2_133 = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/release_version"

# Amazon Linux 2 stops at Kubernetes 1.32: the node groups of a 1.33 cluster cannot follow it.
LEGACY = {
    "region": REGION,
    "defaults": {"update_duration": 1},
    "clusters": [{"name": "legacy", "version": "1.33", "nodegroups": [
        {"name": "al2-old", "version": "1.32", "ami_type": "AL2_x86_64", "release_version": "1.32.0-20250123"},
        {"name": "al2-current", "version": "1.32", "ami_type": "AL2_ARM_64", "release_version": LATEST_AL2_132},
        {"name": "al2023", "version": "1.32", "ami_type": "AL2023_x86_64_STANDARD"},
    ]}],
}


def test_a_minor_without_a_published_release_for_the_ami_type_is_not_proposed(control, ansible, eks):
    control.load_fleet(LEGACY)
    control.clear_requests()
    run = ansible.run(module=INFO)
    assert not run.failed, run
    report = by_name(run.result)

    old = report["legacy/al2-old"]
    assert old["kubernetes_behind"] and old["release_behind"] and old["latest_release"] == LATEST_AL2_132
    # the release of its own minor only, and why not 1.33
    assert old["upgrade"] == {"release_version": LATEST_AL2_132} and old["upgrade_reason"] is None
    assert old["blocked_reason"] == (
        "no Amazon Linux 2 release is published for Kubernetes 1.33 (SSM parameter %s does not exist), so EKS cannot move"
        " the node group to it; move its workloads to an AL2023 or Bottlerocket node group" % AL2_133)

    current = report["legacy/al2-current"]
    assert current["kubernetes_behind"] and not current["release_behind"]
    assert current["upgrade"] is None and current["upgrade_reason"] == current["blocked_reason"]
    assert "no Amazon Linux 2 release is published for Kubernetes 1.33" in current["blocked_reason"]

    assert report["legacy/al2023"]["upgrade"] == {"kubernetes_version": "1.33"} and report["legacy/al2023"]["blocked_reason"] is None
    assert run.result["summary"]["upgradable"] == 2 and run.result["summary"]["blocked"] == 2
    # the 1.33 parameters are read with the 1.32 ones: one call for the 5 distinct parameters
    assert control.count("GetParameters", service="ssm") == 1

    # what the report held back, EKS refuses; what it proposed, EKS accepts
    with pytest.raises(eks.exceptions.InvalidParameterException, match="not supported for Kubernetes version 1.33"):
        eks.update_nodegroup_version(clusterName="legacy", nodegroupName="al2-old", version="1.33")
    eks.update_nodegroup_version(clusterName="legacy", nodegroupName="al2-old", releaseVersion=LATEST_AL2_132)


def test_a_cluster_named_twice_is_reported_once(fleet, ansible):
    run = ansible.run(module=INFO, cluster_names=["prod", "edge", "prod"])
    assert not run.failed, run
    keys = ["%s/%s" % (entry["cluster"], entry["name"]) for entry in run.result["nodegroups"]]
    assert len(keys) == len(set(keys)) == 9
    assert [cluster["name"] for cluster in run.result["clusters"]] == ["prod", "edge"]
    assert run.result["summary"]["clusters"] == 2 and run.result["summary"]["nodegroups"] == 9
    assert fleet.count("DescribeCluster") == 2 and fleet.count("ListNodegroups") == 2


def test_a_cluster_without_node_groups_is_counted(fleet, ansible):
    fleet.load_fleet({"region": REGION, "clusters": [{"name": "empty", "version": "1.31"}]}, reset=False)
    run = ansible.run(module=INFO, cluster_names=["prod", "empty", "edge"])
    assert not run.failed, run
    assert run.result["clusters"] == [{"name": "prod", "version": "1.31", "nodegroups": 8}, {"name": "empty", "version": "1.31", "nodegroups": 0},
                                      {"name": "edge", "version": "1.30", "nodegroups": 1}]
    summary = run.result["summary"]
    assert summary["clusters"] == len(run.result["clusters"]) == 3
    assert summary["nodegroups"] == len(run.result["nodegroups"]) == sum(cluster["nodegroups"] for cluster in run.result["clusters"])
