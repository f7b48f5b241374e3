# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run's state machine, fed plain answers: no AWS, no clock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import botocore.exceptions
import pytest

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api
from ansible_collections.fleetops.eks.plugins.module_utils.bounded_client import DeadlineExceeded
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import SKIP
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import Answer
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_run import NodegroupRun

LATEST = "1.31.7-20250403"
DEADLINE = 100.0


def nodegroup(**changes):
    described = {
        "clusterName": "prod",
        "nodegroupName": "general",
        "status": "ACTIVE",
        "version": "1.31",
        "releaseVersion": "1.31.4-20250203",
        "amiType": "AL2023_x86_64_STANDARD",
        "modifiedAt": datetime.datetime(2025, 1, 2, 3, 4, 5),
        "health": {"issues": []},
    }
    described.update(changes)
    return described


def update(update_id="u-1", status="InProgress", release=LATEST, version="1.31", errors=None):
    return {
        "id": update_id,
        "status": status,
        "type": "VersionUpdate",
        "params": [{"type": "Version", "value": version}, {"type": "ReleaseVersion", "value": release}],
        "createdAt": datetime.datetime(2025, 1, 2, 3, 4, 6),
        "errors": errors or [],
    }


def params(**given):
    options = {
        "cluster_name": "prod",
        "name": "general",
        "kubernetes_version": None,
        "release_version": "latest",
        "launch_template": None,
        "force": False,
        "client_request_token": None,
        "wait": True,
        "wait_timeout": 100,
        "wait_delay": 10,
    }
    options.update(given)
    return options


def client_error(code, status, operation="DescribeUpdate"):
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": "%s happened" % code}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


class Script:
    """Drives one machine by hand: each call answers the action the machine asked for."""

    def __init__(self, check_mode=False, diff=False, **given):
        self.run = NodegroupRun(params(**given), DEADLINE, check_mode=check_mode, diff=diff)
        self.now = 0.0
        self.action = self.run.begin(self.now)

    def answer(self, value=None, error=None, now=None):
        if now is not None:
            self.now = now
        self.action = self.run.step(Answer(self.now, value=value, error=error))
        return self.action

    def fault(self, error, now=None):
        if now is not None:
            self.now = now
        self.action = self.run.fault(error, self.now)
        return self.action

    def to_start(self, described=None):
        assert self.action.kind == "describe"
        self.answer(described or nodegroup())
        assert self.action.kind == "gather"
        self.answer({"latest_release": LATEST})
        assert self.action.kind == "gate"
        self.answer()
        assert self.action.kind == "start", self.action
        return self.action


def test_a_started_update_followed_to_success_is_verified_against_the_node_group():
    script = Script()
    start = script.to_start()
    assert start.args["request"] == {"clusterName": "prod", "nodegroupName": "general", "version": "1.31", "releaseVersion": LATEST}
    poll = script.answer(update())
    assert poll.kind == "follow" and poll.at == 10.0 and not poll.last_call
    assert script.answer(update(status="Successful"), now=10.0).kind == "last_describe"
    assert script.answer(nodegroup(releaseVersion=LATEST), now=10.5) is None
    result = script.run.result()
    assert result["changed"] is True and "failed" not in result
    assert result["nodegroup_update"]["status"] == "Successful"
    assert result["request"]["client_request_token"]
    assert script.run.status() == "updated" and script.run.duration == 10.0


def test_a_successful_update_that_left_the_node_group_elsewhere_is_a_failure():
    script = Script()
    script.to_start()
    script.answer(update())
    script.answer(update(status="Successful"), now=10.0)
    script.answer(nodegroup(releaseVersion="1.31.4-20250203"), now=10.5)
    result = script.run.result()
    assert result["failed"] and result["changed"] is True
    assert "ended Successful, but the node group is not at this task's target" in result["msg"]
    assert "1.31.4-20250203" in result["msg"] and LATEST in result["msg"]


def test_an_update_handed_back_for_a_reused_token_is_not_taken_for_this_runs():
    script = Script(client_request_token="t")
    script.to_start()
    assert script.answer(update(status="Successful", release="1.31.5-20250301")) is None
    result = script.run.result()
    assert result["failed"] and result["changed"] is True
    assert "client_request_token t was used before for another request" in result["msg"]
    assert result["nodegroup_update"]["id"] == "u-1" and result["request"]["client_request_token"] == "t"


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException", 429),
        client_error("AccessDeniedException", 403),
        client_error("ServerException", 500),
        DeadlineExceeded("describe_update", 100, client_error("ThrottlingException", 429)),
        botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        KeyError("cluster"),
    ],
    ids=["throttled", "denied", "5xx", "deadline", "read-timeout", "exception"],
)
def test_whatever_ends_the_wait_the_started_update_stays_in_the_result(error):
    script = Script()
    script.to_start()
    script.answer(update())
    # At the deadline: before it, a transient error only makes the poll come again.
    assert script.fault(error, now=DEADLINE) is None
    result = script.run.result()
    assert result["failed"] and result["changed"] is True
    assert result["nodegroup_update"]["id"] == "u-1" and result["request"]["release_version"] == LATEST
    assert "Update u-1 goes on in EKS" in result["msg"]


