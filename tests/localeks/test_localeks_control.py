from __future__ import annotations

import json
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


def test_fail_next_update_true_or_empty_fails_with_eks_defaults(eks: Any, control: Control) -> None:
    from localeks_support import wait_update

    for value in ({}, True):
        assert control.behaviour("prod", "general", fail_next_update=value)["fail_next_update"] == {}
        update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
        failed = wait_update(eks, "general", update["id"])
        assert failed["status"] == "Failed"
        [error] = failed["errors"]
        assert error["errorCode"] == "PodEvictionFailure"
        assert error["errorMessage"] == "Reached max retries while trying to evict pods from nodes in node group general"
    assert control.behaviour("prod", "general", fail_next_update=False)["fail_next_update"] is None


BAD_INPUT = [
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": {"colour": 1}}, "unknown field fail_next_update.colour"),
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": "yes"}, "fail_next_update must be true, false, null or an object"),
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": {"error_code": "Oops"}},
     "fail_next_update.error_code must be one of EKS's ErrorCode values"),
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": {"resource_ids": "ip-1"}}, "fail_next_update.resource_ids must be a list"),
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": {"unless_force": 1}}, "fail_next_update.unless_force must be true or false"),
    ("POST", "nodegroups/prod/web/behaviour", {"fail_next_update": {"error_message": ""}}, "fail_next_update.error_message must be a non-empty"),
    ("POST", "nodegroups/prod/web/behaviour", {"cancel_next_update": "true"}, "cancel_next_update must be true or false"),
    ("POST", "nodegroups/prod/web/behaviour", {"update_duration": True}, "update_duration must be a number"),
    ("POST", "nodegroups/prod/web/behaviour", {"colour": "blue"}, "unknown field(s): colour"),
    ("POST", "nodegroups/prod/web/behaviour", {"pod_disruption_budget": {"nodes": []}}, None),
    ("POST", "nodegroups/prod/web/behaviour", {"nodes_fail_to_join": {"instance_ids": [1]}}, "nodes_fail_to_join.instance_ids must be a list"),
    ("POST", "nodegroups/prod/web/behaviour?colour=1", {}, "unknown query parameter(s): colour"),
    ("POST", "nodegroups/prod/web/behaviour", [1], "the request body must be a JSON object"),
    ("POST", "nodegroups/prod/web/health", {}, "issues is required"),
    ("POST", "nodegroups/prod/web/health", {"issues": [{"code": "Sad"}]}, "issues[0].code must be one of EKS's NodegroupIssueCode"),
    ("POST", "nodegroups/prod/web/health", {"issues": [{"code": "Unknown", "why": 1}]}, "unknown field issues[0].why"),
    ("POST", "hold", {"hold_updates": "yes"}, "hold_updates must be true or false"),
    ("POST", "hold", {"hold": True}, "unknown field(s): hold"),
    ("GET", "updates?colour=1", None, "unknown query parameter(s): colour"),
    ("GET", "updates?status=Done", None, "status must be one of"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Exploded"}, "status must be one of Successful, Failed, Cancelled"),
    ("POST", "updates/prod/UPDATE/finish", {"reason": "x"}, "unknown field(s): reason"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Failed", "errors": {"errorCode": "Unknown"}}, "errors must be a list"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Failed", "errors": [{"errorCode": "Boom"}]},
     "errors[0].errorCode must be one of EKS's ErrorCode values"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Failed", "errors": [{"errorMessage": "x"}]}, "errors[0].errorCode is required"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Failed", "errors": [{"errorCode": "Unknown", "code": 1}]}, "unknown field errors[0].code"),
    ("POST", "updates/prod/UPDATE/finish", {"status": "Successful", "errors": [{"errorCode": "Unknown"}]}, "errors must be empty"),
    ("POST", "fleet", "- a list", "the body must be a fleet document"),
    ("POST", "fleet", {"clusters": [{"name": 3}]}, "clusters[0].name is required: a non-empty string"),
    ("POST", "fleet", {"defaults": {"update_duration": "x"}}, "defaults.update_duration must be a number of seconds"),
    ("POST", "fleet", {"clusters": "prod"}, "clusters must be a list"),
    ("POST", "fleet", {"launch_templates": [{"name": "t", "versions": 2, "default_version": 3}]}, "launch_templates[0].default_version"),
    ("POST", "fleet", {"colour": 1}, "unknown fleet keys in the fleet document: colour"),
    ("POST", "faults", {"kind": "throttle", "count": "x"}, "count must be an integer"),
    ("POST", "faults", {"kind": "explode"}, "kind"),
    ("PUT", "rate_limit", {"rate": "1"}, "rate must be a positive number"),
    ("PUT", "rate_limit", {"rate": 1, "colour": 1}, "unknown field(s): colour"),
    ("POST", "reset", {"everything": True}, "unknown field(s): everything"),
    ("DELETE", "faults", {"id": 1}, "unknown field(s): id"),
    ("GET", "requests?colour=1", None, "unknown query parameter(s): colour"),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), BAD_INPUT, ids=[f"{m} {p} {b}" for m, p, b, _message in BAD_INPUT])
def test_every_endpoint_refuses_bad_input_naming_the_key(
    eks: Any, control: Control, method: str, path: str, body: Any, message: str | None
) -> None:
    if "UPDATE" in path:
        control.behaviour("prod", "general", hold_updates=True)
        update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
        path = path.replace("UPDATE", update["id"])
    payload = body if isinstance(body, str) or body is None else json.dumps(body)
    path, _mark, query = path.partition("?")
    if message is None:  # accepted: an empty list of nodes means the default node names
        control._call(method, path, payload)
        return
    with pytest.raises(ControlError) as refused:
        control._call(method, path, payload, dict([query.split("=")]) if query else None)
    assert refused.value.status == 400
    assert message in str(refused.value)
    if "UPDATE" not in path and "finish" in path:
        assert control.update_in_progress("prod", "general") is not None  # nothing applied


def test_a_refused_behaviour_changes_nothing(control: Control) -> None:
    with pytest.raises(ControlError):
        control.behaviour("prod", "web", hold_updates=True, fail_next_update={"error_code": "Nope"})
    assert control.behaviour("prod", "web") == {
        "update_duration": None, "fail_next_update": None, "cancel_next_update": False, "hold_updates": False,
        "pod_disruption_budget": None, "nodes_fail_to_join": None,
    }
