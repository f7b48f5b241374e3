"""The EKS operations the endpoint serves, and the answer to the others.

An operation is served when ``urls.py`` routes its method and path and ``LocalEKSResponse``
implements it.  Any other operation is answered with ``not_served``: a JSON 501 that no AWS
SDK retries.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import parse_qs

from botocore.model import OperationModel
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import camelcase_to_underscores

from .eks_errors import error_response, input_error, operation_model, service_model
from .responses import LocalEKSResponse
from .urls import url_paths

NOT_SERVED_STATUS = 501


def _sample_path(request_uri: str) -> str:
    """A concrete path for an operation's ``requestUri``: each label filled with a sample value."""
    path = request_uri.split("?", 1)[0]
    path = re.sub(r"\{[^}]+\+\}", "arn:aws:eks:us-east-1:123456789012:cluster/sample", path)
    return re.sub(r"\{[^}]+\}", "sample", path)


@cache
def served_operations() -> frozenset[str]:
    """The EKS operations the endpoint serves: routed by ``localeks/eks/urls.py`` and implemented by its handler."""
    patterns = [re.compile(path.format("")) for path in url_paths]
    model = service_model()
    served = set()
    for name in model.operation_names:
        path = _sample_path(model.operation_model(name).http["requestUri"])
        routed = any(pattern.match(path) for pattern in patterns)
        if routed and callable(getattr(LocalEKSResponse, camelcase_to_underscores(name), None)):
            served.add(name)
    return frozenset(served)


def _operation_by_path(method: str, path: str) -> OperationModel | None:
    """The operation whose method and path (query string aside) a request has."""
    model = service_model()
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.http["method"] != method:
            continue
        uri = operation.http["requestUri"].split("?", 1)[0]
        parts = re.split(r"(\{[^}]+\})", uri)
        pattern = "".join(
            (".+" if part.endswith("+}") else "[^/]+") if part.startswith("{") else re.escape(part) for part in parts
        )
        if re.fullmatch(pattern, path):
            return operation
    return None


def not_served(operation: str, method: str = "", path: str = "", query_string: str = "") -> TYPE_RESPONSE:
    """The answer to an EKS operation the endpoint does not serve, or to a request no operation matches.

    A request whose method and path are an operation's, without the query string members the
    operation requires, is that operation's malformed input.
    """
    if operation_model(operation) is None:
        matched = _operation_by_path(method, path)
        if matched is not None and matched.name in served_operations():
            query = parse_qs(query_string, keep_blank_values=True)
            missing = [
                name for name in matched.input_shape.required_members  # type: ignore[union-attr]
                if matched.input_shape.members[name].serialization.get("name", name) not in query  # type: ignore[union-attr]
            ]
            message = f"{missing[0] if missing else 'The request'} is required."
            return error_response(input_error(matched), {"message": message}, matched)
        code, status = "UnknownOperationException", 404
        message = "No EKS operation has this method and path."
    else:
        code, status = "NotImplemented", NOT_SERVED_STATUS
        message = f"The local EKS endpoint does not serve {operation}; see 'What the endpoint does not model' in localeks/README.md."
    return error_response(code, {"message": message}, status=status)
