#!/usr/bin/env python
"""The demo: start the local EKS endpoint with localeks/fleets/demo.yml, run demo/upgrade-fleet.yml against it, stop it.

The demo fleet states its update durations as on AWS (about ten minutes) with a time factor
(``defaults.time_factor``, 60): the endpoint divides every duration by it, so each update lasts
seconds.  The playbook's polling is scaled the same way: the ``wait_delay`` one would use on AWS
divided by the factor, at least 1 s (the module's minimum), passed as ``poll_seconds``.
"""

import os
import subprocess
import sys
import tempfile
import time

DEMO = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO)
sys.path.insert(0, ROOT)

from localeks.ansible_env import ansible_env, link_collection, tool  # noqa: E402

FLEET = os.path.join(ROOT, "localeks", "fleets", "demo.yml")
# Seconds between two polls of an update on AWS: the module's default wait_delay.
AWS_WAIT_DELAY = 30


def time_factor(fleet):
    """The fleet's time factor (1 if it states none)."""
    import yaml

    with open(fleet) as handle:
        document = yaml.safe_load(handle)
    return float((document.get("defaults") or {}).get("time_factor") or 1)


def poll_seconds(factor):
    """wait_delay for the endpoint: the AWS one divided by the time factor, at least 1 s."""
    return max(1, int(round(AWS_WAIT_DELAY / factor)))


def start_endpoint(ready_file):
    command = [sys.executable, "-m", "localeks", "serve", "--fleet", FLEET, "--port", "0", "--ready-file", ready_file]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the local EKS endpoint did not start (exit code %s)" % server.returncode)
        if os.path.exists(ready_file) and os.path.getsize(ready_file):
            with open(ready_file) as handle:
                return server, handle.read().strip()
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("the local EKS endpoint did not become ready within 60 s")


def main():
    link_collection()
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_endpoint(os.path.join(scratch, "ready"))
        print("Local EKS endpoint with the demo fleet at %s" % url, flush=True)
        env = ansible_env(
            {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"},
            {"ANSIBLE_NOCOLOR": None, "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml"},
        )
        factor = time_factor(FLEET)
        print("Updates run %g times faster than on AWS; the playbook polls every %d s." % (factor, poll_seconds(factor)), flush=True)
        playbook = [tool("ansible-playbook"), "-i", "localhost,", os.path.join(DEMO, "upgrade-fleet.yml"), "-e", "eks_endpoint_url=" + url,
                    "-e", "poll_seconds=%d" % poll_seconds(factor)]
        started = time.monotonic()
        try:
            code = subprocess.call(playbook + sys.argv[1:], cwd=ROOT, env=env)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print("Demo finished in %.0f s (exit code %d); the local EKS endpoint is stopped." % (time.monotonic() - started, code))
        return code


if __name__ == "__main__":
    sys.exit(main())
