"""EKS-optimized AMI release catalogue.

Plain data describing which AMI releases exist per Kubernetes minor and AMI
family, plus the functions EKS (and the SSM public parameters) derive from it.
Release lists are ordered oldest first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

MINORS: tuple[str, ...] = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34")

AL2, AL2023, BOTTLEROCKET, WINDOWS, CUSTOM = (
    "AL2",
    "AL2023",
    "BOTTLEROCKET",
    "WINDOWS",
    "CUSTOM",
)

# Amazon Linux 2 and 2023 share release versions: "<k8s patch>-<build date>".
AMAZON_LINUX_RELEASES: dict[str, tuple[str, ...]] = {
    "1.29": ("1.29.10-20241024", "1.29.13-20250123", "1.29.13-20250203", "1.29.15-20250403"),
    "1.30": ("1.30.4-20241024", "1.30.8-20250123", "1.30.9-20250203", "1.30.11-20250403"),
    "1.31": ("1.31.0-20241024", "1.31.3-20250123", "1.31.4-20250203", "1.31.7-20250403"),
    "1.32": ("1.32.0-20250123", "1.32.0-20250203", "1.32.3-20250403", "1.32.7-20250715"),
    "1.33": ("1.33.0-20250704", "1.33.1-20250715", "1.33.4-20250904"),
    "1.34": ("1.34.0-20251120", "1.34.1-20251209", "1.34.2-20260105"),
}

# Amazon Linux 2 stops at Kubernetes 1.32.
AL2_MINORS: tuple[str, ...] = ("1.29", "1.30", "1.31", "1.32")

# Bottlerocket releases are OS versions ("<semver>-<commit>"). One release line ships
# every variant: each Kubernetes minor has the releases from the one that introduced
# its variant on, so all minors share the latest release.
BOTTLEROCKET_RELEASE_LINE: tuple[str, ...] = (
    "1.29.0-c3d1c9d6", "1.30.0-0f4b3a2e", "1.32.0-cafe0123", "1.34.0-d2a1f0e5", "1.40.0-7a9e1b44",
    "1.42.0-5be0c2f1", "1.44.0-91d3a8c0", "1.48.0-3f6d0e2a", "1.50.0-b7c41d09", "1.51.0-e02a6f3b",
)
BOTTLEROCKET_FIRST_RELEASE: dict[str, str] = {
    "1.29": "1.29.0-c3d1c9d6",
    "1.30": "1.29.0-c3d1c9d6",
    "1.31": "1.29.0-c3d1c9d6",
    "1.32": "1.30.0-0f4b3a2e",
    "1.33": "1.40.0-7a9e1b44",
    "1.34": "1.48.0-3f6d0e2a",
}
BOTTLEROCKET_RELEASES: dict[str, tuple[str, ...]] = {
    minor: BOTTLEROCKET_RELEASE_LINE[BOTTLEROCKET_RELEASE_LINE.index(first):]
    for minor, first in BOTTLEROCKET_FIRST_RELEASE.items()
}

WINDOWS_RELEASES: dict[str, tuple[str, ...]] = {
    "1.29": ("1.29.10-20241112", "1.29.13-20250212", "1.29.15-20250409"),
    "1.30": ("1.30.6-20241112", "1.30.9-20250212", "1.30.11-20250409"),
    "1.31": ("1.31.2-20241112", "1.31.5-20250212", "1.31.7-20250409"),
    "1.32": ("1.32.0-20250115", "1.32.1-20250212", "1.32.3-20250409"),
    "1.33": ("1.33.0-20250710", "1.33.1-20250813", "1.33.4-20250910"),
    "1.34": ("1.34.0-20251126", "1.34.1-20251210", "1.34.2-20260114"),
}


@dataclass(frozen=True)
class Image:
    """One EKS-optimized AMI: what EC2's DescribeImages tells of it."""

    id: str
    name: str
    ami_type: str
    minor: str
    release: str
    architecture: str
    platform: str | None = None


# The account owning the EKS-optimized AMIs, as EC2's DescribeImages reports it.
AMAZON_OWNER_ID = "602401143452"

# Version of the JSON document AWS publishes under ``.../recommended``.
RECOMMENDED_SCHEMA_VERSION = "2"


