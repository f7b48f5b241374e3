from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localeks.client import Control, ControlError

NO_RETRY = {"retries": {"total_max_attempts": 1, "mode": "standard"}}
RETRY = {"retries": {"total_max_attempts": 4, "mode": "standard"}}


def error_of(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    ("service", "status", "code", "call"),
    [
        ("eks", 429, "ThrottlingException", lambda c: c.describe_cluster(name="prod")),
        ("ssm", 400, "ThrottlingException", lambda c: c.get_parameter(Name="/x")),
        ("ec2", 503, "RequestLimitExceeded", lambda c: c.describe_launch_templates()),
    ],
)
def test_throttle_uses_each_protocol(
    client: Callable[..., Any],
    control: Control,
    service: str,
    status: int,
    code: str,
    call: Callable[[Any], Any],
) -> None:
    control.add_fault(service=service, kind="throttle", count=1)
    aws = client(service, **NO_RETRY)
    assert error_of(lambda: call(aws)) == (code, status)
    [entry] = control.requests(service=service)
    assert (entry["fault"], entry["error_code"], entry["status"]) == ("throttle", code, status)


@pytest.mark.parametrize(
    ("status", "code"), [(500, "ServerException"), (503, "ServiceUnavailableException")]
)
def test_server_error(client: Callable[..., Any], control: Control, status: int, code: str) -> None:
    control.add_fault(service="eks", operation="DescribeNodegroup", kind="server_error", status=status)
    eks = client("eks", **NO_RETRY)
    assert error_of(lambda: eks.describe_nodegroup(clusterName="prod", nodegroupName="web")) == (
        code,
        status,
    )
    eks.describe_cluster(name="prod")  # other operations are untouched


def test_ec2_server_error(client: Callable[..., Any], control: Control) -> None:
    control.add_fault(service="ec2", kind="server_error")
    ec2 = client("ec2", **NO_RETRY)
    assert error_of(lambda: ec2.describe_launch_templates()) == ("InternalError", 500)


def test_botocore_retries_through_throttle_burst(
    client: Callable[..., Any], control: Control
) -> None:
    control.add_fault(service="eks", operation="UpdateNodegroupVersion", kind="throttle", count=2)
    eks = client("eks", **RETRY)
    response = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    calls = control.requests(operation="UpdateNodegroupVersion")
    assert [c["fault"] for c in calls] == ["throttle", "throttle", None]
    assert len(eks.list_updates(name="prod", nodegroupName="general")["updateIds"]) == 1


def test_lost_response_retry_yields_one_update(client: Callable[..., Any], control: Control) -> None:
    control.add_fault(
        service="eks", operation="UpdateNodegroupVersion", kind="lose_response", count=1
    )
    eks = client("eks", **RETRY)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert eks.list_updates(name="prod", nodegroupName="general")["updateIds"] == [update["id"]]
    first, second = control.requests(operation="UpdateNodegroupVersion")
    assert (first["status"], first["fault"], first["processed_status"]) == (504, "lose_response", 200)
    assert (second["status"], second["fault"]) == (200, None)


def test_lost_response_without_retry_still_processed(
    client: Callable[..., Any], control: Control
) -> None:
    control.add_fault(service="eks", operation="UpdateNodegroupVersion", kind="lose_response")
    eks = client("eks", **NO_RETRY)
    assert error_of(lambda: eks.update_nodegroup_version(clusterName="prod", nodegroupName="general"))[1] == 504
    control.clear_faults()
    nodegroup = eks.describe_nodegroup(clusterName="prod", nodegroupName="general")["nodegroup"]
    assert nodegroup["status"] == "UPDATING"


def test_after_and_count(client: Callable[..., Any], control: Control) -> None:
    control.add_fault(service="*", operation="DescribeCluster", kind="server_error", after=1, count=1)
    eks = client("eks", **NO_RETRY)
    eks.describe_cluster(name="prod")
    assert error_of(lambda: eks.describe_cluster(name="prod"))[1] == 500
    eks.describe_cluster(name="prod")
    assert [c["fault"] for c in control.requests()] == [None, "server_error", None]
    [rule] = control.faults()
    assert (rule["seen"], rule["fired"]) == (3, 1)


def test_rate_is_deterministic_with_seed(client: Callable[..., Any], control: Control) -> None:
    def pattern() -> list[bool]:
        control.clear_faults()
        control.clear_requests()
        control.add_fault(service="ssm", kind="throttle", rate=0.5, seed=7)
        ssm = client("ssm", **NO_RETRY)
        for _ in range(12):
            try:
                ssm.describe_parameters()
            except ClientError:
                pass
        return [c["fault"] is not None for c in control.requests(service="ssm")]

    first = pattern()
    assert first == pattern()
    assert 0 < sum(first) < len(first)


def test_invalid_fault_rule_rejected(control: Control) -> None:
    with pytest.raises(ControlError) as info:
        control.add_fault(kind="explode")
    assert info.value.status == 400
