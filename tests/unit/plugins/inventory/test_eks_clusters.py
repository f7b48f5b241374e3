# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The eks_clusters inventory plugin's pure helpers: cluster selection, host variables, host and group names,
failure messages; and the reads it adds (DescribeCluster's answer kept by FleetReader)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible.errors import AnsibleError

from ansible_collections.fleetops.eks.plugins.inventory import eks_clusters as plugin
from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import FleetReader
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import ReadFailed
from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.stubbed_clients import stubbed  # noqa: F401 a fixture; pylint: disable=unused-import

ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"

DESCRIBED = {
    "name": "prod",
    "arn": ARN,
    "createdAt": datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    "version": "1.31",
    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "status": "ACTIVE",
    "platformVersion": "eks.9",
    "resourcesVpcConfig": {"subnetIds": ["subnet-1"], "endpointPublicAccess": True},
    "tags": {"CostCenter": "42", "team": "payments"},
}


def entry(cluster, name, behind=False, upgrade=None):
    return {"cluster": cluster, "name": name, "behind": behind, "kubernetes_behind": behind, "release_behind": False,
            "template_behind": False, "update_in_progress": None, "upgrade": upgrade, "blocked_reason": None}


# -- cluster_names -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, entries, selected", [
    ("prod", [], True),
    ("prod", ["prod"], True),
    ("prod-eu", ["prod"], False),
    ("prod-eu", ["prod*"], True),
    ("Prod-eu", ["prod*"], False),  # case-sensitive, as EKS names are
    ("staging", ["prod*", "stag?ng"], True),
    ("batch", ["[ab]*"], True),
    ("edge", ["[ab]*", "prod"], False),
])
def test_cluster_selected_by_name_or_pattern(name, entries, selected):
    assert plugin.cluster_selected(name, entries) is selected


def test_cluster_names_checks_names_and_leaves_patterns_alone():
    assert plugin.check_cluster_names(["prod", "prod-*", "*", "[ab]?"]) is None
    assert plugin.check_cluster_names(["prod*", "prod/eu"]).startswith("cluster_names: 'prod/eu' is not a valid EKS cluster name.")
    assert plugin.check_cluster_names(["prod", 3]).startswith("cluster_names: each entry must be a cluster name or a pattern")


# -- host variables ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arn, account", [
    (ARN, "123456789012"),
    ("arn:aws-cn:eks:cn-north-1:000000000001:cluster/x", "000000000001"),
    ("prod", None),
    (None, None),
])
def test_account_id_from_the_arn(arn, account):
    assert plugin.account_id(arn) == account


def test_cluster_facts_are_snake_cased_with_tags_as_they_are_and_the_region():
    facts = plugin.cluster_facts("eu-west-1", DESCRIBED)
    assert facts["name"] == "prod" and facts["platform_version"] == "eks.9" and facts["created_at"] == "2025-01-02T03:04:05+00:00"
    assert facts["resources_vpc_config"] == {"subnet_ids": ["subnet-1"], "endpoint_public_access": True}
    assert facts["tags"] == {"CostCenter": "42", "team": "payments"}
    assert facts["region"] == "eu-west-1" and facts["account_id"] == "123456789012"
    assert "createdAt" in DESCRIBED  # the described cluster is not changed


def test_cluster_records_split_the_report_by_cluster_with_its_own_summary():
    entries = [entry("prod", "a", behind=True, upgrade={"kubernetes_version": "1.31"}), entry("prod", "b"), entry("edge", "a")]
    found = report.fleet_report([{"name": "prod", "version": "1.31"}, {"name": "empty", "version": "1.30"},
                                 {"name": "edge", "version": "1.30"}], entries)
    described = {"prod": DESCRIBED, "empty": dict(DESCRIBED, name="empty", version="1.30"), "edge": dict(DESCRIBED, name="edge")}
    records = plugin.cluster_records("eu-west-1", found, described)
    assert [record["cluster"]["name"] for record in records] == ["prod", "empty", "edge"]
    prod, empty, edge = records
    # the report's own entries, not copies
    assert prod["nodegroups"][0] is entries[0] and prod["nodegroups"][1] is entries[1] and edge["nodegroups"][0] is entries[2]
    assert empty["nodegroups"] == []
    assert prod["summary"] == report.summarize(entries[:2], [{"name": "prod", "version": "1.31", "nodegroups": 2}])
    assert prod["summary"]["clusters"] == 1 and prod["summary"]["behind"] == 1 and prod["summary"]["upgradable"] == 1
    assert empty["summary"]["nodegroups"] == 0 and empty["summary"]["clusters"] == 1
    assert plugin.host_variables(prod) == {"eks_cluster": prod["cluster"], "eks_region": "eu-west-1",
                                           "eks_nodegroups": prod["nodegroups"], "eks_nodegroups_summary": prod["summary"]}


# -- groups ------------------------------------------------------------------------------------------------------------


def test_default_groups_are_valid_group_names():
    record = {"region": "us-east-1", "cluster": {"name": "prod", "version": "1.31"}, "summary": {"behind": 2}}
    names = plugin.default_group_names(record)
    assert names == ["eks_behind", "eks_version_1.31", "eks_region_us-east-1"]
    assert [plugin.InventoryModule._sanitize_group_name(name) for name in names] == ["eks_behind", "eks_version_1_31", "eks_region_us_east_1"]
    current = plugin.default_group_names({"region": "eu-west-1", "cluster": {"name": "x"}, "summary": {"behind": 0}})
    assert current == ["eks_current", "eks_region_eu-west-1"]  # no version, no version group


