"""The collection in the Ansible ecosystem: ansible-lint, generated docs, an execution environment, an AWX-like
run through ansible-runner, the built and installed collection, and module_defaults action groups.

The tools come from the virtual environment pytest runs in (requirements-dev.txt pins them); a test whose tool
is missing there is skipped, saying which. Everything runs offline against the local EKS endpoint.
"""

import glob
import json
import os
import stat
import subprocess
import sys
import tarfile

import pytest
import yaml

from conftest import CREDENTIALS, REGION, ROOT, eks_client
from fleets import LATEST_131
from localeks.ansible_env import COLLECTIONS

BIN = os.path.dirname(sys.executable)
MODULE = "fleetops.eks.eks_nodegroup_version"

FLEET = {
    "region": REGION,
    "defaults": {"update_duration": 1},
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                {"name": "old", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.0-20241024"},
            ],
        }
    ],
}


def tool(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.skip("%s is not installed in %s (make setup installs requirements-dev.txt)" % (name, BIN))
    return path


def run(command, env=None, cwd=ROOT, timeout=300):
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, "%s exited %d:\n%s\n%s" % (" ".join(command), done.returncode, done.stdout[-5000:], done.stderr[-5000:])
    return done


def clean_env(**extra):
    """This process's environment without AWS or Ansible settings, with the venv first on PATH."""
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_")))
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


@pytest.fixture
def fleet(control):
    control.load_fleet(FLEET)
    control.clear_requests()
    return control


def versions(endpoint, cluster="prod"):
    eks = eks_client(endpoint.url)
    result = {}
    for name in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
        nodegroup = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        result[name] = (nodegroup["version"], nodegroup["releaseVersion"])
    return result


# -- ansible-lint ---------------------------------------------------------------------------------------------


def line(location):
    if "lines" in location:
        return location["lines"].get("begin", "")
    return location.get("positions", {}).get("begin", {}).get("line", "")


def test_ansible_lint_production_profile():
    """Every playbook and role, with .ansible-lint's production profile: no finding but the two warned ones."""
    lint = tool("ansible-lint")
    done = subprocess.run(
        [lint, "--nocolor", "-q", "-f", "codeclimate"],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        findings = json.loads(done.stdout or "[]")
    except ValueError:
        raise AssertionError("ansible-lint did not report JSON (exit %d):\n%s\n%s" % (done.returncode, done.stdout[-3000:], done.stderr[-3000:]))
    fatal = [f for f in findings if f["severity"] != "minor"]
    text = ["%s:%s %s %s" % (f["location"]["path"], line(f["location"]), f["check_name"], f["description"]) for f in fatal]
    assert set(f["check_name"] for f in findings if f["severity"] == "minor") <= {"sanity[cannot-ignore]"}
    assert not text, "ansible-lint (production profile):\n" + "\n".join(text)
    assert done.returncode == 0, done.stderr[-3000:]


# -- docs ------------------------------------------------------------------------------------------------------


def test_committed_docs_are_up_to_date(tmp_path):
    """docs/collection is what docs/build.sh generates from the current plugin and role documentation."""
    tool("antsibull-docs")
    fresh = tmp_path / "collection"
    run([os.path.join(ROOT, "docs", "build.sh"), BIN, str(fresh)], env=clean_env())
    committed = os.path.join(ROOT, "docs", "collection")
    names = sorted(os.listdir(str(fresh)))
    assert {"index.rst", "eks_nodegroup_version_module.rst", "eks_nodegroup_version_info_module.rst"} <= set(names)
    assert names == sorted(os.listdir(committed)), "docs/collection has other files than docs/build.sh makes: run docs/build.sh"
    stale = [name for name in names if (fresh / name).read_text() != open(os.path.join(committed, name)).read()]
    assert not stale, "docs/collection is out of date (%s): run docs/build.sh and commit docs/collection" % ", ".join(stale)


# -- execution environment ----------------------------------------------------------------------------------


def test_execution_environment_build_context(tmp_path):
    """ansible-builder create makes a build context holding the collection, whose EE requirements it finds."""
    tool("ansible-builder")
    work = tmp_path / "ee"
    done = run([os.path.join(ROOT, "ee", "build-context.sh"), BIN, str(work)], env=clean_env())
    context = work / "context"
    assert done.stdout.strip() == str(context)

    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert "ansible-core==2.21.5" in containerfile and "ansible-runner==2.4.3" in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    build = context / "_build"
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert {"name": "collections/fleetops-eks.tar.gz", "type": "file"} in requirements["collections"]
    assert {"name": "amazon.aws", "version": "11.4.0"} in requirements["collections"]
    assert (build / "scripts" / "introspect.py").is_file() and (build / "scripts" / "assemble").is_file()
    tarball = build / "collections" / "fleetops-eks.tar.gz"
    with tarfile.open(str(tarball)) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["name"] == "eks" and manifest["collection_info"]["namespace"] == "fleetops"

    # What the image build does with it: install the collection, then introspect for Python and system packages.
    installed = tmp_path / "installed"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(installed), "--no-deps"], env=clean_env())
    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    run(
        [sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(installed), "--write-pip", str(pip_out),
         "--write-bindep", str(bindep_out)],
        env=clean_env(),
    )
    assert "boto3>=1.35.0  # from collection fleetops.eks" in pip_out.read_text()
    assert "botocore>=1.35.0  # from collection fleetops.eks" in pip_out.read_text()
    assert "ca-certificates  # from collection fleetops.eks" in bindep_out.read_text()


