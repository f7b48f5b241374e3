from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from localeks.client import Control, ControlError
from localeks.server import LocalEKS

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
    assert error_of(ec2.describe_launch_templates) == ("InternalError", 500)


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
        for _attempt in range(12):
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


@pytest.mark.parametrize(
    ("kind", "rule", "fragment"),
    [
        ("explode", {}, "kind must be one of"),
        ("throttle", {"count": -1}, "count must be 0 or more"),
        ("throttle", {"after": -2}, "after must be 0 or more"),
        ("throttle", {"count": "two"}, "count must be an integer"),
        ("hang", {"seconds": -1}, "seconds must be a number of seconds, 0 or more"),
        ("throttle", {"seconds": 5}, "seconds applies to hang rules only"),
        ("hang", {"status": 500}, "status cannot be set on a hang rule"),
        ("lose_response", {"message": "x"}, "message cannot be set on a lose_response rule"),
        ("server_error", {"status": 200}, "status must be 400 or more"),
        ("access_denied", {"colour": "blue"}, "unknown fault rule field(s): colour"),
        ("throttle", {"rate": 2}, "rate must be a number between 0 and 1"),
        ("throttle", {"service": ""}, "service must be a non-empty string"),
    ],
)
def test_invalid_fault_rules_are_refused_with_the_reason(
    control: Control, kind: str, rule: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ControlError) as info:
        control.add_fault(kind=kind, **rule)
    assert info.value.status == 400
    assert fragment in str(info.value)
    assert control.faults() == []


def test_a_rule_without_kind_is_refused(control: Control) -> None:
    with pytest.raises(ControlError, match="needs a kind") as info:
        control.add_fault(service="eks")
    assert info.value.status == 400


def test_remove_one_fault_rule(client: Callable[..., Any], control: Control) -> None:
    kept = control.add_fault(kind="throttle", service="ssm")
    removed = control.add_fault(kind="server_error", service="eks")
    assert control.remove_fault(removed["id"])["id"] == removed["id"]
    assert [rule["id"] for rule in control.faults()] == [kept["id"]]
    client("eks", **NO_RETRY).describe_cluster(name="prod")
    with pytest.raises(ControlError) as missing:
        control.remove_fault(removed["id"])
    assert missing.value.status == 404


# -- access_denied ------------------------------------------------------------------------------

ACCESS_DENIED = [
    pytest.param(
        "eks",
        403,
        "AccessDeniedException",
        lambda c: c.describe_update(name="prod", nodegroupName="general", updateId="u-1"),
        "User: arn:aws:iam::123456789012:user/localeks is not authorized to perform: "
        "eks:DescribeUpdate on resource: arn:aws:eks:us-east-1:123456789012:nodegroup/prod/general/*",
        id="eks",
    ),
    pytest.param(
        "ssm",
        400,
        "AccessDeniedException",
        lambda c: c.get_parameter(Name="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"),
        "is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1::parameter"
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version",
        id="ssm",
    ),
    pytest.param(
        "ec2",
        403,
        "UnauthorizedOperation",
        lambda c: c.describe_launch_template_versions(LaunchTemplateName="web-nodes"),
        "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/localeks "
        "is not authorized to perform: ec2:DescribeLaunchTemplateVersions",
        id="ec2",
    ),
    pytest.param(
        "sts",
        403,
        "AccessDenied",
        lambda c: c.get_caller_identity(),
        "is not authorized to perform: sts:GetCallerIdentity on resource: *",
        id="sts",
    ),
]


@pytest.mark.parametrize(("service", "status", "code", "call", "message"), ACCESS_DENIED)
def test_access_denied_in_each_protocol_is_not_retried(
    client: Callable[..., Any],
    control: Control,
    service: str,
    status: int,
    code: str,
    call: Callable[[Any], Any],
    message: str,
) -> None:
    control.add_fault(kind="access_denied", service=service)
    aws = client(service, **RETRY)
    with pytest.raises(ClientError) as info:
        call(aws)
    error = info.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert message in error["Error"]["Message"]
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    [entry] = control.requests(service=service)
    assert (entry["fault"], entry["error_code"], entry["status"]) == ("access_denied", code, status)


def test_access_denied_on_eks_is_its_modelled_exception(
    eks: Any, control: Control
) -> None:
    control.add_fault(kind="access_denied", service="eks", operation="DescribeNodegroup")
    with pytest.raises(eks.exceptions.AccessDeniedException) as info:
        eks.describe_nodegroup(clusterName="prod", nodegroupName="web")
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == "AccessDeniedException"
    assert info.value.response["Error"]["Message"].endswith(
        "because no identity-based policy allows the eks:DescribeNodegroup action"
    )
    eks.describe_cluster(name="prod")  # other operations are allowed


def test_access_denied_changes_nothing(eks: Any, control: Control) -> None:
    control.add_fault(kind="access_denied", service="eks", operation="UpdateNodegroupVersion")
    with pytest.raises(ClientError):
        eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")
    assert eks.list_updates(name="prod", nodegroupName="general")["updateIds"] == []
    assert eks.describe_nodegroup(clusterName="prod", nodegroupName="general")["nodegroup"]["status"] == "ACTIVE"


