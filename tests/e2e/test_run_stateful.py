"""Runs of the run layer under faults, hunted by Hypothesis: a stateful test against the local EKS endpoint.

The rules are what a user, another operator or the network can do: run the module's run (alone, two at once,
in check mode, with or without waiting) towards a target; start an update behind the module's back; finish a
held update; inject a fault (throttling, 5xx, a lost answer, AccessDenied, a connection that never answers);
clear the faults. After every step the invariants hold:

* a run never starts an update when one to the same target is already in progress, and starts at most one;
* every update a run sent is in its result: ``changed: true``, its id (or, when the answer was lost, the request
  and its token);
* a run that says ``changed: false`` sent nothing;
* no run reports a success unless the node group, as EKS has it after the run, is at the run's target.

Runs use the real run layer (``Driver``, ``NodegroupRun``, ``BoundedClients``) with boto3 clients of the
in-process endpoint. Updates are held by the endpoint and end only when a rule (or a run's poll, as Hypothesis
chooses) finishes them, and waiting runs on a virtual clock, so no step depends on the machine's speed.
``FLEETOPS_STATEFUL_EXAMPLES`` and ``FLEETOPS_STATEFUL_STEPS`` raise the budget (``make soak``);
``FLEETOPS_STATEFUL_STATS`` names a file to which the figures of the run are written as JSON.
"""

import json
import os
import time

import boto3
import botocore.config
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import CREDENTIALS, REGION
from localeks.eks.models import localeks_backends

from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients, Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import Driver

EXAMPLES = int(os.environ.get("FLEETOPS_STATEFUL_EXAMPLES", "30"))
STEPS = int(os.environ.get("FLEETOPS_STATEFUL_STEPS", "12"))
STATS_FILE = os.environ.get("FLEETOPS_STATEFUL_STATS")

