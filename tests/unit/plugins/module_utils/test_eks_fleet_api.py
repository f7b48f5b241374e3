# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet API functions against botocore's Stubber: one call each, errors turned into reasons."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.amazon.aws.plugins.module_utils import cloud

from ansible_collections.fleetops.eks.plugins.module_utils import eks_fleet_api as fleet_api
from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.stubbed_clients import stubbed  # noqa: F401 a fixture; pylint: disable=unused-import


def test_list_clusters_reads_every_page(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("list_clusters", {"clusters": ["a"], "nextToken": "t"}, {})
    stub.add_response("list_clusters", {"clusters": ["b"]}, {"nextToken": "t"})
    with stub:
        assert fleet_api.list_clusters(eks) == ["a", "b"]
    stub.assert_no_pending_responses()


def test_list_nodegroups_reads_every_page_and_names_a_missing_cluster(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("list_nodegroups", {"nodegroups": ["x"], "nextToken": "t"}, {"clusterName": "prod"})
    stub.add_response("list_nodegroups", {"nodegroups": ["y"]}, {"clusterName": "prod", "nextToken": "t"})
    stub.add_client_error("list_nodegroups", "ResourceNotFoundException", "No cluster found for name: nope.", 404)
    with stub:
        assert fleet_api.list_nodegroups(eks, "prod") == ["x", "y"]
        with pytest.raises(api.NotFound, match="nope"):
            fleet_api.list_nodegroups(eks, "nope")


def test_read_parameters_one_call_values_and_absent_names(stubbed):
    ssm, stub = stubbed("ssm")
    stub.add_response(
        "get_parameters",
        {"Parameters": [{"Name": "/a", "Value": "1.31.7-20250403", "Type": "String"}], "InvalidParameters": ["/b"]},
        {"Names": ["/a", "/b", "/c"]},
    )
    with stub:
        values, reasons = fleet_api.read_parameters(ssm, ["/a", "/b", "/c"])
    stub.assert_no_pending_responses()
    # /b does not exist: None, told apart from /c, which SSM did not answer for
    assert values == {"/a": "1.31.7-20250403", "/b": None}
    assert list(reasons) == ["/c"] and "was not returned" in reasons["/c"]


def test_list_clusters_retries_a_throttled_page(stubbed, monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    eks, stub = stubbed("eks")
    stub.add_response("list_clusters", {"clusters": ["a"], "nextToken": "t"}, {})
    stub.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 429)
    stub.add_response("list_clusters", {"clusters": ["a"], "nextToken": "t"}, {})
    stub.add_response("list_clusters", {"clusters": ["b"]}, {"nextToken": "t"})
    with stub:
        assert fleet_api.list_clusters(eks) == ["a", "b"]
    stub.assert_no_pending_responses()


def test_list_clusters_uses_amazon_aws_paginated_query(stubbed, monkeypatch):
    eks, dummy = stubbed("eks")
    seen = []

    def query(client, paginator_name, retry_decorator=None, **params):
        seen.append((client, paginator_name, retry_decorator, params))
        return {"clusters": ["a"]} if paginator_name == "list_clusters" else {"nodegroups": ["x"]}

    monkeypatch.setattr(fleet_api, "paginated_query_with_retries", query)
    assert fleet_api.list_clusters(eks) == ["a"]
    assert fleet_api.list_nodegroups(eks, "prod") == ["x"]
    assert seen == [(eks, "list_clusters", api.AWS_RETRY, {}), (eks, "list_nodegroups", api.AWS_RETRY, {"clusterName": "prod"})]


def test_read_parameters_denied_gives_every_name_a_reason(stubbed):
    ssm, stub = stubbed("ssm")
    stub.add_client_error("get_parameters", "AccessDeniedException", "not authorized", 400)
    with stub:
        values, reasons = fleet_api.read_parameters(ssm, ["/a", "/b"])
    assert values == {}
    assert sorted(reasons) == ["/a", "/b"] and all("denied" in reason for reason in reasons.values())


def test_latest_template_version(stubbed):
    ec2, stub = stubbed("ec2")
    stub.add_response(
        "describe_launch_template_versions",
        {"LaunchTemplateVersions": [{"VersionNumber": 3, "LaunchTemplateData": {}}]},
        {"LaunchTemplateId": "lt-1", "Versions": ["$Latest"]},
    )
    stub.add_client_error("describe_launch_template_versions", "UnauthorizedOperation", "no", 403)
    with stub:
        assert fleet_api.latest_template_version(ec2, {"id": "lt-1", "name": "web"}) == "3"
        with pytest.raises(api.LookupFailed, match="denied"):
            fleet_api.latest_template_version(ec2, {"name": "web"})