def test_access_denied_with_own_message_and_code(client: Callable[..., Any], control: Control) -> None:
    control.add_fault(
        kind="access_denied", service="ec2", error_code="AuthFailure", message="<denied & logged>"
    )
    with pytest.raises(ClientError) as info:
        client("ec2", **NO_RETRY).describe_launch_templates()
    assert info.value.response["Error"]["Code"] == "AuthFailure"
    assert info.value.response["Error"]["Message"] == "<denied & logged>"


# -- hang ---------------------------------------------------------------------------------------


def hanging(control: Control, rule_id: int) -> int:
    return next(rule["hanging"] for rule in control.faults() if rule["id"] == rule_id)


def wait_until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Until ``condition()`` holds: a request reaching its hang in the server's thread. ``timeout`` only bounds a
    failure; nothing here depends on how soon that happens."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``call`` in a thread; the dict gets its ``result`` or ``error`` and its ``elapsed`` time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        try:
            outcome["result"] = call()
        except Exception as error:  # the test looks at it
            outcome["error"] = error
        outcome["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_hang_times_the_client_out_and_processes_nothing(
    client: Callable[..., Any], control: Control
) -> None:
    rule = control.add_fault(kind="hang", service="eks", operation="UpdateNodegroupVersion", count=1)
    eks = client("eks", read_timeout=1, **NO_RETRY)
    with pytest.raises(ReadTimeoutError):
        eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")
    # the request is still held, and nothing of it happened
    assert hanging(control, rule["id"]) == 1
    assert eks.list_updates(name="prod", nodegroupName="general")["updateIds"] == []
    assert eks.describe_nodegroup(clusterName="prod", nodegroupName="general")["nodegroup"]["status"] == "ACTIVE"
    [entry] = control.requests(operation="UpdateNodegroupVersion")
    assert (entry["fault"], entry["status"], entry["error_code"], entry["processed_status"]) == ("hang", 0, None, None)
    assert (entry["cluster"], entry["nodegroup"]) == ("prod", "general")
    # count=1: the next call goes through
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert update["status"] == "InProgress"
    control.clear_faults()


def test_a_hung_request_does_not_block_others(client: Callable[..., Any], control: Control) -> None:
    rule = control.add_fault(kind="hang", service="eks", operation="DescribeNodegroup")
    hung = client("eks", read_timeout=30, **NO_RETRY)
    threads = [in_thread(lambda: hung.describe_nodegroup(clusterName="prod", nodegroupName="web")) for _thread in range(3)]
    wait_until(lambda: hanging(control, rule["id"]) == 3)
    eks = client("eks", read_timeout=5, **NO_RETRY)
    assert eks.describe_cluster(name="prod")["cluster"]["name"] == "prod"
    assert client("ssm", read_timeout=5, **NO_RETRY).describe_parameters(MaxResults=1)
    control.clear_faults()
    for thread, outcome in threads:
        thread.join(10)
        assert isinstance(outcome["error"], ConnectionClosedError)


@pytest.mark.parametrize("release", ["remove_fault", "clear_faults", "reset"])
def test_a_hang_ends_at_once_when_its_rule_goes(
    client: Callable[..., Any], control: Control, release: str
) -> None:
    rule = control.add_fault(kind="hang", service="eks", operation="DescribeCluster")
    eks = client("eks", read_timeout=60, **NO_RETRY)
    thread, outcome = in_thread(lambda: eks.describe_cluster(name="prod"))
    wait_until(lambda: hanging(control, rule["id"]) == 1)
    released_at = time.monotonic()
    if release == "remove_fault":
        control.remove_fault(rule["id"])
    else:
        getattr(control, release)()
    thread.join(10)
    assert not thread.is_alive()
    # the connection is closed without a response: no status, no body
    assert isinstance(outcome["error"], ConnectionClosedError)
    assert time.monotonic() - released_at < 5


def test_a_hang_ends_after_its_seconds(client: Callable[..., Any], control: Control) -> None:
    control.add_fault(kind="hang", service="ssm", seconds=0.5)
    ssm = client("ssm", read_timeout=30, **NO_RETRY)
    thread, outcome = in_thread(ssm.describe_parameters)
    thread.join(20)
    assert isinstance(outcome["error"], ConnectionClosedError)
    assert 0.5 <= outcome["elapsed"] < 10
    assert control.faults()[0]["hanging"] == 0


def test_stop_does_not_wait_for_hung_requests() -> None:
    endpoint = LocalEKS(port=0).start()
    try:
        control = endpoint.control
        rule = control.add_fault(kind="hang", service="sts")
        sts = boto3.client(
            "sts", endpoint_url=endpoint.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(read_timeout=60, retries={"total_max_attempts": 1}),
        )
        thread, outcome = in_thread(sts.get_caller_identity)
        wait_until(lambda: hanging(control, rule["id"]) == 1)
    finally:
        started = time.monotonic()
        endpoint.stop()
    assert time.monotonic() - started < 5
    thread.join(10)
    assert not thread.is_alive() and isinstance(outcome["error"], ConnectionClosedError)
