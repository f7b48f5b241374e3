# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Version report of managed node groups: pure functions, no boto3, no AnsibleModule.

eks_nodegroup_version_info works in four steps, each answered here from plain data:

1. ``check_cluster_names(names)`` and ``check_nodegroup_names(names)`` refuse names
   EKS cannot have, before any call; ``distinct(names)`` names each cluster once.
2. ``release_parameters(nodegroups, cluster_versions)`` and ``launch_templates(nodegroups)``
   say which SSM parameters and which launch templates to read: each once, however
   many node groups share it. The parameters are those of each node group's own minor
   and, for a node group a minor behind, of its cluster's minor (whether a release is
   published for it). ``batches(names, 10)`` cuts the names into GetParameters calls.
3. The module reads them (``eks_fleet_api``).
4. ``report_entry(...)`` builds one node group's line of the report: versions, the
   latest release and launch template version, the ``*_behind`` flags, the update in
   progress, the eks_nodegroup_version options that would bring it up to date, and
   why what is behind cannot be moved; ``fleet_report(clusters, entries)`` puts the
   lines, the clusters and the summary counts together.

Node groups are DescribeNodegroup's ``nodegroup`` as boto3 returns it (camelCase).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_kubernetes_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter

# GetParameters takes at most this many names per call.
SSM_BATCH_SIZE = 10

FLAGS = ("kubernetes_behind", "release_behind", "template_behind")

# EKS cluster and node group names: a letter or digit, then letters, digits, hyphens and underscores.
EKS_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
CLUSTER_NAME_MAX_LENGTH = 100
NODEGROUP_NAME_MAX_LENGTH = 63

# Statuses in which eks_nodegroup_version can move a node group (UPDATING: once the update in flight ends).
MOVABLE_STATUSES = ("ACTIVE", "UPDATING")

# Health issue resource ids named in a reason; the rest are counted.
RESOURCE_IDS_SHOWN = 5

_FAMILIES = (
    ("AL2023_", "Amazon Linux 2023"),
    ("AL2_", "Amazon Linux 2"),
    ("BOTTLEROCKET_", "Bottlerocket"),
    ("WINDOWS_", "Windows"),
)


def _check_names(option, names, what, max_length):
    bad = [name for name in names if not isinstance(name, str) or len(name) > max_length or not EKS_NAME_RE.match(name)]
    if not bad:
        return None
    quoted = ", ".join("'%s'" % (name,) for name in bad)
    verdict = "is not a valid %s name" % what if len(bad) == 1 else "are not valid %s names" % what
    return "%s: %s %s. An %s name is 1 to %d letters, digits, hyphens (-) and underscores (_), starting with a letter or a digit." % (
        option, quoted, verdict, what, max_length)


def check_cluster_names(names):
    """A message naming ``cluster_names`` and each name EKS cannot have as a cluster name; None when all are valid."""
    return _check_names("cluster_names", names or [], "EKS cluster", CLUSTER_NAME_MAX_LENGTH)


def check_nodegroup_names(names):
    """A message naming ``nodegroup_names`` and each name EKS cannot have as a node group name; None when all are valid."""
    return _check_names("nodegroup_names", names or [], "EKS node group", NODEGROUP_NAME_MAX_LENGTH)


def distinct(names):
    """``names`` without repeats, each where it first appears."""
    seen = set()
    found = []
    for name in names:
        if name not in seen:
            seen.add(name)
            found.append(name)
    return found


def batches(names, size=SSM_BATCH_SIZE):
    """``names`` cut into consecutive lists of at most ``size``."""
    names = list(names)
    return [names[start:start + size] for start in range(0, len(names), size)]


def parameter_for(nodegroup):
    """The SSM parameter holding the latest release for the node group's AMI type and minor, or None."""
    if not nodegroup.get("amiType") or not is_kubernetes_minor(nodegroup.get("version")):
        return None
    return release_parameter(nodegroup["amiType"], nodegroup["version"])


def target_parameter_for(nodegroup, cluster_version):
    """The SSM parameter of the cluster's minor for the node group's AMI type, when the node group is a minor behind.

    Whether it exists says whether AWS publishes a release the node group can move to.
    None when the node group is not behind or AWS publishes no release parameter for its AMI type.
    """
    if not nodegroup.get("amiType") or not is_minor_behind(nodegroup.get("version"), cluster_version):
        return None
    return release_parameter(nodegroup["amiType"], cluster_version)


def release_parameters(nodegroups, cluster_versions=None):
    """Sorted distinct SSM parameter names to read for these node groups.

    One per (minor, AMI family) of the node groups, plus, with ``cluster_versions``
    (cluster name to Kubernetes version), the cluster's minor of each node group a
    minor behind.
    """
    cluster_versions = cluster_versions or {}
    names = set()
    for nodegroup in nodegroups:
        names.add(parameter_for(nodegroup))
        names.add(target_parameter_for(nodegroup, cluster_versions.get(nodegroup.get("clusterName"))))
    return sorted(name for name in names if name)


