# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One node group's run of eks_nodegroup_version: a state machine, and the driver that runs it.

``NodegroupRun`` is the run as named states. It never calls AWS and never reads the
clock: ``begin(now)`` and ``step(answer)`` each return the next ``Action`` (what to
read or send, and not before when), or None once the run has ended. A step is a
plain function of the state and the last answer::

    checked ─► DESCRIBE ─► GATHER ─(plan)─► GATE ─┬─► FIND_IN_FLIGHT ─┬─► FOLLOW ──► LAST_DESCRIBE ─► ended
                  ▲                               │                   ├─► WAIT_OTHER ─┐
                  │                               └─► START ──────────┴─► FOLLOW      │
                  └──────────── re-describe (at most MAX_ROUNDS times) ◄──────────────┘

(no-op plans, refusals, check mode, ``wait: false``, timeouts and faults end the run
from the state they happen in). ``result()`` is the one place where a run becomes a
module result, and it keeps one rule whatever ended the run: once
UpdateNodegroupVersion was sent, or may have been (its answer lost, an error
after the write, an exception), the result says ``changed: true`` and carries the
request and the update as last seen (or says that its answer was lost).

``Driver`` performs the actions with the API layer (``eks_nodegroup_api``) over
deadline-bounded clients (``bounded_client``): ``run_one`` runs one machine (the
module), ``run_many`` runs many in one loop (the batch): every machine is read and
planned before any starts an update, and polls are made when each is due.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import threading
import time
import traceback

try:
    import botocore.exceptions
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DEFAULT_RATE_LIMIT
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import RequestBudget
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import check_rate_limit
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DeadlineExceeded
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import describe_error
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import is_transient
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import may_have_been_served

# Threads making the reads of a batch side by side (within the request budget).
MAX_WORKERS = 8

# Planning rounds: a node group that keeps changing under the run (another update
# started by someone else) is re-read and re-planned at most this many times.
MAX_ROUNDS = 5

TERMINAL_UPDATE_STATUSES = api.TERMINAL_UPDATE_STATUSES


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


def budget_argument_spec():
    """The request budget: rate_limit."""
    return dict(rate_limit=dict(type="float", default=DEFAULT_RATE_LIMIT))


# The options of one node group's run (the batch gives them per node group).
NODEGROUP_OPTIONS = tuple(nodegroup_argument_spec())


def ansible_dict(resource):
    """An EKS answer as a result carries it, or None for none: amazon.aws's ``boto3_resource_to_ansible_dict``, keys
    snake_cased but those of ``labels`` and ``tags`` (EKS's own dicts, left as they are), datetimes as ISO 8601."""
    if not resource:
        return None
    return boto3_resource_to_ansible_dict(resource, transform_tags=False, force_tags=False, ignore_list=["labels", "tags"])


# -- the machine ------------------------------------------------------------------------------------------

DESCRIBE = "describe"
GATHER = "gather"
GATE = "gate"
FIND_IN_FLIGHT = "find_in_flight"
START = "start"
FOLLOW = "follow"
WAIT_OTHER = "wait_other"
LAST_DESCRIBE = "last_describe"
ENDED = "ended"

# The answer a batch gives a run that asks to start an update after the batch has stopped.
SKIP = object()


class Action:
    """What a run asks its driver to do: ``kind`` (its state's read or write), ``args``, not before ``at``.

    ``at`` is a time on the driver's monotonic clock, or None for at once. ``last_call``: the action falls on
    or after the deadline and is the run's last exchange with AWS (one short attempt).
    """

    def __init__(self, kind, at=None, last_call=False, **args):
        self.kind = kind
        self.at = at
        self.last_call = last_call
        self.args = args

    def __repr__(self):
        return "Action(%s, at=%s, last_call=%s)" % (self.kind, self.at, self.last_call)


class Answer:
    """What the driver found when it did an action: ``value``, or the ``error`` it met; ``now`` is when."""

    def __init__(self, now, value=None, error=None):
        self.now = now
        self.value = value
        self.error = error


