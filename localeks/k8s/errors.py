"""The API server's errors, as ``Status`` objects (``metav1.Status``)."""

from __future__ import annotations

from typing import Any

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
}


class ApiError(Exception):
    """An error answer of the API server: its HTTP code, reason, message and details."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _qualified(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, name: str, group: str = "") -> ApiError:
    kind = _qualified(plural, group)
    details = {"name": name, "kind": plural} | ({"group": group} if group else {})
    return ApiError(404, f'{kind} "{name}" not found', "NotFound", details)


def already_exists(plural: str, name: str, group: str = "") -> ApiError:
    kind = _qualified(plural, group)
    details = {"name": name, "kind": plural} | ({"group": group} if group else {})
    return ApiError(409, f'{kind} "{name}" already exists', "AlreadyExists", details)


def conflict(plural: str, name: str, group: str = "") -> ApiError:
    kind = _qualified(plural, group)
    details = {"name": name, "kind": plural} | ({"group": group} if group else {})
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {kind} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        "Conflict",
        details,
    )


def invalid(kind: str, name: str, causes: list[tuple[str, str]], group: str = "") -> ApiError:
    """422 Invalid: ``causes`` are (field, message) pairs, as field validation reports them."""
    text = "; ".join(f"{field_}: {message}" for field_, message in causes)
    details = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field_} for field_, message in causes],
    } | ({"group": group} if group else {})
    return ApiError(422, f'{kind}{"." + group if group else ""} "{name}" is invalid: {text}', "Invalid", details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")
