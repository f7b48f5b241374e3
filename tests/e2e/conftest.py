"""End-to-end harness: the module run by ansible-playbook against the local EKS endpoint.

The endpoint runs in the test process (one per xdist worker) on a free port; each
test seeds its own fleet and reads the endpoint's request log to count calls.
"""

import json
import os
import subprocess
import sys

import boto3
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from localeks.ansible_env import ansible_env, tool  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

MODULE = "fleetops.eks.eks_nodegroup_version"
REGION = "us-east-1"
# Credentials the endpoint accepts; recognisable, so tests can look for them in output.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAFLEETOPSTESTKEY1",
    "AWS_SECRET_ACCESS_KEY": "fleetops-test-secret-key-do-not-print",
}
# Every playbook run records each result of a fleetops.eks module (callback_plugins/fleetops_module_results.py) to
# its work directory's MODULE_RESULTS file, one JSON line each; test_return_docs.py compares them with RETURN.
CALLBACK_PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")
MODULE_RESULTS = "module-results.jsonl"


@pytest.fixture(scope="session")
def endpoint():
    with LocalEKS(port=0) as running:
        yield running


@pytest.fixture
def control(endpoint):
    endpoint.control.reset()
    return endpoint.control


@pytest.fixture
def fleet(control):
    """The endpoint seeded with tests/e2e/fleets.py's FLEET, its request log empty."""
    from fleets import FLEET

    control.load_fleet(FLEET)
    control.clear_requests()
    return control


def eks_client(url):
    return boto3.client(
        "eks",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def eks(endpoint):
    """A boto3 EKS client of the endpoint, for what a test does or checks beside the module."""
    return eks_client(endpoint.url)


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
        self.last = None

    def env(self, extra=None):
        """The environment of a run; ``extra`` values of None remove a variable."""
        recording = {
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_PLUGINS,
            "ANSIBLE_CALLBACKS_ENABLED": "fleetops_module_results",
            "FLEETOPS_E2E_MODULE_RESULTS": os.path.join(self.workdir, MODULE_RESULTS),
        }
        recording.update(extra or {})
        return ansible_env(CREDENTIALS, recording)

    def module_results(self):
        """Every fleetops.eks module result of this instance's runs so far, oldest first, as the callback wrote them."""
        path = os.path.join(self.workdir, MODULE_RESULTS)
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def playbook(self, tasks, defaults=None, hosts="localhost"):
        """Write a playbook of ``tasks`` on local hosts, with group/fleetops.eks.aws pointed at the endpoint."""
        self.runs += 1
        group = {"region": REGION, "endpoint_url": self.endpoint_url}
        group.update(defaults or {})
        play = {
            "name": "e2e",
            "hosts": hosts,
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

    def run_playbook(self, path, env=None, verbosity=0, timeout=300, inventory="localhost,", forks=None):
        command = [tool("ansible-playbook"), "-i", inventory, path]
        if forks:
            command += ["--forks", str(forks)]
        if verbosity:
            command.append("-" + "v" * verbosity)
        done = subprocess.run(command, env=self.env(env), cwd=self.workdir, capture_output=True, text=True, timeout=timeout, check=False)
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
            self.last = Run(json.load(handle), output, rc)
        return self.last


@pytest.fixture
def ansible(endpoint, tmp_path):
    return Ansible(endpoint.url, str(tmp_path))


# -- the reliability matrix ----------------------------------------------------------------------------
#
# Tests marked ``@pytest.mark.reliability(kind, expected, updates=N)`` are cases of the matrix printed by
# scripts/reliability_matrix.py. After each, the version updates the endpoint really started are counted:
# a case that started more or fewer than N fails ("nothing lost, nothing doubled"). With
# FLEETOPS_RELIABILITY_MATRIX set to a file, each case appends a JSON row: case, kind, expected, observed,
# updates intended and started, passed.

MATRIX_FILE = os.environ.get("FLEETOPS_RELIABILITY_MATRIX")
FAILED = pytest.StashKey()
ROW = pytest.StashKey()
OBSERVED = pytest.StashKey()


def pytest_configure(config):
    config.addinivalue_line("markers", "reliability(kind, expected, updates=0): a case of the reliability matrix")


def version_updates_started(url):
    """Every VersionUpdate the endpoint has, over all clusters and node groups."""
    eks = eks_client(url)
    started = 0
    for cluster in eks.list_clusters()["clusters"]:
        for nodegroup in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
            for update_id in eks.list_updates(name=cluster, nodegroupName=nodegroup)["updateIds"]:
                update = eks.describe_update(name=cluster, nodegroupName=nodegroup, updateId=update_id)["update"]
                started += update["type"] == "VersionUpdate"
    return started


def _observed(run):
    if run is None:
        return "-"
    state = "failed" if run.failed else ("changed" if run.changed else "ok")
    msg = " ".join(str(run.msg).split())
    return "%s: %s" % (state, msg if len(msg) <= 160 else msg[:157] + "...")


@pytest.fixture
def observe(request):
    """Say what a matrix case observed, where the last run's result does not tell it all."""

    def record(text):
        request.node.stash[OBSERVED] = text

    return record


@pytest.fixture(autouse=True)
def reliability_case(request):
    marker = request.node.get_closest_marker("reliability")
    yield
    if marker is None:
        return
    kind, expected = marker.args
    intended = marker.kwargs.get("updates", 0)
    endpoint = request.getfixturevalue("endpoint")
    started = version_updates_started(endpoint.url)
    ansible = request.node.funcargs.get("ansible")
    observed = request.node.stash.get(OBSERVED, None) or _observed(getattr(ansible, "last", None))
    request.node.stash[ROW] = {
        "case": request.node.name.replace("test_", "", 1),
        "kind": kind,
        "expected": expected,
        "observed": observed,
        "updates_intended": intended,
        "updates_started": started,
    }
    if intended is not None:
        assert started == intended, "%d version update(s) started, %d intended" % (started, intended)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.stash[FAILED] = True
    if report.when == "teardown" and MATRIX_FILE and ROW in item.stash:
        row = dict(item.stash[ROW], passed=not item.stash.get(FAILED, False))
        with open(MATRIX_FILE, "a") as handle:
            handle.write(json.dumps(row) + "\n")
