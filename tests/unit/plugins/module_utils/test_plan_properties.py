# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Properties of the planner over generated options, node groups, requests and facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import functools

import botocore.session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import AMI_TYPES
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import compare_releases
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import minor_key
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import names_minor
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_family
from ansible_collections.fleetops.eks.plugins.module_utils.eks_release import release_minor
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import NAME_RE
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import PlanError
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import TEMPLATE_VERSION_ALIASES
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import check_options
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import derive_client_request_token
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import plan_update
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import required_lookups
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import target_mismatches
from ansible_collections.fleetops.eks.plugins.module_utils.nodegroup_version_plan import update_mismatches

EKS = botocore.session.get_session().get_service_model("eks")
STATUSES = EKS.shape_for("NodegroupStatus").enum
GENERATED_AMI_TYPES = sorted(AMI_TYPES) + ["SOMETHING_NEW"]

PROPERTY = settings(max_examples=250, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])

# -- generators ----------------------------------------------------------------------------------------------

dates = st.dates(min_value=datetime.date(2019, 1, 1), max_value=datetime.date(2030, 12, 31)).map(lambda day: day.strftime("%Y%m%d"))
commits = st.one_of(st.text("0123456789abcdef", min_size=8, max_size=8), st.text("0123456789", min_size=8, max_size=8))
rocket_releases = st.builds("1.{}.{}-{}".format, st.integers(0, 60), st.integers(0, 5), commits)
ami_ids = st.text("0123456789abcdef", min_size=16, max_size=16).map(lambda digits: "ami-0" + digits)


@functools.lru_cache(maxsize=None)
def dated_releases(minor):
    return st.builds("{}.{}-{}".format, st.just(minor), st.integers(0, 20), dates)


@functools.lru_cache(maxsize=None)
def releases_for(ami_type, minor):
    """Releases of the AMI type's family, for ``minor`` where the family names minors."""
    family = release_family(ami_type)
    if family == "custom":
        return ami_ids
    if family == "bottlerocket":
        return rocket_releases
    if family is None:
        return st.one_of(dated_releases(minor), rocket_releases)
    return dated_releases(minor)


def minor(number):
    return "1.%d" % number


def weighted(draw, *choices):
    """One of ``(weight, strategy)`` choices, drawn in proportion to the weights."""
    roll = draw(st.integers(0, sum(choice[0] for choice in choices) - 1))
    for weight, strategy in choices:
        if roll < weight:
            return draw(strategy)
        roll -= weight
    raise AssertionError("unreachable")


# Mostly node groups that can be updated; every status EKS knows now and then.
updatable = st.sampled_from(["ACTIVE", "UPDATING"])
any_status = st.sampled_from(STATUSES)
template_versions = st.integers(1, 12)
template_options = st.one_of(
    st.fixed_dictionaries({"version": st.one_of(template_versions, template_versions.map(str), st.sampled_from(TEMPLATE_VERSION_ALIASES))}),
    st.fixed_dictionaries({"name": st.just("nodes"), "version": template_versions}),
)
image_ids = st.one_of(st.none(), ami_ids)
nothing = st.none()


@st.composite
def worlds(draw):
    """A described node group, the module's options for it and the facts the lookups would read."""
    ami_type = draw(st.sampled_from(GENERATED_AMI_TYPES))
    number = draw(st.integers(24, 33))
    version = minor(number)
    template = None
    if ami_type == "CUSTOM" or draw(st.booleans()):
        template = {"name": "nodes", "id": "lt-0123456789abcdef0", "version": str(draw(template_versions))}
    nodegroup = {
        "clusterName": "prod",
        "nodegroupName": "general",
        "status": weighted(draw, (3, updatable), (1, any_status)),
        "version": version,
        "releaseVersion": draw(releases_for(ami_type, version)),
        "amiType": ami_type,
        "modifiedAt": datetime.datetime(2025, 1, 2, 3, 4, 5),
        "health": {"issues": []},
    }
    if template:
        nodegroup["launchTemplate"] = template

    wanted_version = weighted(
        draw, (3, nothing), (1, st.just(version)), (3, st.integers(number + 1, number + 2).map(minor)), (1, st.just(minor(number - 1))),
    )
    target = wanted_version or version
    release = weighted(
        draw, (3, nothing), (2, st.just("latest")), (3, releases_for(ami_type, target)),
        (1, st.one_of(dated_releases(target), rocket_releases)),
    )
    launch_template = weighted(draw, (3 if template is None else 1, nothing), (1 if template is None else 3, template_options))
    options = {
        "cluster_name": "prod",
        "name": "general",
        "kubernetes_version": wanted_version,
        "release_version": release,
        "launch_template": launch_template,
        "force": draw(st.booleans()),
        "client_request_token": None,
        "wait": True,
        "wait_timeout": 3600,
        "wait_delay": 30,
    }

    facts = {"cluster_version": minor(max(number, int(target.split(".")[1])) + draw(st.integers(-1, 2)))}
    latest = weighted(
        draw, (1, nothing), (6, releases_for(ami_type, target)), (1, dated_releases(target)), (1, releases_for(ami_type, version)),
        (1, rocket_releases),
    )
    if latest is None:
        facts["latest_release_error"] = "ParameterNotFound"
    else:
        facts["latest_release"] = latest
    if launch_template is not None:
        asked = str(launch_template["version"])
        facts["launch_template_version"] = asked if asked not in TEMPLATE_VERSION_ALIASES else str(draw(st.integers(1, 12)))
        if ami_type == "CUSTOM":
            facts["launch_template_image_id"] = draw(image_ids)
    return nodegroup, options, facts


