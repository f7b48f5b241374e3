"""WSGI application: moto's server wrapped with the request log, fault injection
and the ``/_localeks/`` control API."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import moto.eks
import moto.eks.utils
from moto.core.request import Request
from moto.core.routing import ServiceOperationRouter, get_service_router
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.exceptions import NotFound

from .control import ControlAPI
from .faults import LOST_RESPONSE, FaultInjector, Response
from .fleet import DEFAULT_REGION, load_fleet, publish_ssm_catalogue
from .models import localeks_backends
from .requestlog import RequestLog

CONTROL_PREFIX = "/_localeks/"

StartResponse = Callable[..., Any]


def install() -> None:
    """Make moto's server resolve the ``eks`` service to the local EKS backend.

    ``moto.backends.get_backend("eks")`` reads ``moto.eks.eks_backends``; the
    backend's ``urls`` (``localeks/urls.py``) then route to ``LocalEKSResponse``.
    """
    moto.eks.eks_backends = localeks_backends  # type: ignore[attr-defined]
    # moto checks every role ARN against a new boto3 Session's partitions
    # (~0.1 s each); one shared session gives the same answer.
    moto.eks.utils.Session = cache(boto3.Session)  # type: ignore[attr-defined]
    # EC2's catalogue of public AMIs takes ~0.5 s per region and is not used here.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@cache
def _router(service: str) -> ServiceOperationRouter:
    return get_service_router(service)


@dataclass
class AwsCall:
    service: str
    region: str
    operation: str
    cluster: str | None = None
    nodegroup: str | None = None


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def classify(environ: dict[str, Any], body: bytes) -> AwsCall:
    """Service, region, operation and EKS resource names of one AWS request."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service, region = (scope.group(2), scope.group(1)) if scope else ("unknown", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return AwsCall(service, region, target.rsplit(".", 1)[-1])
    if service == "eks":
        return _classify_eks(environ, body, region)
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    form.update(parse_qs(environ.get("QUERY_STRING", "")))
    action = form.get("Action", ["unknown"])[0]
    return AwsCall(service, region, action)


def _classify_eks(environ: dict[str, Any], body: bytes, region: str) -> AwsCall:
    try:
        operation, uri = _router("eks").match(Request(dict(environ)))
    except NotFound:
        return AwsCall("eks", region, "unknown")
    nodegroup = uri.get("nodegroupName") or parse_qs(environ.get("QUERY_STRING", "")).get(
        "nodegroupName", [None]
    )[0]
    if nodegroup is None and body:
        try:
            payload = json.loads(body)
            nodegroup = payload.get("nodegroupName") if isinstance(payload, dict) else None
        except ValueError:
            pass
    return AwsCall("eks", region, operation.name, uri.get("name"), nodegroup)


def _error_code(headers: list[tuple[str, str]], body: bytes) -> str | None:
    for name, value in headers:
        if name.lower() == "x-amzn-errortype":
            return value.split(":", 1)[0]
    text = body.decode("utf-8", "replace")
    match = re.search(r"<Code>([^<]+)</Code>", text)
    if match:
        return match.group(1)
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    code = payload.get("__type") if isinstance(payload, dict) else None
    return str(code).rsplit("#", 1)[-1] if code else None


class LocalEKSApp:
    """The endpoint: every AWS request is logged, possibly faulted, then served by moto."""

    def __init__(self) -> None:
        install()
        self.log = RequestLog()
        self.faults = FaultInjector()
        self.region = DEFAULT_REGION
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.control = ControlAPI(self)
        publish_ssm_catalogue(self.region)

    def reset(self) -> None:
        """Empty moto's state, the request log and the fault rules.

        AWS's public SSM parameters are published again: they are not state.
        """
        moto_api_backend.reset()
        self.log.clear()
        self.faults.clear()
        self.region = DEFAULT_REGION
        publish_ssm_catalogue(self.region)

    def load_fleet(self, source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
        summary = load_fleet(source)
        self.region = summary["region"]
        return summary

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)
        body = _read_body(environ)
        call = classify(environ, body)
        fault = self.faults.pick(call.service, call.operation)
        processed_status = None
        if fault is not None and fault.kind != "lose_response":
            status, headers, payload = fault.error_response(call.service)
        else:
            status, headers, payload = self._serve(environ)
            if fault is not None:
                processed_status = status
                status, headers, payload = LOST_RESPONSE
        self.log.record(
            service=call.service,
            region=call.region,
            operation=call.operation,
            method=environ.get("REQUEST_METHOD", ""),
            path=environ.get("PATH_INFO", ""),
            status=status,
            error_code=_error_code(headers, payload) if status >= 400 and payload else None,
            fault=fault.kind if fault else None,
            processed_status=processed_status,
            cluster=call.cluster,
            nodegroup=call.nodegroup,
        )
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {_reason(status)}", headers)
        return [payload]

    def _serve(self, environ: dict[str, Any]) -> Response:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        result = self.moto(environ, capture)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return int(captured["status"].split()[0]), list(captured["headers"]), payload


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