@dataclass(frozen=True)
class AmiType:
    """One value of EKS's ``amiType`` and how AWS publishes its latest release."""

    name: str
    family: str
    arch: str = "x86_64"
    variant: str = "standard"

    def image(self, minor: str, release: str) -> Image:
        """The AMI of ``release`` of this AMI type for Kubernetes ``minor``, named as AWS names it."""
        stamp = release.rsplit("-", 1)[-1]
        if self.family == AL2:
            prefix = {"standard": "amazon-eks", "arm64": "amazon-eks-arm64", "gpu": "amazon-eks-gpu"}[self.variant]
            name = f"{prefix}-node-{minor}-v{stamp}"
        elif self.family == AL2023:
            name = f"amazon-eks-node-al2023-{self.arch}-{self.variant}-{minor}-v{stamp}"
        elif self.family == BOTTLEROCKET:
            flavour = "" if self.variant == "standard" else f"-{self.variant}"
            name = f"bottlerocket-aws-k8s-{minor}{flavour}-{self.arch}-v{release}"
        elif self.family == WINDOWS:
            edition, year = self.variant.split("-")
            built = f"{stamp[:4]}.{stamp[4:6]}.{stamp[6:]}"
            name = f"Windows_Server-{year}-English-{edition}-EKS_Optimized-{minor}-{built}"
        else:
            name = f"{self.name}-{minor}-{release}"
        return Image(
            id=image_id(self.name, minor, release),
            name=name,
            ami_type=self.name,
            minor=minor,
            release=release,
            architecture="arm64" if self.arch == "arm64" else "x86_64",
            platform="windows" if self.family == WINDOWS else None,
        )

    def ssm_parameters(self, minor: str, release: str) -> dict[str, str]:
        """The public SSM parameters AWS publishes for ``release`` as latest of ``minor``."""
        image = self.image(minor, release)
        if self.family in (AL2, AL2023):
            if self.family == AL2:
                suffix = {"standard": "", "arm64": "-arm64", "gpu": "-gpu"}[self.variant]
                base = f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2{suffix}/recommended"
            else:
                base = (
                    f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/"
                    f"{self.arch}/{self.variant}/recommended"
                )
            document = {
                "schema_version": RECOMMENDED_SCHEMA_VERSION,
                "image_id": image.id,
                "image_name": image.name,
                "release_version": release,
            }
            return {
                base: json.dumps(document, separators=(",", ":")),
                f"{base}/image_id": image.id,
                f"{base}/image_name": image.name,
                f"{base}/release_version": release,
            }
        if self.family == BOTTLEROCKET:
            flavour = "" if self.variant == "standard" else f"-{self.variant}"
            base = f"/aws/service/bottlerocket/aws-k8s-{minor}{flavour}/{self.arch}/latest"
            return {f"{base}/image_version": release, f"{base}/image_id": image.id}
        if self.family == WINDOWS:
            edition, year = self.variant.split("-")
            name = f"Windows_Server-{year}-English-{edition}-EKS_Optimized-{minor}"
            return {f"/aws/service/ami-windows-latest/{name}/image_id": image.id}
        return {}


