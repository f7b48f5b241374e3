# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: eks_clusters
short_description: EKS clusters as inventory hosts, with the version report of their node groups
version_added: 2.1.0
description:
  - One inventory host per Amazon EKS cluster of the configured O(regions), for plays that work on clusters
    (one host per cluster, for example with the P(fleetops.eks.nodegroup_upgrade#role) role and the C(free) strategy).
  - The configuration is a YAML file whose name ends with C(eks_clusters.yml) or C(eks_clusters.yaml) (for example
    C(prod.eks_clusters.yml)), whose O(plugin) is V(fleetops.eks.eks_clusters).
  - The host's name is the cluster's name, or what O(hostnames) makes of the cluster. Two clusters of one inventory
    source that would get the same name fail the inventory; set O(hostnames) (for example V(name-region)) when one
    name is used in several regions.
  - 'Host variables: C(eks_cluster), the cluster as C(DescribeCluster) describes it, snake_cased (C(name), C(arn),
    C(version), C(status), C(endpoint), C(platform_version), C(tags), ...), plus C(region) and C(account_id) (from the
    ARN); C(eks_region), the cluster''s region; C(eks_nodegroups), its managed node groups, each entry exactly as
    C(nodegroups) of M(fleetops.eks.eks_nodegroup_version_info) gives it (the same reads make both); and
    C(eks_nodegroups_summary), that report''s C(summary) counted over the cluster''s node groups alone.'
  - Every host gets C(ansible_connection=local) from the group C(eks_clusters) (a group variable, so C(compose),
    C(host_vars) and C(group_vars) set it otherwise), so tasks run on the controller, where the AWS modules call AWS.
  - 'Groups: C(eks_clusters) (every cluster), C(eks_behind) (clusters with at least one node group behind: its
    Kubernetes minor, AMI release or launch template version), C(eks_current) (the others, clusters without node groups
    included), C(eks_version_<version>) (the cluster''s Kubernetes version, for example C(eks_version_1_31)) and
    C(eks_region_<region>) (for example C(eks_region_us_east_1)). Characters not valid in a group name become C(_).
    O(groups) and O(keyed_groups) add more.'
  - 'Calls, in each region: C(ListClusters) (every page), then for the clusters selected by O(cluster_names) the calls of
    M(fleetops.eks.eks_nodegroup_version_info): C(DescribeCluster) and C(ListNodegroups) per cluster,
    C(DescribeNodegroup) per node group, C(ssm:GetParameters) per ten distinct release parameters,
    C(ec2:DescribeLaunchTemplateVersions) per distinct launch template, and C(ListUpdates) plus C(DescribeUpdate) for
    node groups that are C(UPDATING). They are made side by side within O(rate_limit), and end within an hour.'
author:
  - fleetops.eks contributors (@fleetops)
options:
  plugin:
    description: The name of this plugin; it must be V(fleetops.eks.eks_clusters) for the file to be read as its own.
    required: true
    type: str
    choices: ['fleetops.eks.eks_clusters']
  regions:
    description:
      - The regions whose clusters are hosts, read one after the other.
      - Empty (the default), every region EC2's C(DescribeRegions) lists (as amazon.aws's C(aws_ec2) inventory does),
        which needs C(ec2:DescribeRegions); name the regions to read fewer.
    type: list
    elements: str
    default: []
  cluster_names:
    description:
      - Clusters to include, by name or shell-style pattern (C(*), C(?), C([abc]); case-sensitive), matched against the
        names C(ListClusters) gives in each region. A cluster is included when any entry matches it.
      - Empty (the default), every cluster.
      - An entry without a pattern character must be a valid EKS cluster name (1 to 100 letters, digits, hyphens and
        underscores, starting with a letter or a digit); the inventory fails before any call otherwise.
    type: list
    elements: str
    default: []
  hostnames:
    description:
      - How a cluster's host is named, in order of preference; the first entry that gives a non-empty name is used, and
        a cluster for which no entry gives one fails the inventory.
      - An entry is a key of C(eks_cluster) (V(name), V(arn), V(region), V(account_id), ..., or a dotted path into it
        such as V(tags.inventory_name)), several keys joined by C(-) (V(name-region), V(account_id-name)), whose values
        are joined by C(-); or a Jinja2 template, whose variables are the keys of C(eks_cluster) and the host variables
        (V({{ name }}.{{ region }}), V({{ tags.team }}-{{ name }})). A key or variable that is not defined gives no name.
      - A name with C(:) (an ARN) cannot be used in host patterns (C(--limit)); use a group there.
    type: list
    elements: str
    default: ['name']
  rate_limit:
    description:
      - Requests per second that the whole inventory source may send to AWS (EKS, SSM and EC2 calls together, retries
        and pages included, every region), as a token bucket of one second's worth of requests; a request that finds it
        empty waits its turn, no later than the read's deadline of an hour.
      - EKS limits request rates per account and region, shared by every client of the account, and AWS does not
        publish those rates. The default leaves room for the account's other clients.
      - A throttling answer from AWS halves the rate for the next seconds, then it grows back to O(rate_limit).
      - V(0) for no budget. At most V(1000).
    type: float
    default: 10
  strict_permissions:
    description:
      - By default, a region that cannot be read fails the inventory, with the region, what was being read and AWS's
        error.
      - With V(false), a region where reading the clusters or node groups is denied (C(AccessDeniedException),
        C(AccessDenied), C(UnauthorizedOperation), or C(UnrecognizedClientException), which a region not enabled for
        the account answers) is left out with a warning; any other error still fails the inventory.
      - Denied SSM and EC2 reads never fail the inventory; the node groups' entries say why their latest release or
        launch template version is unknown, as M(fleetops.eks.eks_nodegroup_version_info) does.
    type: bool
    default: true
