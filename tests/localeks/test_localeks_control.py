from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from localeks.client import Control, ControlError
from localeks.fleet import FleetError, load_fleet

REPO_ROOT = Path(__file__).resolve().parents[2]
FLEETS = REPO_ROOT / "localeks" / "fleets"


def test_request_log_counts_and_filters(eks: Any, ssm: Any, ec2: Any, control: Control) -> None:
    eks.describe_nodegroup(clusterName="prod", nodegroupName="web")
    eks.update_nodegroup_version(clusterName="prod", nodegroupName="web")
    with pytest.raises(eks.exceptions.ResourceInUseException):
        eks.update_nodegroup_version(clusterName="prod", nodegroupName="web")
    ssm.get_parameter(Name="/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version")
    ec2.describe_launch_templates()

    assert control.count("UpdateNodegroupVersion") == 2
    assert control.count("GetParameter", service="ssm") == 1
    assert control.count("DescribeLaunchTemplates", service="ec2") == 1
    log = control.requests()
    assert [e["seq"] for e in log] == [1, 2, 3, 4, 5]
    refused = log[2]
    assert (refused["status"], refused["error_code"]) == (409, "ResourceInUseException")
    assert (refused["cluster"], refused["nodegroup"]) == ("prod", "web")
    assert (log[0]["operation"], log[0]["method"]) == ("DescribeNodegroup", "GET")

    control.clear_requests()
    assert control.requests() == []


def test_reset_empties_everything(eks: Any, control: Control) -> None:
    control.add_fault(kind="throttle", service="ec2")
    control.reset()
    assert eks.list_clusters()["clusters"] == []
    assert control.faults() == []
    assert [e["operation"] for e in control.requests()] == ["ListClusters"]
    assert control.health()["status"] == "ok"


def test_control_errors(control: Control) -> None:
    with pytest.raises(ControlError) as missing:
        control.behaviour("prod", "nope", update_duration=1)
    assert missing.value.status == 404
    with pytest.raises(ControlError) as bad:
        control.finish_update("prod", "x", status="Exploded")
    assert bad.value.status in (400, 404)
    with pytest.raises(ControlError) as unknown:
        control.behaviour("prod", "web", colour="blue")
    assert unknown.value.status == 400


def test_demo_fleet_loads(eks: Any, control: Control) -> None:
    summary = control.load_fleet(FLEETS / "demo.yml")
    assert sorted(summary["clusters"]) == ["batch-ap", "prod-eu", "staging-us"]
    nodegroups = [(c, n) for c, names in summary["clusters"].items() for n in names]
    assert len(nodegroups) == 12
    described = [
        eks.describe_nodegroup(clusterName=c, nodegroupName=n)["nodegroup"] for c, n in nodegroups
    ]
    ami_types = {ng["amiType"] for ng in described}
    assert "CUSTOM" in ami_types
    assert any(t.startswith("BOTTLEROCKET") for t in ami_types)


def test_fifty_fleet_shape() -> None:
    import yaml

    fleet = yaml.safe_load((FLEETS / "fifty.yml").read_text())
    assert len(fleet["clusters"]) == 5
    assert all(len(c["nodegroups"]) == 10 for c in fleet["clusters"])
    assert fleet["defaults"]["update_duration"] == 10


def test_fleet_rejects_unknown_keys() -> None:
    with pytest.raises(FleetError, match="colour"):
        load_fleet({"clusters": [{"name": "x", "colour": "blue"}]})


def test_cli_serves_and_stops(tmp_path: Path) -> None:
    ready = tmp_path / "url"
    process = subprocess.Popen(
        [sys.executable, "-m", "localeks", "serve", "--port", "0", "--ready-file", str(ready),
         "--fleet", str(FLEETS / "demo.yml")],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert ready.read_text().strip() == url
        eks = boto3.client(
            "eks", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        assert sorted(eks.list_clusters()["clusters"]) == ["batch-ap", "prod-eu", "staging-us"]
        assert Control(url).count("ListClusters") == 1
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
