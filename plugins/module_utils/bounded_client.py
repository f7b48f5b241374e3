# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS clients whose calls, retries included, end by a deadline.

A task's ``wait_timeout`` bounds the whole task. botocore cannot do that on its
own: its retry handler knows attempts, not time, and each attempt may wait a
whole read timeout (60 s by default) on an endpoint that accepts a connection
and never answers. So here:

* botocore makes one attempt per call (``total_max_attempts: 1``), with connect
  and read timeouts no longer than the time left;
* throttling, server errors, lost responses and network faults are retried with
  jittered exponential backoff while time is left (``MAX_ATTEMPTS`` at most; an
  endpoint that cannot be reached at all, ``MAX_CONNECT_ATTEMPTS``), and the last
  error is raised once no attempt is left;
* every call of the process takes its clients from one ``BoundedClients``, so one
  deadline bounds them all, and one ``RequestBudget`` (a token bucket, the modules'
  ``rate_limit``) paces them all: every request any of its clients sends, pages of a
  paginator included, first takes a token, and waits for one no later than the
  deadline allows.

A call asked for after the deadline raises ``DeadlineExceeded`` at once, except a
``last_call``: one attempt with a short timeout, which a run makes to describe
what an update it saw end has left behind.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import random
import threading
import time

try:
    import botocore
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # Handled by AnsibleAWSModule

# Error codes of a throttling answer: the budget slows down when it meets one.
THROTTLING_ERROR_CODES = frozenset(
    (
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    )
)

# Error codes that mean "try again later", beyond any HTTP 5xx status.
TRANSIENT_ERROR_CODES = THROTTLING_ERROR_CODES | frozenset(
    (
        "ServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    )
)

# Read and connect timeouts a client may get, longest first: the longest not above the time left is used.
TIMEOUT_STEPS = (60, 30, 15, 8, 4, 2, 1)
# The timeout of a last call, made once the deadline has passed.
LAST_CALL_TIMEOUT = 5
# Attempts at one call: any transient error, and an endpoint that cannot be reached at all (refused, no route,
# no DNS), which is seldom a passing fault. The deadline may end the attempts sooner.
MAX_ATTEMPTS = 10
MAX_CONNECT_ATTEMPTS = 3
# Backoff between attempts: full jitter over base * 2**attempt, capped.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0


# The modules' default rate_limit, in requests per second for a whole module run (EKS, SSM and EC2 calls
# together). AWS does not publish the rates at which EKS throttles its API (its service quotas list resources
# only); EC2 publishes a bucket of 100 and a refill of 20 per second for each of its non-mutating actions.
# Half of that refill leaves room for the account's other clients: see docs/performance.md.
DEFAULT_RATE_LIMIT = 10.0
MAX_RATE_LIMIT = 1000.0
# A throttling answer halves the budget's rate (at most once a second, down to an eighth of the rate limit);
# the rate then grows back by a tenth of the limit each second.
THROTTLED_RATE_FLOOR = 1.0 / 8
RECOVERY_PER_SECOND = 0.1


def check_rate_limit(value):
    """``rate_limit`` as a float; ValueError with a message naming the option when it cannot be one."""
    try:
        rate = float(value)
    except (TypeError, ValueError, OverflowError):
        rate = None
    if isinstance(value, bool) or rate is None or math.isnan(rate) or not (rate == 0 or 0 < rate <= MAX_RATE_LIMIT):
        raise ValueError(
            "rate_limit must be a number of requests per second from above 0 to %d, or 0 for no limit; got %r."
            % (MAX_RATE_LIMIT, value)
        )
    return rate


class RequestBudget:
    """A token bucket that every AWS request of a module run takes a token from.

    At most ``burst`` requests go at once (one second's worth of ``rate``, at least 1); then ``rate`` a second.
    A request that finds the bucket empty waits its turn: each waiting request reserves the next token, so
    requests from many threads are spread evenly, never sent in a burst. A throttling answer from AWS (other
    clients of the account share its limits) halves the rate; it grows back over the next seconds.
    Thread-safe; ``clock`` and ``sleep`` are those of the deadline.
    """

    def __init__(self, rate, burst=None, clock=time.monotonic, sleep=time.sleep):
        self.limit = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.limit)
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._stamp = clock()
        self._cut_rate = self.limit
        self._cut_at = None
        self.taken = 0
        self.waited = 0.0
        self.throttled = 0

    def rate(self, now=None):
        """The rate in force: the limit, or less after a throttling answer."""
        if self._cut_at is None:
            return self.limit
        now = self.clock() if now is None else now
        return min(self.limit, self._cut_rate + self.limit * RECOVERY_PER_SECOND * max(0.0, now - self._cut_at))

    def _refill(self, now):
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate(now))
        self._stamp = now

    def reserve(self, latest=None):
        """Reserve a token: the time from which it may be used, or None when that is after ``latest``."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            at = now if self._tokens >= 1 else now + (1 - self._tokens) / self.rate(now)
            if latest is not None and at > latest:
                return None
            self._tokens -= 1
            self.taken += 1
            return at

    def take(self, latest=None):
        """Wait for a token; False (and no token taken) when none can be had by ``latest``."""
        at = self.reserve(latest)
        if at is None:
            return False
        pause = at - self.clock()
        if pause > 0:
            with self._lock:
                self.waited += pause
            self.sleep(pause)
        return True

    def on_throttled(self):
        """AWS answered a request of this budget with throttling: halve the rate, at most once a second."""
        with self._lock:
            now = self.clock()
            self.throttled += 1
            if self._cut_at is not None and now - self._cut_at < 1.0:
                return
            self._refill(now)
            self._cut_rate = max(self.limit * THROTTLED_RATE_FLOOR, self.rate(now) / 2)
            self._cut_at = now


class DeadlineExceeded(Exception):
    """No time was left for a call, or for another attempt at it; ``last_error`` is the last attempt's."""

    def __init__(self, operation, seconds, last_error=None, budget=False):
        detail = " (last error: %s)" % describe_error(last_error) if last_error is not None else ""
        if budget:
            detail += " (no request of rate_limit's budget was left before the deadline)"
        super(DeadlineExceeded, self).__init__(
            "%s got no answer within the %ss the task had%s" % (api_name(operation), _round(seconds), detail)
        )
        self.operation = operation
        self.last_error = last_error
        self.budget = budget


