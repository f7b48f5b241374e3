# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The bookkeeping of the nodegroup_upgrade role, as filters: targets, batches, records and the summary.

Each filter is a plain function of plain data, linear (or n log n) in the fleet; the role's tasks only call them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The options of a target that go to eks_nodegroup_version_batch (besides cluster_name and name).
MODULE_OPTIONS = ("kubernetes_version", "release_version", "launch_template", "force")
# Statuses of the batch module, as the role words them.
STATUS_WORDS = {"updated": "upgraded", "would_update": "would_upgrade"}
NOT_STARTED_MSG = "not started: an earlier failure stopped the run"


def _key(cluster, nodegroup):
    return "%s/%s" % (cluster, nodegroup)


def _as_int(value, name):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise AnsibleFilterError("%s must be a whole number of at least 1, not %r." % (name, value))
    return number


def explicit_targets(targets, force=False):
    """``nodegroup_upgrade_targets`` as the role's targets: each a dict with ``cluster`` and ``nodegroup``, the role's
    ``force`` unless the target sets it, options of None left out."""
    found = []
    for index, target in enumerate(targets or []):
        if not isinstance(target, Mapping) or not target.get("cluster") or not target.get("nodegroup"):
            raise AnsibleFilterError(
                "nodegroup_upgrade_targets[%d] must be a dict with cluster and nodegroup (and the options of"
                " eks_nodegroup_version), not %r." % (index, target))
        item = {"force": bool(force)}
        item.update((key, value) for key, value in target.items() if value is not None)
        found.append(item)
    return found


def report_targets(entries, force=False, cluster=None):
    """The node groups of a version report (eks_nodegroup_version_info's ``nodegroups``, or a cluster host's
    ``eks_nodegroups``) that have ``upgrade`` options, as the role's targets; only ``cluster``'s when given."""
    found = []
    for entry in entries or []:
        if not entry.get("upgrade") or (cluster is not None and entry.get("cluster") != cluster):
            continue
        item = {"cluster": entry["cluster"], "nodegroup": entry["name"], "force": bool(force)}
        item.update(entry["upgrade"])
        found.append(item)
    return found


def upgrade_batches(targets, max_parallel, per_cluster):
    """``targets`` cut into batches of at most ``max_parallel``, at most ``per_cluster`` of a cluster, in order.

    A batch takes, in the order given, each target whose cluster has fewer than ``per_cluster`` in it, until it has
    ``max_parallel``; the rest wait for the next batch, so each cluster's targets keep their order. Fails naming a
    node group given twice.
    """
    max_parallel = _as_int(max_parallel, "nodegroup_upgrade_max_parallel")
    per_cluster = _as_int(per_cluster, "nodegroup_upgrade_per_cluster")
    targets = list(targets or [])
    queues, seen, twice = {}, set(), []
    for index, target in enumerate(targets):
        key = _key(target["cluster"], target["nodegroup"])
        if key in seen:
            twice.append(key)
        seen.add(key)
        queues.setdefault(target["cluster"], []).append(index)
    if twice:
        raise AnsibleFilterError("Each node group must be named once; named again: %s." % ", ".join(twice))
    # The candidates of the next batch: the first per_cluster targets left of each cluster, by their order.
    heads = dict((cluster, 0) for cluster in queues)
    candidates = []
    for cluster, indexes in queues.items():
        for index in indexes[:per_cluster]:
            heapq.heappush(candidates, index)
        heads[cluster] = min(per_cluster, len(indexes))
    batches = []
    while candidates:
        taken = [heapq.heappop(candidates) for dummy in range(min(max_parallel, len(candidates)))]
        batches.append([targets[index] for index in taken])
        for index in taken:
            cluster = targets[index]["cluster"]
            if heads[cluster] < len(queues[cluster]):
                heapq.heappush(candidates, queues[cluster][heads[cluster]])
                heads[cluster] += 1
    return batches


def batch_options(batch):
    """The ``nodegroups`` option of eks_nodegroup_version_batch for a batch of targets."""
    return [
        dict([("cluster_name", target["cluster"]), ("name", target["nodegroup"])]
             + [(key, target[key]) for key in MODULE_OPTIONS if key in target])
        for target in batch
    ]


