"""Process cost: the module against the same calls made other ways, on a launch template bump.

A launch template version bump (web: template version 1 -> 3, wait=false) and the same
target already met (web-current: on version 3): the one case community.aws.eks_nodegroup
supports. Each round runs every method once, in a rotating order, the fleet reseeded before
each; ratios to the bare boto3 script are taken within a round, then the median over rounds.

Methods:
  ansible-playbook, fleetops     the whole run as a user starts it: one-task playbook on localhost
  ansible-playbook, community    the same with community.aws.eks_nodegroup (needs node_role, subnets,
                                 scaling_config matching the node group, or it updates the config too)
  AnsiballZ, fleetops            the module process alone: the payload ansible-playbook wrote for that
                                 task (kept with ANSIBLE_KEEP_REMOTE_FILES), run again with the same
                                 interpreter; it is exactly what the controller runs, minus the controller
  AnsiballZ, community           the same for community.aws.eks_nodegroup
  AnsiballZ, AWS module floor    the same for benchmarks/library/aws_module_floor.py: the bare boto3
                                 script's calls inside AnsibleAWSModule, nothing else; what any
                                 amazon.aws-based module costs as Ansible runs it
  python -m, fleetops            the module from the checkout with an args file (AnsibleModule reads
                                 argv[1]); no zip, module_utils from their .pyc
  bare boto3 script              benchmarks/bare_boto3.py: the module's calls, nothing else
  AWS CLI                        one `aws` process per call the module makes
  python -c pass                 the interpreter's start and exit, for scale
"""

import os
import shutil
import sys

from _common import BENCH, FLEET, MODULE, Table, base_env, by_service, median, module_args_file, module_command, module_env, timed

COMMUNITY = "community.aws.eks_nodegroup"
FLOOR = "aws_module_floor"

SCENARIOS = [
    ("launch template bump", "web", True),
    ("already on target", "web-current", False),
]


