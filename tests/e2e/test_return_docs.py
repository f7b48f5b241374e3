"""What each module returns, end to end, against its RETURN documentation, recursively and both ways.

The tests run a representative set of playbooks themselves (no dependence on other tests or their order): for
eks_nodegroup_version an update, a no-op, check and diff mode, ``wait: false``, another update in the way, an
update that fails, a fault injected through the endpoint's control API, a node group not found and an option
refused; the same kinds of cases for the batch; and reports, filtered, with an update in progress, a node group
that is not ACTIVE, SSM denied and EKS denied. Every fleetops.eks result is recorded by the callback the e2e
harness enables (callback_plugins/fleetops_module_results.py), and each is walked against its module's RETURN:

* a key returned but not documented fails (Ansible's common return values, and the AWS error details amazon.aws
  adds to a failed task, are skipped where RETURN does not document them);
* a documented key missing from a result fails when its ``returned`` is ``always``, or ``success`` and the task
  did not fail; under a dict (or each dict of a list), the same holds for its ``contains``;
* a documented key that none of the results returned fails unless its ``returned`` says when (a key under a dict
  or list is only looked for where the dict, or an element of the list, was returned);
* values have the documented ``type`` (null is allowed: the descriptions say when a value is null); dicts without
  ``contains`` (labels, tags, diff states...) are leaves; lists of dicts are compared element by element.

Updates end at once (update_duration 0) or are held by the endpoint until it is told to end them, so no result
depends on how fast anything runs.
"""

import ast
import os

import pytest
import yaml
from moto.core import DEFAULT_ACCOUNT_ID

from conftest import REGION, ROOT
from localeks.eks.models import localeks_backends

MODULE = "fleetops.eks.eks_nodegroup_version"
BATCH = "fleetops.eks.eks_nodegroup_version_batch"
INFO = "fleetops.eks.eks_nodegroup_version_info"
MODULES = (MODULE, BATCH, INFO)

# Ansible's common return values: checked only where a module's RETURN documents them.
COMMON = frozenset((
    "changed", "failed", "msg", "diff", "invocation", "warnings", "deprecations", "exception", "skipped",
    "ansible_facts", "rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "results", "backup_file",
))
# What amazon.aws's fail_json_aws adds to a task that failed on an AWS error: the library versions and the error
# response, snake_cased (EKS's carries a top-level message).
AWS_ERROR = frozenset(("error", "response_metadata", "boto3_version", "botocore_version", "message"))
# The ``returned`` values that say "in every result" (``success``: in every result of a task that did not fail).
UNCONDITIONAL = ("always", "success")

TYPES = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}

FAILURE = {"error_code": "PodEvictionFailure", "error_message": "Reached max retries while trying to evict pods from nodes",
           "resource_ids": ["ip-192-168-1-10.ec2.internal"]}


# -- the documentation ------------------------------------------------------------------------------------