def planned(nodegroup, options, facts):
    """The request and the plan; None for what the planner refuses."""
    try:
        request = check_options(options)
    except PlanError:
        return None, None
    try:
        required_lookups(nodegroup, request)
        return request, plan_update(nodegroup, request, facts)
    except PlanError:
        return request, None


# -- check_options ---------------------------------------------------------------------------------------------

surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10 ** 500), max_value=10 ** 500), st.floats(),
    st.text(max_size=12), st.binary(max_size=8), surrogates, st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["name", "id", "version", "x"]), st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
)


def near(valid):
    """Valid values, and the same with a stray prefix or suffix, or non-ASCII digits."""
    prefixes = st.sampled_from(["", "", "", "0", " ", "v", "+", "\uff10", "\u0660"])
    suffixes = st.sampled_from(["", "", "", "\n", " ", "0", "\u0661", "\r\n", "\x00", "a"])
    widened = valid.map(lambda text: text.translate(dict((ord(c), 0xFF10 + int(c)) for c in "0123456789")))
    return st.one_of(st.builds("{}{}{}".format, prefixes, valid, suffixes), widened)


VALID = {
    "cluster_name": st.from_regex(NAME_RE, fullmatch=True).filter(lambda name: len(name) <= 100),
    "name": st.from_regex(NAME_RE, fullmatch=True).filter(lambda name: len(name) <= 63),
    "kubernetes_version": st.builds("{}.{}".format, st.integers(0, 3), st.integers(0, 40)),
    "release_version": st.one_of(st.just("latest"), dated_releases("1.31"), rocket_releases),
    "launch_template": st.fixed_dictionaries(
        {"version": st.one_of(st.integers(1, 2 ** 63 - 1), st.integers(1, 2 ** 63 - 1).map(str), st.sampled_from(TEMPLATE_VERSION_ALIASES))},
        optional={"name": st.just("web-nodes"), "id": st.just("lt-0123456789abcdef0")},
    ).filter(lambda template: not ("name" in template and "id" in template)),
    "force": st.booleans(),
    "client_request_token": st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=20),
    "wait": st.booleans(),
    "wait_timeout": st.integers(1, 604800),
    "wait_delay": st.integers(1, 3600),
}
ODD = {
    "cluster_name": near(VALID["cluster_name"]),
    "name": near(VALID["name"]),
    "kubernetes_version": near(VALID["kubernetes_version"]),
    "release_version": near(VALID["release_version"]),
    "launch_template": st.fixed_dictionaries({"version": st.one_of(near(st.integers(1, 99).map(str)), junk, st.integers())},
                                             optional={"name": st.one_of(st.just(""), junk), "id": st.one_of(st.just(""), junk)}),
    "force": junk,
    "client_request_token": st.one_of(st.text(max_size=6), surrogates),
    "wait": junk,
    "wait_timeout": st.one_of(st.integers(), junk),
    "wait_delay": st.one_of(st.integers(), junk),
}


OPTIONAL = set(VALID) - set(["cluster_name", "name"])


@st.composite
def option_sets(draw):
    """Valid options, with a few of them (or all) replaced by near misses and values of odd types."""
    options = dict((key, draw(strategy)) for key, strategy in VALID.items())
    for key in draw(st.lists(st.sampled_from(sorted(VALID)), max_size=3, unique=True)):
        options[key] = draw(st.one_of(ODD[key], junk))
    for key in draw(st.lists(st.sampled_from(sorted(OPTIONAL)), max_size=2, unique=True)):
        del options[key]
    return options


def is_canonical_number(text):
    return text.isascii() and text.isdigit() and str(int(text)) == text


@PROPERTY
@given(option_sets())
def test_check_options_raises_nothing_but_plan_errors(options):
    try:
        check_options(options)
    except PlanError as e:
        assert e.msg and len(e.msg) < 1000
        e.msg.encode("ascii", "backslashreplace")


@PROPERTY
@given(option_sets())
def test_accepted_options_are_canonical(options):
    try:
        request = check_options(options)
    except PlanError:
        return
    for key, longest in (("cluster_name", 100), ("name", 63)):
        assert request[key].isascii() and NAME_RE.fullmatch(request[key]) and len(request[key]) <= longest
    version = request["kubernetes_version"]
    if version is not None:
        assert "%d.%d" % minor_key(version) == version and version.isascii()
    release = request["release_version"]
    if release not in (None, "latest"):
        numbers, commit = release.split("-")
        assert all(is_canonical_number(part) for part in numbers.split(".")) and len(numbers.split(".")) == 3
        assert len(commit) == 8 and all(c in "0123456789abcdef" for c in commit)
    template = request["launch_template"]
    if template is not None:
        assert template["version"] in TEMPLATE_VERSION_ALIASES or (
            is_canonical_number(template["version"]) and 1 <= int(template["version"]) < 2 ** 63
        )
        assert not (template["name"] and template["id"])
    assert isinstance(request["force"], bool)
    assert options.get("wait_timeout") is None or 1 <= options["wait_timeout"] <= 604800
    assert options.get("wait_delay") is None or 1 <= options["wait_delay"] <= 3600