class Ending:
    """How a run ended: ``kind`` (a status of the batch's vocabulary), ``msg``, and whether it failed.

    ``shows_other``: the result's update is the other update the run met in its way.
    """

    def __init__(self, kind, msg, failed=False, changed=False, shows_other=False):
        self.kind = kind
        self.msg = msg
        self.failed = failed
        self.changed = changed
        self.shows_other = shows_other


class NodegroupRun:
    """One node group's run. ``params``: its options, with ``wait``, ``wait_timeout`` and ``wait_delay``.

    ``deadline`` is a time on the driver's monotonic clock; the driver's clients are bounded by the same one.
    """

    def __init__(self, params, deadline, check_mode=False, diff=False):
        self.params = params
        self.deadline = deadline
        self.check_mode = check_mode
        self.diff = diff
        self.state = None
        self.now = None
        self.request = None  # the checked options
        self.nodegroup = None  # as last described
        self.plan = None
        self.rounds = MAX_ROUNDS
        self.reread = False
        self.update = None  # this run's update, started or attached to, as last seen
        self.other = None  # another update in the way, as last seen
        self.api_request = None  # UpdateNodegroupVersion's parameters, with the token
        self.sent = False  # UpdateNodegroupVersion was sent, or may have been
        self.started = False  # EKS answered it with this run's update
        self.following_since = None
        self.duration = None
        self.after = None  # version, release and template version described after the update ended
        self.ending = None
        self.error = None  # the error that ended the run, if one did
        self.poll_errors = 0  # polls that failed with a transient error and were made again later
        self.traceback = None

    # -- the machine's interface ----------------------------------------------------------------------------

    def name(self):
        return "node group %s in cluster %s" % (self.params.get("name"), self.params.get("cluster_name"))

    @property
    def ended(self):
        return self.state == ENDED

    def begin(self, now):
        """The first action, after checking the options alone."""
        self.now = now
        try:
            self.request = planner.check_options(self.params)
        except planner.PlanError as e:
            return self._end("failed", e.msg, failed=True)
        return self._ask(DESCRIBE)

    def step(self, answer):
        """Carry the run on with the answer to its last action; the next action, or None when it has ended."""
        if self.ended:
            raise ValueError("the run of %s has ended" % self.name())
        self.now = answer.now
        return getattr(self, "_on_" + self.state)(answer)

    def fault(self, error, now=None):
        """End the run on an error its state does not expect (an AWS error, no time left, an exception)."""
        if now is not None:
            self.now = now
        if self.ended:
            return None
        if self.state in (FOLLOW, WAIT_OTHER) and is_transient(error) and self.now < self.deadline:
            # A poll that met throttling or a server error past its own retries: the next poll is due anyway.
            self.poll_errors += 1
            return self._poll(self.state, self.update if self.state == FOLLOW else self.other)
        if self.state == START:
            self.sent = may_have_been_served(error)
        doing = {
            DESCRIBE: "Describing the %s" % self.name(),
            GATHER: "Reading what the plan of the %s needs" % self.name(),
            GATE: "Preparing the update of the %s" % self.name(),
            FIND_IN_FLIGHT: "Looking for the update in progress of the %s" % self.name(),
            START: "UpdateNodegroupVersion for the %s" % self.name(),
            FOLLOW: "Following update %s of the %s" % ((self.update or {}).get("id"), self.name()),
            WAIT_OTHER: "Waiting for update %s of the %s" % ((self.other or {}).get("id"), self.name()),
            LAST_DESCRIBE: "Describing the %s after its update ended" % self.name(),
        }.get(self.state, "The run of the %s" % self.name())
        if isinstance(error, planner.PlanError):
            msg = error.msg
        else:
            msg = "%s failed: %s." % (doing, describe_error(error).rstrip("."))
            if isinstance(error, DeadlineExceeded) or self.now >= self.deadline:
                msg = "Timed out after %ss. %s" % (self.params.get("wait_timeout"), msg)
        if self.update is not None and self.update.get("status") not in TERMINAL_UPDATE_STATUSES:
            msg += " Update %s goes on in EKS (status %s as last seen); run the task again to follow it." % (
                self.update["id"], self.update.get("status"))
        self.error = error
        return self._end("failed", msg, failed=True, shows_other=self.state == WAIT_OTHER)

    # -- transitions ------------------------------------------------------------------------------------------

    def _ask(self, state, at=None, last_call=False, **args):
        self.state = state
        return Action(state, at=at, last_call=last_call, **args)

    def _end(self, kind, msg, failed=False, changed=False, shows_other=False):
        if self.following_since is not None and self.duration is None:
            self.duration = round(self.now - self.following_since, 1)
        self.state = ENDED
        self.ending = Ending(kind, msg, failed=failed, changed=changed, shows_other=shows_other)
        return None

    def _poll(self, state, update):
        """Poll ``update`` one ``wait_delay`` from now; the last poll falls on the deadline."""
        at = min(self.now + self.params["wait_delay"], self.deadline)
        return self._ask(state, at=at, last_call=at >= self.deadline, update=update)

    def _expected(self, answer, *errors):
        """The answer's error when it is one of ``errors``; any other error ends the run through fault()."""
        if answer.error is None:
            return None
        if isinstance(answer.error, errors):
            return answer.error
        raise _Fault(answer.error)

    def _on_describe(self, answer):
        missing = self._expected(answer, api.NotFound)
        if missing is not None:
            return self._end(
                "failed",
                "%s. Check cluster_name (%s), name (%s) and the region."
                % (str(missing).rstrip("."), self.params["cluster_name"], self.params["name"]),
                failed=True,
            )
        self.nodegroup = answer.value
        try:
            lookups = planner.required_lookups(self.nodegroup, self.request)
        except planner.PlanError as e:
            return self._end("failed", e.msg, failed=True)
        return self._ask(GATHER, nodegroup=self.nodegroup, lookups=lookups)

    def _on_gather(self, answer):
        failed = self._expected(answer, api.LookupFailed)
        if failed is not None:
            version = (self.request["launch_template"] or {}).get("version")
            return self._end(
                "failed",
                "launch_template.version %s cannot be used: %s. Choose a version the launch template has."
                % (version, str(failed).rstrip(".")),
                failed=True,
            )
        try:
            self.plan = planner.plan_update(self.nodegroup, self.request, answer.value)
        except planner.PlanError as e:
            return self._end("failed", e.msg, failed=True)
        if self.plan.action == "none":
            return self._end("current", self.plan.reason)
        return self._ask(GATE)

    def _on_gate(self, answer):
        if answer.value is SKIP:
            return self._end("not_started", "Not started: %s." % answer.error, failed=True)
        if self.nodegroup.get("status") == "UPDATING":
            return self._ask(FIND_IN_FLIGHT, nodegroup=self.nodegroup)
        return self._start()

    def _on_find_in_flight(self, answer):
        self._expected(answer)
        in_flight = answer.value
        if in_flight is None:
            if not self.reread:
                # The update ended between the two reads: the node group may be at the target by now.
                self.reread = True
                return self._describe_again()
            return self._start()
        if planner.in_flight_decision(self.plan, in_flight) == "attach":
            self.update = in_flight
            return self._follow()
        return self._wait_for_other(in_flight)

    def _start(self):
        token = self.params.get("client_request_token") or planner.derive_client_request_token(self.nodegroup, self.plan.request)
        self.api_request = dict(self.plan.request, clientRequestToken=token)
        if self.check_mode:
            return self._end("would_update", "Would update %s: %s." % (self.name(), self.plan.reason), changed=True)
        # From here on the request counts as sent until EKS is known to have refused it.
        self.sent = True
        return self._ask(START, request=self.plan.request, token=token)

    def _on_start(self, answer):
        if answer.value is SKIP:
            self.sent = False
            self.api_request = None
            return self._end("not_started", "Not started: %s." % answer.error, failed=True)
        if self._expected(answer, api.UpdateInUse) is not None:
            # Someone started an update between our read and our call: read again and re-plan.
            self.sent = False
            return self._describe_again()
        update = answer.value
        self.update = update
        mismatches = planner.update_mismatches(self.plan, update)
        if mismatches:
            return self._end(
                "failed",
                "EKS answered UpdateNodegroupVersion for the %s with update %s (%s), which does not lead to this"
                " task's target (%s): %s. EKS hands back the update it first started for a client request token, so"
                " client_request_token %s was used before for another request; leave client_request_token out, or"
                " give a new one." % (
                    self.name(), update.get("id"), _params_text(update), self.plan.reason, "; ".join(mismatches),
                    self.api_request["clientRequestToken"]),
                failed=True,
            )
        self.started = True
        return self._follow()

    def _follow(self):
        update = self.update
        if not self.params["wait"] or self.check_mode:
            if self.check_mode:
                msg = "Would follow update %s of %s, already in progress towards this task's target: %s." % (
                    update["id"], self.name(), self.plan.reason)
                return self._end("would_update", msg, changed=self.params["wait"])
            how, state = ("Started", "started") if self.started else ("Found", "already in progress")
            msg = "%s update %s of %s (%s): %s; not waiting for it." % (how, update["id"], self.name(), state, self.plan.reason)
            return self._end("in_progress", msg)
        self.following_since = self.now
        if update.get("status") in TERMINAL_UPDATE_STATUSES:
            return self._ask(LAST_DESCRIBE, last_call=self.now >= self.deadline)
        return self._poll(FOLLOW, update)

    def _on_follow(self, answer):
        self._expected(answer)
        seen = answer.value
        if seen is None:
            return self._end(
                "failed",
                "%s or its update %s no longer exists: it was deleted while the update was being followed."
                % (self.name(), self.update["id"]),
                failed=True,
            )
        self.update = seen
        if seen.get("status") not in TERMINAL_UPDATE_STATUSES:
            if self.now >= self.deadline:
                return self._end(
                    "failed",
                    "Timed out after %ss waiting for update %s of %s (status %s). The update goes on in EKS; run the"
                    " task again to resume waiting on the same update."
                    % (self.params["wait_timeout"], seen["id"], self.name(), seen.get("status")),
                    failed=True,
                )
            return self._poll(FOLLOW, seen)
        self.duration = round(self.now - self.following_since, 1)
        return self._ask(LAST_DESCRIBE, last_call=self.now >= self.deadline)

    def _on_last_describe(self, answer):
        missing = self._expected(answer, api.NotFound)
        update = self.update
        if missing is not None:
            return self._end(
                "failed",
                "Update %s of %s ended %s, but the node group no longer exists: %s."
                % (update["id"], self.name(), update.get("status"), str(missing).rstrip(".")),
                failed=True,
            )
        self.nodegroup = answer.value
        self.after = planner.current_state(self.nodegroup)
        status = update.get("status")
        if status != "Successful":
            errors = planner.describe_update_errors(update)
            return self._end(
                "failed",
                "Update %s of %s ended %s: %s" % (update["id"], self.name(), status, "; ".join(errors) or "EKS reported no error details"),
                failed=True,
            )
        mismatches = planner.target_mismatches(self.plan, self.nodegroup)
        if mismatches:
            return self._end(
                "failed",
                "Update %s of %s (%s) ended Successful, but the node group is not at this task's target (%s): %s."
                " Run the task again to plan from where the node group is."
                % (update["id"], self.name(), _params_text(update), self.plan.reason, "; ".join(mismatches)),
                failed=True,
            )
        return self._end("updated", "Updated %s: %s." % (self.name(), self.plan.reason), changed=True)

    def _wait_for_other(self, other):
        self.other = other
        what = _update_text(other)
        if not self.params["wait"]:
            return self._end(
                "failed",
                "%s is busy with update %s, which does not lead to this task's target (%s). Run the task again when it"
                " has ended, or set wait: true to wait for it." % (self.name(), what, self.plan.reason),
                failed=True, shows_other=True,
            )
        if self.check_mode:
            return self._end(
                "would_update",
                "Would wait for update %s to end, then update %s: %s." % (what, self.name(), self.plan.reason),
                changed=True,
            )
        return self._poll(WAIT_OTHER, other)

    def _on_wait_other(self, answer):
        self._expected(answer)
        seen = answer.value
        if seen is not None:
            self.other = seen
            if seen.get("status") not in TERMINAL_UPDATE_STATUSES:
                if self.now >= self.deadline:
                    return self._end(
                        "failed",
                        "Timed out after %ss waiting for update %s of %s to end before starting this task's update"
                        " (%s). Run the task again later."
                        % (self.params["wait_timeout"], _update_text(seen), self.name(), self.plan.reason),
                        failed=True, shows_other=True,
                    )
                return self._poll(WAIT_OTHER, seen)
        return self._describe_again()

    def _describe_again(self):
        if self.rounds <= 1:
            return self._end(
                "failed",
                "%s kept changing while this task planned its update; run the task again." % self.name(),
                failed=True,
            )
        self.rounds -= 1
        return self._ask(DESCRIBE)

    # -- the result -------------------------------------------------------------------------------------------

    def result(self):
        """The module result of an ended run (for the batch: one entry, with status, before, after, duration)."""
        ending = self.ending
        sent = self.sent
        msg = ending.msg
        if sent and self.update is None:
            msg += (
                " UpdateNodegroupVersion was sent (client request token %s) but its answer was lost, so the update may"
                " be in progress: run the task again, and it finds that update and follows it instead of starting"
                " another." % self.api_request["clientRequestToken"]
            )
        changed = bool(sent or ending.changed)
        update = self.other if ending.shows_other else self.update
        if sent or (self.check_mode and ending.kind == "would_update" and self.api_request):
            request = self.api_request
        elif self.check_mode and ending.kind == "would_update" and self.other is not None:
            request = self.plan.request
        else:
            request = None
        result = dict(
            changed=changed,
            msg=msg,
            nodegroup_update=ansible_dict(update),
            nodegroup=ansible_dict(self.nodegroup),
            request=ansible_dict(request),
        )
        if self.plan is not None and self.diff:
            result["diff"] = dict(before=self.plan.before, after=self.after or self.plan.after)
        if ending.failed:
            result["failed"] = True
        if self.traceback:
            result["exception"] = self.traceback
        return result

    def status(self):
        """The batch's word for how the run ended."""
        ending = self.ending
        if ending.kind == "not_started":
            return "not_started"
        if ending.failed:
            return "failed"
        if self.check_mode:
            if ending.changed:
                return "would_update"
            return "in_progress" if self.update is not None else "current"
        return ending.kind

    def states(self):
        """``before`` and ``after``: the node group's versions before the run, and after it (as described once the
        update ended, else the planned target); None before a plan."""
        if self.plan is None:
            return dict(before=None, after=None)
        return dict(before=self.plan.before, after=self.after or self.plan.after)


