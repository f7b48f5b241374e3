"""Slices: the nodegroup_upgrade role over the fleetops.eks.eks_clusters inventory, as one job and as AWX job
slicing runs it (N jobs side by side, each over a slice of the inventory's hosts).

    .venv/bin/python benchmarks/fleet_slices.py                     # 1000 node groups in 100 clusters; 1, 2, 4 slices
    .venv/bin/python benchmarks/fleet_slices.py --quick             # 100 node groups in 20 clusters; 1, 2 slices
    .venv/bin/python benchmarks/fleet_slices.py --clusters 50 --slices 1,2 --json-out s.json --limit 900

The fleet is generated (benchmarks/_fleet.py): clusters of 10 node groups, each a Kubernetes minor behind its
cluster, update durations evenly spread over 10-60 min times the time factor (default 1/120: 5-30 s).

First the inventory is synced once, as AWX syncs an inventory source before its jobs run: ``ansible-inventory``
with the plugin (its rate_limit --sync-rate) writes the hosts and their variables to a YAML inventory. Each
job then reads that file, as an AWX job reads the synced inventory, not the plugin.

Then, for each slice count N, the fleet is loaded afresh and N ``ansible-playbook`` run side by side, slice i
over every N-th host from the i-th (AWX job slicing also gives each job a slice of the hosts), each with --forks
(default 10) and ``strategy: free``: the role on each cluster host upgrades its node groups that are behind,
all 10 of a cluster at once (nodegroup_upgrade_per_cluster 10), wait_delay 1 s.

Per slice count: the wall time of the slowest slice (and over the slowest update), the CPU time and peak
memory of each slice's whole process tree (ansible-playbook, its workers and the module processes it ran:
``ru_utime + ru_stime`` and ``ru_maxrss`` of RUSAGE_CHILDREN, benchmarks/_rss.py), and from the endpoint:
updates started (each node group once?), calls and the most calls in any second. The endpoint runs in this
process on the same machine, so its CPU competes with the slices': the figures show what one machine of two
CPUs does; AWX runs slices on separate execution nodes.
"""

import argparse
import collections
import json
import os
import sys
import tempfile
import threading
import time

import yaml

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.insert(0, BENCH)

import _fleet  # noqa: E402
import _procs  # noqa: E402
from localeks.ansible_env import ansible_env, tool  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

PER_CLUSTER = 10
HEADERS = ["slices", "wall time (s)", "/ slowest update", "each slice: wall (s)", "each slice: CPU (s)",
           "each slice: peak RSS", "CPU, all slices (s)", "updates started", "each node group once", "calls",
           "peak calls in 1 s"]


def write_inventory_source(workdir, url, rate):
    path = os.path.join(workdir, "fleet.eks_clusters.yml")
    with open(path, "w") as handle:
        yaml.safe_dump({"plugin": "fleetops.eks.eks_clusters", "regions": [_fleet.REGION], "endpoint_url": url,
                        "access_key": _fleet.CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        "secret_key": _fleet.CREDENTIALS["AWS_SECRET_ACCESS_KEY"], "rate_limit": rate}, handle)
    return path


def write_playbook(workdir, url, wait_delay):
    path = os.path.join(workdir, "upgrade.yml")
    with open(path, "w") as handle:
        yaml.safe_dump([{
            "name": "Upgrade every cluster's node groups that are behind",
            "hosts": "all",
            "gather_facts": False,
            "strategy": "free",
            "vars": {"ansible_python_interpreter": sys.executable},
            "module_defaults": {"group/fleetops.eks.aws": {"endpoint_url": url}},
            "roles": [{"role": "fleetops.eks.nodegroup_upgrade",
                       "vars": {"nodegroup_upgrade_per_cluster": PER_CLUSTER, "nodegroup_upgrade_wait_delay": wait_delay}}],
        }], handle, sort_keys=False)
    return path