FLEET = {
    "region": REGION,
    "clusters": [
        {
            "name": "c1",
            "version": "1.31",
            "nodegroups": [
                {"name": "a", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.30.8-20250123"},
                {"name": "b", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.0-20241024"},
            ],
        }
    ],
}
NODEGROUPS = ("a", "b")
# Targets as the module's options; each keeps to what EKS accepts for both node groups or is refused cleanly.
TARGETS = (
    {"release_version": "latest"},
    {},
    {"kubernetes_version": "1.31"},
    {"kubernetes_version": "1.31", "release_version": "1.31.4-20250203"},
    {"release_version": "1.31.3-20250123"},
)
FAULTS = ("throttle", "server_error", "lose_response", "access_denied", "hang")
OPERATIONS = ("DescribeNodegroup", "UpdateNodegroupVersion", "DescribeUpdate", "ListUpdates", "*")
# A fault met by the run a step makes: kind, operation, how many requests it hits (None: every one).
FAULT = st.none() | st.tuples(st.sampled_from(FAULTS), st.sampled_from(OPERATIONS), st.none() | st.integers(1, 3))

STATS = {"examples": 0, "steps": 0, "runs": 0, "faults_injected": 0, "faults_fired": 0, "updates_started": 0,
         "invariant_checks": 0, "invariant_violations": 0, "endings": {}}


class VirtualClock:
    """The monotonic clock plus the time runs have slept: waiting costs nothing, work still counts.

    ``on_sleep`` is called after each sleep, so a step can finish a held update while a run waits for it.
    """

    def __init__(self):
        self.offset = 0.0
        self.on_sleep = None

    def __call__(self):
        return time.monotonic() + self.offset

    def sleep(self, seconds):
        self.offset += max(0.0, seconds)
        if self.on_sleep is not None:
            self.on_sleep()


class RunsUnderFaults(RuleBasedStateMachine):
    endpoint = None

    def __init__(self):
        super().__init__()
        self.control = self.endpoint.control
        self.results = []

    @initialize()
    def seed(self):
        STATS["examples"] += 1
        self.control.load_fleet(FLEET)
        for name in NODEGROUPS:
            self.control.behaviour("c1", name, hold_updates=True)
        self.backend = localeks_backends[DEFAULT_ACCOUNT_ID][REGION]
        self.eks = self.client("eks", botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 3}))

    # -- helpers -----------------------------------------------------------------------------------------

    def client(self, service, config):
        # Connections that never answer are cut after a fraction of a second (real time), whatever the run asks.
        config = config.merge(botocore.config.Config(read_timeout=min(config.read_timeout, 0.5), connect_timeout=2))
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.endpoint.url, config=config,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def updates(self, name):
        """Every update of the node group, as the endpoint has it: id -> (status, params, token)."""
        with self.backend.lock:
            nodegroup = self.backend.describe_nodegroup("c1", name)
            return {
                update.id: (update.status, planner.update_params(update.to_dict()), update.client_request_token, update.type)
                for update in self.backend.state(nodegroup).updates
            }

    def described(self, name):
        with self.backend.lock:
            nodegroup = self.backend.describe_nodegroup("c1", name)
            return {
                "version": nodegroup.version,
                "release_version": nodegroup.release_version,
                "launch_template_version": (nodegroup.launch_template or {}).get("version") if nodegroup.launch_template else None,
            }

    def in_progress(self, name):
        return [update_id for update_id, (status, _params, _token, _kind) in self.updates(name).items() if status == "InProgress"]

    def drive(self, runs_params, finish_after, finish_status, check_mode=False, together=False):
        """Run the run layer for each params (one at a time, or in one batch loop), and check what it did."""
        STATS["runs"] += len(runs_params)
        name = runs_params[0]["name"]
        before = self.updates(name)
        in_progress_before = {update_id: item for update_id, item in before.items() if item[0] == "InProgress"}
        clock = VirtualClock()
        sleeps = [0]

        def finish_held():
            sleeps[0] += 1
            if finish_after is not None and sleeps[0] == finish_after:
                for update_id in self.in_progress(name):
                    self.control.finish_update("c1", update_id, status=finish_status)
                    # Ended while the runs went on: from here on a run may start an update beside it.
                    in_progress_before.pop(update_id, None)

        clock.on_sleep = finish_held
        clients = BoundedClients(self.client, Deadline(120, clock=clock), sleep=clock.sleep)
        driver = Driver(clients, sleep=clock.sleep, clock=clock)
        runs = [driver.new_run(params, check_mode=check_mode) for params in runs_params]
        if together:
            driver.run_many(runs, continue_on_error=True)
        else:
            for run in runs:
                driver.run_one(run)
        after = self.updates(name)
        new = {update_id: item for update_id, item in after.items() if update_id not in before}
        STATS["updates_started"] += len(new)
        self.check_runs(name, runs, new, in_progress_before)

    def violated(self, condition, message):
        STATS["invariant_checks"] += 1
        if not condition:
            STATS["invariant_violations"] += 1
            raise AssertionError(message)

    def check_runs(self, name, runs, new, in_progress_before):
        results = [(run, run.result()) for run in runs]
        sent = [run for run, result in results if run.sent]
        self.violated(len(new) <= len(sent), "%d updates started by %d runs that sent: %r" % (len(new), len(sent), new))
        self.violated(len(new) <= 1 or len(set(item[2] for item in new.values())) == len(new), "two updates for one token: %r" % new)
        for run, result in results:
            token = (run.api_request or {}).get("clientRequestToken")
            mine = [update_id for update_id, item in new.items() if item[2] == token]
            if run.plan is not None and run.plan.action == "update" and in_progress_before:
                for update_id, (_status, params, _token, kind) in in_progress_before.items():
                    same_target = kind == "VersionUpdate" and planner.in_flight_decision(run.plan, {"type": kind, "params": [
                        {"type": key, "value": value} for key, value in params.items()]}) == "attach"
                    self.violated(not (same_target and mine), "%s started %s beside %s, in progress to its target" % (run.name(), mine, update_id))
            if mine:
                self.violated(result["changed"] is True, "%s started %s but says changed false: %r" % (run.name(), mine, result))
                reported = (result.get("nodegroup_update") or {}).get("id")
                self.violated(
                    reported == mine[0] or (reported is None and "answer was lost" in result["msg"] and result["request"]),
                    "%s started %s but reports %r: %r" % (run.name(), mine, reported, result),
                )
            if not result["changed"]:
                self.violated(not mine and not run.sent, "%s says changed false but sent: %r" % (run.name(), result))
            if not result.get("failed") and run.status() == "updated":
                at = self.described(name)
                wanted = run.plan.after
                self.violated(
                    all(wanted[key] is None or at[key] == wanted[key] for key in wanted),
                    "%s reports success but the node group is at %r, not %r" % (run.name(), at, wanted),
                )
            self.results.append(result)
            ending = "%s%s" % (run.status(), " (sent)" if run.sent else "")
            STATS["endings"][ending] = STATS["endings"].get(ending, 0) + 1

    # -- rules ---------------------------------------------------------------------------------------------

    @rule(
        name=st.sampled_from(NODEGROUPS),
        goal=st.sampled_from(TARGETS),
        wait=st.booleans(),
        check_mode=st.booleans(),
        finish_after=st.none() | st.integers(1, 3),
        finish_status=st.sampled_from(["Successful", "Successful", "Failed", "Cancelled"]),
        token=st.none() | st.just("fixed-token"),
        fault=FAULT,
    )
    def run_module(self, name, goal, wait, check_mode, finish_after, finish_status, token, fault):
        STATS["steps"] += 1
        self.meet(fault)
        params = dict(cluster_name="c1", name=name, kubernetes_version=None, release_version=None, launch_template=None,
                      force=False, client_request_token=token, wait=wait, wait_timeout=120, wait_delay=30)
        params.update(goal)
        self.drive([params], finish_after, finish_status, check_mode=check_mode)

    @rule(name=st.sampled_from(NODEGROUPS), goals=st.lists(st.sampled_from(TARGETS), min_size=2, max_size=2),
          finish_after=st.none() | st.integers(1, 3), fault=FAULT)
    def concurrent_runs(self, name, goals, finish_after, fault):
        STATS["steps"] += 1
        self.meet(fault)
        runs = []
        for goal in goals:
            params = dict(cluster_name="c1", name=name, kubernetes_version=None, release_version=None, launch_template=None,
                          force=False, client_request_token=None, wait=True, wait_timeout=120, wait_delay=30)
            params.update(goal)
            runs.append(params)
        self.drive(runs, finish_after, "Successful", together=True)

    @rule(name=st.sampled_from(NODEGROUPS), release=st.sampled_from(["1.31.3-20250123", "1.31.7-20250403"]))
    def someone_else_starts_an_update(self, name, release):
        STATS["steps"] += 1
        faults = self.control.faults()
        STATS["faults_fired"] += sum(fault["fired"] for fault in faults)
        self.control.clear_faults()
        try:
            self.eks.update_nodegroup_version(clusterName="c1", nodegroupName=name, version="1.31", releaseVersion=release,
                                              clientRequestToken="someone-else-%d" % STATS["steps"])
        except self.eks.exceptions.ClientError:
            pass  # busy, a rollback, or a minor EKS refuses: as it would for anyone
        finally:
            for fault in faults:
                if fault["count"] is None or fault["fired"] < fault["count"]:
                    self.add_fault(fault["kind"], fault["operation"], None if fault["count"] is None else fault["count"] - fault["fired"])

    @rule(name=st.sampled_from(NODEGROUPS), status=st.sampled_from(["Successful", "Failed", "Cancelled"]))
    def finish_held_update(self, name, status):
        STATS["steps"] += 1
        for update_id in self.in_progress(name):
            self.control.finish_update("c1", update_id, status=status)

    def add_fault(self, kind, operation, count):
        rule_args = dict(kind=kind, service="eks", operation=operation)
        if count is not None:
            rule_args["count"] = count
        if kind == "hang":
            rule_args["seconds"] = 0.2
        self.control.add_fault(**rule_args)

    def meet(self, fault):
        if fault is not None:
            self.inject(*fault)

    def inject(self, kind, operation, count):
        STATS["faults_injected"] += 1
        if kind == "hang" and count is None:
            count = 2
        self.add_fault(kind, operation, count)

    @rule(kind=st.sampled_from(FAULTS), operation=st.sampled_from(OPERATIONS), count=st.none() | st.integers(1, 3))
    def inject_fault(self, kind, operation, count):
        STATS["steps"] += 1
        self.inject(kind, operation, count)

    @rule()
    def clear_faults(self):
        STATS["steps"] += 1
        STATS["faults_fired"] += sum(fault["fired"] for fault in self.control.faults())
        self.control.clear_faults()

    @invariant()
    def at_most_one_update_in_progress(self):
        if getattr(self, "backend", None) is None:
            return
        for name in NODEGROUPS:
            self.violated(len(self.in_progress(name)) <= 1, "two updates in progress on %s" % name)

    def teardown(self):
        if getattr(self, "backend", None) is not None:
            STATS["faults_fired"] += sum(fault["fired"] for fault in self.control.faults())
            self.control.clear_faults()


def test_runs_under_faults_keep_their_promises(endpoint):
    RunsUnderFaults.endpoint = endpoint
    began = time.monotonic()
    run_state_machine_as_test(
        RunsUnderFaults,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    if STATS_FILE:
        with open(STATS_FILE, "w") as handle:
            json.dump(dict(STATS, seconds=round(time.monotonic() - began, 1)), handle, indent=1)
    assert STATS["invariant_violations"] == 0
    assert STATS["runs"] > 0


@pytest.fixture(autouse=True)
def _no_leftover_faults(endpoint):
    yield
    endpoint.control.clear_faults()
