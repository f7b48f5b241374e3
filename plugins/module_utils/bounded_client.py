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
  deadline bounds them all.

A call asked for after the deadline raises ``DeadlineExceeded`` at once, except a
``last_call``: one attempt with a short timeout, which a run makes to describe
what an update it saw end has left behind.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

try:
    import botocore
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # Handled by AnsibleAWSModule

# Error codes that mean "try again later", beyond any HTTP 5xx status.
TRANSIENT_ERROR_CODES = frozenset(
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


class DeadlineExceeded(Exception):
    """No time was left for a call, or for another attempt at it; ``last_error`` is the last attempt's."""

    def __init__(self, operation, seconds, last_error=None):
        detail = " (last error: %s)" % describe_error(last_error) if last_error is not None else ""
        super(DeadlineExceeded, self).__init__(
            "%s got no answer within the %ss the task had%s" % (api_name(operation), _round(seconds), detail)
        )
        self.operation = operation
        self.last_error = last_error


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

    def __init__(self, make_client, deadline, sleep=time.sleep, rand=random.random):
        self.make_client = make_client
        self.deadline = deadline
        self.sleep = sleep
        self.rand = rand
        self._clients = {}
        self.calls = 0
        self.retries = 0

    def client(self, service, last_call=False):
        """A client of ``service``; with ``last_call``, its calls after the deadline make one short attempt."""
        return BoundedClient(self, service, last_call)

    def raw(self, service, timeout):
        key = (service, timeout)
        if key not in self._clients:
            config = botocore.config.Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            self._clients[key] = self.make_client(service, config)
        return self._clients[key]

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
            self.calls += 1
            return getattr(self.raw(service, LAST_CALL_TIMEOUT), operation)(**params)
        attempt = 0
        last_error = None
        while True:
            remaining = self.deadline.remaining()
            if remaining <= 0:
                raise DeadlineExceeded(operation, self.deadline.seconds, last_error)
            client = self.raw(service, self.timeout_for(remaining))
            self.calls += 1
            try:
                return getattr(client, operation)(**params)
            except Exception as error:  # pylint: disable=broad-except
                if not is_transient(error):
                    raise
                last_error = error
            attempt += 1
            unreachable = isinstance(last_error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError))
            limit = MAX_CONNECT_ATTEMPTS if unreachable else MAX_ATTEMPTS
            if attempt >= limit:
                raise last_error
            self.retries += 1
            pause = min(self.backoff(attempt), self.deadline.remaining())
            if pause > 0:
                self.sleep(pause)


class BoundedClient:
    """One service's client: ``client.describe_nodegroup(...)`` makes a bounded, retried call.

    The ``aws_retry`` keyword of amazon.aws's retrying clients is accepted and ignored: every call here is retried.
    """

    def __init__(self, clients, service, last_call=False):
        self._clients = clients
        self._service = service
        self._last_call = last_call

    def __getattr__(self, operation):
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**params):
            params.pop("aws_retry", None)
            return self._clients.call(self._service, operation, params, last_call=self._last_call)

        return call
