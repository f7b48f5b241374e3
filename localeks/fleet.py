"""Seed clusters, node groups, launch templates and SSM parameters from a fleet document.

A fleet document (YAML or a dict) looks like::

    region: us-east-1
    defaults: {update_duration: 1800, time_factor: 900}   # 30-minute updates that last 2 s
    launch_templates:
      - {name: web-nodes, versions: 3, default_version: 2}
      - {name: custom-nodes, versions: 2, image_id: ami-0c0ffee0000000001}
    clusters:
      - name: prod
        version: "1.31"
        nodegroups:
          - {name: general, version: "1.30", ami_type: AL2023_x86_64_STANDARD}
          - {name: web, launch_template: {name: web-nodes, version: 1}, update_duration: 5}
          - {name: guarded, pod_disruption_budget: true}        # fails unless forced: PodEvictionFailure
          - {name: broken, nodes_fail_to_join: true}            # fails, left DEGRADED: NodeCreationFailure
          - {name: sick, health_issues: [{code: AsgInstanceLaunchFailures, message: "..."}]}   # DEGRADED
    ssm_latest_overrides:
      - {minor: "1.31", ami_type: AL2023_x86_64_STANDARD, release_version: "1.31.1-20250101"}

The whole document is checked before anything is created; a FleetError names the
first wrong key (``clusters[0].nodegroups[1].desired_size ...``) and what it expects.
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

from .eks import catalogue
from .eks.models import BEHAVIOURS, Behaviour, check_time_factor, health_issues, localeks_backends
from .faults import is_number

DEFAULT_REGION = "us-east-1"

_KEYS = {
    "fleet": {"region", "defaults", "launch_templates", "clusters", "ssm_latest_overrides"},
    "defaults": {"update_duration", "time_factor"},
    "launch_template": {"name", "versions", "default_version", "image_id", "instance_type"},
    "cluster": {"name", "version", "nodegroups"},
    "nodegroup": {
        "name", "version", "ami_type", "release_version", "launch_template",
        "instance_types", "desired_size", "labels", "health_issues", *BEHAVIOURS,
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


def _check_keys(kind: str, item: Mapping[str, Any], where: str | None = None) -> None:
    where = where or kind
    if not isinstance(item, Mapping):
        raise FleetError(f"{where} must be a mapping with {', '.join(sorted(_KEYS[kind]))}; got {item!r}")
    unknown = set(item) - _KEYS[kind]
    if unknown:
        raise FleetError(f"unknown {kind} keys in {where}: {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(_KEYS[kind]))}")


def _list(where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FleetError(f"{where} must be a list, not {value!r}")
    return value


def _name(where: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise FleetError(f"{where} is required: a non-empty string, not {value!r}")


def _optional_text(where: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise FleetError(f"{where} must be a non-empty string, not {value!r}")


def _minor(where: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value)):
        raise FleetError(f'{where} must be a Kubernetes version such as "1.31", not {value!r}')


def _count(where: str, value: Any, least: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
        raise FleetError(f"{where} must be an integer, {least} or more, not {value!r}")


def _duration(where: str, value: Any) -> None:
    if value is not None and (not is_number(value) or value < 0):
        raise FleetError(f"{where} must be a number of seconds, 0 or more, not {value!r}")


def check_fleet(document: Mapping[str, Any]) -> None:
    """Check a whole fleet document; FleetError names the first wrong key and what it expects."""
    _check_keys("fleet", document, "the fleet document")
    _optional_text("region", document.get("region"))
    defaults = document.get("defaults") or {}
    _check_keys("defaults", defaults, "defaults")
    _duration("defaults.update_duration", defaults.get("update_duration"))
    if defaults.get("time_factor") is not None:
        try:
            check_time_factor(defaults["time_factor"], "defaults.time_factor")
        except ValueError as error:
            raise FleetError(str(error)) from None
    for index, spec in enumerate(_list("launch_templates", document.get("launch_templates"))):
        _check_launch_template(f"launch_templates[{index}]", spec)
    for index, spec in enumerate(_list("clusters", document.get("clusters"))):
        where = f"clusters[{index}]"
        _check_keys("cluster", spec, where)
        _name(f"{where}.name", spec.get("name"))
        _minor(f"{where}.version", spec.get("version"))
        for number, ng in enumerate(_list(f"{where}.nodegroups", spec.get("nodegroups"))):
            _check_nodegroup(f"{where}.nodegroups[{number}]", ng)
    for index, item in enumerate(_list("ssm_latest_overrides", document.get("ssm_latest_overrides"))):
        where = f"ssm_latest_overrides[{index}]"
        _check_keys("override", item, where)
        _minor(f"{where}.minor", item.get("minor"))
        for key in ("minor", "ami_type", "release_version"):
            if item.get(key) is None:
                raise FleetError(f"{where}.{key} is required")
        _name(f"{where}.ami_type", item["ami_type"])
        _name(f"{where}.release_version", str(item["release_version"]))


def _check_launch_template(where: str, spec: Any) -> None:
    _check_keys("launch_template", spec, where)
    _name(f"{where}.name", spec.get("name"))
    _count(f"{where}.versions", spec.get("versions"), 1)
    _count(f"{where}.default_version", spec.get("default_version"), 1)
    versions = spec.get("versions", 1)
    if spec.get("default_version", 1) > versions:
        raise FleetError(f"{where}.default_version must be one of its {versions} versions, not {spec['default_version']!r}")
    image_ids = spec.get("image_id")
    if isinstance(image_ids, list):
        if len(image_ids) != versions or not all(i is None or (isinstance(i, str) and i) for i in image_ids):
            raise FleetError(f"{where}.image_id: one AMI id (or null) per version expected, {versions} in all; got {image_ids!r}")
    else:
        _optional_text(f"{where}.image_id", image_ids)
    _optional_text(f"{where}.instance_type", spec.get("instance_type"))


def _check_nodegroup(where: str, ng: Any) -> None:
    _check_keys("nodegroup", ng, where)
    _name(f"{where}.name", ng.get("name"))
    _minor(f"{where}.version", ng.get("version"))
    _optional_text(f"{where}.ami_type", ng.get("ami_type"))
    if ng.get("release_version") is not None:
        _name(f"{where}.release_version", str(ng["release_version"]))
    template = ng.get("launch_template")
    if template is not None:
        if not isinstance(template, Mapping) or not template.get("name") or set(template) - {"name", "version"}:
            raise FleetError(f"{where}.launch_template must be {{name, version}} (version optional), not {template!r}")
        if "version" in template and (isinstance(template["version"], bool) or not isinstance(template["version"], (int, str))):
            raise FleetError(f"{where}.launch_template.version must be a version number, not {template['version']!r}")
    types = ng.get("instance_types")
    if types is not None and (not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types)):
        raise FleetError(f"{where}.instance_types must be a non-empty list of instance types, not {types!r}")
    _count(f"{where}.desired_size", ng.get("desired_size"), 0)
    labels = ng.get("labels")
    if labels is not None and (
        not isinstance(labels, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
    ):
        raise FleetError(f"{where}.labels must be a mapping of strings to strings, not {labels!r}")
    scratch = Behaviour()
    for key in BEHAVIOURS:
        if key in ng:
            try:
                scratch.set(key, ng[key])
            except ValueError as error:
                raise FleetError(f"{where}: {error}") from None
    if "health_issues" in ng:
        try:
            health_issues(f"{where}.health_issues", ng["health_issues"])
        except ValueError as error:
            raise FleetError(str(error)) from None


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
    into moto's parameter store directly.  Every AMI a parameter names is
    registered in EC2 too (public, owned by Amazon), so DescribeImages knows it.
    Returns the number of parameters published.
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
    from moto.ec2.models.amis import Ami

    ec2 = ec2_backends[account_id][region]
    for image in catalogue.published_images(overrides):
        if image.id not in ec2.amis:
            ec2.amis[image.id] = Ami(
                ec2,
                ami_id=image.id,
                name=image.name,
                description=f"EKS-optimized {image.ami_type} AMI, Kubernetes {image.minor}, release {image.release}",
                owner_id=catalogue.AMAZON_OWNER_ID,
                owner_alias="amazon",
                public=True,
                virtualization_type="hvm",
                architecture=image.architecture,
                platform=image.platform,
                hypervisor="xen",
                root_device_type="ebs",
                root_device_name="/dev/xvda",
                region_name=f"{region}a",
            )
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
    check_fleet(document)
    region = document.get("region", DEFAULT_REGION)
    eks = localeks_backends[account_id][region]
    ec2 = ec2_backends[account_id][region]

    defaults = document.get("defaults") or {}
    if defaults.get("update_duration") is not None:
        eks.default_update_duration = float(defaults["update_duration"])
    if defaults.get("time_factor") is not None:
        eks.time_factor = float(defaults["time_factor"])

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
        behaviour = {key: ng[key] for key in BEHAVIOURS if key in ng}
        if behaviour:
            eks.set_behaviour(name, ng["name"], **behaviour)
        if ng.get("health_issues"):
            eks.set_health(name, ng["name"], ng["health_issues"])
        names.append(nodegroup.nodegroup_name)
    return names
