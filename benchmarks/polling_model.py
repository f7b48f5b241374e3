"""A model of fixed-delay polling for real node group updates lasting 10 to 60 minutes.

UpdateNodegroupVersion's response already says InProgress, so the module sleeps ``wait_delay``
seconds before its first DescribeUpdate and after each one (``nodegroup_version_run.NodegroupRun._poll``).
With a call latency ``c``, poll k (k >= 1) is sent at k * (delay + c); the end of an update lasting
D seconds is seen by the first poll sent at or after D, and reported one latency later. So:

  detection lag  = (first k * (delay + c) >= D) - D + c        in [c, delay + 2c)
  DescribeUpdate = that k calls; the whole run adds DescribeNodegroup, UpdateNodegroupVersion
                   and the final DescribeNodegroup (plus the lookups of the scenario).

Durations are swept on a 0.1 s grid over [10 min, 60 min], i.e. every phase of the update's end
against the poll clock equally often: no randomness, the same figures on every run.
"""

import math

from _common import Table

DELAYS = (10, 15, 20, 30, 60)
LATENCY = 0.2  # seconds per DescribeUpdate round trip to a regional EKS endpoint (assumed)
SHORTEST, LONGEST = 600.0, 3600.0
FLEET = 50  # node groups updating at once, for the request-rate column
RATE_LIMIT = 10  # requests per second: the modules' default rate_limit, for one module run


def simulate(delay, duration, latency=LATENCY):
    period = delay + latency
    k = int(math.ceil(duration / period - 1e-12))
    lag = k * period - duration + latency
    return lag, k


def sweep(delay, latency=LATENCY, step=0.1):
    lags, polls, shares = [], [], []
    steps = int(round((LONGEST - SHORTEST) / step))
    for i in range(steps + 1):
        duration = SHORTEST + i * step
        lag, n = simulate(delay, duration, latency)
        lags.append(lag)
        polls.append(n)
        shares.append(lag / duration)
    lags_sorted = sorted(lags)
    return {
        "mean_lag": sum(lags) / len(lags),
        "p95_lag": lags_sorted[int(0.95 * (len(lags_sorted) - 1))],
        "max_lag": lags_sorted[-1],
        "mean_share": sum(shares) / len(shares),
        "worst_share_short": max(simulate(delay, SHORTEST + j * step, latency)[0] for j in range(int(delay / step) + 2)) / SHORTEST,
        "polls_mean": sum(polls) / len(polls),
        "polls_short": simulate(delay, SHORTEST, latency)[1],
        "polls_long": simulate(delay, LONGEST, latency)[1],
    }


def run(ctx=None):
    table = Table(
        "Polling policy: fixed wait_delay for updates of 10-60 min (model)",
        ["wait_delay", "mean lag", "p95 lag", "max lag", "mean lag / duration", "worst lag / 10-min update",
         "DescribeUpdate per update (10 / mean / 60 min)", "calls per hour", "%d node groups at once" % FLEET,
         "node groups one run polls every wait_delay at rate_limit %d/s" % RATE_LIMIT],
    )
    for delay in DELAYS:
        r = sweep(delay)
        table.add(
            "%d s%s" % (delay, " (default)" if delay == 30 else ""),
            "%.1f s" % r["mean_lag"], "%.1f s" % r["p95_lag"], "%.1f s" % r["max_lag"],
            "%.2f %%" % (100 * r["mean_share"]), "%.1f %%" % (100 * r["worst_share_short"]),
            "%d / %.0f / %d" % (r["polls_short"], r["polls_mean"], r["polls_long"]),
            "%.0f" % (3600.0 / (delay + LATENCY)),
            "%.1f req/s" % (FLEET / (delay + LATENCY)),
            "%d" % (RATE_LIMIT * delay),
        )
    table.notes = [
        "A model, not a measurement: the same figures on every machine. The module sleeps wait_delay before its first "
        "DescribeUpdate and after each (no poll right after the start); poll k goes at k x (wait_delay + latency).",
        "Lag: from the update ending in EKS to the poll that sees it returning (the final DescribeNodegroup and the "
        "module's exit add about one more round trip; see the measured lag).",
        "Durations swept every 0.1 s from 10 to 60 min; DescribeUpdate latency assumed %.1f s." % LATENCY,
        "'%d node groups at once': the DescribeUpdate rate a fleet run puts on one account and region." % FLEET,
        "Last column: a module run sends at most rate_limit requests per second (default %d), every call included; "
        "eks_nodegroup_version_batch spreads its polls over wait_delay, so it polls up to rate_limit x wait_delay "
        "updates every wait_delay; with more, each is polled less often (its result's polling.stretched)." % RATE_LIMIT,
    ]
    return [table], []


if __name__ == "__main__":
    print(run()[0][0].text())
