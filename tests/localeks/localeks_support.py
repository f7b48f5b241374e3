from __future__ import annotations

import json
import time
from typing import Any

from botocore.model import OperationModel, Shape


def nodegroup(eks: Any, name: str, cluster: str = "prod") -> dict[str, Any]:
    return eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]


def wait_update(eks: Any, nodegroup_name: str, update_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """Poll DescribeUpdate until the update leaves InProgress."""
    deadline = time.monotonic() + timeout
    while True:
        update = eks.describe_update(name="prod", nodegroupName=nodegroup_name, updateId=update_id)[
            "update"
        ]
        if update["status"] != "InProgress" or time.monotonic() > deadline:
            return update
        time.sleep(0.05)


def params(update: dict[str, Any]) -> dict[str, str]:
    return {p["type"]: p["value"] for p in update["params"]}


# -- the wire: raw answers and a validator of JSON against botocore's shapes ---------------


class Wire:
    """The last raw answer a boto3 client received (status, headers, JSON body), captured before parsing."""

    def __init__(self, client: Any) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        client.meta.events.register("before-parse", self._capture)

    def _capture(self, response_dict: dict[str, Any], **_: Any) -> None:
        self.status = response_dict["status_code"]
        self.headers = {k.lower(): v for k, v in response_dict["headers"].items()}
        self.body = response_dict["body"]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}


def shape_problems(shape: Shape | None, value: Any, path: str = "$") -> list[str]:
    """Where a JSON value (as EKS's rest-json or SSM's json protocol sends it) departs from ``shape``.

    Unknown structure members, nulls (AWS omits absent members), wrong types, enum values outside
    the enum, missing required members; timestamps must be epoch numbers.
    """
    if shape is None:
        return [] if value in ({}, None) else [f"{path}: a body where the model has none"]
    if value is None:
        return [f"{path}: null (AWS omits absent members)"]
    kind = shape.type_name
    problems: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where a structure is expected"]
        members = shape.members  # type: ignore[attr-defined]
        wire_names = {m.serialization.get("name", n): m for n, m in members.items() if not m.serialization.get("location")}
        for name in shape.required_members:  # type: ignore[attr-defined]
            if name not in value:
                problems.append(f"{path}.{name}: required member missing")
        for name, item in value.items():
            if name not in wire_names:
                problems.append(f"{path}.{name}: unknown member")
            else:
                problems += shape_problems(wire_names[name], item, f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where a list is expected"]
        for index, item in enumerate(value):
            problems += shape_problems(shape.member, item, f"{path}[{index}]")  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where a map is expected"]
        for key, item in value.items():
            problems += shape_problems(shape.key, key, f"{path} key {key!r}")  # type: ignore[attr-defined]
            problems += shape_problems(shape.value, item, f"{path}[{key!r}]")  # type: ignore[attr-defined]
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: {value!r} is not a string"]
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not in the enum {shape.name}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: {value!r} is not an integer")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: {value!r} is not a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: {value!r} is not a boolean")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: {value!r} is not an epoch timestamp")
    elif kind == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: {value!r} is not base64 text")
    return problems


def error_problems(operation: OperationModel, wire: Wire, allowed_beyond_model: frozenset[str] = frozenset()) -> list[str]:
    """Where an error answer departs from what the operation's model says EKS (or SSM) sends."""
    problems: list[str] = []
    code = wire.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    try:
        body = wire.json()
    except ValueError:
        return [f"body is not JSON: {wire.body[:80]!r}"]
    if not code:
        code = str(body.get("__type", "")).rsplit("#", 1)[-1] if isinstance(body, dict) else ""
    if not code:
        return [f"no error code in header or body (status {wire.status})"]
    if not wire.headers.get("content-type", "").startswith("application/"):
        problems.append(f"content type {wire.headers.get('content-type')!r}")
    known = {shape.name: shape for shape in operation.error_shapes}
    if code not in known and code not in allowed_beyond_model:
        problems.append(f"{code} is not an error of {operation.name} ({', '.join(sorted(known))})")
    try:
        shape = known.get(code) or operation.service_model.shape_for(code)
    except Exception:
        return problems + [f"{code} is no error shape of the service"]
    expected = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    if wire.status != expected:
        problems.append(f"{code} answered with HTTP {wire.status}, its shape says {expected}")
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "__type"}
        if "Message" in body and "message" not in body:
            # botocore reads an error's message from either spelling; SSM sends "Message".
            body["message"] = body.pop("Message")
        if "message" not in shape.members:  # type: ignore[attr-defined]
            body.pop("message", None)  # botocore reads it whatever the shape lists
    problems += shape_problems(shape, body, code)
    return problems
