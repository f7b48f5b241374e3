#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_nodegroup_version
short_description: Upgrade an Amazon EKS managed node group's Kubernetes version, AMI release or launch template version
version_added: 1.0.0
description:
  - Brings an Amazon EKS managed node group to a target Kubernetes version, AMI release version and/or launch
    template version through the C(UpdateNodegroupVersion) API, and follows the update to its end.
  - B(Idempotent.) The node group's current version, release and launch template version are compared with the
    target before anything is sent. C(latest) is resolved from the SSM public parameter that AWS publishes for the
    node group's AMI type, and C($Latest) / C($Default) from the launch template's versions. When the node group
    already has the target, nothing is sent. When SSM reports a release older than the node group's, that is a
    no-op too, never a rollback.
  - B(Safe to re-run.) If a version update to the same target is already in progress, the module attaches to it
    instead of starting another; if another update is in progress, it waits for that update (O(wait=true)) and
    then plans again, or fails naming it (O(wait=false)). A run that times out reports the update id; the next
    run resumes waiting on the same update.
  - B(Checked before any change.) Rollbacks, versions newer than the cluster's, releases of another Kubernetes
    minor, foreign or missing launch templates, version changes on custom-AMI node groups and node groups that
    are neither C(ACTIVE) nor C(UPDATING) are refused with a message naming the option and the way out, before
    any mutating call.
  - B(Honest check and diff mode.) Check mode runs the same reads and decisions and reports exactly the request
    a real run would send, without sending it; diff mode shows the version, release and launch template version
    before and after.
  - Waiting polls C(DescribeUpdate) (not the node group's status, which races with the update) until the update
    is C(Successful), C(Failed) or C(Cancelled). C(Failed) and C(Cancelled) fail the task and report every error
    code, message and resource id.
  - Throttling, server errors, lost answers and network faults are retried with jittered backoff, within
    O(wait_timeout), which bounds the whole task, AWS calls included.
author:
  - fleetops.eks contributors (@fleetops)
options:
  cluster_name:
    description:
      - Name of the EKS cluster.
    type: str
    required: true
  name:
    description:
      - Name of the managed node group.
    type: str
    required: true
    aliases: ['nodegroup_name']
  kubernetes_version:
    description:
      - Target Kubernetes minor version, such as V("1.31"). Quote it in YAML (V(1.30) unquoted is the number 1.3).
      - Must not be older than the node group's version (EKS cannot roll back) nor newer than the cluster's.
      - Alone, it means that minor with the latest AMI release EKS has for it; a node group already on that minor
        is left as it is. Add O(release_version=latest) to also move such a node group to the latest release.
      - Not allowed on node groups that run a custom AMI.
    type: raw
    aliases: ['version']
  release_version:
    description:
      - Target AMI release version, exact (V("1.31.4-20250203") for Amazon Linux, V("1.32.0-cafe0123") for
        Bottlerocket) or V(latest).
      - V(latest) is the release recommended in the SSM public parameter for the node group's AMI type and the
        target Kubernetes minor (for example
        C(/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version)).
        Where AWS publishes none (custom AMIs, Windows) or it cannot be read, the module says so and changes nothing.
      - An exact release must belong to the target Kubernetes minor and must not be older than the current release.
      - When none of O(kubernetes_version), O(release_version) and O(launch_template) is given, the target is the
        latest release for the node group's current Kubernetes minor, as C(UpdateNodegroupVersion) itself does
        with an empty request, but reached idempotently.
    type: str
  launch_template:
    description:
      - Target version of the node group's launch template.
      - With neither O(launch_template.name) nor O(launch_template.id), the node group's own template is meant.
        A node group's launch template cannot be replaced by another one; naming another template is refused.
    type: dict
    suboptions:
      name:
        description:
          - Name of the node group's launch template. Mutually exclusive with O(launch_template.id).
        type: str
      id:
        description:
          - ID of the node group's launch template. Mutually exclusive with O(launch_template.name).
        type: str
      version:
        description:
          - A version number such as V(3), or V($Latest) or V($Default), resolved to a number before comparing.
          - Defaults to V($Default), as in the EKS API.
        type: raw
  force:
    description:
      - Update the nodes even when pods cannot be drained because of a pod disruption budget.
    type: bool
    default: false
  client_request_token:
    description:
      - Idempotency token for C(UpdateNodegroupVersion).
      - By default a UUID5 is derived from the request and the node group's current state (cluster, node group,
        version, release, launch template and C(modifiedAt)). A repeated request after a lost response therefore
        carries the same token, and EKS returns the update it already started instead of starting a second one;
        once an update has ended, C(modifiedAt) moves and the same request gets a new token.
    type: str
  wait:
    description:
      - Follow the update until it is C(Successful), C(Failed) or C(Cancelled).
      - With V(false), the module returns as soon as the update has started (or was found in progress).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds the whole task may take, from 1 to 604800 (7 days), waiting for another update that is
        in progress included.
      - It bounds every AWS call as well, so a hung endpoint or endless throttling cannot stretch the task. Each
        call gets connect and read timeouts no longer than the time left (60 s at most) and one attempt per try;
        throttling, server errors, lost answers and network faults are tried again with jittered backoff while
        time is left. Once it has run out, one last short call (5 s) may still be made, to see the update at the
        deadline or the node group it left.
      - When it runs out the task fails with the update's id and status; running the task again resumes waiting
        on the same update.
    type: int
    default: 3600
  wait_delay:
    description:
      - Seconds between two C(DescribeUpdate) polls, from 1 to 3600. The end of an update is seen at most this late.
      - The default keeps the delay under 1% to 5% of a typical 10 to 60 minute node group update while making
        at most 120 calls an hour.
    type: int
    default: 30
