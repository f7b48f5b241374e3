#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_nodegroup_version_info
short_description: Report the versions of Amazon EKS managed node groups and what is behind
version_added: 1.0.0
description:
  - Reports, for every managed node group of one or more EKS clusters, its Kubernetes version, AMI release, AMI type
    and launch template version next to its cluster's version, the latest AMI release AWS publishes for its AMI type
    and minor, and its launch template's C($Latest) version; flags what is behind, names the update in progress, and
    gives the M(fleetops.eks.eks_nodegroup_version) options that would bring it up to date.
  - B(Only what EKS would accept.) A node group that is neither C(ACTIVE) nor C(UPDATING) (for example C(DEGRADED),
    C(CREATE_FAILED), C(DELETING)) gets no options, and RV(nodegroups[].blocked_reason) gives its status and health
    issues. A Kubernetes minor for which AWS publishes no release of the node group's AMI type (its SSM public
    parameter does not exist, as for Amazon Linux 2 after Kubernetes 1.32) is not proposed; the release and launch
    template of the node group's own minor still are, and RV(nodegroups[].blocked_reason) says why the minor is not.
    A node group already up to date is reported as such, whatever its status.
  - B(Read only.) It never changes anything; check mode is supported and does the same.
  - B(Bounded calls.) C(ListClusters) (only without O(cluster_names)) and C(ListNodegroups) with every page,
    C(DescribeCluster) once per cluster, C(DescribeNodegroup) once per node group, one SSM read per distinct
    (Kubernetes minor, AMI family) public parameter (the node groups' own minors, and their clusters' minors for the
    node groups a minor behind), batched ten names to a C(GetParameters) call, one
    C(DescribeLaunchTemplateVersions) per distinct launch template, and C(ListUpdates) plus C(DescribeUpdate) only for
    node groups whose status is C(UPDATING). Fifty node groups of one minor and AMI type make one SSM call.
  - The latest release is null, with a reason in RV(nodegroups[].latest_release_reason), when AWS publishes none
    (custom AMIs, Windows, AMI types without a parameter), when the parameter does not exist, or when reading it is
    denied. The report goes on; only EKS errors fail the task.
author:
  - fleetops.eks contributors (@fleetops)
options:
  cluster_names:
    description:
      - Names of the clusters to report on.
      - By default, every cluster of the region (C(ListClusters)).
      - A named cluster that does not exist fails the task.
      - A cluster named twice is reported once, where it is first named.
      - Each name must be a valid EKS cluster name (1 to 100 letters, digits, hyphens and underscores, starting with a
        letter or a digit); the task fails before any call otherwise.
    type: list
    elements: str
    aliases: ['clusters']
  nodegroup_names:
    description:
      - Report only the node groups with these names (in any of the clusters). By default, all of them.
      - Each name must be a valid EKS node group name (1 to 63 letters, digits, hyphens and underscores, starting with a
        letter or a digit); the task fails before any call otherwise.
    type: list
    elements: str
