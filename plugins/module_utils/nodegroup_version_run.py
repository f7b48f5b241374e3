# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One node group's run of eks_nodegroup_version: read, ask the planner, act, report.

This is the module shell's logic, shared by ``eks_nodegroup_version`` (one node
group) and ``eks_nodegroup_version_batch`` (many node groups in one process).
It decides nothing itself: the planner decides, the API layer calls.

A run always ends by raising ``RunEnded`` with the module result for its node
group. When it must wait for an update (its own, or another one in the way) it
calls ``await_update(nodegroup, update, then)``: here that waits in place and
calls ``then(outcome, update)``; the batch overrides it to wait for many updates
in one poll loop and call ``then`` when the update's turn comes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner

# Planning rounds: a node group that keeps changing under the module (another update
# started by someone else) is re-read and re-planned at most this many times.
MAX_ROUNDS = 5


def nodegroup_argument_spec():
    """The argument spec of one node group's options (eks_nodegroup_version's, and each entry of the batch's)."""
    return dict(
        cluster_name=dict(type="str", required=True),
        name=dict(type="str", required=True, aliases=["nodegroup_name"]),
        kubernetes_version=dict(type="raw", aliases=["version"]),
        release_version=dict(type="str"),
        launch_template=dict(
            type="dict",
            options=dict(name=dict(type="str"), id=dict(type="str"), version=dict(type="raw")),
            mutually_exclusive=[("name", "id")],
        ),
        force=dict(type="bool", default=False),
        client_request_token=dict(type="str", no_log=False),
    )


def wait_argument_spec():
    """How a run waits: wait, wait_timeout, wait_delay."""
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        wait_delay=dict(type="int", default=30),
    )


# The options of one node group's run (the batch gives them per node group).
NODEGROUP_OPTIONS = tuple(nodegroup_argument_spec())


class RunEnded(Exception):
    """The end of a run: the module result for its node group, and whether it failed."""

    def __init__(self, result, failed=False, states=None):
        super(RunEnded, self).__init__(result.get("msg"))
        self.result = result
        self.failed = failed
        # {"before": ..., "after": ...}: version, release and template version before the run and after it (as
        # described once the update ended; otherwise the planned target). None when the run ended before a plan.
        self.states = states


def plain(value):
    """JSON-ready copy: datetimes as ISO 8601 strings."""
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def snake(value):
    return camel_dict_to_snake_dict(plain(value), ignore_list=["labels", "tags"]) if value else None


