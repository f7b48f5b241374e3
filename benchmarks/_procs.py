"""The benchmarks' child processes: each in a session of its own, and killed as a whole.

Every command a benchmark starts (ansible-playbook, a module process, the AWS CLI, a benchmark script)
goes through ``run()``: it starts in a new session (so in a process group of its own, apart from the
runner's), and on a timeout, an error or Ctrl-C the whole tree under it is stopped: SIGTERM to every
process group in the tree, then, after a grace period, SIGKILL to whatever is left. Walking the tree
matters because ansible-playbook's workers make themselves process-group leaders (``setpgid``/``setsid``
in ``WorkerProcess``): a signal to ansible-playbook's group alone does not reach them, and a worker
orphaned that way goes on waiting for its update.

The runner also makes itself a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): a process orphaned
under it is re-parented to it rather than to init, so ``sweep()`` still finds it at the end.

Every process started here carries ``FLEETOPS_BENCH_RUN=<id>`` in its environment, and so does
everything it starts; ``leftovers()`` (and ``benchmarks/leftovers.py``) lists the processes still
carrying it.

Linux only (``/proc``); elsewhere the tree is the direct child alone.
"""

import ctypes
import os
import signal
import subprocess
import time

TAG = "FLEETOPS_BENCH_RUN"
GRACE = 5.0  # seconds between SIGTERM and SIGKILL

_live = {}  # pid -> Popen, the commands running now


class Timeout(Exception):
    """A command did not finish within its limit; its tree has been killed."""

    def __init__(self, command, limit, stdout="", stderr=""):
        super().__init__("not finished within %.0f s: %s" % (limit, " ".join(str(part) for part in command)[:200]))
        self.command = command
        self.limit = limit
        self.stdout = stdout or ""
        self.stderr = stderr or ""


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so every ``run()`` kills its tree on the way out."""


def run_id():
    """This run's tag value: inherited from the runner, else made here."""
    if not os.environ.get(TAG):
        os.environ[TAG] = "%d-%d" % (os.getpid(), int(time.time()))
    return os.environ[TAG]


def become_subreaper():
    """Orphans of our children come to us, not to init (Linux); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def on_termination():
    """SIGTERM and SIGHUP raise ``Terminated`` in the main thread, SIGINT KeyboardInterrupt (even where the
    parent left SIGINT ignored, as a non-interactive shell does for a background job)."""

    def handler(signum, frame):
        raise Terminated("signal %d" % signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _stat(pid):
    """(ppid, pgid, start time, session) of a live, non-zombie process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), int(fields[2]), fields[19], int(fields[3])


def _table():
    out = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if name.isdigit():
            found = _stat(int(name))
            if found:
                out[int(name)] = found
    return out


def tree(root, table=None):
    """{pid: (pgid, start time)} of ``root`` and every live process under it."""
    table = _table() if table is None else table
    children = {}
    for pid, found in table.items():
        children.setdefault(found[0], []).append(pid)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table and pid not in found:
            found[pid] = table[pid][1:3]
        todo += children.get(pid, [])
    return found


def _in_session(leader):
    """The live processes of the session or process group that ``leader`` started, and everything under them."""
    table = _table()
    out = {}
    for pid, (ppid, pgid, start, sid) in table.items():
        if leader in (pgid, sid):
            out.update(tree(pid, table))
    return out


def _signal(processes, signum):
    own = os.getpgrp()
    for pgid in set(pgid for pgid, start in processes.values()):
        if pgid != own and pgid > 1:
            try:
                os.killpg(pgid, signum)
            except OSError:
                pass
    for pid, (pgid, start) in processes.items():
        now = _stat(pid)
        if now is not None and now[2] == start and pid != os.getpid():
            try:
                os.kill(pid, signum)
            except OSError:
                pass


def _still(processes):
    """The processes of ``processes`` still alive (the same process: same start time)."""
    out = {}
    for pid, (pgid, start) in processes.items():
        now = _stat(pid)
        if now is not None and now[2] == start:
            out[pid] = (pgid, start)
    return out


def _reap_orphans():
    """Collect orphans re-parented to us that have exited (not the commands ``run()`` is waiting for)."""
    me = os.getpid()
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if not name.isdigit() or int(name) in _live:
            continue
        try:
            with open("/proc/%s/stat" % name) as handle:
                text = handle.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == me and fields[0] == "Z":
            try:
                os.waitpid(int(name), os.WNOHANG)
            except OSError:
                pass


def kill_tree(root, grace=GRACE, also=None):
    """SIGTERM every process group under ``root`` (``root`` included), SIGKILL what is left after ``grace`` s."""
    processes = tree(root)
    processes.update(_in_session(root))
    processes.update(_still(also or {}))
    if not processes:
        return
    _signal(processes, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap_orphans()
        left = _still(processes)
        if not left:
            break
        time.sleep(0.1)
    # Whatever is left, and whatever the survivors started meanwhile.
    left = _still(processes)
    for pid in list(left):
        left.update(tree(pid))
    if left:
        _signal(left, signal.SIGKILL)
    time.sleep(0.1)
    _reap_orphans()


def run(command, env=None, cwd=None, timeout=None, input=None, grace=GRACE):
    """Run ``command`` in a session of its own; a CompletedProcess (text output), or ``Timeout``.

    On a timeout, an exception or Ctrl-C, the command's whole tree is killed before this returns or raises.
    A command that exits normally but leaves processes behind in its session has them killed too.
    """
    env = dict(os.environ if env is None else env)
    env[TAG] = run_id()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, text=True, start_new_session=True,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    _live[process.pid] = process
    try:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(process.pid, grace)
            stdout, stderr = _drain(process, grace)
            raise Timeout(command, timeout, stdout, stderr) from None
        except BaseException:
            kill_tree(process.pid, grace)
            _drain(process, grace)
            raise
        # Exited: anything it left behind in its session or process group goes too.
        left = _in_session(process.pid)
        if left:
            kill_tree(process.pid, grace, also=left)
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    finally:
        _live.pop(process.pid, None)
        if process.returncode is None:
            try:
                process.kill()
            except OSError:
                pass
            process.wait()


def _drain(process, grace):
    """What the killed process wrote; the pipes are closed if something still holds them."""
    try:
        return process.communicate(timeout=grace)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        for pipe in (process.stdout, process.stderr, process.stdin):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass
        process.wait()
        return "", ""


def sweep(grace=GRACE):
    """Kill every process under this one (the runner's final clean-up); returns how many there were."""
    me = os.getpid()
    processes = dict((pid, found) for pid, found in tree(me).items() if pid != me)
    for pid in list(processes):
        kill_tree(pid, grace)
    _reap_orphans()
    return len(processes)


def _ancestors():
    out, pid = set(), os.getpid()
    while pid > 1:
        out.add(pid)
        found = _stat(pid)
        if found is None:
            break
        pid = found[0]
    return out


def leftovers(run=None):
    """[(pid, command line)] of the live processes carrying the tag (``run``'s value, or any), ourselves excluded."""
    skip = _ancestors()
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit() or int(name) in skip:
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as handle:
                environ = handle.read().split(b"\0")
            with open("/proc/%s/cmdline" % name, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue  # gone, or not ours to read
        for item in environ:
            if item.startswith(TAG.encode() + b"=") and (run is None or item == ("%s=%s" % (TAG, run)).encode()):
                if _stat(int(name)) is not None:
                    out.append((int(name), cmdline))
                break
    return sorted(out)