notes:
  - Check mode is supported; it makes the same read calls and no mutating call.
  - B(Honest whatever ends the run.) Once C(UpdateNodegroupVersion) was sent, or may have been (its answer
    lost, a server error, the deadline, an unexpected error), the result says C(changed=true) and carries
    RV(request) with its client request token and RV(nodegroup_update) as last seen (at least its id), or says
    that the answer was lost; running the task again finds that update and follows it.
  - B(Success is verified.) The update EKS answers with must lead to the planned target (a reused
    O(client_request_token) hands back an earlier update, which is refused), and after a C(Successful) update
    the node group, described again, must be at the target; otherwise the task fails naming the update, its
    params and the target.
  - IAM permissions used are C(eks:DescribeNodegroup), C(eks:DescribeCluster), C(eks:ListUpdates),
    C(eks:DescribeUpdate), C(eks:UpdateNodegroupVersion), C(ssm:GetParameter) on the C(/aws/service/...) public
    parameters, and C(ec2:DescribeLaunchTemplateVersions); each only when the request needs it.
  - The module is in the C(fleetops.eks.aws) action group, which extends C(amazon.aws.aws), so
    C(module_defaults) for C(group/fleetops.eks.aws) reach this module and every amazon.aws module. The unqualified
    C(group/aws) is ansible-core's own group of amazon.aws and community.aws modules, which other collections
    cannot join.
seealso:
  - name: UpdateNodegroupVersion API
    description: The EKS API this module drives.
    link: https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupVersion.html
  - name: Updating a managed node group
    description: How EKS rolls out a node group update, and its phases.
    link: https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html
extends_documentation_fragment:
  - fleetops.eks.rate_limit
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Move a node group to its cluster's Kubernetes minor
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    kubernetes_version: "1.31"

- name: Keep a node group on the latest AMI release of its minor (idempotent)
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    release_version: latest

- name: Pin an exact AMI release
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    release_version: "1.31.4-20250203"

- name: Roll out the newest version of the node group's own launch template
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: web
    launch_template:
      version: $Latest

- name: Preview the change without making it
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    kubernetes_version: "1.31"
  check_mode: true
  diff: true
  register: preview

