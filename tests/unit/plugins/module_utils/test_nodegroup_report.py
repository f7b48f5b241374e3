# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The version report from plain dicts: which lookups, flags, upgrade options, counts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report

AL2023_131 = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"
AL2023_130 = "/aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/standard/recommended/release_version"
ROCKET_131 = "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version"


def nodegroup(name="general", version="1.31", release="1.31.0-20241024", ami_type="AL2023_x86_64_STANDARD", template=None,
              status="ACTIVE", cluster="prod"):
    found = {"clusterName": cluster, "nodegroupName": name, "version": version, "releaseVersion": release, "amiType": ami_type,
             "status": status}
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
    assert report.summarize(lines) == {
        "nodegroups": 4, "clusters": 2, "behind": 3, "update_in_progress": 1, "upgradable": 2,
        "kubernetes_behind": 2, "release_behind": 1, "template_behind": 0,
    }


def test_select_nodegroups():
    assert report.select_nodegroups(["web", "general"], None) == ["general", "web"]
    assert report.select_nodegroups(["web", "general", "gpu"], ["gpu", "web", "absent"]) == ["gpu", "web"]
