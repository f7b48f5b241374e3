#!/usr/bin/env python
"""Run the reliability matrix and print it as a table: case, expected, observed, pass.

Every case is an end-to-end test marked ``reliability`` (tests/e2e): the module run through
ansible-playbook against the local EKS endpoint, with the version updates it really started
counted afterwards. The last lines add up "nothing lost": updates started against intended.

    .venv/bin/python scripts/reliability_matrix.py [--markdown]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIND_ORDER = ["bad input", "fault", "concurrency", "security", "behaviour"]


def run_cases(matrix_file):
    env = dict(os.environ, FLEETOPS_RELIABILITY_MATRIX=matrix_file)
    command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", "-m", "reliability", "tests/e2e"]
    return subprocess.call(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def table(rows, markdown):
    header = ("kind", "case", "expected", "observed", "updates (intended / started)", "pass")
    lines = []
    body = []
    for row in sorted(rows, key=lambda row: (KIND_ORDER.index(row["kind"]) if row["kind"] in KIND_ORDER else 99, row["case"])):
        intended = "-" if row["updates_intended"] is None else str(row["updates_intended"])
        body.append((row["kind"], row["case"], row["expected"], row["observed"], "%s / %s" % (intended, row["updates_started"]),
                     "yes" if row["passed"] else "NO"))
    if markdown:
        def cell(text):
            return str(text).replace("|", "\\|")

        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines.extend("| " + " | ".join(cell(value) for value in line) + " |" for line in body)
    else:
        for line in body:
            lines.append("[%s] %-4s %s: %s" % (line[0], line[5], line[1], line[2]))
            lines.append("       observed: %s; updates %s" % (line[3], line[4]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        matrix_file = os.path.join(scratch, "matrix.jsonl")
        code = run_cases(matrix_file)
        with open(matrix_file) as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    print(table(rows, args.markdown))
    counted = [row for row in rows if row["updates_intended"] is not None]
    intended = sum(row["updates_intended"] for row in counted)
    started = sum(row["updates_started"] for row in counted)
    passed = sum(1 for row in rows if row["passed"])
    print()
    by_kind = ", ".join("%s %d" % (kind, sum(1 for row in rows if row["kind"] == kind)) for kind in KIND_ORDER if any(row["kind"] == kind for row in rows))
    print("%d cases (%s): %d passed, %d failed" % (len(rows), by_kind, passed, len(rows) - passed))
    print("nothing lost: %d version updates intended, %d started, over %d counted cases" % (intended, started, len(counted)))
    return 0 if code == 0 and passed == len(rows) and intended == started else 1


if __name__ == "__main__":
    sys.exit(main())
