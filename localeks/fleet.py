"""Seed clusters, node groups, launch templates and SSM parameters from a fleet document.

A fleet document (YAML or a dict) looks like::

    region: us-east-1
    defaults: {update_duration: 2}
    launch_templates:
      - {name: web-nodes, versions: 3, default_version: 2}
      - {name: custom-nodes, versions: 2, image_id: ami-0c0ffee0000000001}
    clusters:
      - name: prod
        version: "1.31"
        nodegroups:
          - {name: general, version: "1.30", ami_type: AL2023_x86_64_STANDARD}
          - {name: web, launch_template: {name: web-nodes, version: 1}, update_duration: 5}
    ssm_latest_overrides:
      - {minor: "1.31", ami_type: AL2023_x86_64_STANDARD, release_version: "1.31.1-20250101"}

Loading is additive: reset the endpoint first for a clean fleet.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ssm.models import Parameter, ssm_backends

from . import catalogue
from .models import localeks_backends

DEFAULT_REGION = "us-east-1"

_KEYS = {
    "fleet": {"region", "defaults", "launch_templates", "clusters", "ssm_latest_overrides"},
    "defaults": {"update_duration"},
    "launch_template": {"name", "versions", "default_version", "image_id", "instance_type"},
    "cluster": {"name", "version", "nodegroups"},
    "nodegroup": {
        "name", "version", "ami_type", "release_version", "launch_template",
        "update_duration", "instance_types", "desired_size", "labels",
    },
    "override": {"minor", "ami_type", "release_version"},
}


class FleetError(ValueError):
    """The fleet document is malformed."""


def read_fleet(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A fleet document from a mapping, a file path, or YAML/JSON text."""
    if isinstance(source, Mapping):
        return dict(source)
    text = str(source)
    if isinstance(source, Path) or ("\n" not in text and Path(text).is_file()):
        text = Path(text).read_text()
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise FleetError("a fleet document must be a mapping")
    return document


def _check_keys(kind: str, item: Mapping[str, Any]) -> None:
    if not isinstance(item, Mapping):
        raise FleetError(f"{kind} entries must be mappings, got {item!r}")
    unknown = set(item) - _KEYS[kind]
    if unknown:
        raise FleetError(f"unknown {kind} keys: {', '.join(sorted(unknown))}")


def latest_overrides(document: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    overrides: dict[tuple[str, str], str] = {}
    for item in document.get("ssm_latest_overrides") or []:
        _check_keys("override", item)
        overrides[(str(item["minor"]), item["ami_type"])] = str(item["release_version"])
    return overrides


def publish_ssm_catalogue(
    region: str,
    overrides: Mapping[tuple[str, str], str] | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> int:
    """Publish the catalogue's latest releases as AWS's public SSM parameters.

    ``/aws/`` names cannot be created through PutParameter, so they are put
    into moto's parameter store directly.  Returns the number published.
    """
    store = ssm_backends[account_id][region]._parameters
    now = utcnow()
    parameters = catalogue.ssm_parameters(overrides)
    for name, value in parameters.items():
        store[name] = [
            Parameter(
                account_id=account_id,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=now,
                version=1,
                data_type="aws:ec2:image" if name.endswith("image_id") else "text",
            )
        ]
    return len(parameters)


def _create_launch_template(ec2: Any, spec: Mapping[str, Any]) -> Any:
    _check_keys("launch_template", spec)
    versions = int(spec.get("versions", 1))
    image_ids = spec.get("image_id")
    if not isinstance(image_ids, list):
        image_ids = [image_ids] * versions
    if len(image_ids) != versions:
        raise FleetError(f"launch template {spec['name']}: one image_id per version expected")

    def data(number: int) -> dict[str, Any]:
        item: dict[str, Any] = {"InstanceType": spec.get("instance_type", "m5.large")}
        if image_ids[number - 1]:
            item["ImageId"] = image_ids[number - 1]
        return item

    template = ec2.create_launch_template(spec["name"], "version 1", data(1), {})
    for number in range(2, versions + 1):
        template.create_version(data(number), f"version {number}")
    ec2.modify_launch_template(str(spec.get("default_version", 1)), template_name=spec["name"])
    return template


def load_fleet(
    source: str | Path | Mapping[str, Any], account_id: str = DEFAULT_ACCOUNT_ID
) -> dict[str, Any]:
    """Create the fleet's resources; returns a summary of what was created."""
    document = read_fleet(source)
    _check_keys("fleet", document)
    region = document.get("region", DEFAULT_REGION)
    eks = localeks_backends[account_id][region]
    ec2 = ec2_backends[account_id][region]

    defaults = document.get("defaults") or {}
    _check_keys("defaults", defaults)
    if "update_duration" in defaults:
        eks.default_update_duration = float(defaults["update_duration"])

    templates = {
        spec["name"]: _create_launch_template(ec2, spec).id
        for spec in document.get("launch_templates") or []
    }
    clusters: dict[str, list[str]] = {}
    with eks.lock:
        for spec in document.get("clusters") or []:
            _check_keys("cluster", spec)
            clusters[spec["name"]] = _create_cluster(eks, account_id, spec)
    published = publish_ssm_catalogue(region, latest_overrides(document), account_id)
    return {
        "region": region,
        "clusters": clusters,
        "launch_templates": templates,
        "ssm_parameters": published,
    }


def _create_cluster(eks: Any, account_id: str, spec: Mapping[str, Any]) -> list[str]:
    name = spec["name"]
    eks.create_cluster(
        name=name,
        role_arn=f"arn:aws:iam::{account_id}:role/eks-cluster-{name}",
        resources_vpc_config={
            "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": False,
        },
        version=str(spec.get("version", catalogue.MINORS[-1])),
    )
    names = []
    for ng in spec.get("nodegroups") or []:
        _check_keys("nodegroup", ng)
        version = str(ng.get("version", spec.get("version", catalogue.MINORS[-1])))
        launch_template = dict(ng["launch_template"]) if ng.get("launch_template") else None
        if launch_template and "version" in launch_template:
            launch_template["version"] = str(launch_template["version"])
        desired = int(ng.get("desired_size", 3))
        nodegroup = eks.create_nodegroup(
            cluster_name=name,
            node_role=f"arn:aws:iam::{account_id}:role/eks-nodes-{name}",
            nodegroup_name=ng["name"],
            subnets=["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
            launch_template=launch_template,
            ami_type=ng.get("ami_type"),
            version=version,
            release_version=ng.get("release_version"),
            scaling_config={"minSize": 1, "maxSize": max(desired * 2, 1), "desiredSize": desired},
            instance_types=None if launch_template else ng.get("instance_types", ["m5.large"]),
            labels=ng.get("labels"),
        )
        if "release_version" not in ng and nodegroup.ami_type != "CUSTOM":
            # Seeded fleets start on the oldest release of their minor.
            nodegroup.release_version = catalogue.oldest_release(version, nodegroup.ami_type)
        if "update_duration" in ng:
            eks.set_behaviour(name, ng["name"], update_duration=float(ng["update_duration"]))
        names.append(nodegroup.nodegroup_name)
    return names
