"""EKS-optimized AMI release catalogue.

Plain data describing which AMI releases exist per Kubernetes minor and AMI
family, plus the functions EKS (and the SSM public parameters) derive from it.
Release lists are ordered oldest first.
"""

from __future__ import annotations

import hashlib
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

# Bottlerocket releases are OS versions ("<semver>-<commit>"), shared across variants.
BOTTLEROCKET_RELEASES: dict[str, tuple[str, ...]] = {
    "1.29": ("1.29.0-c3d1c9d6", "1.30.0-0f4b3a2e", "1.32.0-cafe0123", "1.34.0-d2a1f0e5"),
    "1.30": ("1.29.0-c3d1c9d6", "1.30.0-0f4b3a2e", "1.32.0-cafe0123", "1.34.0-d2a1f0e5"),
    "1.31": ("1.29.0-c3d1c9d6", "1.30.0-0f4b3a2e", "1.32.0-cafe0123", "1.34.0-d2a1f0e5"),
    "1.32": ("1.30.0-0f4b3a2e", "1.32.0-cafe0123", "1.34.0-d2a1f0e5", "1.40.0-7a9e1b44"),
    "1.33": ("1.40.0-7a9e1b44", "1.42.0-5be0c2f1", "1.44.0-91d3a8c0"),
    "1.34": ("1.48.0-3f6d0e2a", "1.50.0-b7c41d09", "1.51.0-e02a6f3b"),
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
class AmiType:
    """One value of EKS's ``amiType`` and how AWS publishes its latest release."""

    name: str
    family: str
    arch: str = "x86_64"
    variant: str = "standard"

    def ssm_parameters(self, minor: str, release: str) -> dict[str, str]:
        """The public SSM parameters AWS publishes for ``release`` as latest of ``minor``."""
        ami = image_id(self.name, release)
        if self.family == AL2:
            suffix = {"standard": "", "arm64": "-arm64", "gpu": "-gpu"}[self.variant]
            base = f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2{suffix}/recommended"
            return {f"{base}/release_version": release, f"{base}/image_id": ami}
        if self.family == AL2023:
            base = (
                f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/"
                f"{self.arch}/{self.variant}/recommended"
            )
            return {f"{base}/release_version": release, f"{base}/image_id": ami}
        if self.family == BOTTLEROCKET:
            flavour = "" if self.variant == "standard" else f"-{self.variant}"
            base = f"/aws/service/bottlerocket/aws-k8s-{minor}{flavour}/{self.arch}/latest"
            return {f"{base}/image_version": release, f"{base}/image_id": ami}
        if self.family == WINDOWS:
            edition, year = self.variant.split("-")
            name = f"Windows_Server-{year}-English-{edition}-EKS_Optimized-{minor}"
            return {f"/aws/service/ami-windows-latest/{name}/image_id": ami}
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


def image_id(ami_type: str, release: str) -> str:
    """A stable, realistic-looking AMI id for one release of one AMI type."""
    digest = hashlib.sha256(f"{ami_type}/{release}".encode()).hexdigest()
    return f"ami-0{digest[:16]}"


def ssm_parameters(
    latest_overrides: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, str]:
    """Every public SSM parameter, name to value.

    ``latest_overrides`` maps ``(minor, ami_type)`` to the release SSM should
    report as latest instead of the catalogue's newest one.
    """
    overrides = latest_overrides or {}
    parameters: dict[str, str] = {}
    for ami in AMI_TYPES.values():
        for minor in MINORS:
            latest = overrides.get((minor, ami.name)) or latest_release(minor, ami.name)
            if latest:
                parameters.update(ami.ssm_parameters(minor, latest))
    return parameters
