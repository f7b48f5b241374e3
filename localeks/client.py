"""Client for the ``/_localeks/`` control API (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ControlError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Control:
    """Drive a running endpoint: ``Control("http://127.0.0.1:4566")``."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | str | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        url = f"{self.url}/_localeks/{path}"
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None
        if body is not None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            payload = error.read().decode("utf-8", "replace")
            try:
                message = json.loads(payload).get("error", payload)
            except ValueError:
                message = payload
            raise ControlError(error.code, message) from None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def requests(
        self, service: str | None = None, operation: str | None = None
    ) -> list[dict[str, Any]]:
        """Logged AWS calls, oldest first, optionally filtered."""
        return self._call("GET", "requests", query={"service": service, "operation": operation})[
            "requests"
        ]

    def count(self, operation: str, service: str = "eks") -> int:
        return len(self.requests(service=service, operation=operation))

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def reset(self) -> None:
        """Empty everything: AWS state, request log, fault rules."""
        self._call("POST", "reset")

    def load_fleet(
        self, fleet: str | Path | Mapping[str, Any], reset: bool = True
    ) -> dict[str, Any]:
        """Seed a fleet from a file path, YAML text or a dict (after a reset by default)."""
        if isinstance(fleet, Mapping):
            document = json.dumps(dict(fleet))
        elif isinstance(fleet, Path) or ("\n" not in str(fleet) and Path(str(fleet)).is_file()):
            document = Path(fleet).read_text()
        else:
            document = str(fleet)
        if reset:
            self.reset()
        return self._call("POST", "fleet", document)

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule: kind, service, operation, count, after, rate, seed, status..."""
        return self._call("POST", "faults", rule)["fault"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def behaviour(
        self, cluster: str, nodegroup: str, region: str | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Set update_duration, fail_next_update and/or cancel_next_update of a node group."""
        return self._call(
            "POST", f"nodegroups/{cluster}/{nodegroup}/behaviour", changes, {"region": region}
        )

    def finish_update(
        self,
        cluster: str,
        update_id: str,
        status: str = "Successful",
        errors: list[dict[str, Any]] | None = None,
        region: str | None = None,
    ) -> dict[str, Any]:
        """Complete an in-progress update now with the given status."""
        body: dict[str, Any] = {"status": status}
        if errors is not None:
            body["errors"] = errors
        return self._call("POST", f"updates/{cluster}/{update_id}/finish", body, {"region": region})[
            "update"
        ]
