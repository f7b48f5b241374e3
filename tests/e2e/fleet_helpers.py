"""Helpers for the fleet tests: run the nodegroup_upgrade role, and read concurrency from the request log."""

import json
import os

ROLE = "fleetops.eks.nodegroup_upgrade"
INFO = "fleetops.eks.eks_nodegroup_version_info"


class RoleRun:
    def __init__(self, summary, output, rc):
        self.summary = summary
        self.output = output
        self.rc = rc

    def by_name(self):
        return dict(("%s/%s" % (row["cluster"], row["nodegroup"]), row) for row in self.summary)

    def __repr__(self):
        return "RoleRun(rc=%s, summary=%s)\n%s" % (self.rc, json.dumps(self.summary, indent=1), self.output[-4000:])


def run_role(ansible, check=False, **role_vars):
    """Run the role once on localhost; the summary fact comes back even when the role fails."""
    out = os.path.join(ansible.workdir, "summary-%d.json" % (ansible.runs + 1))
    block = {
        "name": "the role under test",
        "block": [{"name": "upgrade", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars}],
        "always": [
            {
                "name": "save the summary",
                "ansible.builtin.copy": {"content": "{{ nodegroup_upgrade_summary | default(none) | to_json }}", "dest": out},
                "check_mode": False,
            }
        ],
    }
    if check:
        block["check_mode"] = True
    output, rc = ansible.run_playbook(ansible.playbook([block]))
    if not os.path.exists(out):
        raise AssertionError("the playbook did not run:\n" + output)
    with open(out) as handle:
        return RoleRun(json.load(handle), output, rc)


def hook_file(tmp_path, log):
    """A hook task file that appends '<phase> <cluster>/<nodegroup>' to ``log``."""
    path = tmp_path / "hook.yml"
    path.write_text(
        "- name: note the hook\n"
        "  ansible.builtin.shell: echo \"{{ nodegroup_upgrade_nodegroup.phase }} {{ nodegroup_upgrade_nodegroup.cluster }}/"
        "{{ nodegroup_upgrade_nodegroup.nodegroup }} {{ nodegroup_upgrade_nodegroup.to.version | default('') }}\" >> %s\n"
        "  changed_when: true\n" % log
    )
    return str(path)


def update_intervals(control, durations):
    """(cluster/nodegroup, start, end) of every update started, from the request log's UpdateNodegroupVersion calls.

    An update is InProgress from its call until ``durations[key]`` seconds later (the endpoint's update_duration).
    """
    intervals = []
    for entry in control.requests(service="eks", operation="UpdateNodegroupVersion"):
        if entry["status"] != 200:
            continue
        key = "%s/%s" % (entry["cluster"], entry["nodegroup"])
        intervals.append((key, entry["time"], entry["time"] + durations(key)))
    return intervals


def max_overlap(intervals, cluster=None):
    """The most updates InProgress at one time (of one cluster, when given)."""
    events = []
    for key, start, end in intervals:
        if cluster is None or key.split("/")[0] == cluster:
            events.append((start, 1))
            events.append((end, -1))
    running = peak = 0
    for dummy, step in sorted(events, key=lambda event: (event[0], event[1])):
        running += step
        peak = max(peak, running)
    return peak


def started_without_waiting(control, first, second):
    """True when ``second``'s update was started after ``first``'s with no request about ``first`` in between.

    That is, ``second`` did not wait for ``first`` (same batch); ``first`` and ``second`` are "cluster/nodegroup".
    """
    log = control.requests(service="eks")
    keys = ["%s/%s" % (entry["cluster"], entry["nodegroup"]) for entry in log]
    starts = [index for index, entry in enumerate(log) if entry["operation"] == "UpdateNodegroupVersion"]
    first_start = next(index for index in starts if keys[index] == first)
    second_start = next(index for index in starts if keys[index] == second)
    return first_start < second_start and first not in keys[first_start + 1:second_start]
