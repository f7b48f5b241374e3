"""What the fleet benchmarks (fleet_wall_time.py, fleet_scale.py) share.

Fleets with an update duration per node group, one-play playbooks against the local endpoint, runs of
ansible-playbook in their own session (``_procs.run``) with peak memory recorded by ``_rss.py``, probing
whether the modules take ``rate_limit`` yet, figures from the endpoint's request log and update list,
and the table as JSON (rewritten after every row, so a run cut short still leaves its rows).
"""

import json
import os
import random
import sys
import time

import yaml

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
for path in (ROOT, BENCH):
    if path not in sys.path:
        sys.path.insert(0, path)

import _procs  # noqa: E402
from localeks.ansible_env import ansible_env, link_collection, tool  # noqa: E402

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MODULES = ("eks_nodegroup_version", "eks_nodegroup_version_batch", "eks_nodegroup_version_info")
THROTTLING_CODES = ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded")
AMI_TYPES = ("AL2_x86_64", "BOTTLEROCKET_x86_64", "AL2023_x86_64_NVIDIA", "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD")
# Real node group updates last 10 to 60 minutes.
SHORTEST, LONGEST = 600.0, 3600.0


def output_options(parser, cut="a run cut short is a row"):
    """The options every fleet benchmark script takes from benchmarks/run.py: --json-out and --limit."""
    parser.add_argument("--json-out", help="write the table as JSON here, after every row")
    parser.add_argument("--limit", type=float, default=None, help="seconds for the whole run; %s" % cut)


def begin(limit):
    """A fleet benchmark script's start: its run tag, its orphans reaped by it, SIGTERM unwinding as Ctrl-C does,
    the collection linked. Returns (started, deadline or None) on the monotonic clock."""
    _procs.run_id()
    _procs.become_subreaper()
    _procs.on_termination()
    link_collection()
    started = time.monotonic()
    return started, (started + limit if limit else None)


def interrupted(out, started):
    """A script's end on Ctrl-C or SIGTERM: the rows it finished, and exit status 130."""
    out.note("interrupted after %.0f s" % (time.monotonic() - started))
    _procs.sweep()
    print(out.text())
    return 130


def finished(out, failed):
    """A script's end: its table, as text and as JSON on the last line (benchmarks/run.py reads it); 1 if ``failed``."""
    print(out.text())
    print(json.dumps(out.data))
    return 1 if failed else 0


def spread_durations(count, factor, seed=20250403):
    """``count`` durations evenly spread over 10-60 min (both ends included) x ``factor``, in a fixed shuffled order."""
    if count == 1:
        values = [LONGEST * factor]
    else:
        values = [round((SHORTEST + (LONGEST - SHORTEST) * i / (count - 1)) * factor, 3) for i in range(count)]
    random.Random(seed).shuffle(values)
    return values


def generated_fleet(clusters, per_cluster, factor, prefix="scale"):
    """``clusters`` x ``per_cluster`` node groups, each a Kubernetes minor behind its cluster (1.31 on 1.32), AMI
    types in turn, and durations from ``spread_durations``. Returns (document, [(cluster, node group, duration)])."""
    times = spread_durations(clusters * per_cluster, factor)
    document = {"region": REGION, "clusters": []}
    targets = []
    for c in range(clusters):
        cluster = "%s-%03d" % (prefix, c + 1)
        groups = []
        for g in range(per_cluster):
            index = c * per_cluster + g
            name = "ng-%02d" % (g + 1)
            groups.append({"name": name, "version": "1.31", "ami_type": AMI_TYPES[index % len(AMI_TYPES)],
                           "update_duration": times[index]})
            targets.append((cluster, name, times[index]))
        document["clusters"].append({"name": cluster, "version": "1.32", "nodegroups": groups})
    return document, targets


