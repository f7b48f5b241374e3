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
  sample: "Updated node group general in cluster prod: Kubernetes 1.30 -> 1.31, release 1.30.8-20250101 -> 1.31.4-20250203."
nodegroup_update:
  description:
    - The update this run started or attached to, as C(UpdateNodegroupVersion) or C(DescribeUpdate) last reported it
      (C(DescribeUpdate) snake_cased). When the run failed because of another update in the way (waiting for it, or
      O(wait=false)), that other update.
    - Null when nothing was started or followed (a no-op, check mode, a refusal, a node group not found).
    - Named C(update) before version 2.0.0, a name that clashed with the dictionary's own C(update) method in
      templates.
  version_added: 2.0.0
  returned: unless the task fails before any AWS call (an option value refused, no region)
  type: dict
  contains:
    id:
      description: The update's id.
      returned: always
      type: str
      sample: "c0ffee00-1234-5678-9abc-def012345678"
    status:
      description: C(InProgress), C(Successful), C(Failed) or C(Cancelled).
      returned: always
      type: str
      sample: Successful
    type:
      description: The update type; C(VersionUpdate) for the updates this module starts.
      returned: always
      type: str
      sample: VersionUpdate
    params:
      description: The update's parameters, each a C(type) and its C(value).
      returned: always
      type: list
      elements: dict
      sample: [{"type": "Version", "value": "1.31"}, {"type": "ReleaseVersion", "value": "1.31.7-20250403"}]
      contains:
        type:
          description: >-
            The parameter: C(Version), C(ReleaseVersion), C(LaunchTemplateName), C(LaunchTemplateId) or
            C(LaunchTemplateVersion) for a version update.
          returned: always
          type: str
          sample: ReleaseVersion
        value:
          description: Its value.
          returned: always
          type: str
          sample: "1.31.7-20250403"
    created_at:
      description: When the update was created (ISO 8601).
      returned: always
      type: str
      sample: "2025-04-03T10:15:30.123000+00:00"
    errors:
      description: The errors of a C(Failed) or C(Cancelled) update; empty for the others.
      returned: always
      type: list
      elements: dict
      contains:
        error_code:
          description: EKS's error code, such as C(PodEvictionFailure) or C(NodeCreationFailure).
          returned: always
          type: str
          sample: PodEvictionFailure
        error_message:
          description: EKS's description of the error.
          returned: always
          type: str
          sample: Reached max retries while trying to evict pods from nodes in node group general
        resource_ids:
          description: The resources concerned, such as nodes.
          returned: when EKS names them
          type: list
          elements: str
          sample: ["ip-192-168-1-10.ec2.internal"]
    cancellation:
      description: The latest attempt to cancel the update.
      returned: when a cancellation of the update was attempted
      type: dict
      contains:
        status:
          description: C(InProgress), C(Failed) or C(Successful).
          returned: always
          type: str
          sample: Successful
        reason:
          description: More about the cancellation, or why it failed.
          returned: when EKS gives one
          type: str
