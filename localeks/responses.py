"""EKS response handler adding node group version updates to moto's."""

from __future__ import annotations

from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.eks.responses import DEFAULT_MAX_RESULTS, EKSResponse

from .models import LocalEKSBackend, localeks_backends


class LocalEKSResponse(EKSResponse):
    @property
    def eks_backend(self) -> LocalEKSBackend:  # type: ignore[override]
        return localeks_backends[self.current_account][self.region]

    def call_action(self) -> TYPE_RESPONSE:
        backend = self.eks_backend
        with backend.lock:
            backend.advance()
            return super().call_action()

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