def with_durations(path, factor, count=None):
    """A fleet file with the durations of ``spread_durations`` set per node group (the first ``count`` node groups
    of each cluster, all by default). Returns (document, [(cluster, node group, duration)])."""
    with open(path) as handle:
        document = yaml.safe_load(handle)
    document = dict(document)
    document.pop("defaults", None)
    clusters = []
    for cluster in document["clusters"]:
        clusters.append(dict(cluster, nodegroups=[dict(group) for group in cluster["nodegroups"][:count]]))
    document["clusters"] = clusters
    total = sum(len(cluster["nodegroups"]) for cluster in clusters)
    times = iter(spread_durations(total, factor))
    targets = []
    for cluster in clusters:
        for group in cluster["nodegroups"]:
            group["update_duration"] = next(times)
            targets.append((cluster["name"], group["name"], group["update_duration"]))
    return document, targets


class Runner:
    """Writes and runs playbooks against the endpoint at ``url``; every run in its own session, bounded in time."""

    def __init__(self, workdir, url, deadline=None):
        self.workdir = workdir
        self.url = url
        self.deadline = deadline
        self.module_defaults = {"region": REGION, "endpoint_url": url}
        self.count = 0
        # The module interpreter: _rss.py around this Python, one line per module process.
        self.module_rss = os.path.join(workdir, "module-rss.jsonl")
        self.interpreter = os.path.join(workdir, "python-rss")
        with open(self.interpreter, "w") as handle:
            handle.write('#!/bin/sh\nexec "%s" "%s" --append "%s" -- "%s" "$@"\n' % (
                sys.executable, os.path.join(BENCH, "_rss.py"), self.module_rss, sys.executable))
        os.chmod(self.interpreter, 0o755)

    def play(self, tasks, hosts="localhost", name="bench", **extra):
        found = {
            "name": name,
            "hosts": hosts,
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": self.interpreter},
            "module_defaults": {"group/fleetops.eks.aws": dict(self.module_defaults)},
            "tasks": tasks,
        }
        found.update(extra)
        return found

    def save(self, register):
        """A task writing the registered result to a file; returns (task, path)."""
        self.count += 1
        path = os.path.join(self.workdir, "result-%d.json" % self.count)
        return {"name": "save the result", "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % register, "dest": path},
                "check_mode": False}, path

    def run(self, plays, forks=5, timeout=None):
        """Run ``plays``; a dict: wall, rc, stdout, stderr, run_kib (largest process of the run), module_kib
        (largest module process), timed_out, limit."""
        self.count += 1
        path = os.path.join(self.workdir, "playbook-%d.yml" % self.count)
        with open(path, "w") as handle:
            yaml.safe_dump(plays, handle, sort_keys=False)
        run_rss = os.path.join(self.workdir, "run-rss-%d.json" % self.count)
        if os.path.exists(self.module_rss):
            os.remove(self.module_rss)
        command = [sys.executable, os.path.join(BENCH, "_rss.py"), run_rss, "--",
                   tool("ansible-playbook"), "-i", "localhost,", path]
        env = ansible_env(CREDENTIALS, {"ANSIBLE_FORKS": str(forks)})
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            timeout = left if timeout is None else min(timeout, left)
            if timeout <= 0:
                return {"wall": 0.0, "rc": None, "stdout": "", "stderr": "", "run_kib": None, "module_kib": None,
                        "timed_out": True, "limit": 0}
        started = time.monotonic()
        out = {"timed_out": False, "limit": timeout}
        try:
            done = _procs.run(command, env=env, cwd=self.workdir, timeout=timeout)
            out.update(rc=done.returncode, stdout=done.stdout, stderr=done.stderr)
        except _procs.Timeout as error:
            out.update(rc=None, stdout=error.stdout, stderr=error.stderr, timed_out=True)
        out["wall"] = time.monotonic() - started
        out["run_kib"] = out["module_kib"] = None
        try:
            with open(run_rss) as handle:
                out["run_kib"] = json.load(handle)["maxrss_kib"]
        except (OSError, ValueError, KeyError):
            pass
        try:
            with open(self.module_rss) as handle:
                out["module_kib"] = max(json.loads(line)["maxrss_kib"] for line in handle if line.strip())
        except (OSError, ValueError, KeyError):
            pass
        return out

    def probe_rate_limit(self, cluster, nodegroup, version, rate):
        """Which of the three modules accept ``rate_limit`` (check mode, reads only): {module: True/False/None}."""
        args = {
            "eks_nodegroup_version_info": {"cluster_names": [cluster], "rate_limit": rate},
            "eks_nodegroup_version_batch": {"nodegroups": [{"cluster_name": cluster, "name": nodegroup, "kubernetes_version": version}],
                                            "rate_limit": rate},
            "eks_nodegroup_version": {"cluster_name": cluster, "name": nodegroup, "kubernetes_version": version, "rate_limit": rate},
        }
        tasks, paths = [], {}
        for module in MODULES:
            tasks.append({"name": module, "fleetops.eks." + module: args[module], "register": "probe", "check_mode": True,
                          "ignore_errors": True})
            save, paths[module] = self.save("probe")
            tasks.append(save)
        self.run([self.play(tasks)], timeout=120)
        found = {}
        for module, path in paths.items():
            try:
                with open(path) as handle:
                    result = json.load(handle)
            except (OSError, ValueError):
                found[module] = None
                continue
            found[module] = "Unsupported parameters" not in str(result.get("msg", ""))
        return found


