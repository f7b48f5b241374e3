"""Peak memory of a command: run it, wait, and record ``ru_maxrss`` of this process's children.

    python benchmarks/_rss.py OUT.json -- COMMAND [ARGS...]
    python benchmarks/_rss.py --append OUT.jsonl -- COMMAND [ARGS...]

``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (Linux: KiB) is the largest resident set of any
process under this one that has been waited for: the command, or a descendant it waited for. Run
fresh for each measurement, since the figure only grows over a process's life. The command gets this
process's stdin, stdout and stderr; the exit status is the command's.

Used two ways by the fleet benchmarks: around ``ansible-playbook`` (the largest process of the whole
run: controller, worker or module), and as ``ansible_python_interpreter`` (``--append``: one line per
module process, the module alone).
"""

import json
import os
import resource
import signal
import subprocess
import sys


def main(argv):
    append = argv[:1] == ["--append"]
    if append:
        argv = argv[1:]
    out, separator, command = argv[0], argv[1], argv[2:]
    if separator != "--" or not command:
        sys.exit("usage: _rss.py [--append] OUT -- COMMAND [ARGS...]")
    child = subprocess.Popen(command)

    def forward(signum, frame):
        try:
            child.send_signal(signum)
        except OSError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    status = child.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {"maxrss_kib": usage.ru_maxrss, "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "status": status,
              "command": os.path.basename(command[0]) if not append else " ".join(command[1:2])}
    with open(out, "a" if append else "w") as handle:
        handle.write(json.dumps(record) + "\n")
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
