"""WSGI application: moto's server wrapped with the request log, fault injection
and the ``/_localeks/`` control API."""

from __future__ import annotations

import io
import json
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs

import boto3
import moto.eks
import moto.eks.utils
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.core.responses import BaseResponse
from moto.core.routing import ServiceOperationRouter, get_service_router
from moto.iam.models import get_account_id_from
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.exceptions import NotFound

from .control import ControlAPI
from .eks import operations
from .eks.models import LocalEKSBackend, localeks_backends
from .faults import LOST_RESPONSE, FaultInjector, FaultRule, Response
from .fleet import DEFAULT_REGION, load_fleet, publish_ssm_catalogue
from .ratelimit import RateLimiter, throttled_response
from .requestlog import RequestLog

CONTROL_PREFIX = "/_localeks/"

StartResponse = Callable[..., Any]


def install() -> None:
    """Make moto's server resolve the ``eks`` service to the local EKS backend.

    ``moto.backends.get_backend("eks")`` reads ``moto.eks.eks_backends``; moto then
    finds the backend's ``urls`` module next to the module of its class
    (``localeks.eks.models`` -> ``localeks.eks.urls``), whose paths route to
    ``LocalEKSResponse``.
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


def account_id(environ: dict[str, Any]) -> str:
    """The AWS account a request acts in, as moto tells it.

    ``MOTO_ACCOUNT_ID``, else the ``x-moto-account-id`` header, else the account of the
    request's access key (one made by STS ``AssumeRole`` or IAM ``CreateAccessKey`` in that
    account), else moto's default account 123456789012.
    """
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    match = BaseResponse.access_key_regex.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        access_key = match.group("access_key")
    else:
        access_key = parse_qs(environ.get("QUERY_STRING", "")).get("AWSAccessKeyId", ["AKIAEXAMPLE"])[0]
    return get_account_id_from(access_key)


def resource_arn(call: AwsCall, body: bytes) -> str:
    """The resource IAM would name for this call, as far as the request tells it."""
    if call.service == "eks" and call.cluster:
        prefix = f"arn:aws:eks:{call.region}:{DEFAULT_ACCOUNT_ID}"
        if call.nodegroup:
            return f"{prefix}:nodegroup/{call.cluster}/{call.nodegroup}/*"
        return f"{prefix}:cluster/{call.cluster}"
    if call.service == "ssm" and body:
        try:
            payload = json.loads(body)
        except ValueError:
            return "*"
        name = payload.get("Name") if isinstance(payload, dict) else None
        if isinstance(name, str) and name:
            if name.startswith("/aws/service/"):
                return f"arn:aws:ssm:{call.region}::parameter{name}"
            return f"arn:aws:ssm:{call.region}:{DEFAULT_ACCOUNT_ID}:parameter/{name.lstrip('/')}"
    return "*"


class ConnectionHungUp(ConnectionAbortedError):
    """Raised to the WSGI server to drop a connection without answering it."""


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
    """The endpoint: every AWS request is logged, possibly throttled or faulted, then served by moto."""

    def __init__(self) -> None:
        install()
        self.log = RequestLog()
        self.faults = FaultInjector()
        self.rate_limit = RateLimiter()
        self.region = DEFAULT_REGION
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.control = ControlAPI(self)
        publish_ssm_catalogue(self.region)

    def reset(self) -> None:
        """Empty moto's state, the request log, the fault rules, the rate limit and the hold on updates.

        AWS's public SSM parameters are published again: they are not state.
        """
        self.faults.clear()
        self.rate_limit.reset()
        moto_api_backend.reset()
        self.log.clear()
        LocalEKSBackend.hold_all_updates = False
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
        if self._throttles(call, environ):
            return self._throttled(call, environ, start_response)
        fault = self.faults.pick(call.service, call.operation)
        if fault is not None and fault.kind == "hang":
            self._hang(fault, environ, call)
        processed_status = None
        if fault is not None and fault.kind != "lose_response":
            status, headers, payload = fault.error_response(
                call.service, call.operation, resource_arn(call, body)
            )
        else:
            status, headers, payload = self._serve(environ, call)
            if fault is not None:
                processed_status = status
                status, headers, payload = LOST_RESPONSE
        self._record(
            call,
            environ,
            status=status,
            error_code=_error_code(headers, payload) if status >= 400 and payload else None,
            fault=fault.kind if fault else None,
            processed_status=processed_status,
        )
        return _respond(start_response, status, headers, payload)

    def _throttles(self, call: AwsCall, environ: dict[str, Any]) -> bool:
        """True if the rate limit throttles this request; a request it lets through takes a token."""
        if not self.rate_limit.limits(call.service):
            return False
        return not self.rate_limit.admit(account_id(environ), call.region)

    def _throttled(
        self, call: AwsCall, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer a request over the rate limit as the service does, without serving it."""
        status, headers, payload = throttled_response(call.service, call.operation)
        self._record(
            call,
            environ,
            status=status,
            error_code=_error_code(headers, payload),
            fault=None,
            processed_status=None,
            throttled=True,
        )
        return _respond(start_response, status, headers, payload)

    def _record(self, call: AwsCall, environ: dict[str, Any], **outcome: Any) -> None:
        """Log one AWS request: what it asked for, and ``outcome`` (status, error code, fault...)."""
        self.log.record(
            service=call.service,
            region=call.region,
            operation=call.operation,
            method=environ.get("REQUEST_METHOD", ""),
            path=environ.get("PATH_INFO", ""),
            cluster=call.cluster,
            nodegroup=call.nodegroup,
            **outcome,
        )

    def _hang(self, fault: FaultRule, environ: dict[str, Any], call: AwsCall) -> NoReturn:
        """Leave the request unanswered until ``fault`` lets go, then drop the connection.

        The log entry is written when the request arrives, with status 0: nothing is sent.
        """
        self._record(call, environ, status=0, error_code=None, fault=fault.kind, processed_status=None)
        self.faults.hang(fault)
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionHungUp(f"{call.service} {call.operation} hung by fault rule {fault.id}")

    def _serve(self, environ: dict[str, Any], call: AwsCall) -> Response:
        if call.service == "eks" and call.operation not in operations.served_operations():
            raw_path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
            status, headers, body = operations.not_served(
                call.operation, environ.get("REQUEST_METHOD", ""), raw_path, environ.get("QUERY_STRING", "")
            )
            return status, list(headers.items()), body.encode()
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
        status = int(captured["status"].split()[0])
        if status >= 400 and call.service == "ssm":
            payload = _single_message(payload)
        return status, list(captured["headers"]), payload


def _single_message(payload: bytes) -> bytes:
    """A JSON error body with its message once, as AWS sends it (moto's SSM adds a ``Message`` copy)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    if isinstance(body, dict) and "message" in body and body.get("Message") == body["message"]:
        del body["Message"]
        return json.dumps(body).encode()
    return payload


def _respond(
    start_response: StartResponse, status: int, headers: list[tuple[str, str]], payload: bytes
) -> Iterable[bytes]:
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(payload))))
    start_response(f"{status} {_reason(status)}", headers)
    return [payload]


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
