"""The eks_clusters inventory plugin end to end: ansible-inventory and ansible-playbook against the local endpoint.

Each cluster is a host whose eks_nodegroups are the entries eks_nodegroup_version_info reports for it, read by the
same calls; the request log shows what each run read.
"""

import collections
import json
import os
import socket
import subprocess

import pytest
import yaml

from conftest import CREDENTIALS, REGION, ansible_env, tool
from fleet_helpers import INFO
from fleets import LATEST_131

PLUGIN = "fleetops.eks.eks_clusters"
WEST = "us-west-2"
LATEST_130 = "1.30.11-20250403"

FLEET = {
    "region": REGION,
    "defaults": {"update_duration": 1},
    "launch_templates": [{"name": "web-nodes", "versions": 3, "default_version": 2}],
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                {"name": "current", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131},
                {"name": "web", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131,
                 "launch_template": {"name": "web-nodes", "version": 1}},
            ],
        },
        # a node group of the same name as one of prod's: each host gets its own cluster's
        {"name": "prod-canary", "version": "1.31", "nodegroups": [
            {"name": "general", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131}]},
        {"name": "edge", "version": "1.30", "nodegroups": [
            {"name": "small", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_130}]},
        {"name": "sandbox", "version": "1.32"},
    ],
}

# The same cluster name in another region.
WEST_FLEET = {"region": WEST, "clusters": [{"name": "prod", "version": "1.32", "nodegroups": [
    {"name": "general", "version": "1.32", "ami_type": "AL2023_x86_64_STANDARD"}]}]}

HOSTS = ["edge", "prod", "prod-canary", "sandbox"]


@pytest.fixture
def fleet(control, eks):
    control.load_fleet(FLEET)
    eks.tag_resource(resourceArn=eks.describe_cluster(name="prod")["cluster"]["arn"], tags={"team": "payments"})
    control.clear_requests()
    return control


