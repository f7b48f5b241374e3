# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Facts about EKS-optimized AMI releases: pure functions, no AWS calls.

* Which release family an AMI type belongs to (``release_family``): Amazon Linux,
  Bottlerocket, Windows or custom. The family, not the look of a release string,
  decides how its releases are spelled, ordered, and which minor they belong to.
* Which SSM public parameter publishes the recommended (latest) release for an
  AMI type and Kubernetes minor (``release_parameter``), and why none does
  where AWS publishes none (``no_release_reason``).
* How release versions are spelled and ordered, and which minor they belong to.

Every AMI type of EKS's ``AMITypes`` enum is in ``AMI_TYPES``. Versions are
matched as whole ASCII strings in canonical form: ``1.31``, never ``01.31``,
``1.031``, ``"1.31\\n"`` or other digits than 0-9.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

AMAZON_LINUX = "amazon-linux"
BOTTLEROCKET = "bottlerocket"
WINDOWS = "windows"
CUSTOM = "custom"

# A version number: no sign, no leading zero, ASCII digits, at most nine of them.
_NUMBER = r"(0|[1-9][0-9]{0,8})"

KUBERNETES_MINOR_RE = re.compile(r"%s\.%s" % (_NUMBER, _NUMBER))

# Amazon Linux and Windows: "<k8s major>.<k8s minor>.<patch>-<YYYYMMDD>", e.g. "1.31.4-20250203".
DATED_RELEASE_RE = re.compile(r"%s\.%s\.%s-([0-9]{8})" % (_NUMBER, _NUMBER, _NUMBER))
# Bottlerocket: "<bottlerocket semver>-<commit id>", e.g. "1.32.0-cafe0123"; it does not
# name the Kubernetes minor, and a commit id may be all digits ("1.40.0-12345678").
BOTTLEROCKET_RELEASE_RE = re.compile(r"%s\.%s\.%s-([0-9a-f]{8})" % (_NUMBER, _NUMBER, _NUMBER))
# Any release of either form (eight digits are eight hex digits too).
RELEASE_RE = BOTTLEROCKET_RELEASE_RE

_AL2023 = "/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/%s/%s/recommended/release_version"
_AL2 = "/aws/service/eks/optimized-ami/{minor}/%s/recommended/release_version"
_BOTTLEROCKET = "/aws/service/bottlerocket/aws-k8s-{minor}%s/%s/latest/image_version"

# AMI type -> (release family, SSM parameter publishing its latest release for "{minor}", or None).
AMI_TYPES = {
    "AL2_x86_64": (AMAZON_LINUX, _AL2 % "amazon-linux-2"),
    "AL2_ARM_64": (AMAZON_LINUX, _AL2 % "amazon-linux-2-arm64"),
    "AL2_x86_64_GPU": (AMAZON_LINUX, _AL2 % "amazon-linux-2-gpu"),
    "AL2023_x86_64_STANDARD": (AMAZON_LINUX, _AL2023 % ("x86_64", "standard")),
    "AL2023_ARM_64_STANDARD": (AMAZON_LINUX, _AL2023 % ("arm64", "standard")),
    "AL2023_x86_64_NVIDIA": (AMAZON_LINUX, _AL2023 % ("x86_64", "nvidia")),
    "AL2023_ARM_64_NVIDIA": (AMAZON_LINUX, _AL2023 % ("arm64", "nvidia")),
    "AL2023_x86_64_NEURON": (AMAZON_LINUX, _AL2023 % ("x86_64", "neuron")),
    "BOTTLEROCKET_x86_64": (BOTTLEROCKET, _BOTTLEROCKET % ("", "x86_64")),
    "BOTTLEROCKET_ARM_64": (BOTTLEROCKET, _BOTTLEROCKET % ("", "arm64")),
    "BOTTLEROCKET_x86_64_NVIDIA": (BOTTLEROCKET, _BOTTLEROCKET % ("-nvidia", "x86_64")),
    "BOTTLEROCKET_ARM_64_NVIDIA": (BOTTLEROCKET, _BOTTLEROCKET % ("-nvidia", "arm64")),
    "BOTTLEROCKET_x86_64_FIPS": (BOTTLEROCKET, _BOTTLEROCKET % ("-fips", "x86_64")),
    "BOTTLEROCKET_ARM_64_FIPS": (BOTTLEROCKET, _BOTTLEROCKET % ("-fips", "arm64")),
    "BOTTLEROCKET_x86_64_NVIDIA_FIPS": (BOTTLEROCKET, _BOTTLEROCKET % ("-nvidia-fips", "x86_64")),
    "BOTTLEROCKET_ARM_64_NVIDIA_FIPS": (BOTTLEROCKET, _BOTTLEROCKET % ("-nvidia-fips", "arm64")),
    "WINDOWS_CORE_2019_x86_64": (WINDOWS, None),
    "WINDOWS_FULL_2019_x86_64": (WINDOWS, None),
    "WINDOWS_CORE_2022_x86_64": (WINDOWS, None),
    "WINDOWS_FULL_2022_x86_64": (WINDOWS, None),
    "WINDOWS_CORE_2025_x86_64": (WINDOWS, None),
    "WINDOWS_FULL_2025_x86_64": (WINDOWS, None),
    "CUSTOM": (CUSTOM, None),
}

