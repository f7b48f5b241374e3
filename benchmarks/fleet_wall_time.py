"""Wall time of upgrading a fleet: the nodegroup_upgrade role against one update, and against a serial loop.

    .venv/bin/python benchmarks/fleet_wall_time.py                      # fleets/fifty.yml, every scenario
    .venv/bin/python benchmarks/fleet_wall_time.py --serial 10          # time the serial loop on 10 node groups only
    .venv/bin/python benchmarks/fleet_wall_time.py --quick              # no serial loop, no fan-out per cluster

Starts the local EKS endpoint in this process, seeds the fleet afresh before each scenario, runs
ansible-playbook, and prints a table. Not a test: it prints figures, and asserts nothing.

Scenarios:
  empty playbook   ansible-playbook's own start-up (the fixed overhead of any run)
  one update       eks_nodegroup_version on one node group, waiting for its update
  role             the role on localhost, every node group from the report, max_parallel 50, per_cluster 10
  role, instant    the role on the same fleet with updates that end at once: its own cost, apart from waiting
  batch module     eks_nodegroup_version_batch alone, one task for every node group, waiting for all
  role per cluster the role once per cluster: one inventory host per cluster, forks = clusters (see docs/fleet.md)
  serial loop      a loop over eks_nodegroup_version with wait: true, one node group after the other
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from localeks.ansible_env import ansible_env, link_collection, tool  # noqa: E402
from localeks.server import LocalEKS  # noqa: E402

REGION = "us-east-1"


def environment(forks):
    return ansible_env({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}, {"ANSIBLE_FORKS": str(forks)})


def play(url, tasks, hosts="localhost", roles=None, name="bench"):
    found = {
        "name": name,
        "hosts": hosts,
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "module_defaults": {"group/fleetops.eks.aws": {"region": REGION, "endpoint_url": url}},
        "tasks": tasks,
    }
    if roles:
        found["roles"] = roles
    return found


def run(workdir, plays, forks=5):
    path = os.path.join(workdir, "playbook.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    command = [tool("ansible-playbook"), "-i", "localhost,", path]
    started = time.monotonic()
    done = subprocess.run(command, env=environment(forks), cwd=workdir, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit("ansible-playbook failed (rc %s)" % done.returncode)
    return elapsed


def max_in_progress(control, duration):
    events = []
    for entry in control.requests(service="eks", operation="UpdateNodegroupVersion"):
        if entry["status"] == 200:
            events += [(entry["time"], 1), (entry["time"] + duration, -1)]
    running = peak = 0
    for dummy, step in sorted(events):
        running += step
        peak = max(peak, running)
    return peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", default=os.path.join(ROOT, "localeks", "fleets", "fifty.yml"))
    parser.add_argument("--serial", type=int, default=None, help="node groups in the serial loop (default: all; 0 skips it)")
    parser.add_argument("--wait-delay", type=int, default=1, help="wait_delay of the module (seconds between polls)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: no serial loop, no fan-out per cluster")
    args = parser.parse_args()

    link_collection()
    with open(args.fleet) as handle:
        fleet = yaml.safe_load(handle)
    duration = float((fleet.get("defaults") or {}).get("update_duration", 2.0))
    clusters = [cluster["name"] for cluster in fleet["clusters"]]
    targets = [(cluster["name"], group["name"], cluster["version"]) for cluster in fleet["clusters"] for group in cluster["nodegroups"]]
    serial = len(targets) if args.serial is None else args.serial
    if args.quick:
        serial = 0
    role_vars = {
        "nodegroup_upgrade_from_report": True,
        "nodegroup_upgrade_max_parallel": len(targets),
        "nodegroup_upgrade_per_cluster": len(targets),
        "nodegroup_upgrade_wait_delay": args.wait_delay,
    }
    rows = []
    with LocalEKS(port=0) as endpoint, tempfile.TemporaryDirectory() as workdir:
        control = endpoint.control

        instant = dict(fleet, defaults=dict(fleet.get("defaults") or {}, update_duration=0))

        def scenario(name, groups, plays, forks=5, document=None):
            control.load_fleet(document or args.fleet)
            control.clear_requests()
            print("running: %s ..." % name, flush=True)
            elapsed = run(workdir, plays, forks)
            rows.append((name, groups, elapsed, control.count("UpdateNodegroupVersion"), max_in_progress(control, duration)))

        scenario("empty playbook", 0, [play(endpoint.url, [{"name": "nothing", "ansible.builtin.meta": "noop"}])])
        cluster, name, version = targets[0]
        scenario("one update", 1, [play(endpoint.url, [{
            "name": "one node group",
            "fleetops.eks.eks_nodegroup_version": {"cluster_name": cluster, "name": name, "kubernetes_version": version,
                                                   "wait_delay": args.wait_delay},
        }])])
        scenario("role", len(targets), [play(endpoint.url, [{
            "name": "upgrade the fleet",
            "ansible.builtin.include_role": {"name": "fleetops.eks.nodegroup_upgrade"},
            "vars": role_vars,
        }])])
        scenario("role, instant updates", len(targets), [play(endpoint.url, [{
            "name": "upgrade the fleet",
            "ansible.builtin.include_role": {"name": "fleetops.eks.nodegroup_upgrade"},
            "vars": role_vars,
        }])], document=instant)
        scenario("batch module", len(targets), [play(endpoint.url, [{
            "name": "upgrade every node group in one task",
            "fleetops.eks.eks_nodegroup_version_batch": {
                "nodegroups": [{"cluster_name": cluster, "name": name, "kubernetes_version": version} for cluster, name, version in targets],
                "wait_delay": args.wait_delay,
            },
        }])])
        fan_out = play(endpoint.url, [{
            "name": "one inventory host per cluster",
            "ansible.builtin.add_host": {"name": "{{ item }}", "groups": "fleet_clusters"},
            "loop": clusters,
        }], name="clusters")
        per_cluster = play(endpoint.url, [{
            "name": "upgrade this cluster",
            "ansible.builtin.include_role": {"name": "fleetops.eks.nodegroup_upgrade"},
            "vars": dict(role_vars, nodegroup_upgrade_clusters=["{{ inventory_hostname }}"]),
        }], hosts="fleet_clusters", name="upgrade")
        # Each host on its own: with the default linear strategy, hosts wait for each other at every task, and
        # their includes (different batches) run one host after the other.
        per_cluster["strategy"] = "free"
        if not args.quick:
            scenario("role per cluster", len(targets), [fan_out, per_cluster], forks=len(clusters))
        if serial:
            scenario("serial loop", serial, [play(endpoint.url, [{
                "name": "one node group after the other",
                "fleetops.eks.eks_nodegroup_version": {"cluster_name": "{{ item.0 }}", "name": "{{ item.1 }}", "kubernetes_version": "{{ item.2 }}",
                                                       "wait_delay": args.wait_delay},
                "loop": [list(target) for target in targets[:serial]],
            }])])

    overhead = rows[0][2]
    one = rows[1][2]
    walls = dict((row[0], row[2]) for row in rows)
    print()
    print("fleet %s: %d node groups in %d clusters, updates of %.0f s; wait_delay %d s" % (
        os.path.relpath(args.fleet, ROOT), len(targets), len(clusters), duration, args.wait_delay))
    print("target for the role: <= 1.3 x %.0f s + the fixed overhead (%.1f s) = %.1f s" % (duration, overhead, 1.3 * duration + overhead))
    print()
    print("| scenario | node groups | wall time (s) | / one update's duration | / one update's run | updates started | most in progress at once |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, groups, elapsed, writes, peak in rows:
        print("| %s | %d | %.1f | %.1f | %.1f | %d | %d |" % (name, groups, elapsed, elapsed / duration, elapsed / one, writes, peak))
    own = walls["role"] - walls["role, instant updates"]
    print("\nthe role's wall time beyond its run with instant updates (the same work, no wait): %.1f s = %.2f x one update's duration"
          % (own, own / duration))
    for name, groups, elapsed, writes, peak in rows:
        if name == "serial loop" and groups < len(targets):
            print("\nserial loop over all %d node groups, extrapolated: %.0f s" % (len(targets), elapsed / groups * len(targets)))


if __name__ == "__main__":
    main()