def template_key(template):
    """How a launch template is named in lookups: its id when known, else its name; None without one."""
    if not template:
        return None
    return template.get("id") or template.get("name")


def launch_templates(nodegroups):
    """Distinct launch templates of these node groups, as ``{key: launchTemplate}``, in first-seen order."""
    found = {}
    for nodegroup in nodegroups:
        template = nodegroup.get("launchTemplate")
        key = template_key(template)
        if key and key not in found:
            found[key] = template
    return found


def family_name(ami_type):
    """The AMI family of an AMI type as people name it (``Amazon Linux 2``), else the AMI type itself."""
    for prefix, name in _FAMILIES:
        if (ami_type or "").startswith(prefix):
            return name
    return ami_type or "unknown AMI type"


def no_parameter_reason(nodegroup):
    """Why no SSM parameter names the latest release of this node group."""
    ami_type = nodegroup.get("amiType") or "unknown"
    if ami_type == "CUSTOM":
        return "custom AMI: the release is the AMI of the launch template version; AWS publishes no release for it"
    if ami_type.startswith("WINDOWS"):
        return "Windows AMI type %s: AWS publishes AMI ids only, no release version" % ami_type
    return "no SSM public parameter is known for AMI type %s and Kubernetes %s" % (ami_type, nodegroup.get("version"))


def absent_parameter_reason(parameter):
    """Why the latest release is unknown when its SSM parameter does not exist."""
    return "SSM parameter %s does not exist (no release is published for this AMI type and minor)" % parameter


def unpublished_minor_reason(ami_type, minor, parameter):
    """Why a node group of ``ami_type`` cannot move to Kubernetes ``minor``: AWS publishes no release of it."""
    family = family_name(ami_type)
    reason = "no %s release is published for Kubernetes %s (SSM parameter %s does not exist), so EKS cannot move the node group to it" % (
        family, minor, parameter)
    if family == "Amazon Linux 2":
        reason += "; move its workloads to an AL2023 or Bottlerocket node group"
    return reason


def _health_issue(issue):
    text = "%s: %s" % (issue.get("code") or "Unknown", issue.get("message") or "no message")
    resource_ids = issue.get("resourceIds") or []
    if resource_ids:
        shown = ", ".join(resource_ids[:RESOURCE_IDS_SHOWN])
        if len(resource_ids) > RESOURCE_IDS_SHOWN:
            shown += " and %d more" % (len(resource_ids) - RESOURCE_IDS_SHOWN)
        text += " (%s)" % shown
    return text


def status_reason(nodegroup):
    """Why a node group in this status cannot be updated: its status and health issues; None when it can."""
    status = nodegroup.get("status")
    if status in MOVABLE_STATUSES:
        return None
    issues = (nodegroup.get("health") or {}).get("issues") or []
    reason = "the node group is %s" % (status or "of unknown status")
    if issues:
        reason += " (health issues: %s)" % "; ".join(_health_issue(issue) for issue in issues)
    return reason + ": EKS starts updates only on ACTIVE node groups"


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_minor_behind(nodegroup_version, cluster_version):
    """True when the node group's Kubernetes minor is older than the cluster's."""
    if not (is_kubernetes_minor(nodegroup_version) and is_kubernetes_minor(cluster_version)):
        return False
    return minor_key(nodegroup_version) < minor_key(cluster_version)


def upgrade_options(nodegroup, cluster_version, flags, latest_release, latest_template_version, unpublished_reason=None):
    """eks_nodegroup_version options that bring the node group up to date, and why what is behind cannot be moved.

    Returns ``(options, blocked_reason)``. ``options`` is a dict of
    ``kubernetes_version``, ``release_version`` and/or ``launch_template``, with exact
    values as reported (not ``latest`` or ``$Latest``), so that a later run does what
    this report showed; None when nothing is behind or nothing can be moved.
    ``blocked_reason`` says why something behind is not in ``options``, else None:

    * a node group neither ACTIVE nor UPDATING (its status and health issues): no options;
    * a custom AMI a minor behind, which needs a launch template version with an AMI of
      the new minor first: no options;
    * no release published for the cluster's minor and the AMI type (``unpublished_reason``):
      no ``kubernetes_version``, though the release and template of the current minor
      can still be moved.
    """
    if not any(flags.values()):
        return None, None
    reasons = []
    status_block = status_reason(nodegroup)
    if status_block:
        reasons.append(status_block)
    move_minor = flags["kubernetes_behind"]
    if move_minor and nodegroup.get("amiType") == "CUSTOM":
        return None, "; ".join(reasons + [
            "custom AMI a Kubernetes minor behind: EKS does not change its version; roll out a launch template version"
            " whose AMI is built for Kubernetes %s" % cluster_version
        ])
    if move_minor and unpublished_reason:
        reasons.append(unpublished_reason)
        move_minor = False
    if status_block:
        return None, "; ".join(reasons)
    options = {}
    if move_minor:
        # Alone, the new minor comes with its latest release.
        options["kubernetes_version"] = cluster_version
    elif flags["release_behind"]:
        options["release_version"] = latest_release
    if flags["template_behind"]:
        options["launch_template"] = {"version": str(latest_template_version)}
    return options or None, "; ".join(reasons) or None


