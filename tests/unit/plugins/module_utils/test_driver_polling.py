# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Driver.run_many under a request budget, on a simulated clock: polls spread over wait_delay, the budget kept,
rounds that cannot fit stretched and said so.

The fake EKS and SSM below answer from plain state, and fire botocore's ``before-call`` event on every call as a
botocore client does, so the budget's hook sees each request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from botocore.hooks import HierarchicalEmitter
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import RequestBudget
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import Driver
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import Clock
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import most_in_any_window

OLD = "1.31.4-20250203"
LATEST = "1.31.7-20250403"


class Meta:
    def __init__(self):
        self.events = HierarchicalEmitter()


class Fleet:
    """Node groups of cluster ``prod``, each with an update that takes ``durations[name]`` seconds once started."""

    def __init__(self, clock, durations):
        self.clock = clock
        self.durations = durations
        self.started = {}
        self.calls = []  # (time, operation, node group)

    def release(self, name):
        start = self.started.get(name)
        return LATEST if start is not None and self.clock.now >= start + self.durations[name] else OLD


class FakeClient:
    def __init__(self, fleet, service):
        self.fleet = fleet
        self.service = service
        self.meta = Meta()

    def _call(self, operation, nodegroup=None):
        self.meta.events.emit("before-call.%s.%s" % (self.service, operation), model=None, params={})
        self.fleet.calls.append((self.fleet.clock.now, operation, nodegroup))

    def describe_nodegroup(self, clusterName, nodegroupName):
        self._call("DescribeNodegroup", nodegroupName)
        return {"nodegroup": {
            "clusterName": clusterName, "nodegroupName": nodegroupName, "status": "ACTIVE", "version": "1.31",
            "releaseVersion": self.fleet.release(nodegroupName), "amiType": "AL2023_x86_64_STANDARD",
            "modifiedAt": datetime.datetime(2025, 1, 2), "health": {"issues": []},
        }}

    def get_parameter(self, Name):
        self._call("GetParameter")
        return {"Parameter": {"Name": Name, "Value": LATEST}}

    def update_nodegroup_version(self, clusterName, nodegroupName, clientRequestToken, **request):
        self._call("UpdateNodegroupVersion", nodegroupName)
        self.fleet.started[nodegroupName] = self.fleet.clock.now
        return {"update": self._update(nodegroupName)}

    def describe_update(self, name, nodegroupName, updateId):
        self._call("DescribeUpdate", nodegroupName)
        return {"update": self._update(nodegroupName)}

    def _update(self, nodegroup):
        done = self.fleet.release(nodegroup) == LATEST
        return {"id": "u-" + nodegroup, "status": "Successful" if done else "InProgress", "type": "VersionUpdate",
                "params": [{"type": "Version", "value": "1.31"}, {"type": "ReleaseVersion", "value": LATEST}], "errors": []}


def params(name, wait_delay):
    return dict(cluster_name="prod", name=name, kubernetes_version=None, release_version="latest", launch_template=None,
                force=False, client_request_token=None, wait=True, wait_timeout=100000, wait_delay=wait_delay)


def run_fleet(durations, wait_delay, rate=None):
    clock = Clock()
    fleet = Fleet(clock, durations)
    budget = RequestBudget(rate, clock=clock, sleep=clock.sleep) if rate else None
    clients = BoundedClients(lambda service, config: FakeClient(fleet, service), Deadline(100000, clock=clock),
                             sleep=clock.sleep, budget=budget)
    driver = Driver(clients, sleep=clock.sleep, clock=clock)
    runs = [driver.new_run(params(name, wait_delay)) for name in sorted(durations)]
    driver.run_many(runs)
    return fleet, driver, runs, budget


def polls_of(fleet, name):
    return [at for at, operation, nodegroup in fleet.calls if operation == "DescribeUpdate" and nodegroup == name]


def test_polls_of_many_updates_are_spread_over_wait_delay_not_fired_together():
    durations = dict(("ng%02d" % k, 95.0) for k in range(20))
    fleet, driver, runs, dummy = run_fleet(durations, wait_delay=10)
    assert all(run.status() == "updated" for run in runs)
    polls = sorted(at for at, operation, dummy in fleet.calls if operation == "DescribeUpdate")
    # 20 updates, 10 s apart each: one poll every half second, never two at once.
    assert most_in_any_window(polls, 0.5) == 1
    for name in durations:
        mine = polls_of(fleet, name)
        assert all(later - earlier >= 10 - 1e-9 for earlier, later in zip(mine, mine[1:]))
    assert driver.polling["stretched"] is False and driver.polling["longest_interval"] <= 10.5
    assert driver.polling["most_followed"] == 20


def test_a_round_that_cannot_fit_the_budget_stretches_the_interval_and_says_so():
    durations = dict(("ng%02d" % k, 60.0) for k in range(30))
    fleet, driver, runs, budget = run_fleet(durations, wait_delay=5, rate=2)
    assert all(run.status() == "updated" for run in runs)
    times = [at for at, dummy, dummy2 in fleet.calls]
    assert most_in_any_window(times, 1.0) <= budget.burst + 2
    assert most_in_any_window(times, 10.0) <= budget.burst + 20
    # 30 polls at 2 a second take 15 s, not the 5 s asked for (and the describes after the updates ended share
    # the budget too).
    assert driver.polling["stretched"] is True
    assert 15 <= driver.polling["longest_interval"] <= 30


@settings(max_examples=300, deadline=None)
@given(
    durations=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=25),
    wait_delay=st.integers(min_value=1, max_value=30),
    rate=st.sampled_from([None, 0.5, 1.0, 3.0, 10.0]),
)
def test_every_update_is_seen_to_its_end_within_the_budget_and_never_polled_early(durations, wait_delay, rate):
    named = dict(("ng%02d" % k, float(seconds)) for k, seconds in enumerate(durations))
    fleet, driver, runs, budget = run_fleet(named, wait_delay, rate)
    assert all(run.status() == "updated" for run in runs), [run.result()["msg"] for run in runs]
    if budget is not None:
        times = [at for at, dummy, dummy2 in fleet.calls]
        assert most_in_any_window(times, 1.0) <= budget.burst + rate + 1e-6
    for name, seconds in named.items():
        mine = polls_of(fleet, name)
        assert all(later - earlier >= wait_delay - 1e-9 for earlier, later in zip(mine, mine[1:]))
        # Seen to end no later than one round after it ended: wait_delay, or, stretched by the budget, the time
        # its tokens take for a poll of every update followed and the last describe of every update that ended.
        interval = max(wait_delay, 2 * len(named) / rate if rate else 0) + (budget.burst / rate if rate else 0)
        end = fleet.started[name] + seconds
        assert mine[-1] >= end and mine[-1] - end <= interval + wait_delay + 1e-6
