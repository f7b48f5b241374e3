"""A long wait as an AWX job shows it: the module as an ``async`` + ``poll`` task run by ansible-runner (what AWX runs
jobs with), against an update the local endpoint holds InProgress. While the module waits, the job gets a
``runner_on_async_poll`` event at every poll; once the update ends, the task's result is the module's own.

docs/guide.md (section 2.5) shows the same task in a job template.
"""

import glob
import json
import os
import sys
import time

import pytest

from conftest import CREDENTIALS, REGION
from fleets import LATEST_131
from localeks.ansible_env import COLLECTIONS

BIN = os.path.dirname(sys.executable)
MODULE = "fleetops.eks.eks_nodegroup_version"
TASK = "Upgrade prod/general (async: the job shows a poll event while the module waits)"


def job_events(private, ident):
    paths = glob.glob(os.path.join(str(private), "artifacts", ident, "job_events", "*.json"))
    events = []
    for path in paths:
        try:
            with open(path) as handle:
                events.append(json.load(handle))
        except ValueError:
            pass  # being written
    return sorted(events, key=lambda event: event["counter"])


def wait_until(condition, what, give_up, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert not give_up(), "the job ended before %s" % what
        assert time.monotonic() < deadline, "no %s within %ds" % (what, timeout)
        time.sleep(0.1)


def test_an_async_task_reports_polls_while_the_module_waits_then_its_result(endpoint, fleet, tmp_path, monkeypatch):
    if not os.path.exists(os.path.join(BIN, "ansible-playbook")):
        pytest.skip("ansible-playbook is not installed in %s" % BIN)
    ansible_runner = pytest.importorskip("ansible_runner")
    for key in list(os.environ):
        if key.startswith(("AWS_", "ANSIBLE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))

    private = tmp_path / "job"
    (private / "project").mkdir(parents=True)
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts").write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    wait_timeout = 120
    play = [{
        "name": "Upgrade a node group",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/fleetops.eks.aws": {"region": REGION, "endpoint_url": endpoint.url}},
        "tasks": [{
            "name": TASK,
            MODULE: {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31",
                     "wait_timeout": wait_timeout, "wait_delay": 1},
            "async": wait_timeout + 60,
            "poll": 1,
            "register": "upgrade",
        }],
    }]
    (private / "project" / "upgrade.yml").write_text(json.dumps(play))

    fleet.hold_updates()
    thread, runner = ansible_runner.run_async(
        private_data_dir=str(private),
        playbook="upgrade.yml",
        ident="job-1",
        envvars=dict(
            CREDENTIALS,
            AWS_EC2_METADATA_DISABLED="true",
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_ASYNC_DIR=str(tmp_path / "async"),
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_NOCOLOR="True",
        ),
        suppress_env_files=True,
        quiet=True,
        timeout=300,
    )

    def ended():
        return not thread.is_alive()

    try:
        wait_until(lambda: fleet.update_in_progress("prod", "general") is not None, "update started", ended)
        # The module follows the held update, and the job gets poll events meanwhile.
        seen = fleet.wait_for_request("DescribeUpdate", cluster="prod", nodegroup="general", timeout=120, give_up=ended)
        assert seen is not None, "the module never polled the update"
        wait_until(lambda: len([e for e in job_events(private, "job-1") if e["event"] == "runner_on_async_poll"]) >= 2,
                   "two runner_on_async_poll events", ended)
        assert thread.is_alive() and fleet.update_in_progress("prod", "general") is not None
        fleet.finish_update("prod", fleet.update_in_progress("prod", "general")["id"])
    finally:
        thread.join(300)
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ("successful", 0), stdout[-5000:]

    events = job_events(private, "job-1")
    (done,) = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"]["task"] == TASK]
    result = done["event_data"]["res"]
    job_id = result["ansible_job_id"]
    # Each poll is an event of the job (ansible-core names its task async_status), about this task's job id, made
    # while the module was still waiting; the job output shows each as "ASYNC POLL".
    polls = [e for e in events if e["event"] == "runner_on_async_poll"]
    assert len(polls) >= 2
    for poll in polls:
        assert poll["event_data"]["jid"] == job_id and poll["event_data"]["res"]["ansible_job_id"] == job_id
        assert poll["event_data"]["res"]["started"] and not poll["event_data"]["res"]["finished"]
        assert poll["counter"] < done["counter"]
    assert stdout.count("ASYNC POLL on localhost: jid=%s" % job_id) == len(polls)
    # Then the module's own result, as without async.
    assert result["changed"] is True and result["finished"]
    assert result["nodegroup_update"]["status"] == "Successful"
    assert result["nodegroup"]["version"] == "1.31" and result["nodegroup"]["release_version"] == LATEST_131
    assert fleet.count("UpdateNodegroupVersion") == 1