# -- an AWX-like job: ansible-runner ----------------------------------------------------------------------------


def test_awx_like_job_through_ansible_runner(endpoint, fleet, tmp_path, monkeypatch):
    """The demo playbook as an AWX job template runs it: ansible-runner, credentials in the environment (as AWX's
    Amazon Web Services credential type injects them), extra vars; job events and artifacts as AWX reads them."""
    tool("ansible-playbook")
    ansible_runner = pytest.importorskip("ansible_runner")
    for key in list(os.environ):
        if key.startswith(("AWS_", "ANSIBLE_")):
            monkeypatch.delenv(key)
    # ansible-runner finds ansible-playbook on PATH: this venv's.
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))
    session_token = "fleetops-test-session-token-do-not-print"

    private = tmp_path / "job"
    (private / "project").mkdir(parents=True)
    (private / "inventory").mkdir()
    (private / "project" / "upgrade-fleet.yml").write_text(open(os.path.join(ROOT, "demo", "upgrade-fleet.yml")).read())
    (private / "inventory" / "hosts").write_text("localhost ansible_connection=local\n")
    upgrades = [
        {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"},
        {"cluster_name": "prod", "name": "old", "release_version": "latest"},
    ]
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="upgrade-fleet.yml",
        ident="job-1",
        envvars=dict(
            CREDENTIALS,
            AWS_SESSION_TOKEN=session_token,
            AWS_SECURITY_TOKEN=session_token,
            AWS_EC2_METADATA_DISABLED="true",
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_NOCOLOR="True",
        ),
        extravars={"upgrades": upgrades, "fleet_clusters": [], "eks_endpoint_url": endpoint.url, "aws_region": REGION, "poll_seconds": 1},
        suppress_env_files=True,
        quiet=True,
        timeout=300,
    )
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout[-5000:]

    artifacts = private / "artifacts" / "job-1"
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    events = sorted((json.loads(open(path).read()) for path in glob.glob(str(artifacts / "job_events" / "*.json"))), key=lambda e: e["counter"])
    assert events and events[-1]["event"] == "playbook_on_stats"
    assert events[-1]["event_data"]["failures"] == {} and events[-1]["event_data"]["changed"] == {"localhost": 2}

    def module_results(task):
        found = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"]["task"] == task]
        assert len(found) == 1, [e["event_data"].get("task") for e in events if e["event"] == "runner_on_ok"]
        data = found[0]["event_data"]
        assert data["task_action"] == MODULE
        return data["res"]

    preview = module_results("Preview every upgrade (check mode and diff; nothing is changed)")
    started = module_results("Start every upgrade at once (no waiting; EKS runs them side by side)")
    rerun = module_results("Run the same upgrades again")
    assert [r["changed"] for r in preview["results"]] == [True, True]
    assert started["changed"] is True and [r["changed"] for r in started["results"]] == [True, True]
    assert rerun["changed"] is False and [r["changed"] for r in rerun["results"]] == [False, False]
    items = [e for e in events if e["event"] == "runner_item_on_ok"
             and e["event_data"]["task"] == "Start every upgrade at once (no waiting; EKS runs them side by side)"]
    assert sorted(e["event_data"]["res"]["nodegroup_update"]["status"] for e in items) == ["InProgress", "InProgress"]
    assert fleet.count("UpdateNodegroupVersion") == 2
    assert versions(endpoint) == {"general": ("1.31", LATEST_131), "old": ("1.31", LATEST_131)}

    # The secret and the session token are in no output and no artifact AWX keeps: stdout, events, status, rc.
    # (ansible-runner's own artifacts/<ident>/command records the job's environment, readable by its owner only;
    # suppress_env_files=True, as AWX sets it, keeps the credentials out of env/ in the private data directory.)
    secrets = (CREDENTIALS["AWS_SECRET_ACCESS_KEY"], session_token)
    assert not any(secret in stdout for secret in secrets)
    command = artifacts / "command"
    assert stat.S_IMODE(os.stat(str(command)).st_mode) == 0o600
    for path in glob.glob(str(private / "**" / "*"), recursive=True):
        if os.path.isfile(path) and path != str(command):
            text = open(path, errors="replace").read()
            assert not any(secret in text for secret in secrets), path
    assert not (private / "env" / "envvars").exists()


# -- the built collection ----------------------------------------------------------------------------------------

NOT_SHIPPED = (
    ".venv/", ".tmp/", ".ci/", ".pytest_cache/", ".ansible-lint", "localeks/", "demo/", "benchmarks/", "scripts/", "ee/",
    "tests/e2e/", "tests/localeks/", "tests/output/", "docs/build.sh", "Makefile", "requirements-dev.txt",
)


