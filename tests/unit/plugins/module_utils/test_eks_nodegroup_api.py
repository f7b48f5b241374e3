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


def test_in_progress_update_is_found_newest_first(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("list_updates", {"updateIds": ["u-1", "u-2", "u-3"]}, {"name": "prod", "nodegroupName": "general"})
    stub.add_response("describe_update", update("u-3", "InProgress"), {"name": "prod", "nodegroupName": "general", "updateId": "u-3"})
    with stub:
        assert api.find_update_in_progress(eks, "prod", "general")["id"] == "u-3"
    stub.assert_no_pending_responses()


def test_every_page_of_updates_is_listed(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("list_updates", {"updateIds": ["u-1"], "nextToken": "n1"}, {"name": "prod", "nodegroupName": "general"})
    stub.add_response("list_updates", {"updateIds": ["u-2"]}, {"name": "prod", "nodegroupName": "general", "nextToken": "n1"})
    with stub:
        assert api.list_update_ids(eks, "prod", "general") == ["u-1", "u-2"]
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
