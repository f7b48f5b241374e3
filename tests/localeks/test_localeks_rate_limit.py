from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localeks.__main__ import _parser, rate_limit_arg
from localeks.client import Control
from localeks.middleware import account_id
from localeks.ratelimit import RateLimiter, TokenBucket, limit_of
from localeks.server import LocalEKS

REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
# One token per 1000 s: no bucket refills while a test runs, so every count below is exact.
SLOW = 0.001
OTHER_ACCOUNT = "111111111111"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def control(control: Control, endpoint: LocalEKS) -> Iterator[Control]:
    """The conftest's control; the rate limit is removed after the test, for the tests that follow."""
    yield control
    endpoint.app.rate_limit.reset()


def eks_client(endpoint: LocalEKS, region: str = REGION, credentials: dict[str, str] | None = None) -> Any:
    keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client("eks", endpoint_url=endpoint.url, region_name=region, config=NO_RETRY, **keys)


def outcome(call: Callable[[], Any]) -> tuple[str, int]:
    """("ok", 200) or the error code and HTTP status of one call."""
    try:
        response = call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return "ok", response["ResponseMetadata"]["HTTPStatusCode"]


def list_clusters(eks: Any, times: int) -> list[tuple[str, int]]:
    return [outcome(eks.list_clusters) for _i in range(times)]


OK = ("ok", 200)
THROTTLED = ("ThrottlingException", 429)


# -- through boto3, against the running endpoint ------------------------------


def test_burst_then_throttled(endpoint: LocalEKS, control: Control) -> None:
    assert control.set_rate_limit(SLOW, burst=3) == {"rate": SLOW, "burst": 3.0, "allowed": 0, "throttled": 0}
    eks = eks_client(endpoint)
    assert list_clusters(eks, 5) == [OK, OK, OK, THROTTLED, THROTTLED]
    assert control.rate_limit() == {"rate": SLOW, "burst": 3.0, "allowed": 3, "throttled": 2}


def test_throttle_is_eks_wire_form(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=1)
    eks = eks_client(endpoint)
    eks.list_clusters()
    with pytest.raises(ClientError) as info:
        eks.describe_cluster(name="prod")
    response = info.value.response
    assert response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"
    assert isinstance(info.value, eks.exceptions.ThrottlingException)


def test_throttled_request_is_not_served(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=1)
    eks = eks_client(endpoint)
    assert outcome(lambda: eks.describe_cluster(name="prod")) == OK
    assert outcome(lambda: eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")) == THROTTLED
    assert control.updates("prod", "general") == []


def test_concurrent_burst_takes_exactly_the_bucket(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=5)
    eks = eks_client(endpoint)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: outcome(eks.list_clusters), range(12)))
    assert (outcomes.count(OK), outcomes.count(THROTTLED)) == (5, 7)
    assert control.rate_limit()["allowed"] == 5
    assert control.rate_limit()["throttled"] == 7


def test_regions_have_separate_buckets(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=2)
    assert list_clusters(eks_client(endpoint, REGION), 3) == [OK, OK, THROTTLED]
    assert list_clusters(eks_client(endpoint, "eu-west-1"), 3) == [OK, OK, THROTTLED]
    assert [(e["region"], e["throttled"]) for e in control.requests()] == [
        (REGION, False), (REGION, False), (REGION, True),
        ("eu-west-1", False), ("eu-west-1", False), ("eu-west-1", True),
    ]


def test_accounts_have_separate_buckets(endpoint: LocalEKS, client: Callable[..., Any], control: Control) -> None:
    # moto maps the access key of an assumed role to the role's account.
    sts = client("sts")
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/bench", RoleSessionName="bench")
    keys = {
        "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
        "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
        "aws_session_token": assumed["Credentials"]["SessionToken"],
    }
    other = boto3.client("sts", endpoint_url=endpoint.url, region_name=REGION, **keys)
    assert other.get_caller_identity()["Account"] == OTHER_ACCOUNT

    control.set_rate_limit(SLOW, burst=1)
    assert list_clusters(eks_client(endpoint), 2) == [OK, THROTTLED]
    assert list_clusters(eks_client(endpoint, credentials=keys), 2) == [OK, THROTTLED]
    assert control.rate_limit()["allowed"] == 2


