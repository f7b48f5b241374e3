"""The ``/_localeks/`` control API: request log, faults, rate limit, fleet, holds and update outcomes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import yaml
from moto.core import DEFAULT_ACCOUNT_ID
from moto.eks.exceptions import EKSError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .eks.models import BEHAVIOURS, FINAL_STATUSES, IN_PROGRESS, LocalEKSBackend, localeks_backends
from .faults import FaultInjector
from .fleet import FleetError
from .ratelimit import RateLimiter
from .requestlog import RequestLog


class Endpoint(Protocol):
    """What the control API drives: the endpoint's region, request log, fault rules and rate limit,
    its reset and its fleet loading (``middleware.LocalEKSApp`` is one)."""

    region: str
    log: RequestLog
    faults: FaultInjector
    rate_limit: RateLimiter

    def reset(self) -> None: ...

    def load_fleet(self, source: Mapping[str, Any]) -> dict[str, Any]: ...


_URLS = Map(
    [
        Rule("/_localeks/health", endpoint="health", methods=["GET"]),
        Rule("/_localeks/requests", endpoint="requests", methods=["GET"]),
        Rule("/_localeks/requests", endpoint="clear_requests", methods=["DELETE"]),
        Rule("/_localeks/faults", endpoint="faults", methods=["GET"]),
        Rule("/_localeks/faults", endpoint="add_fault", methods=["POST"]),
        Rule("/_localeks/faults", endpoint="clear_faults", methods=["DELETE"]),
        Rule("/_localeks/faults/<int:fault_id>", endpoint="remove_fault", methods=["DELETE"]),
        Rule("/_localeks/rate_limit", endpoint="rate_limit", methods=["GET", "PUT", "DELETE"]),
        Rule("/_localeks/reset", endpoint="reset", methods=["POST"]),
        Rule("/_localeks/fleet", endpoint="fleet", methods=["POST"]),
        Rule("/_localeks/hold", endpoint="hold", methods=["GET", "POST"]),
        Rule("/_localeks/updates", endpoint="updates", methods=["GET"]),
        Rule(
            "/_localeks/nodegroups/<cluster>/<nodegroup>/behaviour",
            endpoint="behaviour",
            methods=["GET", "POST"],
        ),
        Rule(
            "/_localeks/nodegroups/<cluster>/<nodegroup>/health",
            endpoint="health_issues",
            methods=["GET", "POST"],
        ),
        Rule(
            "/_localeks/updates/<cluster>/<update_id>/finish",
            endpoint="finish_update",
            methods=["POST"],
        ),
    ]
)


def _json_body(request: Request, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON object of the body ({} if empty); with ``allowed``, any other field is refused."""
    data = request.get_data(as_text=True)
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except ValueError as error:
        raise ValueError(f"the request body must be a JSON object, and is not JSON ({type(error).__name__}: {error})") from None
    if not isinstance(body, dict):
        raise ValueError(f"the request body must be a JSON object, not {body!r}")
    if allowed is not None:
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            known = ", ".join(allowed) if allowed else "none: this endpoint takes no body"
            raise ValueError(f"unknown field(s): {', '.join(unknown)}; known: {known}")
    return body


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each at most once; any other is refused."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        known = ", ".join(allowed) if allowed else "none"
        raise ValueError(f"unknown query parameter(s): {', '.join(unknown)}; known: {known}")
    repeated = sorted(key for key in request.args if len(request.args.getlist(key)) > 1)
    if repeated:
        raise ValueError(f"query parameter {repeated[0]} is given more than once")
    return {key: request.args[key] for key in request.args}


