"""The request budget (rate_limit) end to end: the batch and the report through ansible-playbook, against the local
endpoint with its per-account rate limit on, as EKS throttles."""

import pytest

from ansible_collections.fleetops.eks.tests.unit.plugins.module_utils.simulated_time import most_in_any_window
from conftest import REGION
from test_batch import in_background

BATCH = "fleetops.eks.eks_nodegroup_version_batch"
INFO = "fleetops.eks.eks_nodegroup_version_info"
MODULE = "fleetops.eks.eks_nodegroup_version"
OLD = "1.31.0-20241024"


def fleet_of(clusters, per_cluster):
    return {
        "region": REGION,
        "clusters": [
            {
                "name": "c%d" % c,
                "version": "1.31",
                "nodegroups": [
                    {"name": "ng%02d" % n, "version": "1.31", "ami_type": "AL2023_x86_64_STANDARD", "release_version": OLD}
                    for n in range(per_cluster)
                ],
            }
            for c in range(clusters)
        ],
    }


def targets(clusters, per_cluster):
    return [{"cluster_name": "c%d" % c, "name": "ng%02d" % n} for c in range(clusters) for n in range(per_cluster)]


def run_held(control, ansible, nodegroups, **args):
    """Run the batch module on ``nodegroups`` with every update held until each has been polled twice; then end
    them all Successful and return the run."""
    control.hold_updates()
    running = in_background(ansible.run, module=BATCH, nodegroups=nodegroups, **args)
    for target in nodegroups:
        seen = 0
        for dummy in range(2):
            poll = control.wait_for_request("DescribeUpdate", cluster=target["cluster_name"], nodegroup=target["name"],
                                            after_seq=seen, timeout=300, give_up=running.done)
            assert poll is not None, running.result()
            seen = poll["seq"]
    for target in nodegroups:
        control.finish_update(target["cluster_name"], control.update_in_progress(target["cluster_name"], target["name"])["id"])
    return running.result(timeout=300)


def test_a_batch_within_its_budget_is_never_throttled_and_says_when_polls_are_stretched(control, ansible):
    control.load_fleet(fleet_of(2, 6))
    control.clear_requests()
    # The account allows 10 requests a second (burst 20); the task asks for 3. (The margin is wide enough that
    # only requests piling up for seconds on their way to the endpoint could meet its limit.)
    control.set_rate_limit(10, burst=20)
    # Every update is held until each has been polled twice, so that the poll interval is measured.
    run = run_held(control, ansible, targets(2, 6), rate_limit=3, wait_delay=1)
    assert not run.failed, run
    assert [entry["status"] for entry in run.result["nodegroups"]] == ["updated"] * 12
    assert control.rate_limit()["throttled"] == 0
    polling = run.result["polling"]
    assert polling["throttled"] == 0 and polling["rate_limit"] == 3.0
    sent = [entry["time"] for entry in control.requests()]
    assert polling["requests"] == len(sent)
    # The endpoint logs when requests arrive: allow them 3 s of jitter on the way.
    assert most_in_any_window(sent, 2.0) <= 3 + 3 * (2 + 3)
    # 12 updates polled every second would take 12 requests a second: the interval stretched, and the task says so.
    assert polling["stretched"] is True and polling["longest_interval"] >= 12 / 3.0 - 0.5
    assert polling["most_followed"] == 12
    assert "polled as seldom as every" in run.output


def test_over_the_accounts_limit_the_batch_backs_off_and_still_upgrades_everything(control, ansible):
    control.load_fleet(fleet_of(1, 8))
    control.clear_requests()
    control.set_rate_limit(2, burst=2)
    # Held until each update has been polled twice: the task asks for far more than the account allows meanwhile.
    run = run_held(control, ansible, targets(1, 8), rate_limit=50, wait_delay=1)
    assert not run.failed, run
    assert [entry["status"] for entry in run.result["nodegroups"]] == ["updated"] * 8
    throttled = control.rate_limit()["throttled"]
    assert throttled > 0
    assert run.result["polling"]["throttled"] == throttled


def test_the_report_reads_node_groups_side_by_side_a_hung_read_holds_no_other(control, ansible):
    control.load_fleet(fleet_of(1, 6))
    control.clear_requests()
    hang = control.add_fault(kind="hang", service="eks", operation="DescribeNodegroup", count=1, seconds=120)
    running = in_background(ansible.run, module=INFO, cluster_names=["c0"])
    first = control.wait_for_request("DescribeNodegroup", timeout=120, give_up=running.done)
    assert first is not None, running.result()
    # While the first DescribeNodegroup hangs, the other node groups are read beside it.
    for dummy in range(3):
        later = control.wait_for_request("DescribeNodegroup", after_seq=first["seq"], timeout=120, give_up=running.done)
        assert later is not None, running.result()
        first = later
    assert [rule["hanging"] for rule in control.faults() if rule["id"] == hang["id"]] == [1]
    control.remove_fault(hang["id"])
    run = running.result(timeout=300)
    assert not run.failed, run
    assert run.result["summary"]["nodegroups"] == 6


def test_the_report_keeps_within_its_budget(control, ansible):
    control.load_fleet(fleet_of(3, 6))
    control.clear_requests()
    control.set_rate_limit(10, burst=20)
    run = ansible.run(module=INFO, rate_limit=3)
    assert not run.failed, run
    assert run.result["summary"]["nodegroups"] == 18
    assert control.rate_limit()["throttled"] == 0
    sent = [entry["time"] for entry in control.requests()]
    assert most_in_any_window(sent, 2.0) <= 3 + 3 * (2 + 3)


@pytest.mark.parametrize("module, args, rate_limit", [
    (BATCH, {"nodegroups": [{"cluster_name": "c0", "name": "ng00"}]}, "nan"),
    (BATCH, {"nodegroups": [{"cluster_name": "c0", "name": "ng00"}]}, -1),
    (INFO, {}, "inf"),
    (MODULE, {"cluster_name": "c0", "name": "ng00"}, 1000.5),
])
def test_a_rate_limit_that_is_not_a_rate_is_refused_before_any_call(control, ansible, module, args, rate_limit):
    control.load_fleet(fleet_of(1, 1))
    control.clear_requests()
    run = ansible.run(module=module, rate_limit=rate_limit, **args)
    assert run.failed, run
    assert run.msg.startswith("rate_limit must be a number of requests per second"), run
    assert control.requests() == []