def find_aws_cli():
    candidates = [os.environ.get("AWS_CLI"), os.path.join(os.path.dirname(BENCH), ".tmp", "bench-awscli", "bin", "aws"),
                  os.path.join(os.path.dirname(sys.executable), "aws"), shutil.which("aws")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def community_args(group):
    return {
        "cluster_name": "prod", "name": group,
        "node_role": "arn:aws:iam::123456789012:role/eks-nodes-prod",
        "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        "scaling_config": {"min_size": 1, "max_size": 6, "desired_size": 3},
        "launch_template": {"name": "web-nodes", "version": "3"},
        "wait": False,
    }


def module_args(group):
    return {"cluster_name": "prod", "name": group, "launch_template": {"version": "3"}, "wait": False}


def _calls(log):
    counts = by_service(log)
    parts = []
    for svc in ("eks", "ssm", "ec2"):
        r, w = counts.get((svc, "r"), 0), counts.get((svc, "w"), 0)
        if r or w:
            parts.append("%s %dr%s" % (svc.upper(), r, "+%dw" % w if w else ""))
    return ", ".join(parts) or "none"


def methods(ctx, group, aws):
    """(label, [commands], env, needs a fleet reset) for one scenario."""
    url = ctx.url
    fleetops_pb, _out = ctx.playbooks.write(MODULE, module_args(group), save=False)
    community_pb, _out = ctx.playbooks.write(COMMUNITY, community_args(group), save=False)
    ctx.control.load_fleet(FLEET)
    fleetops_z = ctx.playbooks.ansiballz(MODULE, module_args(group), "fleetops-" + group)
    ctx.control.load_fleet(FLEET)
    community_z = ctx.playbooks.ansiballz(COMMUNITY, community_args(group), "community-" + group)
    ctx.control.load_fleet(FLEET)
    floor_z = ctx.playbooks.ansiballz(FLOOR, {"cluster_name": "prod", "name": group, "version": "3", "region": "us-east-1",
                                              "endpoint_url": url}, "floor-" + group,
                                      env={"ANSIBLE_LIBRARY": os.path.join(BENCH, "library")})
    args_file = module_args_file(ctx.workdir, group, dict(module_args(group), region="us-east-1", endpoint_url=url))
    out = [
        ("ansible-playbook, fleetops", [ctx.playbooks.command(fleetops_pb)], base_env()),
        ("ansible-playbook, community.aws", [ctx.playbooks.command(community_pb)], base_env()),
        ("AnsiballZ, fleetops (module process)", [[sys.executable, fleetops_z]], base_env()),
        ("AnsiballZ, community.aws (module process)", [[sys.executable, community_z]], base_env()),
        ("AnsiballZ, AWS module floor (module process)", [[sys.executable, floor_z]], base_env()),
        ("python -m, fleetops (module process)", [module_command(args_file)], module_env()),
        ("bare boto3 script", [[sys.executable, os.path.join(BENCH, "bare_boto3.py"), url, "prod", group, "3"]], base_env()),
    ]
    if aws:
        cli = [aws, "--endpoint-url", url, "--region", "us-east-1", "--output", "json"]
        commands = [cli + ["eks", "describe-nodegroup", "--cluster-name", "prod", "--nodegroup-name", group]]
        if group == "web":
            commands += [
                cli + ["ec2", "describe-launch-template-versions", "--launch-template-name", "web-nodes", "--versions", "3"],
                cli + ["eks", "update-nodegroup-version", "--cluster-name", "prod", "--nodegroup-name", group,
                       "--launch-template", "name=web-nodes,version=3"],
            ]
        out.append(("AWS CLI (%d process%s)" % (len(commands), "es" if len(commands) > 1 else ""), commands, base_env()))
    out.append(("python -c pass", [[sys.executable, "-c", "pass"]], base_env()))
    return out


def run(ctx):
    aws = find_aws_cli()
    tables, failures = [], []
    for scenario, group, changes in SCENARIOS:
        plan = methods(ctx, group, aws)
        walls = dict((label, []) for label, _commands, _env in plan)
        cpus = dict((label, []) for label, _commands, _env in plan)
        ratios = dict((label, []) for label, _commands, _env in plan)
        cpu_ratios = dict((label, []) for label, _commands, _env in plan)
        calls = {}
        for round_ in range(ctx.runs):
            order = plan[round_ % len(plan):] + plan[:round_ % len(plan)]
            this_round, this_cpu = {}, {}
            for label, commands, env in order:
                ctx.control.load_fleet(FLEET)
                ctx.control.clear_requests()
                wall = cpu = 0.0
                for command in commands:
                    w, c, done = timed(command, env, cwd=ctx.workdir)
                    wall += w
                    cpu += c
                    if done.returncode != 0:
                        failures.append("process cost, %s, %s: exit %d: %s %s" % (scenario, label, done.returncode,
                                                                                  done.stdout[-400:], done.stderr[-400:]))
                log = ctx.control.requests()
                updates = sum(1 for e in log if e["operation"] == "UpdateNodegroupVersion")
                if label != "python -c pass" and updates != (1 if changes else 0):
                    failures.append("process cost, %s, %s: %d UpdateNodegroupVersion calls" % (scenario, label, updates))
                calls.setdefault(label, _calls(log))
                walls[label].append(wall)
                cpus[label].append(cpu)
                this_round[label] = wall
                this_cpu[label] = cpu
            for label in this_round:
                ratios[label].append(this_round[label] / this_round["bare boto3 script"])
                cpu_ratios[label].append(this_cpu[label] / max(this_cpu["bare boto3 script"], 1e-6))
        table = Table(
            "Process cost: %s (%s, wait=false), median of %d runs" % (scenario, "template version 1 -> 3" if changes else "no change", ctx.runs),
            ["Method", "Calls (r=read, w=write)", "Wall median", "Wall min-max", "CPU median", "Wall x bare boto3", "CPU x bare boto3"],
        )
        for label, _commands, _env in plan:
            table.add(label, calls.get(label, "") if label != "python -c pass" else "-", "%.3f s" % median(walls[label]),
                      "%.3f-%.3f" % (min(walls[label]), max(walls[label])), "%.3f s" % median(cpus[label]),
                      "%.2f" % median(ratios[label]), "%.2f" % median(cpu_ratios[label]))
        module_ratio = median(ratios["AnsiballZ, fleetops (module process)"])
        floor_ratio = median(ratios["AnsiballZ, AWS module floor (module process)"])
        over_floor = median([ours / floor for ours, floor in zip(walls["AnsiballZ, fleetops (module process)"],
                                                                 walls["AnsiballZ, AWS module floor (module process)"])])
        verdict = "meets" if module_ratio <= 1.5 else "MISSES"
        if module_ratio > 1.5:
            failures.append("process cost, %s: module process %.2fx the bare boto3 script (target <= 1.5x)" % (scenario, module_ratio))
        table.notes = [
            "Target: the module process <= 1.5x the bare boto3 script: %.2fx wall (%.2fx CPU), %s." % (
                module_ratio, median(cpu_ratios["AnsiballZ, fleetops (module process)"]), verdict),
            "The AWS module floor (the same calls in a bare AnsibleAWSModule, as Ansible runs it) is %.2fx the bare boto3"
            " script; eks_nodegroup_version is %.2fx the floor." % (floor_ratio, over_floor),
            "Ratios: each run's time over the bare boto3 script's time in the same round, median over rounds.",
            "CPU = user + system time of the process and its children (the controller's workers included for ansible-playbook).",
        ]
        if not aws:
            table.notes.append("AWS CLI not found: install benchmarks/requirements.txt (see docs/performance.md) for that row.")
        tables.append(table)
    return tables, failures
