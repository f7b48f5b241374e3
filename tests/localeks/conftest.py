from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from localeks.client import Control  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

REGION = "us-east-1"

# A small fleet with fast updates; tests tune single node groups through `control`.
FLEET: dict[str, Any] = {
    "region": REGION,
    "defaults": {"update_duration": 0.2},
    "launch_templates": [
        {"name": "web-nodes", "versions": 3, "default_version": 2},
        {"name": "custom-nodes", "versions": 2, "image_id": ["ami-0c0ffee0000000001", "ami-0c0ffee0000000002"]},
    ],
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                {
                    "name": "web",
                    "version": "1.31",
                    "ami_type": "AL2023_x86_64_STANDARD",
                    "release_version": "1.31.4-20250203",
                    "launch_template": {"name": "web-nodes", "version": 1},
                },
                {"name": "custom", "version": "1.31", "launch_template": {"name": "custom-nodes"}},
                {"name": "plain", "version": "1.31", "ami_type": "BOTTLEROCKET_x86_64"},
            ],
        }
    ],
}


@pytest.fixture
def fleet() -> dict[str, Any]:
    """The fleet each test starts from."""
    return FLEET


@pytest.fixture(scope="session")
def endpoint() -> Iterator[LocalEKS]:
    with LocalEKS(port=0) as ep:
        yield ep


@pytest.fixture
def control(endpoint: LocalEKS) -> Control:
    endpoint.app.reset()
    endpoint.app.load_fleet(FLEET)
    return endpoint.control


@pytest.fixture
def client(endpoint: LocalEKS, control: Control) -> Callable[..., Any]:
    def make(service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(**config) if config else None,
        )

    return make


@pytest.fixture
def eks(client: Callable[..., Any]) -> Any:
    return client("eks")


@pytest.fixture
def ssm(client: Callable[..., Any]) -> Any:
    return client("ssm")


@pytest.fixture
def ec2(client: Callable[..., Any]) -> Any:
    return client("ec2")
