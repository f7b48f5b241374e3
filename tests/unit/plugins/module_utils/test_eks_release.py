# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import botocore.session
import pytest

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import AMI_TYPES
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_dated_release
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_kubernetes_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import is_release_version
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import no_release_reason
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_family
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_form
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter

BOTOCORE_AMI_TYPES = botocore.session.get_session().get_service_model("eks").shape_for("AMITypes").enum


@pytest.mark.parametrize("ami_type, name", [
    ("AL2023_x86_64_STANDARD", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"),
    ("AL2023_ARM_64_STANDARD", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/arm64/standard/recommended/release_version"),
    ("AL2023_x86_64_NVIDIA", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended/release_version"),
    ("AL2023_ARM_64_NVIDIA", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/arm64/nvidia/recommended/release_version"),
    ("AL2023_x86_64_NEURON", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/neuron/recommended/release_version"),
    ("AL2_x86_64", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/release_version"),
    ("AL2_ARM_64", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2-arm64/recommended/release_version"),
    ("AL2_x86_64_GPU", "/aws/service/eks/optimized-ami/1.31/amazon-linux-2-gpu/recommended/release_version"),
    ("BOTTLEROCKET_x86_64", "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version"),
    ("BOTTLEROCKET_ARM_64", "/aws/service/bottlerocket/aws-k8s-1.31/arm64/latest/image_version"),
    ("BOTTLEROCKET_x86_64_NVIDIA", "/aws/service/bottlerocket/aws-k8s-1.31-nvidia/x86_64/latest/image_version"),
    ("BOTTLEROCKET_ARM_64_FIPS", "/aws/service/bottlerocket/aws-k8s-1.31-fips/arm64/latest/image_version"),
    ("BOTTLEROCKET_x86_64_FIPS", "/aws/service/bottlerocket/aws-k8s-1.31-fips/x86_64/latest/image_version"),
    ("BOTTLEROCKET_ARM_64_NVIDIA", "/aws/service/bottlerocket/aws-k8s-1.31-nvidia/arm64/latest/image_version"),
    ("BOTTLEROCKET_x86_64_NVIDIA_FIPS", "/aws/service/bottlerocket/aws-k8s-1.31-nvidia-fips/x86_64/latest/image_version"),
    ("BOTTLEROCKET_ARM_64_NVIDIA_FIPS", "/aws/service/bottlerocket/aws-k8s-1.31-nvidia-fips/arm64/latest/image_version"),
])
def test_release_parameter_per_ami_type(ami_type, name):
    assert release_parameter(ami_type, "1.31") == name


@pytest.mark.parametrize("ami_type", ["CUSTOM", "WINDOWS_CORE_2022_x86_64", "WINDOWS_FULL_2025_x86_64", "SOMETHING_NEW", None, ""])
def test_no_release_parameter_where_aws_publishes_none(ami_type):
    assert release_parameter(ami_type, "1.31") is None
    assert no_release_reason(ami_type).endswith(".")


def test_every_ami_type_botocore_knows_has_a_parameter_or_a_reason():
    unknown = sorted(set(BOTOCORE_AMI_TYPES) - set(AMI_TYPES))
    assert not unknown, "AMI types botocore knows and eks_release does not: %s" % ", ".join(unknown)
    for ami_type in BOTOCORE_AMI_TYPES:
        parameter, reason = release_parameter(ami_type, "1.31"), no_release_reason(ami_type)
        assert (parameter is None) != (reason is None), ami_type
        assert release_family(ami_type) is not None and release_form(ami_type)
        if parameter:
            assert parameter.startswith("/aws/service/") and ("/1.31/" in parameter or "aws-k8s-1.31/" in parameter or "aws-k8s-1.31-" in parameter)


@pytest.mark.parametrize("ami_type", ["WINDOWS_CORE_2019_x86_64", "WINDOWS_FULL_2019_x86_64", "WINDOWS_CORE_2022_x86_64",
                                      "WINDOWS_FULL_2022_x86_64", "WINDOWS_CORE_2025_x86_64", "WINDOWS_FULL_2025_x86_64"])
def test_windows_publishes_image_ids_only(ami_type):
    assert release_family(ami_type) == "windows"
    assert "only AMI ids" in no_release_reason(ami_type) and ami_type in no_release_reason(ami_type)


def test_reasons_for_custom_and_unknown_ami_types():
    assert "launch template" in no_release_reason("CUSTOM")
    assert "not known to this collection" in no_release_reason("SOMETHING_NEW")
    assert no_release_reason("AL2023_x86_64_STANDARD") is None
    assert no_release_reason("BOTTLEROCKET_ARM_64_NVIDIA_FIPS") is None


def test_no_parameter_for_a_malformed_minor():
    assert release_parameter("AL2023_x86_64_STANDARD", "1.31\n") is None
    assert release_parameter("AL2023_x86_64_STANDARD", None) is None


@pytest.mark.parametrize("ami_type, family", [
    ("AL2_x86_64", "amazon-linux"),
    ("AL2023_ARM_64_NVIDIA", "amazon-linux"),
    ("BOTTLEROCKET_x86_64_NVIDIA_FIPS", "bottlerocket"),
    ("WINDOWS_CORE_2025_x86_64", "windows"),
    ("CUSTOM", "custom"),
    ("SOMETHING_NEW", None),
    (None, None),
    (["AL2_x86_64"], None),
])
def test_release_family(ami_type, family):
    assert release_family(ami_type) == family


@pytest.mark.parametrize("value", ["1.31\n", "01.31", "1.031", "\uff11.\uff13\uff11", "1.3\u0661", " 1.31", "1.31.0", "1", None, 1.31, "1." + "1" * 10])
def test_kubernetes_minor_is_ascii_whole_and_canonical(value):
    assert not is_kubernetes_minor(value)


def test_minor_key_refuses_what_is_not_a_minor():
    assert minor_key("1.10") == (1, 10)
    with pytest.raises(ValueError):
        minor_key("1.31\n")


@pytest.mark.parametrize("value", ["1.31.7-20250403\n", "01.31.7-20250403", "1.31.07-20250403", "1.31.7-2025040\uff13",
                                   "1.32.0-CAFE0123", "1.32.0-cafe012", "1.32.0-cafe01234", "1.32.0_cafe0123", None])
def test_release_versions_are_ascii_whole_and_canonical(value):
    assert not is_release_version(value)
    assert not is_release_version(value, "BOTTLEROCKET_x86_64")
    assert not is_release_version(value, "AL2023_x86_64_STANDARD")


def test_release_forms_by_ami_type():
    assert is_release_version("1.40.0-12345678", "BOTTLEROCKET_x86_64")
    assert is_release_version("1.40.0-12345678", "AL2_x86_64")  # eight digits: a dated form, of Kubernetes 1.40
    assert not is_release_version("1.32.0-cafe0123", "AL2023_x86_64_STANDARD")
    assert not is_release_version("1.32.0-cafe0123", "WINDOWS_CORE_2022_x86_64")
    assert is_release_version("1.31.7-20250409", "WINDOWS_CORE_2022_x86_64")
    assert not is_release_version("ami-0c0ffee0000000001", "CUSTOM")


def test_dated_releases_end_in_a_calendar_date():
    assert is_dated_release("1.31.7-20250403")
    assert not is_dated_release("1.40.0-12345678")
    assert not is_dated_release("1.40.0-20251340")
    assert not is_dated_release("1.40.0-19991231")
    assert not is_dated_release("1.32.0-cafe0123")


@pytest.mark.parametrize("release", ["1.40.0-12345678", "1.31.0-20250403"])
def test_bottlerocket_releases_never_name_a_minor(release):
    assert release_minor(release, ami_type="BOTTLEROCKET_x86_64") is None
    assert release_key(release, ami_type="BOTTLEROCKET_ARM_64") == tuple(int(part) for part in release.split("-")[0].split("."))


def test_windows_and_amazon_linux_releases_name_their_minor():
    assert release_minor("1.31.7-20250409", ami_type="WINDOWS_FULL_2022_x86_64") == "1.31"
    assert release_minor("1.31.7-20250403", ami_type="AL2023_x86_64_STANDARD") == "1.31"
    assert release_minor("1.31.0-cafe0123", ami_type="AL2023_x86_64_STANDARD") is None
    assert release_minor("1.31.7-20250403", ami_type="CUSTOM") is None
    assert release_minor("1.31.7-20250403", ami_type="SOMETHING_NEW") is None


@pytest.mark.parametrize("left, right, ami_type, expected", [
    ("1.40.0-12345678", "1.34.0-d2a1f0e5", "BOTTLEROCKET_x86_64", 1),
    ("1.34.0-d2a1f0e5", "1.40.0-12345678", "BOTTLEROCKET_x86_64_NVIDIA_FIPS", -1),
    ("1.40.0-12345678", "1.40.0-d2a1f0e5", "BOTTLEROCKET_x86_64", None),
    ("1.31.4-20250203", "1.31.7-20250403", "AL2023_x86_64_STANDARD", -1),
    ("1.31.4-20250203", "1.31.0-cafe0123", "AL2023_x86_64_STANDARD", None),
    ("1.31.7-20250409", "1.31.5-20250212", "WINDOWS_CORE_2019_x86_64", 1),
    ("ami-0c0ffee0000000002", "ami-0c0ffee0000000001", "CUSTOM", None),
    ("1.31.7-20250403", "1.31.4-20250203", "SOMETHING_NEW", None),
    ("1.31.7-20250403", "1.31.7-20250403", "SOMETHING_NEW", 0),
])
def test_compare_releases_by_ami_type(left, right, ami_type, expected):
    assert compare_releases(left, right, ami_type=ami_type) == expected


def test_release_minor():
    assert release_minor("1.31.4-20250203") == "1.31"
    assert release_minor("1.9.0-20200101") == "1.9"
    assert release_minor("1.32.0-cafe0123") is None  # Bottlerocket names its own version
    assert release_minor("ami-0123") is None


@pytest.mark.parametrize("left, right, expected", [
    ("1.31.4-20250203", "1.31.4-20250203", 0),
    ("1.31.4-20250203", "1.31.4-20250301", -1),
    ("1.31.5-20250101", "1.31.4-20250301", 1),
    ("1.31.10-20250101", "1.31.9-20250101", 1),
    ("1.30.9-20251201", "1.31.0-20240101", -1),
    ("1.26.1-aaaa1111", "1.26.2-0000ffff", -1),
    ("1.26.1-aaaa1111", "1.26.1-bbbb2222", None),
    ("1.26.1-aaaa1111", "1.31.4-20250203", None),
    ("ami-0123", "1.31.4-20250203", None),
])
def test_compare_releases(left, right, expected):
    assert compare_releases(left, right) == expected
