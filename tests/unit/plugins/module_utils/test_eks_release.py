# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_parameter


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
])
def test_release_parameter_per_ami_type(ami_type, name):
    assert release_parameter(ami_type, "1.31") == name


@pytest.mark.parametrize("ami_type", ["CUSTOM", "WINDOWS_CORE_2022_x86_64", "SOMETHING_NEW"])
def test_no_release_parameter_where_aws_publishes_none(ami_type):
    assert release_parameter(ami_type, "1.31") is None


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
