# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deadline-bounded clients: retries, timeouts and the deadline, on a simulated clock.

Each fake attempt advances the clock by what it would have taken (the read timeout for a hung endpoint), so
the bound is checked without waiting for it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import LAST_CALL_TIMEOUT
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DeadlineExceeded
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import is_transient
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import may_have_been_served
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import Clock


def throttled():
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 429}},
        "DescribeUpdate",
    )


class FakeClient:
    """Answers every call with what ``behave(timeout)`` says; records the timeouts it was made with."""

    def __init__(self, clock, timeout, behave, log):
        self.clock, self.timeout, self.behave, self.log = clock, timeout, behave, log

    def describe_update(self, **params):
        self.log.append((self.clock.now, self.timeout))
        return self.behave(self.clock, self.timeout)


def clients_for(seconds, behave):
    clock = Clock()
    log = []
    configs = []

    def make_client(service, config):
        configs.append(config)
        return FakeClient(clock, config.read_timeout, behave, log)

    clients = BoundedClients(make_client, Deadline(seconds, clock=clock), sleep=clock.sleep, rand=lambda: 1.0)
    return clients, clock, log, configs


def hung(clock, timeout):
    clock.now += timeout
    raise botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1")


def test_a_hung_endpoint_ends_at_the_deadline_not_after_read_timeouts_times_attempts():
    clients, clock, log, configs = clients_for(10, hung)
    with pytest.raises(DeadlineExceeded) as raised:
        clients.client("eks").describe_update(name="prod", nodegroupName="general", updateId="u-1", aws_retry=True)
    assert clock.now <= 10.5
    assert [entry[1] for entry in log][:1] == [8]
    assert all(config.retries["total_max_attempts"] == 1 for config in configs)
    assert "DescribeUpdate got no answer within the 10s the task had" in str(raised.value)
    assert "ReadTimeoutError" in str(raised.value)


def test_endless_throttling_ends_at_the_deadline_with_the_last_error():
    def always_throttled(clock, timeout):
        clock.now += 0.01
        raise throttled()

    clients, clock, log, unused_configs = clients_for(5, always_throttled)
    with pytest.raises(DeadlineExceeded) as raised:
        clients.client("eks").describe_update(name="prod", nodegroupName="general", updateId="u-1")
    assert 5 <= clock.now <= 5.1
    assert len(log) > 2
    assert raised.value.last_error.response["Error"]["Code"] == "ThrottlingException"


def test_a_transient_error_is_retried_and_the_answer_returned():
    answers = [throttled(), {"update": {"id": "u-1"}}]

    def flaky(clock, timeout):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clients, clock, log, unused_configs = clients_for(60, flaky)
    assert clients.client("eks").describe_update(name="prod", nodegroupName="g", updateId="u-1") == {"update": {"id": "u-1"}}
    assert len(log) == 2 and clients.retries == 1


def test_a_permanent_error_is_raised_at_once():
    def denied(clock, timeout):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "DescribeUpdate"
        )

    clients, clock, log, unused_configs = clients_for(60, denied)
    with pytest.raises(botocore.exceptions.ClientError):
        clients.client("eks").describe_update(name="prod", nodegroupName="g", updateId="u-1")
    assert len(log) == 1


def test_after_the_deadline_only_a_last_call_is_made_with_one_short_attempt():
    clients, clock, log, unused_configs = clients_for(1, hung)
    clock.now = 2.0
    with pytest.raises(DeadlineExceeded):
        clients.client("eks").describe_update(name="prod", nodegroupName="g", updateId="u-1")
    assert log == []
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        clients.client("eks", last_call=True).describe_update(name="prod", nodegroupName="g", updateId="u-1")
    assert log == [(2.0, LAST_CALL_TIMEOUT)]


def test_timeouts_shrink_with_the_time_left():
    assert [BoundedClients.timeout_for(seconds) for seconds in (3600, 45, 20, 9, 5, 3, 1.5, 0.2)] == [60, 30, 15, 8, 4, 2, 1, 1]


def test_errors_are_told_apart():
    lost = botocore.exceptions.ClientError({"Error": {"Code": "504", "Message": ""}, "ResponseMetadata": {"HTTPStatusCode": 504}}, "X")
    invalid = botocore.exceptions.ClientError(
        {"Error": {"Code": "InvalidParameterException", "Message": ""}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "X"
    )
    assert is_transient(throttled()) and is_transient(lost) and not is_transient(invalid)
    assert may_have_been_served(lost) and not may_have_been_served(invalid) and not may_have_been_served(throttled())
    assert may_have_been_served(botocore.exceptions.ReadTimeoutError(endpoint_url="x"))
    assert may_have_been_served(botocore.exceptions.ConnectionClosedError(endpoint_url="x"))
    assert not may_have_been_served(botocore.exceptions.EndpointConnectionError(endpoint_url="x"))
    assert not may_have_been_served(botocore.exceptions.ConnectTimeoutError(endpoint_url="x"))


def test_a_real_client_gets_its_timeouts_and_one_attempt_from_the_config():
    def make_client(service, config):
        return boto3.client(service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b", config=config)

    clients = BoundedClients(make_client, Deadline(20))
    raw = clients.raw("eks", 15)
    assert raw.meta.config.read_timeout == 15 and raw.meta.config.connect_timeout == 15
    with Stubber(raw) as stub:
        stub.add_response("describe_update", {"update": {"id": "u-1", "status": "InProgress"}})
        assert clients.client("eks").describe_update(name="p", nodegroupName="g", updateId="u-1")["update"]["id"] == "u-1"


def test_an_endpoint_that_cannot_be_reached_is_tried_a_few_times_not_until_the_deadline():
    def refused(clock, timeout):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    clients, clock, log, unused_configs = clients_for(3600, refused)
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        clients.client("eks").describe_update(name="prod", nodegroupName="g", updateId="u-1")
    assert len(log) == 3 and clock.now < 5


def test_a_transient_error_is_tried_a_bounded_number_of_times():
    def unavailable(clock, timeout):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ServiceUnavailableException", "Message": ""}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "X"
        )

    clients, clock, log, unused_configs = clients_for(3600, unavailable)
    with pytest.raises(botocore.exceptions.ClientError):
        clients.client("eks").describe_update(name="prod", nodegroupName="g", updateId="u-1")
    assert len(log) == 10