def batch_records(options, held, ran):
    """What became of each node group of a batch: a record per entry of ``options`` not ``held`` by its pre tasks.

    ``ran`` is the batch module's registered result (with ``failed_task`` when it failed), or empty when it did not run.
    """
    ran = ran or {}
    results = dict((_key(entry["cluster_name"], entry["name"]), entry) for entry in ran.get("nodegroups") or [])
    held_keys = set(_key(entry["cluster_name"], entry["name"]) for entry in held or [])
    records = []
    for option in options:
        key = _key(option["cluster_name"], option["name"])
        if key in held_keys:
            continue
        entry = results.get(key)
        base = {"cluster": option["cluster_name"], "nodegroup": option["name"],
                "options": dict((k, v) for k, v in option.items() if k not in ("cluster_name", "name"))}
        if entry is not None:
            base.update(
                status=STATUS_WORDS.get(entry["status"], entry["status"]),
                duration=entry.get("duration"),
                update_id=(entry.get("nodegroup_update") or {}).get("id"),
                to=entry.get("after"),
                failed_task=ran.get("failed_task") if entry.get("failed") else None,
                msg=entry.get("msg"),
            )
            base["from"] = entry.get("before")
            records.append(base)
        elif ran.get("failed"):
            base.update(status="failed", duration=None, update_id=None, to=None, failed_task=ran.get("failed_task"),
                        msg=ran.get("msg") or "failed")
            base["from"] = None
            records.append(base)
    return records


def upgrade_state(state, records):
    """``state`` (records by ``cluster/nodegroup``) with ``records`` added or replaced."""
    found = dict(state or {})
    for record in records or []:
        found[_key(record["cluster"], record["nodegroup"])] = record
    return found


def upgrade_summary(targets, state):
    """One row per target, in order: its record's status, from, to, update id, duration, failed task and message."""
    rows = []
    for target in targets or []:
        record = (state or {}).get(_key(target["cluster"], target["nodegroup"])) or {}
        rows.append({
            "cluster": target["cluster"],
            "nodegroup": target["nodegroup"],
            "status": record.get("status", "not_started"),
            "from": record.get("from"),
            "to": record.get("to"),
            "update_id": record.get("update_id"),
            "duration": record.get("duration"),
            "failed_task": record.get("failed_task"),
            "msg": record.get("msg", NOT_STARTED_MSG),
        })
    return rows


def _side(value):
    if not value:
        return "-"
    text = "%s %s" % (value.get("version"), value.get("release_version"))
    if value.get("launch_template_version"):
        text += " lt %s" % value["launch_template_version"]
    return text


def summary_lines(rows):
    """The summary as fixed-width lines: node group, status, from, to, duration."""
    line = "%-32s %-13s %-36s %-36s %9s"
    lines = [line % ("node group", "status", "from", "to", "duration")]
    for row in rows or []:
        duration = "%.1fs" % row["duration"] if row.get("duration") is not None else "-"
        lines.append(line % (_key(row["cluster"], row["nodegroup"]), row["status"], _side(row.get("from")), _side(row.get("to")), duration))
    return lines


def failure_message(rows):
    """The role's failure message: each failed node group with its failed task and message, and what was not started."""
    failed = [row for row in rows if row["status"] == "failed"]
    not_started = [row for row in rows if row["status"] == "not_started"]
    msg = "%d node group(s) failed: %s" % (
        len(failed), "; ".join("%s (%s): %s" % (_key(row["cluster"], row["nodegroup"]), row["failed_task"], row["msg"]) for row in failed))
    if not_started:
        msg += ". Not started after the failure: %s" % ", ".join(_key(row["cluster"], row["nodegroup"]) for row in not_started)
    return msg


class FilterModule:
    """The nodegroup_upgrade role's bookkeeping."""

    def filters(self):
        return {
            "nodegroup_upgrade_explicit_targets": explicit_targets,
            "nodegroup_upgrade_report_targets": report_targets,
            "nodegroup_upgrade_batches": upgrade_batches,
            "nodegroup_upgrade_batch_options": batch_options,
            "nodegroup_upgrade_batch_records": batch_records,
            "nodegroup_upgrade_state": upgrade_state,
            "nodegroup_upgrade_summary": upgrade_summary,
            "nodegroup_upgrade_summary_lines": summary_lines,
            "nodegroup_upgrade_failure_message": failure_message,
        }
