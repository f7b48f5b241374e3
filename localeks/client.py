"""Client for the ``/_localeks/`` control API (standard library only)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
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

    def last_seq(self) -> int:
        """The ``seq`` of the last logged call (0 if the log is empty): a mark for ``wait_for_request``."""
        entries = self.requests()
        return entries[-1]["seq"] if entries else 0

    def wait_for_request(
        self,
        operation: str,
        service: str = "eks",
        cluster: str | None = None,
        nodegroup: str | None = None,
        after_seq: int = 0,
        timeout: float = 60.0,
        give_up: Callable[[], bool] | None = None,
    ) -> dict[str, Any] | None:
        """The first logged call of ``operation`` after ``after_seq``, waiting up to ``timeout`` seconds for it.

        ``cluster`` and ``nodegroup`` narrow it to the EKS calls about them. Returns None as soon as
        ``give_up()`` is true (e.g. the process expected to call has ended); raises TimeoutError.
        """
        deadline = time.monotonic() + timeout
        while True:
            stop = give_up is not None and give_up()
            for entry in self.requests(service=service, operation=operation):
                if (
                    entry["seq"] > after_seq
                    and cluster in (None, entry["cluster"])
                    and nodegroup in (None, entry["nodegroup"])
                ):
                    return entry
            if stop:
                return None
            if time.monotonic() >= deadline:
                about = "/".join(name for name in (cluster, nodegroup) if name)
                raise TimeoutError(
                    f"no {service} {operation}{' about ' + about if about else ''} "
                    f"after request {after_seq} within {timeout:g}s"
                )
            time.sleep(0.05)

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def reset(self) -> None:
        """Empty everything: AWS state, request log, fault rules, rate limit."""
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
        """Add a fault rule and return it (with its ``id``).

        Fields: kind (throttle, server_error, lose_response, hang, access_denied), service,
        operation, count, after, rate, seed; status, error_code, message for the kinds
        that answer with an error; seconds for hang.
        """
        return self._call("POST", "faults", rule)["fault"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")["faults"]

    def remove_fault(self, fault_id: int) -> dict[str, Any]:
        """Remove one rule; the requests it holds hung are dropped at once."""
        return self._call("DELETE", f"faults/{int(fault_id)}")["fault"]

    def clear_faults(self) -> None:
        """Remove every rule; the requests hung by any are dropped at once."""
        self._call("DELETE", "faults")

    def set_rate_limit(self, rate: float, burst: float | None = None) -> dict[str, Any]:
        """Limit each AWS account and region to ``rate`` EKS requests per second, in bursts of ``burst``.

        ``burst`` (the bucket size) defaults to ``max(1, rate)``. A request over the limit is answered
        with EKS's ThrottlingException and not served. Returns the limit as ``rate_limit()`` does.
        """
        body: dict[str, Any] = {"rate": rate}
        if burst is not None:
            body["burst"] = burst
        return self._call("PUT", "rate_limit", body)

    def clear_rate_limit(self) -> dict[str, Any]:
        """Remove the rate limit; the counts stay until the limit is set again or the endpoint reset."""
        return self._call("DELETE", "rate_limit")

    def rate_limit(self) -> dict[str, Any]:
        """``{"rate", "burst", "allowed", "throttled"}``: the limit (None when there is none) and the
        requests let through and throttled since it was last set or the endpoint reset."""
        return self._call("GET", "rate_limit")

    def hold_updates(self, hold: bool = True) -> bool:
        """Hold every update started from now on (any node group, any region), or stop holding.

        A held update stays InProgress until ``finish_update`` ends it; stopping the hold
        releases none. ``reset`` stops it.
        """
        return bool(self._call("POST", "hold", {"hold_updates": hold})["hold_updates"])

    def behaviour(
        self, cluster: str, nodegroup: str, region: str | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Set behaviours of a node group and return them all.

        ``update_duration``, ``fail_next_update``, ``cancel_next_update``, ``hold_updates``,
        ``pod_disruption_budget``, ``nodes_fail_to_join`` (see localeks/README.md). Without changes,
        only returns them.
        """
        if not changes:
            return self._call("GET", f"nodegroups/{cluster}/{nodegroup}/behaviour", query={"region": region})
        return self._call(
            "POST", f"nodegroups/{cluster}/{nodegroup}/behaviour", changes, {"region": region}
        )

    def set_health(
        self, cluster: str, nodegroup: str, issues: list[dict[str, Any]], region: str | None = None
    ) -> dict[str, Any]:
        """Give a node group health issues (``[{code, message, resource_ids}]``): DEGRADED; ``[]``: ACTIVE again.

        Returns ``{"status", "health"}`` as DescribeNodegroup then shows them.
        """
        return self._call("POST", f"nodegroups/{cluster}/{nodegroup}/health", {"issues": issues}, {"region": region})

    def nodegroup_health(self, cluster: str, nodegroup: str, region: str | None = None) -> dict[str, Any]:
        """``{"status", "health"}`` of a node group."""
        return self._call("GET", f"nodegroups/{cluster}/{nodegroup}/health", query={"region": region})

    def updates(
        self,
        cluster: str | None = None,
        nodegroup: str | None = None,
        status: str | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every update of the region (of a cluster, of a node group; with a status).

        Each has EKS's fields and ``cluster``, ``nodegroup``, ``held``, ``started`` and ``ended``
        (Unix times; ``ended`` is None while InProgress) and ``duration`` (real seconds, after the
        time factor).
        """
        query = {"cluster": cluster, "nodegroup": nodegroup, "status": status, "region": region}
        return self._call("GET", "updates", query=query)["updates"]

    def update_in_progress(
        self, cluster: str, nodegroup: str, region: str | None = None
    ) -> dict[str, Any] | None:
        """The node group's update in progress (as ``updates`` shows it), or None."""
        found = self.updates(cluster, nodegroup, status="InProgress", region=region)
        return found[0] if found else None

    def finish_update(
        self,
        cluster: str,
        update_id: str,
        status: str | None = "Successful",
        errors: list[dict[str, Any]] | None = None,
        region: str | None = None,
    ) -> dict[str, Any]:
        """End an in-progress update now (held or not) with ``status``; it ends at the endpoint's time now.

        ``status=None`` ends it as planned when it started (``fail_next_update``, ``cancel_next_update``,
        ``pod_disruption_budget``, ``nodes_fail_to_join``). ``errors`` are EKS's ``{errorCode, errorMessage,
        resourceIds}``, with an ``errorCode`` of EKS's ``ErrorCode`` enum.
        """
        body: dict[str, Any] = {"status": status}
        if errors is not None:
            body["errors"] = errors
        return self._call("POST", f"updates/{cluster}/{update_id}/finish", body, {"region": region})[
            "update"
        ]
