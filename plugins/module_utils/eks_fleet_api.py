# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin EKS and SSM calls over a fleet, for eks_nodegroup_version_info.

Same conventions as ``eks_nodegroup_api`` (whose describe functions the report
also uses): each function makes its calls once, retried as its client retries
(``bounded_client.BoundedClient``, or amazon.aws's AWS_RETRY for any other),
turns the errors it expects into ``eks_nodegroup_api``'s exceptions or into
reasons, and decides no policy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.fleetops.eks.plugins.module_utils.eks_nodegroup_api import LookupFailed
from ansible_collections.fleetops.eks.plugins.module_utils.eks_nodegroup_api import NotFound
from ansible_collections.fleetops.eks.plugins.module_utils.eks_nodegroup_api import resolve_launch_template_version
from ansible_collections.fleetops.eks.plugins.module_utils.eks_nodegroup_api import retry_decorator

ACCESS_DENIED = ["AccessDeniedException", "AccessDenied"]


def list_clusters(eks):
    """Every cluster name in the client's region (ListClusters, every page)."""
    return paginated_query_with_retries(eks, "list_clusters", retry_decorator=retry_decorator(eks)).get("clusters", [])


def list_nodegroups(eks, cluster_name):
    """Every managed node group name of a cluster (ListNodegroups, every page)."""
    try:
        found = paginated_query_with_retries(eks, "list_nodegroups", retry_decorator=retry_decorator(eks), clusterName=cluster_name)
    except is_boto3_error_code("ResourceNotFoundException") as e:
        raise NotFound(e.response["Error"].get("Message") or "cluster %s not found" % cluster_name)
    return found.get("nodegroups", [])


def read_parameters(ssm, names):
    """One GetParameters call for up to 10 names: ``(values, reasons)``, both keyed by name.

    ``values`` holds what SSM answered for each name: the parameter's value, or None
    for a name SSM does not know (its ``InvalidParameters``: the parameter does not
    exist). ``reasons`` holds why the other names could not be read: when the call is
    denied, every name gets that reason. Other errors propagate.
    """
    try:
        found = ssm.get_parameters(Names=list(names), aws_retry=True)
    except is_boto3_error_code(ACCESS_DENIED):
        reason = "reading SSM parameter %s was denied (the role needs ssm:GetParameters on it)"
        return {}, dict((name, reason % name) for name in names)
    values = dict((parameter["Name"], parameter["Value"]) for parameter in found.get("Parameters", []))
    for name in found.get("InvalidParameters", []):
        values.setdefault(name, None)
    reasons = dict((name, "SSM parameter %s was not returned" % name) for name in names if name not in values)
    return values, reasons


def latest_template_version(ec2, template):
    """The number of the launch template's ``$Latest`` version (one DescribeLaunchTemplateVersions call).

    LookupFailed when the template or the version cannot be read, or reading it is denied.
    """
    try:
        return resolve_launch_template_version(ec2, template, "$Latest")["number"]
    except is_boto3_error_code(["UnauthorizedOperation"] + ACCESS_DENIED):
        raise LookupFailed(
            "reading launch template %s was denied (the role needs ec2:DescribeLaunchTemplateVersions)"
            % (template.get("id") or template.get("name"))
        )
