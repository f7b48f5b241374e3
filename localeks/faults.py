"""Fault injection rules and AWS-shaped error responses.

A rule matches requests by service and operation and, when it fires, either
answers in the service's own error format (``throttle``, ``server_error``) or
lets the request be processed and then loses the response (``lose_response``:
a 504 with no usable body, which SDKs retry with the same idempotency token).
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session

KINDS = ("throttle", "server_error", "lose_response")

# (kind, protocol, status) -> error code
_ERROR_CODES: dict[tuple[str, str, int], str] = {
    ("throttle", "rest-json", 429): "ThrottlingException",
    ("throttle", "rest-json", 400): "ThrottlingException",
    ("throttle", "json", 400): "ThrottlingException",
    ("throttle", "json", 429): "ThrottlingException",
    ("throttle", "ec2", 503): "RequestLimitExceeded",
    ("throttle", "query", 400): "Throttling",
    ("server_error", "rest-json", 500): "ServerException",
    ("server_error", "rest-json", 503): "ServiceUnavailableException",
    ("server_error", "json", 500): "InternalServerError",
    ("server_error", "json", 503): "ServiceUnavailableException",
    ("server_error", "ec2", 500): "InternalError",
    ("server_error", "ec2", 503): "Unavailable",
    ("server_error", "query", 500): "InternalFailure",
    ("server_error", "query", 503): "ServiceUnavailable",
}
_DEFAULT_STATUS = {
    ("throttle", "rest-json"): 429,
    ("throttle", "json"): 400,
    ("throttle", "ec2"): 503,
    ("throttle", "query"): 400,
}
_MESSAGES = {
    "throttle": "Rate exceeded",
    "server_error": "An internal error occurred. Try again later.",
}

Response = tuple[int, list[tuple[str, str]], bytes]


@cache
def protocol_of(service: str) -> str:
    """The wire protocol of an AWS service, per botocore's model (json if unknown)."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # unknown service name
        return "json"
    return str(model.metadata["protocol"])


@dataclass
class FaultRule:
    kind: str
    service: str = "*"
    operation: str = "*"
    count: int | None = None
    after: int = 0
    rate: float | None = None
    seed: int | None = None
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    id: int = field(default=0, init=False)
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)
    _random: random.Random = field(default_factory=random.Random, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._random = random.Random(self.seed)

    def matches(self, service: str, operation: str) -> bool:
        return self.service in ("*", service) and self.operation in ("*", operation)

    def fire(self) -> bool:
        """Count one matching request; True if the fault applies to it."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        if self.rate is not None and self._random.random() >= self.rate:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "id", "kind", "service", "operation", "count", "after", "rate",
                "seed", "status", "error_code", "message", "seen", "fired",
            )
        }

    def error_response(self, service: str) -> Response:
        """The error this rule answers with, in ``service``'s protocol."""
        protocol = protocol_of(service)
        family = protocol if protocol in ("rest-json", "ec2", "query") else "json"
        status = self.status or _DEFAULT_STATUS.get((self.kind, family), 500)
        code = self.error_code or _ERROR_CODES.get((self.kind, family, status), "InternalFailure")
        return render_error(family, status, code, self.message or _MESSAGES[self.kind])


def render_error(protocol: str, status: int, code: str, message: str) -> Response:
    request_id = str(uuid.uuid4())
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode()
    if protocol == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, [("Content-Type", "text/xml")], body.encode()
    headers = [
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", request_id),
    ]
    if protocol == "rest-json":
        payload: dict[str, str] = {"message": message}
        headers.append(("Content-Type", "application/json"))
    else:
        payload = {"__type": code, "message": message}
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
    return status, headers, json.dumps(payload).encode()


LOST_RESPONSE: Response = (504, [("Content-Type", "text/plain"), ("Content-Length", "0")], b"")


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, **rule: Any) -> FaultRule:
        fault = FaultRule(**rule)
        with self._lock:
            fault.id = next(self._ids)
            self._rules.append(fault)
        return fault

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pick(self, service: str, operation: str) -> FaultRule | None:
        """The first matching rule that fires for this request, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, operation) and rule.fire():
                    return rule
        return None
