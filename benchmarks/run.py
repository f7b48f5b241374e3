#!/usr/bin/env python3
"""Run every benchmark against the local EKS endpoint and print the tables.

    .venv/bin/python benchmarks/run.py                 # everything, a few minutes
    .venv/bin/python benchmarks/run.py --runs 9        # more runs per process-cost median
    .venv/bin/python benchmarks/run.py --only api_calls,polling_model
    .venv/bin/python benchmarks/run.py --markdown out.md --json out.json

It installs nothing. The AWS CLI rows need ``aws`` (benchmarks/requirements.txt): it is
looked for in $AWS_CLI, .tmp/bench-awscli/bin, next to this Python, then on PATH; without
it those rows are skipped. Exit status 1 when a call-count or lag target is missed.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import BENCH, ROOT, Table, link_collection, Playbooks  # noqa: E402

ORDER = ["api_calls", "process_cost", "import_cost", "detection_lag", "polling_model", "fleet_wall_time"]


class Context:
    def __init__(self, endpoint, workdir, runs, quick):
        self.endpoint = endpoint
        self.control = endpoint.control
        self.url = endpoint.url
        self.workdir = workdir
        self.runs = runs
        self.quick = quick
        self.playbooks = Playbooks(endpoint.url, workdir)


def _version(module):
    try:
        return __import__(module).__version__
    except Exception:  # pragma: no cover - reporting only
        return "?"


def machine():
    """The facts a reader needs to compare figures."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            memory = "%.1f GiB" % (kib / 1024.0 / 1024.0)
    except (OSError, ValueError, IndexError):
        pass
    from ansible.release import __version__ as core

    table = Table("Machine", ["What", "Value"])
    table.add("nproc", os.cpu_count())
    table.add("CPU", cpu)
    table.add("memory", memory)
    table.add("OS", "%s %s" % (platform.system(), platform.release()))
    table.add("Python", platform.python_version())
    table.add("ansible-core", core)
    table.add("boto3 / botocore", "%s / %s" % (_version("boto3"), _version("botocore")))
    table.add("moto", _version("moto"))
    try:
        from ansible_collections.amazon.aws.plugins.module_utils.common import AMAZON_AWS_COLLECTION_VERSION as amazon
    except Exception:  # pragma: no cover
        amazon = "?"
    table.add("amazon.aws", amazon)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        head = "?"
    table.add("commit", head or "?")
    table.add("load average at start", "%.2f %.2f %.2f" % os.getloadavg())
    return table


def fleet_wall_time(ctx):
    """The fleet role's wall-time benchmark, when benchmarks/fleet_wall_time.py exists.

    Hook: it is run as ``<python> benchmarks/fleet_wall_time.py`` from the repository root, in its own
    process (it starts what it needs), with a 10-minute bound; its output is shown as it is.
    If it prints one JSON object ``{"title", "headers", "rows", "notes"}`` on its last line, that becomes a table.
    """
    script = os.path.join(BENCH, "fleet_wall_time.py")
    if not os.path.exists(script):
        table = Table("Fleet wall time", ["Status"])
        table.add("not run: benchmarks/fleet_wall_time.py does not exist yet (the runner calls it when it does)")
        return [table], []
    command = [sys.executable, script] + (["--quick"] if ctx.quick else [])
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
        table = Table(data["title"], data["headers"], [[str(c) for c in row] for row in data["rows"]], data.get("notes"))
    except (IndexError, ValueError, KeyError, TypeError):
        table = Table("Fleet wall time (benchmarks/fleet_wall_time.py output)", ["Output"])
        for line in lines[-40:]:
            table.add(line)
    table.notes.append("benchmarks/fleet_wall_time.py exited %d after %.0f s." % (done.returncode, time.monotonic() - started))
    failures = [] if done.returncode == 0 else ["fleet_wall_time.py exited %d: %s" % (done.returncode, done.stderr[-500:])]
    return [table], failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per process-cost method (median); default 5")
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(ORDER))
    parser.add_argument("--quick", action="store_true", help="fewer lag samples and 3 runs per method: a smoke run")
    parser.add_argument("--markdown", help="also write the tables as Markdown to this file")
    parser.add_argument("--json", help="also write the tables as JSON to this file")
    options = parser.parse_args(argv)
    selected = [name for name in ORDER if not options.only or name in options.only.split(",")]
    runs = 3 if options.quick and options.runs == 5 else options.runs

    link_collection()
    import importlib

    from localeks.server import LocalEKS

    started = time.monotonic()
    tables = [machine()]
    failures = []
    print(tables[0].text() + "\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as workdir, LocalEKS(port=0) as endpoint:
        ctx = Context(endpoint, workdir, runs, options.quick)
        for name in selected:
            began = time.monotonic()
            print("... %s" % name, file=sys.stderr, flush=True)
            if name == "fleet_wall_time":
                produced, failed = fleet_wall_time(ctx)
            else:
                produced, failed = importlib.import_module(name).run(ctx)
            for table in produced:
                table.notes.append("(%s: %.0f s)" % (name, time.monotonic() - began))
                print(table.text() + "\n", flush=True)
            tables += produced
            failures += failed
    print("All benchmarks: %.0f s; command: %s %s" % (time.monotonic() - started, os.path.relpath(sys.executable, ROOT), " ".join(sys.argv)))
    if failures:
        print("\nTargets missed:\n  " + "\n  ".join(failures))
    if options.markdown:
        with open(options.markdown, "w") as handle:
            handle.write("\n\n".join(table.markdown() for table in tables) + "\n")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"tables": [table.as_dict() for table in tables], "failures": failures}, handle, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
