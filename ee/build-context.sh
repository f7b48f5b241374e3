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
# The image's tag is fleetops-eks-ee:<version>, <version> being galaxy.yml's: it is written into the staged
# definition (WORK_DIR/execution-environment.yml, options.tags, for `ansible-builder build` run there) and the
# script ends by printing, on stderr, the build command with that tag:
#
#   podman build -t fleetops-eks-ee:<version> WORK_DIR/context   (or docker build, same arguments)
#
# Prints the build context's path on stdout. Nothing is downloaded here: the base image, Python packages and
# amazon.aws are fetched by the image build.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_BIN="${1:-${EE_VENV_BIN:-$ROOT/.venv/bin}}"
VENV_BIN="$(cd "$VENV_BIN" && pwd)" || { echo "ee/build-context.sh: no such venv bin directory" >&2; exit 2; }
WORK="${2:-$ROOT/.tmp/ee}"
for tool in python ansible-galaxy ansible-builder; do
    [ -x "$VENV_BIN/$tool" ] || { echo "ee/build-context.sh: $VENV_BIN has no $tool (run make setup)" >&2; exit 2; }
done

# The collection's version, from galaxy.yml, as the image's tag.
VERSION="$("$VENV_BIN/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$ROOT/galaxy.yml")"
[ -n "$VERSION" ] || { echo "ee/build-context.sh: galaxy.yml names no version" >&2; exit 2; }
TAG="fleetops-eks-ee:$VERSION"

rm -rf "$WORK"
mkdir -p "$WORK/dist"
cp "$ROOT/ee/requirements.yml" "$WORK/"
# The EE definition with the tag: its options.tags (which ansible-builder build uses) set to $TAG.
"$VENV_BIN/python" - "$ROOT/ee/execution-environment.yml" "$WORK/execution-environment.yml" "$TAG" <<'PY'
import sys

import yaml

source, target, tag = sys.argv[1:]
with open(source) as stream:
    definition = yaml.safe_load(stream)
definition.setdefault("options", {})["tags"] = [tag]
with open(target, "w") as stream:
    stream.write("# Staged by ee/build-context.sh from ee/execution-environment.yml, tagged with galaxy.yml's version.\n")
    yaml.safe_dump(definition, stream, default_flow_style=False, sort_keys=False)
PY

# The collection as Galaxy would ship it (galaxy.yml's build_ignore applies), under the name requirements.yml uses.
"$VENV_BIN/ansible-galaxy" collection build "$ROOT" --output-path "$WORK/dist" --force >&2
mv "$WORK"/dist/fleetops-eks-*.tar.gz "$WORK/fleetops-eks.tar.gz"
rmdir "$WORK/dist"

cd "$WORK"
PATH="$VENV_BIN:$PATH" "$VENV_BIN/ansible-builder" create --file execution-environment.yml --context context \
    --output-filename Containerfile >&2
{
    echo "Build context: $WORK/context. Build the image with:"
    echo "  podman build -t $TAG $WORK/context    # or docker build, same arguments"
    echo "  (cd $WORK && ansible-builder build --tag $TAG)    # or with ansible-builder, which builds the context again"
} >&2
echo "$WORK/context"
