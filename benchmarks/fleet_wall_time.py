"""Wall time of upgrading a fleet of 50 node groups, with update durations of 10-60 min scaled down.

    .venv/bin/python benchmarks/fleet_wall_time.py                 # the scenarios below, about 10 minutes
    .venv/bin/python benchmarks/fleet_wall_time.py --serial 3      # the serial loop timed on 3 node groups
    .venv/bin/python benchmarks/fleet_wall_time.py --all-at-once   # also the role with everything in one batch
    .venv/bin/python benchmarks/fleet_wall_time.py --quick         # smoke run: 10 node groups, shorter updates
    .venv/bin/python benchmarks/fleet_wall_time.py --json-out t.json --limit 900

The fleet is localeks/fleets/fifty.yml's (5 clusters x 10 node groups, each a Kubernetes minor behind its
cluster), each node group's update lasting its own duration: 50 durations evenly spread over 10-60 min,
in a fixed shuffled order, times the time factor (1/30: 20-120 s). wait_delay is the default 30 s times
the same factor (1 s), and, when the modules take it, rate_limit the default 10 requests/s divided by
it (300/s; the option's maximum is 1000). wait_timeout stays at its default (a bound, not a pace).

Scenarios (every one starts from the fleet seeded afresh):
  empty playbook            ansible-playbook's start-up: the fixed cost of any run
  batch module              one eks_nodegroup_version_batch task naming all 50, wait: true
  wait: false loop, then    a loop of eks_nodegroup_version with wait: false (starts every update), then
    waiting loop            the same loop with wait: true (follows each in turn)
  role, defaults            the nodegroup_upgrade role from the report, with its defaults (max_parallel 10,
                            per_cluster 1: one node group per cluster at a time; 10 batches of 5 here) and
                            wait_delay scaled; timed on its first --role-batches batches, extrapolated
  role, all at once         only with --all-at-once: the role with max_parallel 50 and per_cluster 50 (not
                            its defaults: every update in one batch)
  serial loop               a loop of eks_nodegroup_version with wait: true; timed on --serial node groups,
                            extrapolated

Extrapolation (stated in the table's notes): the sample's time beyond ansible-playbook's start-up and
beyond the updates it waited for (the slowest of each batch, or each update of the serial loop) is
taken per batch or per node group, and added to the updates of the whole fleet.

Starts the local EKS endpoint in this process. Not a test: it prints figures, and asserts nothing.
The table is also printed as one JSON line at the end, and written to --json-out after every row.
"""

import argparse
import os
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import yaml  # noqa: E402

import _fleet  # noqa: E402
import _procs  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

DEFAULT_WAIT_DELAY = 30  # the modules' and the role's default
DEFAULT_RATE_LIMIT = 10.0  # the modules' default, requests per second
ROLE_DEFAULTS = os.path.join(ROOT, "roles", "nodegroup_upgrade", "defaults", "main.yml")

HEADERS = ["scenario", "node groups run", "wall time (s)", "for all node groups (s)", "/ slowest update",
           "/ batch module", "API calls", "updates started", "first to last start (s)", "most in progress at once"]