class NodegroupVersionRun:
    """One node group: reads, asks the planner, then acts (or, in check mode, reports).

    ``params`` holds the node group's options and ``wait``, ``wait_timeout`` and
    ``wait_delay``. ``clients`` (service -> client) may be shared between runs;
    ``memo`` (a dict), when given, shares the reads that do not depend on the node
    group (cluster version, SSM release, launch template version) between runs.
    """

    def __init__(self, module, params, clients=None, memo=None, deadline=None):
        self.module = module
        self.params = params
        self.clients = clients if clients is not None else {}
        self.memo = memo
        self.deadline = deadline if deadline is not None else time.monotonic() + params["wait_timeout"]
        self.request = None

    def client(self, service):
        if service not in self.clients:
            self.clients[service] = self.module.client(service, retry_decorator=api.AWS_RETRY)
        return self.clients[service]

    def fail(self, msg, **result):
        result.setdefault("changed", False)
        raise RunEnded(dict(result, msg=msg), failed=True)

    def remaining(self):
        return self.deadline - time.monotonic()

    def name(self):
        return "node group %s in cluster %s" % (self.params["name"], self.params["cluster_name"])

    # -- reads -----------------------------------------------------------------------------------

    def describe(self):
        try:
            return api.describe_nodegroup(self.client("eks"), self.params["cluster_name"], self.params["name"])
        except api.NotFound as e:
            self.fail(
                "%s. Check cluster_name (%s), name (%s) and the region." % (str(e).rstrip("."), self.params["cluster_name"], self.params["name"])
            )

    def remembered(self, key, read):
        """``read()``, once per ``key`` and module run when reads are shared; LookupFailed is remembered too."""
        if self.memo is None:
            return read()
        if key not in self.memo:
            try:
                self.memo[key] = (read(), None)
            except api.LookupFailed as e:
                self.memo[key] = (None, e)
        value, error = self.memo[key]
        if error is not None:
            raise error
        return value

    def gather(self, nodegroup, lookups):
        facts = {}
        if lookups["cluster_version"]:
            cluster = nodegroup["clusterName"]
            facts["cluster_version"] = self.remembered(("cluster_version", cluster), lambda: api.describe_cluster_version(self.client("eks"), cluster))
        if lookups["release_parameter"]:
            parameter = lookups["release_parameter"]
            try:
                facts["latest_release"] = self.remembered(("parameter", parameter), lambda: api.read_parameter(self.client("ssm"), parameter))
            except api.LookupFailed as e:
                facts["latest_release_error"] = str(e)
        if lookups["launch_template_version"]:
            template, version = nodegroup["launchTemplate"], lookups["launch_template_version"]
            key = ("launch_template", template.get("id") or template.get("name"), version)
            try:
                resolved = self.remembered(key, lambda: api.resolve_launch_template_version(self.client("ec2"), template, version))
                facts["launch_template_version"] = resolved["number"]
                facts["launch_template_image_id"] = resolved["image_id"]
            except api.LookupFailed as e:
                self.fail("launch_template.version %s cannot be used: %s. Choose a version the launch template has." % (version, str(e).rstrip(".")))
        return facts

    # -- results ---------------------------------------------------------------------------------

    def finish(self, changed, msg, plan, nodegroup, update=None, request=None, after=None, failed=False):
        result = dict(changed=changed, msg=msg, nodegroup_update=snake(update), nodegroup=snake(nodegroup), request=snake(request))
        states = None
        if plan is not None:
            if self.module._diff:
                result["diff"] = dict(before=plan.before, after=after or plan.after)
            ended = planner.current_state(nodegroup) if failed and update and update.get("status") in api.TERMINAL_UPDATE_STATUSES else None
            states = dict(before=plan.before, after=after or ended or plan.after)
        raise RunEnded(result, failed=failed, states=states)

    # -- the run ---------------------------------------------------------------------------------

    def run(self):
        """The whole run; raises RunEnded."""
        nodegroup, plan = self.prepare()
        self.act(nodegroup, plan)
        raise AssertionError("the run of %s ended without a result" % self.name())

    def prepare(self):
        """Reads only: check the options, describe the node group, plan. Raises RunEnded for a no-op or a refusal."""
        try:
            self.request = planner.check_options(self.params)
        except planner.PlanError as e:
            self.fail(e.msg)
        nodegroup = self.describe()
        return nodegroup, self.plan(nodegroup)

    def plan(self, nodegroup):
        try:
            lookups = planner.required_lookups(nodegroup, self.request)
            plan = planner.plan_update(nodegroup, self.request, self.gather(nodegroup, lookups))
        except planner.PlanError as e:
            self.fail(e.msg, nodegroup=snake(nodegroup))
        if plan.action == "none":
            self.finish(False, plan.reason, plan, nodegroup)
        return plan

    def replan(self, nodegroup, rounds, reread):
        if rounds <= 1:
            self.fail("%s kept changing while this task planned its update; run the task again." % self.name(), nodegroup=snake(nodegroup))
        return self.act(nodegroup, self.plan(nodegroup), rounds - 1, reread)

    def act(self, nodegroup, plan, rounds=MAX_ROUNDS, reread=False):
        """Attach, wait for another update, or start the planned one (in check mode: say which)."""
        in_flight = None
        if nodegroup.get("status") == "UPDATING":
            in_flight = api.find_update_in_progress(self.client("eks"), nodegroup["clusterName"], nodegroup["nodegroupName"])
            if in_flight is None and not reread:
                # The update ended between the two reads: the node group may be at the target by now.
                return self.replan(self.describe(), rounds, reread=True)
        if in_flight is not None:
            if planner.in_flight_decision(plan, in_flight) == "attach":
                return self.follow(plan, nodegroup, in_flight, started=False)
            return self.wait_for_other(plan, nodegroup, in_flight, rounds, reread)

        api_request = dict(
            plan.request, clientRequestToken=self.params["client_request_token"] or planner.derive_client_request_token(nodegroup, plan.request)
        )
        if self.module.check_mode:
            self.finish(True, "Would update %s: %s." % (self.name(), plan.reason), plan, nodegroup, request=api_request)
        token = api_request.pop("clientRequestToken")
        try:
            update = api.start_update(self.client("eks"), plan.request, token)
        except api.UpdateInUse:
            # Someone started an update between our read and our call: read again and re-plan.
            return self.replan(self.describe(), rounds, reread)
        return self.follow(plan, nodegroup, update, started=True, request=dict(plan.request, clientRequestToken=token))

    def await_update(self, nodegroup, update, then, then_starts=False):
        """Wait here for ``update`` to end (or the deadline), then ``then(outcome, update as last seen)``.

        ``then_starts``: carrying on may start an update (this run waited for another one in its way).
        """
        outcome, seen = api.wait_for_update(
            self.client("eks"), nodegroup["clusterName"], nodegroup["nodegroupName"], update, self.remaining(), self.params["wait_delay"]
        )
        return then(outcome, seen)

    def wait_for_other(self, plan, nodegroup, other, rounds, reread):
        """Another update is in progress: wait for it to end, then plan again."""
        what = "%s %s (%s)" % (other.get("type"), other["id"], other.get("status"))
        if not self.params["wait"]:
            self.fail(
                "%s is busy with update %s, which does not lead to this task's target (%s). Run the task again when it"
                " has ended, or set wait: true to wait for it." % (self.name(), what, plan.reason),
                nodegroup_update=snake(other), nodegroup=snake(nodegroup),
            )
        if self.module.check_mode:
            self.finish(
                True,
                "Would wait for update %s to end, then update %s: %s." % (what, self.name(), plan.reason),
                plan, nodegroup, request=plan.request,
            )

        def then(outcome, seen):
            if outcome == "timeout":
                self.fail(
                    "Timed out after %ss waiting for update %s of %s to end before starting this task's update (%s)."
                    " Run the task again later." % (self.params["wait_timeout"], what, self.name(), plan.reason),
                    nodegroup_update=snake(seen), nodegroup=snake(nodegroup),
                )
            return self.replan(self.describe(), rounds, reread)

        return self.await_update(nodegroup, other, then, then_starts=True)

    def follow(self, plan, nodegroup, update, started, request=None):
        """Report a started or attached update, following it to its end when asked to."""
        name = self.name()
        how = "Started" if started else "Found"
        if not self.params["wait"] or self.module.check_mode:
            state = "started" if started else "already in progress"
            if self.module.check_mode:
                msg = "Would follow update %s of %s, already in progress towards this task's target: %s." % (update["id"], name, plan.reason)
            else:
                msg = "%s update %s of %s (%s): %s; not waiting for it." % (how, update["id"], name, state, plan.reason)
            # Without waiting, only an update started by this run is a change made by this run.
            changed = started or (self.module.check_mode and self.params["wait"])
            self.finish(changed, msg, plan, nodegroup, update=update, request=request)

        def then(outcome, final):
            if outcome == "gone":
                self.fail(
                    "%s or its update %s no longer exists: it was deleted while the update was being followed." % (name, update["id"]),
                    nodegroup_update=snake(update), request=snake(request),
                )
            if outcome == "timeout":
                self.fail(
                    "Timed out after %ss waiting for update %s of %s (status %s). The update goes on in EKS; run the task"
                    " again to resume waiting on the same update." % (self.params["wait_timeout"], final["id"], name, final.get("status")),
                    nodegroup_update=snake(final), nodegroup=snake(nodegroup), request=snake(request),
                )
            ended = self.describe()
            if outcome != "Successful":
                errors = planner.describe_update_errors(final)
                self.finish(
                    started,
                    "Update %s of %s ended %s: %s" % (final["id"], name, outcome, "; ".join(errors) or "EKS reported no error details"),
                    plan, ended, update=final, request=request, failed=True,
                )
            after = planner.current_state(ended)
            self.finish(True, "Updated %s: %s." % (name, plan.reason), plan, ended, update=final, request=request, after=after)

        return self.await_update(nodegroup, update, then)
