"""EKS's errors on the wire: requests checked against EKS's service model, error bodies as EKS sends them.

``check_input`` reads an EKS request (path, query string and JSON body) the way the
service model describes it and refuses malformed input (wrong types, unknown enum
values, missing required members, out-of-range numbers, Kubernetes versions that are
not versions) with the operation's own 400 error.  ``normalise_error`` turns any
error answer into EKS's: the code in ``x-amzn-ErrorType``, the HTTP status of the
error shape, and a JSON body with only the shape's members, no nulls, naming the
cluster, node group, Fargate profile or add-on the request names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from moto.core.common_types import TYPE_RESPONSE

from . import catalogue

# The 400 error an operation answers malformed input with: the first of these its model lists.
INPUT_ERRORS = ("InvalidParameterException", "InvalidRequestException", "BadRequestException", "ClientException")

# Error codes moto's backend raises, and the one an operation's model has in their place.
EQUIVALENT_ERRORS = {
    "ResourceNotFoundException": "NotFoundException",
    "InvalidParameterException": "BadRequestException",
}

# Request members naming a resource, and the member of EKS's error shapes that repeats it.
NAME_MEMBERS = {
    "name": "clusterName",
    "clusterName": "clusterName",
    "nodegroupName": "nodegroupName",
    "fargateProfileName": "fargateProfileName",
    "addonName": "addonName",
}

# Operations whose ``version`` member is a Kubernetes version ("1.31").
VERSIONED_OPERATIONS = frozenset({"CreateCluster", "UpdateClusterVersion", "CreateNodegroup", "UpdateNodegroupVersion"})
KUBERNETES_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")
ARN = re.compile(r"arn:aws[a-z-]*:eks:[a-z0-9-]+:[0-9]{12}:[a-z-]+/.+")
_BOTOCORE_PREFIX = re.compile(r"^An error occurred \([^)]*\) when calling the \w+ operation: ")


@cache
def service_model() -> ServiceModel:
    """EKS's service model as botocore ships it."""
    return botocore.session.get_session().get_service_model("eks")


def operation_model(name: str) -> OperationModel | None:
    try:
        return service_model().operation_model(name)
    except Exception:  # botocore's OperationNotFoundError
        return None


