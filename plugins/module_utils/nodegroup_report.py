# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Version report of managed node groups: pure functions, no boto3, no AnsibleModule.

eks_nodegroup_version_info works in three steps, each answered here from plain data:

1. ``release_parameters(nodegroups)`` and ``launch_templates(nodegroups)`` say which
   SSM parameters and which launch templates to read: each once, however many node
   groups share it. ``batches(names, 10)`` cuts the parameter names into GetParameters
   calls.
2. The module reads them (``eks_fleet_api``).
3. ``report_entry(...)`` builds one node group's line of the report: versions, the
   latest release and launch template version, the ``*_behind`` flags, the update in
   progress, and the eks_nodegroup_version options that would bring it up to date;
   ``summarize(entries)`` counts them.

Node groups are DescribeNodegroup's ``nodegroup`` as boto3 returns it (camelCase).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_kubernetes_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter

# GetParameters takes at most this many names per call.
SSM_BATCH_SIZE = 10

FLAGS = ("kubernetes_behind", "release_behind", "template_behind")


def batches(names, size=SSM_BATCH_SIZE):
    """``names`` cut into consecutive lists of at most ``size``."""
    names = list(names)
    return [names[start:start + size] for start in range(0, len(names), size)]


def parameter_for(nodegroup):
    """The SSM parameter holding the latest release for the node group's AMI type and minor, or None."""
    if not nodegroup.get("amiType") or not is_kubernetes_minor(nodegroup.get("version")):
        return None
    return release_parameter(nodegroup["amiType"], nodegroup["version"])


def release_parameters(nodegroups):
    """Sorted distinct SSM parameter names to read for these node groups: one per (minor, AMI family)."""
    return sorted(set(name for name in (parameter_for(nodegroup) for nodegroup in nodegroups) if name))


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


def no_parameter_reason(nodegroup):
    """Why no SSM parameter names the latest release of this node group."""
    ami_type = nodegroup.get("amiType") or "unknown"
    if ami_type == "CUSTOM":
        return "custom AMI: the release is the AMI of the launch template version; AWS publishes no release for it"
    if ami_type.startswith("WINDOWS"):
        return "Windows AMI type %s: AWS publishes AMI ids only, no release version" % ami_type
    return "no SSM public parameter is known for AMI type %s and Kubernetes %s" % (ami_type, nodegroup.get("version"))


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


def upgrade_options(nodegroup, cluster_version, flags, latest_release, latest_template_version):
    """eks_nodegroup_version options that bring the node group up to date, and why not when they cannot.

    Returns ``(options, reason)``: ``options`` is None when nothing is behind or the module
    cannot move the node group (a custom AMI a minor behind needs a launch template version
    with an AMI of the new minor first); otherwise a dict of ``kubernetes_version``,
    ``release_version`` and/or ``launch_template``, with exact values as reported (not
    ``latest`` or ``$Latest``), so that a later run does what this report showed.
    """
    if not any(flags.values()):
        return None, "up to date"
    custom = nodegroup.get("amiType") == "CUSTOM"
    if flags["kubernetes_behind"] and custom:
        return None, (
            "custom AMI a Kubernetes minor behind: EKS does not change its version; roll out a launch template version"
            " whose AMI is built for Kubernetes %s" % cluster_version
        )
    options = {}
    if flags["kubernetes_behind"]:
        # Alone, the new minor comes with its latest release.
        options["kubernetes_version"] = cluster_version
    elif flags["release_behind"]:
        options["release_version"] = latest_release
    if flags["template_behind"]:
        options["launch_template"] = {"version": str(latest_template_version)}
    return options, None


def report_entry(nodegroup, cluster_version, releases, release_errors, template_versions, template_errors, update=None):
    """One node group's line of the report.

    ``releases``/``release_errors`` map SSM parameter names to values/reasons;
    ``template_versions``/``template_errors`` map template keys to the ``$Latest``
    version number/reasons; ``update`` is the node group's InProgress update, if any.
    """
    template = nodegroup.get("launchTemplate")
    parameter = parameter_for(nodegroup)
    latest_release, latest_release_reason = None, None
    if parameter is None:
        latest_release_reason = no_parameter_reason(nodegroup)
    elif parameter in releases:
        latest_release = releases[parameter]
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
        "release_behind": bool(latest_release) and compare_releases(current_release, latest_release) == -1,
        "template_behind": (
            current_template is not None and _int_or_none(latest_template) is not None and current_template < int(latest_template)
        ),
    }
    options, why_not = upgrade_options(nodegroup, cluster_version, flags, latest_release, latest_template)

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
        "behind": any(flags.values()),
        "update_in_progress": (
            {"id": update.get("id"), "type": update.get("type"), "status": update.get("status")} if update else None
        ),
        "upgrade": options,
        "upgrade_reason": why_not if options is None else None,
    }
    entry.update(flags)
    return entry


def summarize(entries):
    """Counts over the report: node groups, behind (in all and per flag), updates in progress."""
    summary = {
        "nodegroups": len(entries),
        "clusters": len(set(entry["cluster"] for entry in entries)),
        "behind": sum(1 for entry in entries if entry["behind"]),
        "update_in_progress": sum(1 for entry in entries if entry["update_in_progress"]),
        "upgradable": sum(1 for entry in entries if entry["upgrade"]),
    }
    for flag in FLAGS:
        summary[flag] = sum(1 for entry in entries if entry[flag])
    return summary


def select_nodegroups(names, wanted):
    """The node group names to report, sorted: all of ``names``, or those also in ``wanted``."""
    if not wanted:
        return sorted(names)
    wanted = set(wanted)
    return sorted(name for name in names if name in wanted)