notes:
  - One inventory source reads one account. For several accounts, write one configuration file per account, each with
    its O(assume_role_arn) (alias C(iam_role_arn)) or O(profile), and O(hostnames) that keep names apart (for example
    V(account_id-name)); a host name given by two sources is one host.
  - With O(cache), the hosts come from the cache while it lasts, and no AWS request is made; C(--flush-cache) reads
    AWS again. The cache keeps what was read; O(hostnames), O(compose), O(groups) and O(keyed_groups) are applied to
    it at each run, but a change of O(regions) or O(cluster_names) needs a flush.
  - IAM permissions used are C(eks:ListClusters), C(eks:DescribeCluster), C(eks:ListNodegroups),
    C(eks:DescribeNodegroup), C(eks:ListUpdates) and C(eks:DescribeUpdate), C(ssm:GetParameters) on the
    C(/aws/service/...) public parameters, and C(ec2:DescribeLaunchTemplateVersions); C(ec2:DescribeRegions) without
    O(regions); C(sts:AssumeRole) with O(assume_role_arn).
  - Playbooks on these hosts run their modules with the discovered Python of the controller; set
    C(ansible_python_interpreter) (for example to C({{ ansible_playbook_python }}) in the play's C(vars)) when boto3
    is installed elsewhere.
seealso:
  - module: fleetops.eks.eks_nodegroup_version_info
  - module: fleetops.eks.eks_nodegroup_version_batch
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
"""

EXAMPLES = r"""
# prod.eks_clusters.yml: every cluster of two regions, named by name and region.
plugin: fleetops.eks.eks_clusters
regions:
  - eu-west-1
  - us-east-1
hostnames:
  - name-region

---
# Production clusters only, grouped by team tag and by how many node groups can be upgraded.
plugin: fleetops.eks.eks_clusters
regions: [eu-west-1]
cluster_names: ["prod-*", "payments"]
rate_limit: 5
keyed_groups:
  - key: eks_cluster.tags.team | default('none')
    prefix: team
groups:
  upgradable: eks_nodegroups_summary.upgradable > 0
compose:
  kubeconfig: "'kubeconfigs/' ~ inventory_hostname"

---
# One source per account, the role assumed; cached for an hour.
plugin: fleetops.eks.eks_clusters
iam_role_arn: arn:aws:iam::123456789012:role/fleet-inventory
regions: [us-east-1]
hostnames:
  - account_id-name
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 3600

# A playbook upgrading each cluster that is behind on its own, side by side: on a host of this inventory, the
# nodegroup_upgrade role upgrades that cluster's node groups that are behind, in the host's region.
#
# - name: Upgrade each cluster on its own
#   hosts: eks_behind
#   gather_facts: false
#   strategy: free
#   vars:
#     ansible_python_interpreter: "{{ ansible_playbook_python }}"
#   roles:
#     - role: fleetops.eks.nodegroup_upgrade
"""

import fnmatch

from ansible.errors import AnsibleError
from ansible.errors import AnsibleParserError
from ansible.errors import AnsibleUndefinedVariable

from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import BoundedClients
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import RequestBudget
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import check_rate_limit
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import describe_error
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import READ_TIMEOUT
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import FleetReader
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import ReadFailed
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import ansible_dict
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import workers_for

# The group every host is in; it carries ansible_connection=local.
ALL_GROUP = "eks_clusters"

# Errors after which strict_permissions: false leaves a region out: denied, or a region not enabled for the account.
DENIED_ERROR_CODES = frozenset(("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException"))

PATTERN_CHARACTERS = frozenset("*?[")


# -- pure helpers ----------------------------------------------------------------------------------------------------


def is_pattern(entry):
    """True when a cluster_names entry is a shell-style pattern rather than a name."""
    return any(character in PATTERN_CHARACTERS for character in entry)


def check_cluster_names(entries):
    """A message naming ``cluster_names`` when an entry is not a string, or is a name (no pattern) EKS cannot have; else None."""
    if any(not isinstance(entry, str) for entry in entries):
        return "cluster_names: each entry must be a cluster name or a pattern (a string); got %r." % (list(entries),)
    return report.check_cluster_names([entry for entry in entries if not is_pattern(entry)])


def cluster_selected(name, entries):
    """True when ``name`` is one of ``entries`` or matches one of its patterns (case-sensitive); every name without entries."""
    if not entries:
        return True
    return any(fnmatch.fnmatchcase(name, entry) for entry in entries)


def account_id(arn):
    """The account id of an ARN (``arn:aws:eks:us-east-1:123456789012:cluster/prod``), else None."""
    parts = (arn or "").split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def cluster_facts(region, described):
    """The ``eks_cluster`` host variable: DescribeCluster's ``cluster`` snake_cased (tags as they are), with its
    ``region`` and ``account_id``."""
    facts = ansible_dict(described) or {}
    facts["region"] = region
    facts["account_id"] = account_id(facts.get("arn"))
    return facts


def cluster_records(region, found, described):
    """What a region's hosts are made of: one record per cluster of ``found`` (a ``FleetReader.read()`` report), in its
    order, with ``region``, ``cluster`` (``cluster_facts``), its ``nodegroups`` entries (the report's own dicts) and
    their ``summary`` (``nodegroup_report.summarize`` over them and the cluster alone). ``described`` maps the
    cluster names to DescribeCluster's ``cluster``."""
    by_cluster = {}
    for entry in found["nodegroups"]:
        by_cluster.setdefault(entry["cluster"], []).append(entry)
    records = []
    for listed in found["clusters"]:
        entries = by_cluster.get(listed["name"], [])
        records.append(
            {
                "region": region,
                "cluster": cluster_facts(region, described[listed["name"]]),
                "nodegroups": entries,
                "summary": report.summarize(entries, [listed]),
            }
        )
    return records


def host_variables(record):
    """A cluster host's variables, from its record."""
    return {
        "eks_cluster": record["cluster"],
        "eks_region": record["region"],
        "eks_nodegroups": record["nodegroups"],
        "eks_nodegroups_summary": record["summary"],
    }


def default_group_names(record):
    """The default groups of a cluster's host besides ``eks_clusters``, as named before sanitizing:
    ``eks_behind`` or ``eks_current``, ``eks_version_<version>`` and ``eks_region_<region>``."""
    names = ["eks_behind" if record["summary"]["behind"] else "eks_current"]
    version = record["cluster"].get("version")
    if version:
        names.append("eks_version_%s" % version)
    names.append("eks_region_%s" % record["region"])
    return names


def is_template(entry):
    """True when a hostnames entry is a Jinja2 template rather than keys."""
    return "{{" in entry or "{%" in entry


def hostname_from_keys(cluster, entry):
    """The name a hostnames entry of keys gives: the values of the ``-``-separated keys of ``cluster`` (each key may
    be a dotted path into dicts), joined by ``-``; None when a key is missing or its value empty.

    ValueError when a key's value is a dict, a list or a boolean, which makes no name.
    """
    parts = []
    for key in entry.split("-"):
        value = cluster
        for step in key.strip().split("."):
            if not isinstance(value, dict) or step not in value:
                return None
            value = value[step]
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list, tuple, bool)):
            raise ValueError("hostnames: %r of eks_cluster is a %s, not a name; name a key whose value is a string" % (key, type(value).__name__))
        parts.append(str(value))
    return "-".join(parts)