def test_built_collection_installs_and_runs(ansible, endpoint, fleet, tmp_path):
    """ansible-galaxy collection build / install (no Galaxy: --no-deps), then the module from the installed copy."""
    galaxy = tool("ansible-galaxy")
    dist = tmp_path / "dist"
    run([galaxy, "collection", "build", ROOT, "--output-path", str(dist)], env=clean_env())
    (tarball,) = glob.glob(str(dist / "fleetops-eks-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    for expected in (
        "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta/runtime.yml", "meta/execution-environment.yml",
        "requirements.txt", "bindep.txt", "plugins/modules/eks_nodegroup_version.py",
        "plugins/module_utils/eks_nodegroup_api.py", "docs/collection/eks_nodegroup_version_module.rst",
    ):
        assert expected in names, expected
    shipped = [name for name in names if name.startswith(NOT_SHIPPED) or name.rstrip("/") + "/" in NOT_SHIPPED]
    assert not shipped, shipped
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]

    installed = tmp_path / "collections"
    run([galaxy, "collection", "install", tarball, "-p", str(installed), "--no-deps"], env=clean_env())
    only_installed = {"ANSIBLE_COLLECTIONS_PATH": str(installed)}
    doc = run([os.path.join(BIN, "ansible-doc"), "--json", MODULE], env=clean_env(**only_installed)).stdout
    assert json.loads(doc)[MODULE]["doc"]["filename"].startswith(str(installed / "ansible_collections" / "fleetops" / "eks"))

    first = ansible.run(env=only_installed, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert first.rc == 0 and first.changed, first
    assert first.result["nodegroup_update"]["status"] == "Successful"
    again = ansible.run(env=only_installed, cluster_name="prod", name="general", kubernetes_version="1.31", wait_delay=1)
    assert again.rc == 0 and not again.changed, again
    assert fleet.count("UpdateNodegroupVersion") == 1


# -- module_defaults ----------------------------------------------------------------------------------------------


def play(ansible, tasks, module_defaults, name):
    """A playbook of ``tasks`` with ``module_defaults``; each task's registered result is saved to a JSON file."""
    saves = []
    for index, task in enumerate(tasks):
        task = dict(task, register="result_%d" % index, ignore_errors=True)
        saves.append(task)
    out = os.path.join(ansible.workdir, name + ".json")
    saves.append(
        {
            "name": "save the results",
            "ansible.builtin.copy": {"content": "{{ [%s] | to_json }}" % ", ".join("result_%d" % i for i in range(len(tasks))), "dest": out},
            "check_mode": False,
        }
    )
    document = [
        {
            "name": name,
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "module_defaults": module_defaults,
            "tasks": saves,
        }
    ]
    path = os.path.join(ansible.workdir, name + ".yml")
    with open(path, "w") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    # No region from a shared AWS config file on this machine: only module_defaults may give one.
    empty = os.path.join(ansible.workdir, "aws-config")
    open(empty, "w").close()
    output, rc = ansible.run_playbook(path, env={"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty})
    assert os.path.exists(out), output
    with open(out) as handle:
        return json.load(handle), output


CALLER_INFO = {"name": "amazon.aws caller info", "amazon.aws.aws_caller_info": {}}
PREVIEW = {"name": "our module", MODULE: {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"}, "check_mode": True}


def test_group_fleetops_eks_aws_reaches_our_module_and_amazon_aws(ansible, endpoint, fleet):
    defaults = {"group/fleetops.eks.aws": {"region": REGION, "endpoint_url": endpoint.url}}
    (caller, ours), output = play(ansible, [CALLER_INFO, PREVIEW], defaults, "group-fleetops-eks-aws")
    assert not caller.get("failed") and caller["account"], output
    assert not ours.get("failed") and ours["changed"] and ours["request"]["version"] == "1.31", output
    assert fleet.count("GetCallerIdentity", service="sts") == 1
    assert fleet.count("DescribeNodegroup") == 1
    assert fleet.count("UpdateNodegroupVersion") == 0


def test_unqualified_group_aws_does_not_reach_our_module(ansible, endpoint, fleet):
    """ansible-core's built-in group/aws is amazon.aws and community.aws only: our module gets no region from it
    (so the README's advice to use group/fleetops.eks.aws stays true)."""
    defaults = {"group/aws": {"region": REGION, "endpoint_url": endpoint.url}}
    (caller, ours), output = play(ansible, [CALLER_INFO, PREVIEW], defaults, "group-aws")
    assert not caller.get("failed") and caller["account"], output
    assert ours.get("failed"), ours
    assert "requires a region" in ours["msg"], ours["msg"]
    assert fleet.count("GetCallerIdentity", service="sts") == 1
    # aws_caller_info also asks IAM for the account alias; nothing went to EKS, SSM or EC2.
    assert [entry for entry in fleet.requests() if entry["service"] in ("eks", "ssm", "ec2")] == []
