"""Running Ansible from a checkout against the local endpoint: the collection link and the environment.

The demo, the benchmarks and the end-to-end tests all run ``ansible-playbook`` with the checkout as
``fleetops.eks``: a symlink ``.tmp/collections/ansible_collections/fleetops/eks`` -> the checkout, and
``ANSIBLE_COLLECTIONS_PATH`` pointing at ``.tmp/collections``. The environment starts from the caller's
without any ``AWS_*`` or ``ANSIBLE_*`` variable, so that nothing of the machine's own AWS or Ansible
configuration leaks into a rehearsal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")


def link_collection() -> str:
    """Make the checkout loadable as fleetops.eks under COLLECTIONS; safe to call from parallel processes."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "fleetops", "eks")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.lexists(link):
        try:
            os.symlink(ROOT, link)
        except FileExistsError:
            pass
    return COLLECTIONS


def tool(name: str) -> str:
    """An executable next to the running interpreter (ansible-playbook of the same venv)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def ansible_env(credentials: Mapping[str, str], extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of an ansible-playbook run against the local endpoint.

    ``credentials`` are the AWS_* variables to set; ``extra`` values are set too, and a value of None
    removes the variable.
    """
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_")))
    env.update(credentials)
    env.update(
        # No instance metadata look-ups: this is not an EC2 instance, and nothing may leave the machine.
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="True",
        ANSIBLE_RETRY_FILES_ENABLED="False",
    )
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
