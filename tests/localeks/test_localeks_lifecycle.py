"""The clock decides when an update ends: reads made after its end agree with that end, whenever they come."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from localeks_support import nodegroup

from localeks.__main__ import _parser
from localeks.client import Control
from localeks.eks.models import LocalEKSBackend, localeks_backends
from localeks.server import LocalEKS

T0 = 1_800_000_000.0


class FakeClock:
    """The endpoint's clock, moved by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def backend() -> LocalEKSBackend:
    return localeks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


@pytest.fixture
def clock(control: Control) -> Iterator[FakeClock]:
    """A hand-driven clock for the endpoint's backend (the next reset gives it its real clock back)."""
    fake = FakeClock()
    backend().clock = fake
    yield fake
    backend().clock = time.time


def seconds(value: Any) -> float:
    """A timestamp botocore parsed, as Unix seconds to the millisecond."""
    return round(value.timestamp(), 3)


def describe(eks: Any, name: str, update_id: str) -> dict[str, Any]:
    return eks.describe_update(name="prod", nodegroupName=name, updateId=update_id)["update"]


def test_a_read_after_the_end_sees_the_end(eks: Any, control: Control, clock: FakeClock) -> None:
    control.behaviour("prod", "general", update_duration=2)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert seconds(update["createdAt"]) == T0
    assert seconds(nodegroup(eks, "general")["modifiedAt"]) == T0

    clock.now = T0 + 6  # nobody asked between the end (T0 + 2) and now
    general = nodegroup(eks, "general")
    assert (general["status"], general["version"]) == ("ACTIVE", "1.31")
    assert seconds(general["modifiedAt"]) == T0 + 2
    described = describe(eks, "general", update["id"])
    assert (described["status"], seconds(described["createdAt"])) == ("Successful", T0)
    [listed] = control.updates("prod", "general")
    assert (listed["started"], listed["duration"], listed["ended"]) == (T0, 2.0, T0 + 2)


def test_a_read_after_the_end_sees_the_end_on_the_real_clock(eks: Any, control: Control) -> None:
    control.behaviour("prod", "general", update_duration=0.2)
    update = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    time.sleep(0.5)  # past the end; the endpoint's clock decides when it was
    general = nodegroup(eks, "general")
    described = describe(eks, "general", update["id"])
    assert (general["status"], described["status"]) == ("ACTIVE", "Successful")
    assert seconds(general["modifiedAt"]) == round(seconds(described["createdAt"]) + 0.2, 3)
    [listed] = control.updates("prod", "general")
    assert seconds(general["modifiedAt"]) == listed["ended"] == round(listed["started"] + 0.2, 3)


def test_the_end_does_not_depend_on_when_it_is_read(eks: Any, control: Control, clock: FakeClock) -> None:
    for name in ("general", "plain"):
        control.behaviour("prod", name, update_duration=2)
        eks.update_nodegroup_version(clusterName="prod", nodegroupName=name)
    clock.now = T0 + 1.999
    assert nodegroup(eks, "general")["status"] == "UPDATING"
    clock.now = T0 + 3
    assert seconds(nodegroup(eks, "general")["modifiedAt"]) == T0 + 2
    clock.now = T0 + 900
    assert seconds(nodegroup(eks, "plain")["modifiedAt"]) == T0 + 2
    assert [u["ended"] for u in control.updates("prod")] == [T0 + 2, T0 + 2]


def test_an_update_ended_unseen_lets_the_next_one_start(eks: Any, control: Control, clock: FakeClock) -> None:
    control.behaviour("prod", "general", update_duration=2)
    first = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general", version="1.30")["update"]
    clock.now = T0 + 10  # the first request after the end starts another update
    second = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    assert (second["status"], seconds(second["createdAt"])) == ("InProgress", T0 + 10)
    ended = {u["id"]: u["ended"] for u in control.updates("prod", "general")}
    assert ended == {first["id"]: T0 + 2, second["id"]: None}
    assert seconds(nodegroup(eks, "general")["modifiedAt"]) == T0 + 10


