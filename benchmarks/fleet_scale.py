"""Scale: ONE eks_nodegroup_version_batch task (wait: true) upgrading 10, 100 and 1000 node groups, each size with
and without the endpoint's rate limit.

    .venv/bin/python benchmarks/fleet_scale.py                   # 10, 100 and 1000 node groups, about 10 minutes
    .venv/bin/python benchmarks/fleet_scale.py --quick           # 10 and 100 node groups, shorter updates
    .venv/bin/python benchmarks/fleet_scale.py --sizes 10,100 --rate 50 --json-out s.json --limit 600

Fleets are generated: N / 10 clusters of 10 node groups, each node group a Kubernetes minor behind its
cluster (1.31 on 1.32), AMI types in turn over five kinds (so five SSM release parameters), loaded through
the endpoint's Control.load_fleet. Update durations: N values evenly spread over 10-60 min, in a fixed
shuffled order, times the time factor.

Time factor 1/60 (updates of 10-60 s; --quick 1/300): 1/30, which keeps the default wait_delay of 30 s a
whole second, makes the run about 15 minutes on a 2-core machine, over its 10-minute budget. wait_delay
is 1 s, the module's minimum (30 s x 1/60 would be 0.5 s): polls are relatively twice as frequent as the
default's.

Rates are not scaled with the durations: at 1/60 the default rate_limit of 10 requests/s would be 600/s,
more than this endpoint serves on a 2-core machine (one client gets about 130 calls/s from it, idle). So
the module's rate_limit is --rate (default 50/s, 10/s x 5) and the endpoint's limit, when on, --rate/s
with a burst of 2 x --rate (as 10/s with a burst of 20, x 5). Against the updates, calls therefore weigh
60 / 5 = 12 times more than against AWS at 10/s with 10-60 min updates: the wall time over the slowest
update grows with N here far more than it would there.

Per run: calls, the most calls in any 1-second window and the throttled answers, from the endpoint's
request log (/_localeks/requests); wall time of ansible-playbook over the slowest update's duration; peak
memory (ru_maxrss of RUSAGE_CHILDREN, measured by benchmarks/_rss.py: of the module process, as the
module's interpreter, and of the whole run's largest process, around ansible-playbook); and the batch
result's own figures (its ``polling``), when it has them.
"""

import argparse
import json
import os
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import _fleet  # noqa: E402
import _procs  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

