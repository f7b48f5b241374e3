#!/usr/bin/env python
"""Run every benchmark against the local EKS endpoint and print the tables.

    .venv/bin/python benchmarks/run.py --markdown .tmp/bench.md    # everything (make bench), about 35 minutes
    .venv/bin/python benchmarks/run.py --quick                     # smoke run, a few minutes
    .venv/bin/python benchmarks/run.py --runs 9                    # more runs per process-cost median
    .venv/bin/python benchmarks/run.py --only api_calls,polling_model
    .venv/bin/python benchmarks/run.py --markdown out.md --json out.json

Limits: the whole run stops within --limit seconds (default 3600, 60 min), and each benchmark within its
own limit (LIMITS below; --limits name=seconds,... to change them). A benchmark cut short becomes a table
saying "not finished within N s" (with the rows it finished, for the fleet benchmarks), not a traceback.

Every command a benchmark starts runs in a session of its own and is killed with everything under it
on a timeout, an error, Ctrl-C or SIGTERM (benchmarks/_procs.py); at the end the runner kills whatever
is still under it and lists any process left carrying this run's tag (benchmarks/leftovers.py does the
same afterwards).

It installs nothing. The AWS CLI rows need ``aws`` (benchmarks/requirements.txt): it is looked for in
$AWS_CLI, .tmp/bench-awscli/bin, next to this Python, then on PATH; without it those rows are skipped.
Exit status 1 when a benchmark fails, is cut short or leaves a process behind; a call-count, lag or process-cost
target missed is stated in its table and listed at the end, and is not a failure of the run.
"""

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _procs  # noqa: E402
from _common import BENCH, ROOT, Table, Timeout, Playbooks, set_deadline  # noqa: E402
from localeks.ansible_env import link_collection  # noqa: E402

ORDER = ["api_calls", "process_cost", "import_cost", "detection_lag", "polling_model", "fleet_wall_time", "fleet_scale",
         "fleet_slices"]
# Benchmarks run as scripts of their own (they start their own endpoint); the others run in this process.
SCRIPTS = {"fleet_wall_time": "fleet_wall_time.py", "fleet_scale": "fleet_scale.py", "fleet_slices": "fleet_slices.py"}
# Seconds each benchmark may take (about twice what it takes on a 2-core machine); the whole run: OVERALL.
LIMITS = {"api_calls": 240, "process_cost": 600, "import_cost": 120, "detection_lag": 300, "polling_model": 60,
          "fleet_wall_time": 1200, "fleet_scale": 900, "fleet_slices": 1500}
OVERALL = 60 * 60
# A script gets its limit minus this, so that it cuts its own scenario short and reports its rows first.
SCRIPT_MARGIN = 30
# The table of a script interrupted by Ctrl-C or SIGTERM, with the rows it finished.
INTERRUPTED = []


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


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