AMI_TYPES: dict[str, AmiType] = {
    t.name: t
    for t in (
        AmiType("AL2_x86_64", AL2),
        AmiType("AL2_ARM_64", AL2, "arm64", "arm64"),
        AmiType("AL2_x86_64_GPU", AL2, "x86_64", "gpu"),
        AmiType("AL2023_x86_64_STANDARD", AL2023),
        AmiType("AL2023_ARM_64_STANDARD", AL2023, "arm64"),
        AmiType("AL2023_x86_64_NVIDIA", AL2023, "x86_64", "nvidia"),
        AmiType("AL2023_ARM_64_NVIDIA", AL2023, "arm64", "nvidia"),
        AmiType("AL2023_x86_64_NEURON", AL2023, "x86_64", "neuron"),
        AmiType("BOTTLEROCKET_x86_64", BOTTLEROCKET),
        AmiType("BOTTLEROCKET_ARM_64", BOTTLEROCKET, "arm64"),
        AmiType("BOTTLEROCKET_x86_64_NVIDIA", BOTTLEROCKET, "x86_64", "nvidia"),
        AmiType("BOTTLEROCKET_ARM_64_NVIDIA", BOTTLEROCKET, "arm64", "nvidia"),
        AmiType("BOTTLEROCKET_x86_64_FIPS", BOTTLEROCKET, "x86_64", "fips"),
        AmiType("BOTTLEROCKET_ARM_64_FIPS", BOTTLEROCKET, "arm64", "fips"),
        AmiType("BOTTLEROCKET_x86_64_NVIDIA_FIPS", BOTTLEROCKET, "x86_64", "nvidia-fips"),
        AmiType("BOTTLEROCKET_ARM_64_NVIDIA_FIPS", BOTTLEROCKET, "arm64", "nvidia-fips"),
        AmiType("WINDOWS_CORE_2019_x86_64", WINDOWS, "x86_64", "Core-2019"),
        AmiType("WINDOWS_FULL_2019_x86_64", WINDOWS, "x86_64", "Full-2019"),
        AmiType("WINDOWS_CORE_2022_x86_64", WINDOWS, "x86_64", "Core-2022"),
        AmiType("WINDOWS_FULL_2022_x86_64", WINDOWS, "x86_64", "Full-2022"),
        AmiType("CUSTOM", CUSTOM),
    )
}


def minor_key(version: str) -> tuple[int, int]:
    """``"1.31"`` (or ``"1.31.4"``) as a comparable ``(1, 31)``."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def releases(minor: str, ami_type: str) -> tuple[str, ...]:
    """Known releases of ``ami_type`` for Kubernetes ``minor``, oldest first."""
    family = AMI_TYPES[ami_type].family if ami_type in AMI_TYPES else None
    if family == AL2:
        return AMAZON_LINUX_RELEASES.get(minor, ()) if minor in AL2_MINORS else ()
    if family == AL2023:
        return AMAZON_LINUX_RELEASES.get(minor, ())
    if family == BOTTLEROCKET:
        return BOTTLEROCKET_RELEASES.get(minor, ())
    if family == WINDOWS:
        return WINDOWS_RELEASES.get(minor, ())
    return ()


def supports(minor: str, ami_type: str) -> bool:
    return bool(releases(minor, ami_type))


def latest_release(minor: str, ami_type: str) -> str | None:
    known = releases(minor, ami_type)
    return known[-1] if known else None


def oldest_release(minor: str, ami_type: str) -> str | None:
    known = releases(minor, ami_type)
    return known[0] if known else None


def release_rank(minor: str, ami_type: str, release: str) -> int | None:
    """Position of ``release`` in the catalogue (higher is newer), None if unknown."""
    known = releases(minor, ami_type)
    return known.index(release) if release in known else None


def image_id(ami_type: str, minor: str, release: str) -> str:
    """A stable, realistic-looking AMI id for one release of one AMI type and Kubernetes minor."""
    digest = hashlib.sha256(f"{ami_type}/{minor}/{release}".encode()).hexdigest()
    return f"ami-0{digest[:16]}"


def _latest(overrides: Mapping[tuple[str, str], str]) -> list[tuple[AmiType, str, str]]:
    """(AMI type, minor, release) that SSM reports as latest, for every pair that has one."""
    found = []
    for ami in AMI_TYPES.values():
        for minor in MINORS:
            latest = overrides.get((minor, ami.name)) or latest_release(minor, ami.name)
            if latest:
                found.append((ami, minor, latest))
    return found


def published_images(
    latest_overrides: Mapping[tuple[str, str], str] | None = None,
) -> list[Image]:
    """The AMIs the public SSM parameters name: the latest release of each minor and AMI type."""
    return [ami.image(minor, latest) for ami, minor, latest in _latest(latest_overrides or {})]


def ssm_parameters(
    latest_overrides: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, str]:
    """Every public SSM parameter, name to value.

    ``latest_overrides`` maps ``(minor, ami_type)`` to the release SSM should
    report as latest instead of the catalogue's newest one.
    """
    parameters: dict[str, str] = {}
    for ami, minor, latest in _latest(latest_overrides or {}):
        parameters.update(ami.ssm_parameters(minor, latest))
    return parameters
