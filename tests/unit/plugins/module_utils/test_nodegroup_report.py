# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The version report from plain dicts: which lookups, flags, upgrade options, counts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report

AL2023_131 = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"
AL2023_130 = "/aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/standard/recommended/release_version"
ROCKET_131 = "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version"
AL2_132 = "/aws/service/eks/optimized-ami/1.32/amazon-linux-2/recommended/release_version"
AL2_133 = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/release_version"


def nodegroup(name="general", version="1.31", release="1.31.0-20241024", ami_type="AL2023_x86_64_STANDARD", template=None,
              status="ACTIVE", cluster="prod", issues=None):
    found = {"clusterName": cluster, "nodegroupName": name, "version": version, "releaseVersion": release, "amiType": ami_type,
             "status": status, "health": {"issues": issues or []}}
    if template:
        found["launchTemplate"] = template
    return found


def entry(group, cluster_version="1.31", releases=None, release_errors=None, templates=None, template_errors=None, update=None):
    return report.report_entry(group, cluster_version, releases or {}, release_errors or {}, templates or {}, template_errors or {}, update)


def test_batches_cut_at_ten():
    assert report.batches([]) == []
    assert report.batches(range(10)) == [list(range(10))]
    assert report.batches(range(23)) == [list(range(10)), list(range(10, 20)), [20, 21, 22]]


def test_one_parameter_per_minor_and_ami_family_however_many_node_groups():
    groups = [nodegroup(name="ng-%d" % i) for i in range(50)]
    groups += [nodegroup(name="old", version="1.30", release="1.30.4-20241024"), nodegroup(name="rocket", ami_type="BOTTLEROCKET_x86_64")]
    groups += [nodegroup(name="custom", ami_type="CUSTOM", release="ami-1"), nodegroup(name="win", ami_type="WINDOWS_CORE_2022_x86_64")]
    assert report.release_parameters(groups) == sorted([AL2023_131, AL2023_130, ROCKET_131])


def test_launch_templates_are_read_once_each_by_id_else_name():
    shared = {"name": "web", "id": "lt-1", "version": "1"}
    groups = [nodegroup(name="a", template=shared), nodegroup(name="b", template=dict(shared, version="2")),
              nodegroup(name="c", template={"name": "other", "version": "1"}), nodegroup(name="d")]
    assert list(report.launch_templates(groups)) == ["lt-1", "other"]


def test_behind_on_every_count():
    template = {"name": "web", "id": "lt-1", "version": "1"}
    group = nodegroup(version="1.30", release="1.30.4-20241024", template=template)
    line = entry(group, releases={AL2023_130: "1.30.11-20250403"}, templates={"lt-1": "3"})
    assert line["kubernetes_behind"] and line["release_behind"] and line["template_behind"] and line["behind"]
    assert line["latest_release"] == "1.30.11-20250403" and line["latest_release_reason"] is None
    assert line["launch_template_latest_version"] == "3"
    assert line["launch_template"] == {"name": "web", "id": "lt-1", "version": "1"}
    # a minor behind: the new minor alone (it brings its latest release), plus the template version
    assert line["upgrade"] == {"kubernetes_version": "1.31", "launch_template": {"version": "3"}}


def test_up_to_date():
    line = entry(nodegroup(release="1.31.7-20250403"), releases={AL2023_131: "1.31.7-20250403"})
    assert not line["behind"] and not line["release_behind"] and not line["kubernetes_behind"] and not line["template_behind"]
    assert line["upgrade"] is None and line["upgrade_reason"] == "up to date"
    assert line["launch_template_latest_reason"] == "the node group has no launch template"


def test_release_behind_gives_the_exact_latest_release():
    line = entry(nodegroup(), releases={AL2023_131: "1.31.7-20250403"})
    assert line["release_behind"] and not line["kubernetes_behind"]
    assert line["upgrade"] == {"release_version": "1.31.7-20250403"}


def test_ssm_lagging_behind_is_not_behind():
    line = entry(nodegroup(release="1.31.7-20250403"), releases={AL2023_131: "1.31.4-20250203"})
    assert not line["release_behind"] and not line["behind"]


def test_bottlerocket_releases_are_compared_by_version():
    line = entry(nodegroup(ami_type="BOTTLEROCKET_x86_64", release="1.32.0-cafe0123"), releases={ROCKET_131: "1.40.0-7a9e1b44"})
    assert line["release_behind"]


