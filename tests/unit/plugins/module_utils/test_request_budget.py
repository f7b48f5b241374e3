# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The request budget (rate_limit): a token bucket on a simulated clock, alone and under BoundedClients."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DeadlineExceeded
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import RequestBudget
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import check_rate_limit
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import Clock
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import most_in_any_window


def test_a_burst_goes_at_once_then_requests_are_spaced_at_the_rate():
    clock = Clock()
    budget = RequestBudget(10, clock=clock, sleep=clock.sleep)
    sent = []
    for dummy in range(30):
        assert budget.take()
        sent.append(clock.now)
    assert sent[:10] == [0.0] * 10
    gaps = [round(b - a, 6) for a, b in zip(sent[10:], sent[11:])]
    assert gaps == [0.1] * 19
    assert budget.taken == 30 and budget.waited == pytest.approx(2.0)


def test_waiting_requests_each_reserve_their_own_turn_so_threads_never_go_together():
    clock = Clock()  # frozen: nobody sleeps, every thread only reserves
    budget = RequestBudget(4, clock=clock, sleep=clock.sleep)
    turns = []
    lock = threading.Lock()

    def reserve():
        for dummy in range(10):
            at = budget.reserve()
            with lock:
                turns.append(at)

    threads = [threading.Thread(target=reserve) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turns.sort()
    assert turns[:4] == [0.0] * 4
    assert [round(at, 6) for at in turns[4:]] == [round(0.25 * k, 6) for k in range(1, 77)]


def test_no_token_after_latest_is_refused_and_takes_nothing():
    clock = Clock()
    budget = RequestBudget(1, clock=clock, sleep=clock.sleep)
    assert budget.take(latest=0.0)
    assert budget.take(latest=0.5) is False
    assert budget.taken == 1 and clock.now == 0.0
    assert budget.take(latest=1.0) and clock.now == 1.0


def test_throttling_halves_the_rate_once_a_second_and_it_grows_back():
    clock = Clock()
    budget = RequestBudget(8, clock=clock, sleep=clock.sleep)
    budget.on_throttled()
    budget.on_throttled()  # the same second: one cut
    assert budget.rate() == 4.0 and budget.throttled == 2
    clock.now = 1.5
    assert budget.rate() == pytest.approx(4.0 + 0.8 * 1.5)
    budget.on_throttled()
    assert budget.rate() == pytest.approx((4.0 + 0.8 * 1.5) / 2)
    for dummy in range(10):
        clock.now += 1.0
        budget.on_throttled()
    assert budget.rate() == pytest.approx(1.0)  # an eighth of the limit at least
    clock.now += 100
    assert budget.rate() == 8.0


@settings(max_examples=150, deadline=None)
@given(
    rate=st.floats(min_value=0.2, max_value=50),
    asks=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=120),
)
def test_in_any_window_no_more_requests_go_than_the_burst_and_the_rate_allow(rate, asks):
    clock = Clock()
    budget = RequestBudget(rate, clock=clock, sleep=clock.sleep)
    sent = []
    for pause in asks:
        clock.sleep(pause / 10.0)
        assert budget.take()
        sent.append(clock.now)
    for width in (0.5, 1.0, 3.0):
        assert most_in_any_window(sent, width) <= budget.burst + rate * width + 1e-6


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 1001, True, "ten", None, "1e400"])
def test_a_rate_limit_that_is_no_rate_is_refused_naming_the_option(value):
    with pytest.raises(ValueError) as raised:
        check_rate_limit(value)
    assert str(raised.value).startswith("rate_limit must be a number of requests per second")


@pytest.mark.parametrize("value, rate", [(0, 0.0), ("2.5", 2.5), (10, 10.0), (1000, 1000.0)])
def test_a_rate_limit_is_a_float_and_0_means_none(value, rate):
    assert check_rate_limit(value) == rate


# -- under BoundedClients: every request of a real botocore client passes the budget ---------------------------


def stubbed(clock, seconds, rate, answers):
    """BoundedClients with a budget, whose every botocore client is stubbed with ``answers(stubber)``."""
    budget = RequestBudget(rate, clock=clock, sleep=clock.sleep)

    def make_client(service, config):
        client = boto3.client(service, region_name="us-east-1", config=config,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        stub = Stubber(client)
        answers(stub)
        stub.activate()
        return client

    clients = BoundedClients(make_client, Deadline(seconds, clock=clock), sleep=clock.sleep, rand=lambda: 0.0, budget=budget)
    return clients, budget


def empty_lists(count):
    def answers(stub):
        for dummy in range(count):
            stub.add_response("list_clusters", {"clusters": []})
    return answers


def test_calls_through_bounded_clients_take_tokens_and_wait_for_them():
    clock = Clock()
    clients, budget = stubbed(clock, 100, rate=2, answers=empty_lists(6))
    sent = []
    eks = clients.client("eks")
    for dummy in range(6):
        eks.list_clusters()
        sent.append(clock.now)
    assert sent == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
    assert clients.requests == 6 and budget.taken == 6


def test_pages_of_a_paginator_pass_the_budget_and_throttling_slows_it():
    clock = Clock()

    def answers(stub):
        stub.add_response("list_clusters", {"clusters": ["a"], "nextToken": "t1"})
        stub.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", http_status_code=429)
        stub.add_response("list_clusters", {"clusters": ["a"], "nextToken": "t1"})
        stub.add_response("list_clusters", {"clusters": ["b"]})

    clients, budget = stubbed(clock, 100, rate=4, answers=answers)
    eks = clients.client("eks")
    found = paginated_query_with_retries(eks, "list_clusters", retry_decorator=eks.retry_decorator)
    assert found["clusters"] == ["a", "b"]
    assert clients.requests == 4 and budget.taken == 4
    assert budget.throttled == 1 and clients.throttled == 1 and budget.rate() < 4


def test_no_token_before_the_deadline_ends_the_call_at_the_deadline():
    clock = Clock()
    clients, budget = stubbed(clock, 2.5, rate=1, answers=empty_lists(3))
    eks = clients.client("eks")
    for dummy in range(3):
        eks.list_clusters()
    assert clock.now == 2.0
    # The next token would come at 3.0, past the deadline at 2.5: the call ends now, and sends nothing.
    with pytest.raises(DeadlineExceeded) as raised:
        eks.list_clusters()
    assert "rate_limit" in str(raised.value)
    assert clock.now == 2.0 and budget.taken == 3 and clients.requests == 3