# -- host names --------------------------------------------------------------------------------------------------------


CLUSTER = {"name": "prod", "region": "eu-west-1", "account_id": "123456789012", "arn": ARN, "tags": {"alias": "p1", "empty": ""},
           "logging": {"cluster_logging": []}}


@pytest.mark.parametrize("entry_, name", [
    ("name", "prod"),
    ("arn", ARN),
    ("name-region", "prod-eu-west-1"),
    ("account_id-name", "123456789012-prod"),
    ("tags.alias", "p1"),
    ("tags.alias-region", "p1-eu-west-1"),
    ("tags.missing", None),
    ("tags.empty", None),
    ("name-nope", None),
    ("name.deeper", None),
])
def test_hostname_from_keys(entry_, name):
    assert plugin.hostname_from_keys(CLUSTER, entry_) == name


def test_a_key_that_is_no_name_is_refused():
    with pytest.raises(ValueError, match="hostnames: 'tags' of eks_cluster is a dict, not a name"):
        plugin.hostname_from_keys(CLUSTER, "tags")


def test_resolve_hostname_takes_the_first_entry_that_gives_a_name():
    rendered = []

    def render(entry_):
        rendered.append(entry_)
        return {"{{ nope }}": None, "{{ blank }}": "  ", "{{ name }}.{{ region }}": "prod.eu-west-1", "{{ 7 }}": 7}[entry_]

    assert plugin.resolve_hostname(CLUSTER, ["tags.missing", "{{ nope }}", "{{ blank }}", "{{ name }}.{{ region }}", "name"],
                                   render) == "prod.eu-west-1"
    assert rendered == ["{{ nope }}", "{{ blank }}", "{{ name }}.{{ region }}"]
    assert plugin.resolve_hostname(CLUSTER, ["{{ 7 }}"], render) == "7"
    assert plugin.resolve_hostname(CLUSTER, ["tags.missing", "{{ nope }}"], render) is None
    assert plugin.is_template("{% if x %}a{% endif %}") and not plugin.is_template("name-region")


# -- failures ----------------------------------------------------------------------------------------------------------


def client_error(code, message, status):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "ListClusters")


def test_read_failures_name_the_region_the_call_and_the_error():
    denied = ReadFailed("reading the clusters of the region (ListClusters)", client_error("AccessDeniedException", "no", 403))
    assert plugin.read_failure("eu-west-1", denied) == (
        "fleetops.eks.eks_clusters could not read region eu-west-1 while reading the clusters of the region (ListClusters):"
        " AccessDeniedException: no (HTTP 403)")
    assert plugin.is_denied(denied)
    assert plugin.is_denied(ReadFailed("x", client_error("UnrecognizedClientException", "The security token is invalid", 403)))
    assert not plugin.is_denied(ReadFailed("x", client_error("ServerException", "oops", 500)))
    unreachable = ReadFailed("reading cluster prod (DescribeCluster, ListNodegroups)",
                             botocore.exceptions.EndpointConnectionError(endpoint_url="https://eks.example"))
    assert plugin.read_failure("eu-west-1", unreachable).endswith(
        "while reading cluster prod (DescribeCluster, ListNodegroups): EndpointConnectionError: Could not connect to the endpoint URL:"
        ' "https://eks.example"')
    assert not plugin.is_denied(unreachable)
    own = ReadFailed("reading the clusters of the region (ListClusters)", AnsibleError("Couldn't connect to AWS: bad region"))
    assert plugin.read_failure("x", own).endswith("(ListClusters): Couldn't connect to AWS: bad region")
    assert plugin.read_failure("eu-west-1", api.NotFound("No cluster found for name: prod.")) == (
        "fleetops.eks.eks_clusters could not read region eu-west-1: No cluster found for name: prod"
        " (deleted while the inventory was read? read it again)")
    assert not plugin.is_denied(api.NotFound("x"))


# -- the reads ---------------------------------------------------------------------------------------------------------


def stubbed_eks():
    client = boto3.client("eks", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    return client, Stubber(client)


def test_describe_cluster_returns_the_cluster_and_names_a_missing_one(stubbed):
    eks, stub = stubbed("eks")
    stub.add_response("describe_cluster", {"cluster": DESCRIBED}, {"name": "prod"})
    stub.add_client_error("describe_cluster", "ResourceNotFoundException", "No cluster found for name: nope.", 404)
    with stub:
        assert api.describe_cluster(eks, "prod") == DESCRIBED
        with pytest.raises(api.NotFound, match="nope"):
            api.describe_cluster(eks, "nope")
    stub.assert_no_pending_responses()


def test_the_fleet_reader_keeps_what_describe_cluster_answered_with_one_call_per_cluster():
    eks, stub = stubbed_eks()
    stub.add_response("describe_cluster", {"cluster": DESCRIBED}, {"name": "prod"})
    stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "prod"})
    reader = FleetReader(BoundedClients(lambda service, config: eks, Deadline(60)), workers=1)
    with stub:
        found = reader.read(cluster_names=["prod"])
    stub.assert_no_pending_responses()
    assert found["clusters"] == [{"name": "prod", "version": "1.31", "nodegroups": 0}]
    assert reader.described_clusters == {"prod": DESCRIBED}
    record, = plugin.cluster_records("eu-west-1", found, reader.described_clusters)
    assert record["cluster"]["version"] == "1.31" and record["nodegroups"] == [] and record["summary"]["clusters"] == 1