nodegroup:
  description:
    - The node group as C(DescribeNodegroup) last described it in the run (after the update, when the run followed one to
      its end), snake_cased; the keys of RV(nodegroup.labels) and RV(nodegroup.tags) are left as they are.
    - Null when the node group was not found, or the run ended before describing it.
  returned: unless the task fails before any AWS call (an option value refused, no region)
  type: dict
  contains:
    nodegroup_name:
      description: The node group's name.
      returned: always
      type: str
      sample: general
    nodegroup_arn:
      description: The node group's ARN.
      returned: always
      type: str
      sample: "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/general/6649d062-80ac-459f-a3cd-0cfc20c00db8"
    cluster_name:
      description: The cluster's name.
      returned: always
      type: str
      sample: prod
    version:
      description: The node group's Kubernetes version.
      returned: always
      type: str
      sample: "1.31"
    release_version:
      description:
        - The AMI release version of the EKS optimized AMI the nodes run.
        - For a node group whose launch template names a custom AMI, the AMI id.
      returned: always
      type: str
      sample: "1.31.4-20250203"
    created_at:
      description: When the node group was created (ISO 8601).
      returned: always
      type: str
      sample: "2024-10-24T08:00:00.000000+00:00"
    modified_at:
      description: When the node group was last modified (ISO 8601).
      returned: always
      type: str
      sample: "2025-04-03T10:25:42.500000+00:00"
    status:
      description: C(CREATING), C(ACTIVE), C(UPDATING), C(DELETING), C(CREATE_FAILED), C(DELETE_FAILED) or C(DEGRADED).
      returned: always
      type: str
      sample: ACTIVE
    capacity_type:
      description: C(ON_DEMAND), C(SPOT) or C(CAPACITY_BLOCK).
      returned: always
      type: str
      sample: ON_DEMAND
    scaling_config:
      description: The sizes of the node group's Auto Scaling group.
      returned: always
      type: dict
      contains:
        min_size:
          description: The fewest nodes the node group scales in to.
          returned: always
          type: int
          sample: 1
        max_size:
          description: The most nodes the node group scales out to.
          returned: always
          type: int
          sample: 6
        desired_size:
          description: The number of nodes the node group keeps.
          returned: always
          type: int
          sample: 3
    instance_types:
      description: The instance types of the nodes.
      returned: when the node group itself names them (not when its launch template does)
      type: list
      elements: str
      sample: ["m5.large"]
    subnets:
      description: The subnets of the node group's Auto Scaling group.
      returned: always
      type: list
      elements: str
      sample: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    remote_access:
      description: The remote access (SSH, or RDP for Windows) configuration of the nodes.
      returned: when the node group has remote access and no launch template
      type: dict
      contains:
        ec2_ssh_key:
          description: The EC2 key pair that gives access to the nodes.
          returned: when set
          type: str
          sample: eks-nodes
        source_security_groups:
          description: The security groups allowed to reach the nodes; when none are given, the port is open to the internet.
          returned: when set
          type: list
          elements: str
          sample: ["sg-0123456789abcdef0"]
    ami_type:
      description: The AMI type; C(CUSTOM) when the launch template names its own AMI.
      returned: always
      type: str
      sample: AL2023_x86_64_STANDARD
    node_role:
      description: The ARN of the IAM role of the nodes.
      returned: always
      type: str
      sample: "arn:aws:iam::123456789012:role/eks-nodes"
    labels:
      description: The Kubernetes labels EKS applies to the nodes, keys as they are given.
      returned: always
      type: dict
      sample: {"workload": "general"}
    taints:
      description: The Kubernetes taints EKS applies to the nodes.
      returned: when the node group has taints
      type: list
      elements: dict
      contains:
        key:
          description: The taint's key.
          returned: always
          type: str
          sample: dedicated
        value:
          description: The taint's value.
          returned: when the taint has one
          type: str
          sample: gpu
        effect:
          description: C(NO_SCHEDULE), C(NO_EXECUTE) or C(PREFER_NO_SCHEDULE).
          returned: always
          type: str
          sample: NO_SCHEDULE
    resources:
      description: The resources of the node group.
      returned: once the node group's resources exist
      type: dict
      contains:
        auto_scaling_groups:
          description: The node group's Auto Scaling groups, each with its C(name).
          returned: always
          type: list
          elements: dict
          contains:
            name:
              description: The Auto Scaling group's name.
              returned: always
              type: str
              sample: eks-general-6649d062-80ac-459f-a3cd-0cfc20c00db8
        remote_access_security_group:
          description: The security group that controls remote access to the nodes.
          returned: when the node group has remote access
          type: str
          sample: sg-0123456789abcdef0
    disk_size:
      description: The root volume size of the nodes, in GiB.
      returned: when the node group has no launch template
      type: int
      sample: 20
    health:
      description: The node group's health.
      returned: always
      type: dict
      contains:
        issues:
          description: The node group's health issues; empty when it has none.
          returned: always
          type: list
          elements: dict
          contains:
            code:
              description: The issue's code, such as C(AsgInstanceLaunchFailures) or C(NodeCreationFailure).
              returned: always
              type: str
              sample: AsgInstanceLaunchFailures
            message:
              description: EKS's description of the issue.
              returned: always
              type: str
              sample: "Instance launch failed: insufficient capacity."
            resource_ids:
              description: The resources afflicted by the issue.
              returned: when EKS names them
              type: list
              elements: str
              sample: ["eks-general-6649d062-80ac-459f-a3cd-0cfc20c00db8"]
    update_config:
      description: How a version update replaces the nodes.
      returned: when the node group has an update configuration (EKS gives one by default)
      type: dict
      contains:
        max_unavailable:
          description: The most nodes unavailable at once during an update.
          returned: when the limit is a number of nodes
          type: int
          sample: 1
        max_unavailable_percentage:
          description: The largest share of the nodes, in percent, unavailable at once during an update.
          returned: when the limit is a percentage
          type: int
          sample: 33
        update_strategy:
          description: C(DEFAULT) (new nodes first) or C(MINIMAL) (old nodes terminated first).
          returned: when set
          type: str
          sample: DEFAULT
    node_repair_config:
      description: The node auto repair configuration.
      returned: when node auto repair is configured
      type: dict
      contains:
        enabled:
          description: Whether node auto repair is on.
          returned: always
          type: bool
          sample: true
        max_unhealthy_node_threshold_count:
          description: The number of unhealthy nodes above which repairs stop.
          returned: when set
          type: int
        max_unhealthy_node_threshold_percentage:
          description: The share of unhealthy nodes, in percent, above which repairs stop.
          returned: when set
          type: int
        max_parallel_nodes_repaired_count:
          description: The most nodes repaired at once.
          returned: when set
          type: int
        max_parallel_nodes_repaired_percentage:
          description: The largest share of the unhealthy nodes, in percent, repaired at once.
          returned: when set
          type: int
        node_repair_config_overrides:
          description: Repair actions and delays for specific conditions.
          returned: when set
          type: list
          elements: dict
          contains:
            node_monitoring_condition:
              description: The unhealthy condition, as the node monitoring agent reports it.
              returned: always
              type: str
            node_unhealthy_reason:
              description: The reason, as the node monitoring agent reports it.
              returned: always
              type: str
            min_repair_wait_time_mins:
              description: Minutes to wait before a node in this condition is repaired.
              returned: always
              type: int
            repair_action:
              description: C(Replace), C(Reboot) or C(NoAction).
              returned: always
              type: str
    launch_template:
      description: The node group's launch template.
      returned: when the node group has a launch template
      type: dict
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
          sample: "3"
    tags:
      description: The node group's tags, keys as they are given.
      returned: always
      type: dict
      sample: {"team": "platform"}
    warm_pool_config:
      description: The warm pool of the node group's Auto Scaling group.
      returned: when the node group has a warm pool configuration
      type: dict
      contains:
        enabled:
          description: Whether the warm pool is on.
          returned: when set
          type: bool
        min_size:
          description: The fewest instances kept in the warm pool.
          returned: when set
          type: int
        max_group_prepared_capacity:
          description: The most instances in the warm pool and the Auto Scaling group together.
          returned: when set
          type: int
        pool_state:
          description: The state of the warm pool's instances, C(STOPPED), C(RUNNING) or C(HIBERNATED).
          returned: when set
          type: str
        reuse_on_scale_in:
          description: Whether instances go back to the warm pool on scale-in instead of being terminated.
          returned: when set
          type: bool
