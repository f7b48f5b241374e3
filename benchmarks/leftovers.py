#!/usr/bin/env python
"""Processes a benchmark run left behind: exit 0 when there are none, 1 when there are (listed).

    .venv/bin/python benchmarks/leftovers.py            # after make bench: anything any benchmark run started
    .venv/bin/python benchmarks/leftovers.py RUN-ID     # one run's (run.py prints its tag at the end)

Every process a benchmark starts (ansible-playbook, its workers and module processes, the AWS CLI, the
benchmark scripts) carries FLEETOPS_BENCH_RUN=<run id> in its environment, and so does everything it
starts; this lists the live processes of this user that carry it. On a machine where nothing else runs
Ansible, ``pgrep -af ansible-playbook`` tells the same for ansible-playbook; this also works while other
work (tests, say) runs ansible-playbook of its own.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _procs  # noqa: E402


def main(argv):
    run = argv[0] if argv else None
    found = _procs.leftovers(run)
    if not found:
        print("No process left by a benchmark run%s." % (" " + run if run else ""))
        return 0
    print("%d process(es) left by a benchmark run%s:" % (len(found), " " + run if run else ""))
    for pid, cmdline in found:
        print("  %d  %s" % (pid, cmdline[:200]))
    ansible = sum(1 for pid, cmdline in found if "ansible-playbook" in cmdline)
    print("(%d of them ansible-playbook; stop them with: kill -- -<pgid> for each, or kill <pid>)" % ansible)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
