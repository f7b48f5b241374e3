#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_nodegroup_version_batch
short_description: Upgrade many Amazon EKS managed node groups at once, following all their updates in one run
version_added: 2.0.0
description:
  - Does for each node group of O(nodegroups) what M(fleetops.eks.eks_nodegroup_version) does for one, with the
    same options, checks, idempotency, check and diff mode, client request tokens and in-flight handling, but in
    one process. The updates run side by side in EKS, and one poll loop follows all of them with
    C(DescribeUpdate), so a fleet upgrade costs one module run instead of one or two per node group.
  - B(Checked before any change.) Every entry's options are checked, and then every node group is described and
    planned (reads only), before the first update is started. With O(continue_on_error=false), a single refusal
    fails the task and nothing is started.
  - B(Fail fast or go on.) With O(continue_on_error=false) (the default), the first failure stops the batch from
    starting further updates; updates already started are still followed to their end, nothing is abandoned.
    With O(continue_on_error=true), each node group goes its own way and the task fails at the end if any did.
  - Reads that do not depend on the node group (the cluster's version, the SSM release parameter, a launch
    template version) are made once per run, not once per node group.
  - The task is C(changed) when any node group changed, and fails when any node group failed or was not started
    because of a failure; RV(nodegroups) always has one entry per node group, in the order given.
author:
  - fleetops.eks contributors (@fleetops)