request:
  description:
    - The C(UpdateNodegroupVersion) parameters this run sent, or in check mode would send, snake_cased, with the
      client request token.
    - Null when nothing was or would be sent (a no-op, a refusal, attaching to an update in progress, a node group not
      found).
  returned: unless the task fails before any AWS call (an option value refused, no region)
  type: dict
  sample: {"cluster_name": "prod", "nodegroup_name": "general", "version": "1.31", "release_version": "1.31.7-20250403",
           "client_request_token": "0f1e2d3c-4b5a-5968-8776-655443322110"}
  contains:
    cluster_name:
      description: The cluster's name.
      returned: always
      type: str
      sample: prod
    nodegroup_name:
      description: The node group's name.
      returned: always
      type: str
      sample: general
    version:
      description: The target Kubernetes version, sent even when it does not change so that EKS keeps the node group on it.
      returned: unless the node group runs a custom AMI (EKS refuses a version for those)
      type: str
      sample: "1.31"
    release_version:
      description: The target AMI release version.
      returned: >-
        when the target release is known: not for a custom AMI, nor for a new Kubernetes minor whose latest release SSM
        does not give (EKS then picks that minor's latest release)
      type: str
      sample: "1.31.7-20250403"
    launch_template:
      description: The node group's launch template and its target version.
      returned: when the launch template version changes
      type: dict
      contains:
        id:
          description: The launch template's id.
          returned: unless the task named the template by O(launch_template.name)
          type: str
          sample: lt-0123456789abcdef0
        name:
          description: The launch template's name.
          returned: when the task named the template by O(launch_template.name)
          type: str
          sample: web-nodes
        version:
          description: The target version number.
          returned: always
          type: str
          sample: "3"
    force:
      description: Always V(true) when present; nodes are replaced even when pod disruption budgets prevent draining.
      returned: when O(force=true)
      type: bool
      sample: true
    client_request_token:
      description: The idempotency token, O(client_request_token) or the one derived from the request and the node group.
      returned: unless the run, in check mode, would first wait for another update in progress
      type: str
      sample: "0f1e2d3c-4b5a-5968-8776-655443322110"
diff:
  description: The node group's version, release version and launch template version before and after the run.
  returned: in diff mode, once the node group was described and the run planned (not after a refusal)
  type: dict
  contains:
    before:
      description: Before the run.
      returned: always
      type: dict
      sample: {"version": "1.30", "release_version": "1.30.4-20241024", "launch_template_version": null}
      contains:
        version:
          description: The Kubernetes version.
          returned: always
          type: str
        release_version:
          description: The AMI release version (the AMI id for a custom AMI).
          returned: always
          type: str
        launch_template_version:
          description: The launch template version; null without a launch template.
          returned: always
          type: str
    after:
      description:
        - After the run, as described once the update ended; otherwise the target (predicted in check mode, or still
          in progress). Equal to RV(diff.before) when nothing changes.
        - A null C(release_version) is the latest release EKS picks for a new Kubernetes minor.
      returned: always
      type: dict
      sample: {"version": "1.31", "release_version": "1.31.7-20250403", "launch_template_version": null}
      contains:
        version:
          description: The Kubernetes version.
          returned: always
          type: str
        release_version:
          description: The AMI release version (the AMI id for a custom AMI); null when EKS picks it.
          returned: always
          type: str
        launch_template_version:
          description: The launch template version; null without a launch template.
          returned: always
          type: str
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