- name: Start the update and come back later (for example in a fleet run)
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    kubernetes_version: "1.31"
    wait: false
  register: started

- name: Resume waiting on it; no second update is started
  fleetops.eks.eks_nodegroup_version:
    cluster_name: prod
    name: general
    kubernetes_version: "1.31"
    wait_timeout: 7200

- name: Region for this module and every amazon.aws module at once
  module_defaults:
    group/fleetops.eks.aws:
      region: eu-west-1
  block:
    - name: Upgrade, forcing through pod disruption budgets
      fleetops.eks.eks_nodegroup_version:
        cluster_name: prod
        name: batch
        kubernetes_version: "1.31"
        force: true
"""

RETURN = r"""
msg:
  description: What was done, or why nothing was.
  returned: always
  type: str
  sample: "Updated node group general in cluster prod: Kubernetes 1.30 -> 1.31, release 1.30.8-20250101 -> 1.31.4-20250203"
nodegroup_update:
  description:
    - The update this run started or attached to, as C(DescribeUpdate) last reported it (or the other update in
      the way, when the run failed waiting for it). Null when nothing was started or followed.
    - Named C(update) before version 2.0.0, a name that clashed with the dictionary's own C(update) method in
      templates.
  version_added: 2.0.0
  returned: always
  type: dict
  contains:
    id:
      description: The update's id.
      type: str
      sample: "c0ffee00-1234-5678-9abc-def012345678"
    status:
      description: C(InProgress), C(Successful), C(Failed) or C(Cancelled).
      type: str
      sample: Successful
    type:
      description: The update type; C(VersionUpdate) for updates this module starts.
      type: str
      sample: VersionUpdate
    params:
      description: The update's parameters.
      type: list
      elements: dict
      contains:
        type:
          description: C(Version), C(ReleaseVersion), C(LaunchTemplateName), C(LaunchTemplateVersion), ...
          type: str
        value:
          description: The parameter's value.
          type: str
    created_at:
      description: When the update was created.
      type: str
    errors:
      description: The errors of a C(Failed) or C(Cancelled) update.
      type: list
      elements: dict
      contains:
        error_code:
          description: EKS's error code, such as C(PodEvictionFailure) or C(NodeCreationFailure).
          type: str
        error_message:
          description: EKS's message.
          type: str
        resource_ids:
          description: The resources concerned.
          type: list
          elements: str
nodegroup:
  description:
    - The node group as described at the end of the run (C(DescribeNodegroup), snake_cased; labels and tags are
      left as they are).
  returned: when the node group exists
  type: dict
  contains:
    nodegroup_name:
      description: The node group's name.
      type: str
    cluster_name:
      description: The cluster's name.
      type: str
    version:
      description: Kubernetes version.
      type: str
      sample: "1.31"
    release_version:
      description: AMI release version (the AMI id for custom AMIs).
      type: str
      sample: "1.31.4-20250203"
    ami_type:
      description: AMI type.
      type: str
      sample: AL2023_x86_64_STANDARD
    status:
      description: Node group status.
      type: str
      sample: ACTIVE
    launch_template:
      description: The node group's launch template C(name), C(id) and C(version).
      type: dict
request:
  description:
    - The C(UpdateNodegroupVersion) parameters this run sent, or in check mode would send, snake_cased, with the
      C(client_request_token). Null when nothing was or would be sent.
  returned: always
  type: dict
  sample: {"cluster_name": "prod", "nodegroup_name": "general", "version": "1.31",
           "client_request_token": "0f1e2d3c-4b5a-5968-8776-655443322110"}
diff:
  description: Version, release version and launch template version before and after (predicted in check mode).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run; a null release_version is the latest release EKS picks for the new minor.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import budget_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import nodegroup_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import run_nodegroup
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import wait_argument_spec


def main():
    argument_spec = dict(nodegroup_argument_spec(), **dict(wait_argument_spec(), **budget_argument_spec()))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run_nodegroup(module)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
