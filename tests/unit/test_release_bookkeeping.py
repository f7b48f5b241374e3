# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Release bookkeeping: every ``version_added`` of the collection's plugins and of the role names a release that
changelogs/changelog.yaml has, and galaxy.yml's version is the newest release there.

``version_added`` is read where the documentation keeps it: DOCUMENTATION (and RETURN) of modules, inventory and
other Python plugins, the doc fragments' strings, the filters' YAML documentation, and the role's
meta/argument_specs.yml; at the top level, per option and suboption, and per return value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os

import pytest

yaml = pytest.importorskip("yaml")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = "fleetops.eks"


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def releases():
    return sorted(load_yaml(os.path.join(ROOT, "changelogs", "changelog.yaml"))["releases"], key=version_key)


def version_key(version):
    return tuple(int(part) if part.isdigit() else part for part in str(version).split("."))


def python_docs(path):
    """The documentation strings of a Python plugin: module-level DOCUMENTATION and RETURN, and a doc fragment's
    upper-case string attributes (DOCUMENTATION and any other fragment it defines)."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = [(name, text) for name, text in string_assignments(tree.body) if name in ("DOCUMENTATION", "RETURN")]
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ModuleDocFragment":
            found.extend((name, text) for name, text in string_assignments(node.body) if name.isupper())
    return [(name, yaml.safe_load(text)) for name, text in found]


def string_assignments(body):
    for node in body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value.value


def walk(where, doc):
    """(where, version_added, version_added_collection) of ``doc`` and of every option, suboption and return value
    in it."""
    if not isinstance(doc, dict):
        return
    if "version_added" in doc:
        yield where, doc["version_added"], doc.get("version_added_collection")
    for key in ("options", "suboptions", "contains"):
        children = doc.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                yield from walk("%s.%s" % (where, name), child)


def documented():
    """Every documented thing of the collection: (file, [(kind, parsed documentation)])."""
    documents = []
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "*.py"))):
        if os.sep + "module_utils" + os.sep in path:
            continue
        docs = python_docs(path)
        if docs:
            documents.append((path, docs))
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "*.yml")) + glob.glob(os.path.join(ROOT, "plugins", "*", "*.yaml"))):
        data = load_yaml(path)
        if isinstance(data, dict) and ("DOCUMENTATION" in data or "RETURN" in data):
            documents.append((path, [(kind, data[kind]) for kind in ("DOCUMENTATION", "RETURN") if kind in data]))
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.y*ml"))):
        entry_points = (load_yaml(path) or {}).get("argument_specs") or {}
        documents.append((path, [("entry point %s" % name, spec) for name, spec in entry_points.items()]))
    return documents


def version_added_of(docs):
    for kind, doc in docs:
        if kind == "RETURN":
            for name, value in (doc or {}).items():
                yield from walk("RETURN.%s" % name, value)
        else:
            yield from walk(kind, doc)


DOCUMENTED = documented()


def relative(path):
    return os.path.relpath(path, ROOT)


def test_every_plugin_and_the_role_are_documented_here():
    paths = [relative(path) for path, dummy in DOCUMENTED]
    for kind in ("modules", "inventory", "filter", "doc_fragments"):
        assert any(path.startswith("plugins/%s/" % kind) for path in paths), kind
    assert any(path.startswith("roles/") for path in paths)
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")):
        assert relative(path) in paths, path


@pytest.mark.parametrize("path, docs", DOCUMENTED, ids=[relative(path) for path, dummy in DOCUMENTED])
def test_version_added_names_a_release_of_the_changelog(path, docs):
    known = releases()
    wrong = []
    for where, version, collection in version_added_of(docs):
        if collection not in (None, COLLECTION):
            continue  # another collection's version, e.g. of a doc fragment's option
        if str(version) not in known:
            wrong.append("%s: version_added %s" % (where, version))
    assert not wrong, "%s names releases changelogs/changelog.yaml does not have (%s): %s" % (
        relative(path), ", ".join(known), "; ".join(wrong))


def test_modules_and_inventory_plugins_say_when_they_were_added():
    for path, docs in DOCUMENTED:
        if relative(path).startswith(("plugins/modules/", "plugins/inventory/")):
            (documentation,) = [doc for kind, doc in docs if kind == "DOCUMENTATION"]
            assert documentation.get("version_added"), relative(path)


def test_galaxy_version_is_the_newest_release_of_the_changelog():
    version = str(load_yaml(os.path.join(ROOT, "galaxy.yml"))["version"])
    assert releases()[-1] == version, "galaxy.yml says %s, the newest release in changelogs/changelog.yaml is %s" % (version, releases()[-1])