def resolve_hostname(cluster, entries, render):
    """The host name of ``cluster`` (``eks_cluster``): what the first of the hostnames ``entries`` that gives a
    non-empty name gives, else None. ``render(entry)`` templates a template entry (None when undefined)."""
    for entry in entries:
        name = render(entry) if is_template(entry) else hostname_from_keys(cluster, entry)
        if name is not None and str(name).strip():
            return str(name).strip()
    return None


def read_failure(region, error):
    """A message saying which region could not be read, while reading what, and why."""
    if isinstance(error, ReadFailed):
        # AWS's error code and message, a botocore error with its kind; an error of the plugin's own as it is.
        cause = str(error.error) if isinstance(error.error, AnsibleError) else describe_error(error.error)
        return "fleetops.eks.eks_clusters could not read region %s while %s: %s" % (region, error.step, cause)
    # NotFound: a cluster ListClusters named was deleted before it was described.
    return "fleetops.eks.eks_clusters could not read region %s: %s (deleted while the inventory was read? read it again)" % (
        region, str(error).rstrip("."))


def is_denied(error):
    """True for a region's read that AWS refused as denied (or for a region not enabled for the account)."""
    if not isinstance(error, ReadFailed):
        return False
    response = getattr(error.error, "response", None)
    if not isinstance(response, dict):
        return False
    return (response.get("Error") or {}).get("Code") in DENIED_ERROR_CODES


