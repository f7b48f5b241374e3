# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading a fleet's version report: the calls of eks_nodegroup_version_info, side by side within a budget.

``FleetReader.read()`` lists and describes the clusters and node groups, reads each
shared fact once (SSM release parameters, launch templates' ``$Latest``) and the
updates in progress, and returns ``nodegroup_report.fleet_report()``. Its clients are
``bounded_client.BoundedClients``: every request passes one request budget and one
deadline. Reads that do not depend on each other (clusters, node groups, parameter
batches, templates, updates) are made by ``workers`` threads at a time; boto3 clients
are thread-safe, and the budget paces the threads together.

``described_clusters`` keeps what DescribeCluster answered for each cluster read
(its ``cluster``, by name), for callers that need more of a cluster than its version
(the eks_clusters inventory plugin); the report itself uses the version only.

Errors: a named cluster that does not exist raises ``eks_nodegroup_api.NotFound``;
other AWS errors raise ``ReadFailed``, which names what was being read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import traceback

from ansible_collections.fleetops.eks.plugins.module_utils import eks_fleet_api as fleet_api
from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report

# The report's calls, retries and waits for the request budget included, end within this many seconds.
READ_TIMEOUT = 3600


class ReadFailed(Exception):
    """An error while reading ``step``: ``error`` (a botocore error, or any other), with its ``traceback``."""

    def __init__(self, step, error, tb=None):
        super(ReadFailed, self).__init__("%s: %s" % (step, error))
        self.step = step
        self.error = error
        self.traceback = tb


class FleetReader:
    """One report: ``read(cluster_names, nodegroup_names)`` with ``clients`` (BoundedClients), ``workers`` threads."""

    def __init__(self, clients, workers=1):
        self.clients = clients
        self.workers = max(1, int(workers))
        # DescribeCluster's ``cluster`` of every cluster read, by name.
        self.described_clusters = {}

    def each(self, items, read, step):
        """``[read(item) for item in items]``, ``workers`` at a time, in order; the first error raises ReadFailed."""
        items = list(items)

        def one(item):
            try:
                return read(item), None
            except (api.NotFound, ReadFailed):
                raise
            except Exception as error:  # pylint: disable=broad-except
                return None, ReadFailed(step(item), error, traceback.format_exc())

        if self.workers == 1 or len(items) <= 1:
            answers = [one(item) for item in items]
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
                answers = list(pool.map(one, items))
        for dummy, error in answers:
            if error is not None:
                raise error
        return [value for value, dummy in answers]

    def eks(self):
        return self.clients.client("eks")

    def cluster_names(self, names):
        if names is None:
            try:
                names = fleet_api.list_clusters(self.eks())
            except Exception as error:  # pylint: disable=broad-except
                raise ReadFailed("reading the clusters of the region (ListClusters)", error, traceback.format_exc())
        return report.distinct(names)

    def cluster(self, name, nodegroup_names):
        """The cluster's version and the names of its node groups (selected by ``nodegroup_names``)."""
        described = api.describe_cluster(self.eks(), name)
        self.described_clusters[name] = described
        version = described["version"]
        names = report.select_nodegroups(fleet_api.list_nodegroups(self.eks(), name), nodegroup_names)
        return version, names

    def nodegroup(self, key):
        cluster, name = key
        try:
            return api.describe_nodegroup(self.eks(), cluster, name)
        except api.NotFound:
            return None  # deleted between ListNodegroups and DescribeNodegroup: no longer part of the fleet

    def releases(self, nodegroups, cluster_versions):
        values, reasons = {}, {}
        names = report.batches(report.release_parameters(nodegroups, cluster_versions))
        ssm = self.clients.client("ssm")
        found = self.each(names, lambda batch: fleet_api.read_parameters(ssm, batch),
                          lambda batch: "reading the SSM parameters %s (GetParameters)" % ", ".join(batch))
        for batch_values, batch_reasons in found:
            values.update(batch_values)
            reasons.update(batch_reasons)
        return values, reasons

    def templates(self, nodegroups):
        ec2 = self.clients.client("ec2")

        def latest(item):
            try:
                return fleet_api.latest_template_version(ec2, item[1]), None
            except api.LookupFailed as e:
                return None, str(e)

        items = sorted(report.launch_templates(nodegroups).items())
        found = self.each(items, latest, lambda item: "reading launch template %s (DescribeLaunchTemplateVersions)" % item[0])
        versions = dict((key, version) for (key, dummy), (version, reason) in zip(items, found) if reason is None)
        reasons = dict((key, reason) for (key, dummy), (version, reason) in zip(items, found) if reason is not None)
        return versions, reasons

    def update_in_progress(self, nodegroup):
        if nodegroup.get("status") != "UPDATING":
            return None
        return api.find_update_in_progress(self.eks(), nodegroup["clusterName"], nodegroup["nodegroupName"])

    def read(self, cluster_names=None, nodegroup_names=None):
        """The fleet report (``nodegroup_report.fleet_report``) of ``cluster_names`` (default: every cluster)."""
        names = self.cluster_names(cluster_names)
        found = self.each(names, lambda name: self.cluster(name, nodegroup_names),
                          lambda name: "reading cluster %s (DescribeCluster, ListNodegroups)" % name)
        clusters = [dict(name=name, version=version) for name, (version, dummy) in zip(names, found)]
        keys = [(name, nodegroup) for name, (dummy, nodegroups) in zip(names, found) for nodegroup in nodegroups]
        described = self.each(keys, self.nodegroup,
                              lambda key: "reading node group %s of cluster %s (DescribeNodegroup)" % (key[1], key[0]))
        cluster_versions = dict((cluster["name"], cluster["version"]) for cluster in clusters)
        nodegroups = [nodegroup for nodegroup in described if nodegroup is not None]
        releases, release_reasons = self.releases(nodegroups, cluster_versions)
        templates, template_reasons = self.templates(nodegroups)
        updates = self.each(
            nodegroups, self.update_in_progress,
            lambda ng: "reading the update in progress of node group %s of cluster %s (ListUpdates, DescribeUpdate)" % (
                ng.get("nodegroupName"), ng.get("clusterName")))
        entries = [
            report.report_entry(nodegroup, cluster_versions[nodegroup["clusterName"]], releases, release_reasons,
                                templates, template_reasons, update)
            for nodegroup, update in zip(nodegroups, updates)
        ]
        return report.fleet_report(clusters, entries)
