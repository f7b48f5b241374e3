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
      - How many seconds the whole batch may take, from 1 to 604800 (7 days), waiting for other updates in progress
        included. It bounds every AWS call too, as in M(fleetops.eks.eks_nodegroup_version).
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
  - fleetops.eks.rate_limit
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
        - Seconds from this run starting (or finding) the node group's update until it saw the update end, or until
          it stopped following it (the deadline, an error).
        - Null when the run did not wait for an update of this node group.
      type: float
      sample: 612.4
polling:
  description:
    - How the updates were followed, and what the request budget (O(rate_limit)) did.
    - Polls are spread over O(wait_delay) (with N updates in progress, one poll every O(wait_delay)/N seconds),
      never faster than O(rate_limit) allows. When a round of polls cannot fit in O(wait_delay), the interval
      stretches, RV(polling.stretched) is true and the task warns.
  returned: success, and when node groups failed
  type: dict
  version_added: 2.1.0
  contains:
    polls:
      description: C(DescribeUpdate) polls made.
      type: int
      sample: 120
    most_followed:
      description: The most updates followed at once.
      type: int
      sample: 40
    wait_delay:
      description: The poll interval asked for (O(wait_delay)).
      type: int
      sample: 30
    longest_interval:
      description: The longest time, in seconds, between two polls of the same update; null when none was polled twice.
      type: float
      sample: 30.4
    stretched:
      description: Whether some update was polled markedly less often than every O(wait_delay) (by more than a tenth, and 1 s).
      type: bool
      sample: false
    rate_limit:
      description: The O(rate_limit) in force (V(0) for none).
      type: float
      sample: 10.0
    requests:
      description: Requests sent to AWS by the task (retries included).
      type: int
      sample: 214
    budget_waited:
      description: Seconds that requests spent waiting for the budget, added over all of them.
      type: float
      sample: 3.2
    throttled:
      description: Throttling answers AWS gave the task.
      type: int
      sample: 0
"""

import traceback

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import NODEGROUP_OPTIONS
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import Driver
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import budget_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import crash_result
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_budget
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_clients
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import nodegroup_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import wait_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import workers_for

STATUS_ORDER = ("updated", "in_progress", "would_update", "current", "failed", "not_started")


def entry_params(module, options):
    """One node group's options, with the batch's wait, wait_timeout and wait_delay."""
    params = dict((key, options.get(key)) for key in NODEGROUP_OPTIONS)
    params.update((key, module.params[key]) for key in ("wait", "wait_timeout", "wait_delay"))
    return params


def check(module, entries):
    """Every entry's options, before any call: refuse the whole batch on the first bad one."""
    seen = set()
    for index, params in enumerate(entries):
        label = "%s/%s" % (params["cluster_name"], params["name"])
        where = "nodegroups[%d] (%s)" % (index, label)
        if label in seen:
            module.fail_json(msg="%s names a node group a second time; name each node group once." % where)
        seen.add(label)
        try:
            planner.check_options(params)
        except planner.PlanError as e:
            if e.option in ("wait_timeout", "wait_delay"):
                module.fail_json(msg=e.msg)
            module.fail_json(msg="%s: %s" % (where, e.msg))


def entry_result(run):
    result = dict(run.result(), **run.states())
    result.update(cluster_name=run.params["cluster_name"], name=run.params["name"])
    result.update(status=run.status(), duration=run.duration, failed=run.ending.failed)
    return result


def polling(driver, budget):
    """The result's ``polling``: how the updates were followed, and what the request budget did."""
    return dict(
        driver.polling or {},
        rate_limit=budget.limit if budget is not None else 0.0,
        requests=driver.clients.requests,
        budget_waited=round(budget.waited, 1) if budget is not None else 0.0,
        throttled=driver.clients.throttled,
    )


def stretched_warning(found):
    if not found.get("stretched"):
        return None
    return (
        "%d updates were followed at once within rate_limit %s requests/s, so each was polled as seldom as every %ss"
        " rather than every wait_delay (%ss): their ends were seen up to that late. Raise rate_limit if the account's"
        " EKS request rate allows it, or upgrade fewer node groups per task."
        % (found["most_followed"], found["rate_limit"], found["longest_interval"], found["wait_delay"])
    )


def report(module, runs, found=None):
    results = [entry_result(run) for run in runs]
    counts = {}
    failures = []
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result["status"] == "failed":
            failures.append("%s/%s: %s" % (result["cluster_name"], result["name"], result["msg"]))
    msg = "%d node group%s: %s." % (
        len(results),
        "" if len(results) == 1 else "s",
        ", ".join("%d %s" % (counts[status], status.replace("_", " ")) for status in STATUS_ORDER if status in counts),
    )
    if failures:
        msg += " " + " ".join(failures)
    outcome = dict(changed=any(result["changed"] for result in results), msg=msg, nodegroups=results)
    if found is not None:
        outcome["polling"] = found
        warning = stretched_warning(found)
        if warning:
            module.warn(warning)
    if any(result["failed"] for result in results):
        module.fail_json(**outcome)
    module.exit_json(**outcome)


def main():
    argument_spec = dict(
        nodegroups=dict(type="list", elements="dict", required=True, options=nodegroup_argument_spec()),
        continue_on_error=dict(type="bool", default=False),
        **dict(wait_argument_spec(), **budget_argument_spec())
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    entries = [entry_params(module, options) for options in module.params["nodegroups"]]
    check(module, entries)
    try:
        budget = module_budget(module)
    except ValueError as e:
        module.fail_json(msg=str(e))
    runs = []
    try:
        driver = Driver(module_clients(module, Deadline(module.params["wait_timeout"]), budget), workers=workers_for(budget))
        runs = [driver.new_run(params, check_mode=module.check_mode, diff=module._diff) for params in entries]
        driver.run_many(runs, continue_on_error=module.params["continue_on_error"])
    except Exception as error:  # pylint: disable=broad-except
        tb = traceback.format_exc()
        results = [
            entry_result(run) if run.ended else dict(
                crash_result(run, error, tb), cluster_name=run.params["cluster_name"], name=run.params["name"], status="failed")
            for run in runs
        ]
        module.fail_json(
            msg="Unexpected error: %s: %s" % (type(error).__name__, error),
            changed=any(result["changed"] for result in results),
            nodegroups=results,
            exception=tb,
        )
    report(module, runs, polling(driver, budget))


if __name__ == "__main__":
    main()
