from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localeks.client import Control
from localeks.eks import catalogue

AMAZON_LINUX = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")
BOTTLEROCKET = re.compile(r"^\d+\.\d+\.\d+-[0-9a-f]{8}$")


@pytest.mark.parametrize("ami_type", sorted(set(catalogue.AMI_TYPES) - {"CUSTOM"}))
def test_every_ami_type_has_ordered_releases(ami_type: str) -> None:
    family = catalogue.AMI_TYPES[ami_type].family
    minors = [m for m in catalogue.MINORS if catalogue.supports(m, ami_type)]
    expected = catalogue.AL2_MINORS if family == catalogue.AL2 else catalogue.MINORS
    assert tuple(minors) == expected
    for minor in minors:
        releases = catalogue.releases(minor, ami_type)
        assert len(releases) >= 3
        for release in releases:
            if family == catalogue.BOTTLEROCKET:
                assert BOTTLEROCKET.match(release)
            else:
                assert AMAZON_LINUX.match(release).group(1) == minor  # type: ignore[union-attr]
        assert catalogue.latest_release(minor, ami_type) == releases[-1]
        assert catalogue.release_rank(minor, ami_type, releases[0]) == 0


def test_custom_has_no_catalogue() -> None:
    assert catalogue.releases("1.31", "CUSTOM") == ()
    assert not catalogue.supports("1.33", "AL2_x86_64")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/release_version", "1.31.7-20250403"),
        ("/aws/service/eks/optimized-ami/1.32/amazon-linux-2-arm64/recommended/release_version", "1.32.7-20250715"),
        ("/aws/service/eks/optimized-ami/1.30/amazon-linux-2-gpu/recommended/release_version", "1.30.11-20250403"),
        ("/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/release_version", "1.34.2-20260105"),
        ("/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/release_version", "1.33.4-20250904"),
        ("/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended/release_version", "1.31.7-20250403"),
        ("/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/arm64/nvidia/recommended/release_version", "1.31.7-20250403"),
        ("/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/neuron/recommended/release_version", "1.31.7-20250403"),
        ("/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version", "1.51.0-e02a6f3b"),
        ("/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_version", "1.51.0-e02a6f3b"),
        ("/aws/service/bottlerocket/aws-k8s-1.32-nvidia/x86_64/latest/image_version", "1.51.0-e02a6f3b"),
        ("/aws/service/bottlerocket/aws-k8s-1.32-fips/arm64/latest/image_version", "1.51.0-e02a6f3b"),
    ],
)
def test_ssm_release_parameters(ssm: Any, name: str, value: str) -> None:
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == value


@pytest.mark.parametrize("edition", ["2019-English-Core", "2019-English-Full", "2022-English-Core", "2022-English-Full"])
def test_ssm_windows_image_ids(ssm: Any, edition: str) -> None:
    name = f"/aws/service/ami-windows-latest/Windows_Server-{edition}-EKS_Optimized-1.31/image_id"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"].startswith("ami-0")


def test_ssm_image_id_siblings_and_al2_absent_after_132(ssm: Any) -> None:
    base = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended"
    assert ssm.get_parameter(Name=f"{base}/image_id")["Parameter"]["Value"].startswith("ami-")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(
            Name="/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/release_version"
        )


def test_ssm_latest_override_from_fleet(ssm: Any, control: Control) -> None:
    control.load_fleet(
        {
            "clusters": [],
            "ssm_latest_overrides": [
                {"minor": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.1-20250101"}
            ],
        }
    )
    name = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/release_version"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "1.31.1-20250101"


def test_bottlerocket_latest_is_one_release_for_every_minor() -> None:
    rockets = [t for t, ami in catalogue.AMI_TYPES.items() if ami.family == catalogue.BOTTLEROCKET]
    latest = {catalogue.latest_release(minor, t) for minor in catalogue.MINORS for t in rockets}
    assert latest == {catalogue.BOTTLEROCKET_RELEASE_LINE[-1]}
    for minor in catalogue.MINORS:
        releases = catalogue.releases(minor, "BOTTLEROCKET_x86_64")
        assert releases == catalogue.BOTTLEROCKET_RELEASE_LINE[-len(releases):]


@pytest.mark.parametrize("base", [
    "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended",
    "/aws/service/eks/optimized-ami/1.32/amazon-linux-2-arm64/recommended",
    "/aws/service/eks/optimized-ami/1.30/amazon-linux-2-gpu/recommended",
])
def test_ssm_recommended_document_and_leaves_agree(ssm: Any, ec2: Any, base: str) -> None:
    def value(name: str) -> str:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])

    document = json.loads(value(base))
    assert set(document) == {"schema_version", "image_id", "image_name", "release_version"}
    assert document["schema_version"] == "2"
    assert document["image_id"] == value(f"{base}/image_id")
    assert document["image_name"] == value(f"{base}/image_name")
    assert document["release_version"] == value(f"{base}/release_version")
    image = ec2.describe_images(ImageIds=[document["image_id"]])["Images"][0]
    assert image["Name"] == document["image_name"]
    assert image["ImageOwnerAlias"] == "amazon" and image["Public"] is True
    assert document["image_name"].endswith("-v" + document["release_version"].rsplit("-", 1)[1])


def test_every_published_image_id_is_an_ec2_image(ssm: Any, ec2: Any) -> None:
    names = [n for n in catalogue.ssm_parameters() if n.endswith("/image_id")]
    values = {}
    for start in range(0, len(names), 10):
        found = ssm.get_parameters(Names=names[start:start + 10])
        assert not found["InvalidParameters"]
        values.update({p["Name"]: p["Value"] for p in found["Parameters"]})
    assert len(values) == len(names)
    images = {i["ImageId"]: i for i in ec2.describe_images(ImageIds=sorted(set(values.values())))["Images"]}
    assert set(images) == set(values.values())
    rocket = values["/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id"]
    assert images[rocket]["Name"] == "bottlerocket-aws-k8s-1.33-arm64-v1.51.0-e02a6f3b"
    assert images[rocket]["Architecture"] == "arm64"
    windows = values["/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"]
    assert images[windows]["Platform"] == "windows"
    # Each Kubernetes minor has its own Bottlerocket AMI, though the release is the same.
    assert rocket != values["/aws/service/bottlerocket/aws-k8s-1.32/arm64/latest/image_id"]


def test_override_publishes_an_ec2_image_too(ssm: Any, ec2: Any, control: Control) -> None:
    control.load_fleet({"clusters": [], "ssm_latest_overrides": [
        {"minor": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.1-20250101"}]})
    base = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended"
    document = json.loads(ssm.get_parameter(Name=base)["Parameter"]["Value"])
    assert document["release_version"] == "1.31.1-20250101"
    assert ec2.describe_images(ImageIds=[document["image_id"]])["Images"][0]["Name"] == document["image_name"]