class _Fault(Exception):
    def __init__(self, error):
        super(_Fault, self).__init__(str(error))
        self.error = error


def _update_text(update):
    return "%s %s (%s)" % (update.get("type"), update.get("id"), update.get("status"))


def _params_text(update):
    return ", ".join("%s %s" % (key, value) for key, value in sorted(planner.update_params(update).items())) or "no params"


# -- the driver -------------------------------------------------------------------------------------------


class Driver:
    """Performs runs' actions with the API layer and feeds the answers back.

    ``clients`` is a ``bounded_client.BoundedClients``: every call of every run of the process goes through it,
    within its one deadline and its one request budget. ``memo`` shares the reads that do not depend on the node
    group (cluster version, SSM release, launch template version) between the runs of one process. ``workers``
    threads make the reads and polls of ``run_many`` side by side (1: one after the other, in this thread).
    """

    def __init__(self, clients, sleep=time.sleep, clock=time.monotonic, workers=1):
        self.clients = clients
        self.sleep = sleep
        self.clock = clock
        self.workers = max(1, int(workers))
        self.memo = {}
        self._memo_locks = {}
        self._memo_lock = threading.Lock()
        self.polling = None

    @property
    def deadline(self):
        return self.clients.deadline.at

    def new_run(self, params, check_mode=False, diff=False):
        return NodegroupRun(params, self.deadline, check_mode=check_mode, diff=diff)

    # -- doing an action -------------------------------------------------------------------------------------

    def eks(self, action):
        return self.clients.client("eks", last_call=action.last_call)

    def perform(self, run, action):
        """Do ``action`` for ``run`` now; the answer, with the expected errors in it (others raise)."""
        params = run.params
        try:
            if action.kind == DESCRIBE:
                value = api.describe_nodegroup(self.eks(action), params["cluster_name"], params["name"])
            elif action.kind == GATHER:
                value = self.gather(action.args["nodegroup"], action.args["lookups"])
            elif action.kind == GATE:
                value = None
            elif action.kind == FIND_IN_FLIGHT:
                nodegroup = action.args["nodegroup"]
                value = api.find_update_in_progress(self.eks(action), nodegroup["clusterName"], nodegroup["nodegroupName"])
            elif action.kind == START:
                value = api.start_update(self.eks(action), action.args["request"], action.args["token"])
            elif action.kind in (FOLLOW, WAIT_OTHER):
                value = api.describe_update_or_none(
                    self.eks(action), params["cluster_name"], params["name"], action.args["update"]["id"]
                )
            elif action.kind == LAST_DESCRIBE:
                value = api.describe_nodegroup(self.eks(action), params["cluster_name"], params["name"])
            else:
                raise ValueError("unknown action %r" % action.kind)
        except (api.NotFound, api.LookupFailed, api.UpdateInUse) as expected:
            return Answer(self.clock(), error=expected)
        return Answer(self.clock(), value=value)

    def remembered(self, key, read):
        """``read()``, once per ``key`` and process (other threads wanting it wait); LookupFailed is remembered too."""
        with self._memo_lock:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
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
        """The facts ``lookups`` asks for; LookupFailed when the launch template version cannot be resolved."""
        facts = {}
        eks = self.clients.client("eks")
        if lookups["cluster_version"]:
            cluster = nodegroup["clusterName"]
            facts["cluster_version"] = self.remembered(("cluster_version", cluster), lambda: api.describe_cluster_version(eks, cluster))
        if lookups["release_parameter"]:
            parameter = lookups["release_parameter"]
            ssm = self.clients.client("ssm")
            try:
                facts["latest_release"] = self.remembered(("parameter", parameter), lambda: api.read_parameter(ssm, parameter))
            except api.LookupFailed as e:
                facts["latest_release_error"] = str(e)
        if lookups["launch_template_version"]:
            template, version = nodegroup["launchTemplate"], lookups["launch_template_version"]
            ec2 = self.clients.client("ec2")
            key = ("launch_template", template.get("id") or template.get("name"), version)
            resolved = self.remembered(key, lambda: api.resolve_launch_template_version(ec2, template, version))
            facts["launch_template_version"] = resolved["number"]
            facts["launch_template_image_id"] = resolved["image_id"]
        return facts

    def advance(self, run, action):
        """Perform ``action`` and step ``run`` with its answer; whatever goes wrong ends the run honestly."""
        try:
            answer = self.perform(run, action)
            return run.step(answer)
        except _Fault as fault:
            return run.fault(fault.error, self.clock())
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, DeadlineExceeded) as error:
            return run.fault(error, self.clock())
        except Exception as error:  # pylint: disable=broad-except
            run.traceback = traceback.format_exc()
            return run.fault(error, self.clock())

    def begin(self, run):
        try:
            return run.begin(self.clock())
        except Exception as error:  # pylint: disable=broad-except
            run.traceback = traceback.format_exc()
            return run.fault(error, self.clock())

    def wait_until(self, at):
        pause = at - self.clock()
        if pause > 0:
            self.sleep(pause)

    def plan_only(self, run):
        """Begin ``run`` and carry it on through its reads and plan: its GATE action, or None once it ended."""
        action = self.begin(run)
        while action is not None and action.kind != GATE:
            action = self.advance(run, action)
        return action

    # -- one run, many runs ----------------------------------------------------------------------------------

    def run_one(self, run):
        """Drive one run to its end."""
        action = self.begin(run)
        while action is not None:
            if action.at is not None:
                self.wait_until(action.at)
            action = self.advance(run, action)
        return run

    def run_many(self, runs, continue_on_error=False):
        """Drive many runs in one loop.

        Every run is described and planned (reads only, ``workers`` at a time) before any starts an update. Then,
        in the order given, each acts: starts its update, attaches, or waits for another update. One loop then
        makes each run's polls as they fall due, spread evenly over ``wait_delay``: with N updates followed,
        one poll every ``wait_delay / N`` seconds, and never faster than the request budget allows, so that a
        round of polls that cannot fit in ``wait_delay`` stretches it (``polling`` says by how much).
        Unless ``continue_on_error``, the first run to fail stops the others from starting an update (they end
        ``not_started``); updates already started are followed to their end.
        Returns the run that stopped the batch, or None.
        """
        loop = _ManyRuns(self, runs, continue_on_error)
        return loop.drive()