options:
  nodegroups:
    description:
      - The node groups and their targets, each as the options of M(fleetops.eks.eks_nodegroup_version).
      - A node group may be named only once.
    type: list
    elements: dict
    required: true
    suboptions:
      cluster_name:
        description:
          - Name of the EKS cluster.
        type: str
        required: true
      name:
        description:
          - Name of the managed node group.
        type: str
        required: true
        aliases: ['nodegroup_name']
      kubernetes_version:
        description:
          - Target Kubernetes minor version, such as V("1.31"); quote it in YAML.
          - As O(fleetops.eks.eks_nodegroup_version#module:kubernetes_version).
        type: raw
        aliases: ['version']
      release_version:
        description:
          - Target AMI release version, exact or V(latest).
          - As O(fleetops.eks.eks_nodegroup_version#module:release_version).
        type: str
      launch_template:
        description:
          - Target version of the node group's launch template.
          - As O(fleetops.eks.eks_nodegroup_version#module:launch_template).
        type: dict
        suboptions:
          name:
            description:
              - Name of the node group's launch template. Mutually exclusive with O(nodegroups[].launch_template.id).
            type: str
          id:
            description:
              - ID of the node group's launch template. Mutually exclusive with O(nodegroups[].launch_template.name).
            type: str
          version:
            description:
              - A version number such as V(3), or V($Latest) or V($Default); defaults to V($Default).
            type: raw
      force:
        description:
          - Update the nodes even when pods cannot be drained because of a pod disruption budget.
        type: bool
        default: false
      client_request_token:
        description:
          - Idempotency token for this node group's C(UpdateNodegroupVersion); derived by default, as in
            M(fleetops.eks.eks_nodegroup_version).
        type: str
  continue_on_error:
    description:
      - With V(false), the first refusal (before anything starts) or failure (after) stops the batch from starting
        further updates; node groups not started are reported with status C(not_started).
      - With V(true), every node group is handled on its own.
    type: bool
    default: false
  wait:
    description:
      - Follow the updates until each is C(Successful), C(Failed) or C(Cancelled).
      - With V(false), the module returns as soon as every update has started (or was found in progress); a node
        group busy with an update that does not lead to its target then fails.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in all, for the whole batch, including waiting for other updates in progress.
      - When it runs out, the node groups still updating fail with their update's id and status; running the task
        again resumes waiting on the same updates.
    type: int
    default: 3600
  wait_delay:
    description:
      - Seconds between two rounds of C(DescribeUpdate) polls (one call per update still in progress).
    type: int
    default: 30
notes:
  - Check mode is supported; it makes the same read calls and no mutating call.
  - IAM permissions are those of M(fleetops.eks.eks_nodegroup_version).
  - The module is in the C(fleetops.eks.aws) action group.
seealso:
  - module: fleetops.eks.eks_nodegroup_version
  - module: fleetops.eks.eks_nodegroup_version_info
  - name: The nodegroup_upgrade role
    description: Batches of this module, with hooks before and after each node group, and a summary.
    link: https://github.com/fleetops/eks/blob/main/docs/fleet.md
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Move three node groups of two clusters to their cluster's minor, side by side
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups:
      - cluster_name: prod
        name: general
        kubernetes_version: "1.31"
      - cluster_name: prod
        name: web
        launch_template:
          version: $Latest
      - cluster_name: staging
        name: general
        release_version: latest
  register: upgraded

- name: Everything the report says is behind, going on past failures
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups: >-
      {%- set ns = namespace(entries=[]) -%}
      {%- for nodegroup in report.nodegroups if nodegroup.upgrade -%}
      {%- set ns.entries = ns.entries + [{'cluster_name': nodegroup.cluster, 'name': nodegroup.name} | combine(nodegroup.upgrade)] -%}
      {%- endfor -%}
      {{ ns.entries }}
    continue_on_error: true

- name: Preview a batch
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups:
      - cluster_name: prod
        name: general
        kubernetes_version: "1.31"
  check_mode: true
  diff: true
"""

RETURN = r"""
msg:
  description: How many node groups ended in each status, and the message of each that failed.
  returned: always
  type: str
  sample: "3 node groups: 2 updated, 1 current."
nodegroups:
  description:
    - One entry per node group of O(nodegroups), in the same order.
    - Each holds the result M(fleetops.eks.eks_nodegroup_version) would give for it (C(changed), C(failed),
      C(msg), C(nodegroup_update), C(nodegroup), C(request), and C(diff) in diff mode), and the keys below.
  returned: always
  type: list
  elements: dict
  contains:
    cluster_name:
      description: The cluster's name, as given.
      type: str
    name:
      description: The node group's name, as given.
      type: str
    status:
      description:
        - C(current) (nothing to do), C(would_update) (check mode), C(in_progress) (started or found, not waited
          for), C(updated), C(failed), or C(not_started) (an earlier refusal or failure stopped the batch).
      type: str
      sample: updated
    before:
      description:
        - The node group's C(version), C(release_version) and C(launch_template_version) before the run.
        - Null when the run ended before it could plan (a refusal, a node group not found, an error).
      type: dict
      sample: {"version": "1.30", "release_version": "1.30.4-20241024", "launch_template_version": null}
    after:
      description:
        - The same after the run, as described once the update ended; otherwise the target (predicted in check
          mode, or still in progress). A null C(release_version) in a target is the latest release EKS picks.
        - Null when the run ended before it could plan.
      type: dict
      sample: {"version": "1.31", "release_version": "1.31.7-20250403", "launch_template_version": null}
    duration:
      description:
        - Seconds from this run starting (or finding) the node group's update until it saw the update end.
        - Null when the run did not wait for an update of this node group.
      type: float
      sample: 612.4
"""

import time

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import NODEGROUP_OPTIONS
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import NodegroupVersionRun
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import RunEnded
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import nodegroup_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import wait_argument_spec

STATUS_ORDER = ("updated", "in_progress", "would_update", "current", "failed", "not_started")


class Pending(Exception):
    """A run waits for ``update``; ``then(outcome, update)`` carries it on when the update has ended.

    ``then_starts`` says that carrying on may start an update (the run waited for another update in its way).
    """

    def __init__(self, nodegroup, update, then, then_starts):
        super(Pending, self).__init__(update["id"])
        self.nodegroup = nodegroup
        self.update = update
        self.then = then
        self.then_starts = then_starts


class BatchedRun(NodegroupVersionRun):
    """A node group's run whose waits are taken over by the batch's poll loop."""

    def await_update(self, nodegroup, update, then, then_starts=False):
        raise Pending(nodegroup, update, then, then_starts)


class Entry:
    """One node group of the batch: its run, and where it stands."""

    def __init__(self, index, run):
        self.index = index
        self.run = run
        self.status = None
        self.result = None
        self.failed = False
        self.pending = None
        self.waiting_since = None
        self.duration = None

    def label(self):
        return "%s/%s" % (self.run.params["cluster_name"], self.run.params["name"])


class NodegroupVersionBatch:
    """The batch: check every entry, prepare every run (reads), act on each, then follow every update in one loop."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.clients = {}
        self.memo = {}
        self.deadline = time.monotonic() + self.params["wait_timeout"]
        self.stopped_by = None
        self.entries = []
        for index, options in enumerate(self.params["nodegroups"]):
            params = dict((key, options.get(key)) for key in NODEGROUP_OPTIONS)
            params.update((key, self.params[key]) for key in ("wait", "wait_timeout", "wait_delay"))
            self.entries.append(Entry(index, BatchedRun(module, params, clients=self.clients, memo=self.memo, deadline=self.deadline)))

    # -- one entry ---------------------------------------------------------------------------------

    def step(self, entry, action):
        """Carry the entry's run on with ``action()``: it ends (RunEnded, an AWS error) or waits (Pending).

        Returns what ``action`` returned when it did neither (``prepare`` returns the plan).
        """
        try:
            return action()
        except Pending as pending:
            if entry.pending is None or entry.pending.update["id"] != pending.update["id"]:
                entry.waiting_since = time.monotonic()
            entry.pending = pending
        except RunEnded as ended:
            self.end(entry, dict(ended.result, **(ended.states or dict(before=None, after=None))), ended.failed)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            result = dict(changed=False, msg="Could not update the version of %s: %s" % (entry.run.name(), e))
            if getattr(e, "response", None):
                result["error"] = camel_dict_to_snake_dict(e.response.get("Error") or {})
            self.end(entry, result, True)
        return None

    def end(self, entry, result, failed):
        if entry.waiting_since is not None:
            entry.duration = round(time.monotonic() - entry.waiting_since, 1)
        entry.pending = None
        entry.result = result
        entry.failed = failed
        entry.status = "failed" if failed else self.status_of(result)
        if failed and not self.params["continue_on_error"] and self.stopped_by is None:
            self.stopped_by = entry

    def not_started(self, entry, why):
        entry.pending = None
        entry.result = dict(changed=False, msg="Not started: %s." % why)
        entry.failed = True
        entry.status = "not_started"

    def stop_reason(self):
        return "%s failed first (%s), and continue_on_error is false" % (self.stopped_by.label(), self.stopped_by.result.get("msg", "").rstrip("."))

    def status_of(self, result):
        update = result.get("nodegroup_update") or {}
        if self.module.check_mode and result.get("changed"):
            return "would_update"
        if not update:
            return "current"
        if update.get("status") == "Successful":
            return "updated"
        return "in_progress"

    # -- the batch ---------------------------------------------------------------------------------

    def check(self):
        """Every entry's options, before any call: refuse the whole batch on the first bad one."""
        seen = set()
        for entry in self.entries:
            where = "nodegroups[%d] (%s)" % (entry.index, entry.label())
            if entry.label() in seen:
                self.module.fail_json(msg="%s names a node group a second time; name each node group once." % where)
            seen.add(entry.label())
            try:
                planner.check_options(entry.run.params)
            except planner.PlanError as e:
                self.module.fail_json(msg="%s: %s" % (where, e.msg))

    def run(self):
        self.check()
        prepared = {}
        for entry in self.entries:
            found = self.step(entry, entry.run.prepare)
            if found is not None:
                prepared[entry.index] = found
        for entry in self.entries:
            if entry.index not in prepared:
                continue
            if self.stopped_by is not None:
                self.not_started(entry, self.stop_reason())
                continue
            nodegroup, plan = prepared[entry.index]
            self.step(entry, lambda entry=entry, nodegroup=nodegroup, plan=plan: entry.run.act(nodegroup, plan))
            if entry.result is None and entry.pending is None:
                raise AssertionError("the run of %s ended without a result" % entry.run.name())
        self.follow()
        self.report()

    def waiting(self):
        return [entry for entry in self.entries if entry.pending is not None]

    def follow(self):
        """One loop for every update the runs wait for: a round of DescribeUpdate every wait_delay seconds.

        As for one node group, the last round falls on the deadline, and an update that has not ended by then
        is handed back to its run as timed out.
        """
        while self.waiting():
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                for entry in self.waiting():
                    self.step(entry, lambda pending=entry.pending: pending.then("timeout", pending.update))
                continue
            time.sleep(min(self.params["wait_delay"], remaining))
            eks = self.entries[0].run.client("eks")
            for entry in self.waiting():
                self.step(entry, lambda entry=entry: self.poll(entry, eks))

    def poll(self, entry, eks):
        """Poll the entry's update once; when it has ended, hand it to the run (or, if the run would start an
        update after it and the batch has stopped, leave the node group not started)."""
        pending = entry.pending
        update = api.describe_update_or_none(eks, pending.nodegroup["clusterName"], pending.nodegroup["nodegroupName"], pending.update["id"])
        if update is None:
            return pending.then("gone", None)
        if update.get("status") not in api.TERMINAL_UPDATE_STATUSES:
            pending.update = update
            raise pending
        if pending.then_starts and self.stopped_by is not None:
            return self.not_started(entry, "%s; it waited for update %s, which has ended %s" % (self.stop_reason(), update["id"], update["status"]))
        return pending.then(update["status"], update)

    def report(self):
        results = []
        counts = {}
        failures = []
        for entry in self.entries:
            result = dict(dict(before=None, after=None), **entry.result)
            result.update(cluster_name=entry.run.params["cluster_name"], name=entry.run.params["name"])
            result.update(status=entry.status, duration=entry.duration, failed=entry.failed)
            result.setdefault("changed", False)
            results.append(result)
            counts[entry.status] = counts.get(entry.status, 0) + 1
            if entry.status == "failed":
                failures.append("%s: %s" % (entry.label(), result["msg"]))
        msg = "%d node group%s: %s." % (
            len(results),
            "" if len(results) == 1 else "s",
            ", ".join("%d %s" % (counts[status], status.replace("_", " ")) for status in STATUS_ORDER if status in counts),
        )
        if failures:
            msg += " " + " ".join(failures)
        outcome = dict(changed=any(result["changed"] for result in results), msg=msg, nodegroups=results)
        if any(entry.failed for entry in self.entries):
            self.module.fail_json(**outcome)
        self.module.exit_json(**outcome)


def main():
    argument_spec = dict(
        nodegroups=dict(type="list", elements="dict", required=True, options=nodegroup_argument_spec()),
        continue_on_error=dict(type="bool", default=False),
        **wait_argument_spec()
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    NodegroupVersionBatch(module).run()


if __name__ == "__main__":
    main()