def test_other_services_and_control_calls_do_not_count(
    endpoint: LocalEKS, client: Callable[..., Any], control: Control
) -> None:
    control.set_rate_limit(SLOW, burst=1)
    ssm, ec2, sts = client("ssm"), client("ec2"), client("sts")
    for _i in range(3):
        ssm.get_parameter(Name="/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version")
        ec2.describe_launch_templates()
        sts.get_caller_identity()
        control.health()
        control.rate_limit()
    assert control.rate_limit() == {"rate": SLOW, "burst": 1.0, "allowed": 0, "throttled": 0}
    assert list_clusters(eks_client(endpoint), 2) == [OK, THROTTLED]
    assert not any(e["throttled"] for e in control.requests() if e["service"] != "eks")


def test_fault_answered_requests_take_a_token(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=2)
    rule = control.add_fault(kind="server_error", service="eks", operation="DescribeCluster", count=1)
    eks = eks_client(endpoint)
    describe = [outcome(lambda: eks.describe_cluster(name="prod")) for _i in range(3)]
    assert describe == [("ServerException", 500), OK, THROTTLED]
    [seen] = [f for f in control.faults() if f["id"] == rule["id"]]
    assert (seen["seen"], seen["fired"]) == (2, 1)  # the throttled request never reached the rules
    assert control.rate_limit()["allowed"] == 2


def test_request_log_marks_throttles(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=1)
    eks = eks_client(endpoint)
    eks.describe_nodegroup(clusterName="prod", nodegroupName="web")
    outcome(lambda: eks.describe_nodegroup(clusterName="prod", nodegroupName="web"))
    first, second = control.requests(operation="DescribeNodegroup")
    assert (first["status"], first["error_code"], first["throttled"]) == (200, None, False)
    assert {k: second[k] for k in ("status", "error_code", "fault", "processed_status", "throttled")} == {
        "status": 429,
        "error_code": "ThrottlingException",
        "fault": None,
        "processed_status": None,
        "throttled": True,
    }
    assert (second["cluster"], second["nodegroup"]) == ("prod", "web")
    assert sum(e["throttled"] for e in control.requests()) == control.rate_limit()["throttled"] == 1


def test_clear_keeps_counts_set_and_reset_zero_them(endpoint: LocalEKS, control: Control) -> None:
    control.set_rate_limit(SLOW, burst=1)
    eks = eks_client(endpoint)
    assert list_clusters(eks, 2) == [OK, THROTTLED]
    assert control.clear_rate_limit() == {"rate": None, "burst": None, "allowed": 1, "throttled": 1}
    assert list_clusters(eks, 3) == [OK, OK, OK]
    assert control.rate_limit() == {"rate": None, "burst": None, "allowed": 1, "throttled": 1}

    control.set_rate_limit(SLOW, burst=1)  # every bucket starts full again
    assert control.rate_limit()["allowed"] == 0
    assert list_clusters(eks, 2) == [OK, THROTTLED]

    control.reset()
    assert control.rate_limit() == {"rate": None, "burst": None, "allowed": 0, "throttled": 0}
    assert list_clusters(eks, 3) == [OK, OK, OK]


def test_burst_defaults_to_the_rate_and_at_least_one(control: Control) -> None:
    assert control.set_rate_limit(SLOW)["burst"] == 1.0
    assert control.set_rate_limit(25)["burst"] == 25.0
    assert control.set_rate_limit(2.5, 4)["burst"] == 4.0


def put_rate_limit(url: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{url}/_localeks/rate_limit", data=body.encode(), method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{}", "needs a rate"),
        ("", "needs a rate"),
        ('{"burst": 5}', "needs a rate"),
        ('{"rate": 0}', "rate must be a positive number"),
        ('{"rate": -1}', "rate must be a positive number"),
        ('{"rate": true}', "rate must be a positive number"),
        ('{"rate": "10"}', "rate must be a positive number"),
        ('{"rate": null}', "rate must be a positive number"),
        ('{"rate": Infinity}', "rate must be a positive number"),
        ('{"rate": 10, "burst": 0.5}', "burst must be a number"),
        ('{"rate": 10, "burst": false}', "burst must be a number"),
        ('{"rate": 10, "burst": "20"}', "burst must be a number"),
        ('{"rate": 10, "colour": "blue"}', "unknown field(s): colour"),
        ("[10, 20]", "must be a JSON object"),
        ("rate=10", "JSONDecodeError"),
    ],
)
def test_control_refuses_bad_limits(endpoint: LocalEKS, control: Control, body: str, message: str) -> None:
    control.set_rate_limit(SLOW, burst=7)
    status, error = put_rate_limit(endpoint.url, body)
    assert status == 400
    assert message in error
    assert control.rate_limit()["burst"] == 7.0  # the limit in place is kept


def test_control_accepts_a_rate_with_a_null_burst(endpoint: LocalEKS, control: Control) -> None:
    assert put_rate_limit(endpoint.url, '{"rate": 3, "burst": null}') == (200, "")
    assert control.rate_limit()["burst"] == 3.0


