#!/usr/bin/env python3
"""The demo: start the local EKS endpoint with localeks/fleets/demo.yml, run demo/upgrade-fleet.yml against it, stop it."""

import os
import subprocess
import sys
import tempfile
import time

DEMO = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO)
sys.path.insert(0, ROOT)

from localeks.ansible_env import ansible_env, link_collection, tool  # noqa: E402


def start_endpoint(ready_file):
    command = [sys.executable, "-m", "localeks", "serve", "--fleet", os.path.join(ROOT, "localeks", "fleets", "demo.yml"), "--port", "0", "--ready-file", ready_file]
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
        playbook = [tool("ansible-playbook"), "-i", "localhost,", os.path.join(DEMO, "upgrade-fleet.yml"), "-e", "eks_endpoint_url=" + url]
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