class ControlAPI:
    def __init__(self, app: Endpoint) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = _URLS.bind_to_environ(environ).match()
            status, payload = 200, getattr(self, endpoint)(request, **args)
        except HTTPException as exc:
            status, payload = exc.code or 500, {"error": exc.description}
        except EKSError as exc:
            status, payload = exc.STATUS, {"error": json.loads(exc.description)["message"]}
        except (ValueError, TypeError, KeyError, yaml.YAMLError) as exc:
            status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
        response = Response(json.dumps(payload, default=str), status, mimetype="application/json")
        return response(environ, start_response)

    def _eks(self, request: Request) -> LocalEKSBackend:
        region = request.args.get("region", self.app.region)
        return localeks_backends[DEFAULT_ACCOUNT_ID][region]

    # -- endpoints ---------------------------------------------------------

    def health(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        return {"status": "ok", "region": self.app.region, "requests": len(self.app.log.entries())}

    def requests(self, request: Request) -> dict[str, Any]:
        query = _query(request, ("service", "operation"))
        entries = self.app.log.entries(service=query.get("service"), operation=query.get("operation"))
        return {"requests": [e.to_dict() for e in entries]}

    def clear_requests(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        _json_body(request, ())
        self.app.log.clear()
        return {}

    def faults(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        return {"faults": [rule.to_dict() for rule in self.app.faults.rules()]}

    def add_fault(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        return {"fault": self.app.faults.add(**_json_body(request)).to_dict()}

    def clear_faults(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        _json_body(request, ())
        self.app.faults.clear()
        return {}

    def remove_fault(self, request: Request, fault_id: int) -> dict[str, Any]:
        _query(request, ())
        _json_body(request, ())
        rule = self.app.faults.remove(fault_id)
        if rule is None:
            raise NotFound(f"no fault rule {fault_id}")
        return {"fault": rule.to_dict()}

    def rate_limit(self, request: Request) -> dict[str, Any]:
        """PUT ``{"rate": r, "burst": b}`` sets the limit, DELETE removes it; each answers with its status."""
        _query(request, ())
        if request.method == "PUT":
            body = _json_body(request, ("rate", "burst"))
            if "rate" not in body:
                raise ValueError(
                    'a rate limit needs a rate, in requests per second: {"rate": 10} or '
                    '{"rate": 10, "burst": 20}; DELETE removes the limit'
                )
            self.app.rate_limit.set(body["rate"], body.get("burst"))
        elif request.method == "DELETE":
            _json_body(request, ())
            self.app.rate_limit.clear()
        return self.app.rate_limit.status()

    def hold(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        if request.method == "POST":
            hold = _json_body(request, ("hold_updates",)).get("hold_updates", True)
            if not isinstance(hold, bool):
                raise ValueError(f"hold_updates must be true or false, not {hold!r}")
            LocalEKSBackend.hold_all_updates = hold
        return {"hold_updates": LocalEKSBackend.hold_all_updates}

    def updates(self, request: Request) -> dict[str, Any]:
        query = _query(request, ("cluster", "nodegroup", "status", "region"))
        status = query.get("status")
        if status is not None and status not in (IN_PROGRESS, *FINAL_STATUSES):
            raise ValueError(
                f"status must be one of {', '.join((IN_PROGRESS, *FINAL_STATUSES))}, not {status!r}"
            )
        eks = self._eks(request)
        with eks.lock:
            eks.advance()
            found = eks.updates(query.get("cluster"), query.get("nodegroup"), status)
            return {"updates": [update.control_dict(c, n) for c, n, update in found]}

    def reset(self, request: Request) -> dict[str, Any]:
        _query(request, ())
        _json_body(request, ())
        self.app.reset()
        return {}

    def fleet(self, request: Request) -> dict[str, Any]:
        # The body is a fleet document (YAML or JSON), never a path on this machine.
        _query(request, ())
        document = yaml.safe_load(request.get_data(as_text=True))
        if not isinstance(document, dict):
            raise FleetError(f"the body must be a fleet document (a YAML or JSON mapping), not {document!r}")
        return self.app.load_fleet(document)

    def behaviour(self, request: Request, cluster: str, nodegroup: str) -> dict[str, Any]:
        _query(request, ("region",))
        body = _json_body(request, BEHAVIOURS)
        eks = self._eks(request)
        with eks.lock:
            eks.advance()
            if request.method == "GET":
                if body:
                    raise ValueError("GET takes no body: POST the behaviours to change")
                return eks.state(eks.describe_nodegroup(cluster, nodegroup)).behaviour.to_dict()
            return eks.set_behaviour(cluster, nodegroup, **body).to_dict()

    def health_issues(self, request: Request, cluster: str, nodegroup: str) -> dict[str, Any]:
        """POST ``{"issues": [{code, message, resource_ids}]}``: the node group is DEGRADED with them, or ACTIVE if none."""
        _query(request, ("region",))
        body = _json_body(request, ("issues",))
        eks = self._eks(request)
        with eks.lock:
            eks.advance()
            if request.method == "POST":
                if "issues" not in body:
                    raise ValueError('issues is required: {"issues": [{"code": ..., "message": ..., "resource_ids": [...]}]}, [] for none')
                eks.set_health(cluster, nodegroup, body["issues"])
            elif body:
                raise ValueError("GET takes no body: POST the issues to set")
            found = eks.describe_nodegroup(cluster, nodegroup)
            return {"status": found.status, "health": found.health}

    def finish_update(self, request: Request, cluster: str, update_id: str) -> dict[str, Any]:
        _query(request, ("region",))
        body = _json_body(request, ("status", "errors"))
        eks = self._eks(request)
        with eks.lock:
            eks.advance()
            eks.finish_update(cluster, update_id, body.get("status", "Successful"), body.get("errors"))
            nodegroup, update = eks.find_update(cluster, update_id)
            return {"update": update.control_dict(cluster, nodegroup.nodegroup_name)}
