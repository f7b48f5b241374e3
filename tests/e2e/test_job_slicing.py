"""A fleet run spread over slices of the eks_clusters inventory, as AWX job slicing runs one job template as several
jobs over disjoint slices of the inventory: two ansible-playbook processes side by side, each with its --limit.

Every node group behind is upgraded exactly once, by the slice its cluster is in, and both slices end ok.
"""

import collections
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import yaml

from conftest import CREDENTIALS, REGION, ansible_env, tool

OLD = "1.31.0-20241024"
LATEST = "1.31.7-20250403"
CLUSTERS = ["alpha", "bravo", "charlie", "delta"]


def fleet():
    clusters = []
    for index, name in enumerate(CLUSTERS):
        nodegroups = [
            {"name": "ng-1", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": OLD},
            {"name": "ng-2", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
            {"name": "ng-3", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST},
        ]
        if index == 3:
            nodegroups = nodegroups[2:]  # a cluster with nothing behind
        clusters.append({"name": name, "version": "1.31", "nodegroups": nodegroups})
    return {"region": REGION, "defaults": {"update_duration": 1}, "clusters": clusters}


def write(workdir, url):
    inventory = os.path.join(workdir, "fleet.eks_clusters.yml")
    with open(inventory, "w") as handle:
        yaml.safe_dump({
            "plugin": "fleetops.eks.eks_clusters",
            "regions": [REGION],
            "endpoint_url": url,
            "access_key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "secret_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }, handle)
    playbook = os.path.join(workdir, "upgrade.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{
            "name": "Upgrade every cluster's node groups that are behind",
            "hosts": "all",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "module_defaults": {"group/fleetops.eks.aws": {"endpoint_url": url}},
            "roles": [{"role": "fleetops.eks.nodegroup_upgrade",
                       "vars": {"nodegroup_upgrade_per_cluster": 2, "nodegroup_upgrade_wait_delay": 1}}],
        }], handle, sort_keys=False)
    return inventory, playbook


def run_slice(workdir, inventory, playbook, hosts):
    done = subprocess.run(
        [tool("ansible-playbook"), "-i", inventory, playbook, "--limit", ",".join(hosts), "--forks", "2"],
        env=ansible_env(CREDENTIALS, {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}), cwd=workdir,
        capture_output=True, text=True, timeout=600, check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_two_slices_side_by_side_upgrade_each_node_group_behind_exactly_once(endpoint, control, eks, tmp_path):
    control.load_fleet(fleet())
    control.clear_requests()
    inventory, playbook = write(str(tmp_path), endpoint.url)
    slices = [CLUSTERS[0::2], CLUSTERS[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda hosts: run_slice(str(tmp_path), inventory, playbook, hosts), slices))
    for (rc, output), hosts in zip(runs, slices):
        assert rc == 0, output
        assert "failed=0" in output and all(host in output for host in hosts), output
    starts = collections.Counter((entry["cluster"], entry["nodegroup"]) for entry in control.requests(operation="UpdateNodegroupVersion"))
    behind = [(cluster, ng) for cluster in CLUSTERS[:3] for ng in ("ng-1", "ng-2")]
    assert dict(starts) == dict((key, 1) for key in behind)
    for cluster in CLUSTERS:
        for name in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
            described = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
            assert (described["version"], described["releaseVersion"]) == ("1.31", LATEST), (cluster, described)
