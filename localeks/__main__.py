"""``python -m localeks serve [--fleet FILE] [--host H] [--port P] [--ready-file F] [--time-factor F]``"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .eks.models import check_time_factor
from .ratelimit import check_limit
from .server import LocalEKS


def rate_limit_arg(text: str) -> tuple[float, float]:
    """``RATE`` or ``RATE/BURST`` as ``(rate, burst)``, the burst defaulting to ``max(1, rate)``."""
    rate, _slash, burst = text.partition("/")
    try:
        return check_limit(float(rate), float(burst) if burst else None)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not RATE[/BURST], a positive rate in requests per second "
            f"and a burst of 1 or more ({error})"
        ) from None


def time_factor_arg(text: str) -> float:
    """A positive number: update durations are divided by it."""
    try:
        return check_time_factor(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localeks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a local EKS endpoint")
    serve.add_argument("--fleet", type=Path, help="fleet YAML to seed at start")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4566, help="0 picks a free port")
    serve.add_argument("--ready-file", type=Path, help="write the URL here once serving")
    serve.add_argument(
        "--update-duration", type=float, help="seconds an update stays InProgress, in EKS's terms (default 2)"
    )
    serve.add_argument(
        "--time-factor",
        type=time_factor_arg,
        metavar="F",
        help="divide every update duration by F: with 60, a 30-minute update (update_duration 1800) lasts 30 s "
        "(default 1; a fleet's defaults.time_factor overrides it for its region)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    serve.add_argument(
        "--rate-limit",
        type=rate_limit_arg,
        metavar="RATE[/BURST]",
        help="limit each account and region to RATE EKS requests per second, in bursts of BURST "
        "(default max(1, RATE)); the requests over it get ThrottlingException",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    endpoint = LocalEKS(
        fleet=args.fleet,
        host=args.host,
        port=args.port,
        update_duration=args.update_duration,
        access_log=args.access_log,
        rate_limit=args.rate_limit,
        time_factor=args.time_factor,
    )

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    endpoint.start()
    if args.ready_file:
        # Written whole, then renamed: a reader never sees a partial URL.
        partial = args.ready_file.with_name(args.ready_file.name + ".partial")
        partial.write_text(endpoint.url + "\n")
        partial.replace(args.ready_file)
    print(endpoint.url, flush=True)
    stopping.wait()
    endpoint.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
