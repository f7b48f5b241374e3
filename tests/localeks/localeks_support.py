from __future__ import annotations

import time
from typing import Any


def nodegroup(eks: Any, name: str, cluster: str = "prod") -> dict[str, Any]:
    return eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]


def wait_update(eks: Any, nodegroup_name: str, update_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """Poll DescribeUpdate until the update leaves InProgress."""
    deadline = time.monotonic() + timeout
    while True:
        update = eks.describe_update(name="prod", nodegroupName=nodegroup_name, updateId=update_id)[
            "update"
        ]
        if update["status"] != "InProgress" or time.monotonic() > deadline:
            return update
        time.sleep(0.05)


def params(update: dict[str, Any]) -> dict[str, str]:
    return {p["type"]: p["value"] for p in update["params"]}
