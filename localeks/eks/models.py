"""EKS backend with node group updates that behave like the real service.

``LocalEKSBackend`` extends moto's ``EKSBackend``: node groups get realistic
AMI types, release versions and launch template versions, and updates
(``UpdateNodegroupVersion`` and ``UpdateNodegroupConfig``) go through EKS's
lifecycle: ``InProgress`` for a while, node group ``UPDATING``, then
``Successful``, ``Failed`` or ``Cancelled``.

The backend's clock (``clock``, ``time.time`` unless replaced) decides when an
update ends: at its start plus its duration, whoever asks and whenever.  Every
request first brings the state up to the clock (``advance()``), ending each
update that is due at its own end time, so the node group's ``status`` and
``modifiedAt`` and the update's ``status`` agree with that end, however late
they are read.  Durations are stated in EKS's terms and divided by the time
factor.  A held update stays ``InProgress`` until ``finish_update()`` ends it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from moto.core.base_backend import BackendDict
from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound
from moto.ec2.models import ec2_backends
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.eks.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.models import EKSBackend, Nodegroup

from . import catalogue, eks_errors
from ..faults import is_number

DEFAULT_UPDATE_DURATION = 2.0

IN_PROGRESS, SUCCESSFUL, FAILED, CANCELLED = "InProgress", "Successful", "Failed", "Cancelled"
FINAL_STATUSES = (SUCCESSFUL, FAILED, CANCELLED)

_EPOCH = datetime(1970, 1, 1)


@cache
def eks_enum(shape: str) -> tuple[str, ...]:
    """The values of an enum of EKS's service model (botocore's, as ``eks_errors`` loads it)."""
    return tuple(eks_errors.service_model().shape_for(shape).enum)


def timestamp(seconds: float) -> datetime:
    """A Unix time as the naive UTC datetime moto serialises, to the millisecond EKS reports."""
    return _EPOCH + timedelta(milliseconds=round(seconds * 1000))


def _error(code: str, message: str, resource_ids: list[str]) -> dict[str, Any]:
    return {"errorCode": code, "errorMessage": message, "resourceIds": resource_ids}


def _issue(code: str, message: str, resource_ids: list[str]) -> dict[str, Any]:
    return {"code": code, "message": message, "resourceIds": resource_ids}


def check_time_factor(value: Any, key: str = "time_factor") -> float:
    """A time factor: a positive number (update durations are divided by it)."""
    if not is_number(value) or not 0 < value < float("inf"):
        raise ValueError(f"{key} must be a positive number (update durations are divided by it), not {value!r}")
    return float(value)


def _strings(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{key} must be a list of non-empty strings, not {value!r}")
    return list(value)


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string, not {value!r}")
    return value


def _code(key: str, value: Any, shape: str) -> str:
    if value not in eks_enum(shape):
        raise ValueError(f"{key} must be one of EKS's {shape} values ({', '.join(eks_enum(shape))}), not {value!r}")
    return str(value)


def _options(key: str, value: Any, fields: dict[str, Callable[[str, Any], Any]]) -> dict[str, Any] | None:
    """A behaviour given as true/false/null or as an object of ``fields``: the checked object, or None for off."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be true, false, null or an object with {', '.join(fields)}; not {value!r}")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ValueError(f"unknown field {key}.{unknown[0]}; known: {', '.join(fields)}")
    return {name: fields[name](f"{key}.{name}", item) for name, item in value.items()}


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, not {value!r}")
    return value


_FAILURE_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "error_code": lambda key, value: _code(key, value, "ErrorCode"),
    "error_message": _text,
    "resource_ids": _strings,
    "unless_force": _flag,
}
_PDB_FIELDS: dict[str, Callable[[str, Any], Any]] = {"nodes": _strings}
_JOIN_FIELDS: dict[str, Callable[[str, Any], Any]] = {"instance_ids": _strings}
_ISSUE_FIELDS: tuple[str, str, str] = ("code", "message", "resource_ids")