def api_name(operation):
    """``describe_update`` -> ``DescribeUpdate``."""
    return "".join(part[:1].upper() + part[1:] for part in operation.split("_"))


def _round(seconds):
    return int(seconds) if seconds == int(seconds) else round(seconds, 1)


def describe_error(error):
    """A one-line account of a botocore error: its code and message when AWS answered, else its text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        code = response["Error"].get("Code") or ""
        message = response["Error"].get("Message") or ""
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        text = ("%s: %s" % (code, message)).strip(": ")
        return "%s (HTTP %s)" % (text, status) if status else text
    return "%s: %s" % (type(error).__name__, error)


def http_status(error):
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return None


def is_throttling(error):
    """True for AWS's answer that the account's request rate is over its limit."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = (error.response.get("Error") or {}).get("Code")
        return code in THROTTLING_ERROR_CODES or http_status(error) == 429
    return False


def is_transient(error):
    """True for an error after which the same call may succeed: throttling, 5xx, a lost answer, a network fault."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = (error.response.get("Error") or {}).get("Code")
        status = http_status(error) or 0
        return code in TRANSIENT_ERROR_CODES or status >= 500 or status == 429
    return isinstance(
        error,
        (
            botocore.exceptions.ConnectionError,  # connection refused or reset, connect and read timeouts
            botocore.exceptions.HTTPClientError,
            botocore.exceptions.IncompleteReadError,
            botocore.exceptions.ResponseStreamingError,
        ),
    )


def may_have_been_served(error):
    """False only when AWS certainly did not act on a call: it answered with a 4xx error (a refusal or throttling),
    or the call never left (no credentials, invalid parameters, no connection).

    A 5xx, a lost answer or a fault after the connection was made leaves open whether a mutating call took effect.
    """
    if isinstance(error, botocore.exceptions.ClientError):
        status = http_status(error)
        return status is None or status >= 500
    if isinstance(error, DeadlineExceeded):
        return error.last_error is not None and may_have_been_served(error.last_error)
    if isinstance(
        error,
        (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.ParamValidationError,
            # No connection was made (refused, no route, no DNS, connect timeout): the request never left.
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectTimeoutError,
        ),
    ):
        return False
    return True


class Deadline:
    """An absolute point on the monotonic clock, ``seconds`` from now."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.seconds = seconds
        self.at = clock() + seconds

    def remaining(self):
        return self.at - self.clock()

    def passed(self):
        return self.remaining() <= 0