notes:
  - Check mode is supported; the module never changes anything.
  - IAM permissions used are C(eks:ListClusters) (without O(cluster_names)), C(eks:DescribeCluster),
    C(eks:ListNodegroups), C(eks:DescribeNodegroup), C(eks:ListUpdates) and C(eks:DescribeUpdate),
    C(ssm:GetParameters) on the C(/aws/service/...) public parameters, and C(ec2:DescribeLaunchTemplateVersions).
  - The module is in the C(fleetops.eks.aws) action group, which extends C(amazon.aws.aws).
  - The P(fleetops.eks.nodegroup_upgrade#role) role upgrades, in parallel, everything this report says is behind.
seealso:
  - module: fleetops.eks.eks_nodegroup_version
  - name: Retrieving Amazon EKS optimized AMI release versions
    description: The SSM public parameters the latest releases come from.
    link: https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html
extends_documentation_fragment:
  - fleetops.eks.rate_limit
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Report every node group of the region
  fleetops.eks.eks_nodegroup_version_info:
  register: report

- name: Name the node groups that are behind
  ansible.builtin.debug:
    msg: "{{ report.nodegroups | selectattr('behind') | map(attribute='name') | list }}"

- name: Report two clusters' general node groups only
  fleetops.eks.eks_nodegroup_version_info:
    cluster_names: [prod, staging]
    nodegroup_names: [general]
  register: report

- name: Fail when a node group is a Kubernetes minor behind its cluster
  ansible.builtin.assert:
    that: report.summary.kubernetes_behind == 0
    fail_msg: "{{ report.nodegroups | selectattr('kubernetes_behind') | map(attribute='name') | list }} are behind"

- name: Bring each node group that is behind up to date, one at a time
  fleetops.eks.eks_nodegroup_version:
    cluster_name: "{{ item.cluster }}"
    name: "{{ item.name }}"
    kubernetes_version: "{{ item.upgrade.kubernetes_version | default(omit) }}"
    release_version: "{{ item.upgrade.release_version | default(omit) }}"
    launch_template: "{{ item.upgrade.launch_template | default(omit) }}"
  loop: "{{ report.nodegroups | selectattr('upgrade') | list }}"
  loop_control:
    label: "{{ item.cluster }}/{{ item.name }}"
"""

RETURN = r"""
nodegroups:
  description: One entry per managed node group, by cluster (in the order of O(cluster_names) or C(ListClusters)) and
    node group name.
  returned: success
  type: list
  elements: dict
  contains:
    cluster:
      description: The cluster's name.
      returned: always
      type: str
      sample: prod
    name:
      description: The node group's name.
      returned: always
      type: str
      sample: general
    status:
      description: The node group's status.
      returned: always
      type: str
      sample: ACTIVE
    kubernetes_version:
      description: The node group's Kubernetes version.
      returned: always
      type: str
      sample: "1.30"
    release_version:
      description: The node group's AMI release version (the AMI id of a custom AMI).
      returned: always
      type: str
      sample: "1.30.4-20241024"
    ami_type:
      description: The node group's AMI type.
      returned: always
      type: str
      sample: AL2023_x86_64_STANDARD
    launch_template:
      description: The node group's launch template; null without one.
      returned: always
      type: dict
      sample: {"name": "web-nodes", "id": "lt-0123456789abcdef0", "version": "1"}
      contains:
        name:
          description: The launch template's name.
          returned: always
          type: str
          sample: web-nodes
        id:
          description: The launch template's id.
          returned: always
          type: str
          sample: lt-0123456789abcdef0
        version:
          description: The version of the launch template the node group runs.
          returned: always
          type: str
          sample: "1"
    cluster_version:
      description: The cluster's Kubernetes version.
      returned: always
      type: str
      sample: "1.31"
    release_parameter:
      description: The SSM public parameter naming the latest release for the AMI type and minor; null when there is none.
      returned: always
      type: str
      sample: /aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/standard/recommended/release_version
    latest_release:
      description: The latest release for the node group's AMI type and Kubernetes minor; null when unknown.
      returned: always
      type: str
      sample: "1.30.11-20250403"
    latest_release_reason:
      description: Why RV(nodegroups[].latest_release) is null (custom AMI, Windows, missing parameter, access denied);
        null when it is known.
      returned: always
      type: str
      sample: "custom AMI: the release is the AMI of the launch template version; AWS publishes no release for it"
    launch_template_latest_version:
      description: The version number of the launch template's C($Latest) version; null without a launch template or
        when it cannot be read.
      returned: always
      type: str
      sample: "3"
    launch_template_latest_reason:
      description: Why RV(nodegroups[].launch_template_latest_version) is null; null when it is known.
      returned: always
      type: str
      sample: the node group has no launch template
    kubernetes_behind:
      description: The node group's Kubernetes minor is older than the cluster's.
      returned: always
      type: bool
      sample: false
    release_behind:
      description: The latest release is newer than the node group's (as release versions are ordered); false when the
        latest release is unknown or not comparable.
      returned: always
      type: bool
      sample: true
    template_behind:
      description: The node group runs an older version of its launch template than C($Latest).
      returned: always
      type: bool
      sample: false
    behind:
      description: Any of RV(nodegroups[].kubernetes_behind), RV(nodegroups[].release_behind) and
        RV(nodegroups[].template_behind).
      returned: always
      type: bool
      sample: true
    update_in_progress:
      description: The node group's update that is C(InProgress); null when there is none.
      returned: always
      type: dict
      sample: {"id": "c0ffee00-1234-5678-9abc-def012345678", "type": "VersionUpdate", "status": "InProgress"}
      contains:
        id:
          description: The update's id.
          returned: always
          type: str
          sample: c0ffee00-1234-5678-9abc-def012345678
        type:
          description: The update type, such as C(VersionUpdate) or C(ConfigUpdate).
          returned: always
          type: str
          sample: VersionUpdate
        status:
          description: The update's status, C(InProgress).
          returned: always
          type: str
          sample: InProgress
    upgrade:
      description:
        - The M(fleetops.eks.eks_nodegroup_version) options that bring the node group up to date, with the exact
          values of this report; null when nothing is behind or nothing behind can be moved (see
          RV(nodegroups[].upgrade_reason)).
        - A node group a minor behind gets C(kubernetes_version) alone, which comes with the new minor's latest release.
        - When AWS publishes no release of the node group's AMI type for the cluster's minor, C(kubernetes_version) is
          left out and the release and launch template of the node group's own minor are given when they are behind
          (see RV(nodegroups[].blocked_reason)).
        - Never given for a node group that is neither C(ACTIVE) nor C(UPDATING).
      returned: always
      type: dict
      sample: {"kubernetes_version": "1.31", "launch_template": {"version": "3"}}
      contains:
        kubernetes_version:
          description: The cluster's Kubernetes version, for a node group a minor behind that EKS can move to it.
          returned: when the node group's minor is behind and can be moved
          type: str
          sample: "1.31"
        release_version:
          description: The latest release of the node group's own minor.
          returned: when the release is behind and the minor is not moved
          type: str
          sample: "1.31.7-20250403"
        launch_template:
          description: The launch template version to move to.
          returned: when the launch template version is behind
          type: dict
          contains:
            version:
              description: The launch template's C($Latest) version number.
              returned: always
              type: str
              sample: "3"
    upgrade_reason:
      description: Why RV(nodegroups[].upgrade) is null; C(up to date) when nothing is behind, else the same as
        RV(nodegroups[].blocked_reason). Null when RV(nodegroups[].upgrade) is given.
      returned: always
      type: str
      sample: up to date
    blocked_reason:
      description:
        - Why something that is behind is not in RV(nodegroups[].upgrade); null when nothing behind is held back
          (including when nothing is behind).
        - The node group's status when it is neither C(ACTIVE) nor C(UPDATING), with its health issues (code, message,
          resource ids); no release of the AMI type published for the cluster's minor; or a custom AMI a minor behind.
        - Several reasons are separated by C(; ).
      returned: always
      type: str
      sample: "no Amazon Linux 2 release is published for Kubernetes 1.33
        (SSM parameter /aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/release_version does not exist),
        so EKS cannot move the node group to it; move its workloads to an AL2023 or Bottlerocket node group"
