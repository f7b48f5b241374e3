"""Run the endpoint: in-process (``LocalEKS``) or from the command line."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from .client import Control
from .middleware import LocalEKSApp
from .eks.models import LocalEKSBackend, check_time_factor
from .ratelimit import RateLimitSpec, limit_of

FleetSource = str | Path | Mapping[str, Any]


class QuietRequestHandler(MotoRequestHandler):
    """Moto's request handler without one access-log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalEKS:
    """A local EKS (+ SSM, EC2, STS) endpoint on ``host:port``.

    ``port=0`` picks a free port.  ``update_duration`` is the default time an update stays
    ``InProgress``, in EKS's terms; ``time_factor`` divides every update duration (process-wide;
    a fleet's ``defaults.time_factor`` overrides it for its region), so ``time_factor=60`` runs
    a 30-minute update in 30 seconds.  ``rate_limit`` (a rate in requests per second, or
    ``(rate, burst)``) limits each account and region's EKS requests from the start, as
    ``Control.set_rate_limit`` does.  Usable as a context manager::

        with LocalEKS(fleet="localeks/fleets/demo.yml") as endpoint:
            boto3.client("eks", endpoint_url=endpoint.url, ...)
    """

    def __init__(
        self,
        fleet: FleetSource | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        update_duration: float | None = None,
        access_log: bool = False,
        rate_limit: RateLimitSpec = None,
        time_factor: float | None = None,
    ) -> None:
        self.rate_limit = limit_of(rate_limit)
        if update_duration is not None:
            LocalEKSBackend.default_update_duration = update_duration
        if time_factor is not None:
            LocalEKSBackend.time_factor = check_time_factor(time_factor)
        self.app = LocalEKSApp()
        self.fleet = fleet
        handler = MotoRequestHandler if access_log else QuietRequestHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=handler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def control(self) -> Control:
        return Control(self.url)

    def start(self) -> LocalEKS:
        """Seed the fleet (if any), set the rate limit (if any) and serve in a background thread."""
        if self.fleet is not None:
            self.app.load_fleet(self.fleet)
        if self.rate_limit is not None:
            self.app.rate_limit.set(*self.rate_limit)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by ``hang`` rules are dropped first, not waited for."""
        self.app.faults.clear()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LocalEKS:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
