# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The nodegroup_upgrade role's bookkeeping filters, with plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.fleetops.eks.plugins.filter import nodegroup_upgrade as f


def target(key, **options):
    cluster, nodegroup = key.split("/")
    return dict({"cluster": cluster, "nodegroup": nodegroup, "force": False}, **options)


def reference_batches(targets, max_parallel, per_cluster):
    """The batching rule as the role states it, the slow way: each batch takes in order what fits."""
    remaining, batches = list(targets), []
    while remaining:
        taken, left = [], []
        for item in remaining:
            if len(taken) < max_parallel and sum(1 for t in taken if t["cluster"] == item["cluster"]) < per_cluster:
                taken.append(item)
            else:
                left.append(item)
        batches.append(taken)
        remaining = left
    return batches


@settings(max_examples=200, deadline=None)
@given(
    clusters=st.lists(st.sampled_from("abcdef"), max_size=60),
    max_parallel=st.integers(min_value=1, max_value=12),
    per_cluster=st.integers(min_value=1, max_value=5),
)
def test_batches_are_what_the_rule_says_each_target_once_within_both_bounds(clusters, max_parallel, per_cluster):
    targets = [target("%s/ng%d" % (cluster, index)) for index, cluster in enumerate(clusters)]
    batches = f.upgrade_batches(targets, max_parallel, per_cluster)
    assert batches == reference_batches(targets, max_parallel, per_cluster)
    assert sorted(t["nodegroup"] for batch in batches for t in batch) == sorted(t["nodegroup"] for t in targets)
    for batch in batches:
        assert 1 <= len(batch) <= max_parallel
        assert all(sum(1 for t in batch if t["cluster"] == c) <= per_cluster for c in set(clusters))
    for cluster in set(clusters):
        order = [t["nodegroup"] for batch in batches for t in batch if t["cluster"] == cluster]
        assert order == [t["nodegroup"] for t in targets if t["cluster"] == cluster]


def test_a_node_group_named_twice_is_refused_naming_it():
    with pytest.raises(AnsibleFilterError, match="named again: prod/ng-1"):
        f.upgrade_batches([target("prod/ng-1"), target("prod/ng-2"), target("prod/ng-1")], 10, 1)


@pytest.mark.parametrize("value", [0, -1, "two", True, 1.5, None])
def test_bounds_must_be_whole_numbers_of_at_least_one(value):
    with pytest.raises(AnsibleFilterError, match="nodegroup_upgrade_max_parallel must be a whole number"):
        f.upgrade_batches([target("prod/ng-1")], value, 1)


def test_bounds_given_as_strings_by_extra_vars_are_numbers():
    assert f.upgrade_batches([target("prod/ng-1"), target("prod/ng-2")], "1", "1") == [[target("prod/ng-1")], [target("prod/ng-2")]]


def test_explicit_targets_take_the_roles_force_and_drop_unset_options():
    found = f.explicit_targets([{"cluster": "prod", "nodegroup": "a", "release_version": None},
                                {"cluster": "prod", "nodegroup": "b", "force": False}], force=True)
    assert found == [{"cluster": "prod", "nodegroup": "a", "force": True}, {"cluster": "prod", "nodegroup": "b", "force": False}]
    with pytest.raises(AnsibleFilterError, match=r"nodegroup_upgrade_targets\[1\] must be a dict with cluster and nodegroup"):
        f.explicit_targets([{"cluster": "prod", "nodegroup": "a"}, {"cluster": "prod"}])


def test_report_targets_are_the_entries_with_upgrade_options_of_the_cluster_asked():
    entries = [
        {"cluster": "prod", "name": "a", "upgrade": {"kubernetes_version": "1.31"}},
        {"cluster": "prod", "name": "b", "upgrade": None},
        {"cluster": "edge", "name": "c", "upgrade": {"release_version": "latest"}},
    ]
    assert f.report_targets(entries) == [
        {"cluster": "prod", "nodegroup": "a", "force": False, "kubernetes_version": "1.31"},
        {"cluster": "edge", "nodegroup": "c", "force": False, "release_version": "latest"},
    ]
    assert [t["nodegroup"] for t in f.report_targets(entries, cluster="edge")] == ["c"]


def test_records_cover_each_node_group_of_the_batch_not_held():
    options = f.batch_options([target("prod/a", release_version="latest"), target("prod/b"), target("prod/c")])
    assert options[0] == {"cluster_name": "prod", "name": "a", "release_version": "latest", "force": False}
    ran = {"failed": True, "failed_task": "Upgrade prod/a, prod/b", "msg": "1 failed", "nodegroups": [
        {"cluster_name": "prod", "name": "a", "status": "updated", "duration": 12.0, "nodegroup_update": {"id": "u-1"},
         "before": {"version": "1.30"}, "after": {"version": "1.31"}, "failed": False, "msg": "Updated"},
    ]}
    records = f.batch_records(options, [options[2]], ran)
    assert [(r["nodegroup"], r["status"], r["update_id"], r["failed_task"]) for r in records] == [
        ("a", "upgraded", "u-1", None), ("b", "failed", None, "Upgrade prod/a, prod/b")]
    assert records[0]["from"] == {"version": "1.30"} and records[0]["options"] == {"release_version": "latest", "force": False}
    assert f.batch_records(options, [], {}) == []


def test_the_summary_has_a_row_per_target_and_says_what_was_not_started():
    state = f.upgrade_state({}, [{"cluster": "prod", "nodegroup": "a", "status": "failed", "failed_task": "pre", "msg": "drain failed",
                                  "from": None, "to": None, "duration": None, "update_id": None}])
    rows = f.upgrade_summary([target("prod/a"), target("prod/b")], state)
    assert [(row["nodegroup"], row["status"]) for row in rows] == [("a", "failed"), ("b", "not_started")]
    assert f.failure_message(rows) == "1 node group(s) failed: prod/a (pre): drain failed. Not started after the failure: prod/b"
    lines = f.summary_lines(rows)
    assert lines[0].split() == ["node", "group", "status", "from", "to", "duration"]
    assert lines[1].split() == ["prod/a", "failed", "-", "-", "-"]


def test_every_filter_is_exported_under_the_roles_prefix():
    assert all(name.startswith("nodegroup_upgrade_") for name in f.FilterModule().filters())