class BoundedClients:
    """Clients for every service a run uses, created by ``make_client(service, config)``, bounded by ``deadline``.

    ``make_client`` is ``AnsibleAWSModule.client`` in the modules (``lambda service, config:
    module.client(service, config=config)``), so credentials, region, endpoint and the user's
    ``aws_config`` apply as for any amazon.aws module.
    """

    def __init__(self, make_client, deadline, sleep=time.sleep, rand=random.random, budget=None):
        self.make_client = make_client
        self.deadline = deadline
        self.sleep = sleep
        self.rand = rand
        self.budget = budget
        self._clients = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self.requests = 0  # requests sent by the botocore clients, pages of paginators included
        self.retries = 0
        self.throttled = 0

    def client(self, service, last_call=False):
        """A client of ``service``; with ``last_call``, its calls after the deadline make one short attempt."""
        return BoundedClient(self, service, last_call)

    def raw(self, service, timeout):
        """The botocore client of ``service`` with ``timeout``; every request it sends passes the budget."""
        key = (service, timeout)
        with self._lock:
            if key not in self._clients:
                config = botocore.config.Config(
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    retries={"mode": "standard", "total_max_attempts": 1},
                )
                client = self.make_client(service, config)
                events = getattr(getattr(client, "meta", None), "events", None)
                if events is not None:
                    events.register_first("before-call.*.*", self._before_request)
                self._clients[key] = client
            return self._clients[key]

    def prepare(self, service):
        """Create the client of ``service`` now, in this thread: an AnsibleAWSModule fails the task from the thread
        that creates a client with no region or unusable credentials, which must be the main one."""
        self.raw(service, self.timeout_for(max(0, self.deadline.remaining())))

    def _before_request(self, **kwargs):
        """botocore's before-call hook: count the request, and wait for the budget's token no later than the call
        may start (the deadline, or a last call's own timeout)."""
        if self.budget is not None:
            latest = getattr(self._local, "latest", None)
            if not self.budget.take(latest=self.deadline.at if latest is None else latest):
                model = kwargs.get("model")
                raise DeadlineExceeded(model.name if model is not None else "a call", self.deadline.seconds, None, budget=True)
        with self._lock:
            self.requests += 1

    @staticmethod
    def timeout_for(remaining):
        for step in TIMEOUT_STEPS:
            if step <= remaining:
                return step
        return TIMEOUT_STEPS[-1]

    def backoff(self, attempt):
        return self.rand() * min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))

    def call(self, service, operation, params, last_call=False):
        """``operation(**params)`` on ``service``, retried on transient errors while the deadline allows."""
        if last_call and self.deadline.passed():
            # One attempt, which waits for the budget's token no longer than its own timeout.
            self._local.latest = self.deadline.clock() + LAST_CALL_TIMEOUT
            try:
                return self._attempt(lambda: getattr(self.raw(service, LAST_CALL_TIMEOUT), operation)(**params))
            finally:
                self._local.latest = None
        return self.retrying(
            operation, lambda: getattr(self.raw(service, self.timeout_for(self.deadline.remaining())), operation)(**params)
        )

    def retry_decorator(self, func):
        """A retry decorator (as amazon.aws's ``paginated_query_with_retries`` takes): ``func`` retried as ``call``."""

        def retried(*args, **kwargs):
            return self.retrying(func.__name__, lambda: func(*args, **kwargs))

        return retried

    def retrying(self, operation, attempt_once):
        """``attempt_once()``, made again on transient errors while the deadline and the attempt limits allow."""
        attempt = 0
        last_error = None
        while True:
            if self.deadline.passed():
                raise DeadlineExceeded(operation, self.deadline.seconds, last_error)
            try:
                return self._attempt(attempt_once)
            except DeadlineExceeded as error:
                # No token of the budget could be had before the deadline.
                raise DeadlineExceeded(operation, self.deadline.seconds, last_error, budget=error.budget)
            except Exception as error:  # pylint: disable=broad-except
                if not is_transient(error):
                    raise
                last_error = error
            attempt += 1
            unreachable = isinstance(last_error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError))
            if attempt >= (MAX_CONNECT_ATTEMPTS if unreachable else MAX_ATTEMPTS):
                raise last_error
            with self._lock:
                self.retries += 1
            pause = min(self.backoff(attempt), self.deadline.remaining())
            if pause > 0:
                self.sleep(pause)

    def _attempt(self, attempt_once):
        try:
            return attempt_once()
        except botocore.exceptions.ClientError as error:
            if is_throttling(error):
                with self._lock:
                    self.throttled += 1
                if self.budget is not None:
                    self.budget.on_throttled()
            raise


class BoundedClient:
    """One service's client: ``client.describe_nodegroup(...)`` makes a bounded, retried call.

    The ``aws_retry`` keyword of amazon.aws's retrying clients is accepted and ignored: every call here is retried.
    """

    def __init__(self, clients, service, last_call=False):
        self._clients = clients
        self._service = service
        self._last_call = last_call

    def get_paginator(self, operation):
        """botocore's paginator on a client with the timeout for the time left; each page passes the budget.

        Retry the whole query with ``retry_decorator`` (``paginated_query_with_retries`` takes it).
        """
        return self._clients.raw(self._service, self._clients.timeout_for(self._clients.deadline.remaining())).get_paginator(operation)

    @property
    def retry_decorator(self):
        return self._clients.retry_decorator

    def __getattr__(self, operation):
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**params):
            params.pop("aws_retry", None)
            return self._clients.call(self._service, operation, params, last_call=self._last_call)

        return call