def _details(key: str, value: Any, fields: tuple[str, str, str], shape: str, default_message: str) -> list[tuple[str, str, list[str]]]:
    """A list of ``{<code>, <message>, <resource ids>}`` objects (``fields`` names them), checked: the code one of
    the ``shape`` enum's values, the message ``default_message`` (with ``{code}``) when absent."""
    code_key, message_key, ids_key = fields
    listed = ", ".join(fields)
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list of {{{listed}}} objects, not {value!r}")
    details = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object with {listed}, not {item!r}")
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise ValueError(f"unknown field {where}.{unknown[0]}; known: {listed}")
        if code_key not in item:
            raise ValueError(f"{where}.{code_key} is required: one of EKS's {shape} values")
        code = _code(f"{where}.{code_key}", item[code_key], shape)
        details.append((
            code,
            _text(f"{where}.{message_key}", item.get(message_key, default_message.format(code=code))),
            _strings(f"{where}.{ids_key}", item.get(ids_key, [])),
        ))
    return details


def health_issues(key: str, value: Any) -> list[dict[str, Any]]:
    """``[{code, message, resource_ids}, ...]`` checked, as EKS's ``health.issues`` (``code``, ``message``, ``resourceIds``)."""
    return [_issue(*issue) for issue in _details(key, value, _ISSUE_FIELDS, "NodegroupIssueCode", "Health issue {code}")]


def update_errors(key: str, value: Any) -> list[dict[str, Any]]:
    """EKS's ``ErrorDetail`` list (``errorCode``, ``errorMessage``, ``resourceIds``), checked."""
    fields = ("errorCode", "errorMessage", "resourceIds")
    return [_error(*error) for error in _details(key, value, fields, "ErrorCode", "Update failed: {code}.")]


@dataclass
class Behaviour:
    """What the next updates of one node group do (set through the control API or the fleet file).

    ``fail_next_update`` and ``cancel_next_update`` are used up by the next update;
    ``pod_disruption_budget`` and ``nodes_fail_to_join`` last until turned off.
    """

    update_duration: float | None = None
    fail_next_update: dict[str, Any] | None = None
    cancel_next_update: bool = False
    hold_updates: bool = False
    pod_disruption_budget: dict[str, Any] | None = None
    nodes_fail_to_join: dict[str, Any] | None = None

    def set(self, key: str, value: Any) -> None:
        if key not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {key!r}; known: {', '.join(BEHAVIOURS)}")
        if key == "update_duration" and value is not None and (not is_number(value) or value < 0):
            raise ValueError(f"update_duration must be a number of seconds, 0 or more, or null; not {value!r}")
        if key in ("cancel_next_update", "hold_updates"):
            _flag(key, value)
        if key == "fail_next_update":
            value = _options(key, value, _FAILURE_FIELDS)
        if key == "pod_disruption_budget":
            value = _options(key, value, _PDB_FIELDS)
        if key == "nodes_fail_to_join":
            value = _options(key, value, _JOIN_FIELDS)
        setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in BEHAVIOURS}


BEHAVIOURS = (
    "update_duration", "fail_next_update", "cancel_next_update", "hold_updates", "pod_disruption_budget", "nodes_fail_to_join",
)


@dataclass
class VersionTarget:
    """What a successful VersionUpdate applies to the node group."""

    version: str
    release_version: str
    launch_template_version: str | None


@dataclass
class NodegroupUpdate:
    """One update.  Times are Unix times of the backend's clock; ``duration`` is in real seconds."""

    id: str
    type: str
    params: list[dict[str, str]]
    started_at: float
    duration: float
    outcome: str
    outcome_errors: list[dict[str, Any]]
    # The health issues the node group is left with (DEGRADED) when the update ends as planned.
    outcome_issues: list[dict[str, Any]] = field(default_factory=list)
    target: VersionTarget | None = None
    client_request_token: str | None = None
    held: bool = False
    ended_at: float | None = None
    status: str = IN_PROGRESS
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ends_at(self) -> float:
        """When the update ends by itself (unless held or finished first)."""
        return round(self.started_at + self.duration, 3)

    def due(self, now: float) -> bool:
        return self.status == IN_PROGRESS and not self.held and now >= self.ends_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "params": self.params,
            "createdAt": timestamp(self.started_at),
            "errors": self.errors,
        }

    def control_dict(self, cluster: str, nodegroup: str) -> dict[str, Any]:
        """The update as the control API shows it: EKS's fields, where it is, held, and when it ran."""
        return {
            **self.to_dict(),
            "cluster": cluster,
            "nodegroup": nodegroup,
            "held": self.held,
            "started": self.started_at,
            "duration": self.duration,
            "ended": self.ended_at,
        }