@pytest.mark.parametrize(
    "group, reason",
    [
        (nodegroup(ami_type="CUSTOM", release="ami-0c0ffee"), "custom AMI"),
        (nodegroup(ami_type="WINDOWS_CORE_2022_x86_64", release="1.31.4-20250213"), "Windows"),
        (nodegroup(ami_type="SOMETHING_NEW"), "no SSM public parameter is known for AMI type SOMETHING_NEW"),
    ],
)
def test_latest_release_unknown_without_a_parameter(group, reason):
    line = entry(group)
    assert line["latest_release"] is None and line["release_parameter"] is None
    assert reason in line["latest_release_reason"]
    assert not line["release_behind"]


def test_latest_release_unknown_when_the_parameter_could_not_be_read():
    line = entry(nodegroup(), release_errors={AL2023_131: "reading SSM parameter x was denied"})
    assert line["latest_release"] is None and line["release_parameter"] == AL2023_131
    assert "denied" in line["latest_release_reason"]
    assert not line["behind"]


def test_launch_template_unreadable():
    line = entry(nodegroup(release="1.31.7-20250403", template={"name": "web", "version": "1"}), template_errors={"web": "denied"})
    assert line["launch_template_latest_version"] is None and line["launch_template_latest_reason"] == "denied"
    assert not line["template_behind"]


def test_custom_ami_behind_on_template_only_moves_the_template():
    line = entry(nodegroup(ami_type="CUSTOM", release="ami-1", template={"name": "gpu", "version": "1"}), templates={"gpu": "2"})
    assert line["template_behind"] and line["upgrade"] == {"launch_template": {"version": "2"}}


def test_custom_ami_a_minor_behind_cannot_be_upgraded_by_the_module():
    line = entry(nodegroup(version="1.30", ami_type="CUSTOM", release="ami-1", template={"name": "gpu", "version": "1"}), templates={"gpu": "1"})
    assert line["kubernetes_behind"] and line["behind"]
    assert line["upgrade"] is None
    assert "launch template version whose AMI is built for Kubernetes 1.31" in line["upgrade_reason"]


def test_update_in_progress_is_named():
    update = {"id": "u-1", "type": "VersionUpdate", "status": "InProgress", "params": []}
    line = entry(nodegroup(status="UPDATING"), update=update)
    assert line["update_in_progress"] == {"id": "u-1", "type": "VersionUpdate", "status": "InProgress"}


def test_minor_comparison_is_numeric():
    assert report.is_minor_behind("1.9", "1.10")
    assert not report.is_minor_behind("1.31", "1.31")
    assert not report.is_minor_behind("1.32", "1.31")
    assert not report.is_minor_behind(None, "1.31")


def test_summary_counts():
    lines = [
        entry(nodegroup(name="a", version="1.30", release="1.30.4-20241024"), releases={AL2023_130: "1.30.4-20241024"}),
        entry(nodegroup(name="b"), releases={AL2023_131: "1.31.7-20250403"}),
        entry(nodegroup(name="c", release="1.31.7-20250403", cluster="edge"), releases={AL2023_131: "1.31.7-20250403"},
              update={"id": "u", "status": "InProgress"}),
        entry(nodegroup(name="d", version="1.30", ami_type="CUSTOM", release="ami-1")),
    ]
    clusters = [{"name": "prod", "version": "1.31"}, {"name": "edge", "version": "1.31"}]
    assert report.summarize(lines, clusters) == {
        "nodegroups": 4, "clusters": 2, "behind": 3, "update_in_progress": 1, "upgradable": 2, "blocked": 1,
        "kubernetes_behind": 2, "release_behind": 1, "template_behind": 0,
    }


def test_a_cluster_without_node_groups_is_listed_and_counted():
    lines = [entry(nodegroup(name="a"))]
    result = report.fleet_report([{"name": "prod", "version": "1.31"}, {"name": "empty", "version": "1.31"}], lines)
    assert result["clusters"] == [{"name": "prod", "version": "1.31", "nodegroups": 1}, {"name": "empty", "version": "1.31", "nodegroups": 0}]
    assert result["summary"]["clusters"] == 2 and result["summary"]["nodegroups"] == 1
    assert result["nodegroups"] == lines


def test_select_nodegroups():
    assert report.select_nodegroups(["web", "general"], None) == ["general", "web"]
    assert report.select_nodegroups(["web", "general", "gpu"], ["gpu", "web", "absent"]) == ["gpu", "web"]


@pytest.mark.parametrize("names", [["prod"], ["a"], ["Prod-2_b"], ["0" + "x" * 99], [], None])
def test_valid_cluster_names_pass(names):
    assert report.check_cluster_names(names) is None