@pytest.mark.parametrize(
    "error, sent",
    [
        (client_error("ServerException", 500, "UpdateNodegroupVersion"), True),
        (client_error("", 504, "UpdateNodegroupVersion"), True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), True),
        (DeadlineExceeded("update_nodegroup_version", 5, botocore.exceptions.ConnectionClosedError(endpoint_url="x")), True),
        (RuntimeError("after the write"), True),
        (client_error("InvalidParameterException", 400, "UpdateNodegroupVersion"), False),
        (client_error("AccessDeniedException", 403, "UpdateNodegroupVersion"), False),
        (DeadlineExceeded("update_nodegroup_version", 5, client_error("ThrottlingException", 429)), False),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), False),
    ],
    ids=["5xx", "lost", "read-timeout", "deadline-after-network-fault", "exception", "invalid", "denied", "throttled", "refused"],
)
def test_a_start_whose_answer_is_unknown_counts_as_sent(error, sent):
    script = Script()
    script.to_start()
    script.fault(error)
    result = script.run.result()
    assert result["failed"] and result["changed"] is sent
    if sent:
        assert result["request"]["client_request_token"] and "its answer was lost" in result["msg"]
    else:
        assert result["request"] is None


def test_the_last_poll_falls_on_the_deadline_and_a_timeout_names_the_update():
    script = Script(wait_delay=30, wait_timeout=100)
    script.to_start()
    polls = [script.answer(update())]
    while polls[-1].at < DEADLINE:
        polls.append(script.answer(update(), now=polls[-1].at))
    assert [poll.at for poll in polls] == [30.0, 60.0, 90.0, 100.0]
    assert polls[-1].last_call and not any(poll.last_call for poll in polls[:-1])
    assert script.answer(update(), now=100.0) is None
    result = script.run.result()
    assert "Timed out after 100s waiting for update u-1" in result["msg"] and result["changed"] is True


def test_an_update_in_flight_to_the_same_target_is_attached_to_not_doubled():
    script = Script()
    script.answer(nodegroup(status="UPDATING"))
    script.answer({"latest_release": LATEST})
    assert script.answer().kind == "find_in_flight"
    assert script.answer(update("u-9")).kind == "follow"
    script.answer(update("u-9", "Successful"), now=10.0)
    script.answer(nodegroup(releaseVersion=LATEST), now=10.0)
    result = script.run.result()
    assert result["changed"] is True and result["nodegroup_update"]["id"] == "u-9" and result["request"] is None


def test_another_update_in_the_way_is_waited_for_then_the_run_plans_again():
    script = Script()
    script.answer(nodegroup(status="UPDATING"))
    script.answer({"latest_release": LATEST})
    script.answer()
    other = dict(update("u-0"), type="ConfigUpdate", params=[])
    assert script.answer(other).kind == "wait_other"
    assert script.answer(dict(other, status="Successful"), now=10.0).kind == "describe"
    assert script.to_start().kind == "start"


def test_a_batch_that_stopped_leaves_the_run_not_started_and_unsent():
    script = Script()
    script.to_start()
    assert script.answer(SKIP, error="prod/web failed first") is None
    result = script.run.result()
    assert result["changed"] is False and result["request"] is None
    assert script.run.status() == "not_started"


def test_check_mode_ends_before_the_write_with_the_request_it_would_send():
    script = Script(check_mode=True, diff=True)
    script.answer(nodegroup())
    script.answer({"latest_release": LATEST})
    assert script.answer() is None
    result = script.run.result()
    assert result["changed"] is True and result["request"]["client_request_token"]
    assert result["diff"]["after"]["release_version"] == LATEST
    assert script.run.status() == "would_update"


def test_a_node_group_not_found_is_a_clear_failure():
    script = Script()
    script.answer(error=api.NotFound("No node group found for name: general."))
    result = script.run.result()
    assert result["failed"] and result["changed"] is False
    assert "Check cluster_name (prod), name (general) and the region" in result["msg"]


def test_bad_options_end_the_run_before_any_action():
    run = NodegroupRun(params(kubernetes_version="1.31\n"), DEADLINE)
    assert run.begin(0.0) is None
    assert run.result()["failed"] and "kubernetes_version" in run.result()["msg"]


def test_an_ended_run_takes_no_more_answers():
    script = Script()
    script.answer(error=api.NotFound("gone"))
    with pytest.raises(ValueError):
        script.run.step(Answer(0.0))


def test_a_poll_that_fails_transiently_is_made_again_until_the_deadline():
    script = Script(wait_delay=10)
    script.to_start()
    script.answer(update())
    again = script.fault(client_error("ThrottlingException", 429), now=10.0)
    assert again.kind == "follow" and again.at == 20.0 and script.run.poll_errors == 1
    assert script.fault(client_error("AccessDeniedException", 403), now=20.0) is None
    assert script.run.result()["changed"] is True and "AccessDeniedException" in script.run.result()["msg"]