@dataclass
class NodegroupState:
    """Per node group bookkeeping that moto's ``Nodegroup`` has no room for."""

    updates: list[NodegroupUpdate] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)

    def in_progress(self) -> NodegroupUpdate | None:
        return next((u for u in self.updates if u.status == IN_PROGRESS), None)

    def by_token(self, token: str | None) -> NodegroupUpdate | None:
        if not token:
            return None
        return next((u for u in self.updates if u.client_request_token == token), None)


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def node_names(nodegroup: Nodegroup, count: int = 1) -> list[str]:
    """Kubernetes node names of the node group, as EKS names its nodes (``ip-10-0-x-y.<region's DNS suffix>``)."""
    suffix = "ec2.internal" if nodegroup.region == "us-east-1" else f"{nodegroup.region}.compute.internal"
    digest = _digest(nodegroup.arn)
    return [f"ip-10-0-{int(digest[4 * i:4 * i + 2], 16)}-{int(digest[4 * i + 2:4 * i + 4], 16) or 1}.{suffix}" for i in range(count)]


def instance_ids(nodegroup: Nodegroup, seed: str, count: int = 2) -> list[str]:
    """EC2 instance ids for the node group's instances (stable for a seed)."""
    return [f"i-0{_digest(nodegroup.arn, seed, str(i))[:16]}" for i in range(count)]


