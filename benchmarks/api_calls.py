"""API calls per scenario, counted in the local EKS endpoint's request log.

Each scenario reseeds the fleet, runs the module once through ansible-playbook and
reads the log: EKS, SSM and EC2 reads, and writes, against the least the job allows.

Targets (reads a decision needs, then the write and the wait):
  no-op       1 DescribeNodegroup, + 1 SSM GetParameter only when ``latest`` must be resolved,
              + 1 EC2 DescribeLaunchTemplateVersions only when ``$Latest`` must be resolved; 0 writes.
  check mode  the same reads as the real run makes before its write
              (+ DescribeCluster when the Kubernetes version changes: it must not pass the cluster's);
              0 writes.
  upgrade     those reads + 1 UpdateNodegroupVersion + DescribeUpdate polls + 1 final DescribeNodegroup,
              i.e. the issue's "2 + polls + 1" plus the lookups; polls at most ceil(D / wait_delay)
              for an update lasting D seconds (a poll right after the start, then one per delay).
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
        ["Scenario", "Mode", "EKS reads", "SSM reads", "EC2 reads", "Writes", "DescribeUpdate polls",
         "Target EKS/SSM/EC2/writes", "Meets target", "Calls in order"],
    )
    failures = []
    max_polls = int(math.ceil(UPDATE_DURATION / WAIT_DELAY)) + 1  # + 1: each poll also takes time, the last may fall past D
    for scenario, noop_group, move_group, target_args, noop_reads, decision in SCENARIOS:
        for mode in ("no-op", "check mode", "upgrade + wait"):
            control.load_fleet(FLEET)
            group = noop_group if mode == "no-op" else move_group
            control.behaviour("prod", group, update_duration=UPDATE_DURATION)
            control.clear_requests()
            args = dict(target_args, cluster_name="prod", name=group, wait_delay=WAIT_DELAY)
            result, _, _ = ctx.playbooks.run(MODULE, args, check=(mode == "check mode"))
            log = control.requests()
            counts = by_service(log)
            ops = operations(log)
            polls = ops.count("DescribeUpdate")

            if mode == "no-op":
                target = dict(noop_reads)
                expect_changed = False
            else:
                target = dict(decision)
                expect_changed = True
            writes_target = 1 if mode == "upgrade + wait" else 0
            eks_target = target.get(("eks", "r"), 0)
            if mode == "upgrade + wait":
                eks_target += polls + 1
            writes = sum(n for (svc, kind), n in counts.items() if kind == "w")
            ok = (
                counts.get(("eks", "r"), 0) == eks_target
                and counts.get(("ssm", "r"), 0) == target.get(("ssm", "r"), 0)
                and counts.get(("ec2", "r"), 0) == target.get(("ec2", "r"), 0)
                and writes == writes_target
                and bool(result.get("changed")) == expect_changed
                and not result.get("failed")
                and (mode != "upgrade + wait" or (1 <= polls <= max_polls and (result.get("nodegroup_update") or {}).get("status") == "Successful"))
            )
            if not ok:
                failures.append("%s / %s: %s" % (scenario, mode, result.get("msg")))
            poll_target = "polls" if mode == "upgrade + wait" else ""
            target_text = "%s%s/%d/%d/%d" % (
                target.get(("eks", "r"), 0), ("+%s+1" % poll_target) if poll_target else "",
                target.get(("ssm", "r"), 0), target.get(("ec2", "r"), 0), writes_target)
            table.add(scenario, mode, counts.get(("eks", "r"), 0), counts.get(("ssm", "r"), 0), counts.get(("ec2", "r"), 0),
                      writes, polls if mode == "upgrade + wait" else "-", target_text, "yes" if ok else "NO", _compress(ops))
    table.notes = [
        "Each row: the fleet reseeded, one ansible-playbook run of %s, the endpoint's request log read." % MODULE,
        "Upgrades last %.1f s on the endpoint with wait_delay=%d: at most ceil(%.1f/%d)+1 = %d polls "
        "(one per delay after the start, and one at the end if a poll is late)." % (UPDATE_DURATION, WAIT_DELAY, UPDATE_DURATION, WAIT_DELAY, max_polls),
        "A Kubernetes version change also reads DescribeCluster (the target must not pass the cluster's version) and SSM "
        "(the release it sends, so the request, its token and the diff are exact).",
    ]
    return [table], failures