# How each family spells its releases, for messages.
RELEASE_FORMS = {
    AMAZON_LINUX: "Amazon Linux releases are \"<Kubernetes version>.<patch>-<build date>\", such as \"1.31.7-20250403\"",
    WINDOWS: "Windows releases are \"<Kubernetes version>.<patch>-<build date>\", such as \"1.31.7-20250409\"",
    BOTTLEROCKET: "Bottlerocket releases are \"<Bottlerocket version>-<8-character commit id>\", such as \"1.32.0-cafe0123\"",
    CUSTOM: "a CUSTOM node group's release is the AMI id its launch template version names",
}


def _fullmatch(pattern, value):
    if not isinstance(value, str):
        return None
    return pattern.fullmatch(value)


def release_family(ami_type):
    """``amazon-linux``, ``bottlerocket``, ``windows`` or ``custom`` for an AMI type; None when unknown."""
    entry = AMI_TYPES.get(ami_type) if isinstance(ami_type, str) else None
    return entry[0] if entry else None


def names_minor(ami_type):
    """True when the AMI type's releases name the Kubernetes minor they belong to (Amazon Linux, Windows)."""
    return release_family(ami_type) in (AMAZON_LINUX, WINDOWS)


def release_form(ami_type):
    """How the AMI type's releases are spelled, with an example, as a phrase; None for an unknown type."""
    return RELEASE_FORMS.get(release_family(ami_type))


def is_kubernetes_minor(value):
    """True for a Kubernetes minor spelled as EKS expects it, e.g. ``1.31``."""
    return bool(_fullmatch(KUBERNETES_MINOR_RE, value))


def minor_key(minor):
    """Sort key of a Kubernetes minor: ``"1.9"`` < ``"1.10"``. Raises ValueError for anything else."""
    match = _fullmatch(KUBERNETES_MINOR_RE, minor)
    if not match:
        raise ValueError("%r is not a Kubernetes minor version" % (minor,))
    return (int(match.group(1)), int(match.group(2)))


def _guessed_family(release):
    """The family a release looks like, for callers that do not say the AMI type."""
    if _fullmatch(DATED_RELEASE_RE, release):
        return AMAZON_LINUX
    if _fullmatch(BOTTLEROCKET_RELEASE_RE, release):
        return BOTTLEROCKET
    return None


def _family(release, ami_type):
    return release_family(ami_type) if ami_type is not None else _guessed_family(release)


def is_release_version(value, ami_type=None):
    """True for a release version EKS publishes.

    With ``ami_type``, in that AMI type's form (any form for an unknown type,
    none for CUSTOM); without, in either the dated or the Bottlerocket form.
    """
    if ami_type is None:
        return bool(_fullmatch(RELEASE_RE, value))
    family = release_family(ami_type)
    if family in (AMAZON_LINUX, WINDOWS):
        return bool(_fullmatch(DATED_RELEASE_RE, value))
    if family == BOTTLEROCKET:
        return bool(_fullmatch(BOTTLEROCKET_RELEASE_RE, value))
    if family == CUSTOM:
        return False
    return bool(_fullmatch(RELEASE_RE, value))


