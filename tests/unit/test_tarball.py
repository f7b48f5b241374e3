# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection as ``ansible-galaxy collection build`` ships it: no file that only works in a checkout, every
relative link of a shipped Markdown file leads to a shipped file, and the release notes name the version."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import posixpath
import re
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NOT_SHIPPED = (
    "changelogs/.plugin-cache.yaml",  # antsibull-changelog's cache
    "tests/ansible-test.sh",  # runs ansible-test from a checkout, with the local endpoint next to it
    "tests/integration/cloud-config-aws.ini",  # written by tests/ansible-test.sh for one run
)
NOT_SHIPPED_DIRECTORIES = (".hypothesis/", ".tmp/", ".venv/", "localeks/", "benchmarks/", "demo/", "scripts/", "ee/", "tests/e2e/")

FENCED = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The collection built from this checkout: ({name: tar member}, {name: text} of its .md, .rst and .json files)."""
    probe = subprocess.run([sys.executable, "-c", "import ansible.cli"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("this Python cannot run ansible-galaxy (a controller Python is needed): %s" % probe.stderr.strip()[-300:])
    out = str(tmp_path_factory.mktemp("dist"))
    done = subprocess.run(
        [sys.executable, "-m", "ansible.cli.galaxy", "collection", "build", ROOT, "--output-path", out],
        capture_output=True, text=True, check=False, timeout=300, cwd=out,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (tarball,) = glob.glob(os.path.join(out, "fleetops-eks-*.tar.gz"))
    archive = tarfile.open(tarball)
    try:
        members = dict((member.name, member) for member in archive.getmembers())
        texts = {}
        for name, member in members.items():
            if member.isfile() and name.endswith((".md", ".rst", ".json")):
                texts[name] = archive.extractfile(member).read().decode("utf-8")
    finally:
        archive.close()
    return members, texts


def test_files_that_only_work_in_a_checkout_are_not_shipped(built):
    members, dummy = built
    assert "MANIFEST.json" in members and "plugins/modules/eks_nodegroup_version.py" in members
    shipped = [name for name in members if name in NOT_SHIPPED or (name + "/").startswith(NOT_SHIPPED_DIRECTORIES)]
    assert not shipped, shipped


def links(text):
    """The link targets of a Markdown text, code blocks and code spans left out."""
    text = CODE_SPAN.sub("", FENCED.sub("", text))
    return INLINE_LINK.findall(text) + REFERENCE.findall(text)


def test_links_in_markdown_text():
    text = "See [a](docs/a.md#x) and [b](<../b.md> \"B\"), [c](https://x.org/c.md), [d](#here).\n\n```\n[e](e.md)\n```\n[f]: f.md\n"
    assert links(text) == ["docs/a.md#x", "../b.md", "https://x.org/c.md", "#here", "f.md"]


def test_every_relative_link_of_a_shipped_markdown_file_leads_to_a_shipped_file(built):
    members, texts = built
    directories = set(posixpath.dirname(name) for name in members)
    broken = []
    for name, text in sorted(texts.items()):
        if not name.endswith(".md"):
            continue
        for target in links(text):
            if SCHEME.match(target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0].split("?", 1)[0]
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
            if resolved not in members and resolved not in directories:
                broken.append("%s: %s" % (name, target))
    assert not broken, "links to files the collection does not ship (link to the repository instead): %s" % broken


def test_the_release_notes_name_the_collection_version(built):
    dummy, texts = built
    version = json.loads(texts["MANIFEST.json"])["collection_info"]["version"]
    assert "CHANGELOG.rst" in texts
    assert re.search(r"^v%s\n=+$" % re.escape(version), texts["CHANGELOG.rst"], re.M), "CHANGELOG.rst has no section v%s" % version
