"""Every EKS operation the endpoint serves, success and error, checked on the wire against botocore's model.

The raw JSON of each answer (not boto3's parsed output, which drops unknown members) is walked
against the operation's output or error shape: unknown members, nulls, types, enum values,
required members; errors must carry a code the operation's model lists, in ``x-amzn-ErrorType``,
with the HTTP status of its error shape.  The operations served are derived from the endpoint's
routing, and every one of them must have cases here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core.utils import camelcase_to_underscores

from localeks_support import Wire, error_problems, shape_problems

from localeks.eks import operations
from localeks.eks.responses import LocalEKSResponse
from localeks.eks.urls import url_paths
from localeks.server import LocalEKS

EKS_MODEL = botocore.session.get_session().get_service_model("eks")
SSM_MODEL = botocore.session.get_session().get_service_model("ssm")
ROLE = "arn:aws:iam::123456789012:role/eks"
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
CLUSTER_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/prod"

# Errors EKS sends that its model does not list for the operation: creating a node group or a
# Fargate profile in a cluster that does not exist answers ResourceNotFoundException (404).
BEYOND_MODEL = {
    "CreateNodegroup": frozenset({"ResourceNotFoundException"}),
    "CreateFargateProfile": frozenset({"ResourceNotFoundException"}),
}
# Served operations that cannot succeed here, and why.
NO_SUCCESS = {"DescribeAddon": "the endpoint models no add-ons: every DescribeAddon is ResourceNotFoundException"}

Setup = Callable[[Any], dict[str, Any]]


@dataclass
class Case:
    """One request: its arguments (or a function of the client that prepares state and returns them)."""

    label: str
    kind: str  # "ok", "unknown-cluster", "unknown-nodegroup", "unknown-resource", "malformed", "refused"
    args: dict[str, Any] | Setup = field(default_factory=dict)
    code: str | None = None  # the error expected; None for success
    patch: dict[str, Any] = field(default_factory=dict)  # JSON body members sent as given (types boto3 cannot serialise)


def _fargate(eks: Any, name: str = "fp") -> None:
    eks.create_fargate_profile(clusterName="prod", fargateProfileName=name, podExecutionRoleArn=ROLE,
                               subnets=SUBNETS, selectors=[{"namespace": "default"}])


def _with_fargate(args: dict[str, Any]) -> Setup:
    def prepare(eks: Any) -> dict[str, Any]:
        _fargate(eks)
        return args
    return prepare


def _update_started(nodegroup: str, args: Callable[[str], dict[str, Any]]) -> Setup:
    def prepare(eks: Any) -> dict[str, Any]:
        update = eks.update_nodegroup_version(clusterName="prod", nodegroupName=nodegroup)["update"]
        return args(update["id"])
    return prepare


def _spare_cluster(eks: Any) -> dict[str, Any]:
    eks.create_cluster(name="spare", version="1.31", roleArn=ROLE, resourcesVpcConfig={"subnetIds": SUBNETS})
    return {"name": "spare"}


IPE, RNF, RIU, IRE = "InvalidParameterException", "ResourceNotFoundException", "ResourceInUseException", "InvalidRequestException"
NEW_NODEGROUP = {"clusterName": "prod", "nodegroupName": "new", "nodeRole": ROLE, "subnets": SUBNETS}
NEW_CLUSTER = {"name": "new", "version": "1.31", "roleArn": ROLE, "resourcesVpcConfig": {"subnetIds": SUBNETS}}

CASES: dict[str, list[Case]] = {
    "CreateCluster": [
        Case("ok", "ok", NEW_CLUSTER),
        Case("exists", "refused", {**NEW_CLUSTER, "name": "prod"}, RIU),
        Case("version-banana", "malformed", {**NEW_CLUSTER, "version": "banana"}, IPE),
        Case("version-unsupported", "malformed", {**NEW_CLUSTER, "version": "1.99"}, IPE),
        Case("name-number", "malformed", {**NEW_CLUSTER, "name": 3}, IPE),
        Case("no-role", "malformed", {k: v for k, v in NEW_CLUSTER.items() if k != "roleArn"}, IPE),
        Case("bad-name", "malformed", {**NEW_CLUSTER, "name": "-x"}, IPE),
    ],
    "CreateFargateProfile": [
        Case("ok", "ok", {"clusterName": "prod", "fargateProfileName": "fp", "podExecutionRoleArn": ROLE,
                          "subnets": SUBNETS, "selectors": [{"namespace": "default"}]}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "fargateProfileName": "fp", "podExecutionRoleArn": ROLE}, RNF),
        Case("selectors-string", "malformed", {"clusterName": "prod", "fargateProfileName": "fp",
                                               "podExecutionRoleArn": ROLE}, IPE, patch={"selectors": "default"}),
    ],
    "CreateNodegroup": [
        Case("ok", "ok", {**NEW_NODEGROUP, "amiType": "AL2023_x86_64_STANDARD"}),
        Case("ok-launch-template", "ok", {**NEW_NODEGROUP, "launchTemplate": {"name": "web-nodes"}}),
        Case("ok-bottlerocket", "ok", {**NEW_NODEGROUP, "amiType": "BOTTLEROCKET_ARM_64", "capacityType": "SPOT"}),
        Case("unknown-cluster", "unknown-cluster", {**NEW_NODEGROUP, "clusterName": "nope"}, RNF),
        Case("exists", "refused", {**NEW_NODEGROUP, "nodegroupName": "general"}, RIU),
        Case("ami-type-banana", "malformed", {**NEW_NODEGROUP, "amiType": "BANANA"}, IPE),
        Case("capacity-banana", "malformed", {**NEW_NODEGROUP, "capacityType": "BANANA"}, IPE),
        Case("desired-string", "malformed", {**NEW_NODEGROUP, "scalingConfig": {"desiredSize": "x"}}, IPE),
        Case("version-banana", "malformed", {**NEW_NODEGROUP, "version": "banana"}, IPE),
        Case("subnets-missing", "malformed", {k: v for k, v in NEW_NODEGROUP.items() if k != "subnets"}, IPE),
        Case("version-above-cluster", "refused", {**NEW_NODEGROUP, "version": "1.32"}, IPE),
    ],
    "DeleteCluster": [
        Case("ok", "ok", _spare_cluster),
        Case("unknown-cluster", "unknown-cluster", {"name": "nope"}, RNF),
        Case("has-nodegroups", "refused", {"name": "prod"}, RIU),
    ],
    "DeleteFargateProfile": [
        Case("ok", "ok", _with_fargate({"clusterName": "prod", "fargateProfileName": "fp"})),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "fargateProfileName": "fp"}, RNF),
        Case("unknown-profile", "unknown-resource", {"clusterName": "prod", "fargateProfileName": "nope"}, RNF),
    ],
    "DeleteNodegroup": [
        Case("ok", "ok", {"clusterName": "prod", "nodegroupName": "plain"}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "nodegroupName": "plain"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"clusterName": "prod", "nodegroupName": "nope"}, RNF),
    ],
    "DescribeAddon": [
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "addonName": "vpc-cni"}, RNF),
        Case("unknown-addon", "unknown-resource", {"clusterName": "prod", "addonName": "vpc-cni"}, RNF),
    ],
    "DescribeCluster": [
        Case("ok", "ok", {"name": "prod"}),
        Case("unknown-cluster", "unknown-cluster", {"name": "nope"}, RNF),
    ],
    "DescribeFargateProfile": [
        Case("ok", "ok", _with_fargate({"clusterName": "prod", "fargateProfileName": "fp"})),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "fargateProfileName": "fp"}, RNF),
        Case("unknown-profile", "unknown-resource", {"clusterName": "prod", "fargateProfileName": "nope"}, RNF),
    ],
    "DescribeNodegroup": [
        *[Case(f"ok-{name}", "ok", {"clusterName": "prod", "nodegroupName": name}) for name in ("general", "web", "custom", "plain")],
        Case("ok-updating", "ok", _update_started("general", lambda _: {"clusterName": "prod", "nodegroupName": "general"})),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "nodegroupName": "general"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"clusterName": "prod", "nodegroupName": "nope"}, RNF),
    ],
    "DescribeUpdate": [
        Case("ok", "ok", _update_started("web", lambda u: {"name": "prod", "nodegroupName": "web", "updateId": u})),
        Case("unknown-cluster", "unknown-cluster", {"name": "nope", "nodegroupName": "web", "updateId": "x"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"name": "prod", "nodegroupName": "nope", "updateId": "x"}, RNF),
        Case("unknown-update", "unknown-resource", {"name": "prod", "nodegroupName": "web", "updateId": "x"}, RNF),
        Case("unknown-addon", "unknown-resource", {"name": "prod", "addonName": "vpc-cni", "updateId": "x"}, RNF),
    ],
    "ListAddons": [
        Case("ok", "ok", {"clusterName": "prod"}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope"}, RNF),
        Case("max-results-zero", "malformed", {"clusterName": "prod", "maxResults": 0}, IPE),
        Case("next-token", "malformed", {"clusterName": "prod", "nextToken": "garbage"}, IPE),
    ],
    "ListClusters": [
        Case("ok", "ok", {}),
        Case("ok-page", "ok", lambda eks: {"maxResults": 1} if _spare_cluster(eks) else {}),
        Case("max-results-zero", "malformed", {"maxResults": 0}, IPE),
        Case("max-results-101", "malformed", {"maxResults": 101}, IPE),
        Case("max-results-text", "malformed", {"maxResults": "abc"}, IPE),
        Case("next-token", "malformed", {"nextToken": "garbage"}, IPE),
    ],
    "ListFargateProfiles": [
        Case("ok", "ok", _with_fargate({"clusterName": "prod"})),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope"}, RNF),
        Case("max-results-101", "malformed", {"clusterName": "prod", "maxResults": 101}, IPE),
        Case("next-token", "malformed", {"clusterName": "prod", "nextToken": "garbage"}, IPE),
    ],
    "ListNodegroups": [
        Case("ok", "ok", {"clusterName": "prod"}),
        Case("ok-page", "ok", {"clusterName": "prod", "maxResults": 1}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope"}, RNF),
        Case("max-results-zero", "malformed", {"clusterName": "prod", "maxResults": 0}, IPE),
        Case("next-token", "malformed", {"clusterName": "prod", "nextToken": "garbage"}, IPE),
    ],
    "ListTagsForResource": [
        Case("ok", "ok", {"resourceArn": CLUSTER_ARN}),
        Case("unknown-cluster", "unknown-cluster", {"resourceArn": CLUSTER_ARN.replace("/prod", "/nope")}, "NotFoundException"),
        Case("bad-arn", "malformed", {"resourceArn": "nonsense"}, "BadRequestException"),
    ],
    "ListUpdates": [
        Case("ok", "ok", {"name": "prod"}),
        Case("ok-nodegroup", "ok", _update_started("web", lambda _: {"name": "prod", "nodegroupName": "web", "maxResults": 1})),
        Case("unknown-cluster", "unknown-cluster", {"name": "nope"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"name": "prod", "nodegroupName": "nope"}, RNF),
        Case("max-results-text", "malformed", {"name": "prod", "maxResults": "abc"}, IPE),
        Case("max-results-zero", "malformed", {"name": "prod", "nodegroupName": "web", "maxResults": 0}, IPE),
    ],
    "TagResource": [
        Case("ok", "ok", {"resourceArn": CLUSTER_ARN, "tags": {"team": "platform"}}),
        Case("unknown-cluster", "unknown-cluster", {"resourceArn": CLUSTER_ARN.replace("/prod", "/nope"), "tags": {"a": "b"}},
             "NotFoundException"),
        Case("no-tags", "malformed", {"resourceArn": CLUSTER_ARN, "tags": {}}, "BadRequestException"),
        Case("tag-number", "malformed", {"resourceArn": CLUSTER_ARN, "tags": {"a": 1}}, "BadRequestException"),
    ],
    "UntagResource": [
        Case("ok", "ok", {"resourceArn": CLUSTER_ARN, "tagKeys": ["team"]}),
        Case("unknown-cluster", "unknown-cluster", {"resourceArn": CLUSTER_ARN.replace("/prod", "/nope"), "tagKeys": ["a"]},
             "NotFoundException"),
        Case("no-keys", "malformed", {"resourceArn": CLUSTER_ARN}, "BadRequestException"),
    ],
    "UpdateClusterConfig": [
        Case("ok", "ok", {"name": "prod", "logging": {"clusterLogging": [{"types": ["api"], "enabled": True}]}}),
        Case("unknown-cluster", "unknown-cluster", {"name": "nope", "logging": {}}, RNF),
        Case("log-type-banana", "malformed", {"name": "prod", "logging": {"clusterLogging": [{"types": ["banana"]}]}}, IPE),
    ],
    "UpdateNodegroupConfig": [
        Case("ok", "ok", {"clusterName": "prod", "nodegroupName": "general", "scalingConfig": {"desiredSize": 2}}),
        Case("ok-labels", "ok", {"clusterName": "prod", "nodegroupName": "web", "labels": {"addOrUpdateLabels": {"a": "b"}}}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "nodegroupName": "general"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"clusterName": "prod", "nodegroupName": "nope"}, RNF),
        Case("desired-string", "malformed", {"clusterName": "prod", "nodegroupName": "general",
                                             "scalingConfig": {"desiredSize": "x"}}, IPE),
        Case("taint-effect-banana", "malformed", {"clusterName": "prod", "nodegroupName": "general",
                                                  "taints": {"addOrUpdateTaints": [{"key": "k", "effect": "BANANA"}]}}, IPE),
        Case("in-progress", "refused", _update_started("general", lambda _: {
            "clusterName": "prod", "nodegroupName": "general", "scalingConfig": {"desiredSize": 2}}), RIU),
    ],
    "UpdateNodegroupVersion": [
        Case("ok", "ok", {"clusterName": "prod", "nodegroupName": "general"}),
        Case("ok-launch-template", "ok", {"clusterName": "prod", "nodegroupName": "web", "launchTemplate": {"name": "web-nodes", "version": "3"}}),
        Case("unknown-cluster", "unknown-cluster", {"clusterName": "nope", "nodegroupName": "general"}, RNF),
        Case("unknown-nodegroup", "unknown-nodegroup", {"clusterName": "prod", "nodegroupName": "nope"}, RNF),
        Case("version-banana", "malformed", {"clusterName": "prod", "nodegroupName": "web", "version": "banana"}, IPE),
        Case("version-number", "malformed", {"clusterName": "prod", "nodegroupName": "web", "version": 1.31}, IPE),
        Case("force-text", "malformed", {"clusterName": "prod", "nodegroupName": "web", "force": "yes"}, IPE),
        Case("launch-template-list", "malformed", {"clusterName": "prod", "nodegroupName": "web"}, IPE,
             patch={"launchTemplate": ["x"]}),
        Case("version-above-cluster", "refused", {"clusterName": "prod", "nodegroupName": "web", "version": "1.32"}, IPE),
        Case("custom-version", "refused", {"clusterName": "prod", "nodegroupName": "custom", "version": "1.31"}, IRE),
        Case("in-progress", "refused", _update_started("general", lambda _: {"clusterName": "prod", "nodegroupName": "general"}),
             RIU),
    ],
}


def _routed_operations() -> set[str]:
    """EKS operations whose method and path ``localeks/eks/urls.py`` routes and whose handler the endpoint has."""
    patterns = [re.compile(path.format("")) for path in url_paths]
    found = set()
    for name in EKS_MODEL.operation_names:
        uri = EKS_MODEL.operation_model(name).http["requestUri"].split("?", 1)[0]
        path = re.sub(r"\{[^}]+\}", "sample", re.sub(r"\{[^}]+\+\}", CLUSTER_ARN, uri))
        if any(p.match(path) for p in patterns) and hasattr(LocalEKSResponse, camelcase_to_underscores(name)):
            found.add(name)
    return found


def _patch_body(patch: dict[str, Any], request: Any, **_: Any) -> None:
    body = json.loads(request.data or b"{}")
    request.data = json.dumps({**body, **patch}).encode()


def _has(operation: str, kind: str) -> bool:
    return any(case.kind == kind for case in CASES[operation])


def test_cases_cover_every_served_operation() -> None:
    served = _routed_operations()
    assert served == set(operations.served_operations())
    assert set(CASES) == served, f"operations without cases: {sorted(served - set(CASES))}; " \
                                 f"cases for operations not served: {sorted(set(CASES) - served)}"
    for name in sorted(served):
        members = EKS_MODEL.operation_model(name).input_shape.members
        locations = {n: m.serialization.get("location") for n, m in members.items()}
        assert _has(name, "ok") or name in NO_SUCCESS, f"{name}: no success case"
        if any(locations.get(n) == "uri" for n in ("name", "clusterName")) or "resourceArn" in locations:
            assert _has(name, "unknown-cluster"), f"{name}: no unknown-cluster case"
        if locations.get("nodegroupName") in ("uri", "querystring"):
            assert _has(name, "unknown-nodegroup"), f"{name}: no unknown-nodegroup case"
        if any(loc != "uri" or m.type_name != "string" for loc, m in zip(locations.values(), members.values())):
            assert _has(name, "malformed") or name == "DescribeUpdate", f"{name}: no malformed-input case"


def _client(endpoint: LocalEKS, service: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=endpoint.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"mode": "standard", "max_attempts": 1}),
    )


@pytest.mark.parametrize(
    ("operation", "case"),
    [(name, case) for name, cases in sorted(CASES.items()) for case in cases],
    ids=[f"{name}-{case.label}" for name, cases in sorted(CASES.items()) for case in cases],
)
def test_operation_on_the_wire(endpoint: LocalEKS, control: Any, operation: str, case: Case) -> None:
    eks = _client(endpoint, "eks")
    model = EKS_MODEL.operation_model(operation)
    args = case.args(eks) if callable(case.args) else dict(case.args)
    wire = Wire(eks)
    if case.patch:
        eks.meta.events.register("before-sign.eks", functools.partial(_patch_body, case.patch))
    method = getattr(eks, camelcase_to_underscores(operation))
    if case.code is None:
        method(**args)
        assert wire.status == 200, wire.body
        assert shape_problems(model.output_shape, wire.json()) == []
        return
    with pytest.raises(ClientError) as raised:
        method(**args)
    error = raised.value.response
    assert error["Error"]["Code"] == case.code, wire.body
    assert error["ResponseMetadata"]["HTTPStatusCode"] == wire.status
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert error_problems(model, wire, BEYOND_MODEL.get(operation, frozenset())) == []
    body = wire.json()
    if "clusterName" in model.input_shape.members or "name" in model.input_shape.members:
        named = args.get("clusterName") or args.get("name")
        shape = EKS_MODEL.shape_for(case.code)
        if "clusterName" in shape.members and isinstance(named, str):
            assert body.get("clusterName") == named, body
    if isinstance(args.get("nodegroupName"), str) and "nodegroupName" in EKS_MODEL.shape_for(case.code).members:
        assert body.get("nodegroupName") == args["nodegroupName"], body


def test_validator_sees_what_boto3_drops() -> None:
    output = EKS_MODEL.operation_model("DescribeNodegroup").output_shape
    nodegroup = {"nodegroup": {"nodegroupName": "a", "status": "SLEEPING", "createdAt": "2025-01-01", "colour": "red",
                               "scalingConfig": {"desiredSize": "2"}, "labels": None}}
    problems = shape_problems(output, nodegroup)
    assert len(problems) == 5, problems


@pytest.mark.parametrize(("operation", "args"), [
    ("update_cluster_version", {"name": "prod", "version": "1.32"}),
    ("list_access_entries", {"clusterName": "prod"}),
    ("create_addon", {"clusterName": "prod", "addonName": "vpc-cni"}),
])
def test_operations_not_served_answer_json_not_retried(endpoint: LocalEKS, control: Any, operation: str, args: dict[str, Any]) -> None:
    eks = _client(endpoint, "eks")
    wire = Wire(eks)
    with pytest.raises(ClientError) as raised:
        getattr(eks, operation)(**args)
    assert raised.value.response["Error"]["Code"] == "NotImplemented"
    assert wire.status == 501 and wire.headers["content-type"] == "application/json"
    assert "does not serve" in wire.json()["message"]


# -- SSM, as the module reads it --------------------------------------------------------------

RELEASE = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"


@pytest.mark.parametrize(("operation", "args", "code"), [
    ("GetParameter", {"Name": RELEASE}, None),
    ("GetParameter", {"Name": "/aws/service/eks/optimized-ami/1.99/amazon-linux-2/recommended/release_version"}, "ParameterNotFound"),
    ("GetParameters", {"Names": [RELEASE, "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version", "/nope"]}, None),
])
def test_ssm_on_the_wire(endpoint: LocalEKS, control: Any, operation: str, args: dict[str, Any], code: str | None) -> None:
    ssm = _client(endpoint, "ssm")
    model = SSM_MODEL.operation_model(operation)
    wire = Wire(ssm)
    method = getattr(ssm, camelcase_to_underscores(operation))
    if code is None:
        method(**args)
        assert wire.status == 200
        assert shape_problems(model.output_shape, wire.json()) == []
    else:
        with pytest.raises(ClientError) as raised:
            method(**args)
        assert raised.value.response["Error"]["Code"] == code
        assert error_problems(model, wire) == []