def return_doc(module):
    """The module's RETURN, parsed from its source (no doc fragment extends it)."""
    name = module.rsplit(".", 1)[1]
    path = os.path.join(ROOT, "plugins", "modules", name + ".py")
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets if isinstance(target, ast.Name)] == ["RETURN"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no RETURN" % path)


def documented_paths(spec, prefix=""):
    """``{path: entry}`` for every documented key, nested ones as ``a.b`` and ``a[].b`` (a list of dicts)."""
    paths = {}
    for key, entry in spec.items():
        path = prefix + key
        paths[path] = entry
        if entry.get("contains"):
            inner = path + ("[]." if entry.get("type") == "list" else ".")
            paths.update(documented_paths(entry["contains"], inner))
    return paths


def parent_of(path):
    cut = max(path.rfind("."), 0)
    return path[:cut].replace("[]", "") if cut else None


def unconditional(entry, failed):
    returned = str(entry.get("returned", "")).strip()
    return returned == "always" or (returned == "success" and not failed)


# -- the walk ---------------------------------------------------------------------------------------------


class Walk:
    """Results walked against one module's RETURN: the problems found, and every path seen with a value."""

    def __init__(self, module, spec=None):
        self.module = module
        self.spec = return_doc(module) if spec is None else spec
        self.problems = []
        self.seen = set()  # paths returned (with any value)
        self.filled = set()  # paths returned with a value whose contains were walked (not null, not an empty list)

    def result(self, record):
        where = "%s (task %r)" % (self.module, record["task"])
        self.mapping(record["result"], self.spec, "", where, record["failed"], top=True)

    def mapping(self, values, spec, prefix, where, failed, top=False):
        for key, value in values.items():
            path = prefix + key
            if key not in spec:
                if top and (key in COMMON or (failed and key in AWS_ERROR)):
                    continue
                self.problems.append("%s: %s is returned but not documented (value %s)" % (where, path, _short(value)))
                continue
            self.value(value, spec[key], path, where, failed)
        for key, entry in spec.items():
            if key not in values and unconditional(entry, failed):
                self.problems.append("%s: %s is documented as returned %s, but missing%s" % (
                    where, prefix + key, entry.get("returned"), " from a failed task" if failed else ""))

    def value(self, value, entry, path, where, failed):
        plain = path.replace("[]", "")
        self.seen.add(plain)
        if value is None:
            return
        if value != []:
            self.filled.add(plain)
        kind = entry.get("type")
        if kind != "raw" and not (isinstance(value, TYPES.get(kind, ())) and not (kind in ("int", "float") and isinstance(value, bool))):
            self.problems.append("%s: %s is documented as %s, but is %s %s" % (where, path, kind, type(value).__name__, _short(value)))
            return
        contains = entry.get("contains")
        if kind == "dict" and contains:
            self.mapping(value, contains, path + ".", where, failed)
        elif kind == "list":
            elements = entry.get("elements")
            for item in value:
                if elements == "dict" and contains:
                    if not isinstance(item, dict):
                        self.problems.append("%s: an element of %s is not a dict: %s" % (where, path, _short(item)))
                    else:
                        self.mapping(item, contains, path + "[].", where, failed)
                elif elements in TYPES and not isinstance(item, TYPES[elements]):
                    self.problems.append("%s: an element of %s is documented as %s, but is %s" % (where, path, elements, _short(item)))

    def never_returned(self):
        """Documented keys no result returned although ``returned`` says always/success and their parent was there."""
        missing = []
        for path, entry in documented_paths(self.spec).items():
            plain = path.replace("[]", "")
            parent = parent_of(path)
            if plain in self.seen or (parent is not None and parent not in self.filled):
                continue
            if str(entry.get("returned", "")).strip() in UNCONDITIONAL:
                missing.append("%s: %s is documented as returned %s, but no result returned it" % (self.module, plain, entry.get("returned")))
        return missing


def _short(value):
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def check_results(ansible, module, expect_tasks):
    """Walk every recorded result of ``module`` against its RETURN (and the other modules' results against theirs).

    ``expect_tasks`` names the tasks of ``module`` that must have run.
    """
    records = ansible.module_results()
    problems = []
    walks = {}
    for record in records:
        walk = walks.setdefault(record["module"], Walk(record["module"]))
        walk.result(record)
    ran = [record["task"] for record in records if record["module"] == module]
    assert set(expect_tasks) <= set(ran), "tasks that did not run or were not recorded: %s" % sorted(set(expect_tasks) - set(ran))
    for walk in walks.values():
        problems += walk.problems
    problems += walks[module].never_returned()
    assert not problems, "\n".join(problems)
    return dict((record["task"], record) for record in records if record["module"] == module)


# -- running the cases ------------------------------------------------------------------------------------


def backend():
    """The endpoint's EKS model (in this process), for states no API call can put a node group in."""
    return localeks_backends[DEFAULT_ACCOUNT_ID][REGION]


def task(name, module, args, check=False, diff=False):
    if module != INFO:
        # Bounded, so that an endpoint that stops answering fails the test in a minute.
        args = dict({"wait_timeout": 60}, **args)
    step = {"name": name, module: args, "ignore_errors": True}
    if check:
        step["check_mode"] = True
    if diff:
        step["diff"] = True
    return step


def play(ansible, tasks):
    output, rc = ansible.run_playbook(ansible.playbook(tasks))
    assert "ERROR!" not in output and "[ERROR]: couldn't" not in output, output
    return output


def control_task(ansible, name, method, path, body=None):
    """A task that calls the endpoint's control API, between two tasks of a playbook."""
    call = {"url": "%s/_localeks/%s" % (ansible.endpoint_url, path), "method": method, "status_code": [200, 201]}
    if body is not None:
        call.update(body_format="json", body=body)
    return {"name": name, "ansible.builtin.uri": call}


def quick(control, *names, **behaviour):
    """Updates of these node groups (``cluster/name``, or a name in prod) end as soon as they are polled, and do what
    ``behaviour`` says."""
    for name in names:
        cluster, nodegroup = name.split("/") if "/" in name else ("prod", name)
        control.behaviour(cluster, nodegroup, update_duration=0, **behaviour)


def decorate(cluster, name):
    """Give a node group what a seeded one lacks: taints, labels, tags and a health issue (it stays ACTIVE)."""
    nodegroup = backend().describe_nodegroup(cluster, name)
    nodegroup.taints = [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}, {"key": "spot", "effect": "PREFER_NO_SCHEDULE"}]
    nodegroup.labels = {"workloadClass": "general"}
    nodegroup.tags = {"CostCenter": "platform"}
    nodegroup.health = {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "Instance launch failed: insufficient capacity.",
                                    "resourceIds": ["eks-%s-asg" % name]}]}


