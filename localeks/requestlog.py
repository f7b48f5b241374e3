"""Thread-safe record of every AWS call the endpoint answered."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class LoggedRequest:
    seq: int
    time: float
    service: str
    region: str
    operation: str
    method: str
    path: str
    status: int
    error_code: str | None
    fault: str | None
    processed_status: int | None
    cluster: str | None
    nodegroup: str | None
    # True if the rate limit answered the request (ThrottlingException) instead of the service.
    throttled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []
        self._seq = 0

    def record(self, **fields: Any) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(seq=self._seq, time=time.time(), **fields)
            self._entries.append(entry)
            return entry

    def entries(
        self, service: str | None = None, operation: str | None = None
    ) -> list[LoggedRequest]:
        with self._lock:
            return [
                e
                for e in self._entries
                if (service is None or e.service == service)
                and (operation is None or e.operation == operation)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seq = 0