PER_CLUSTER = 10
HEADERS = ["node groups", "endpoint rate limit", "calls", "peak calls in 1 s", "throttled answers", "wall time (s)",
           "/ slowest update", "module peak RSS", "run peak RSS", "batch: polls", "batch: longest poll interval (s)",
           "batch: requests", "batch: budget waited (s)", "batch: stretched"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help="node group counts, multiples of 10 (default 10,100,1000; --quick 10,100)")
    parser.add_argument("--factor", type=float, default=None, help="time factor of the durations (default 1/60; --quick 1/300)")
    parser.add_argument("--rate", type=float, default=50.0, help="module rate_limit and endpoint limit, requests/s (default 50)")
    parser.add_argument("--wait-delay", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 and 100 node groups, durations x 1/300")
    _fleet.output_options(parser)
    args = parser.parse_args(argv)

    started, deadline = _fleet.begin(args.limit)
    factor = args.factor or (1.0 / 300 if args.quick else 1.0 / 60)
    sizes = [int(n) for n in (args.sizes or ("10,100" if args.quick else "10,100,1000")).split(",")]
    burst = 2 * args.rate
    out = _fleet.Output(args.json_out, "Fleet scale: one eks_nodegroup_version_batch task for every node group, "
                        "updates of 10-60 min x %s" % _fraction(factor), HEADERS)
    failed = []
    notes = {}
    try:
        with LocalEKS(port=0) as endpoint, tempfile.TemporaryDirectory(prefix="fleetops-scale-") as workdir:
            control = endpoint.control
            runner = _fleet.Runner(workdir, endpoint.url, deadline)
            document, targets = _fleet.generated_fleet(1, PER_CLUSTER, factor)
            control.load_fleet(document)
            accepted = runner.probe_rate_limit(targets[0][0], targets[0][1], "1.32", args.rate)
            use_rate = bool(accepted.get("eks_nodegroup_version_batch"))
            notes["rate"] = accepted
            try:
                control.set_rate_limit(args.rate, burst)
                control.clear_rate_limit()
                limits = (False, True)
            except (AttributeError, Exception) as error:  # the endpoint may not have it yet
                notes["endpoint"] = "%s: %s" % (type(error).__name__, error)
                limits = (False,)
            for size in sizes:
                document, targets = _fleet.generated_fleet(max(1, size // PER_CLUSTER), min(size, PER_CLUSTER), factor)
                slowest = max(d for c, g, d in targets)
                entries = [{"cluster_name": c, "name": g, "kubernetes_version": "1.32"} for c, g, d in targets]
                task_args = {"nodegroups": entries, "wait_delay": args.wait_delay}
                if use_rate:
                    task_args["rate_limit"] = args.rate
                for limited in limits:
                    label = "on: %g/s, burst %g" % (args.rate, burst) if limited else "none"
                    control.load_fleet(document)  # resets the endpoint, its rate limit included
                    if limited:
                        control.set_rate_limit(args.rate, burst)
                    control.clear_requests()
                    save, path = runner.save("upgraded")
                    print("running: %d node groups, endpoint rate limit %s ..." % (len(targets), label), file=sys.stderr, flush=True)
                    result = runner.run([runner.play([
                        {"name": "every node group in one task", "fleetops.eks.eks_nodegroup_version_batch": task_args,
                         "register": "upgraded", "ignore_errors": True},
                        save,
                    ])])
                    if result["timed_out"]:
                        cut = ("not finished within %.0f s" % result["limit"]) if result["limit"] > 0 else (
                            "not run: the run's limit of %.0f s was reached" % args.limit)
                        out.row(len(targets), label, cut, *[""] * (len(HEADERS) - 3))
                        failed.append(len(targets))
                        break
                    calls = _fleet.log_figures(control)
                    updates = _fleet.update_figures(control)
                    try:
                        with open(path) as handle:
                            batch = json.load(handle)
                    except (OSError, ValueError):
                        batch = {}
                    polling = batch.get("polling") or {}
                    ok = result["rc"] == 0 and not batch.get("failed") and updates["statuses"].get("Successful", 0) == len(targets)
                    if not ok:
                        failed.append(len(targets))
                        sys.stderr.write(result["stdout"][-3000:] + result["stderr"][-3000:])
                    out.row(
                        "%d%s" % (len(targets), "" if ok else " (FAILED: %s)" % str(batch.get("msg", updates["statuses"]))[:200]),
                        label, calls["calls"], calls["peak_per_second"], calls["throttled"], "%.1f" % result["wall"],
                        "%.2f" % (result["wall"] / slowest), _fleet.mib(result["module_kib"]), _fleet.mib(result["run_kib"]),
                        polling.get("polls", "-"), _num(polling.get("longest_interval")), polling.get("requests", "-"),
                        _num(polling.get("budget_waited")), {True: "yes", False: "no"}.get(polling.get("stretched"), "-"))
            _write_notes(out, args, factor, burst, notes, use_rate, limits)
    except (KeyboardInterrupt, _procs.Terminated):
        return _fleet.interrupted(out, started)
    finally:
        _procs.sweep()
    return _fleet.finished(out, failed)


def _write_notes(out, args, factor, burst, notes, use_rate, limits):
    out.note("Fleets generated: N/%d clusters of %d node groups, each a Kubernetes minor behind (1.31 on 1.32), five AMI "
             "types in turn; loaded with Control.load_fleet; one task with wait: true, wait_delay %d s." % (
                 PER_CLUSTER, PER_CLUSTER, args.wait_delay))
    out.note("Time factor %s: update durations evenly spread over 10-60 min x %s = %.0f-%.0f s (fixed shuffled order). "
             "wait_delay %d s is the module's minimum (the default 30 s x %s would be %.1f s)." % (
                 _fraction(factor), _fraction(factor), 600 * factor, 3600 * factor, args.wait_delay, _fraction(factor), 30 * factor))
    if use_rate:
        out.note("rate_limit %g requests/s passed to the module (every call of the run: EKS, SSM, EC2). Not scaled with the "
                 "durations: the default 10/s x 60 would be 600/s, more than this endpoint serves here; %g/s is 10/s x %g. "
                 "Against the updates, calls weigh %g times more than against AWS at 10/s." % (
                     args.rate, args.rate, args.rate / 10.0, round((1.0 / factor) / (args.rate / 10.0), 1)))
    else:
        out.note("rate_limit NOT passed: eks_nodegroup_version_batch does not accept it yet (%s); the module ran with its own "
                 "pacing." % notes.get("rate"))
    if True in limits:
        out.note("Endpoint rate limit 'on': %g EKS requests/s per account and region, burst %g (10/s, burst 20, x %g); a request "
                 "over it is answered ThrottlingException, not served, and counted in 'throttled answers'." % (
                     args.rate, burst, args.rate / 10.0))
    else:
        out.note("The endpoint has no rate limit yet (%s): only rows without it." % notes.get("endpoint"))
    out.note("calls, peak calls in 1 s (the most requests logged within any 1-second window), throttled answers: the endpoint's "
             "request log, every service. / slowest update: ansible-playbook's wall time over the slowest update's duration.")
    out.note("module peak RSS: ru_maxrss of RUSAGE_CHILDREN in benchmarks/_rss.py, set as the module's interpreter (the "
             "largest module process of the run); run peak RSS: the same around ansible-playbook (its largest process: "
             "controller, worker or module).")
    out.note("batch: the batch result's polling figures (polls made, longest interval between two polls of one update, "
             "requests sent, seconds requests waited for the rate budget, whether the interval stretched past wait_delay).")
    if args.quick:
        out.note("--quick: a smoke run (10 and 100 node groups, durations x %s); not figures to quote." % _fraction(factor))


def _num(value):
    return "-" if value is None else ("%.1f" % value if isinstance(value, float) else str(value))


def _fraction(factor):
    inverse = 1.0 / factor
    return "1/%d" % round(inverse) if abs(inverse - round(inverse)) < 1e-6 else "%g" % factor


if __name__ == "__main__":
    sys.exit(main())