# -- plans -----------------------------------------------------------------------------------------------------


@PROPERTY
@given(worlds())
def test_no_plan_rolls_back(world):
    nodegroup, options, facts = world
    plan = planned(nodegroup, options, facts)[1]
    if plan is None:
        return
    before, after = plan.before, plan.after
    assert minor_key(after["version"]) >= minor_key(before["version"])
    if after["version"] == before["version"] and after["release_version"] is not None:
        assert compare_releases(after["release_version"], before["release_version"], ami_type=nodegroup["amiType"]) != -1
    if after["version"] != before["version"] and after["release_version"] is not None and names_minor(nodegroup["amiType"]):
        # a release of the new minor, so newer than any release of the old one
        assert release_minor(after["release_version"], ami_type=nodegroup["amiType"]) == after["version"]
    if after["launch_template_version"] != before["launch_template_version"]:
        assert plan.action == "update" and "launchTemplate" in plan.request
    if plan.action == "none":
        assert plan.request is None and after == before
    else:
        assert nodegroup["status"] in ("ACTIVE", "UPDATING")


@PROPERTY
@given(worlds(), st.data())
def test_planning_again_from_the_target_is_a_noop(world, data):
    nodegroup, options, facts = world
    request, plan = planned(nodegroup, options, facts)
    if plan is None or plan.action != "update":
        return
    ami_type = nodegroup["amiType"]
    release = plan.after["release_version"]
    facts_then = dict(facts)
    if release is None:
        # EKS picked the latest release of the new minor, which SSM now reports
        release = data.draw(releases_for(ami_type, plan.after["version"]), label="picked")
        facts_then.pop("latest_release_error", None)
        facts_then["latest_release"] = release
    ended = copy.deepcopy(nodegroup)
    ended.update(
        version=plan.after["version"],
        releaseVersion=release,
        status=data.draw(st.sampled_from(STATUSES), label="status"),
        modifiedAt=datetime.datetime(2025, 2, 3, 4, 5, 6),
    )
    if plan.after["launch_template_version"] is not None:
        ended["launchTemplate"]["version"] = plan.after["launch_template_version"]

    assert target_mismatches(plan, ended) == []
    update = {
        "id": "u-1",
        "type": "VersionUpdate",
        "params": [{"type": key, "value": value} for key, value in (
            ("Version", plan.request.get("version")),
            ("ReleaseVersion", plan.request.get("releaseVersion")),
            ("LaunchTemplateVersion", (plan.request.get("launchTemplate") or {}).get("version")),
        ) if value is not None],
    }
    assert update_mismatches(plan, update) == []

    required_lookups(ended, request)
    again = plan_update(ended, request, facts_then)
    assert again.action == "none", again.reason
    assert again.before == dict(plan.after, release_version=release)


@PROPERTY
@given(worlds(), st.data())
def test_token_is_stable_and_follows_state_and_request(world, data):
    nodegroup, options = world[:2]
    api_request = {"clusterName": "prod", "nodegroupName": "general", "version": options["kubernetes_version"] or nodegroup["version"]}
    if options["release_version"]:
        api_request["releaseVersion"] = options["release_version"]
    token = derive_client_request_token(nodegroup, api_request)
    assert token == derive_client_request_token(copy.deepcopy(nodegroup), dict(api_request))
    assert token == derive_client_request_token(dict(nodegroup, status=data.draw(st.sampled_from(STATUSES))), api_request)

    changed = copy.deepcopy(nodegroup)
    what = data.draw(st.sampled_from(["version", "releaseVersion", "modifiedAt", "template", "request"]), label="change")
    if what == "version":
        changed["version"] = minor(minor_key(nodegroup["version"])[1] + 1)
    elif what == "releaseVersion":
        changed["releaseVersion"] = nodegroup["releaseVersion"] + "0"
    elif what == "modifiedAt":
        changed["modifiedAt"] = nodegroup["modifiedAt"] + datetime.timedelta(seconds=data.draw(st.integers(1, 10 ** 6)))
    elif what == "template":
        template = changed.get("launchTemplate") or {"name": "nodes", "id": "lt-0123456789abcdef0", "version": "0"}
        changed["launchTemplate"] = dict(template, version=str(int(template["version"]) + 1))
    else:
        other = dict(api_request, force=True) if data.draw(st.booleans()) else dict(api_request, version=api_request["version"] + "0")
        assert derive_client_request_token(nodegroup, other) != token
        return
    assert derive_client_request_token(changed, api_request) != token
