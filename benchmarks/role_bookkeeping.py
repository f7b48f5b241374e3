"""The nodegroup_upgrade role's bookkeeping (its filters, plugins/filter/nodegroup_upgrade.py) on N targets.

    .venv/bin/python benchmarks/role_bookkeeping.py                  # 50, 200, 1000, 10000 targets
    .venv/bin/python benchmarks/role_bookkeeping.py --sizes 1000 --runs 9

For each size: targets in clusters of 10, cut into batches (max_parallel 10, per_cluster 1), each batch's module
options and records from a result of the batch module's shape, and the summary with its printed lines: the work
the role does around its module runs, in Python (median of --runs, in ms). Prints a table; asserts nothing.
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from localeks.ansible_env import COLLECTIONS, link_collection  # noqa: E402


def bookkeeping(filters, size):
    targets = [{"cluster": "c%03d" % (i // 10), "nodegroup": "ng%02d" % (i % 10), "force": False, "release_version": "latest"}
               for i in range(size)]
    state = {}
    for batch in filters.upgrade_batches(targets, 10, 1):
        options = filters.batch_options(batch)
        ran = {"nodegroups": [dict(option, status="updated", duration=600.0, nodegroup_update={"id": "u"}, before={},
                                   after={}, failed=False, msg="Updated") for option in options]}
        state = filters.upgrade_state(state, filters.batch_records(options, [], ran))
    rows = filters.upgrade_summary(targets, state)
    filters.summary_lines(rows)
    return len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200,1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    link_collection()
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.fleetops.eks.plugins.filter import nodegroup_upgrade as filters

    print("%8s  %12s  %12s" % ("targets", "median (ms)", "per target (us)"))
    for size in (int(n) for n in args.sizes.split(",")):
        times = []
        for dummy in range(args.runs):
            started = time.perf_counter()
            assert bookkeeping(filters, size) == size
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        print("%8d  %12.1f  %12.1f" % (size, median * 1000, median * 1e6 / size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
