#!/usr/bin/env bash
# Make the build context of the fleetops.eks execution environment (ee/execution-environment.yml), ready for
# `podman build` / `docker build`: build the collection tarball, then `ansible-builder create`.
#
# Usage: ee/build-context.sh [VENV_BIN [WORK_DIR]]
#
#   VENV_BIN   bin directory of the virtual environment holding ansible-core and ansible-builder.
#              Default: $EE_VENV_BIN, else .venv/bin.
#   WORK_DIR   where the EE definition is staged with the tarball; the build context is WORK_DIR/context.
#              Default: .tmp/ee.
#
# Then: podman build -t fleetops-eks-ee:2.0.0 WORK_DIR/context   (or docker build, same arguments).
# Nothing is downloaded here: the base image, Python packages and amazon.aws are fetched by the image build.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_BIN="${1:-${EE_VENV_BIN:-$ROOT/.venv/bin}}"
VENV_BIN="$(cd "$VENV_BIN" && pwd)" || { echo "ee/build-context.sh: no such venv bin directory" >&2; exit 2; }
WORK="${2:-$ROOT/.tmp/ee}"
for tool in ansible-galaxy ansible-builder; do
    [ -x "$VENV_BIN/$tool" ] || { echo "ee/build-context.sh: $VENV_BIN has no $tool (run make setup)" >&2; exit 2; }
done

rm -rf "$WORK"
mkdir -p "$WORK/dist"
cp "$ROOT/ee/execution-environment.yml" "$ROOT/ee/requirements.yml" "$WORK/"

# The collection as Galaxy would ship it (galaxy.yml's build_ignore applies), under the name requirements.yml uses.
"$VENV_BIN/ansible-galaxy" collection build "$ROOT" --output-path "$WORK/dist" --force >&2
mv "$WORK"/dist/fleetops-eks-*.tar.gz "$WORK/fleetops-eks.tar.gz"
rmdir "$WORK/dist"

cd "$WORK"
PATH="$VENV_BIN:$PATH" "$VENV_BIN/ansible-builder" create --file execution-environment.yml --context context \
    --output-filename Containerfile >&2
echo "$WORK/context"