def measured(command, workdir, name, timeout):
    """Run ``command`` under benchmarks/_rss.py: (completed or None if timed out, wall, {maxrss_kib, cpu_s})."""
    out = os.path.join(workdir, "%s-rss.json" % name)
    wrapped = [sys.executable, os.path.join(BENCH, "_rss.py"), out, "--"] + command
    env = ansible_env(_fleet.CREDENTIALS, {"AWS_REGION": None, "AWS_DEFAULT_REGION": None})
    started = time.monotonic()
    try:
        done = _procs.run(wrapped, env=env, cwd=workdir, timeout=timeout)
    except _procs.Timeout:
        done = None
    wall = time.monotonic() - started
    try:
        with open(out) as handle:
            usage = json.load(handle)
    except (OSError, ValueError):
        usage = {}
    return done, wall, usage


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=None, help="clusters of 10 node groups (default 100; --quick 10)")
    parser.add_argument("--slices", default=None, help="slice counts (default 1,2,4; --quick 1,2)")
    parser.add_argument("--forks", type=int, default=10, help="forks of each slice (default 10)")
    parser.add_argument("--factor", type=float, default=None, help="time factor of the durations (default 1/120; --quick 1/300)")
    parser.add_argument("--sync-rate", type=float, default=50.0, help="the inventory plugin's rate_limit for the sync (default 50)")
    parser.add_argument("--wait-delay", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 clusters, 1 and 2 slices, durations x 1/300")
    _fleet.output_options(parser)
    args = parser.parse_args(argv)

    started, deadline = _fleet.begin(args.limit)
    clusters = args.clusters or (10 if args.quick else 100)
    slice_counts = [int(n) for n in (args.slices or ("1,2" if args.quick else "1,2,4")).split(",")]
    factor = args.factor or (1.0 / 300 if args.quick else 1.0 / 120)
    out = _fleet.Output(args.json_out, "Fleet slices: the role over the eks_clusters inventory, %d node groups in %d clusters, "
                        "updates of 10-60 min x 1/%d" % (clusters * PER_CLUSTER, clusters, round(1 / factor)), HEADERS)
    failed = False

    def left():
        return None if deadline is None else max(1.0, deadline - time.monotonic())

    try:
        with LocalEKS(port=0) as endpoint, tempfile.TemporaryDirectory(prefix="fleetops-slices-") as workdir:
            control = endpoint.control
            document, targets = _fleet.generated_fleet(clusters, PER_CLUSTER, factor, prefix="slice")
            slowest = max(duration for dummy, dummy2, duration in targets)
            control.load_fleet(document)
            control.clear_requests()
            source = write_inventory_source(workdir, endpoint.url, args.sync_rate)
            synced = os.path.join(workdir, "synced.yml")
            print("syncing the inventory ...", file=sys.stderr, flush=True)
            done, wall, usage = measured([tool("ansible-inventory"), "-i", source, "--list", "--yaml", "--output", synced],
                                         workdir, "sync", left())
            if done is None or done.returncode != 0:
                out.note("inventory sync failed: %s" % ((done.stderr if done else "not finished")[-800:]))
                print(out.text())
                return 1
            sync_calls = _fleet.log_figures(control)
            out.note("Inventory sync (ansible-inventory with the plugin, rate_limit %g): %.1f s, %d calls, CPU %.1f s, peak RSS %s; "
                     "the jobs read its output." % (args.sync_rate, wall, sync_calls["calls"], usage.get("cpu_s", 0),
                                                    _fleet.mib(usage.get("maxrss_kib"))))
            with open(synced) as handle:
                hosts = sorted(yaml.safe_load(handle)["all"]["children"]["eks_clusters"]["hosts"])
            playbook = write_playbook(workdir, endpoint.url, args.wait_delay)
            for count in slice_counts:
                control.load_fleet(document)  # every node group behind again; the endpoint's log emptied
                control.clear_requests()
                results = [None] * count

                def one(index):
                    limit_file = os.path.join(workdir, "slice-%d-of-%d.txt" % (index + 1, count))
                    with open(limit_file, "w") as handle:
                        handle.write("\n".join(hosts[index::count]) + "\n")
                    results[index] = measured(
                        [tool("ansible-playbook"), "-i", synced, playbook, "--limit", "@" + limit_file, "--forks", str(args.forks)],
                        workdir, "slice-%d-of-%d" % (index + 1, count), left())

                print("running: %d slice(s) ..." % count, file=sys.stderr, flush=True)
                began = time.monotonic()
                threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                wall = time.monotonic() - began
                if any(done is None for done, dummy, dummy2 in results):
                    out.row(count, "not finished within the run's limit", *[""] * (len(HEADERS) - 2))
                    failed = True
                    break
                ok = all(done.returncode == 0 for done, dummy, dummy2 in results)
                if not ok:
                    failed = True
                    for done, dummy, dummy2 in results:
                        sys.stderr.write((done.stdout + done.stderr)[-3000:])
                starts = collections.Counter((entry["cluster"], entry["nodegroup"])
                                             for entry in control.requests(operation="UpdateNodegroupVersion"))
                once = len(starts) == len(targets) and set(starts.values()) == {1}
                calls = _fleet.log_figures(control)
                out.row(
                    "%d%s" % (count, "" if ok else " (a slice FAILED)"), "%.1f" % wall, "%.2f" % (wall / slowest),
                    ", ".join("%.0f" % w for dummy, w, dummy2 in results),
                    ", ".join("%.0f" % u.get("cpu_s", 0) for dummy, dummy2, u in results),
                    ", ".join(_fleet.mib(u.get("maxrss_kib")) for dummy, dummy2, u in results),
                    "%.0f" % sum(u.get("cpu_s", 0) for dummy, dummy2, u in results),
                    sum(starts.values()), "yes" if once else "NO", calls["calls"], calls["peak_per_second"])
            out.note("Fleet: %d clusters of %d node groups, each a Kubernetes minor behind (1.31 on 1.32); update durations "
                     "evenly spread over 10-60 min x 1/%d = %.0f-%.0f s; wait_delay %d s; per_cluster %d; --forks %d per slice; "
                     "strategy free; the modules' rate_limit at its default (10/s per task)." % (
                         clusters, PER_CLUSTER, round(1 / factor), 600 * factor, 3600 * factor, args.wait_delay, PER_CLUSTER,
                         args.forks))
            out.note("Slice i of N: every N-th host from the i-th (--limit @file), N ansible-playbook side by side on this "
                     "machine, the endpoint in the benchmark's own process. each slice: wall time, CPU time (user + system) "
                     "and peak RSS of its whole process tree (benchmarks/_rss.py around ansible-playbook).")
            if args.quick:
                out.note("--quick: a smoke run; not figures to quote.")
    except (KeyboardInterrupt, _procs.Terminated):
        return _fleet.interrupted(out, started)
    finally:
        _procs.sweep()
    return _fleet.finished(out, failed)


if __name__ == "__main__":
    sys.exit(main())
