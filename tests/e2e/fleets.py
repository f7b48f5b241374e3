"""The fleet the module's end-to-end tests run on (a localeks fleet document)."""

from conftest import REGION

LATEST_131 = "1.31.7-20250403"

FLEET = {
    "region": REGION,
    "defaults": {"update_duration": 1},
    "launch_templates": [
        {"name": "web-nodes", "versions": 3, "default_version": 2},
        {"name": "custom-nodes", "versions": 2, "image_id": ["ami-0c0ffee0000000001", "ami-0c0ffee0000000002"]},
        {"name": "other-nodes", "versions": 1},
    ],
    "clusters": [
        {
            "name": "prod",
            "version": "1.31",
            "nodegroups": [
                {"name": "general", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"},
                {"name": "old", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": "1.31.0-20241024"},
                {"name": "current", "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": LATEST_131},
                {
                    "name": "web",
                    "version": "1.31",
                    "ami_type": "AL2023_x86_64_STANDARD",
                    "release_version": LATEST_131,
                    "launch_template": {"name": "web-nodes", "version": 1},
                },
                {"name": "custom", "version": "1.31", "launch_template": {"name": "custom-nodes", "version": 1}},
                {"name": "windows", "version": "1.31", "ami_type": "WINDOWS_CORE_2022_x86_64"},
                {"name": "ahead", "version": "1.31", "ami_type": "AL2023_ARM_64_STANDARD", "release_version": "1.31.4-20250203"},
            ],
        },
        {"name": "edge", "version": "1.30", "nodegroups": [{"name": "small", "version": "1.30", "ami_type": "AL2023_x86_64_STANDARD"}]},
    ],
    # SSM lagging behind: it names an older release than node group "ahead" already runs.
    "ssm_latest_overrides": [{"minor": "1.31", "ami_type": "AL2023_ARM_64_STANDARD", "release_version": "1.31.3-20250123"}],
}