def report_entry(nodegroup, cluster_version, releases, release_errors, template_versions, template_errors, update=None):
    """One node group's line of the report.

    ``releases`` maps the SSM parameter names read to their values, None for a
    parameter that does not exist; ``release_errors`` maps the names that could not
    be read to why. ``template_versions``/``template_errors`` map template keys to
    the ``$Latest`` version number/reasons; ``update`` is the node group's InProgress
    update, if any.
    """
    template = nodegroup.get("launchTemplate")
    parameter = parameter_for(nodegroup)
    latest_release, latest_release_reason = None, None
    if parameter is None:
        latest_release_reason = no_parameter_reason(nodegroup)
    elif releases.get(parameter) is not None:
        latest_release = releases[parameter]
    elif parameter in releases:
        latest_release_reason = absent_parameter_reason(parameter)
    else:
        latest_release_reason = release_errors.get(parameter) or "SSM parameter %s was not read" % parameter

    key = template_key(template)
    latest_template, latest_template_reason = None, None
    if key is None:
        latest_template_reason = "the node group has no launch template"
    elif key in template_versions:
        latest_template = str(template_versions[key])
    else:
        latest_template_reason = template_errors.get(key) or "launch template %s was not read" % key

    current_release = nodegroup.get("releaseVersion")
    current_template = _int_or_none(template.get("version")) if template else None
    flags = {
        "kubernetes_behind": is_minor_behind(nodegroup.get("version"), cluster_version),
        "release_behind": bool(latest_release) and compare_releases(current_release, latest_release, ami_type=nodegroup.get("amiType")) == -1,
        "template_behind": (
            current_template is not None and _int_or_none(latest_template) is not None and current_template < int(latest_template)
        ),
    }
    # Only a parameter known not to exist holds the minor back; one that could not be read leaves it to EKS.
    target = target_parameter_for(nodegroup, cluster_version)
    unpublished = None
    if target is not None and target in releases and releases[target] is None:
        unpublished = unpublished_minor_reason(nodegroup.get("amiType"), cluster_version, target)
    options, blocked_reason = upgrade_options(nodegroup, cluster_version, flags, latest_release, latest_template, unpublished)
    behind = any(flags.values())

    entry = {
        "cluster": nodegroup.get("clusterName"),
        "name": nodegroup.get("nodegroupName"),
        "status": nodegroup.get("status"),
        "kubernetes_version": nodegroup.get("version"),
        "release_version": current_release,
        "ami_type": nodegroup.get("amiType"),
        "launch_template": (
            {"name": template.get("name"), "id": template.get("id"), "version": template.get("version")} if template else None
        ),
        "cluster_version": cluster_version,
        "release_parameter": parameter,
        "latest_release": latest_release,
        "latest_release_reason": latest_release_reason,
        "launch_template_latest_version": latest_template,
        "launch_template_latest_reason": latest_template_reason,
        "behind": behind,
        "update_in_progress": (
            {"id": update.get("id"), "type": update.get("type"), "status": update.get("status")} if update else None
        ),
        "upgrade": options,
        "upgrade_reason": None if options is not None else (blocked_reason if behind else "up to date"),
        "blocked_reason": blocked_reason,
    }
    entry.update(flags)
    return entry


def summarize(entries, clusters):
    """Counts over the report's lists: ``clusters`` (as listed), node groups, behind (in all and per flag),
    updates in progress, upgradable (with ``upgrade`` options) and blocked (with a ``blocked_reason``)."""
    summary = {
        "clusters": len(clusters),
        "nodegroups": len(entries),
        "behind": sum(1 for entry in entries if entry["behind"]),
        "update_in_progress": sum(1 for entry in entries if entry["update_in_progress"]),
        "upgradable": sum(1 for entry in entries if entry["upgrade"]),
        "blocked": sum(1 for entry in entries if entry["blocked_reason"]),
    }
    for flag in FLAGS:
        summary[flag] = sum(1 for entry in entries if entry[flag])
    return summary


def fleet_report(clusters, entries):
    """The whole report: ``nodegroups`` (the entries), ``clusters`` and ``summary``.

    ``clusters`` are the clusters reported on, each ``{"name", "version"}``, once each;
    each is listed with how many of the entries are its node groups, none included.
    """
    counts = {}
    for entry in entries:
        counts[entry["cluster"]] = counts.get(entry["cluster"], 0) + 1
    listed = [{"name": cluster["name"], "version": cluster["version"], "nodegroups": counts.get(cluster["name"], 0)} for cluster in clusters]
    return {"nodegroups": entries, "clusters": listed, "summary": summarize(entries, listed)}


def select_nodegroups(names, wanted):
    """The node group names to report, sorted: all of ``names``, or those also in ``wanted``."""
    if not wanted:
        return sorted(names)
    wanted = set(wanted)
    return sorted(name for name in names if name in wanted)