# -- the plugin ------------------------------------------------------------------------------------------------------


class InventoryModule(AWSInventoryBase):
    NAME = "fleetops.eks.eks_clusters"
    INVENTORY_FILE_SUFFIXES = ("eks_clusters.yml", "eks_clusters.yaml")

    def _do_fail(self, message):
        raise AnsibleParserError(message)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)

        try:
            rate = check_rate_limit(self.get_option("rate_limit"))
        except ValueError as e:
            raise AnsibleParserError(str(e))
        names = self.get_option("cluster_names") or []
        problem = check_cluster_names(names)
        if problem:
            raise AnsibleParserError(problem)
        hostnames = self.get_option("hostnames") or ["name"]
        if not all(isinstance(entry, str) and entry.strip() for entry in hostnames):
            raise AnsibleParserError("hostnames: each entry must be a non-empty string: keys of eks_cluster or a template; got %r." % (list(hostnames),))

        cached, records = self.get_cached_result(path, cache)
        if not cached or not self._usable(records):
            records = self._read(names, rate)
        self._populate(records, hostnames)
        self.update_cached_result(path, cache, records)

    @staticmethod
    def _usable(records):
        return isinstance(records, list) and all(isinstance(record, dict) and "cluster" in record for record in records)

    def _read(self, names, rate):
        """Every region's records, read within one deadline and one request budget."""
        budget = RequestBudget(rate) if rate > 0 else None
        deadline = Deadline(READ_TIMEOUT)
        workers = workers_for(budget)
        strict_permissions = self.get_option("strict_permissions")
        records = []
        for region in report.distinct(self._boto3_regions(service="eks")):
            try:
                records.extend(self._read_region(region, names, deadline, budget, workers))
            except (ReadFailed, api.NotFound) as error:
                message = read_failure(region, error)
                if not strict_permissions and is_denied(error):
                    self.warn("%s. The region is left out (strict_permissions is false)." % message.rstrip("."))
                    continue
                raise AnsibleParserError(message)
        return records

    def _read_region(self, region, names, deadline, budget, workers):
        """The records of a region's selected clusters: the same FleetReader as eks_nodegroup_version_info."""

        def make_client(service, config):
            return self.client(service, region=region, config=config)

        reader = FleetReader(BoundedClients(make_client, deadline, budget=budget), workers=workers)
        selected = [name for name in reader.cluster_names(None) if cluster_selected(name, names)]
        found = reader.read(cluster_names=selected)
        return cluster_records(region, found, reader.described_clusters)

    def _render(self, entry, variables):
        self.templar.available_variables = variables
        try:
            return self.templar.template(entry)
        except AnsibleUndefinedVariable:
            return None
        except AnsibleError as e:
            raise AnsibleParserError("hostnames: could not template %r: %s" % (entry, e))

    def _hostname(self, record, variables, hostnames):
        cluster = record["cluster"]
        template_variables = dict(cluster)
        template_variables.update(variables)
        try:
            name = resolve_hostname(cluster, hostnames, lambda entry: self._render(entry, template_variables))
        except ValueError as e:
            raise AnsibleParserError(str(e))
        if name is None:
            raise AnsibleParserError(
                "hostnames: none of %s gives a name for cluster %s of region %s" % (", ".join(hostnames), cluster.get("name"), record["region"])
            )
        return name

    def _populate(self, records, hostnames):
        # Every host's name first: a source that fails adds no host at all.
        hosts = []
        named = {}
        for record in records:
            variables = host_variables(record)
            name = self._hostname(record, variables, hostnames)
            if name in named:
                raise AnsibleParserError(
                    "clusters %s of region %s and %s of region %s would both be host %s: set hostnames to keep them apart, for example [name-region]"
                    % (named[name]["cluster"].get("name"), named[name]["region"], record["cluster"].get("name"), record["region"], name)
                )
            named[name] = record
            hosts.append((name, record, variables))

        self.inventory.add_group(ALL_GROUP)
        self.inventory.set_variable(ALL_GROUP, "ansible_connection", "local")
        strict = self.get_option("strict")
        for name, record, variables in hosts:
            self.inventory.add_host(name, group=ALL_GROUP)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            for group in default_group_names(record):
                group = self.inventory.add_group(self._sanitize_group_name(group))
                self.inventory.add_child(group, name)
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
