#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_nodegroup_version_batch
short_description: Upgrade many Amazon EKS managed node groups at once, following all their updates in one run
version_added: 2.0.0
description:
  - Does for each node group of O(nodegroups) what M(fleetops.eks.eks_nodegroup_version) does for one, with the
    same options, checks, idempotency, check and diff mode, client request tokens and in-flight handling, but in
    one process. The updates run side by side in EKS, and one poll loop follows all of them with
    C(DescribeUpdate), so a fleet upgrade costs one module run instead of one or two per node group.
  - B(Checked before any change.) Every entry's options are checked, and then every node group is described and
    planned (reads only), before the first update is started. With O(continue_on_error=false), a single refusal
    fails the task and nothing is started.
  - B(Fail fast or go on.) With O(continue_on_error=false) (the default), the first failure stops the batch from
    starting further updates; updates already started are still followed to their end, nothing is abandoned.
    With O(continue_on_error=true), each node group goes its own way and the task fails at the end if any did.
  - Reads that do not depend on the node group (the cluster's version, the SSM release parameter, a launch
    template version) are made once per run, not once per node group.
  - The task is C(changed) when any node group changed, and fails when any node group failed or was not started
    because of a failure; RV(nodegroups) always has one entry per node group, in the order given.
author:
  - fleetops.eks contributors (@fleetops)
