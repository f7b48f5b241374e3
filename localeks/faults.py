"""Fault injection rules and AWS-shaped error responses.

A rule matches requests by service and operation and, when it fires, either
answers in the service's own error format (``throttle``, ``server_error``,
``access_denied``), lets the request be processed and then loses the response
(``lose_response``: a 504 with no usable body, which SDKs retry with the same
idempotency token), or never answers (``hang``: the request is not processed
and its connection stays open, without a byte of response, until the rule is
removed or its ``seconds`` have passed; then the connection is closed).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import uuid
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from moto.core import DEFAULT_ACCOUNT_ID

KINDS = ("throttle", "server_error", "lose_response", "hang", "access_denied")
# The kinds that answer with an error of the service's protocol.
ERROR_KINDS = ("throttle", "server_error", "access_denied")

# How long a hung request waits for its rule to be removed, unless the rule says otherwise.
HANG_SECONDS = 600.0

# The identity IAM names in an access_denied message.
PRINCIPAL = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/localeks"

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
    ("access_denied", "rest-json", 403): "AccessDeniedException",
    ("access_denied", "json", 400): "AccessDeniedException",
    ("access_denied", "ec2", 403): "UnauthorizedOperation",
    ("access_denied", "query", 403): "AccessDenied",
}
_DEFAULT_STATUS = {
    ("throttle", "rest-json"): 429,  # EKS's ThrottlingException: see the evidence in ratelimit.py
    ("throttle", "json"): 400,
    ("throttle", "ec2"): 503,
    ("throttle", "query"): 400,
    ("access_denied", "rest-json"): 403,
    ("access_denied", "json"): 400,
    ("access_denied", "ec2"): 403,
    ("access_denied", "query"): 403,
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
    seconds: float | None = None
    id: int = field(default=0, init=False)
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)
    hanging: int = field(default=0, init=False)
    _random: random.Random = field(default_factory=random.Random, init=False, repr=False)
    _released: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        for name in ("service", "operation"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string or '*', not {value!r}")
        _check_int("count", self.count, optional=True)
        _check_int("after", self.after)
        _check_int("seed", self.seed, optional=True, minimum=None)
        if self.rate is not None and (
            not is_number(self.rate) or not 0.0 <= self.rate <= 1.0
        ):
            raise ValueError(f"rate must be a number between 0 and 1, not {self.rate!r}")
        if self.kind in ERROR_KINDS:
            _check_int("status", self.status, optional=True, minimum=400)
            if self.status is not None and self.status > 599:
                raise ValueError(f"status must be an HTTP error status (400 to 599), not {self.status}")
            for name in ("error_code", "message"):
                value = getattr(self, name)
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"{name} must be a string, not {value!r}")
        else:
            given = [name for name in ("status", "error_code", "message") if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} cannot be set on a {self.kind} rule: only "
                    f"{', '.join(ERROR_KINDS)} rules answer with an error"
                )
        if self.seconds is not None:
            if self.kind != "hang":
                raise ValueError(f"seconds applies to hang rules only, not to {self.kind}")
            if not is_number(self.seconds) or self.seconds < 0:
                raise ValueError(f"seconds must be a number of seconds, 0 or more, not {self.seconds!r}")
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

    @property
    def hang_seconds(self) -> float:
        return HANG_SECONDS if self.seconds is None else float(self.seconds)

    def wait_released(self) -> bool:
        """Block until the rule is released or its seconds have passed; True if released."""
        return self._released.wait(self.hang_seconds)

    def release(self) -> None:
        """End every request this rule holds, and answer later matches at once."""
        self._released.set()

    def to_dict(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "id", "kind", "service", "operation", "count", "after", "rate", "seed",
                "status", "error_code", "message", "seconds", "seen", "fired", "hanging",
            )
        }

    def error_response(
        self, service: str, operation: str = "", resource: str = "*"
    ) -> Response:
        """The error this rule answers with, in ``service``'s protocol."""
        protocol = protocol_of(service)
        family = protocol if protocol in ("rest-json", "ec2", "query") else "json"
        default_status = _DEFAULT_STATUS.get((self.kind, family), 500)
        status = self.status or default_status
        code = (
            self.error_code
            or _ERROR_CODES.get((self.kind, family, status))
            or _ERROR_CODES.get((self.kind, family, default_status), "InternalFailure")
        )
        message = self.message
        if message is None:
            if self.kind == "access_denied":
                message = access_denied_message(family, service, operation, resource)
            else:
                message = _MESSAGES[self.kind]
        return render_error(family, status, code, message)


RULE_FIELDS = tuple(f.name for f in fields(FaultRule) if f.init)


def is_number(value: Any, finite: bool = False) -> bool:
    """True for an int or float (booleans are not numbers); with ``finite``, only a finite one."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    if not finite:
        return True
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _check_int(name: str, value: Any, optional: bool = False, minimum: int | None = 0) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {minimum} or more, not {value}")


def access_denied_message(protocol: str, service: str, operation: str, resource: str) -> str:
    """What IAM says when no policy allows ``service:operation`` on ``resource``."""
    action = f"{service}:{operation}"
    reason = f"because no identity-based policy allows the {action} action"
    if protocol == "ec2":
        return (
            "You are not authorized to perform this operation. "
            f"User: {PRINCIPAL} is not authorized to perform: {action} {reason}"
        )
    return f"User: {PRINCIPAL} is not authorized to perform: {action} on resource: {resource} {reason}"


def render_error(protocol: str, status: int, code: str, message: str) -> Response:
    request_id = str(uuid.uuid4())
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode()
    if protocol == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
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
        unknown = sorted(set(rule) - set(RULE_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown fault rule field(s): {', '.join(unknown)}; "
                f"a rule has {', '.join(RULE_FIELDS)}"
            )
        if "kind" not in rule:
            raise ValueError(f"a fault rule needs a kind: one of {', '.join(KINDS)}")
        fault = FaultRule(**rule)
        with self._lock:
            fault.id = next(self._ids)
            self._rules.append(fault)
        return fault

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> FaultRule | None:
        """Remove one rule, ending the requests it holds; None if there is no such rule."""
        with self._lock:
            rule = next((r for r in self._rules if r.id == rule_id), None)
            if rule is not None:
                self._rules.remove(rule)
                rule.release()
            return rule

    def clear(self) -> None:
        """Remove every rule, ending every request a hang rule holds."""
        with self._lock:
            for rule in self._rules:
                rule.release()
            self._rules.clear()

    def pick(self, service: str, operation: str) -> FaultRule | None:
        """The first matching rule that fires for this request, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, operation) and rule.fire():
                    return rule
        return None

    def hang(self, rule: FaultRule) -> bool:
        """Hold one request on ``rule`` until it is released or times out; True if released."""
        with self._lock:
            rule.hanging += 1
        try:
            return rule.wait_released()
        finally:
            with self._lock:
                rule.hanging -= 1
