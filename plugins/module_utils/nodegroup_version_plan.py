# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Planner for eks_nodegroup_version: pure functions, no boto3, no AnsibleModule.

The module shell works in three steps, each answered here from plain data:

1. ``check_options(options)`` validates what the user asked for, alone: names,
   versions and releases in EKS's exact (ASCII, canonical) spelling, launch
   template version, token, durations. Nothing else than PlanError escapes it.
2. ``required_lookups(nodegroup, request)`` checks the request against the
   described node group (DescribeNodegroup's ``nodegroup``, as boto3 returns it)
   and says which facts must be read before deciding: the cluster's version,
   an SSM parameter with the latest release, a launch template version.
   Refusals that need no facts happen here: a release of another family than the
   node group's AMI type, rollbacks, custom AMIs, foreign launch templates, and
   a node group that cannot be updated (not ACTIVE or UPDATING) asked for a
   change that needs no lookup to be certain.
3. ``plan_update(nodegroup, request, facts)`` decides: nothing to do (whatever
   the node group's status), or the exact UpdateNodegroupVersion request to send;
   a node group that cannot be updated is refused only when an update is needed.

``in_flight_decision(plan, update)`` then says whether an update already in
progress reaches the plan's target (attach to it) or not (wait for it, or fail);
``update_mismatches(plan, update)`` says how it does not. Once an update has
ended, ``target_mismatches(plan, nodegroup)`` says how the node group as
described differs from the plan's target: a success is reported only when it
says nothing.

Every refusal is a ``PlanError`` naming the option at fault and the way out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re
import uuid

from collections.abc import Mapping

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_dated_release
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_kubernetes_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_release_version
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import names_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import no_release_reason
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_family
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_form
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import AMAZON_LINUX
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import BOTTLEROCKET
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import WINDOWS

LATEST = "latest"
TEMPLATE_VERSION_ALIASES = ("$Latest", "$Default")
# A launch template version number: canonical decimal, at most EC2's 64-bit long.
TEMPLATE_VERSION_RE = re.compile(r"[1-9][0-9]{0,18}")
TEMPLATE_VERSION_MAX = 2 ** 63 - 1

# EKS names: a letter or digit, then letters, digits, hyphens and underscores (ASCII).
NAME_RE = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]*")
CLUSTER_NAME_MAX = 100
NODEGROUP_NAME_MAX = 63
# EC2 launch template names; ids are printable ASCII without spaces ("lt-0123456789abcdef0").
TEMPLATE_NAME_RE = re.compile(r"[a-zA-Z0-9().\-/_]{3,128}")
TEMPLATE_ID_RE = re.compile(r"[!-~]+")
# An idempotency token: printable ASCII.
TOKEN_RE = re.compile(r"[ -~]+")

# Bounds of the durations, in seconds.
WAIT_TIMEOUT_MAX = 7 * 24 * 3600
WAIT_DELAY_MAX = 3600

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
    ``ami_type`` is the node group's, which says how its releases read.
    """

    def __init__(self, action, before, after, request=None, reason="", ami_type=None):
        self.action = action
        self.before = before
        self.after = after
        self.request = request
        self.reason = reason
        self.ami_type = ami_type

    @property
    def changes(self):
        return dict((key, (self.before[key], self.after[key])) for key in self.before if self.before[key] != self.after[key])


# -- options on their own -----------------------------------------------------------------------------


def _shown(value, limit=40):
    """A short, printable account of any value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "the boolean %s" % ("true" if value else "false")
    if isinstance(value, int):
        if -10 ** 15 < value < 10 ** 15:
            return str(value)
        digits = int(math.log10(abs(value))) + 1
        return "%s... (about %d digits)" % (str(value // 10 ** (digits - 10)), digits)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (str, bytes)):
        if len(value) <= limit:
            return repr(value)
        return "%r... (%d characters)" % (value[:limit], len(value))
    return "a %s" % type(value).__name__


def _is_text(value):
    return isinstance(value, str)


def _check_name(value, option, longest, what):
    if value is None:
        raise PlanError("%s is required: give the name of the %s as EKS shows it." % (option, what), option)
    if not _is_text(value):
        raise PlanError("%s must be the %s's name as a string, not %s." % (option, what, _shown(value)), option)
    if not value:
        raise PlanError("%s is empty: give the name of the %s as EKS shows it." % (option, what), option)
    if len(value) > longest or not NAME_RE.fullmatch(value):
        raise PlanError(
            "%s %s is not an EKS %s name: such names have 1 to %d characters, start with a letter or digit and hold only"
            " ASCII letters, digits, hyphens and underscores. Check the value for stray spaces, newlines or quotes."
            % (option, _shown(value), what, longest),
            option,
        )
    return value


def _check_kubernetes_version(version):
    if version is None:
        return None
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        raise PlanError(
            "kubernetes_version must be a quoted string such as \"1.31\", but YAML read it as the number %s"
            " (1.30 would become 1.3). Quote the value." % _shown(version),
            "kubernetes_version",
        )
    if not _is_text(version):
        raise PlanError(
            "kubernetes_version must be a quoted string such as \"1.31\", not %s." % _shown(version),
            "kubernetes_version",
        )
    if not is_kubernetes_minor(version):
        raise PlanError(
            "kubernetes_version %s is not a Kubernetes minor version. Use the form EKS uses, such as \"1.31\""
            " (no patch level, no leading v, no leading zeros, no spaces)." % _shown(version),
            "kubernetes_version",
        )
    return version


def _check_release_version(release):
    if release is None:
        return None
    if release != LATEST and not is_release_version(release):
        raise PlanError(
            "release_version %s is neither 'latest' nor an EKS AMI release version such as"
            " \"1.31.4-20250203\" (Amazon Linux, Windows) or \"1.32.0-cafe0123\" (Bottlerocket). Give one of them"
            " exactly, without spaces." % _shown(release),
            "release_version",
        )
    return release


def _check_template_reference(template, key, pattern, what):
    value = template.get(key)
    option = "launch_template.%s" % key
    if value is None:
        return None
    if not _is_text(value) or not value:
        raise PlanError(
            "%s is %s: give the %s of the node group's launch template, or leave %s out to mean the node group's"
            " own template." % (option, "empty" if value == "" else _shown(value), what, option),
            option,
        )
    if not pattern.fullmatch(value):
        raise PlanError(
            "%s %s is not a launch template %s. Give the %s of the node group's launch template exactly, or leave %s"
            " out to mean the node group's own template." % (option, _shown(value), what, what, option),
            option,
        )
    return value


def _check_template_version(given):
    if given is None:
        # UpdateNodegroupVersion's own default for a launch template without a version.
        return "$Default"
    version = None
    if isinstance(given, int) and not isinstance(given, bool):
        if 0 < given <= TEMPLATE_VERSION_MAX:
            version = str(given)
    elif _is_text(given):
        if given in TEMPLATE_VERSION_ALIASES:
            version = given
        elif TEMPLATE_VERSION_RE.fullmatch(given) and int(given) <= TEMPLATE_VERSION_MAX:
            version = given
    if version is None:
        raise PlanError(
            "launch_template.version %s is not a launch template version. Use a version number from 1 to %d such as"
            " 3, or $Latest or $Default, spelled exactly." % (_shown(given), TEMPLATE_VERSION_MAX),
            "launch_template.version",
        )
    return version


def _check_launch_template(template):
    if template is None:
        return None
    if not isinstance(template, Mapping):
        raise PlanError(
            "launch_template must be a dict with version and, optionally, name or id; not %s." % _shown(template),
            "launch_template",
        )
    if template.get("name") is not None and template.get("id") is not None:
        raise PlanError(
            "launch_template.name and launch_template.id are mutually exclusive; give one of them, or neither"
            " to mean the node group's own launch template.",
            "launch_template",
        )
    name = _check_template_reference(template, "name", TEMPLATE_NAME_RE, "name")
    template_id = _check_template_reference(template, "id", TEMPLATE_ID_RE, "id")
    return {"name": name, "id": template_id, "version": _check_template_version(template.get("version"))}


def _check_flag(value, option, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PlanError("%s must be true or false, not %s." % (option, _shown(value)), option)
    return value


def _check_token(token):
    if token is None:
        return
    if not _is_text(token) or not token or not TOKEN_RE.fullmatch(token):
        raise PlanError(
            "client_request_token %s is not a usable idempotency token: give a non-empty string of printable ASCII"
            " characters, or leave client_request_token out to let the module derive one." % _shown(token),
            "client_request_token",
        )


def _check_seconds(value, option, longest, spelled):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(
            "%s must be a whole number of seconds from 1 to %d, not %s." % (option, longest, _shown(value)),
            option,
        )
    if not 0 < value <= longest:
        raise PlanError(
            "%s is %s; give a whole number of seconds from 1 to %d (%s)."
            % (option, _shown(value), longest, spelled),
            option,
        )


def check_options(options):
    """Validate the module's options on their own; return the normalised request.

    ``options`` is the module's params dict. Raises PlanError, and nothing else,
    whatever the values.
    """
    if not isinstance(options, Mapping):
        raise PlanError("The options must be a dict of option names and values, not %s." % _shown(options))
    request = {
        "cluster_name": _check_name(options.get("cluster_name"), "cluster_name", CLUSTER_NAME_MAX, "cluster"),
        "name": _check_name(options.get("name"), "name", NODEGROUP_NAME_MAX, "node group"),
        "kubernetes_version": _check_kubernetes_version(options.get("kubernetes_version")),
        "release_version": _check_release_version(options.get("release_version")),
        "launch_template": _check_launch_template(options.get("launch_template")),
        "force": _check_flag(options.get("force"), "force", False),
    }
    _check_flag(options.get("wait"), "wait", True)
    _check_token(options.get("client_request_token"))
    _check_seconds(options.get("wait_timeout"), "wait_timeout", WAIT_TIMEOUT_MAX, "7 days")
    _check_seconds(options.get("wait_delay"), "wait_delay", WAIT_DELAY_MAX, "1 hour")
    return request


# -- the request against the node group -------------------------------------------------------------------


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


def _ami_type(nodegroup):
    """The node group's AMI type; an empty string (an unknown type) when it names none."""
    return nodegroup.get("amiType") or ""


def _has_target(request):
    return bool(request["kubernetes_version"] or request["release_version"] or request["launch_template"])


def _target_minor(nodegroup, request):
    return request["kubernetes_version"] or nodegroup.get("version")


def _version_changes(nodegroup, request):
    return bool(request["kubernetes_version"]) and request["kubernetes_version"] != nodegroup.get("version")


def _status_refusal(nodegroup):
    """The PlanError for a node group that cannot be updated now, or None when it can."""
    status = nodegroup.get("status")
    if status in UPDATABLE_STATUSES:
        return None
    issues = ((nodegroup.get("health") or {}).get("issues")) or []
    detail = "; ".join("%s: %s" % (issue.get("code"), issue.get("message")) for issue in issues)
    return PlanError(
        "The %s %s (status %s), so its version cannot be updated. Wait until it is ACTIVE%s."
        % (_describe(nodegroup), STATUS_MEANING.get(status, "is not ACTIVE"), status,
           (" (health issues: %s)" % detail) if detail else ""),
    )


def _check_nodegroup(nodegroup, request):
    """Refusals that follow from the node group's AMI and launch template, before any lookup."""
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


def _check_release_family(nodegroup, release):
    """Refuse an exact release spelled in another family's form than the node group's AMI type's."""
    ami_type = _ami_type(nodegroup)
    family = release_family(ami_type)
    if family in (AMAZON_LINUX, WINDOWS) and not is_release_version(release, ami_type):
        found = "a Bottlerocket release"
    elif family == BOTTLEROCKET and is_dated_release(release):
        found = "an Amazon Linux or Windows release (it ends in a build date)"
    else:
        return
    raise PlanError(
        "release_version %s is %s, but the %s runs AMI type %s: %s. Give a release of that AMI type, or use 'latest'."
        % (release, found, _describe(nodegroup), ami_type, release_form(ami_type)),
        "release_version",
    )


def _check_versions(nodegroup, request):
    """Rollbacks and releases of another family or minor, decidable without lookups."""
    ami_type = _ami_type(nodegroup)
    current = nodegroup.get("version")
    wanted = request["kubernetes_version"]
    if wanted and is_kubernetes_minor(current) and minor_key(wanted) < minor_key(current):
        raise PlanError(
            "kubernetes_version %s is older than the %s's version %s. EKS cannot roll a node group back;"
            " create a new node group at %s instead." % (wanted, _describe(nodegroup), current, wanted),
            "kubernetes_version",
        )

    release = request["release_version"]
    if not release or release == LATEST:
        return
    _check_release_family(nodegroup, release)
    target_minor = _target_minor(nodegroup, request)
    its_minor = release_minor(release, ami_type)
    if its_minor is not None and its_minor != target_minor:
        newer = is_kubernetes_minor(target_minor) and minor_key(its_minor) > minor_key(target_minor)
        hint = (
            "set kubernetes_version: \"%s\" too" % its_minor
            if not wanted and newer
            else "choose a %s release" % target_minor
        )
        raise PlanError(
            "release_version %s belongs to Kubernetes %s, but the target version of the %s is %s; %s."
            % (release, its_minor, _describe(nodegroup), target_minor, hint),
            "release_version",
        )
    if target_minor == current and compare_releases(release, nodegroup.get("releaseVersion"), ami_type=ami_type) == -1:
        raise PlanError(
            "release_version %s is older than the %s's release %s. EKS does not roll releases back;"
            " leave release_version out or use 'latest'." % (release, _describe(nodegroup), nodegroup.get("releaseVersion")),
            "release_version",
        )


def _refuse_impossible(nodegroup, request):
    _check_nodegroup(nodegroup, request)
    _check_versions(nodegroup, request)


def _certain_change(nodegroup, request):
    """True when the request changes the node group whatever the lookups answer."""
    if _version_changes(nodegroup, request):
        return True
    release = request["release_version"]
    if release and release != LATEST and release != nodegroup.get("releaseVersion"):
        return True
    template = request["launch_template"]
    own_version = (nodegroup.get("launchTemplate") or {}).get("version")
    return template is not None and template["version"] not in TEMPLATE_VERSION_ALIASES and template["version"] != own_version


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

    A node group that is neither ACTIVE nor UPDATING is refused here only when
    the request surely changes it; otherwise the lookups say what to read to
    find out whether it is already at the target.
    """
    _refuse_impossible(nodegroup, request)
    refusal = _status_refusal(nodegroup)
    if refusal is not None and _certain_change(nodegroup, request):
        raise refusal

    version_changes = _version_changes(nodegroup, request)
    wants_latest = request["release_version"] == LATEST or not _has_target(request)
    lookups = {
        "cluster_version": version_changes,
        "release_parameter": None,
        "release_required": False,
        "launch_template_version": None,
    }
    if nodegroup.get("amiType") != "CUSTOM" and (wants_latest or (version_changes and not request["release_version"])):
        lookups["release_parameter"] = release_parameter(_ami_type(nodegroup), _target_minor(nodegroup, request))
        lookups["release_required"] = wants_latest and not version_changes

    template = request["launch_template"]
    if template is not None:
        own_version = (nodegroup.get("launchTemplate") or {}).get("version")
        if template["version"] != own_version:
            lookups["launch_template_version"] = template["version"]
    return lookups


def _belongs(release, ami_type, minor):
    """True when ``release`` is of the AMI type's form and, where releases name minors, of ``minor``."""
    if not is_release_version(release, ami_type):
        return False
    return not names_minor(ami_type) or release_minor(release, ami_type) == minor


def _target_release(nodegroup, request, facts, version_changes):
    """The release the node group should have after the update; None when EKS is to choose it."""
    ami_type = _ami_type(nodegroup)
    release = request["release_version"]
    current = nodegroup.get("releaseVersion")
    if release and release != LATEST:
        return release
    wants_latest = release == LATEST or not _has_target(request)
    latest = facts.get("latest_release")
    target_minor = _target_minor(nodegroup, request)
    if version_changes:
        # The latest release of the new minor: SSM's when it is one, else EKS's own choice.
        return latest if latest is not None and _belongs(latest, ami_type, target_minor) else None
    if not wants_latest:
        return current
    if latest is None:
        reason = facts.get("latest_release_error")
        reason = ("%s." % reason.rstrip(".")) if reason else (
            no_release_reason(ami_type) or "No SSM public parameter publishes it for this minor."
        )
        form = release_form(ami_type)
        raise PlanError(
            "Cannot tell the latest EKS release for AMI type %s on Kubernetes %s. %s Set release_version to an"
            " exact release%s%s." % (
                ami_type, target_minor, reason, (" (%s)" % form) if form else "", " instead of 'latest'" if release == LATEST else ""
            ),
            "release_version",
        )
    if not _belongs(latest, ami_type, target_minor):
        raise PlanError(
            "SSM reports %s as the latest EKS release for AMI type %s on Kubernetes %s, which is not a release of"
            " that AMI type and minor (%s). Set release_version to an exact release instead of 'latest'."
            % (_shown(latest), ami_type, target_minor, release_form(ami_type) or "its form is unknown"),
            "release_version",
        )
    if compare_releases(latest, current, ami_type=ami_type) == 1:
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

    A node group already at the target is a no-op whatever its status; one that
    needs an update must be ACTIVE or UPDATING.

    The request names the whole target, not only what changes: without
    ``version`` UpdateNodegroupVersion moves a node group to the cluster's
    version, and with it to that version's latest release. So ``version`` is
    always sent, and ``releaseVersion`` whenever the target release is known;
    EKS then does exactly what the plan says. Custom-AMI node groups are the
    exception: EKS refuses ``version`` and ``releaseVersion`` for them.
    """
    _refuse_impossible(nodegroup, request)
    ami_type = _ami_type(nodegroup)
    before = current_state(nodegroup)
    after = dict(before)

    wanted_version = request["kubernetes_version"]
    version_changes = _version_changes(nodegroup, request)
    if version_changes:
        after["version"] = wanted_version
    after["release_version"] = _target_release(nodegroup, request, facts, version_changes)

    template_reference = None
    template = request["launch_template"]
    if template is not None:
        resolved = template["version"]
        if resolved in TEMPLATE_VERSION_ALIASES:
            resolved = facts.get("launch_template_version") or resolved
        if resolved != before["launch_template_version"]:
            template_reference = _template_reference(nodegroup, template)
            after["launch_template_version"] = resolved
            if nodegroup.get("amiType") == "CUSTOM" and facts.get("launch_template_image_id"):
                # A custom-AMI node group's release version is its AMI id, which the template version names.
                after["release_version"] = facts["launch_template_image_id"]

    if after == before:
        return Plan("none", before, after, reason=_already_there(nodegroup, facts), ami_type=ami_type)

    refusal = _status_refusal(nodegroup)
    if refusal is not None:
        raise refusal
    if version_changes:
        cluster_version = facts.get("cluster_version")
        if cluster_version and is_kubernetes_minor(cluster_version) and minor_key(wanted_version) > minor_key(cluster_version):
            raise PlanError(
                "kubernetes_version %s is newer than cluster %s's version %s. Upgrade the cluster first, or ask for %s."
                % (wanted_version, nodegroup.get("clusterName"), cluster_version, cluster_version),
                "kubernetes_version",
            )

    api_request = {"clusterName": nodegroup.get("clusterName"), "nodegroupName": nodegroup.get("nodegroupName")}
    if nodegroup.get("amiType") != "CUSTOM":
        api_request["version"] = after["version"]
        if after["release_version"] is not None:
            api_request["releaseVersion"] = after["release_version"]
    if template_reference is not None:
        api_request["launchTemplate"] = dict(template_reference, version=after["launch_template_version"])
    if request["force"]:
        api_request["force"] = True
    return Plan("update", before, after, request=api_request, reason=_describe_changes(before, after), ami_type=ami_type)


def _already_there(nodegroup, facts):
    state = current_state(nodegroup)
    text = "The %s already has Kubernetes %s, release %s" % (_describe(nodegroup), state["version"], state["release_version"])
    if state["launch_template_version"]:
        text += " and launch template version %s" % state["launch_template_version"]
    latest = facts.get("latest_release")
    if latest and compare_releases(latest, state["release_version"], ami_type=_ami_type(nodegroup)) == -1:
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


# -- checking updates and results against the plan ----------------------------------------------------------


def update_params(update):
    """An update's params as a dict: ``{"Version": "1.31", ...}``."""
    return dict((param.get("type"), param.get("value")) for param in (update.get("params") or []))


def _expected_params(plan):
    if plan.request is not None:
        return (
            ("Version", plan.request.get("version")),
            ("ReleaseVersion", plan.request.get("releaseVersion")),
            ("LaunchTemplateVersion", (plan.request.get("launchTemplate") or {}).get("version")),
        )
    return (
        ("Version", plan.after.get("version")),
        ("ReleaseVersion", plan.after.get("release_version")),
        ("LaunchTemplateVersion", plan.after.get("launch_template_version")),
    )


def _picked_release_problem(plan, release):
    """Why a release EKS picked for a version change is not the target's, or None."""
    version = plan.after.get("version")
    if version == plan.before.get("version") or not names_minor(plan.ami_type):
        return None
    its_minor = release_minor(release, plan.ami_type)
    if its_minor == version:
        return None
    return "which is not a release of Kubernetes %s" % version


def update_mismatches(plan, update):
    """How an update (DescribeUpdate's ``update``) does not lead to the plan's target: a list of sentences.

    Empty when it is a VersionUpdate whose params name the plan's version,
    release and launch template version (each that the plan pins); where the
    plan leaves the release to EKS on a version change, a release the update
    names must belong to the new minor.
    """
    if update.get("type") != "VersionUpdate":
        return ["update %s is a %s, not a VersionUpdate" % (update.get("id"), update.get("type"))]
    params = update_params(update)
    problems = []
    for key, value in _expected_params(plan):
        if value is None:
            continue
        if key not in params:
            problems.append("update %s names no %s, the target is %s" % (update.get("id"), key, value))
        elif params[key] != value:
            problems.append("update %s has %s %s, the target is %s" % (update.get("id"), key, params[key], value))
    if plan.after.get("release_version") is None and "ReleaseVersion" in params:
        problem = _picked_release_problem(plan, params["ReleaseVersion"])
        if problem:
            problems.append("update %s has ReleaseVersion %s, %s" % (update.get("id"), params["ReleaseVersion"], problem))
    return problems


def in_flight_decision(plan, update):
    """``attach`` when the in-progress update reaches the plan's target, else ``other``."""
    return "other" if update_mismatches(plan, update) else "attach"


def target_mismatches(plan, nodegroup):
    """How the described node group differs from the plan's target: a list of sentences, empty when it is there.

    ``nodegroup`` is DescribeNodegroup's ``nodegroup``. A None value in
    ``plan.after`` is EKS's choice: any value is the target's, except that after
    a version change the release must belong to the new minor where the AMI
    type's releases name minors.
    """
    state = current_state(nodegroup)
    labels = (
        ("version", "kubernetes_version"),
        ("release_version", "release_version"),
        ("launch_template_version", "launch_template.version"),
    )
    problems = []
    for key, label in labels:
        wanted = plan.after.get(key)
        if wanted is not None and str(state[key]) != str(wanted):
            problems.append("%s is %s, the target is %s" % (label, state[key], wanted))
    if plan.after.get("release_version") is None:
        if plan.ami_type is None:
            plan = Plan(plan.action, plan.before, plan.after, plan.request, plan.reason, ami_type=_ami_type(nodegroup))
        problem = _picked_release_problem(plan, state["release_version"])
        if problem:
            problems.append("release_version is %s, %s" % (state["release_version"], problem))
    return problems


def describe_update_errors(update):
    """One line per error of a Failed or Cancelled update."""
    lines = []
    for error in update.get("errors") or []:
        resources = ", ".join(error.get("resourceIds") or []) or "none"
        lines.append("%s: %s (resources: %s)" % (error.get("errorCode"), error.get("errorMessage"), resources))
    return lines