class _ManyRuns:
    """The state of one ``Driver.run_many``: the actions waiting, the polls' schedule, and the runs in flight."""

    def __init__(self, driver, runs, continue_on_error):
        self.driver = driver
        self.runs = runs
        self.continue_on_error = continue_on_error
        self.stopped_by = None
        self.pending = {}  # index -> (action, when it is to be made)
        self.following = set()  # the runs whose next action is a poll
        self.last_slot = None  # when the poll scheduled last is to be made
        self.last_poll = {}  # index -> when its last poll was answered
        self.polls = 0
        self.longest_interval = 0.0
        self.most_followed = 0
        budget = driver.clients.budget
        self.min_spacing = 1.0 / budget.limit if budget is not None and budget.limit > 0 else 0.0

    # -- bookkeeping -------------------------------------------------------------------------------------------

    def note(self, run):
        if run.ended and run.ending.failed and not self.continue_on_error and self.stopped_by is None and run.status() != "not_started":
            self.stopped_by = run

    def stop_reason(self):
        run = self.stopped_by
        return "%s/%s failed first (%s), and continue_on_error is false" % (
            run.params["cluster_name"], run.params["name"], run.ending.msg.rstrip("."))

    def skipped(self, action):
        return action.kind in (GATE, START) and self.stopped_by is not None

    @staticmethod
    def is_poll(action):
        return action is not None and action.kind in (FOLLOW, WAIT_OTHER)

    def track(self, index, action):
        """Count run ``index`` among the runs polling when its next action is a poll."""
        if self.is_poll(action):
            self.following.add(index)
            self.most_followed = max(self.most_followed, len(self.following))
        else:
            self.following.discard(index)

    def schedule(self, index, action):
        """Keep ``action`` of run ``index`` for later; a poll gets the next free slot of the polls' schedule."""
        self.track(index, action)
        if action is None:
            return
        when = action.at
        if self.is_poll(action) and when is not None and not action.last_call:
            spacing = max(self.runs[index].params["wait_delay"] / float(len(self.following)), self.min_spacing)
            if self.last_slot is not None:
                when = max(when, self.last_slot + spacing)
            # The schedule never moves a poll past the deadline: the poll due then is the last call.
            when = min(when, self.runs[index].deadline)
            self.last_slot = when
        self.pending[index] = (action, when)

    def answered(self, index, action):
        """Count the poll ``action`` of run ``index`` that was just answered, and the interval since its last."""
        if action.kind not in (FOLLOW, WAIT_OTHER):
            return
        now = self.driver.clock()
        self.polls += 1
        if index in self.last_poll:
            self.longest_interval = max(self.longest_interval, now - self.last_poll[index])
        self.last_poll[index] = now

    def act(self, index, action):
        """Perform ``action`` of run ``index`` (in this thread): the run's next action."""
        run = self.runs[index]
        if self.skipped(action):
            return run.step(Answer(self.driver.clock(), value=SKIP, error=self.stop_reason()))
        return self.driver.advance(run, action)

    # -- the three phases ----------------------------------------------------------------------------------

    def drive(self):
        driver = self.driver
        workers = min(driver.workers, max(1, len(self.runs)))
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        try:
            # Reads and plans of every run: each goes on until it asks to act (GATE) or ends.
            if pool is None:
                planned = [driver.plan_only(run) for run in self.runs]
            else:
                planned = list(pool.map(driver.plan_only, self.runs))
            for index, run in enumerate(self.runs):
                self.note(run)
                if planned[index] is not None:
                    self.pending[index] = (planned[index], planned[index].at)
            # Each run acts in turn, until it waits (an action due later) or ends; then the waits are scheduled,
            # knowing how many updates are followed.
            waiting = []
            for index in range(len(self.runs)):
                action = self.pending.pop(index, (None, None))[0]
                while action is not None and action.at is None:
                    action = self.act(index, action)
                self.note(self.runs[index])
                self.track(index, action)
                waiting.append((index, action))
            for index, action in waiting:
                self.schedule(index, action)
            self.loop(pool)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        self.summarize()
        return self.stopped_by

    def loop(self, pool):
        """Make every action when it is due until every run has ended: in this thread, or ``pool``'s."""
        driver = self.driver
        in_flight = {}  # future -> (index, action)
        while self.pending or in_flight:
            now = driver.clock()
            due = sorted(
                (index for index, (action, when) in self.pending.items() if when is None or when <= now),
                key=lambda index: (self.pending[index][1] or 0, index),
            )
            for index in due:
                action = self.pending.pop(index)[0]
                if pool is None or self.skipped(action):
                    nxt = self.act(index, action)
                    self.answered(index, action)
                    self.note(self.runs[index])
                    self.schedule(index, nxt)
                else:
                    in_flight[pool.submit(self.act, index, action)] = (index, action)
            next_due = min((when or 0 for action, when in self.pending.values()), default=None)
            if in_flight:
                timeout = None if next_due is None else max(0.0, next_due - driver.clock())
                done, dummy = concurrent.futures.wait(list(in_flight), timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    index, action = in_flight.pop(future)
                    self.answered(index, action)
                    self.note(self.runs[index])
                    self.schedule(index, future.result())
            elif next_due is not None and not due:
                driver.wait_until(next_due)

    def summarize(self):
        wait_delays = sorted(set(run.params.get("wait_delay") for run in self.runs if run.params.get("wait_delay")))
        wait_delay = wait_delays[-1] if wait_delays else None
        longest = round(self.longest_interval, 1)
        self.driver.polling = dict(
            polls=self.polls,
            most_followed=self.most_followed,
            wait_delay=wait_delay,
            longest_interval=longest if self.polls else None,
            stretched=bool(wait_delay and self.polls and self.longest_interval > wait_delay * 1.1 + 1),
        )


def module_clients(module, deadline, budget=None):
    """BoundedClients for an AnsibleAWSModule: its credentials, region, endpoint and aws_config apply.

    The EKS client is created at once, so that a missing region or unusable credentials fail the task here, in the
    main thread, before any thread of a batch or a report makes a call.
    """
    clients = BoundedClients(lambda service, config: module.client(service, config=config), deadline, budget=budget)
    clients.prepare("eks")
    return clients


def module_budget(module):
    """The module's RequestBudget (None with ``rate_limit: 0``); ValueError naming rate_limit when it is not valid."""
    rate = check_rate_limit(module.params.get("rate_limit", DEFAULT_RATE_LIMIT))
    return RequestBudget(rate) if rate > 0 else None


def workers_for(budget):
    """Threads for side-by-side reads: up to MAX_WORKERS, no more than the budget's requests per second."""
    if budget is None:
        return MAX_WORKERS
    return max(1, min(MAX_WORKERS, int(budget.limit)))


def run_nodegroup(module):
    """eks_nodegroup_version's whole run for an AnsibleAWSModule: its result, whatever happens on the way."""
    run = None
    try:
        planner.check_options(module.params)
        budget = module_budget(module)
    except planner.PlanError as e:
        # Before any clock or client: an absurd wait_timeout is refused here, not met as an overflow.
        return dict(changed=False, failed=True, msg=e.msg)
    except ValueError as e:
        return dict(changed=False, failed=True, msg=str(e))
    try:
        driver = Driver(module_clients(module, Deadline(module.params["wait_timeout"]), budget))
        run = driver.new_run(module.params, check_mode=module.check_mode, diff=module._diff)
        driver.run_one(run)
        return run.result()
    except Exception as error:  # pylint: disable=broad-except
        return crash_result(run, error, traceback.format_exc())


def crash_result(run, error, tb):
    """A result for an exception that escaped even the run's own fault handling: still honest about the update."""
    result = dict(changed=False, failed=True, msg="Unexpected error: %s: %s" % (type(error).__name__, error), exception=tb)
    if run is not None:
        result["msg"] = "Unexpected error in the run of %s: %s: %s" % (run.name(), type(error).__name__, error)
        result["changed"] = bool(run.sent)
        result["nodegroup_update"] = ansible_dict(run.update)
        result["request"] = ansible_dict(run.api_request if run.sent else None)
        result["nodegroup"] = ansible_dict(run.nodegroup)
    return result
