#!/usr/bin/env python3
"""The demo: start the local EKS endpoint with localeks/fleets/demo.yml, run demo/upgrade-fleet.yml against it, stop it."""

import os
import subprocess
import sys
import tempfile
import time

DEMO = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO)
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")


def link_collection():
    """Make the checkout importable as fleetops.eks for ansible-playbook."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "fleetops", "eks")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(ROOT, link)


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
        env = dict((key, value) for key, value in os.environ.items() if not key.startswith("AWS_"))
        env.update(
            AWS_ACCESS_KEY_ID="demo",
            AWS_SECRET_ACCESS_KEY="demo",
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
        )
        playbook = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", os.path.join(DEMO, "upgrade-fleet.yml"), "-e", "eks_endpoint_url=" + url]
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