@pytest.mark.parametrize("name", ["", "-prod", "_prod", "prod cluster", "prod/eu", "prod.eu", "x" * 101, "pröd"])
def test_malformed_cluster_names_are_named_with_the_option(name):
    message = report.check_cluster_names(["prod", name])
    assert message.startswith("cluster_names: '%s' is not a valid EKS cluster name" % name)
    assert "1 to 100 letters" in message and "'prod'" not in message


def test_every_malformed_name_is_named():
    message = report.check_cluster_names(["", "a b", "ok"])
    assert message.startswith("cluster_names: '', 'a b' are not valid EKS cluster names. ")


@pytest.mark.parametrize("names, fails", [(["general"], False), (["x" * 63], False), (["x" * 64], True), ([""], True), (["a b"], True)])
def test_nodegroup_names_are_checked(names, fails):
    message = report.check_nodegroup_names(names)
    assert (message is not None) == fails
    if fails:
        assert message.startswith("nodegroup_names: ") and "1 to 63 letters" in message


def test_distinct_keeps_the_first_order():
    assert report.distinct(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert report.distinct([]) == []


def test_the_cluster_minor_is_read_once_for_the_node_groups_a_minor_behind():
    groups = [nodegroup(name="ng-%d" % i, version="1.30", release="1.30.4-20241024") for i in range(50)]
    groups += [nodegroup(name="current"), nodegroup(name="custom", version="1.30", ami_type="CUSTOM", release="ami-1")]
    groups += [nodegroup(name="legacy", version="1.32", ami_type="AL2_x86_64", release="1.32.0-20250123", cluster="legacy")]
    groups += [nodegroup(name="edge", version="1.30", release="1.30.4-20241024", cluster="edge")]
    assert report.release_parameters(groups, {"prod": "1.31", "legacy": "1.33", "edge": "1.30"}) == sorted(
        [AL2023_130, AL2023_131, AL2_132, AL2_133])
    # without cluster versions, the node groups' own minors only
    assert report.release_parameters(groups) == sorted([AL2023_130, AL2023_131, AL2_132])


DEGRADED_ISSUES = [{"code": "AsgInstanceLaunchFailures", "message": "Instance launch failed.", "resourceIds": ["eks-asg-1"]}]


@pytest.mark.parametrize("status, issues", [
    ("DEGRADED", DEGRADED_ISSUES),
    ("CREATE_FAILED", [{"code": "Ec2SubnetInvalidConfiguration", "message": "Subnet has no IPs.",
                        "resourceIds": ["subnet-%d" % i for i in range(7)]}]),
    ("DELETING", []),
    ("DELETE_FAILED", []),
    ("CREATING", []),
    (None, []),
])
def test_a_node_group_neither_active_nor_updating_gets_no_options(status, issues):
    line = entry(nodegroup(version="1.30", release="1.30.4-20241024", status=status, issues=issues),
                 releases={AL2023_130: "1.30.11-20250403", AL2023_131: "1.31.7-20250403"})
    assert line["behind"] and line["kubernetes_behind"] and line["release_behind"]
    assert line["upgrade"] is None
    assert line["blocked_reason"] == line["upgrade_reason"]
    assert line["blocked_reason"].startswith("the node group is %s" % (status or "of unknown status"))
    assert "EKS starts updates only on ACTIVE node groups" in line["blocked_reason"]
    for issue in issues:
        assert "%s: %s" % (issue["code"], issue["message"]) in line["blocked_reason"]
    summary = report.summarize([line], [{"name": "prod", "version": "1.31"}])
    assert summary["upgradable"] == 0 and summary["blocked"] == 1 and summary["behind"] == 1


def test_health_issue_resource_ids_are_named_up_to_five():
    issues = [{"code": "Ec2SubnetInvalidConfiguration", "message": "Subnet has no IPs.", "resourceIds": ["subnet-%d" % i for i in range(7)]}]
    reason = report.status_reason(nodegroup(status="CREATE_FAILED", issues=issues))
    assert "(subnet-0, subnet-1, subnet-2, subnet-3, subnet-4 and 2 more)" in reason


def test_a_node_group_up_to_date_is_up_to_date_whatever_its_status():
    line = entry(nodegroup(release="1.31.7-20250403", status="DEGRADED", issues=DEGRADED_ISSUES), releases={AL2023_131: "1.31.7-20250403"})
    assert not line["behind"] and line["upgrade"] is None
    assert line["upgrade_reason"] == "up to date" and line["blocked_reason"] is None


def test_an_updating_node_group_still_gets_its_options():
    line = entry(nodegroup(status="UPDATING"), releases={AL2023_131: "1.31.7-20250403"},
                 update={"id": "u-1", "type": "VersionUpdate", "status": "InProgress"})
    assert line["upgrade"] == {"release_version": "1.31.7-20250403"} and line["blocked_reason"] is None


def test_a_minor_without_a_published_release_is_not_proposed():
    group = nodegroup(version="1.32", ami_type="AL2_x86_64", release="1.32.0-20250123")
    line = entry(group, cluster_version="1.33", releases={AL2_132: "1.32.7-20250715", AL2_133: None})
    assert line["kubernetes_behind"] and line["release_behind"] and line["behind"]
    # the release of its own minor is still proposed; the minor is not, and the entry says why
    assert line["upgrade"] == {"release_version": "1.32.7-20250715"}
    assert line["upgrade_reason"] is None
    assert line["blocked_reason"].startswith("no Amazon Linux 2 release is published for Kubernetes 1.33 (SSM parameter %s does not exist)"
                                             % AL2_133)
    assert "move its workloads to an AL2023 or Bottlerocket node group" in line["blocked_reason"]
    summary = report.summarize([line], [{"name": "prod", "version": "1.33"}])
    assert summary["upgradable"] == 1 and summary["blocked"] == 1


def test_a_minor_without_a_published_release_and_nothing_else_behind_gets_no_options():
    group = nodegroup(version="1.32", ami_type="AL2_x86_64", release="1.32.7-20250715")
    line = entry(group, cluster_version="1.33", releases={AL2_132: "1.32.7-20250715", AL2_133: None})
    assert line["behind"] and line["upgrade"] is None
    assert line["upgrade_reason"] == line["blocked_reason"] and "Kubernetes 1.33" in line["blocked_reason"]


def test_other_families_without_a_release_for_the_minor_get_no_advice_to_move():
    rocket_133 = "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_version"
    line = entry(nodegroup(version="1.32", ami_type="BOTTLEROCKET_x86_64", release="1.40.0-7a9e1b44"), cluster_version="1.33",
                 releases={rocket_133: None})
    assert line["upgrade"] is None and line["blocked_reason"].startswith("no Bottlerocket release is published for Kubernetes 1.33")
    assert "AL2023" not in line["blocked_reason"]


def test_a_minor_with_a_published_release_is_proposed():
    line = entry(nodegroup(version="1.30", release="1.30.4-20241024"), releases={AL2023_130: "1.30.11-20250403", AL2023_131: "1.31.7-20250403"})
    assert line["upgrade"] == {"kubernetes_version": "1.31"} and line["blocked_reason"] is None


def test_a_minor_whose_parameter_could_not_be_read_is_left_to_eks():
    line = entry(nodegroup(version="1.30", release="1.30.4-20241024"),
                 release_errors={AL2023_130: "reading was denied", AL2023_131: "reading was denied"})
    assert line["upgrade"] == {"kubernetes_version": "1.31"} and line["blocked_reason"] is None


def test_an_absent_parameter_of_the_node_groups_own_minor_is_a_reason():
    line = entry(nodegroup(), releases={AL2023_131: None})
    assert line["latest_release"] is None and line["release_parameter"] == AL2023_131
    assert line["latest_release_reason"] == "SSM parameter %s does not exist (no release is published for this AMI type and minor)" % AL2023_131
    assert not line["behind"]


def test_a_degraded_custom_ami_a_minor_behind_gives_both_reasons():
    line = entry(nodegroup(version="1.30", ami_type="CUSTOM", release="ami-1", status="DEGRADED", issues=DEGRADED_ISSUES))
    assert line["upgrade"] is None
    assert "the node group is DEGRADED" in line["blocked_reason"] and "custom AMI a Kubernetes minor behind" in line["blocked_reason"]


# -- properties over arbitrary fleets ---------------------------------------------------------------------

MINORS = ["1.29", "1.30", "1.31", "1.32", "1.33"]
AMI_TYPES = ["AL2023_x86_64_STANDARD", "AL2_x86_64", "BOTTLEROCKET_x86_64", "CUSTOM", "WINDOWS_CORE_2022_x86_64", "SOMETHING_NEW", None]
STATUSES = ["ACTIVE", "UPDATING", "DEGRADED", "CREATE_FAILED", "CREATING", "DELETING", "DELETE_FAILED", None]
RELEASES = ["1.30.4-20241024", "1.31.0-20241024", "1.31.7-20250403", "1.32.0-cafe0123", "1.40.0-7a9e1b44", "ami-1", None]
TEMPLATES = [None, {"name": "web", "id": "lt-1", "version": "1"}, {"name": "web", "id": "lt-1", "version": "3"}, {"name": "other", "version": "2"}]


@st.composite
def fleets(draw):
    """Arbitrary clusters (some without node groups) and the report lines of their node groups, and what SSM answered."""
    names = draw(st.lists(st.sampled_from(["prod", "edge", "empty", "dev"]), unique=True, max_size=4))
    clusters = [{"name": name, "version": draw(st.sampled_from(MINORS))} for name in names]
    groups = []
    for cluster in clusters:
        for index in range(draw(st.integers(0, 4))):
            issues = draw(st.sampled_from([[], DEGRADED_ISSUES]))
            groups.append((cluster["version"], nodegroup(
                name="ng-%d" % index, cluster=cluster["name"], version=draw(st.sampled_from(MINORS)),
                release=draw(st.sampled_from(RELEASES)), ami_type=draw(st.sampled_from(AMI_TYPES)),
                status=draw(st.sampled_from(STATUSES)), template=draw(st.sampled_from(TEMPLATES)), issues=issues)))
    described = [group for dummy, group in groups]
    releases, release_errors = {}, {}
    for name in report.release_parameters(described, dict((cluster["name"], cluster["version"]) for cluster in clusters)):
        answer = draw(st.sampled_from(["value", "absent", "denied", "unread"]))
        if answer == "value":
            releases[name] = draw(st.sampled_from(RELEASES[:5]))
        elif answer == "absent":
            releases[name] = None
        elif answer == "denied":
            release_errors[name] = "denied"
    templates, template_errors = {}, {}
    for key in report.launch_templates(described):
        if draw(st.booleans()):
            templates[key] = draw(st.sampled_from(["1", "2", "3"]))
        else:
            template_errors[key] = "denied"
    entries = []
    for cluster_version, group in groups:
        update = {"id": "u-" + group["nodegroupName"], "type": "VersionUpdate", "status": "InProgress"} if group["status"] == "UPDATING" else None
        entries.append(report.report_entry(group, cluster_version, releases, release_errors, templates, template_errors, update))
    return clusters, groups, entries, releases


PROPERTIES = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@PROPERTIES
@given(fleets())
def test_every_summary_count_is_the_count_of_the_lists(fleet):
    clusters, dummy, entries, dummy = fleet
    result = report.fleet_report(clusters, entries)
    summary, listed, lines = result["summary"], result["clusters"], result["nodegroups"]
    derived = {
        "clusters": len(listed),
        "nodegroups": len(lines),
        "behind": len([line for line in lines if line["behind"]]),
        "update_in_progress": len([line for line in lines if line["update_in_progress"]]),
        "upgradable": len([line for line in lines if line["upgrade"]]),
        "blocked": len([line for line in lines if line["blocked_reason"]]),
    }
    for flag in report.FLAGS:
        derived[flag] = len([line for line in lines if line[flag]])
    assert summary == derived
    assert [cluster["name"] for cluster in listed] == [cluster["name"] for cluster in clusters]
    for cluster in listed:
        assert cluster["nodegroups"] == len([line for line in lines if line["cluster"] == cluster["name"]])
    assert sum(cluster["nodegroups"] for cluster in listed) == summary["nodegroups"]


@PROPERTIES
@given(fleets())
def test_the_report_proposes_only_what_eks_accepts(fleet):
    dummy, groups, entries, releases = fleet
    for (cluster_version, group), line in zip(groups, entries):
        if not line["behind"]:
            assert line["upgrade"] is None and line["upgrade_reason"] == "up to date" and line["blocked_reason"] is None
            continue
        if line["upgrade"] is None:
            assert line["blocked_reason"] and line["upgrade_reason"] == line["blocked_reason"]
        else:
            assert line["upgrade_reason"] is None
            assert group["status"] in ("ACTIVE", "UPDATING")
        if group["status"] not in ("ACTIVE", "UPDATING"):
            assert line["upgrade"] is None and line["blocked_reason"].startswith("the node group is ")
        target = report.target_parameter_for(group, cluster_version)
        if "kubernetes_version" in (line["upgrade"] or {}):
            assert line["upgrade"]["kubernetes_version"] == cluster_version and line["kubernetes_behind"]
            assert not (target in releases and releases[target] is None)
            assert group["amiType"] != "CUSTOM"
        elif line["kubernetes_behind"]:
            assert line["blocked_reason"]
