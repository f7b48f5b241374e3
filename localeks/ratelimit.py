"""An optional request-rate limit, as EKS has: a token bucket per AWS account and region.

Off by default.  When set, each (account id, region) has a bucket of ``burst``
tokens, refilled at ``rate`` tokens per second.  A request of a limited service
(EKS by default) takes a token; a request that finds no whole token is throttled:
it is not served, and is answered with the service's own throttling error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .faults import FaultRule, Response, is_number

# The services whose requests take a token.
DEFAULT_SERVICES = ("eks",)

Clock = Callable[[], float]
RateLimitSpec = float | tuple[float, float | None] | list[float] | None

# EKS answers a throttled request with HTTP 429, error code ThrottlingException and the
# message "Rate exceeded", in rest-json: {"message": "Rate exceeded"} and the
# x-amzn-ErrorType header.  Evidence:
# - botocore's model of EKS (botocore/data/eks/2017-11-01/service-2.json.gz, AWS's own
#   service model) declares ThrottlingException with "error": {"httpStatusCode": 429}
#   ("The request or operation couldn't be performed because a service is throttling
#   requests"), listed on UpdateClusterVersion, UpdateClusterConfig, CancelUpdate, ...
# - "Rate exceeded" with 400 is what the awsJson services answer: ECS
#   (iann0036/former2#11 shows the wire form: 400, {"__type":"ThrottlingException",
#   "message":"Rate exceeded"}) and CloudWatch Logs (turbot/steampipe-mod-aws-thrifty#130:
#   StatusCode: 400).  No GitHub issue shows EKS, a rest-json service, answering a
#   ThrottlingException with 400.
# - botocore retries it as throttling: the standard and adaptive modes by its error code
#   (botocore/retries/standard.py), the legacy mode by its 429 ("too_many_requests" in
#   botocore/data/_retry.json; its ThrottlingException rule is for 400s only).
# - Not modelled: EKS has also answered floods of DescribeCluster with TooManyRequestsException
#   "Too Many Requests" (awslabs/amazon-eks-ami#218, #999).
# The same answer as the ``throttle`` fault for EKS (faults.py).
_THROTTLE = FaultRule(kind="throttle")


def throttled_response(service: str, operation: str = "") -> Response:
    """The error ``service`` answers a throttled request with, in its own protocol."""
    return _THROTTLE.error_response(service, operation)


def check_limit(rate: Any, burst: Any = None) -> tuple[float, float]:
    """``(rate, burst)`` as floats, ``burst`` defaulting to ``max(1, rate)``.

    Raises ValueError unless ``rate`` is a positive number and ``burst`` a number, 1 or more.
    """
    if not is_number(rate, finite=True) or rate <= 0:
        raise ValueError(f"rate must be a positive number of requests per second, not {rate!r}")
    if burst is None:
        return float(rate), max(1.0, float(rate))
    if not is_number(burst, finite=True) or burst < 1:
        raise ValueError(f"burst must be a number of requests, 1 or more, not {burst!r}")
    return float(rate), float(burst)


def limit_of(spec: RateLimitSpec) -> tuple[float, float] | None:
    """A limit given as ``rate``, ``(rate, burst)`` or None, checked as ``check_limit`` does."""
    if spec is None:
        return None
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2:
            raise ValueError(f"a rate limit is a rate or (rate, burst), not {spec!r}")
        return check_limit(*spec)
    return check_limit(spec)


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` tokens per second of ``clock``; thread-safe."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate, self.burst = check_limit(rate, burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        if now > self._updated:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    def take(self) -> bool:
        """Take one token; False if there is no whole token to take."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    @property
    def tokens(self) -> float:
        """The tokens there are now."""
        with self._lock:
            self._refill()
            return self._tokens


class RateLimiter:
    """The endpoint's rate limit: none, or one token bucket per (account id, region).

    ``allowed`` and ``throttled`` count the requests that took a token and those that
    found none, since the limit was last set or ``reset``.
    """

    def __init__(self, services: Iterable[str] = DEFAULT_SERVICES, clock: Clock = time.monotonic) -> None:
        self.services = frozenset(services)
        self._clock = clock
        self._lock = threading.Lock()
        self._limit: tuple[float, float] | None = None
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._allowed = 0
        self._throttled = 0

    def set(self, rate: Any, burst: Any = None) -> None:
        """Limit every account and region to ``rate`` requests per second, in bursts of ``burst``.

        Every bucket starts full, and the counts start from 0.
        """
        limit = check_limit(rate, burst)
        with self._lock:
            self._limit = limit
            self._buckets.clear()
            self._allowed = self._throttled = 0

    def clear(self) -> None:
        """Remove the limit; the counts stay until the limit is set again or reset."""
        with self._lock:
            self._limit = None
            self._buckets.clear()

    def reset(self) -> None:
        """Remove the limit and its counts."""
        with self._lock:
            self._limit = None
            self._buckets.clear()
            self._allowed = self._throttled = 0

    def limits(self, service: str) -> bool:
        """True if a limit is set and ``service``'s requests take a token."""
        return self._limit is not None and service in self.services

    def admit(self, account: str, region: str) -> bool:
        """Take a token from the bucket of ``account`` and ``region``; False if the request is throttled."""
        with self._lock:
            if self._limit is None:
                return True
            bucket = self._buckets.get((account, region))
            if bucket is None:
                bucket = self._buckets[(account, region)] = TokenBucket(*self._limit, clock=self._clock)
            admitted = bucket.take()
            if admitted:
                self._allowed += 1
            else:
                self._throttled += 1
            return admitted

    def status(self) -> dict[str, Any]:
        """``rate`` and ``burst`` (None without a limit), and the counts ``allowed`` and ``throttled``."""
        with self._lock:
            rate, burst = self._limit if self._limit is not None else (None, None)
            return {"rate": rate, "burst": burst, "allowed": self._allowed, "throttled": self._throttled}