def test_eks_nodegroup_version_returns_what_it_documents(fleet, ansible):
    decorate("prod", "current")
    quick(fleet, "web")
    quick(fleet, "old", fail_next_update=FAILURE)
    fleet.behaviour("prod", "general", hold_updates=True)
    play(ansible, [
        task("check and diff, forced", MODULE, {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31", "force": True},
             check=True, diff=True),
        # A fault injected at the endpoint: the update starts, then its first poll is denied.
        control_task(ansible, "deny the next poll", "POST", "faults",
                     {"kind": "access_denied", "service": "eks", "operation": "DescribeUpdate", "count": 1}),
        task("poll denied", MODULE, {"cluster_name": "prod", "name": "web", "launch_template": {"version": "$Default"}, "wait_delay": 1}),
        task("update with diff", MODULE, {"cluster_name": "prod", "name": "web", "launch_template": {"version": "$Latest"},
                                          "wait_delay": 1}, diff=True),
        task("no-op", MODULE, {"cluster_name": "prod", "name": "current", "release_version": "latest"}, diff=True),
        task("custom AMI template, check", MODULE,
             {"cluster_name": "prod", "name": "custom", "launch_template": {"name": "custom-nodes", "version": 2}}, check=True, diff=True),
        task("start without waiting", MODULE, {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31", "wait": False}),
        task("another update in the way, check", MODULE, {"cluster_name": "prod", "name": "general", "release_version": "1.30.11-20250403"},
             check=True),
        task("another update in the way, no wait", MODULE,
             {"cluster_name": "prod", "name": "general", "release_version": "1.30.11-20250403", "wait": False}),
        task("update fails", MODULE, {"cluster_name": "prod", "name": "old", "release_version": "latest", "wait_delay": 1}),
        task("not found", MODULE, {"cluster_name": "prod", "name": "missing"}),
        task("refused option", MODULE, {"cluster_name": "prod", "name": "general", "wait_delay": 0}),
    ])
    results = check_results(ansible, MODULE, [
        "check and diff, forced", "poll denied", "update with diff", "no-op", "custom AMI template, check", "start without waiting",
        "another update in the way, check", "another update in the way, no wait", "update fails", "not found", "refused option",
    ])
    # The cases are what they are meant to be.
    failed = dict((name, record["failed"]) for name, record in results.items())
    outcome = dict((name, record["result"]) for name, record in results.items())
    assert outcome["check and diff, forced"]["request"]["force"] is True and "diff" in outcome["check and diff, forced"]
    assert failed["poll denied"] and outcome["poll denied"]["nodegroup_update"]["status"] == "InProgress"
    assert outcome["update with diff"]["nodegroup_update"]["status"] == "Successful"
    assert outcome["update with diff"]["request"]["launch_template"]["version"] == "3"
    assert outcome["no-op"]["request"] is None and not outcome["no-op"]["changed"]
    assert outcome["no-op"]["nodegroup"]["labels"] == {"workloadClass": "general"} and outcome["no-op"]["nodegroup"]["taints"]
    assert "version" not in outcome["custom AMI template, check"]["request"]
    assert outcome["start without waiting"]["nodegroup_update"]["status"] == "InProgress"
    assert "client_request_token" not in outcome["another update in the way, check"]["request"]
    assert failed["another update in the way, no wait"]
    assert outcome["update fails"]["nodegroup_update"]["errors"][0]["error_code"] == "PodEvictionFailure"
    assert failed["not found"] and outcome["not found"]["nodegroup"] is None
    assert failed["refused option"] and "nodegroup_update" not in outcome["refused option"]


def test_eks_nodegroup_version_batch_returns_what_it_documents(fleet, ansible):
    decorate("prod", "current")
    quick(fleet, "old", "web", "edge/small")
    quick(fleet, "custom", fail_next_update=FAILURE)
    fleet.behaviour("prod", "general", hold_updates=True)
    play(ansible, [
        task("check and diff", BATCH, {"continue_on_error": True, "nodegroups": [
            {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31", "force": True},
            {"cluster_name": "prod", "name": "current", "release_version": "latest"},
            {"cluster_name": "prod", "name": "missing"},
            {"cluster_name": "prod", "name": "web", "launch_template": {"version": "$Latest"}},
        ]}, check=True, diff=True),
        task("updates, one fails", BATCH, {"continue_on_error": True, "wait_delay": 1, "nodegroups": [
            {"cluster_name": "prod", "name": "old", "release_version": "latest"},
            {"cluster_name": "prod", "name": "web", "launch_template": {"version": "$Latest"}},
            {"cluster_name": "prod", "name": "custom", "launch_template": {"version": "2"}},
            {"cluster_name": "edge", "name": "small"},
        ]}, diff=True),
        task("fail fast", BATCH, {"nodegroups": [
            {"cluster_name": "prod", "name": "missing"},
            {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"},
        ]}),
        task("start without waiting", BATCH, {"wait": False, "nodegroups": [
            {"cluster_name": "prod", "name": "general", "kubernetes_version": "1.31"},
            {"cluster_name": "prod", "name": "current"},
        ]}),
        task("refused options", BATCH, {"nodegroups": [
            {"cluster_name": "prod", "name": "general"},
            {"cluster_name": "prod", "nodegroup_name": "general"},
        ]}),
    ])
    results = check_results(ansible, BATCH, ["check and diff", "updates, one fails", "fail fast", "start without waiting", "refused options"])
    statuses = dict((name, [entry["status"] for entry in record["result"].get("nodegroups", [])]) for name, record in results.items())
    assert statuses == {
        "check and diff": ["would_update", "current", "failed", "would_update"],
        "updates, one fails": ["updated", "updated", "failed", "updated"],
        "fail fast": ["failed", "not_started"],
        "start without waiting": ["in_progress", "current"],
        "refused options": [],
    }, statuses
    assert results["updates, one fails"]["result"]["nodegroups"][2]["nodegroup_update"]["status"] == "Failed"
    assert "polling" in results["updates, one fails"]["result"] and "polling" not in results["refused options"]["result"]


def test_eks_nodegroup_version_info_returns_what_it_documents(fleet, ansible, eks):
    issues = [{"code": "AsgInstanceLaunchFailures", "message": "Instance launch failed: insufficient capacity.",
               "resourceIds": ["eks-custom-asg"]}]
    custom = backend().describe_nodegroup("prod", "custom")
    custom.status, custom.health = "DEGRADED", {"issues": issues}
    fleet.behaviour("prod", "old", hold_updates=True)
    eks.update_nodegroup_version(clusterName="prod", nodegroupName="old")
    play(ansible, [
        task("report", INFO, {}),
        task("filtered, check", INFO, {"cluster_names": ["edge", "prod"], "nodegroup_names": ["web", "small"]}, check=True),
        task("unknown cluster", INFO, {"cluster_names": ["nowhere"]}),
        control_task(ansible, "deny SSM", "POST", "faults", {"kind": "access_denied", "service": "ssm", "operation": "GetParameters"}),
        task("SSM denied", INFO, {"cluster_names": ["prod"]}),
        control_task(ansible, "deny DescribeCluster", "POST", "faults", {"kind": "access_denied", "service": "eks", "operation": "DescribeCluster"}),
        task("EKS denied", INFO, {"cluster_names": ["prod"]}),
    ])
    results = check_results(ansible, INFO, ["report", "filtered, check", "unknown cluster", "SSM denied", "EKS denied"])
    report = dict((entry["name"], entry) for entry in results["report"]["result"]["nodegroups"])
    assert report["old"]["update_in_progress"]["status"] == "InProgress"
    assert report["custom"]["blocked_reason"] and report["custom"]["upgrade"] is None
    assert report["general"]["upgrade"]["kubernetes_version"] and report["web"]["upgrade"]["launch_template"]
    assert all(entry["latest_release"] is None for entry in results["SSM denied"]["result"]["nodegroups"])
    assert results["EKS denied"]["failed"] and results["unknown cluster"]["failed"]


def shape(spec):
    """What the walk compares of documented keys: their names, types, elements and ``returned``, recursively."""
    return dict(
        (key, (entry.get("type"), entry.get("elements"), str(entry.get("returned")).replace("O(nodegroups[].", "O("),
               shape(entry.get("contains") or {})))
        for key, entry in spec.items()
    )


def test_the_batch_documents_each_node_group_as_the_module_documents_it():
    """The batch's entries carry the module's own result: the same keys, types and conditions, so that the two do not drift."""
    module, batch = return_doc(MODULE), return_doc(BATCH)["nodegroups"]["contains"]
    for key in ("nodegroup", "nodegroup_update", "request", "diff"):
        assert shape(batch[key].get("contains") or {}) == shape(module[key].get("contains") or {}), key
        assert batch[key]["type"] == module[key]["type"], key
    for key in ("before", "after"):
        assert shape(batch[key]["contains"]) == shape(module["diff"]["contains"][key]["contains"]), key


@pytest.mark.parametrize("module", MODULES)
def test_every_documented_key_has_a_description_a_type_and_when_it_is_returned(module):
    problems = []
    for path, entry in documented_paths(return_doc(module)).items():
        for field in ("description", "type", "returned"):
            if not entry.get(field):
                problems.append("%s: %s has no %s" % (module, path, field))
        if entry.get("type") == "list" and not entry.get("elements"):
            problems.append("%s: %s is a list without elements" % (module, path))
        if entry.get("contains") and entry.get("type") not in ("dict", "list"):
            problems.append("%s: %s has contains but is a %s" % (module, path, entry.get("type")))
    assert not problems, "\n".join(problems)


def test_the_walk_finds_what_differs_from_the_documentation():
    """The checker itself: undocumented keys, missing unconditional keys, wrong types, and keys never returned."""
    spec = yaml.safe_load("""
always_here: {description: d, returned: always, type: dict, contains: {
  inner: {description: d, returned: always, type: int},
  maybe: {description: d, returned: when set, type: str}}}
on_success: {description: d, returned: success, type: list, elements: dict, contains: {
  name: {description: d, returned: always, type: str}}}
never: {description: d, returned: always, type: bool}
sometimes: {description: d, returned: in diff mode, type: str}
free: {description: d, returned: always, type: dict}
""")
    walk = Walk("demo", spec)
    walk.result({"task": "ok", "failed": False, "result": {
        "changed": True, "always_here": {"inner": "1", "extra": 2}, "on_success": [{"name": "a"}, {}],
        "free": {"AnyKey": {"deep": 1}}, "undocumented": 1}})
    walk.result({"task": "failed", "failed": True, "result": {"msg": "no", "error": {}, "always_here": None, "free": {}, "never": True}})
    found = sorted(problem.split(": ", 1)[1] for problem in walk.problems + walk.never_returned())
    assert found == [
        "always_here.extra is returned but not documented (value 2)",
        "always_here.inner is documented as int, but is str '1'",
        "never is documented as returned always, but missing",
        "on_success[].name is documented as returned always, but missing",
        "undocumented is returned but not documented (value 1)",
    ], found
