"""EKS response handler adding node group version updates to moto's, and EKS's errors on the wire.

Before an operation reaches the backend, its input is checked against EKS's service
model and the cluster, node group or add-on it names must exist; every error answer
then leaves as EKS sends it (see ``eks_errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.eks.responses import DEFAULT_MAX_RESULTS, EKSResponse

from .eks_errors import (
    EKSRequestError,
    check_input,
    normalise_error,
    operation_model,
    request_names,
    request_params,
)
from .models import LocalEKSBackend, localeks_backends

LOG = logging.getLogger(__name__)

# List operations paginated by moto: their nextToken is the name of the next item.
_NAMED_PAGES = frozenset({"ListClusters", "ListNodegroups", "ListFargateProfiles", "ListAddons"})


class LocalEKSResponse(EKSResponse):
    @property
    def eks_backend(self) -> LocalEKSBackend:  # type: ignore[override]
        return localeks_backends[self.current_account][self.region]

    def call_action(self) -> TYPE_RESPONSE:
        operation = operation_model(self._get_action() or "")
        names: dict[str, str] = {}
        backend = self.eks_backend
        with backend.lock:
            backend.advance()
            try:
                if operation is not None:
                    params = request_params(operation, self.uri_match, self.parsed_url.query, self.body)
                    names = request_names(params)
                    check_input(operation, params)
                    self._check_exists(operation, params)
                status, headers, body = super().call_action()
            except EKSRequestError as error:
                return error.response(operation, names)
            except Exception as error:  # a crash inside the backend: EKS's 500, not an HTML page
                LOG.exception("EKS %s failed", operation.name if operation else "request")
                return EKSRequestError("ServerException", f"Internal error: {type(error).__name__}").response(operation, names)
        if status >= 400:
            return normalise_error(status, headers, body, operation, names)
        return status, headers, body

    def _check_exists(self, operation: OperationModel, params: Mapping[str, Any]) -> None:
        """Refuse a request naming a cluster, node group or add-on that does not exist, as EKS does."""
        locations = {
            name: member.serialization.get("location")
            for name, member in operation.input_shape.members.items()  # type: ignore[union-attr]
        }
        backend = self.eks_backend
        cluster_name = next(
            (params[n] for n in ("name", "clusterName") if n in params and locations.get(n) == "uri"), None
        )
        cluster = None
        if cluster_name is not None:
            cluster = backend.clusters.get(cluster_name)
            if cluster is None:
                raise EKSRequestError("ResourceNotFoundException", f"No cluster found for name: {cluster_name}.")
        nodegroup_name = params.get("nodegroupName")
        if cluster is not None and nodegroup_name and locations.get("nodegroupName") in ("uri", "querystring"):
            if nodegroup_name not in cluster.nodegroups:
                raise EKSRequestError("ResourceNotFoundException", f"No node group found for name: {nodegroup_name}.")
        addon_name = params.get("addonName")
        if cluster is not None and addon_name and locations.get("addonName") in ("uri", "querystring"):
            # No cluster has EKS add-ons here.
            raise EKSRequestError(
                "ResourceNotFoundException", f"No addon: {addon_name} found in cluster: {cluster_name}"
            )
        capability_name = params.get("capabilityName")
        if cluster is not None and capability_name:
            raise EKSRequestError("ResourceNotFoundException", f"No capability found for name: {capability_name}.")
        token = params.get("nextToken")
        if operation.name in _NAMED_PAGES and token is not None:
            if operation.name == "ListClusters":
                items: Any = backend.clusters
            elif operation.name == "ListNodegroups":
                items = cluster.nodegroups  # type: ignore[union-attr]
            elif operation.name == "ListFargateProfiles":
                items = cluster.fargate_profiles  # type: ignore[union-attr]
            else:
                items = {}
            if token not in items:
                raise EKSRequestError("InvalidParameterException", "The nextToken provided is invalid.")

    def list_addons(self) -> ActionResult:
        """Add-ons are not modelled: every cluster has none."""
        return ActionResult({"addons": []})

    def describe_addon(self) -> ActionResult:
        """Add-ons are not modelled: none exists (``_check_exists`` answers first)."""
        raise EKSRequestError(
            "ResourceNotFoundException",
            f"No addon: {self._get_param('addonName')} found in cluster: {self._get_param('name')}",
        )

    def update_nodegroup_version(self) -> ActionResult:
        update = self.eks_backend.update_nodegroup_version(
            cluster_name=self._get_param("name"),
            nodegroup_name=self._get_param("nodegroupName"),
            version=self._get_param("version"),
            release_version=self._get_param("releaseVersion"),
            launch_template=self._get_param("launchTemplate"),
            force=bool(self._get_param("force", False)),
            client_request_token=self._get_param("clientRequestToken"),
        )
        return ActionResult({"update": update.to_dict()})

    def describe_update(self) -> ActionResult:
        update = self.eks_backend.describe_update(
            cluster_name=self._get_param("name"),
            update_id=self._get_param("updateId"),
            nodegroup_name=self._get_param("nodegroupName"),
        )
        return ActionResult({"update": update.to_dict()})

    def list_updates(self) -> ActionResult:
        update_ids, next_token = self.eks_backend.list_updates(
            cluster_name=self._get_param("name"),
            nodegroup_name=self._get_param("nodegroupName"),
            max_results=self._get_int_param("maxResults", DEFAULT_MAX_RESULTS),
            next_token=self._get_param("nextToken"),
        )
        return ActionResult({"updateIds": update_ids, "nextToken": next_token})