clusters:
  description: The clusters reported on, once each, in the order of O(cluster_names) or C(ListClusters); a cluster
    without node groups to report is listed with RV(clusters[].nodegroups) 0.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The cluster's name.
      returned: always
      type: str
      sample: prod
    version:
      description: The cluster's Kubernetes version.
      returned: always
      type: str
      sample: "1.31"
    nodegroups:
      description: How many of its node groups are reported.
      returned: always
      type: int
      sample: 5
summary:
  description: Counts over RV(clusters) and RV(nodegroups), each as the lists give it.
  returned: success
  type: dict
  sample: {"clusters": 2, "nodegroups": 7, "behind": 4, "kubernetes_behind": 1, "release_behind": 2,
           "template_behind": 1, "update_in_progress": 0, "upgradable": 3, "blocked": 1}
  contains:
    clusters:
      description: The length of RV(clusters).
      returned: always
      type: int
      sample: 2
    nodegroups:
      description: The length of RV(nodegroups).
      returned: always
      type: int
      sample: 7
    behind:
      description: The node groups with RV(nodegroups[].behind).
      returned: always
      type: int
      sample: 4
    kubernetes_behind:
      description: The node groups with RV(nodegroups[].kubernetes_behind).
      returned: always
      type: int
      sample: 1
    release_behind:
      description: The node groups with RV(nodegroups[].release_behind).
      returned: always
      type: int
      sample: 2
    template_behind:
      description: The node groups with RV(nodegroups[].template_behind).
      returned: always
      type: int
      sample: 1
    update_in_progress:
      description: The node groups with an update in progress (RV(nodegroups[].update_in_progress)).
      returned: always
      type: int
      sample: 0
    upgradable:
      description: The node groups with RV(nodegroups[].upgrade).
      returned: always
      type: int
      sample: 3
    blocked:
      description: The node groups with a RV(nodegroups[].blocked_reason).
      returned: always
      type: int
      sample: 1
"""

import traceback

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_report as report
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DeadlineExceeded
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import READ_TIMEOUT
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import FleetReader
from ansible_collections.fleetops.eks.plugins.module_utils.fleet_reader import ReadFailed
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import budget_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_budget
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_clients
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import workers_for


def main():
    argument_spec = dict(
        cluster_names=dict(type="list", elements="str", aliases=["clusters"]),
        nodegroup_names=dict(type="list", elements="str"),
        **budget_argument_spec()
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problem = report.check_cluster_names(module.params["cluster_names"]) or report.check_nodegroup_names(module.params["nodegroup_names"])
    if problem:
        module.fail_json(msg=problem)
    try:
        budget = module_budget(module)
    except ValueError as e:
        module.fail_json(msg=str(e))
    reader = FleetReader(module_clients(module, Deadline(READ_TIMEOUT), budget), workers=workers_for(budget))
    try:
        found = reader.read(module.params["cluster_names"], module.params["nodegroup_names"])
    except api.NotFound as e:
        module.fail_json(msg="%s. Check cluster_names and the region." % str(e).rstrip("."))
    except ReadFailed as e:
        if isinstance(e.error, (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)):
            module.fail_json_aws(e.error, msg="Could not report on the node groups while %s" % e.step)
        if isinstance(e.error, DeadlineExceeded):
            module.fail_json(msg="Could not report on the node groups while %s: %s." % (e.step, e.error))
        module.fail_json(msg="Unexpected error while %s: %s: %s" % (e.step, type(e.error).__name__, e.error), exception=e.traceback)
    except DeadlineExceeded as e:
        module.fail_json(msg="Could not report on the node groups: %s." % e)
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg="Unexpected error while reporting on the node groups: %s: %s" % (type(e).__name__, e),
                         exception=traceback.format_exc())
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