def test_endpoint_started_with_a_rate_limit() -> None:
    with LocalEKS(port=0, rate_limit=(SLOW, 2)) as limited:
        assert limited.control.rate_limit() == {"rate": SLOW, "burst": 2.0, "allowed": 0, "throttled": 0}
        assert list_clusters(eks_client(limited), 3) == [OK, OK, THROTTLED]
    with pytest.raises(ValueError, match="rate must be"):
        LocalEKS(port=0, rate_limit=0)


# -- in process ------------------------------------------------------------------


def test_limit_forms() -> None:
    assert limit_of(None) is None
    assert limit_of(5) == (5.0, 5.0)
    assert limit_of(0.5) == (0.5, 1.0)
    assert limit_of((0.5, None)) == (0.5, 1.0)
    assert limit_of((2, 4)) == (2.0, 4.0)
    for bad in (True, 0, -2, float("nan"), 10**400, (1, 2, 3), (1, 0), "5"):
        with pytest.raises(ValueError):
            limit_of(bad)  # type: ignore[arg-type]


def test_cli_rate_limit_argument() -> None:
    assert rate_limit_arg("10") == (10.0, 10.0)
    assert rate_limit_arg("0.5") == (0.5, 1.0)
    assert rate_limit_arg("0.5/3") == (0.5, 3.0)
    assert rate_limit_arg("4/") == (4.0, 4.0)
    for bad in ("", "abc", "0", "-1", "5/0.5", "/5", "5/x", "inf", "1/2/3"):
        with pytest.raises(argparse.ArgumentTypeError):
            rate_limit_arg(bad)
    assert _parser().parse_args(["serve", "--rate-limit", "10/20"]).rate_limit == (10.0, 20.0)
    assert _parser().parse_args(["serve"]).rate_limit is None


def test_account_of_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    signed = {"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/eks/aws4_request, ..."}
    assert account_id(signed) == "123456789012"
    assert account_id({}) == "123456789012"
    assert account_id({**signed, "HTTP_X_MOTO_ACCOUNT_ID": "222222222222"}) == "222222222222"
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "333333333333")
    assert account_id(signed) == "333333333333"


def test_bucket_starts_full_and_refills_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    assert [bucket.take() for _i in range(4)] == [True, True, True, False]
    clock.advance(0.25)  # half a token
    assert not bucket.take()
    assert bucket.tokens == pytest.approx(0.5)
    clock.advance(0.25)
    assert bucket.take()
    assert not bucket.take()
    clock.advance(3600)  # refills up to the burst, no more
    assert bucket.tokens == 3.0
    assert [bucket.take() for _i in range(4)] == [True, True, True, False]


def test_bucket_ignores_a_clock_going_back() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, burst=1.0, clock=clock)
    assert bucket.take()
    clock.advance(-10)
    assert not bucket.take()
    clock.advance(10.5)
    assert bucket.tokens == pytest.approx(0.5)


def test_limiter_keys_counts_and_lifecycle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert not limiter.limits("eks")
    assert limiter.admit("123456789012", REGION)  # no limit: nothing counts
    assert limiter.status() == {"rate": None, "burst": None, "allowed": 0, "throttled": 0}

    limiter.set(1.0, 2)
    assert limiter.limits("eks") and not limiter.limits("ssm")
    admitted = [limiter.admit(account, region) for account in ("a", "b") for region in ("r1", "r2") for _i in range(3)]
    assert admitted == [True, True, False] * 4
    clock.advance(1.0)
    assert limiter.admit("a", "r1") and not limiter.admit("a", "r1")
    assert limiter.status() == {"rate": 1.0, "burst": 2.0, "allowed": 9, "throttled": 5}

    limiter.clear()
    assert not limiter.limits("eks")
    assert limiter.status() == {"rate": None, "burst": None, "allowed": 9, "throttled": 5}
    limiter.set(1.0)
    assert limiter.status() == {"rate": 1.0, "burst": 1.0, "allowed": 0, "throttled": 0}
    limiter.reset()
    assert limiter.status() == {"rate": None, "burst": None, "allowed": 0, "throttled": 0}


def test_limiter_is_exact_across_threads() -> None:
    limiter = RateLimiter(clock=FakeClock())
    limiter.set(1.0, 250)
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _i in range(100):
            limiter.admit("123456789012", REGION)

    threads = [threading.Thread(target=hammer) for _i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter.status()["allowed"] == 250
    assert limiter.status()["throttled"] == 550
