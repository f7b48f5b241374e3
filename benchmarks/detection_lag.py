"""Detection lag, measured: from the update turning terminal on the endpoint to the module returning.

For each short ``wait_delay`` the module upgrades a node group whose update lasts
(1 + phase) * delay seconds, for phases spread over a poll period, so the end falls between
the first and second poll at a different point each time. The module runs as a process
(``python -m`` with an args file, the module alone, as ansible-playbook's worker would run it).

  update start  = the time the endpoint logged UpdateNodegroupVersion (after processing it)
  terminal      = update start + its duration (the endpoint ends updates on that clock)
  detection     = the DescribeUpdate that saw the end (logged time) - terminal
  lag           = the module process's exit - terminal
The module sleeps ``wait_delay`` before its first DescribeUpdate and after each, so an update of
(1 + phase) * delay ends between the first and the second poll: 2 polls.
Target (one for the table, stated in its notes): detection within one poll interval; the lag to the
exit may add the return overhead, up to RETURN_ALLOWANCE.
"""

import time

from _common import FLEET, Table, median, module_args_file, module_command, module_env, timed

PHASES = (0.25, 0.5, 0.75)
RETURN_ALLOWANCE = 0.5  # seconds the final read and the exit may add before a row counts as a miss


def run(ctx):
    control = ctx.control
    delays = (1, 2) if ctx.quick else (1, 2, 3)
    phases = (0.5,) if ctx.quick else PHASES
    table = Table(
        "Detection lag on the endpoint (module process, short wait_delay)",
        ["wait_delay", "update lasts", "polls", "detection (poll after end)", "final read (poll to DescribeNodegroup)",
         "exit (DescribeNodegroup to exit)", "lag (end to exit)", "lag / wait_delay"],
    )
    failures = []
    rows = 0
    beyond = []
    for delay in delays:
        lags = []
        for phase in phases:
            duration = round((1 + phase) * delay, 3)
            control.load_fleet(FLEET)
            control.behaviour("prod", "general", update_duration=duration)
            control.clear_requests()
            args = {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31", "wait_delay": delay,
                    "region": "us-east-1", "endpoint_url": ctx.url}
            args_file = module_args_file(ctx.workdir, "lag", args)
            _wall, _cpu, done = timed(module_command(args_file), module_env())
            exited = time.time()
            if done.returncode != 0 or '"Successful"' not in done.stdout:
                failures.append("detection lag, delay %d: the module failed: %s %s" % (delay, done.stdout[-500:], done.stderr[-500:]))
                continue
            log = control.requests()
            start = [e["time"] for e in log if e["operation"] == "UpdateNodegroupVersion"][0]
            polls = [e["time"] for e in log if e["operation"] == "DescribeUpdate"]
            final = [e["time"] for e in log if e["operation"] == "DescribeNodegroup"][-1]
            terminal = start + duration
            lag = exited - terminal
            lags.append(lag)
            detection = polls[-1] - terminal
            rows += 1
            if lag > delay:
                beyond.append("%.3f s at wait_delay %d s" % (lag, delay))
            # The poll must see the end within one interval (plus this poll's own round trip); the final read
            # and the exit come on top, so the worst case is wait_delay + that overhead.
            if detection > delay + RETURN_ALLOWANCE or lag > delay + RETURN_ALLOWANCE:
                failures.append("detection lag %.2f s (to exit %.2f s) > wait_delay %d s + %.1f s (update of %.2f s)"
                                % (detection, lag, delay, RETURN_ALLOWANCE, duration))
            table.add("%d s" % delay, "%.2f s" % duration, len(polls), "%.3f s" % detection, "%.3f s" % (final - polls[-1]),
                      "%.3f s" % (exited - final), "%.3f s" % lag, "%.2f" % (lag / delay))
        if lags:
            table.add("%d s" % delay, "median", "", "", "", "", "%.3f s" % median(lags), "%.2f" % (median(lags) / delay))
    table.notes = [
        "Target: detection (the poll that sees the end) within wait_delay, and the lag to the exit within wait_delay "
        "+ %.1f s of return overhead: %s." % (
            RETURN_ALLOWANCE, "met by every row" if not failures else "MISSED by %d row(s), see the runner's output" % len(failures)),
        "Lag beyond wait_delay itself (the return overhead on top of a late end): %s." % (
            "; ".join(beyond) if beyond else "none of the %d rows" % rows),
        "The module sleeps wait_delay before each DescribeUpdate (none right after the start): an update of "
        "(1 + phase) x wait_delay ends between the first and second poll, so 2 polls.",
        "Each update ends a quarter, a half and three quarters of a period after the first poll; "
        "expected lag is (1 - phase) x wait_delay + the return overhead.",
        "Worst case, an update ending just after a poll: wait_delay + the return overhead (final DescribeNodegroup, "
        "result, interpreter exit).",
        "The endpoint logs a request after processing it, so the terminal time may be late by a few ms "
        "and the lag short by as much.",
    ]
    return [table], failures
