#!/usr/bin/env bash
# Regenerate docs/collection/ from the plugin and role documentation, with antsibull-docs.
#
# Usage: docs/build.sh [VENV_BIN [DEST_DIR]]
#
#   VENV_BIN   bin directory of the virtual environment holding antsibull-docs and ansible-core (the `ansible`
#              package brings amazon.aws, whose documentation fragments the modules use).
#              Default: $DOCS_VENV_BIN, else .venv/bin.
#   DEST_DIR   where to write the docs. Default: docs/collection. Files there that were not generated are removed.
#
# The output is simplified RST (it renders on GitHub and other forges without Sphinx), one page per module and
# role plus an index, without the antsibull-docs version stamp, so that the same sources and the same pinned
# tools (requirements-dev.txt) always give the same files. tests/e2e/test_ecosystem.py regenerates them into a
# temporary directory and fails when the committed docs differ: run this script after changing DOCUMENTATION,
# EXAMPLES, RETURN or a role's argument_specs, and commit docs/collection/ with the change.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_BIN="${1:-${DOCS_VENV_BIN:-$ROOT/.venv/bin}}"
VENV_BIN="$(cd "$VENV_BIN" && pwd)" || { echo "docs/build.sh: no such venv bin directory: ${1:-${DOCS_VENV_BIN:-.venv/bin}}" >&2; exit 2; }
DEST="${2:-$ROOT/docs/collection}"
if [ ! -x "$VENV_BIN/antsibull-docs" ]; then
    echo "docs/build.sh: $VENV_BIN has no antsibull-docs (run make setup)" >&2
    exit 2
fi

# The checkout, importable as fleetops.eks through a collection tree of its own; amazon.aws comes from the venv.
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/ansible_collections/fleetops"
ln -s "$ROOT" "$SCRATCH/ansible_collections/fleetops/eks"

mkdir -p "$DEST"
env ANSIBLE_COLLECTIONS_PATH="$SCRATCH" ANSIBLE_NOCOLOR=1 PATH="$VENV_BIN:$PATH" \
    "$VENV_BIN/antsibull-docs" collection \
    --use-current \
    --squash-hierarchy \
    --output-format simplified-rst \
    --no-add-antsibull-docs-version \
    --no-breadcrumbs \
    --fail-on-error \
    --cleanup everything \
    --dest-dir "$DEST" \
    fleetops.eks
echo "docs/build.sh: wrote $(find "$DEST" -type f | wc -l) files to $DEST" >&2