def plain(value):
    """ansible-inventory's JSON without its ``{"__ansible_unsafe": ...}`` wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return plain(value["__ansible_unsafe"])
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class Listed:
    """One ``ansible-inventory --list`` run: its inventory (plain JSON), output and exit code."""

    def __init__(self, data, output, rc):
        self.data = data
        self.output = output
        self.rc = rc

    @property
    def hostvars(self):
        return self.data["_meta"]["hostvars"]

    def hosts(self, group="eks_clusters"):
        return sorted(self.data.get(group, {}).get("hosts", []))

    def __repr__(self):
        return "Listed(rc=%s)\n%s" % (self.rc, self.output[-4000:])


class Inventory:
    """Inventory files of the plugin pointed at the endpoint, and ansible-inventory runs on them."""

    def __init__(self, url, workdir):
        self.url = url
        self.workdir = workdir

    def write(self, name="fleet", **options):
        config = {
            "plugin": PLUGIN,
            "regions": [REGION],
            "endpoint_url": self.url,
            "access_key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "secret_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        config.update(options)
        path = os.path.join(self.workdir, "%s.eks_clusters.yml" % name)
        with open(path, "w") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        return path

    def env(self):
        # An inventory source that fails fails the run (by default it is a warning, and the inventory is empty).
        return ansible_env(CREDENTIALS, {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})

    def list(self, path, *args):
        done = subprocess.run([tool("ansible-inventory"), "-i", path, "--list"] + list(args), env=self.env(),
                              cwd=self.workdir, capture_output=True, text=True, timeout=300, check=False)
        data = plain(json.loads(done.stdout)) if done.returncode == 0 else None
        return Listed(data, done.stdout + done.stderr, done.returncode)


@pytest.fixture
def inventory(endpoint, tmp_path):
    return Inventory(endpoint.url, str(tmp_path))


def calls(control):
    return collections.Counter((entry["service"], entry["operation"]) for entry in control.requests())


def one_line(text):
    return " ".join(text.split())


def test_every_cluster_is_a_host_with_the_reports_entries_for_it(fleet, ansible, inventory):
    report = ansible.run(module=INFO)
    assert not report.failed, report
    report_calls = calls(fleet)
    fleet.clear_requests()

    listed = inventory.list(inventory.write())
    assert listed.rc == 0, listed
    assert listed.hosts() == HOSTS
    for name in HOSTS:
        hostvars = listed.hostvars[name]
        entries = [entry for entry in report.result["nodegroups"] if entry["cluster"] == name]
        # entry for entry what the module reports for the cluster, in its order
        assert hostvars["eks_nodegroups"] == entries, name
        listing = [cluster for cluster in report.result["clusters"] if cluster["name"] == name]
        assert hostvars["eks_nodegroups_summary"] == dict(
            clusters=1, nodegroups=len(entries), behind=sum(entry["behind"] for entry in entries),
            kubernetes_behind=sum(entry["kubernetes_behind"] for entry in entries),
            release_behind=sum(entry["release_behind"] for entry in entries),
            template_behind=sum(entry["template_behind"] for entry in entries),
            update_in_progress=0, upgradable=sum(bool(entry["upgrade"]) for entry in entries), blocked=0)
        assert listing[0]["nodegroups"] == len(entries)
        assert hostvars["eks_region"] == REGION
        assert hostvars["ansible_connection"] == "local"
        cluster = hostvars["eks_cluster"]
        assert cluster["name"] == name and cluster["region"] == REGION and cluster["status"] == "ACTIVE"
        assert cluster["version"] == listing[0]["version"]
        assert cluster["arn"] == "arn:aws:eks:%s:%s:cluster/%s" % (REGION, cluster["account_id"], name)
        assert cluster["endpoint"].startswith("https://") and cluster["platform_version"].startswith("eks.")
        assert "certificate_authority" in cluster and "resources_vpc_config" in cluster  # snake_cased
    assert listed.hostvars["prod"]["eks_cluster"]["tags"] == {"team": "payments"}
    assert [entry["name"] for entry in listed.hostvars["prod"]["eks_nodegroups"]] == ["current", "general", "web"]
    assert listed.hostvars["prod"]["eks_nodegroups_summary"]["behind"] == 2
    assert listed.hostvars["sandbox"]["eks_nodegroups"] == []

    assert listed.hosts("eks_behind") == ["prod"]
    assert listed.hosts("eks_current") == ["edge", "prod-canary", "sandbox"]
    assert listed.hosts("eks_version_1_31") == ["prod", "prod-canary"]
    assert listed.hosts("eks_version_1_30") == ["edge"] and listed.hosts("eks_version_1_32") == ["sandbox"]
    assert listed.hosts("eks_region_us_east_1") == HOSTS

    # The same reads as the module's (the default rate_limit paces them), nothing written.
    assert calls(fleet) == report_calls
    assert report_calls[("eks", "DescribeCluster")] == 4 and report_calls[("eks", "DescribeNodegroup")] == 5
    assert not [key for key in calls(fleet) if key[1].startswith(("Update", "Create", "Delete", "Tag"))]


def test_cluster_names_hostnames_and_constructed_features(fleet, inventory):
    listed = inventory.list(inventory.write(
        cluster_names=["prod*", "edge"],
        hostnames=["{{ tags.inventory_name }}", "tags.inventory_name", "{{ name }}.{{ region }}"],
        keyed_groups=[{"key": "eks_cluster.tags.team | default('none')", "prefix": "team"},
                      {"key": "eks_nodegroups | map(attribute='ami_type') | list", "prefix": "ami"}],
        groups={"upgradable": "eks_nodegroups_summary.upgradable > 0"},
        compose={"nodegroup_names": "eks_nodegroups | map(attribute='name') | list",
                 "ansible_connection": "'ssh' if eks_cluster.name == 'edge' else omit"},
        rate_limit=0,
    ))
    assert listed.rc == 0, listed
    assert listed.hosts() == ["edge.us-east-1", "prod-canary.us-east-1", "prod.us-east-1"]
    assert fleet.count("DescribeCluster") == 3  # sandbox is listed, never read
    prod = listed.hostvars["prod.us-east-1"]
    assert prod["eks_cluster"]["name"] == "prod" and prod["nodegroup_names"] == ["current", "general", "web"]
    assert listed.hosts("team_payments") == ["prod.us-east-1"]
    assert listed.hosts("team_none") == ["edge.us-east-1", "prod-canary.us-east-1"]
    assert listed.hosts("ami_AL2023_x86_64_STANDARD") == listed.hosts()
    assert listed.hosts("upgradable") == ["prod.us-east-1"]
    # compose sets ansible_connection over the plugin's default
    assert listed.hostvars["edge.us-east-1"]["ansible_connection"] == "ssh"
    assert prod["ansible_connection"] == "local"


def test_one_name_in_two_regions_needs_hostnames(fleet, inventory):
    fleet.load_fleet(WEST_FLEET, reset=False)
    fleet.clear_requests()
    regions = [REGION, WEST]
    # Two sources in one run: each is read on its own, and one that fails leaves the other's hosts.
    clashing = inventory.write("clashing", regions=regions, cluster_names=["prod"], rate_limit=0)
    apart = inventory.write("apart", regions=regions, cluster_names=["prod"], hostnames=["name-region"], rate_limit=0)
    listed = inventory.list(clashing, "-i", apart)
    assert listed.rc == 0, listed
    assert ("Failed to parse inventory with 'auto' plugin: clusters prod of region us-east-1 and prod of region us-west-2"
            " would both be host prod: set hostnames to keep them apart, for example [name-region]") in one_line(listed.output), listed
    assert "Unable to parse %s as an inventory source" % clashing in one_line(listed.output)

    assert listed.hosts() == ["prod-us-east-1", "prod-us-west-2"]
    west = listed.hostvars["prod-us-west-2"]
    assert west["eks_region"] == WEST and west["eks_cluster"]["version"] == "1.32"
    assert [(entry["cluster"], entry["cluster_version"]) for entry in west["eks_nodegroups"]] == [("prod", "1.32")]
    assert listed.hosts("eks_region_us_west_2") == ["prod-us-west-2"]
    assert set(entry["region"] for entry in fleet.requests(operation="ListClusters")) == set(regions)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_source_that_cannot_be_read_fails_before_any_call_or_naming_the_region_and_the_call(fleet, inventory):
    sources = [
        (inventory.write("negative", rate_limit=-1),
         "rate_limit must be a number of requests per second from above 0 to 1000, or 0 for no limit; got -1.0."),
        (inventory.write("too-fast", rate_limit=1000.5),
         "rate_limit must be a number of requests per second from above 0 to 1000, or 0 for no limit; got 1000.5."),
        (inventory.write("bad-name", cluster_names=["prod*", "prod/eu"]),
         "cluster_names: 'prod/eu' is not a valid EKS cluster name."),
        (inventory.write("bad-hostnames", hostnames=["name", ""]),
         "hostnames: each entry must be a non-empty string"),
        (inventory.write("nowhere", regions=["no such region"]),
         "fleetops.eks.eks_clusters could not read region no such region while reading the clusters of the region"
         " (ListClusters): Couldn't connect to AWS: Provided region_name 'no such region' doesn't match a supported format."),
        (inventory.write("closed", endpoint_url="http://127.0.0.1:%d" % free_port()),
         "fleetops.eks.eks_clusters could not read region us-east-1 while reading the clusters of the region (ListClusters):"
         " EndpointConnectionError: Could not connect to the endpoint URL"),
    ]
    arguments = []
    for path, dummy in sources[1:]:
        arguments += ["-i", path]
    listed = inventory.list(sources[0][0], *arguments)
    assert listed.rc != 0, listed  # every source failed
    output = one_line(listed.output)
    for path, message in sources:
        assert "Unable to parse %s as an inventory source" % path in output, path
        assert "Failed to parse inventory with 'auto' plugin: " + message in output, (message, listed)
    assert "Traceback" not in listed.output
    # the options are checked before any call; the endpoint never saw a request
    assert fleet.requests() == []


def test_a_denied_region_fails_or_with_strict_permissions_false_is_left_out(fleet, inventory):
    fleet.load_fleet(WEST_FLEET, reset=False)
    fleet.clear_requests()
    # ListClusters in us-east-1 is denied to the first source, then to the second (sources are read in order).
    fleet.add_fault(kind="access_denied", service="eks", operation="ListClusters", count=2)
    strict = inventory.write("strict", regions=[REGION, WEST], rate_limit=0)
    lenient = inventory.write("lenient", regions=[REGION, WEST], strict_permissions=False, rate_limit=0)
    listed = inventory.list(strict, "-i", lenient)
    assert listed.rc == 0, listed
    output = one_line(listed.output)
    assert ("Failed to parse inventory with 'auto' plugin: fleetops.eks.eks_clusters could not read region us-east-1 while"
            " reading the clusters of the region (ListClusters): AccessDeniedException: User: arn:aws:iam::123456789012:user/localeks"
            " is not authorized to perform: eks:ListClusters") in output, listed
    assert "Unable to parse %s as an inventory source" % strict in output
    assert "Unable to parse %s" % lenient not in output
    assert "The region is left out (strict_permissions is false)." in output, listed
    assert listed.hosts() == ["prod"] and listed.hostvars["prod"]["eks_region"] == WEST
    assert [entry["region"] for entry in fleet.requests(operation="ListClusters")] == [REGION, REGION, WEST]


def test_a_cached_inventory_reads_nothing_until_the_cache_is_flushed(fleet, inventory, tmp_path):
    path = inventory.write(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                           cache_timeout=3600, rate_limit=0)
    first = inventory.list(path)
    assert first.rc == 0, first
    assert first.hosts() == HOSTS and fleet.requests()

    fleet.clear_requests()
    second = inventory.list(path)
    assert second.rc == 0, second
    assert second.data == first.data
    assert fleet.requests() == []

    flushed = inventory.list(path, "--flush-cache")
    assert flushed.rc == 0, flushed
    assert flushed.hosts() == HOSTS and fleet.count("ListClusters") == 1


def test_a_play_on_every_cluster_runs_locally_with_the_hosts_variables(fleet, ansible, inventory, tmp_path):
    play = {
        "name": "every cluster",
        "hosts": "all",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "the cluster's variables", "ansible.builtin.debug": {"msg": (
                "cluster {{ inventory_hostname }} connection={{ ansible_connection }} version={{ eks_cluster.version }}"
                " region={{ eks_region }} nodegroups={{ eks_nodegroups | length }} behind={{ eks_nodegroups_summary.behind }}")}},
            # a module, run where ansible_connection says: on the controller, not over SSH to a host named after a cluster
            {"name": "reach the host", "ansible.builtin.ping": {}},
        ],
    }
    path = str(tmp_path / "play.yml")
    with open(path, "w") as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    output, rc = ansible.run_playbook(path, inventory=inventory.write(rate_limit=0))
    assert rc == 0, output
    for line in ["cluster prod connection=local version=1.31 region=us-east-1 nodegroups=3 behind=2",
                 "cluster prod-canary connection=local version=1.31 region=us-east-1 nodegroups=1 behind=0",
                 "cluster edge connection=local version=1.30 region=us-east-1 nodegroups=1 behind=0",
                 "cluster sandbox connection=local version=1.32 region=us-east-1 nodegroups=0 behind=0"]:
        assert line in output, output
    assert "ok=2" in output and "unreachable=0" in output and "failed=0" in output