def commit():
    """The commit, and whether the working tree differs from it (figures from uncommitted code say so)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30,
                              check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True,
                               timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + (" + uncommitted changes" if dirty else "")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine(load_start, load_end=None, head=None, head_end=None):
    """The facts a reader needs to compare figures."""
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
    table.add("CPU", cpu_model())
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
    table.add("commit", head or commit())
    if head_end and head_end != head:
        table.add("commit at the end (the checkout changed during the run)", head_end)
    table.add("load average at start (1, 5, 15 min)", load_start)
    table.add("load average at end (1, 5, 15 min)", load_end or "(the run has not ended)")
    return table


def status_table(name, text):
    table = Table("%s" % name, ["Status"])
    table.add(text)
    return table


def run_script(ctx, name, limit):
    """A benchmark script in its own process (and session); its table from the JSON it writes as it goes."""
    script = os.path.join(BENCH, SCRIPTS[name])
    if not os.path.exists(script):
        return [status_table(name, "not run: benchmarks/%s does not exist" % SCRIPTS[name])], []
    out = os.path.join(ctx.workdir, name + ".json")
    command = [sys.executable, script, "--json-out", out, "--limit", "%d" % max(1, limit - SCRIPT_MARGIN)]
    command += ["--quick"] if ctx.quick else []
    failures = []
    started = time.monotonic()

    def table_so_far():
        try:
            with open(out) as handle:
                data = json.load(handle)
            return Table(data["title"], data["headers"], [[str(c) for c in row] for row in data["rows"]], data.get("notes"))
        except (OSError, ValueError, KeyError, TypeError):
            return status_table(name, "no table written by benchmarks/%s" % SCRIPTS[name])

    try:
        done = _procs.run(command, cwd=ROOT, timeout=limit)
        sys.stderr.write(done.stderr[-2000:])
        if done.returncode != 0:
            failures.append("%s exited %d: %s" % (SCRIPTS[name], done.returncode, (done.stderr or done.stdout)[-800:]))
        finished = None
    except Timeout as error:
        finished = "not finished within %.0f s" % limit
        failures.append("%s: %s" % (name, finished))
        sys.stderr.write(error.stderr[-2000:])
    except BaseException:
        # Ctrl-C or SIGTERM: the script's tree is gone; keep the rows it finished.
        table = table_so_far()
        table.rows.append(["interrupted after %.0f s" % (time.monotonic() - started)] + [""] * (len(table.headers) - 1))
        INTERRUPTED.append(table)
        raise
    table = table_so_far()
    if finished:
        table.rows.append([finished] + [""] * (len(table.headers) - 1))
    table.notes.append("benchmarks/%s ran %.0f s in its own process (limit %d s)." % (SCRIPTS[name], time.monotonic() - started, limit))
    return [table], failures


def run_here(ctx, name, limit):
    """A benchmark in this process, every command it starts bounded by its limit: (tables, failures, missed targets).

    A benchmark's ``run(ctx)`` returns its tables and the targets its figures missed; a benchmark that raises or
    runs out of time is a failure, shown as a row."""
    set_deadline(time.monotonic() + limit)
    try:
        tables, missed = importlib.import_module(name).run(ctx)
        return tables, [], missed
    except Timeout:
        text = "not finished within %.0f s" % limit
        return [status_table(name, text)], ["%s: %s" % (name, text)], []
    except Exception as error:  # a benchmark's failure is a row, the others still run
        traceback.print_exc()
        text = "failed: %s: %s" % (type(error).__name__, error)
        return [status_table(name, text[:500])], ["%s %s" % (name, text[:500])], []
    finally:
        set_deadline(None)


def parse_limits(text):
    limits = dict(LIMITS)
    for item in filter(None, text.split(",")):
        name, _sep, seconds = item.partition("=")
        if name not in limits:
            raise SystemExit("--limits: unknown benchmark %r (one of %s)" % (name, ", ".join(ORDER)))
        limits[name] = float(seconds)
    return limits


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per process-cost method (median); default 5")
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(ORDER))
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer samples, smaller fleets, shorter updates")
    parser.add_argument("--markdown", help="also write the tables as Markdown to this file (what the docs' tables are pasted from)")
    parser.add_argument("--json", help="also write the tables as JSON to this file")
    parser.add_argument("--limit", type=float, default=OVERALL, help="seconds for the whole run; default %d (60 min)" % OVERALL)
    parser.add_argument("--limits", default="", help="per-benchmark limits, name=seconds,...; defaults: " +
                        ", ".join("%s=%d" % item for item in LIMITS.items()))
    options = parser.parse_args(argv)
    selected = [name for name in ORDER if not options.only or name in options.only.split(",")]
    unknown = set(filter(None, options.only.split(","))) - set(ORDER)
    if unknown:
        parser.error("--only: unknown benchmark(s) %s" % ", ".join(sorted(unknown)))
    limits = parse_limits(options.limits)
    runs = 3 if options.quick and options.runs == 5 else options.runs

    run = _procs.run_id()
    _procs.become_subreaper()
    _procs.on_termination()
    link_collection()
    from localeks.server import LocalEKS

    started = time.monotonic()
    load_start = load()
    head = commit()
    tables = [machine(load_start, head=head)]
    failures = []  # a benchmark that failed, was cut short or not run; processes left behind: exit status 1
    missed = []  # a figure that missed its target: reported in the tables and at the end, exit status 0
    interrupted = None
    where = "%s, %d CPUs" % (cpu_model(), os.cpu_count() or 0)
    print(tables[0].text() + "\n", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as workdir, LocalEKS(port=0) as endpoint:
            ctx = Context(endpoint, workdir, runs, options.quick)
            for name in selected:
                left = options.limit - (time.monotonic() - started)
                limit = min(limits[name], left)
                if limit < 5:
                    produced = [status_table(name, "not run: the whole run's limit (%.0f s) was reached" % options.limit)]
                    failures.append("%s: not run, the whole run's limit was reached" % name)
                    tables += produced
                    print(produced[0].text() + "\n", flush=True)
                    continue
                began = time.monotonic()
                before = load()
                print("... %s (limit %.0f s)" % (name, limit), file=sys.stderr, flush=True)
                if name in SCRIPTS:
                    produced, failed = run_script(ctx, name, limit)
                else:
                    produced, failed, missed_here = run_here(ctx, name, limit)
                    missed += missed_here
                note = "Machine: %s; load average %s at the start of %s and %s at its end (1, 5, 15 min); commit %s; %s took %.0f s." % (
                    where, before, name, load(), head, name, time.monotonic() - began)
                for table in produced:
                    table.notes.append(note)
                    print(table.text() + "\n", flush=True)
                tables += produced
                failures += failed
    except (KeyboardInterrupt, _procs.Terminated) as error:
        interrupted = "interrupted (%s) after %.0f s" % (type(error).__name__, time.monotonic() - started)
        failures.append(interrupted)
        for table in INTERRUPTED:
            table.notes.append("Machine: %s; commit %s; %s." % (where, head, interrupted))
            print(table.text() + "\n", flush=True)
        tables += INTERRUPTED
    finally:
        swept = _procs.sweep()
        left = _procs.leftovers(run)
    tables[0] = machine(load_start, load(), head, commit())
    print(tables[0].text() + "\n")
    print("All benchmarks: %.0f s (limit %.0f s); command: %s %s" % (
        time.monotonic() - started, options.limit, os.path.relpath(sys.executable, ROOT), " ".join(sys.argv)))
    if swept:
        print("Killed %d process(es) still running under the runner at the end." % swept)
    if left:
        failures.append("processes left behind: " + "; ".join("%d %s" % item for item in left))
    print("Processes left behind by this run (tag %s=%s): %s" % (
        _procs.TAG, run, "none" if not left else "; ".join("%d %s" % item for item in left)))
    if missed:
        print("\nTargets missed (stated in the tables):\n  " + "\n  ".join(missed))
    if failures:
        print("\nBenchmarks failed or cut short:\n  " + "\n  ".join(failures))
    if options.markdown:
        with open(options.markdown, "w") as handle:
            handle.write("\n\n".join(table.markdown() for table in tables) + "\n")
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"tables": [table.as_dict() for table in tables], "failures": failures, "missed": missed}, handle, indent=1)
    if interrupted:
        return 130
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
