"""API calls per scenario, counted in the local EKS endpoint's request log.

Each scenario reseeds the fleet, runs the module once through ansible-playbook and
reads the log: EKS, SSM and EC2 reads, and writes, against the least the job allows.

Targets, fixed per row before the run (what the code must do, not what it did):
  no-op       1 DescribeNodegroup, + 1 SSM GetParameter only when ``latest`` must be resolved,
              + 1 EC2 DescribeLaunchTemplateVersions only when ``$Latest`` must be resolved; 0 writes.
  check mode  the same reads as the real run makes before its write
              (+ DescribeCluster when the Kubernetes version changes: it must not pass the cluster's);
              0 writes.
  upgrade     those reads + 1 UpdateNodegroupVersion + the DescribeUpdate polls + 1 final DescribeNodegroup.
              The module sleeps ``wait_delay`` before its first poll and after each (no poll right after the
              start), so an update lasting D seconds takes at least 1 and at most ceil(D / wait_delay) polls.
"""

import math

from _common import FLEET, MODULE, Table, by_service, operations

UPDATE_DURATION = 2.5  # seconds; not a multiple of the delay, so no poll lands on the boundary
WAIT_DELAY = 1

# (scenario, node group for no-op, node group to move, target args, no-op reads, reads the change needs)
SCENARIOS = [
    ("Kubernetes version", "current", "general", {"kubernetes_version": "1.31"},
     {("eks", "r"): 1}, {("eks", "r"): 2, ("ssm", "r"): 1}),
    ("release `latest`", "current", "old", {"release_version": "latest"},
     {("eks", "r"): 1, ("ssm", "r"): 1}, {("eks", "r"): 1, ("ssm", "r"): 1}),
    ("launch template `$Latest`", "web-current", "web", {"launch_template": {"version": "$Latest"}},
     {("eks", "r"): 1, ("ec2", "r"): 1}, {("eks", "r"): 1, ("ec2", "r"): 1}),
]


def _compress(ops):
    out = []
    for op in ops:
        if out and out[-1][0] == op:
            out[-1][1] += 1
        else:
            out.append([op, 1])
    return ", ".join(op if n == 1 else "%s x%d" % (op, n) for op, n in out)


def run(ctx):
    control = ctx.control
    table = Table(
        "API calls per scenario (request log of the local endpoint)",
        ["Scenario", "Mode", "EKS reads", "SSM reads", "EC2 reads", "Writes", "DescribeUpdate polls", "Calls",
         "Target EKS/SSM/EC2/writes", "Meets target", "Calls in order"],
    )
    failures = []
    max_polls = int(math.ceil(UPDATE_DURATION / WAIT_DELAY))
    for scenario, noop_group, move_group, target_args, noop_reads, decision in SCENARIOS:
        for mode in ("no-op", "check mode", "upgrade + wait"):
            control.load_fleet(FLEET)
            group = noop_group if mode == "no-op" else move_group
            control.behaviour("prod", group, update_duration=UPDATE_DURATION)
            control.clear_requests()
            args = dict(target_args, cluster_name="prod", name=group, wait_delay=WAIT_DELAY)
            result, _wall, _cpu = ctx.playbooks.run(MODULE, args, check=(mode == "check mode"))
            log = control.requests()
            counts = by_service(log)
            ops = operations(log)
            polls = ops.count("DescribeUpdate")
            upgrade = mode == "upgrade + wait"

            target = dict(noop_reads if mode == "no-op" else decision)
            writes_target = 1 if upgrade else 0
            eks_reads = counts.get(("eks", "r"), 0)
            eks_target = target.get(("eks", "r"), 0)
            writes = sum(n for (svc, kind), n in counts.items() if kind == "w")
            if upgrade:
                # the reads before the write, then 1..max_polls DescribeUpdate and the final DescribeNodegroup
                eks_ok = 1 <= polls <= max_polls and eks_reads == eks_target + polls + 1
            else:
                eks_ok = eks_reads == eks_target and polls == 0
            ok = (
                eks_ok
                and counts.get(("ssm", "r"), 0) == target.get(("ssm", "r"), 0)
                and counts.get(("ec2", "r"), 0) == target.get(("ec2", "r"), 0)
                and writes == writes_target
                and bool(result.get("changed")) == (mode != "no-op")
                and not result.get("failed")
                and (not upgrade or (result.get("nodegroup_update") or {}).get("status") == "Successful")
            )
            if not ok:
                failures.append("%s / %s: %s" % (scenario, mode, result.get("msg")))
            target_text = "%s%d/%d/%d/%d" % (
                "<=" if upgrade else "", eks_target + (max_polls + 1 if upgrade else 0),
                target.get(("ssm", "r"), 0), target.get(("ec2", "r"), 0), writes_target)
            table.add(scenario, mode, eks_reads, counts.get(("ssm", "r"), 0), counts.get(("ec2", "r"), 0),
                      writes, polls if upgrade else "-", len(log), target_text, "yes" if ok else "NO", _compress(ops))
    table.notes = [
        "Each row: the fleet reseeded, one ansible-playbook run of %s, the endpoint's request log read; "
        "reads are Describe*/Get*/List*, every other call a write; Calls counts every call, all services." % MODULE,
        "Targets are fixed per row before the run. Upgrade rows: the reads before the write, 1 UpdateNodegroupVersion, "
        "1 to ceil(D/wait_delay) DescribeUpdate polls and 1 final DescribeNodegroup; updates last D = %.1f s with "
        "wait_delay=%d, so at most %d polls (the module sleeps wait_delay before each poll, none right after the start)."
        % (UPDATE_DURATION, WAIT_DELAY, max_polls),
        "A Kubernetes version change also reads DescribeCluster (the target must not pass the cluster's version) and SSM "
        "(the release it sends, so the request, its token and the diff are exact).",
    ]
    return [table], failures
