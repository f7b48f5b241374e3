# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin functions over the EKS, SSM and EC2 clients used to update node group versions.

Each function makes its calls once and turns the few errors it expects into this
module's exceptions; none of them decides policy, which is the planner's job, nor
when to call, which is the run's. Retries are the client's: the modules pass
``bounded_client.BoundedClients`` clients, which retry transient errors until the
task's deadline; a client wrapped with amazon.aws's ``AWS_RETRY`` works as well.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Error codes on which a call is repeated with jittered backoff, beyond botocore's own retries.
TRANSIENT_ERROR_CODES = ["ThrottlingException", "ServerException", "ServiceUnavailableException"]
AWS_RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=20, catch_extra_error_codes=TRANSIENT_ERROR_CODES)

TERMINAL_UPDATE_STATUSES = ("Successful", "Failed", "Cancelled")


class NotFound(Exception):
    """The cluster or node group does not exist; the message is EKS's."""


class LookupFailed(Exception):
    """A fact the plan needs could not be read; the message says why."""


class UpdateInUse(Exception):
    """EKS refused to start an update because the node group is busy."""


def describe_nodegroup(eks, cluster_name, name):
    """DescribeNodegroup's ``nodegroup``."""
    try:
        return eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=name, aws_retry=True)["nodegroup"]
    except is_boto3_error_code("ResourceNotFoundException") as e:
        raise NotFound(e.response["Error"].get("Message") or "node group %s not found in cluster %s" % (name, cluster_name))


def describe_cluster(eks, cluster_name):
    """DescribeCluster's ``cluster`` (boto3's camelCase dict); NotFound when the cluster does not exist."""
    try:
        return eks.describe_cluster(name=cluster_name, aws_retry=True)["cluster"]
    except is_boto3_error_code("ResourceNotFoundException") as e:
        raise NotFound(e.response["Error"].get("Message") or "cluster %s not found" % cluster_name)


def describe_cluster_version(eks, cluster_name):
    """The cluster's Kubernetes version."""
    return describe_cluster(eks, cluster_name)["version"]


def read_parameter(ssm, name):
    """The value of an SSM (public) parameter; LookupFailed when it is absent or not readable."""
    try:
        return ssm.get_parameter(Name=name, aws_retry=True)["Parameter"]["Value"]
    except is_boto3_error_code("ParameterNotFound"):
        raise LookupFailed("SSM parameter %s does not exist" % name)
    except is_boto3_error_code(["AccessDeniedException", "AccessDenied"]):
        raise LookupFailed("reading SSM parameter %s was denied (the role needs ssm:GetParameter on it)" % name)


def resolve_launch_template_version(ec2, template, version):
    """The launch template version that ``version`` ($Latest, $Default, N) names in ``template``.

    ``template`` is the node group's launchTemplate (``id`` and/or ``name``).
    Returns ``{"number": "3", "image_id": "ami-..." or None}``: the number as a
    string, and the AMI the version names (a custom-AMI node group's release).
    """
    selector = {"LaunchTemplateId": template["id"]} if template.get("id") else {"LaunchTemplateName": template["name"]}
    try:
        found = ec2.describe_launch_template_versions(Versions=[version], aws_retry=True, **selector)["LaunchTemplateVersions"]
    except is_boto3_error_code(
        ["InvalidLaunchTemplateId.VersionNotFound", "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"]
    ) as e:
        raise LookupFailed(e.response["Error"].get("Message") or "launch template version %s not found" % version)
    if not found:
        raise LookupFailed("launch template %s has no version %s" % (template.get("id") or template.get("name"), version))
    return {"number": str(found[0]["VersionNumber"]), "image_id": found[0].get("LaunchTemplateData", {}).get("ImageId")}


def describe_update(eks, cluster_name, name, update_id):
    return eks.describe_update(name=cluster_name, nodegroupName=name, updateId=update_id, aws_retry=True)["update"]


def describe_update_or_none(eks, cluster_name, name, update_id):
    """DescribeUpdate's ``update``, or None when the node group or the update no longer exists."""
    try:
        return describe_update(eks, cluster_name, name, update_id)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def retry_decorator(client):
    """The client's own retry decorator (``bounded_client.BoundedClient``'s), else AWS_RETRY: what amazon.aws's
    ``paginated_query_with_retries`` retries a whole query with."""
    return getattr(client, "retry_decorator", None) or AWS_RETRY


def list_update_ids(eks, cluster_name, name):
    """Every update id of the node group, oldest first (ListUpdates, every page)."""
    found = paginated_query_with_retries(eks, "list_updates", retry_decorator=retry_decorator(eks), name=cluster_name, nodegroupName=name)
    return found.get("updateIds") or []


def find_update_in_progress(eks, cluster_name, name):
    """The node group's update that is InProgress, or None.

    EKS runs at most one update of a node group at a time; updates are listed
    oldest first, so the newest are described first.
    """
    for update_id in reversed(list_update_ids(eks, cluster_name, name)):
        update = describe_update(eks, cluster_name, name, update_id)
        if update.get("status") == "InProgress":
            return update
    return None


def start_update(eks, request, token):
    """UpdateNodegroupVersion; repeating it is safe because the token is fixed."""
    try:
        return eks.update_nodegroup_version(clientRequestToken=token, aws_retry=True, **request)["update"]
    except is_boto3_error_code("ResourceInUseException") as e:
        raise UpdateInUse(e.response["Error"].get("Message") or "the node group is busy")
