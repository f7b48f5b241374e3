# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Planner for eks_nodegroup_version: pure functions, no boto3, no AnsibleModule.

The module shell works in three steps, each answered here from plain data:

1. ``check_options(options)`` validates what the user asked for, alone.
2. ``required_lookups(nodegroup, request)`` checks the request against the
   described node group (DescribeNodegroup's ``nodegroup``, as boto3 returns it)
   and says which facts must be read before deciding: the cluster's version,
   an SSM parameter with the latest release, a launch template version.
3. ``plan_update(nodegroup, request, facts)`` decides: nothing to do, or the
   exact UpdateNodegroupVersion request to send.

``in_flight_decision(plan, update)`` then says whether an update already in
progress reaches the plan's target (attach to it) or not (wait for it, or fail).

Every refusal is a ``PlanError`` naming the option at fault and the way out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import uuid

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_kubernetes_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_release_version
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter

LATEST = "latest"
TEMPLATE_VERSION_ALIASES = ("$Latest", "$Default")
TEMPLATE_VERSION_RE = re.compile(r"^[1-9][0-9]*$")

# Namespace of the uuid5 client request tokens this collection derives.
TOKEN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://galaxy.ansible.com/fleetops/eks/eks_nodegroup_version")

UPDATABLE_STATUSES = ("ACTIVE", "UPDATING")
STATUS_MEANING = {
    "CREATING": "is still being created",
    "DELETING": "is being deleted",
    "CREATE_FAILED": "failed to be created",
    "DELETE_FAILED": "failed to be deleted",
    "DEGRADED": "is degraded",
}


class PlanError(Exception):
    """A request that cannot or must not be sent, with a message a person can act on."""

    def __init__(self, msg, option=None):
        super(PlanError, self).__init__(msg)
        self.msg = msg
        self.option = option


class Plan:
    """The decision: ``action`` is ``none`` or ``update``.

    ``before`` and ``after`` hold ``version``, ``release_version`` and
    ``launch_template_version``; an ``after`` value of None under ``update``
    means EKS chooses it (the latest release of the new minor). ``request``
    holds UpdateNodegroupVersion's parameters (boto3 names), without the token.
    """

    def __init__(self, action, before, after, request=None, reason=""):
        self.action = action
        self.before = before
        self.after = after
        self.request = request
        self.reason = reason

    @property
    def changes(self):
        return dict((key, (self.before[key], self.after[key])) for key in self.before if self.before[key] != self.after[key])


def _is_text(value):
    return isinstance(value, str)


def check_options(options):
    """Validate the module's options on their own; return the normalised request.

    ``options`` is the module's params dict. Raises PlanError.
    """
    request = {
        "cluster_name": options["cluster_name"],
        "name": options["name"],
        "kubernetes_version": None,
        "release_version": None,
        "launch_template": None,
        "force": bool(options.get("force")),
    }

    version = options.get("kubernetes_version")
    if version is not None:
        if not _is_text(version):
            raise PlanError(
                "kubernetes_version must be a quoted string such as \"1.31\"; YAML read %r as a number"
                " (1.30 would become 1.3). Quote the value." % (version,),
                "kubernetes_version",
            )
        if not is_kubernetes_minor(version):
            raise PlanError(
                "kubernetes_version %r is not a Kubernetes minor version. Use the form EKS uses, such as \"1.31\""
                " (no patch level, no leading v)." % (version,),
                "kubernetes_version",
            )
        request["kubernetes_version"] = version

    release = options.get("release_version")
    if release is not None:
        if release != LATEST and not is_release_version(release):
            raise PlanError(
                "release_version %r is neither 'latest' nor an EKS AMI release version such as"
                " \"1.31.4-20250203\" (Amazon Linux) or \"1.32.0-cafe0123\" (Bottlerocket)." % (release,),
                "release_version",
            )
        request["release_version"] = release

    template = options.get("launch_template")
    if template is not None:
        if template.get("name") and template.get("id"):
            raise PlanError(
                "launch_template.name and launch_template.id are mutually exclusive; give one of them, or neither"
                " to mean the node group's own launch template.",
                "launch_template",
            )
        template_version = template.get("version")
        if template_version is None:
            # UpdateNodegroupVersion's own default for a launch template without a version.
            template_version = "$Default"
        elif isinstance(template_version, bool) or not isinstance(template_version, (int, str)):
            template_version = None
        else:
            template_version = str(template_version)
        if template_version not in TEMPLATE_VERSION_ALIASES and not TEMPLATE_VERSION_RE.match(template_version or ""):
            raise PlanError(
                "launch_template.version %r is not a launch template version. Use a version number such as 3,"
                " or $Latest or $Default." % (template.get("version"),),
                "launch_template.version",
            )
        request["launch_template"] = {"name": template.get("name"), "id": template.get("id"), "version": template_version}

    for option in ("wait_timeout", "wait_delay"):
        value = options.get(option)
        if value is not None and value <= 0:
            raise PlanError("%s must be a positive number of seconds, not %s." % (option, value), option)

    return request


def current_state(nodegroup):
    """The three things this module changes, as the node group has them now."""
    template = nodegroup.get("launchTemplate") or {}
    return {
        "version": nodegroup.get("version"),
        "release_version": nodegroup.get("releaseVersion"),
        "launch_template_version": template.get("version"),
    }


def _describe(nodegroup):
    return "node group %s in cluster %s" % (nodegroup.get("nodegroupName"), nodegroup.get("clusterName"))


def _has_target(request):
    return bool(request["kubernetes_version"] or request["release_version"] or request["launch_template"])


def _target_minor(nodegroup, request):
    return request["kubernetes_version"] or nodegroup.get("version")


def _check_nodegroup(nodegroup, request):
    """Refusals that follow from the node group as it is, before any lookup."""
    status = nodegroup.get("status")
    if status not in UPDATABLE_STATUSES:
        issues = ((nodegroup.get("health") or {}).get("issues")) or []
        detail = "; ".join("%s: %s" % (issue.get("code"), issue.get("message")) for issue in issues)
        raise PlanError(
            "The %s %s (status %s), so its version cannot be updated. Wait until it is ACTIVE%s."
            % (_describe(nodegroup), STATUS_MEANING.get(status, "is not ACTIVE"), status,
               (" (health issues: %s)" % detail) if detail else ""),
        )

    if nodegroup.get("amiType") == "CUSTOM":
        for option in ("kubernetes_version", "release_version"):
            if request[option]:
                raise PlanError(
                    "The %s runs a custom AMI from its launch template, so EKS cannot change its %s. Build a new"
                    " launch template version with the new AMI and set launch_template.version instead."
                    % (_describe(nodegroup), option),
                    option,
                )
        if not _has_target(request):
            raise PlanError(
                "The %s runs a custom AMI from its launch template, so there is no latest EKS release to move it to."
                " Set launch_template.version to roll out a new template version." % _describe(nodegroup),
                "launch_template",
            )

    wanted = request["launch_template"]
    if wanted is not None:
        own = nodegroup.get("launchTemplate")
        if not own:
            raise PlanError(
                "The %s was created without a launch template, so launch_template cannot be updated. Remove"
                " launch_template, or create a node group that uses one." % _describe(nodegroup),
                "launch_template",
            )
        for key in ("name", "id"):
            if wanted[key] and wanted[key] != own.get(key):
                raise PlanError(
                    "launch_template.%s is %s, but the %s uses launch template %s (%s). A node group's launch"
                    " template cannot be replaced; give its own name or id, or leave both out."
                    % (key, wanted[key], _describe(nodegroup), own.get("name"), own.get("id")),
                    "launch_template.%s" % key,
                )


def _check_versions(nodegroup, request):
    """Rollbacks and releases of another minor, decidable without lookups."""
    current = nodegroup.get("version")
    wanted = request["kubernetes_version"]
    if wanted and is_kubernetes_minor(current) and minor_key(wanted) < minor_key(current):
        raise PlanError(
            "kubernetes_version %s is older than the %s's version %s. EKS cannot roll a node group back;"
            " create a new node group at %s instead." % (wanted, _describe(nodegroup), current, wanted),
            "kubernetes_version",
        )

    release = request["release_version"]
    if release and release != LATEST:
        target_minor = _target_minor(nodegroup, request)
        its_minor = release_minor(release)
        if its_minor is not None and its_minor != target_minor:
            hint = (
                "set kubernetes_version: \"%s\" too" % its_minor
                if not wanted and minor_key(its_minor) > minor_key(target_minor)
                else "choose a %s release" % target_minor
            )
            raise PlanError(
                "release_version %s belongs to Kubernetes %s, but the target version of the %s is %s; %s."
                % (release, its_minor, _describe(nodegroup), target_minor, hint),
                "release_version",
            )
        if target_minor == current and compare_releases(release, nodegroup.get("releaseVersion")) == -1:
            raise PlanError(
                "release_version %s is older than the %s's release %s. EKS does not roll releases back;"
                " leave release_version out or use 'latest'." % (release, _describe(nodegroup), nodegroup.get("releaseVersion")),
                "release_version",
            )


def _refuse_impossible(nodegroup, request):
    _check_nodegroup(nodegroup, request)
    _check_versions(nodegroup, request)


def required_lookups(nodegroup, request):
    """Check the request against the node group, and say what must be read to decide.

    Returns a dict:

    * ``cluster_version``: True when the cluster's version must be known
      (a Kubernetes version change, which must not pass the cluster's).
    * ``release_parameter``: SSM parameter holding the latest release for the
      target minor, or None; ``release_required`` says whether the plan cannot
      be made without it (``latest``) or only uses it to predict EKS's choice.
    * ``launch_template_version``: the template version to resolve to a number
      (``$Latest``, ``$Default``, or a number to check exists), or None.
    """
    _refuse_impossible(nodegroup, request)

    version_changes = bool(request["kubernetes_version"]) and request["kubernetes_version"] != nodegroup.get("version")
    wants_latest = request["release_version"] == LATEST or not _has_target(request)
    lookups = {
        "cluster_version": version_changes,
        "release_parameter": None,
        "release_required": False,
        "launch_template_version": None,
    }
    if nodegroup.get("amiType") != "CUSTOM" and (wants_latest or (version_changes and not request["release_version"])):
        lookups["release_parameter"] = release_parameter(nodegroup.get("amiType"), _target_minor(nodegroup, request))
        lookups["release_required"] = wants_latest and not version_changes

    template = request["launch_template"]
    if template is not None:
        own_version = (nodegroup.get("launchTemplate") or {}).get("version")
        if template["version"] != own_version:
            lookups["launch_template_version"] = template["version"]
    return lookups


def _target_release(nodegroup, request, facts, version_changes):
    """The release the node group should have after the update; None when EKS is to choose it."""
    release = request["release_version"]
    current = nodegroup.get("releaseVersion")
    if release and release != LATEST:
        return release
    wants_latest = release == LATEST or not _has_target(request)
    latest = facts.get("latest_release")
    if version_changes:
        # The latest release of the new minor: SSM's when known, else EKS's own choice.
        return latest
    if not wants_latest:
        return current
    if latest is None:
        raise PlanError(
            "Cannot tell the latest EKS release for AMI type %s on Kubernetes %s: %s. Set release_version to an"
            " exact release instead of 'latest'."
            % (nodegroup.get("amiType"), nodegroup.get("version"), facts.get("latest_release_error") or "no release is published for it"),
            "release_version",
        )
    if compare_releases(latest, current) == 1:
        return latest
    # Already latest, or SSM reports a release older than (or not comparable to) the current one:
    # never a rollback attempt.
    return current


def _template_reference(nodegroup, template):
    """How the request names the template: as the user did, else by the node group's template id."""
    own = nodegroup["launchTemplate"]
    for key in ("name", "id"):
        if template[key]:
            return {key: template[key]}
    return {"id": own["id"]} if own.get("id") else {"name": own.get("name")}


def plan_update(nodegroup, request, facts):
    """Decide, from the node group, the request and the looked-up facts.

    ``facts`` may hold ``cluster_version``, ``latest_release`` (with
    ``latest_release_error`` when it could not be read),
    ``launch_template_version`` (the resolved number, as a string) and
    ``launch_template_image_id`` (the AMI that version names, if any).

    The request names the whole target, not only what changes: without
    ``version`` UpdateNodegroupVersion moves a node group to the cluster's
    version, and with it to that version's latest release. So ``version`` is
    always sent, and ``releaseVersion`` whenever the target release is known;
    EKS then does exactly what the plan says. Custom-AMI node groups are the
    exception: EKS refuses ``version`` and ``releaseVersion`` for them.
    """
    _refuse_impossible(nodegroup, request)
    before = current_state(nodegroup)
    after = dict(before)

    wanted_version = request["kubernetes_version"]
    version_changes = bool(wanted_version) and wanted_version != before["version"]
    if version_changes:
        cluster_version = facts.get("cluster_version")
        if cluster_version and is_kubernetes_minor(cluster_version) and minor_key(wanted_version) > minor_key(cluster_version):
            raise PlanError(
                "kubernetes_version %s is newer than cluster %s's version %s. Upgrade the cluster first, or ask for %s."
                % (wanted_version, nodegroup.get("clusterName"), cluster_version, cluster_version),
                "kubernetes_version",
            )
        after["version"] = wanted_version
    after["release_version"] = _target_release(nodegroup, request, facts, version_changes)

    template_reference = None
    template = request["launch_template"]
    if template is not None:
        resolved = facts.get("launch_template_version") or template["version"]
        if resolved != before["launch_template_version"]:
            template_reference = _template_reference(nodegroup, template)
            after["launch_template_version"] = resolved
            if nodegroup.get("amiType") == "CUSTOM" and facts.get("launch_template_image_id"):
                # A custom-AMI node group's release version is its AMI id, which the template version names.
                after["release_version"] = facts["launch_template_image_id"]

    if after == before:
        return Plan("none", before, after, reason=_already_there(nodegroup, request, facts))

    api_request = {"clusterName": nodegroup.get("clusterName"), "nodegroupName": nodegroup.get("nodegroupName")}
    if nodegroup.get("amiType") != "CUSTOM":
        api_request["version"] = after["version"]
        if after["release_version"] is not None:
            api_request["releaseVersion"] = after["release_version"]
    if template_reference is not None:
        api_request["launchTemplate"] = dict(template_reference, version=after["launch_template_version"])
    if request["force"]:
        api_request["force"] = True
    return Plan("update", before, after, request=api_request, reason=_describe_changes(before, after))


def _already_there(nodegroup, request, facts):
    state = current_state(nodegroup)
    text = "The %s already has Kubernetes %s, release %s" % (_describe(nodegroup), state["version"], state["release_version"])
    if state["launch_template_version"]:
        text += " and launch template version %s" % state["launch_template_version"]
    latest = facts.get("latest_release")
    if latest and compare_releases(latest, state["release_version"]) == -1:
        text += " (SSM reports %s as latest, which is older: nothing to roll back)" % latest
    return text + "."


def _describe_changes(before, after):
    labels = {"version": "Kubernetes", "release_version": "release", "launch_template_version": "launch template version"}
    parts = []
    for key in ("version", "release_version", "launch_template_version"):
        if before[key] != after[key]:
            parts.append("%s %s -> %s" % (labels[key], before[key], after[key] if after[key] is not None else "latest"))
    return ", ".join(parts)


def derive_client_request_token(nodegroup, api_request):
    """A deterministic idempotency token for UpdateNodegroupVersion.

    It is a UUID5 of the request and of the node group's state that the request
    starts from: cluster, node group, version, release, launch template and the
    node group's ``modifiedAt``. A repeated call after a lost response carries
    the same token, so EKS returns the update it already started instead of
    starting a second one; once an update has ended (``modifiedAt`` moves), the
    same request gets a new token and really runs again.
    """
    modified_at = nodegroup.get("modifiedAt")
    material = {
        "request": api_request,
        "state": current_state(nodegroup),
        "launch_template": nodegroup.get("launchTemplate"),
        "modified_at": modified_at.isoformat() if hasattr(modified_at, "isoformat") else modified_at,
    }
    return str(uuid.uuid5(TOKEN_NAMESPACE, json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)))


def update_params(update):
    """An update's params as a dict: ``{"Version": "1.31", ...}``."""
    return dict((param.get("type"), param.get("value")) for param in (update.get("params") or []))


def in_flight_decision(plan, update):
    """``attach`` when the in-progress update reaches the plan's target, else ``other``."""
    if update.get("type") != "VersionUpdate":
        return "other"
    params = update_params(update)
    expected = {
        "Version": plan.request.get("version"),
        "ReleaseVersion": plan.request.get("releaseVersion"),
        "LaunchTemplateVersion": (plan.request.get("launchTemplate") or {}).get("version"),
    }
    for key, value in expected.items():
        if value is not None and params.get(key) != value:
            return "other"
    return "attach"


def describe_update_errors(update):
    """One line per error of a Failed or Cancelled update."""
    lines = []
    for error in update.get("errors") or []:
        resources = ", ".join(error.get("resourceIds") or []) or "none"
        lines.append("%s: %s (resources: %s)" % (error.get("errorCode"), error.get("errorMessage"), resources))
    return lines