def test_failed_and_config_updates_end_on_time_too(eks: Any, control: Control, clock: FakeClock) -> None:
    control.behaviour("prod", "general", update_duration=3, fail_next_update=True)
    failed = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    clock.now = T0 + 5
    assert describe(eks, "general", failed["id"])["status"] == "Failed"
    assert seconds(nodegroup(eks, "general")["modifiedAt"]) == T0 + 3

    config = eks.update_nodegroup_config(clusterName="prod", nodegroupName="general",
                                         scalingConfig={"desiredSize": 4})["update"]
    clock.now = T0 + 60
    general = nodegroup(eks, "general")
    assert (describe(eks, "general", config["id"])["status"], general["status"]) == ("Successful", "ACTIVE")
    assert seconds(general["modifiedAt"]) == T0 + 8


def test_held_and_finished_updates_end_when_finished(eks: Any, control: Control, clock: FakeClock) -> None:
    control.behaviour("prod", "general", update_duration=2, hold_updates=True)
    held = eks.update_nodegroup_version(clusterName="prod", nodegroupName="general")["update"]
    clock.now = T0 + 40
    assert nodegroup(eks, "general")["status"] == "UPDATING"
    finished = control.finish_update("prod", held["id"])
    assert (finished["status"], finished["ended"]) == ("Successful", T0 + 40)
    clock.now = T0 + 99
    assert seconds(nodegroup(eks, "general")["modifiedAt"]) == T0 + 40

    control.behaviour("prod", "plain", update_duration=30)
    early = eks.update_nodegroup_version(clusterName="prod", nodegroupName="plain")["update"]
    clock.now = T0 + 105
    assert control.finish_update("prod", early["id"], status="Cancelled")["ended"] == T0 + 105
    clock.now = T0 + 500
    plain = nodegroup(eks, "plain")
    assert (plain["status"], seconds(plain["modifiedAt"])) == ("ACTIVE", T0 + 105)
    assert describe(eks, "plain", early["id"])["status"] == "Cancelled"


def test_the_fleet_time_factor_divides_durations(eks: Any, control: Control, fleet: dict[str, Any]) -> None:
    backend().clock = clock = FakeClock()
    stated = {**fleet, "defaults": {"update_duration": 1800, "time_factor": 900}}
    stated["clusters"] = [
        {**fleet["clusters"][0],
         "nodegroups": [dict(ng, update_duration=3600) if ng["name"] == "plain" else ng for ng in fleet["clusters"][0]["nodegroups"]]}
    ]
    control.load_fleet(stated)
    backend().clock = clock  # the reset before loading gave the backend its real clock
    for name in ("general", "plain"):
        eks.update_nodegroup_version(clusterName="prod", nodegroupName=name)
    assert {u["nodegroup"]: u["duration"] for u in control.updates("prod")} == {"general": 2.0, "plain": 4.0}
    clock.now = T0 + 2
    assert (nodegroup(eks, "general")["status"], nodegroup(eks, "plain")["status"]) == ("ACTIVE", "UPDATING")
    clock.now = T0 + 30
    assert seconds(nodegroup(eks, "plain")["modifiedAt"]) == T0 + 4
    backend().clock = time.time


def test_the_process_time_factor(control: Control) -> None:
    before = LocalEKSBackend.time_factor
    endpoint = LocalEKS(port=0, time_factor=60)
    try:
        assert LocalEKSBackend.time_factor == 60.0
        assert LocalEKSBackend("eu-west-1", DEFAULT_ACCOUNT_ID).real_duration(1800) == 30.0
        with pytest.raises(ValueError, match="time_factor must be a positive number"):
            LocalEKS(port=0, time_factor=0)
    finally:
        LocalEKSBackend.time_factor = before
        endpoint._server.server_close()
    assert _parser().parse_args(["serve", "--time-factor", "120"]).time_factor == 120.0
    with pytest.raises(SystemExit):
        _parser().parse_args(["serve", "--time-factor", "-1"])


@pytest.mark.parametrize("factor", [0, -2, "fast", True, None])
def test_the_fleet_refuses_a_bad_time_factor(control: Control, factor: Any) -> None:
    from localeks.client import ControlError

    if factor is None:
        control.load_fleet({"defaults": {"time_factor": None}})  # null: no factor, as if left out
        return
    with pytest.raises(ControlError) as refused:
        control.load_fleet({"defaults": {"time_factor": factor}})
    assert refused.value.status == 400
    assert "defaults.time_factor must be a positive number" in str(refused.value)
