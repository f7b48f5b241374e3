# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Facts about EKS-optimized AMI releases: pure functions, no AWS calls.

* Which SSM public parameter publishes the recommended (latest) release for an
  AMI type and Kubernetes minor.
* How release versions are spelled and ordered, and which minor they belong to.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KUBERNETES_MINOR_RE = re.compile(r"^(\d+)\.(\d+)$")

# Amazon Linux and Windows: "<minor>.<patch>-<YYYYMMDD>", e.g. "1.31.4-20250203".
# Bottlerocket: "<bottlerocket semver>-<build>", e.g. "1.32.0-cafe0123"; it does
# not name the Kubernetes minor.
RELEASE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)-([0-9A-Za-z]+)$")
DATED_RELEASE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)-(\d{8})$")

_AL2023_VARIANTS = {
    "AL2023_x86_64_STANDARD": ("x86_64", "standard"),
    "AL2023_ARM_64_STANDARD": ("arm64", "standard"),
    "AL2023_x86_64_NVIDIA": ("x86_64", "nvidia"),
    "AL2023_ARM_64_NVIDIA": ("arm64", "nvidia"),
    "AL2023_x86_64_NEURON": ("x86_64", "neuron"),
}

_AL2_VARIANTS = {
    "AL2_x86_64": "amazon-linux-2",
    "AL2_ARM_64": "amazon-linux-2-arm64",
    "AL2_x86_64_GPU": "amazon-linux-2-gpu",
}

_BOTTLEROCKET_VARIANTS = {
    "BOTTLEROCKET_x86_64": ("x86_64", ""),
    "BOTTLEROCKET_ARM_64": ("arm64", ""),
    "BOTTLEROCKET_x86_64_NVIDIA": ("x86_64", "-nvidia"),
    "BOTTLEROCKET_ARM_64_NVIDIA": ("arm64", "-nvidia"),
    "BOTTLEROCKET_x86_64_FIPS": ("x86_64", "-fips"),
    "BOTTLEROCKET_ARM_64_FIPS": ("arm64", "-fips"),
}


def is_kubernetes_minor(value):
    """True for a Kubernetes minor spelled as EKS expects it, e.g. ``1.31``."""
    return bool(KUBERNETES_MINOR_RE.match(value or ""))


def minor_key(minor):
    """Sort key of a Kubernetes minor: ``"1.9"`` < ``"1.10"``."""
    match = KUBERNETES_MINOR_RE.match(minor)
    return (int(match.group(1)), int(match.group(2)))


def is_release_version(value):
    """True for a release version in one of the forms EKS publishes."""
    return bool(RELEASE_RE.match(value or ""))


def release_minor(release):
    """The Kubernetes minor an Amazon Linux or Windows release belongs to, else None.

    ``"1.31.4-20250203"`` belongs to ``"1.31"``. Bottlerocket releases carry
    Bottlerocket's own version, not Kubernetes', so they yield None.
    """
    match = DATED_RELEASE_RE.match(release or "")
    if not match:
        return None
    return "%s.%s" % (match.group(1), match.group(2))


def release_key(release):
    """Sort key for two releases of the same AMI family, or None when unknown.

    Dated releases sort by (minor, patch, date); other releases by their
    version triple only (their build suffix is not ordered).
    """
    match = DATED_RELEASE_RE.match(release or "")
    if match:
        return tuple(int(part) for part in match.groups())
    match = RELEASE_RE.match(release or "")
    if match:
        return tuple(int(part) for part in match.groups()[:3])
    return None


def compare_releases(left, right):
    """-1, 0 or 1 as left is older, the same as, or newer than right; None if not comparable."""
    if left == right:
        return 0
    left_key, right_key = release_key(left), release_key(right)
    if left_key is None or right_key is None or len(left_key) != len(right_key):
        return None
    if left_key == right_key:
        # Same version triple, different build suffix: not ordered.
        return None
    return -1 if left_key < right_key else 1


def release_parameter(ami_type, minor):
    """Name of the SSM public parameter holding the latest release, or None.

    None means AWS publishes no release version for that AMI type: ``CUSTOM``
    node groups (their AMI comes from the launch template), Windows (SSM
    publishes AMI ids only) and AMI types this collection does not know yet.
    """
    if ami_type in _AL2023_VARIANTS:
        arch, flavour = _AL2023_VARIANTS[ami_type]
        return "/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/%s/recommended/release_version" % (minor, arch, flavour)
    if ami_type in _AL2_VARIANTS:
        return "/aws/service/eks/optimized-ami/%s/%s/recommended/release_version" % (minor, _AL2_VARIANTS[ami_type])
    if ami_type in _BOTTLEROCKET_VARIANTS:
        arch, suffix = _BOTTLEROCKET_VARIANTS[ami_type]
        return "/aws/service/bottlerocket/aws-k8s-%s%s/%s/latest/image_version" % (minor, suffix, arch)
    return None