options:
  nodegroups:
    description:
      - The node groups and their targets, each as the options of M(fleetops.eks.eks_nodegroup_version).
      - A node group may be named only once.
    type: list
    elements: dict
    required: true
    suboptions:
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
          - Target Kubernetes minor version, such as V("1.31"); quote it in YAML.
          - As O(fleetops.eks.eks_nodegroup_version#module:kubernetes_version).
        type: raw
        aliases: ['version']
      release_version:
        description:
          - Target AMI release version, exact or V(latest).
          - As O(fleetops.eks.eks_nodegroup_version#module:release_version).
        type: str
      launch_template:
        description:
          - Target version of the node group's launch template.
          - As O(fleetops.eks.eks_nodegroup_version#module:launch_template).
        type: dict
        suboptions:
          name:
            description:
              - Name of the node group's launch template. Mutually exclusive with O(nodegroups[].launch_template.id).
            type: str
          id:
            description:
              - ID of the node group's launch template. Mutually exclusive with O(nodegroups[].launch_template.name).
            type: str
          version:
            description:
              - A version number such as V(3), or V($Latest) or V($Default); defaults to V($Default).
            type: raw
      force:
        description:
          - Update the nodes even when pods cannot be drained because of a pod disruption budget.
        type: bool
        default: false
      client_request_token:
        description:
          - Idempotency token for this node group's C(UpdateNodegroupVersion); derived by default, as in
            M(fleetops.eks.eks_nodegroup_version).
        type: str
  continue_on_error:
    description:
      - With V(false), the first refusal (before anything starts) or failure (after) stops the batch from starting
        further updates; node groups not started are reported with status C(not_started).
      - With V(true), every node group is handled on its own.
    type: bool
    default: false
  wait:
    description:
      - Follow the updates until each is C(Successful), C(Failed) or C(Cancelled).
      - With V(false), the module returns as soon as every update has started (or was found in progress); a node
        group busy with an update that does not lead to its target then fails.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds the whole batch may take, from 1 to 604800 (7 days), waiting for other updates in progress
        included. It bounds every AWS call too, as in M(fleetops.eks.eks_nodegroup_version).
      - When it runs out, the node groups still updating fail with their update's id and status; running the task
        again resumes waiting on the same updates.
    type: int
    default: 3600
  wait_delay:
    description:
      - Seconds between two rounds of C(DescribeUpdate) polls (one call per update still in progress).
    type: int
    default: 30
notes:
  - Check mode is supported; it makes the same read calls and no mutating call.
  - IAM permissions are those of M(fleetops.eks.eks_nodegroup_version).
  - The module is in the C(fleetops.eks.aws) action group.
seealso:
  - module: fleetops.eks.eks_nodegroup_version
  - module: fleetops.eks.eks_nodegroup_version_info
  - name: The nodegroup_upgrade role
    description: Batches of this module, with hooks before and after each node group, and a summary.
    link: https://github.com/fleetops/eks/blob/main/docs/fleet.md
extends_documentation_fragment:
  - fleetops.eks.rate_limit
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Move three node groups of two clusters to their cluster's minor, side by side
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups:
      - cluster_name: prod
        name: general
        kubernetes_version: "1.31"
      - cluster_name: prod
        name: web
        launch_template:
          version: $Latest
      - cluster_name: staging
        name: general
        release_version: latest
  register: upgraded

- name: Everything the report says is behind, going on past failures
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups: >-
      {%- set ns = namespace(entries=[]) -%}
      {%- for nodegroup in report.nodegroups if nodegroup.upgrade -%}
      {%- set ns.entries = ns.entries + [{'cluster_name': nodegroup.cluster, 'name': nodegroup.name} | combine(nodegroup.upgrade)] -%}
      {%- endfor -%}
      {{ ns.entries }}
    continue_on_error: true

- name: Preview a batch
  fleetops.eks.eks_nodegroup_version_batch:
    nodegroups:
      - cluster_name: prod
        name: general
        kubernetes_version: "1.31"
  check_mode: true
  diff: true
"""

RETURN = r"""
msg:
  description: How many node groups ended in each status, and the message of each that failed; or why the options were refused.
  returned: always
  type: str
  sample: "3 node groups: 2 updated, 1 current."
nodegroups:
  description:
    - One entry per node group of O(nodegroups), in the same order.
    - Each holds the result M(fleetops.eks.eks_nodegroup_version) would give for the node group (RV(nodegroups[].changed),
      RV(nodegroups[].failed), RV(nodegroups[].msg), RV(nodegroups[].nodegroup_update), RV(nodegroups[].nodegroup),
      RV(nodegroups[].request) and, in diff mode, RV(nodegroups[].diff)), and what the batch says of it.
  returned: unless the task fails before any AWS call (an option value refused, no region)
  type: list
  elements: dict
  contains:
    cluster_name:
      description: The cluster's name, as given.
      returned: always
      type: str
      sample: prod
    name:
      description: The node group's name, as given.
      returned: always
      type: str
      sample: general
    status:
      description:
        - C(current) (nothing to do), C(would_update) (check mode), C(in_progress) (started or found, not waited
          for), C(updated), C(failed), or C(not_started) (an earlier refusal or failure stopped the batch).
      returned: always
      type: str
      sample: updated
    changed:
      description: Whether this node group changed (or, in check mode, would).
      returned: always
      type: bool
      sample: true
    failed:
      description: Whether this node group failed (C(failed)) or was not started because of a failure (C(not_started)).
      returned: always
      type: bool
      sample: false
    msg:
      description: What was done for this node group, or why nothing was.
      returned: always
      type: str
      sample: "Updated node group general in cluster prod: Kubernetes 1.30 -> 1.31, release 1.30.4-20241024 -> 1.31.7-20250403."
    exception:
      description: The traceback of the unexpected error that ended this node group's run.
      returned: when an unexpected error ended this node group's run
      type: str
    before:
      description:
        - The node group's C(version), C(release_version) and C(launch_template_version) before the run.
        - Null when the run ended before it could plan (a refusal, a node group not found, an error).
      returned: unless an unexpected error stopped the batch before this node group's run ended
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
        - The same after the run, as described once the update ended; otherwise the target (predicted in check
          mode, or still in progress). A null C(release_version) in a target is the latest release EKS picks.
        - Null when the run ended before it could plan.
      returned: unless an unexpected error stopped the batch before this node group's run ended
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
    duration:
      description:
        - Seconds from this run starting (or finding) the node group's update until it saw the update end, or until
          it stopped following it (the deadline, an error).
        - Null when the run did not wait for an update of this node group.
      returned: unless an unexpected error stopped the batch before this node group's run ended
      type: float
      sample: 612.4
    nodegroup_update:
      description:
        - The update this node group's run started or attached to, as C(UpdateNodegroupVersion) or C(DescribeUpdate) last
          reported it, or the other update in the way, as RV(fleetops.eks.eks_nodegroup_version#module:nodegroup_update).
        - Null when nothing was started or followed.
      returned: always
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
        - The node group as last described in the run, snake_cased, as RV(fleetops.eks.eks_nodegroup_version#module:nodegroup).
        - Null when the node group was not found, or the run ended before describing it.
      returned: always
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
        - The C(UpdateNodegroupVersion) parameters sent for this node group, or in check mode that would be sent, as
          RV(fleetops.eks.eks_nodegroup_version#module:request).
        - Null when nothing was or would be sent.
      returned: always
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
              returned: unless the task named the template by O(nodegroups[].launch_template.name)
              type: str
              sample: lt-0123456789abcdef0
            name:
              description: The launch template's name.
              returned: when the task named the template by O(nodegroups[].launch_template.name)
              type: str
              sample: web-nodes
            version:
              description: The target version number.
              returned: always
              type: str
              sample: "3"
        force:
          description: Always V(true) when present; nodes are replaced even when pod disruption budgets prevent draining.
          returned: when O(nodegroups[].force=true)
          type: bool
          sample: true
        client_request_token:
          description: The idempotency token, O(nodegroups[].client_request_token) or the one derived from the request and the node group.
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
              in progress). Equal to RV(nodegroups[].diff.before) when nothing changes.
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
polling:
  description:
    - How the updates were followed, and what the request budget (O(rate_limit)) did.
    - Polls are spread over O(wait_delay) (with N updates in progress, one poll every O(wait_delay)/N seconds),
      never faster than O(rate_limit) allows. When a round of polls cannot fit in O(wait_delay), the interval
      stretches, RV(polling.stretched) is true and the task warns.
  returned: when the batch ran to its end, failed node groups included (not when an option value is refused, nor after an unexpected error)
  type: dict
  version_added: 2.1.0
  contains:
    polls:
      description: C(DescribeUpdate) polls made.
      returned: always
      type: int
      sample: 120
    most_followed:
      description: The most updates followed at once.
      returned: always
      type: int
      sample: 40
    wait_delay:
      description: The poll interval asked for (O(wait_delay)).
      returned: always
      type: int
      sample: 30
    longest_interval:
      description: The longest time, in seconds, between two polls of the same update; null when none was polled twice.
      returned: always
      type: float
      sample: 30.4
    stretched:
      description: Whether some update was polled markedly less often than every O(wait_delay) (by more than a tenth, and 1 s).
      returned: always
      type: bool
      sample: false
    rate_limit:
      description: The O(rate_limit) in force (V(0) for none).
      returned: always
      type: float
      sample: 10.0
    requests:
      description: Requests sent to AWS by the task (retries included).
      returned: always
      type: int
      sample: 214
    budget_waited:
      description: Seconds that requests spent waiting for the budget, added over all of them.
      returned: always
      type: float
      sample: 3.2
    throttled:
      description: Throttling answers AWS gave the task.
      returned: always
      type: int
      sample: 0
"""

import traceback

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.fleetops.eks.plugins.module_utils import nodegroup_version_plan as planner
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import Deadline
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import NODEGROUP_OPTIONS
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import Driver
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import budget_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import crash_result
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_budget
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import module_clients
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import nodegroup_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import wait_argument_spec
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import workers_for

STATUS_ORDER = ("updated", "in_progress", "would_update", "current", "failed", "not_started")


def entry_params(module, options):
    """One node group's options, with the batch's wait, wait_timeout and wait_delay."""
    params = dict((key, options.get(key)) for key in NODEGROUP_OPTIONS)
    params.update((key, module.params[key]) for key in ("wait", "wait_timeout", "wait_delay"))
    return params


def check(module, entries):
    """Every entry's options, before any call: refuse the whole batch on the first bad one."""
    seen = set()
    for index, params in enumerate(entries):
        label = "%s/%s" % (params["cluster_name"], params["name"])
        where = "nodegroups[%d] (%s)" % (index, label)
        if label in seen:
            module.fail_json(msg="%s names a node group a second time; name each node group once." % where)
        seen.add(label)
        try:
            planner.check_options(params)
        except planner.PlanError as e:
            if e.option in ("wait_timeout", "wait_delay"):
                module.fail_json(msg=e.msg)
            module.fail_json(msg="%s: %s" % (where, e.msg))


def entry_result(run):
    result = dict(run.result(), **run.states())
    result.update(cluster_name=run.params["cluster_name"], name=run.params["name"])
    result.update(status=run.status(), duration=run.duration, failed=run.ending.failed)
    return result


def polling(driver, budget):
    """The result's ``polling``: how the updates were followed, and what the request budget did."""
    return dict(
        driver.polling or {},
        rate_limit=budget.limit if budget is not None else 0.0,
        requests=driver.clients.requests,
        budget_waited=round(budget.waited, 1) if budget is not None else 0.0,
        throttled=driver.clients.throttled,
    )


def stretched_warning(found):
    if not found.get("stretched"):
        return None
    return (
        "%d updates were followed at once within rate_limit %s requests/s, so each was polled as seldom as every %ss"
        " rather than every wait_delay (%ss): their ends were seen up to that late. Raise rate_limit if the account's"
        " EKS request rate allows it, or upgrade fewer node groups per task."
        % (found["most_followed"], found["rate_limit"], found["longest_interval"], found["wait_delay"])
    )


def report(module, runs, found=None):
    results = [entry_result(run) for run in runs]
    counts = {}
    failures = []
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result["status"] == "failed":
            failures.append("%s/%s: %s" % (result["cluster_name"], result["name"], result["msg"]))
    msg = "%d node group%s: %s." % (
        len(results),
        "" if len(results) == 1 else "s",
        ", ".join("%d %s" % (counts[status], status.replace("_", " ")) for status in STATUS_ORDER if status in counts),
    )
    if failures:
        msg += " " + " ".join(failures)
    outcome = dict(changed=any(result["changed"] for result in results), msg=msg, nodegroups=results)
    if found is not None:
        outcome["polling"] = found
        warning = stretched_warning(found)
        if warning:
            module.warn(warning)
    if any(result["failed"] for result in results):
        module.fail_json(**outcome)
    module.exit_json(**outcome)


def main():
    argument_spec = dict(
        nodegroups=dict(type="list", elements="dict", required=True, options=nodegroup_argument_spec()),
        continue_on_error=dict(type="bool", default=False),
        **dict(wait_argument_spec(), **budget_argument_spec())
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    entries = [entry_params(module, options) for options in module.params["nodegroups"]]
    check(module, entries)
    try:
        budget = module_budget(module)
    except ValueError as e:
        module.fail_json(msg=str(e))
    runs = []
    try:
        driver = Driver(module_clients(module, Deadline(module.params["wait_timeout"]), budget), workers=workers_for(budget))
        runs = [driver.new_run(params, check_mode=module.check_mode, diff=module._diff) for params in entries]
        driver.run_many(runs, continue_on_error=module.params["continue_on_error"])
    except Exception as error:  # pylint: disable=broad-except
        tb = traceback.format_exc()
        results = [
            entry_result(run) if run.ended else dict(
                crash_result(run, error, tb), cluster_name=run.params["cluster_name"], name=run.params["name"], status="failed")
            for run in runs
        ]
        module.fail_json(
            msg="Unexpected error: %s: %s" % (type(error).__name__, error),
            changed=any(result["changed"] for result in results),
            nodegroups=results,
            exception=tb,
        )
    report(module, runs, polling(driver, budget))


if __name__ == "__main__":
    main()
