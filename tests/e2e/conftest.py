"""End-to-end harness: the module run by ansible-playbook against the local EKS endpoint.

The endpoint runs in the test process (one per xdist worker) on a free port; each
test seeds its own fleet and reads the endpoint's request log to count calls.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from localeks.server import LocalEKS  # noqa: E402

MODULE = "fleetops.eks.eks_nodegroup_version"
REGION = "us-east-1"
# Credentials the endpoint accepts; recognisable, so tests can look for them in output.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAFLEETOPSTESTKEY1",
    "AWS_SECRET_ACCESS_KEY": "fleetops-test-secret-key-do-not-print",
}


@pytest.fixture(scope="session")
def endpoint():
    with LocalEKS(port=0) as running:
        yield running


@pytest.fixture
def control(endpoint):
    endpoint.control.reset()
    return endpoint.control


class Run:
    """One ansible-playbook run of one task: its registered result, output and exit code."""

    def __init__(self, result, output, rc):
        self.result = result
        self.output = output
        self.rc = rc

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    @property
    def msg(self):
        return self.result.get("msg", "")

    def __repr__(self):
        return "Run(rc=%s, result=%s)" % (self.rc, json.dumps(self.result, indent=1, default=str)[:3000])


class Ansible:
    """Runs the module as a user would: a playbook task, module_defaults for group/fleetops.eks.aws."""

    def __init__(self, endpoint_url, workdir):
        self.endpoint_url = endpoint_url
        self.workdir = workdir
        self.runs = 0

    def env(self, extra=None):
        env = dict((key, value) for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_")))
        env.update(CREDENTIALS)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_NOCOLOR="True",
            ANSIBLE_RETRY_FILES_ENABLED="False",
        )
        env.update(extra or {})
        return env

    def playbook(self, tasks, defaults=None):
        """Write a playbook of ``tasks`` on localhost, with group/fleetops.eks.aws pointed at the endpoint."""
        self.runs += 1
        group = {"region": REGION, "endpoint_url": self.endpoint_url}
        group.update(defaults or {})
        play = {
            "name": "e2e",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "module_defaults": {"group/fleetops.eks.aws": group},
            "tasks": tasks,
        }
        path = os.path.join(self.workdir, "playbook-%d.yml" % self.runs)
        with open(path, "w") as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        return path

    def run_playbook(self, path, env=None, verbosity=0, timeout=300):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", path]
        if verbosity:
            command.append("-" + "v" * verbosity)
        done = subprocess.run(command, env=self.env(env), cwd=self.workdir, capture_output=True, text=True, timeout=timeout)
        return done.stdout + done.stderr, done.returncode

    def run(self, check=False, diff=False, env=None, verbosity=0, defaults=None, module=MODULE, **args):
        """Run the module once; the registered result comes back even when the task fails."""
        out = os.path.join(self.workdir, "result-%d.json" % (self.runs + 1))
        task = {"name": "module under test", module: args, "register": "result", "ignore_errors": True}
        if check:
            task["check_mode"] = True
        if diff:
            task["diff"] = True
        save = {
            "name": "save the result",
            "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out},
            "check_mode": False,
            "diff": False,
        }
        output, rc = self.run_playbook(self.playbook([task, save], defaults), env=env, verbosity=verbosity)
        if not os.path.exists(out):
            raise AssertionError("the playbook did not run its task:\n" + output)
        with open(out) as handle:
            return Run(json.load(handle), output, rc)


@pytest.fixture
def ansible(endpoint, tmp_path):
    return Ansible(endpoint.url, str(tmp_path))