def log_figures(control, started_after=None):
    """Figures from the request log: calls, the most in any 1-second window, throttled answers, by operation."""
    log = control.requests()
    times = sorted(entry["time"] for entry in log)
    peak, first = 0, 0
    for last, now in enumerate(times):
        while now - times[first] >= 1.0:
            first += 1
        peak = max(peak, last - first + 1)
    throttled = sum(1 for entry in log if entry.get("throttled") or entry.get("error_code") in THROTTLING_CODES)
    operations = {}
    for entry in log:
        operations[entry["operation"]] = operations.get(entry["operation"], 0) + 1
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {"calls": len(log), "peak_per_second": peak, "throttled": throttled, "operations": operations, "span": span}


def update_figures(control):
    """From the endpoint's updates: how many, how they ended, first to last start, the most in progress at once."""
    updates = control.updates()
    starts = sorted(update["started"] for update in updates if update.get("started") is not None)
    events = []
    for update in updates:
        if update.get("started") is None:
            continue
        events.append((update["started"], 1))
        events.append((update["ended"] if update.get("ended") is not None else float("inf"), -1))
    running = peak = 0
    for dummy, step in sorted(events, key=lambda item: (item[0], item[1])):
        running += step
        peak = max(peak, running)
    statuses = {}
    for update in updates:
        statuses[update.get("status")] = statuses.get(update.get("status"), 0) + 1
    return {"updates": len(updates), "statuses": statuses, "start_spread": (starts[-1] - starts[0]) if starts else None,
            "most_at_once": peak, "starts": starts}


def mib(kib):
    return "-" if kib is None else "%.0f MiB" % (kib / 1024.0)


class Output:
    """The table as JSON ({"title", "headers", "rows", "notes"}), written to ``path`` after every change."""

    def __init__(self, path, title, headers):
        self.path = path
        self.data = {"title": title, "headers": list(headers), "rows": [], "notes": []}

    def row(self, *cells):
        self.data["rows"].append([str(cell) for cell in cells])
        self.write()

    def note(self, text):
        self.data["notes"].append(text)
        self.write()

    def write(self):
        if self.path:
            temporary = self.path + ".tmp"
            with open(temporary, "w") as handle:
                json.dump(self.data, handle, indent=1)
            os.replace(temporary, self.path)

    def text(self):
        headers, rows = self.data["headers"], self.data["rows"]
        widths = [max(len(row[i]) for row in [headers] + rows) for i in range(len(headers))]

        def line(row):
            return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

        out = [self.data["title"], line(headers), line(["-" * w for w in widths])] + [line(row) for row in rows]
        return "\n".join(out + ["  * " + note for note in self.data["notes"]])