def is_dated_release(value):
    """True when ``value`` reads as an Amazon Linux or Windows release: dated form, a real date since 2000.

    A Bottlerocket commit id is a calendar date of this century only by rare chance
    (a few in a million), so on a Bottlerocket node group such a value is taken for
    a release of the other family.
    """
    match = _fullmatch(DATED_RELEASE_RE, value)
    if not match:
        return False
    stamp = match.group(4)
    try:
        built = datetime.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        return False
    return 2000 <= built.year < 2100


def release_minor(release, ami_type=None):
    """The Kubernetes minor a release belongs to, else None.

    ``"1.31.4-20250203"`` of an Amazon Linux or Windows AMI type belongs to
    ``"1.31"``. Bottlerocket releases carry Bottlerocket's own version, not
    Kubernetes', so they yield None, as do custom AMIs and unknown AMI types.
    Without ``ami_type`` the family is guessed from the release's form, which
    takes a Bottlerocket release with an all-digit commit id for a dated one.
    """
    if _family(release, ami_type) not in (AMAZON_LINUX, WINDOWS):
        return None
    match = _fullmatch(DATED_RELEASE_RE, release)
    if not match:
        return None
    return "%s.%s" % (match.group(1), match.group(2))


def release_key(release, ami_type=None):
    """Sort key for releases of one AMI family, or None when the release is not of that family.

    Dated releases (Amazon Linux, Windows) sort by (major, minor, patch, date);
    Bottlerocket releases by their version triple only (commit ids are not
    ordered); custom AMIs and unknown AMI types have no order. Without
    ``ami_type`` the family is guessed from the release's form.
    """
    family = _family(release, ami_type)
    if family in (AMAZON_LINUX, WINDOWS):
        match = _fullmatch(DATED_RELEASE_RE, release)
        return tuple(int(part) for part in match.groups()) if match else None
    if family == BOTTLEROCKET:
        match = _fullmatch(BOTTLEROCKET_RELEASE_RE, release)
        return tuple(int(part) for part in match.groups()[:3]) if match else None
    return None


def compare_releases(left, right, ami_type=None):
    """-1, 0 or 1 as left is older, the same as, or newer than right; None if not comparable.

    With ``ami_type`` both releases are read in that AMI type's family; without,
    each in the family its form suggests.
    """
    if left == right:
        return 0
    left_key, right_key = release_key(left, ami_type), release_key(right, ami_type)
    if left_key is None or right_key is None or len(left_key) != len(right_key):
        return None
    if left_key == right_key:
        # Same version triple, different commit id: not ordered.
        return None
    return -1 if left_key < right_key else 1


def release_parameter(ami_type, minor):
    """Name of the SSM public parameter holding the latest release, or None.

    None means AWS publishes no release version for that AMI type
    (``no_release_reason`` says why), or ``minor`` is not a Kubernetes minor.
    """
    entry = AMI_TYPES.get(ami_type) if isinstance(ami_type, str) else None
    if not entry or entry[1] is None or not is_kubernetes_minor(minor):
        return None
    return entry[1].format(minor=minor)


def no_release_reason(ami_type):
    """Why no SSM parameter publishes the latest release of ``ami_type``, as a sentence; None when one does."""
    family = release_family(ami_type)
    if family == WINDOWS:
        return (
            "For Windows AMI type %s AWS publishes only AMI ids (under /aws/service/ami-windows-latest/), no release"
            " version." % ami_type
        )
    if family == CUSTOM:
        return "A CUSTOM node group runs the AMI its launch template names, so AWS publishes no release for it."
    if family is None:
        return (
            "AMI type %s is not known to this collection, so it does not know which SSM parameter publishes its"
            " releases." % (ami_type if isinstance(ami_type, str) and ami_type else "(none)")
        )
    return None
