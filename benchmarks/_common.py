"""Shared pieces of the benchmarks: the local EKS endpoint, the fleet they seed, running
the module (as a playbook, as its AnsiballZ payload, as ``python -m``), timing and tables.

Everything here runs against ``localeks`` on 127.0.0.1; nothing reaches AWS.
"""

import glob
import json
import os
import resource
import shutil
import statistics
import sys
import time

import yaml

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import _procs  # noqa: E402
from _procs import Timeout  # noqa: E402,F401
from localeks.ansible_env import COLLECTIONS, ansible_env, tool  # noqa: E402

MODULE = "fleetops.eks.eks_nodegroup_version"
MODULE_IMPORT = "ansible_collections.fleetops.eks.plugins.modules.eks_nodegroup_version"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAFLEETOPSBENCH001", "AWS_SECRET_ACCESS_KEY": "fleetops-bench-secret"}

LATEST_131 = "1.31.7-20250403"
OLDEST_131 = "1.31.0-20241024"

# One cluster, one node group per starting point. Every scenario reseeds it.
FLEET = {
    "region": REGION,
    "defaults": {"update_duration": 2.5},
    "launch_templates": [{"name": "web-nodes", "versions": 3, "default_version": 1}],
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                # a Kubernetes minor behind its cluster
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                # right minor, oldest release
                {"name": "old", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": OLDEST_131},
                # nothing to do for version or release
                {"name": "current", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131},
                # launch template version 1 of 3
                {"name": "web", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131,
                 "launch_template": {"name": "web-nodes", "version": 1}},
                # already on the template's latest version
                {"name": "web-current", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131,
                 "launch_template": {"name": "web-nodes", "version": 3}},
            ],
        }
    ],
}


def base_env(extra=None):
    """The environment every measured process gets: credentials, no AWS config files, no IMDS."""
    # PYTHONDONTWRITEBYTECODE would make every run recompile the checkout's files, as no installed collection does.
    env = ansible_env(CREDENTIALS, dict(
        PYTHONPATH=None,
        PYTHONDONTWRITEBYTECODE=None,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    ))
    env.update(extra or {})
    return env


# The benchmark's own limit, set by run.py: a monotonic time no command may run past.
_deadline = [None]


def set_deadline(at):
    """Every command run through ``command()`` from now on ends by ``at`` (time.monotonic()), or None."""
    _deadline[0] = at


def command(cmd, env=None, cwd=None, timeout=300, stdin=None):
    """Run ``cmd`` in its own session (``_procs.run``), within ``timeout`` and the benchmark's limit.

    Raises ``Timeout`` (its tree killed) when either runs out.
    """
    if _deadline[0] is not None:
        left = _deadline[0] - time.monotonic()
        if left <= 0:
            raise Timeout(cmd, 0)
        timeout = left if timeout is None else min(timeout, left)
    return _procs.run(cmd, env=env, cwd=cwd or ROOT, timeout=timeout, input=stdin)


def timed(cmd, env, cwd=None, timeout=300, stdin=None):
    """Run a command; return (wall seconds, child CPU seconds, CompletedProcess)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = command(cmd, env=env, cwd=cwd, timeout=timeout, stdin=stdin)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


class Playbooks:
    """Writes and runs one-task playbooks on localhost against the endpoint."""

    def __init__(self, endpoint_url, workdir):
        self.endpoint_url = endpoint_url
        self.workdir = workdir
        self.count = 0

    def write(self, module, args, check=False, save=True):
        self.count += 1
        defaults = {"region": REGION, "endpoint_url": self.endpoint_url}
        task = {"name": "measured", module: args, "register": "result"}
        if check:
            task["check_mode"] = True
        tasks = [task]
        out = os.path.join(self.workdir, "result-%d.json" % self.count)
        if save:
            tasks.append({"name": "save", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out},
                          "check_mode": False})
        play = {
            "name": "bench",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            # group/aws is ansible-core's group of amazon.aws and community.aws modules
            "module_defaults": {"group/fleetops.eks.aws": defaults, "group/aws": defaults},
            "tasks": tasks,
        }
        path = os.path.join(self.workdir, "playbook-%d.yml" % self.count)
        with open(path, "w") as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        return path, out

    def command(self, path):
        return [tool("ansible-playbook"), "-i", "localhost,", path]

    def run(self, module, args, check=False, env=None):
        """Run the module once through ansible-playbook; return (result dict, wall, cpu)."""
        path, out = self.write(module, args, check=check)
        wall, cpu, done = timed(self.command(path), base_env(env), cwd=self.workdir)
        if not os.path.exists(out):
            raise RuntimeError("playbook did not run its task:\n%s\n%s" % (done.stdout[-3000:], done.stderr[-3000:]))
        with open(out) as handle:
            return json.load(handle), wall, cpu

    def ansiballz(self, module, args, name, env=None):
        """Run the module once through ansible-playbook keeping its AnsiballZ payload; return the payload's path.

        The payload is the self-contained script ansible-playbook runs on the managed host, with the task's
        arguments baked in: running it again is the module process alone, without the controller.
        """
        keep = os.path.join(self.workdir, "ansiballz-" + name)
        shutil.rmtree(keep, ignore_errors=True)
        path, out = self.write(module, args, save=False)
        extra = dict(env or {}, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=keep, ANSIBLE_PIPELINING="False")
        done = command(self.command(path), env=base_env(extra), cwd=self.workdir, timeout=300)
        found = glob.glob(os.path.join(keep, "*", "AnsiballZ_*.py"))
        if done.returncode != 0 or len(found) != 1:
            raise RuntimeError("could not keep the AnsiballZ payload of %s:\n%s\n%s" % (module, done.stdout[-3000:], done.stderr[-3000:]))
        return found[0]


def module_args_file(workdir, name, args):
    """An args file for running the module as ``python -m``: AnsibleModule reads it from argv[1]."""
    path = os.path.join(workdir, "args-%s.json" % name)
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=False)}, handle)
    return path


def module_command(args_file):
    return [sys.executable, "-m", MODULE_IMPORT, args_file]


def module_env(extra=None):
    env = base_env(extra)
    env["PYTHONPATH"] = COLLECTIONS
    return env


def by_service(requests):
    """Reads and writes per service from the endpoint's request log."""
    counts = {}
    for entry in requests:
        kind = "r" if entry["operation"].startswith(("Describe", "Get", "List")) else "w"
        key = (entry["service"], kind)
        counts[key] = counts.get(key, 0) + 1
    return counts


def operations(requests):
    return [entry["operation"] for entry in requests]


def median(values):
    return statistics.median(values) if values else float("nan")


class Table:
    """A titled table with notes; prints as text and as Markdown."""

    def __init__(self, title, headers, rows=None, notes=None):
        self.title = title
        self.headers = list(headers)
        self.rows = rows or []
        self.notes = notes or []

    def add(self, *row):
        self.rows.append([str(cell) for cell in row])

    def text(self):
        cells = [self.headers] + self.rows
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.headers))]

        def line(row):
            return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

        out = [self.title, "=" * len(self.title), line(self.headers), line(["-" * w for w in widths])]
        out += [line(row) for row in self.rows]
        out += ["  * " + note for note in self.notes]
        return "\n".join(out)

    def markdown(self):
        out = ["#### " + self.title, "", "| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows]
        if self.notes:
            out.append("")
            out += ["- " + note for note in self.notes]
        return "\n".join(out)

    def as_dict(self):
        return {"title": self.title, "headers": self.headers, "rows": self.rows, "notes": self.notes}