class LocalEKSBackend(EKSBackend):
    # Seconds (in EKS's terms) an update stays InProgress unless its node group says otherwise;
    # set on the class for the whole process, on an instance for one region.
    default_update_duration: float = DEFAULT_UPDATE_DURATION
    # Every duration is divided by this: 60 runs a 30-minute update in 30 s. Class: the process; instance: a region.
    time_factor: float = 1.0
    # While true, every update started (any region) is held: InProgress until finished.
    hold_all_updates: bool = False

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.lock = threading.RLock()
        self._states: dict[str, NodegroupState] = {}
        # The clock that decides when updates end (Unix seconds); replace it to drive time by hand.
        self.clock: Callable[[], float] = time.time

    def now(self) -> float:
        """The clock's time, to the millisecond (what EKS's timestamps carry)."""
        return round(self.clock(), 3)

    def real_duration(self, stated: float) -> float:
        """Real seconds for a duration stated in EKS's terms: divided by the time factor."""
        return stated / self.time_factor

    # -- helpers -----------------------------------------------------------

    def state(self, nodegroup: Nodegroup) -> NodegroupState:
        return self._states.setdefault(nodegroup.arn, NodegroupState())

    def _launch_template(self, spec: dict[str, str]) -> LaunchTemplate:
        ec2 = ec2_backends[self.account_id][self.region_name]
        if "id" in spec:
            template = ec2.launch_templates.get(spec["id"])
        else:
            template_id = ec2.launch_template_name_to_ids.get(spec.get("name", ""))
            template = ec2.launch_templates.get(template_id) if template_id else None
        if template is None:
            raise InvalidParameterException(
                message=f"Launch template {spec.get('id') or spec.get('name')} does not exist."
            )
        return template

    @staticmethod
    def _template_version(template: LaunchTemplate, version: str | None) -> str:
        try:
            return str(template.get_version(version or "$Default").number)
        except (InvalidLaunchTemplateVersionNotFound, ValueError):
            raise InvalidParameterException(
                message=(
                    f"Launch template version {version} does not exist for launch "
                    f"template {template.id} ({template.name})."
                )
            )

    # -- lifecycle ---------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """End every update whose time has come, at its own end time, in the order they ended."""
        now = self.now() if now is None else now
        due = [
            (update.ends_at, nodegroup, update)
            for cluster in self.clusters.values()
            for nodegroup in cluster.nodegroups.values()
            for update in self.state(nodegroup).updates
            if update.due(now)
        ]
        for ended_at, nodegroup, update in sorted(due, key=lambda item: item[0]):
            self._complete(nodegroup, update, ended_at)

    def _complete(self, nodegroup: Nodegroup, update: NodegroupUpdate, ended_at: float) -> None:
        """End the update at ``ended_at``: the node group is then as EKS leaves it, modified at that time."""
        update.status = update.outcome
        update.errors = update.outcome_errors
        update.ended_at = ended_at
        if update.status == SUCCESSFUL and update.target is not None:
            nodegroup.version = update.target.version
            nodegroup.release_version = update.target.release_version
            if update.target.launch_template_version is not None:
                nodegroup.launch_template["version"] = update.target.launch_template_version
        issues = update.outcome_issues if update.status == FAILED else []
        nodegroup.status = "DEGRADED" if issues else "ACTIVE"
        nodegroup.health = {"issues": [dict(issue) for issue in issues]}
        nodegroup.modified_at = timestamp(ended_at)

    def finish_update(
        self,
        cluster_name: str,
        update_id: str,
        status: str | None = SUCCESSFUL,
        errors: list[dict[str, Any]] | None = None,
    ) -> NodegroupUpdate:
        """Complete an in-progress update now (held or not): it ends at the clock's time.

        ``status`` None ends it as planned when it started (``fail_next_update``,
        ``cancel_next_update``, ``nodes_fail_to_join``, ``pod_disruption_budget``, or success).
        ``errors`` are EKS's ``ErrorDetail`` objects.  An update already ended is left as it is.
        """
        if status is not None and status not in FINAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(FINAL_STATUSES)} or null, not {status!r}")
        if errors is not None:
            errors = update_errors("errors", errors)
            if status == SUCCESSFUL and errors:
                raise ValueError("errors must be empty for a Successful update")
        nodegroup, update = self.find_update(cluster_name, update_id)
        if update.status == IN_PROGRESS:
            planned = update.outcome
            status = planned if status is None else status
            update.outcome = status
            if status != planned or errors is not None:
                update.outcome_issues = []
            if errors is not None:
                update.outcome_errors = errors
            elif status == SUCCESSFUL:
                update.outcome_errors = []
            elif status != planned or not update.outcome_errors:
                update.outcome_errors = [
                    _error("Unknown", f"Update {status.lower()}.", [nodegroup.nodegroup_name])
                ]
            self._complete(nodegroup, update, max(self.now(), update.started_at))
        return update

    def updates(
        self,
        cluster_name: str | None = None,
        nodegroup_name: str | None = None,
        status: str | None = None,
    ) -> list[tuple[str, str, NodegroupUpdate]]:
        """(cluster, node group, update) of every update, oldest first within a node group."""
        if nodegroup_name is not None and cluster_name is None:
            raise ValueError("a node group is named within a cluster: give the cluster too")
        if cluster_name is None:
            clusters = list(self.clusters.values())
        else:
            clusters = [self.describe_cluster(cluster_name)]
        found = []
        for cluster in clusters:
            if nodegroup_name is None:
                nodegroups = list(cluster.nodegroups.values())
            else:
                nodegroups = [self.describe_nodegroup(cluster.name, nodegroup_name)]
            for nodegroup in nodegroups:
                found += [
                    (cluster.name, nodegroup.nodegroup_name, update)
                    for update in self.state(nodegroup).updates
                    if status is None or update.status == status
                ]
        return found

    def find_update(self, cluster_name: str, update_id: str) -> tuple[Nodegroup, NodegroupUpdate]:
        cluster = self.describe_cluster(cluster_name)
        for nodegroup in cluster.nodegroups.values():
            for update in self.state(nodegroup).updates:
                if update.id == update_id:
                    return nodegroup, update
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message=f"No update found for ID: {update_id}.",
        )

    def set_behaviour(
        self, cluster_name: str, nodegroup_name: str, **changes: Any
    ) -> Behaviour:
        behaviour = self.state(self.describe_nodegroup(cluster_name, nodegroup_name)).behaviour
        unknown = sorted(set(changes) - set(BEHAVIOURS))
        if unknown:
            raise ValueError(f"unknown behaviour {unknown[0]!r}; known: {', '.join(BEHAVIOURS)}")
        changed = replace(behaviour)
        for key, value in changes.items():
            changed.set(key, value)
        for key in changes:
            setattr(behaviour, key, getattr(changed, key))
        return behaviour

    def set_health(self, cluster_name: str, nodegroup_name: str, issues: Any) -> Nodegroup:
        """Give the node group these health issues (``[{code, message, resource_ids}]``): DEGRADED, or ACTIVE if none."""
        checked = health_issues("issues", issues)
        nodegroup = self.describe_nodegroup(cluster_name, nodegroup_name)
        if nodegroup.status not in ("ACTIVE", "DEGRADED"):
            raise ResourceInUseException(
                clusterName=cluster_name,
                nodegroupName=nodegroup_name,
                addonName=None,
                message=f"Nodegroup {nodegroup_name} is in {nodegroup.status} status; its health cannot be set now",
            )
        nodegroup.status = "DEGRADED" if checked else "ACTIVE"
        nodegroup.health = {"issues": checked}
        nodegroup.modified_at = timestamp(self.now())
        return nodegroup

    def _start_update(
        self,
        nodegroup: Nodegroup,
        update_type: str,
        params: list[dict[str, str]],
        force: bool,
        client_request_token: str | None,
        target: VersionTarget | None = None,
    ) -> NodegroupUpdate:
        state = self.state(nodegroup)
        behaviour = state.behaviour
        name = nodegroup.nodegroup_name
        update_id = str(uuid.uuid4())
        outcome, errors, issues = SUCCESSFUL, [], []
        failure, behaviour.fail_next_update = behaviour.fail_next_update, None
        cancel, behaviour.cancel_next_update = behaviour.cancel_next_update, False
        replaces_nodes = update_type == "VersionUpdate"
        if failure is not None and not (failure.get("unless_force") and force):
            outcome = FAILED
            errors = [
                _error(
                    failure.get("error_code", "PodEvictionFailure"),
                    failure.get(
                        "error_message",
                        f"Reached max retries while trying to evict pods from nodes in node group {name}",
                    ),
                    failure.get("resource_ids") or node_names(nodegroup),
                )
            ]
        elif replaces_nodes and behaviour.nodes_fail_to_join is not None:
            # The new nodes never join: EKS gives up the update and leaves the node group DEGRADED.
            instances = behaviour.nodes_fail_to_join.get("instance_ids") or instance_ids(nodegroup, update_id)
            outcome = FAILED
            errors = [
                _error(
                    "NodeCreationFailure",
                    f"Couldn't proceed with upgrade process as new nodes are not joining node group {name}",
                    instances,
                )
            ]
            issues = [_issue("NodeCreationFailure", "Instances failed to join the kubernetes cluster", instances)]
        elif replaces_nodes and behaviour.pod_disruption_budget is not None and not force:
            # A PodDisruptionBudget blocks draining the old nodes; force ignores it.
            outcome = FAILED
            errors = [
                _error(
                    "PodEvictionFailure",
                    f"Reached max retries while trying to evict pods from nodes in node group {name}",
                    behaviour.pod_disruption_budget.get("nodes") or node_names(nodegroup),
                )
            ]
        elif cancel:
            outcome = CANCELLED
            errors = [_error("Unknown", f"The update of node group {name} was cancelled.", [name])]
        duration = self.default_update_duration if behaviour.update_duration is None else behaviour.update_duration
        update = NodegroupUpdate(
            id=update_id,
            type=update_type,
            params=params,
            started_at=self.now(),
            duration=self.real_duration(duration),
            outcome=outcome,
            outcome_errors=errors,
            outcome_issues=issues,
            target=target,
            client_request_token=client_request_token,
            held=behaviour.hold_updates or self.hold_all_updates,
        )
        state.updates.append(update)
        nodegroup.status = "UPDATING"
        nodegroup.modified_at = timestamp(update.started_at)
        return update

    def _check_can_update(self, nodegroup: Nodegroup) -> None:
        in_progress = self.state(nodegroup).in_progress()
        if in_progress is not None:
            raise ResourceInUseException(
                clusterName=nodegroup.cluster_name,
                nodegroupName=nodegroup.nodegroup_name,
                addonName=None,
                message=(
                    f"Nodegroup {nodegroup.nodegroup_name} already has an update in "
                    f"progress: {in_progress.id}"
                ),
            )
        if nodegroup.status != "ACTIVE":
            raise ResourceInUseException(
                clusterName=nodegroup.cluster_name,
                nodegroupName=nodegroup.nodegroup_name,
                addonName=None,
                message=(
                    f"Nodegroup {nodegroup.nodegroup_name} is in {nodegroup.status} "
                    "status and cannot be updated"
                ),
            )

    # -- node groups -------------------------------------------------------

    def create_nodegroup(  # type: ignore[override]
        self,
        cluster_name: str,
        node_role: str,
        nodegroup_name: str,
        subnets: list[str],
        launch_template: dict[str, str] | None = None,
        ami_type: str | None = None,
        version: str | None = None,
        release_version: str | None = None,
        **kwargs: Any,
    ) -> Nodegroup:
        """Create a node group the way EKS resolves it.

        The version defaults to the cluster's, the launch template version to
        the template's default, a template with an ImageId makes the node group
        ``CUSTOM`` (its release version is the AMI id), and the release
        defaults to the latest of the catalogue.
        """
        cluster = self.describe_cluster(cluster_name)
        version = version or cluster.version
        image_id = ""
        if launch_template:
            # With a launch template, the disk and remote access are the template's business.
            if kwargs.get("disk_size"):
                raise InvalidParameterException(message="Disk size must be specified within the launch template.")
            if kwargs.get("remote_access"):
                raise InvalidParameterException(
                    message="Remote access configuration cannot be specified with a launch template."
                )
            if "id" in launch_template and "name" in launch_template:
                raise InvalidParameterException(
                    message="Either launch template ID or launch template name can be specified, but not both."
                )
            template = self._launch_template(launch_template)
            lt_version = self._template_version(template, launch_template.get("version"))
            image_id = template.get_version(lt_version).image_id
            launch_template = {"name": template.name, "id": template.id, "version": lt_version}
        if image_id:
            if ami_type not in (None, "CUSTOM"):
                raise InvalidParameterException(
                    message=(
                        f"You cannot specify an AMI type other than CUSTOM when the launch "
                        f"template specifies an AMI ({image_id})."
                    )
                )
            if release_version:
                raise InvalidParameterException(
                    message="You cannot specify a release version when the launch template specifies an AMI."
                )
            ami_type, release_version = "CUSTOM", image_id
        else:
            if ami_type is None:
                ami_type = (
                    "AL2023_x86_64_STANDARD"
                    if catalogue.minor_key(version) >= (1, 30)
                    else "AL2_x86_64"
                )
            if ami_type == "CUSTOM":
                raise InvalidParameterException(
                    message="AMI type CUSTOM requires a launch template that specifies an AMI."
                )
            self._check_version_against_cluster(version, cluster.version)
            self._check_ami_type_supports(ami_type, version)
            if release_version is None:
                release_version = catalogue.latest_release(version, ami_type)
            elif catalogue.release_rank(version, ami_type, release_version) is None:
                raise InvalidParameterException(
                    message=self._unknown_release_msg(release_version, version, ami_type)
                )
        nodegroup = super().create_nodegroup(
            cluster_name=cluster_name,
            node_role=node_role,
            nodegroup_name=nodegroup_name,
            subnets=subnets,
            launch_template=launch_template,
            ami_type=ami_type,
            version=version,
            release_version=release_version,
            **kwargs,
        )
        if nodegroup.update_config is None:
            # EKS always describes a node group's update config; its default is one node at a time.
            nodegroup.update_config = {"maxUnavailable": 1}
        nodegroup.health = {"issues": []}
        if not kwargs.get("remote_access"):
            # No remote access asked for: EKS describes none, and creates no security group for it.
            nodegroup.remote_access = None
            nodegroup.resources = {"autoScalingGroups": nodegroup.resources["autoScalingGroups"]}
        if launch_template:
            # EKS leaves these out for a node group deployed with a launch template (they are the template's),
            # except the instance types given with a template that names none.
            nodegroup.disk_size = None
            nodegroup.instance_types = kwargs.get("instance_types") or None
        created = timestamp(self.now())
        nodegroup.created_at = nodegroup.modified_at = created
        return nodegroup

    def delete_nodegroup(self, cluster_name: str, nodegroup_name: str) -> Nodegroup:
        nodegroup = super().delete_nodegroup(cluster_name, nodegroup_name)
        self._states.pop(nodegroup.arn, None)
        return nodegroup

    @staticmethod
    def _check_version_against_cluster(version: str, cluster_version: str) -> None:
        if catalogue.minor_key(version) > catalogue.minor_key(cluster_version):
            raise InvalidParameterException(
                message=(
                    f"Requested Nodegroup version {version} is newer than the cluster "
                    f"version {cluster_version}"
                )
            )

    @staticmethod
    def _check_ami_type_supports(ami_type: str, version: str) -> None:
        if ami_type not in catalogue.AMI_TYPES:
            raise InvalidParameterException(message=f"Invalid AMI type: {ami_type}")
        if not catalogue.supports(version, ami_type):
            raise InvalidParameterException(
                message=f"AMI type {ami_type} is not supported for Kubernetes version {version}"
            )

    @staticmethod
    def _unknown_release_msg(release: str, version: str, ami_type: str) -> str:
        return (
            f"Requested release version {release} is not valid for kubernetes "
            f"version {version} and AMI type {ami_type}."
        )

    # -- updates -----------------------------------------------------------

    def update_nodegroup_version(
        self,
        cluster_name: str,
        nodegroup_name: str,
        version: str | None = None,
        release_version: str | None = None,
        launch_template: dict[str, str] | None = None,
        force: bool = False,
        client_request_token: str | None = None,
    ) -> NodegroupUpdate:
        cluster = self.describe_cluster(cluster_name)
        nodegroup = self.describe_nodegroup(cluster_name, nodegroup_name)
        existing = self.state(nodegroup).by_token(client_request_token)
        if existing is not None:
            return existing
        self._check_can_update(nodegroup)

        lt_version = self._resolve_update_template(nodegroup, launch_template)
        params: list[dict[str, str]] = []
        if nodegroup.ami_type == "CUSTOM":
            if version or release_version:
                raise InvalidRequestException(
                    message=(
                        "You cannot specify a Kubernetes version or release version for a "
                        "node group that uses a custom AMI; update its launch template instead."
                    )
                )
            target_version = nodegroup.version
            target_release = nodegroup.release_version
            if lt_version is not None:
                template = self._launch_template(nodegroup.launch_template)
                target_release = template.get_version(lt_version).image_id or target_release
        else:
            target_version, target_release = self._resolve_version_target(
                nodegroup, cluster.version, version, release_version
            )
            params = [
                {"type": "Version", "value": target_version},
                {"type": "ReleaseVersion", "value": target_release},
            ]
        if lt_version is not None:
            params += [
                {"type": "LaunchTemplateName", "value": nodegroup.launch_template["name"]},
                {"type": "LaunchTemplateVersion", "value": lt_version},
            ]
        return self._start_update(
            nodegroup,
            "VersionUpdate",
            params,
            force=bool(force),
            client_request_token=client_request_token,
            target=VersionTarget(target_version, target_release, lt_version),
        )

    def _resolve_update_template(
        self, nodegroup: Nodegroup, requested: dict[str, str] | None
    ) -> str | None:
        """The launch template version the update will roll out (None: no template)."""
        current = nodegroup.launch_template
        if not requested:
            return current["version"] if current else None
        if "id" in requested and "name" in requested:
            raise InvalidParameterException(
                message="Either launch template ID or launch template name can be specified, but not both."
            )
        if not current:
            raise InvalidRequestException(
                message=(
                    f"Nodegroup {nodegroup.nodegroup_name} was not created with a launch "
                    "template; a launch template cannot be specified for its update."
                )
            )
        if requested.get("id", current["id"]) != current["id"] or requested.get(
            "name", current["name"]
        ) != current["name"]:
            given = requested.get("id") or requested.get("name")
            raise InvalidParameterException(
                message=(
                    f"Launch template {given} does not match the launch template "
                    f"{current['id']} ({current['name']}) used by nodegroup "
                    f"{nodegroup.nodegroup_name}."
                )
            )
        template = self._launch_template(current)
        return self._template_version(template, requested.get("version"))

    def _resolve_version_target(
        self,
        nodegroup: Nodegroup,
        cluster_version: str,
        version: str | None,
        release_version: str | None,
    ) -> tuple[str, str]:
        ami_type = nodegroup.ami_type
        if version is None:
            # Without a version EKS moves to the cluster's version, unless the
            # requested release belongs to the node group's current one.
            version = cluster_version
            if release_version and catalogue.release_rank(
                nodegroup.version, ami_type, release_version
            ) is not None:
                version = nodegroup.version
        if catalogue.minor_key(version) < catalogue.minor_key(nodegroup.version):
            raise InvalidParameterException(
                message=(
                    f"Requested Nodegroup version {version} is older than the current "
                    f"Nodegroup version {nodegroup.version}. Downgrading is not supported."
                )
            )
        self._check_version_against_cluster(version, cluster_version)
        self._check_ami_type_supports(ami_type, version)
        if release_version is None:
            return version, catalogue.latest_release(version, ami_type) or ""
        rank = catalogue.release_rank(version, ami_type, release_version)
        if rank is None:
            raise InvalidParameterException(
                message=self._unknown_release_msg(release_version, version, ami_type)
            )
        if version == nodegroup.version:
            current = catalogue.release_rank(version, ami_type, nodegroup.release_version)
            if current is not None and rank < current:
                raise InvalidParameterException(
                    message=(
                        f"Requested release version {release_version} is older than the "
                        f"current release version {nodegroup.release_version} of nodegroup "
                        f"{nodegroup.nodegroup_name}."
                    )
                )
        return version, release_version

    def update_nodegroup_config(  # type: ignore[override]
        self, cluster_name: str, nodegroup_name: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Apply the configuration change, tracked as an in-progress ConfigUpdate."""
        nodegroup = self.describe_nodegroup(cluster_name, nodegroup_name)
        token = kwargs.get("client_request_token")
        existing = self.state(nodegroup).by_token(token)
        if existing is not None:
            return existing.to_dict()
        self._check_can_update(nodegroup)
        params = config_update_params(**kwargs)
        super().update_nodegroup_config(cluster_name, nodegroup_name, **kwargs)
        update = self._start_update(
            nodegroup, "ConfigUpdate", params, force=False, client_request_token=token
        )
        return update.to_dict()

    def describe_update(
        self, cluster_name: str, update_id: str, nodegroup_name: str | None = None
    ) -> NodegroupUpdate:
        self.describe_cluster(cluster_name)
        if nodegroup_name:
            nodegroup = self.describe_nodegroup(cluster_name, nodegroup_name)
            for update in self.state(nodegroup).updates:
                if update.id == update_id:
                    return update
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=nodegroup_name,
            fargateProfileName=None,
            addonName=None,
            message=f"No update found for ID: {update_id}.",
        )

    def list_updates(
        self,
        cluster_name: str,
        nodegroup_name: str | None = None,
        max_results: int = 100,
        next_token: str | None = None,
    ) -> tuple[list[str], str | None]:
        """Update ids, oldest first; without a node group, the cluster's own updates (none)."""
        self.describe_cluster(cluster_name)
        if not 1 <= max_results <= 100:
            raise InvalidParameterException(
                message="maxResults must be between 1 and 100."
            )
        ids: list[str] = []
        if nodegroup_name:
            nodegroup = self.describe_nodegroup(cluster_name, nodegroup_name)
            ids = [u.id for u in self.state(nodegroup).updates]
        start = _decode_token(next_token) if next_token else 0
        end = start + max_results
        return ids[start:end], _encode_token(end) if end < len(ids) else None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def config_update_params(
    labels: dict[str, Any] | None = None,
    taints: dict[str, Any] | None = None,
    scaling_config: dict[str, Any] | None = None,
    update_config: dict[str, Any] | None = None,
    node_repair_config: dict[str, Any] | None = None,
    **_: Any,
) -> list[dict[str, str]]:
    """An UpdateNodegroupConfig's ``params`` as EKS gives them: UpdateParamType types, string values (JSON for maps and lists)."""
    params: list[dict[str, str]] = []

    def add(kind: str, value: Any) -> None:
        assert kind in eks_enum("UpdateParamType"), kind
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = value if isinstance(value, str) else _json(value) if isinstance(value, (dict, list)) else str(value)
        params.append({"type": kind, "value": text})

    labels, taints = labels or {}, taints or {}
    if labels.get("addOrUpdateLabels"):
        add("LabelsToAdd", labels["addOrUpdateLabels"])
    if labels.get("removeLabels"):
        add("LabelsToRemove", labels["removeLabels"])
    if taints.get("addOrUpdateTaints"):
        add("TaintsToAdd", taints["addOrUpdateTaints"])
    if taints.get("removeTaints"):
        add("TaintsToRemove", taints["removeTaints"])
    for key, kind in (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")):
        if (scaling_config or {}).get(key) is not None:
            add(kind, scaling_config[key])  # type: ignore[index]
    for key, kind in (
        ("maxUnavailable", "MaxUnavailable"),
        ("maxUnavailablePercentage", "MaxUnavailablePercentage"),
        ("updateStrategy", "UpdateStrategy"),
    ):
        if (update_config or {}).get(key) is not None:
            add(kind, update_config[key])  # type: ignore[index]
    if node_repair_config:
        if set(node_repair_config) == {"enabled"}:
            add("NodeRepairEnabled", node_repair_config["enabled"])
        else:
            add("NodeRepairConfig", node_repair_config)
    return params


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise InvalidParameterException(message="The nextToken provided is invalid.")


localeks_backends = BackendDict(LocalEKSBackend, "eks")
