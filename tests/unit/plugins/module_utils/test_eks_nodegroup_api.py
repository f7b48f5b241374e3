# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Single API functions against botocore's Stubber; behaviour end to end is in tests/e2e."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.stubbed_clients import stubbed  # noqa: F401 a fixture; pylint: disable=unused-import


def update(update_id, status):
    return {"update": {"id": update_id, "status": status, "type": "VersionUpdate", "params": [], "errors": []}}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_one_delay_after_the_update_was_seen_until_it_ends(stubbed):
    eks, stub = stubbed("eks")
    params = {"name": "prod", "nodegroupName": "general", "updateId": "u-1"}
    for status in ("InProgress", "Failed"):
        stub.add_response("describe_update", update("u-1", status), params)
    time = FakeClock()
    with stub:
        outcome, seen = api.wait_for_update(
            eks, "prod", "general", update("u-1", "InProgress")["update"], timeout=100, delay=10, sleep=time.sleep, clock=time.clock
        )
    assert (outcome, seen["status"]) == ("Failed", "Failed")
    assert time.sleeps == [10, 10]
    stub.assert_no_pending_responses()


def test_wait_on_an_update_already_ended_makes_no_call(stubbed):
    eks, stub = stubbed("eks")
    with stub:
        assert api.wait_for_update(eks, "prod", "general", update("u-1", "Successful")["update"], timeout=10, delay=1)[0] == "Successful"


def test_wait_makes_its_last_poll_at_the_deadline(stubbed):
    eks, stub = stubbed("eks")
    polled_at = []
    time = FakeClock()
    for dummy in range(3):
        stub.add_response("describe_update", update("u-1", "InProgress"))
    eks.client.meta.events.register("provide-client-params.eks.DescribeUpdate", lambda **kwargs: polled_at.append(time.now))
    with stub:
        outcome, seen = api.wait_for_update(
            eks, "prod", "general", update("u-1", "InProgress")["update"], timeout=25, delay=10, sleep=time.sleep, clock=time.clock
        )
    assert outcome == "timeout" and seen["status"] == "InProgress"
    assert polled_at == [10, 20, 25]
    stub.assert_no_pending_responses()


def test_wait_reports_a_vanished_nodegroup(stubbed):
    eks, stub = stubbed("eks")
    stub.add_client_error("describe_update", "ResourceNotFoundException", "No node group found for name: general.", 404)
    with stub:
        outcome = api.wait_for_update(eks, "prod", "general", update("u-1", "InProgress")["update"], timeout=10, delay=1, sleep=lambda seconds: None)
        assert outcome == ("gone", None)


def test_in_progress_update_is_found_newest_first(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("list_updates", {"updateIds": ["u-1", "u-2", "u-3"]}, {"name": "prod", "nodegroupName": "general"})
    stub.add_response("describe_update", update("u-3", "InProgress"), {"name": "prod", "nodegroupName": "general", "updateId": "u-3"})
    with stub:
        assert api.find_update_in_progress(eks, "prod", "general")["id"] == "u-3"
    stub.assert_no_pending_responses()


def test_missing_parameter_is_a_lookup_failure(stubbed):
    ssm, stub = stubbed("ssm")
    stub.add_client_error("get_parameter", "ParameterNotFound", "not found", 400)
    with stub, pytest.raises(api.LookupFailed, match="does not exist"):
        api.read_parameter(ssm, "/aws/service/x")


def test_template_version_alias_resolves_to_its_number(stubbed):
    ec2, stub = stubbed("ec2")
    stub.add_response(
        "describe_launch_template_versions",
        {"LaunchTemplateVersions": [{"VersionNumber": 7, "LaunchTemplateData": {"ImageId": "ami-0123"}}]},
        {"LaunchTemplateId": "lt-1", "Versions": ["$Latest"]},
    )
    with stub:
        assert api.resolve_launch_template_version(ec2, {"id": "lt-1", "name": "web"}, "$Latest") == {"number": "7", "image_id": "ami-0123"}