class EKSRequestError(Exception):
    """An error EKS answers with: its code, message and the members of its error shape."""

    def __init__(self, code: str, message: str, **members: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.members = members

    def response(self, operation: OperationModel | None = None, names: Mapping[str, str] | None = None) -> TYPE_RESPONSE:
        body = {**self.members, "message": self.message}
        return error_response(self.code, body, operation, names)


class _Invalid(ValueError):
    """One malformed value of a request."""


def status_of(code: str, default: int = 400) -> int:
    """The HTTP status of EKS's error shape ``code``."""
    try:
        shape = service_model().shape_for(code)
    except Exception:  # botocore's NoShapeFoundError
        return default
    return int(shape.metadata.get("error", {}).get("httpStatusCode", default))


def input_error(operation: OperationModel) -> str:
    """The code ``operation`` answers malformed input with."""
    codes = {shape.name for shape in operation.error_shapes}
    return next((code for code in INPUT_ERRORS if code in codes), INPUT_ERRORS[0])


def error_response(
    code: str,
    body: Mapping[str, Any],
    operation: OperationModel | None = None,
    names: Mapping[str, str] | None = None,
    status: int | None = None,
) -> TYPE_RESPONSE:
    """An error answer as EKS sends it: code header, the shape's status, a normalised JSON body."""
    if operation is not None:
        codes = {shape.name for shape in operation.error_shapes}
        if code not in codes and EQUIVALENT_ERRORS.get(code) in codes:
            code = EQUIVALENT_ERRORS[code]
    payload: dict[str, Any] = {}
    try:
        members: set[str] | None = set(service_model().shape_for(code).members)
    except Exception:  # not one of EKS's error shapes
        members = None
    given = {key: value for key, value in body.items() if value is not None}
    for key, value in {**(names or {}), **given}.items():
        if members is None or key in members:
            payload[key] = value
    message = str(payload.get("message") or body.get("Message") or code)
    payload["message"] = _BOTOCORE_PREFIX.sub("", message)
    headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
    return status or status_of(code), headers, json.dumps(payload)


def normalise_error(
    status: int,
    headers: Mapping[str, Any],
    body: str | bytes,
    operation: OperationModel | None,
    names: Mapping[str, str],
) -> TYPE_RESPONSE:
    """``status, headers, body`` of an error answer, made EKS's (other headers are kept)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        payload = json.loads(text) if text else {}
    except ValueError:
        payload = {"message": text}
    if not isinstance(payload, dict):
        payload = {"message": str(payload)}
    code = next((str(v).split(":", 1)[0] for k, v in headers.items() if k.lower() == "x-amzn-errortype"), None)
    code = code or str(payload.get("__type") or payload.get("code") or "").rsplit("#", 1)[-1] or None
    if code is None:
        code = "ServerException" if status >= 500 else input_error(operation) if operation else "ClientException"
    new_status, new_headers, new_body = error_response(code, payload, operation, names)
    kept = {k: v for k, v in headers.items() if k.lower() not in ("x-amzn-errortype", "content-type", "status")}
    if status_of(new_headers["x-amzn-ErrorType"], 0) == 0:
        new_status = status
    return new_status, {**kept, **new_headers}, new_body


# -- reading and checking a request ---------------------------------------------------


def request_params(
    operation: OperationModel, uri_params: Mapping[str, str], query_string: str, body: str | bytes | None
) -> dict[str, Any]:
    """The request's input members, by member name: path labels, query string values and JSON body members.

    Query string values stay strings (lists of strings); ``check_input`` reads them.
    Raises ``EKSRequestError`` for a body that is not a JSON object.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    document: Any = {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    if text.strip():
        try:
            document = json.loads(text)
        except ValueError:
            raise EKSRequestError(input_error(operation), "The request body is not valid JSON.")
        if not isinstance(document, dict):
            raise EKSRequestError(input_error(operation), "The request body must be a JSON object.")
    query = parse_qs(query_string, keep_blank_values=True)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in uri_params:
                params[name] = unquote(uri_params[wire_name])
        elif location == "querystring":
            if wire_name in query:
                values = query[wire_name]
                params[name] = values if member.type_name == "list" else values[0]
        elif location is None and name in document and document[name] is not None:
            params[name] = document[name]
    return params


def check_input(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Refuse malformed input with the operation's 400 error (``EKSRequestError``)."""
    shape = operation.input_shape
    if shape is None:
        return
    try:
        for name in shape.required_members:
            if params.get(name) is None:
                raise _Invalid(f"{name} is required.")
        for name, value in params.items():
            member = shape.members[name]
            if member.serialization.get("location") == "querystring":
                value = _from_query(member, value, name)
            _check(member, value, name)
        if operation.name in VERSIONED_OPERATIONS and "version" in params:
            _check_kubernetes_version(operation.name, params["version"])
        if "resourceArn" in params and not ARN.fullmatch(params["resourceArn"]):
            raise _Invalid(f"{params['resourceArn']} is not a valid EKS resource ARN.")
    except _Invalid as error:
        raise EKSRequestError(input_error(operation), str(error))


def request_names(params: Mapping[str, Any]) -> dict[str, str]:
    """The error-shape members naming what the request names: ``{"clusterName": "prod", ...}``."""
    names: dict[str, str] = {}
    for member, error_member in NAME_MEMBERS.items():
        value = params.get(member)
        if isinstance(value, str) and value:
            names[error_member] = value
    return names


def _from_query(shape: Shape, value: Any, path: str) -> Any:
    """A query string value as the JSON value of its shape."""
    if shape.type_name == "list":
        return [_from_query(shape.member, item, path) for item in value]  # type: ignore[attr-defined]
    if shape.type_name in ("integer", "long"):
        if not re.fullmatch(r"-?[0-9]{1,18}", value):
            raise _Invalid(f"{path} must be an integer, not {value!r}.")
        return int(value)
    if shape.type_name == "boolean":
        if value not in ("true", "false"):
            raise _Invalid(f"{path} must be true or false, not {value!r}.")
        return value == "true"
    return value


def _type_error(path: str, expected: str, value: Any) -> _Invalid:
    return _Invalid(f"{path} must be {expected}, not {json.dumps(value)}.")


def _check(shape: Shape, value: Any, path: str) -> None:
    """Check one JSON value against its shape (unknown structure members are ignored, as EKS does)."""
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "a string", value)
        if shape.enum and value not in shape.enum:
            raise _Invalid(f"{path} {value!r} is not one of {', '.join(shape.enum)}.")
        _check_size(path, len(value), metadata, "characters long")
        pattern = metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            raise _Invalid(f"{path} {value!r} does not match the pattern {pattern}.")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error(path, "an integer", value)
        if "min" in metadata and value < metadata["min"] or "max" in metadata and value > metadata["max"]:
            raise _Invalid(f"{path} must be between {metadata.get('min', '-')} and {metadata.get('max', '-')}, not {value}.")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _type_error(path, "a number", value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "true or false", value)
    elif kind == "timestamp":
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            raise _type_error(path, "a timestamp", value)
    elif kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, "a list", value)
        _check_size(path, len(value), metadata, "items long")
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        _check_size(path, len(value), metadata, "entries long")
        for key, item in value.items():
            _check(shape.key, key, f"{path} key")  # type: ignore[attr-defined]
            _check(shape.value, item, f"{path}.{key}")  # type: ignore[attr-defined]
    elif kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        for name in shape.required_members:  # type: ignore[attr-defined]
            if value.get(name) is None:
                raise _Invalid(f"{path}.{name} is required.")
        members = shape.members  # type: ignore[attr-defined]
        for name, item in value.items():
            if name in members and item is not None:
                _check(members[name], item, f"{path}.{name}")


def _check_size(path: str, size: int, metadata: Mapping[str, Any], unit: str) -> None:
    if "min" in metadata and size < metadata["min"]:
        raise _Invalid(f"{path} must be at least {metadata['min']} {unit}.")
    if "max" in metadata and size > metadata["max"]:
        raise _Invalid(f"{path} must be at most {metadata['max']} {unit}.")


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.match(pattern, value) is not None
    except re.error:
        return True


def _check_kubernetes_version(operation: str, version: Any) -> None:
    if not KUBERNETES_VERSION.fullmatch(version):
        raise _Invalid(f"Requested version {version} is not a Kubernetes version such as {catalogue.MINORS[-1]}.")
    if operation in ("CreateCluster", "UpdateClusterVersion") and version not in catalogue.MINORS:
        raise _Invalid(f"Unsupported Kubernetes minor version {version}; supported: {', '.join(catalogue.MINORS)}.")
