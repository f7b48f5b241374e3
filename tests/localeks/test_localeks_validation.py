from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localeks_support import nodegroup

from localeks.client import Control
from localeks.eks.models import localeks_backends


def expect(eks: Any, code: str, status: int, fragment: str = "", **kwargs: Any) -> str:
    kwargs.setdefault("clusterName", "prod")
    with pytest.raises(ClientError) as info:
        eks.update_nodegroup_version(**kwargs)
    error = info.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert fragment in error["Error"]["Message"]
    return error["Error"]["Message"]


def test_second_update_while_in_progress(eks: Any) -> None:
    eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")
    expect(eks, "ResourceInUseException", 409, "update in progress", nodegroupName="general")


def test_update_while_nodegroup_not_active(eks: Any) -> None:
    # No API puts a node group in DEGRADED: set it on the model.
    localeks_backends["123456789012"]["us-east-1"].describe_nodegroup("prod", "general").status = (
        "DEGRADED"
    )
    expect(eks, "ResourceInUseException", 409, "DEGRADED", nodegroupName="general")


def test_rollback_refused(eks: Any) -> None:
    expect(eks, "InvalidParameterException", 400, "older than the current Nodegroup version 1.30",
           nodegroupName="general", version="1.29")


def test_version_above_cluster_refused(eks: Any) -> None:
    message = expect(eks, "InvalidParameterException", 400, nodegroupName="web", version="1.32")
    assert message == "Requested Nodegroup version 1.32 is newer than the cluster version 1.31"


def test_unknown_release_refused(eks: Any) -> None:
    expect(eks, "InvalidParameterException", 400, "is not valid for kubernetes version 1.31",
           nodegroupName="web", version="1.31", releaseVersion="1.31.9-20990101")
    # A release of another minor is not valid for the target minor either.
    expect(eks, "InvalidParameterException", 400, "not valid",
           nodegroupName="web", version="1.31", releaseVersion="1.30.9-20250203")


def test_older_release_refused(eks: Any) -> None:
    expect(eks, "InvalidParameterException", 400, "older than the current release version",
           nodegroupName="web", releaseVersion="1.31.0-20241024")


def test_launch_template_name_and_id_refused(eks: Any) -> None:
    lt = nodegroup(eks, "web")["launchTemplate"]
    expect(eks, "InvalidParameterException", 400, "not both", nodegroupName="web",
           launchTemplate={"name": lt["name"], "id": lt["id"], "version": "2"})


def test_other_launch_template_refused(eks: Any) -> None:
    expect(eks, "InvalidParameterException", 400, "does not match", nodegroupName="web",
           launchTemplate={"name": "custom-nodes", "version": "1"})


def test_launch_template_on_nodegroup_without_one_refused(eks: Any) -> None:
    expect(eks, "InvalidRequestException", 400, "not created with a launch template",
           nodegroupName="general", launchTemplate={"name": "web-nodes", "version": "2"})


@pytest.mark.parametrize("field", [{"version": "1.31"}, {"releaseVersion": "1.31.7-20250403"}])
def test_version_on_custom_ami_refused(eks: Any, field: dict[str, str]) -> None:
    expect(eks, "InvalidRequestException", 400, "custom AMI", nodegroupName="custom", **field)


def test_missing_launch_template_version_refused(eks: Any) -> None:
    expect(eks, "InvalidParameterException", 400, "Launch template version 9 does not exist",
           nodegroupName="web", launchTemplate={"name": "web-nodes", "version": "9"})


def test_not_found(eks: Any) -> None:
    expect(eks, "ResourceNotFoundException", 404, "No cluster found", clusterName="nope",
           nodegroupName="general")
    expect(eks, "ResourceNotFoundException", 404, "No node group found", nodegroupName="nope")


def test_refused_requests_start_no_update(eks: Any, control: Control) -> None:
    expect(eks, "InvalidParameterException", 400, nodegroupName="web", version="1.32")
    assert eks.list_updates(name="prod", nodegroupName="web")["updateIds"] == []
    assert nodegroup(eks, "web")["status"] == "ACTIVE"
    assert control.requests(operation="UpdateNodegroupVersion")[-1]["error_code"] == (
        "InvalidParameterException"
    )


def test_create_nodegroup_validation(eks: Any) -> None:
    base = {
        "clusterName": "prod",
        "nodeRole": "arn:aws:iam::123456789012:role/eks-nodes",
        "subnets": ["subnet-0a1b2c3d4e5f60001"],
    }
    eks.create_cluster(
        name="edge",
        version="1.33",
        roleArn="arn:aws:iam::123456789012:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d4e5f60001"]},
    )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="not supported"):
        eks.create_nodegroup(
            nodegroupName="a", amiType="AL2_x86_64", **{**base, "clusterName": "edge"}
        )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="newer than the cluster"):
        eks.create_nodegroup(nodegroupName="b", version="1.32", **base)
    with pytest.raises(eks.exceptions.InvalidParameterException, match="CUSTOM"):
        eks.create_nodegroup(
            nodegroupName="c", amiType="AL2023_x86_64_STANDARD",
            launchTemplate={"name": "custom-nodes"}, **base,
        )


@pytest.mark.parametrize(("operation", "kwargs"), [
    ("list_nodegroups", {"clusterName": "nope"}),
    ("list_fargate_profiles", {"clusterName": "nope"}),
    ("list_addons", {"clusterName": "nope"}),
    ("list_updates", {"name": "nope"}),
    ("describe_cluster", {"name": "nope"}),
])
def test_unknown_cluster_is_404_json_not_retried(eks: Any, operation: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as info:
        getattr(eks, operation)(**kwargs)
    error = info.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Error"]["Message"] == "No cluster found for name: nope."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["ResponseMetadata"]["RetryAttempts"] == 0


def test_malformed_version_is_400_naming_the_node_group(endpoint: Any, control: Control) -> None:
    import json

    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    for version in ("banana", 1.31, "1.31.4", "01.31"):
        request = AWSRequest(
            method="POST",
            url=f"{endpoint.url}/clusters/prod/node-groups/web/update-version",
            data=json.dumps({"version": version}),
            headers={"Content-Type": "application/json"},
        )
        SigV4Auth(Credentials("testing", "testing"), "eks", "us-east-1").add_auth(request)
        answer = requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=10)
        assert answer.status_code == 400, version
        assert answer.headers["x-amzn-ErrorType"] == "InvalidParameterException"
        body = answer.json()
        assert body["clusterName"] == "prod" and body["nodegroupName"] == "web"
        assert None not in body.values() and set(body) == {"clusterName", "nodegroupName", "message"}


def test_error_bodies_omit_absent_members(eks: Any) -> None:
    for call in (lambda: eks.describe_cluster(name="nope"),
                 lambda: eks.describe_nodegroup(clusterName="prod", nodegroupName="nope"),
                 lambda: eks.create_nodegroup(clusterName="prod", nodegroupName="general", nodeRole="r", subnets=["s"])):
        with pytest.raises(ClientError) as info:
            call()
        error = info.value.response["Error"]
        assert error["Code"] in ("ResourceNotFoundException", "ResourceInUseException")
    # boto3 hides nulls: read one raw.
    seen: list[bytes] = []
    eks.meta.events.register("before-parse", lambda response_dict, **_: seen.append(response_dict["body"]))
    with pytest.raises(ClientError):
        eks.create_nodegroup(clusterName="prod", nodegroupName="general", nodeRole="r", subnets=["s"])
    assert b"null" not in seen[-1] and b'"nodegroupName": "general"' in seen[-1]