def role_batches(targets, max_parallel, per_cluster):
    """The role's cut into batches (roles/nodegroup_upgrade/tasks/main.yml), on (cluster, node group, duration)."""
    remaining, batches = list(targets), []
    while remaining:
        taken, left = [], []
        for target in remaining:
            if len(taken) < max_parallel and sum(1 for t in taken if t[0] == target[0]) < per_cluster:
                taken.append(target)
            else:
                left.append(target)
        batches.append(taken)
        remaining = left
    return batches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", default=os.path.join(ROOT, "localeks", "fleets", "fifty.yml"))
    parser.add_argument("--factor", type=float, default=None,
                        help="time factor for durations, wait_delay and rate_limit (default 1/30; --quick 1/300)")
    parser.add_argument("--serial", type=int, default=None, help="node groups the serial loop is timed on (default 2, --quick 1)")
    parser.add_argument("--role-batches", type=int, default=None, help="batches the role with its defaults is timed on (default 1)")
    parser.add_argument("--all-at-once", action="store_true",
                        help="also the role with max_parallel and per_cluster = every node group (not its defaults)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 node groups per cluster, durations x 1/300")
    _fleet.output_options(parser, cut="a scenario cut short is a row")
    args = parser.parse_args(argv)

    started, deadline = _fleet.begin(args.limit)
    factor = args.factor or (1.0 / 300 if args.quick else 1.0 / 30)
    per_cluster = 2 if args.quick else None
    serial = args.serial if args.serial is not None else (1 if args.quick else 2)
    sample_batches = args.role_batches or 1
    wait_delay = max(1, int(round(DEFAULT_WAIT_DELAY * factor)))
    rate = min(DEFAULT_RATE_LIMIT / factor, 1000.0)
    with open(ROLE_DEFAULTS) as handle:
        role_defaults = yaml.safe_load(handle)
    max_parallel = int(role_defaults["nodegroup_upgrade_max_parallel"])
    per_cluster_default = int(role_defaults["nodegroup_upgrade_per_cluster"])

    document, targets = _fleet.with_durations(args.fleet, factor, per_cluster)
    durations = dict(((c, g), d) for c, g, d in targets)
    total = len(targets)
    clusters = [cluster["name"] for cluster in document["clusters"]]
    slowest = max(d for c, g, d in targets)
    version = document["clusters"][0]["version"]
    batches = role_batches(targets, max_parallel, per_cluster_default)
    sample_batches = min(sample_batches, len(batches))
    serial = min(serial, total)

    out = _fleet.Output(args.json_out, "Fleet wall time: %d node groups in %d clusters, updates of 10-60 min x %s" % (
        total, len(clusters), _fraction(factor)), HEADERS)
    rows = {}
    cut = []
    try:
        with LocalEKS(port=0) as endpoint, tempfile.TemporaryDirectory(prefix="fleetops-fleet-") as workdir:
            control = endpoint.control
            runner = _fleet.Runner(workdir, endpoint.url, deadline)
            control.load_fleet(document)
            accepted = runner.probe_rate_limit(targets[0][0], targets[0][1], version, rate)
            rate_arg = {"rate_limit": rate} if all(accepted.values()) else {}
            if rate_arg:
                runner.module_defaults["rate_limit"] = rate
            entries = [{"cluster_name": c, "name": g, "kubernetes_version": version} for c, g, d in targets]
            loop_item = {"cluster_name": "{{ item.cluster_name }}", "name": "{{ item.name }}",
                         "kubernetes_version": "{{ item.kubernetes_version }}"}

            def scenario(name, plays, run_targets, forks=5):
                control.load_fleet(document)
                control.clear_requests()
                print("running: %s (%d node groups) ..." % (name, len(run_targets)), file=sys.stderr, flush=True)
                result = runner.run(plays, forks=forks)
                if result["timed_out"]:
                    cut.append(name)
                    out.row(name, len(run_targets), _cut_short(result["limit"], args.limit), "", "", "", "", "", "", "")
                    return None
                calls = _fleet.log_figures(control)
                updates = _fleet.update_figures(control)
                failed = result["rc"] != 0 or updates["statuses"].get("Successful", 0) != len(run_targets)
                rows[name] = dict(result, calls=calls, updates=updates, groups=len(run_targets), failed=failed)
                if failed:
                    sys.stderr.write(result["stdout"][-3000:] + result["stderr"][-3000:])
                return rows[name]

            def add(name, extrapolated=None, how=""):
                row = rows.get(name)
                if row is None:
                    return
                if row["failed"]:
                    extrapolated = None  # a failed run says nothing about the fleet
                whole = extrapolated if extrapolated is not None else row["wall"]
                batch = rows.get("batch module")
                spread = row["updates"]["start_spread"]
                out.row(
                    name + (" (FAILED: rc %s, %s)" % (row["rc"], row["updates"]["statuses"]) if row["failed"] else ""),
                    row["groups"], "%.1f" % row["wall"],
                    ("%.0f (extrapolated%s)" % (whole, how)) if extrapolated is not None else "%.1f" % whole,
                    "%.2f" % (whole / slowest) if row["groups"] and not row["failed"] else "-",
                    "%.2f" % (whole / batch["wall"]) if batch and row["groups"] and not row["failed"] else "-",
                    row["calls"]["calls"], row["updates"]["updates"],
                    "-" if spread is None else "%.1f" % spread, row["updates"]["most_at_once"])

            empty = [runner.play([{"name": "nothing", "ansible.builtin.meta": "noop"}])]
            runner.run(empty, timeout=120)  # a warm-up: the first run of all reads everything from disk
            scenario("empty playbook", empty, [])
            add("empty playbook")
            fixed = rows["empty playbook"]["wall"] if "empty playbook" in rows else 0.0

            batch_args = dict({"nodegroups": entries, "wait_delay": wait_delay}, **rate_arg)
            scenario("batch module", [runner.play([{"name": "every node group in one task",
                                                    "fleetops.eks.eks_nodegroup_version_batch": batch_args}])], targets)
            add("batch module")

            scenario("wait: false loop, then waiting loop", [runner.play([
                {"name": "start every update", "fleetops.eks.eks_nodegroup_version": dict(loop_item, wait=False, **rate_arg),
                 "loop": entries},
                {"name": "follow each update", "fleetops.eks.eks_nodegroup_version": dict(loop_item, wait_delay=wait_delay, **rate_arg),
                 "loop": entries},
            ])], targets)
            add("wait: false loop, then waiting loop")

            # The role with its defaults, on its first batches; wait_delay scaled like everything else.
            sample = [t for batch in batches[:sample_batches] for t in batch]
            # Its time-related defaults scaled like the modules' (wait_delay; rate_limit when the role has it).
            role_vars = {"nodegroup_upgrade_from_report": True, "nodegroup_upgrade_wait_delay": wait_delay}
            if rate_arg and "nodegroup_upgrade_rate_limit" in role_defaults:
                role_vars["nodegroup_upgrade_rate_limit"] = rate
            if sample_batches < len(batches):
                role_vars["nodegroup_upgrade_nodegroups"] = sorted(set(g for c, g, d in sample))
            name = "role, defaults"
            scenario(name, [runner.play([{"name": "upgrade the fleet", "ansible.builtin.include_role": {"name": "fleetops.eks.nodegroup_upgrade"},
                                          "vars": role_vars}])], sample)
            role_note = None
            if name in rows and rows[name]["failed"]:
                add(name)
            elif name in rows:
                sample_max = sum(max(t[2] for t in batch) for batch in batches[:sample_batches])
                all_max = sum(max(t[2] for t in batch) for batch in batches)
                per_batch = (rows[name]["wall"] - fixed - sample_max) / sample_batches
                if sample_batches < len(batches):
                    add(name, fixed + all_max + per_batch * len(batches), " from %d of %d batches" % (sample_batches, len(batches)))
                    role_note = (
                        "role, defaults: %d node groups in %d batches of at most %d (max_parallel %d, per_cluster %d); timed on the "
                        "first %d batch(es) (%d node groups); extrapolated = start-up (%.1f s, the empty playbook) + the slowest "
                        "update of each of the %d batches (%.0f s in all) + %d x the sample's time per batch beyond those (%.1f s; it "
                        "includes the report, so this leans high)." % (
                            total, len(batches), max(len(b) for b in batches), max_parallel, per_cluster_default,
                            sample_batches, len(sample), fixed, len(batches), all_max, len(batches), per_batch))
                    started_set = set((e["cluster"], e["nodegroup"]) for e in control.requests(operation="UpdateNodegroupVersion"))
                    if started_set != set((c, g) for c, g, d in sample):
                        role_note += " The updates the sample started differ from the batches modelled: read the figure with care."
                else:
                    add(name)

            if args.all_at_once:
                scenario("role, all at once", [runner.play([{
                    "name": "upgrade the fleet", "ansible.builtin.include_role": {"name": "fleetops.eks.nodegroup_upgrade"},
                    "vars": {"nodegroup_upgrade_from_report": True, "nodegroup_upgrade_max_parallel": total,
                             "nodegroup_upgrade_per_cluster": total, "nodegroup_upgrade_wait_delay": wait_delay,
                             **({"nodegroup_upgrade_rate_limit": rate} if "nodegroup_upgrade_rate_limit" in role_vars else {})}}])],
                         targets)
                add("role, all at once")

            serial_note = None
            if serial:
                name = "serial loop"
                scenario(name, [runner.play([{
                    "name": "one node group after the other",
                    "fleetops.eks.eks_nodegroup_version": dict(loop_item, wait_delay=wait_delay, **rate_arg),
                    "loop": entries[:serial]}])], targets[:serial])
                if name in rows and serial < total and not rows[name]["failed"]:
                    waited = sum(d for c, g, d in targets[:serial])
                    per_item = (rows[name]["wall"] - fixed - waited) / serial
                    add(name, fixed + sum(d for c, g, d in targets) + per_item * total, " from %d of %d" % (serial, total))
                    serial_note = (
                        "serial loop: timed on the first %d node group(s) (updates of %s s); extrapolated = start-up (%.1f s) + every "
                        "update's duration (%.0f s in all) + %d x the sample's time per node group beyond its update (%.1f s)." % (
                            serial, ", ".join("%.0f" % d for c, g, d in targets[:serial]), fixed,
                            sum(d for c, g, d in targets), total, per_item))
                elif name in rows:
                    add(name)

        out.note("Fleet: %s's layout, %d node groups in %d clusters, each a Kubernetes minor behind (target %s); every scenario "
                 "starts from it seeded afresh." % (os.path.relpath(args.fleet, ROOT), total, len(clusters), version))
        out.note("Time factor %s: update durations evenly spread over 10-60 min x %s = %.0f-%.0f s (fixed shuffled order); "
                 "wait_delay %d s (the default 30 s x %s%s); wait_timeout at its default. Slowest update: %.0f s." % (
                     _fraction(factor), _fraction(factor), min(d for c, g, d in targets), slowest, wait_delay, _fraction(factor),
                     "" if wait_delay == DEFAULT_WAIT_DELAY * factor else ", raised to the module's minimum of 1 s", slowest))
        if rate_arg:
            out.note("rate_limit %g requests/s on every module%s (the default 10/s / %s%s). The role keeps its other "
                     "defaults." % (
                         rate, " and the role's nodegroup_upgrade_rate_limit" if "nodegroup_upgrade_rate_limit" in role_defaults else "",
                         _fraction(factor), ", capped at the option's maximum" if rate < DEFAULT_RATE_LIMIT / factor else ""))
        else:
            out.note("rate_limit not passed: not every module accepts it yet (%s); the modules ran with whatever pacing they have." % (
                ", ".join("%s %s" % (m, {True: "yes", False: "no", None: "?"}[v]) for m, v in sorted(accepted.items()))))
        out.note("/ slowest update: the wall time for all node groups over the slowest update's duration (no run can be shorter); "
                 "/ batch module: over the batch module's wall time. API calls: every call in the endpoint's request log.")
        for note in (role_note, serial_note):
            if note:
                out.note(note)
        if args.quick:
            out.note("--quick: a smoke run (10 node groups, durations x 1/300); not figures to quote.")
    except (KeyboardInterrupt, _procs.Terminated):
        return _fleet.interrupted(out, started)
    finally:
        _procs.sweep()
    return _fleet.finished(out, cut or any(row["failed"] for row in rows.values()))


def _cut_short(limit, whole):
    if limit and limit > 0:
        return "not finished within %.0f s" % limit
    return "not run: the run's limit of %.0f s was reached" % whole


def _fraction(factor):
    inverse = 1.0 / factor
    return "1/%d" % round(inverse) if abs(inverse - round(inverse)) < 1e-6 else "%g" % factor


if __name__ == "__main__":
    sys.exit(main())
