#!/usr/bin/env bash
# Run `ansible-test sanity`, `ansible-test units` and `ansible-test integration` on the fleetops.eks collection.
#
# Usage: tests/ansible-test.sh [VENV_BIN [TEST...]]
#
#   VENV_BIN          bin directory of the virtual environment holding ansible-core (ansible-test) and the
#                     amazon.aws collection (the `ansible` package). Default: $TEST_VENV_BIN, else .venv/bin.
#   TEST              what to run: sanity, units, integration. Default: sanity units.
#
# Environment:
#   TEST_VENV_BIN         same as the VENV_BIN argument.
#   TEST_PYTHONS          space-separated Python versions to run the units and the target-side sanity tests
#                         (import, compile) with. Default: every version ansible-test supports that this machine
#                         has (on PATH, or under $PYENV_ROOT/versions). The controller-side sanity tests always run
#                         with the venv's Python.
#   PIP_BOOTSTRAP_SCRIPT  offline stand-in for ansible-test's pip bootstrap script, which is otherwise downloaded
#                         from ci-files.testing.ansible.com. Default: ../shared/tools/ansible_test_pip_bootstrap.py
#                         next to the repository, when it exists.
#   ANSIBLE_TEST_ARGS     extra arguments for every ansible-test command (for example "-v").
#
# The checkout is copied (git-tracked files plus untracked files that are not ignored, nothing filtered out) to
# .tmp/ansible-test/ansible_collections/fleetops/eks, next to a copy of the amazon.aws collection from the venv, and
# ansible-test runs there (sanity and units with --venv; integration with --local, against the local EKS endpoint,
# see the integration block below). Results are left in .tmp/ansible-test/ansible_collections/fleetops/eks/tests/output.
# Exits non-zero when any test fails.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV_BIN="${1:-${TEST_VENV_BIN:-.venv/bin}}"
TESTS=("${@:2}")
[ "${#TESTS[@]}" -gt 0 ] || TESTS=(sanity units)
for t in "${TESTS[@]}"; do
    case "$t" in
        sanity|units|integration) ;;
        *) echo "ansible-test.sh: unknown test '$t' (expected sanity, units or integration)" >&2; exit 2 ;;
    esac
done
wants() { [[ " ${TESTS[*]} " == *" $1 "* ]]; }
VENV_BIN="$(cd "$VENV_BIN" && pwd)" || { echo "ansible-test.sh: no such venv bin directory: ${1:-${TEST_VENV_BIN:-.venv/bin}}" >&2; exit 2; }
PY="$VENV_BIN/python"
ANSIBLE_TEST=("$PY" "$VENV_BIN/ansible-test")
if [ ! -x "$PY" ] || [ ! -f "$VENV_BIN/ansible-test" ]; then
    echo "ansible-test.sh: $VENV_BIN has no python and ansible-test (run make setup)" >&2
    exit 2
fi

WORK="$ROOT/.tmp/ansible-test"
COLLECTIONS="$WORK/ansible_collections"
DEST="$COLLECTIONS/fleetops/eks"
SHIMS="$WORK/bin"
read -r -a EXTRA <<< "${ANSIBLE_TEST_ARGS:-}"

log() { printf '\n=== %s\n' "$*" >&2; }

# One run at a time on this machine: runs of one checkout share the tree below, and runs of every checkout share
# the virtual environments ansible-test keeps under ~/.ansible/test (two runs building one at once break it).
mkdir -p "$WORK" "$HOME/.ansible/test"
if command -v flock >/dev/null; then
    exec 9>"$HOME/.ansible/test/fleetops-eks-ansible-test.lock"
    flock 9
fi

# -- the collection tree ---------------------------------------------------------------------------

log "Copying fleetops.eks to $DEST"
# The virtual environments ansible-test makes for the units (tests/output/.tmp/delegation) are kept from one
# run to the next; everything else is copied afresh.
KEEP="$WORK/delegation"
rm -rf "$KEEP"
[ -d "$DEST/tests/output/.tmp/delegation" ] && mv "$DEST/tests/output/.tmp/delegation" "$KEEP"
rm -rf "$DEST"
mkdir -p "$DEST"
# The whole checkout, as a contributor's clone at .../ansible_collections/fleetops/eks has it: every tracked file and
# every untracked file git does not ignore. Nothing is filtered out; what does not ship is galaxy.yml's build_ignore.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - \
    | tar -xf - -C "$DEST"
# ansible-test lists content with git when it finds a .git directory at or above the collection: give the copy
# its own (empty) repository, so that the copy is listed and not the checkout it sits in.
git init -q "$DEST"
if [ -d "$KEEP" ]; then
    mkdir -p "$DEST/tests/output/.tmp"
    mv "$KEEP" "$DEST/tests/output/.tmp/delegation"
fi

log "Copying amazon.aws from $VENV_BIN/.."
AMAZON_AWS="$("$PY" - <<'EOF'
import os
import ansible_collections
for base in ansible_collections.__path__:
    path = os.path.join(base, "amazon", "aws")
    if os.path.isfile(os.path.join(path, "MANIFEST.json")) or os.path.isfile(os.path.join(path, "galaxy.yml")):
        print(path)
        break
else:
    raise SystemExit("amazon.aws not found in this Python's ansible_collections (pip install ansible)")
EOF
)"
rm -rf "$COLLECTIONS/amazon/aws"
mkdir -p "$COLLECTIONS/amazon"
cp -a "$AMAZON_AWS" "$COLLECTIONS/amazon/aws"
find "$COLLECTIONS/amazon/aws" -name __pycache__ -prune -exec rm -rf {} +

# -- Pythons ---------------------------------------------------------------------------------------

CONTROLLER_VERSION="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
SUPPORTED="$("$PY" -c 'from ansible_test._util.target.common.constants import REMOTE_ONLY_PYTHON_VERSIONS as r, CONTROLLER_PYTHON_VERSIONS as c
print(" ".join(r + c))')"

# ansible-test looks for pythonX.Y on PATH. pyenv's shims are on PATH for every version but only run the
# selected ones, so working interpreters are linked into a directory put first on PATH.
rm -rf "$SHIMS"
mkdir -p "$SHIMS"
works() { "$1" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$2'" >/dev/null 2>&1; }
find_interpreter() {
    local v="$1" candidate
    for candidate in "$(command -v "python$v" || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v"; do
        [ -n "$candidate" ] && [ -x "$candidate" ] && works "$candidate" "$v" && { echo "$candidate"; return 0; }
    done
    return 1
}
PYTHONS=()
for v in ${TEST_PYTHONS:-$SUPPORTED}; do
    if [ "$v" = "$CONTROLLER_VERSION" ]; then
        PYTHONS+=("$v")
    elif interpreter="$(find_interpreter "$v")"; then
        ln -s "$interpreter" "$SHIMS/python$v"
        PYTHONS+=("$v")
    elif [ -n "${TEST_PYTHONS:-}" ]; then
        echo "ansible-test.sh: Python $v was asked for (TEST_PYTHONS) but is not installed" >&2
        exit 2
    fi
done
export PATH="$SHIMS:$PATH"
log "Controller Python $CONTROLLER_VERSION; units and target-side sanity tests with Python ${PYTHONS[*]}"

# -- offline pip bootstrap -------------------------------------------------------------------------

# ansible-test --venv bootstraps pip in each new venv with a script it downloads once into
# ~/.ansible/test/cache/get_pip_<pip version>.py (see ansible_test/_util/target/setup/requirements.py); the
# download host is not reachable everywhere (https://github.com/ansible/ansible/issues/77304).
BOOTSTRAP="${PIP_BOOTSTRAP_SCRIPT:-$ROOT/../shared/tools/ansible_test_pip_bootstrap.py}"
for pip_version in $("$PY" - "$CONTROLLER_VERSION" "${PYTHONS[@]}" <<'EOF'
import sys
import types
from ansible_test._internal.python_requirements import get_venv_packages
print("\n".join(sorted(set(get_venv_packages(types.SimpleNamespace(version=v))["pip"] for v in sys.argv[1:]))))
EOF
); do
    cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    if [ -f "$cache" ] && { cmp -s "$BOOTSTRAP" "$cache" || grep -q '^# This is a pip bootstrap script' "$cache"; }; then
        continue  # already there (the stand-in, or the genuine script from an earlier download)
    elif [ -f "$BOOTSTRAP" ]; then
        mkdir -p "$(dirname "$cache")"
        cp "$BOOTSTRAP" "$cache"
        log "Installed $BOOTSTRAP as $cache"
    elif [ ! -f "$cache" ]; then
        echo "ansible-test.sh: warning: $BOOTSTRAP not found; ansible-test will download $cache" >&2
    fi
done

# -- tests -----------------------------------------------------------------------------------------

cd "$DEST"
status=0
run() {
    log "ansible-test $*"
    "${ANSIBLE_TEST[@]}" "$@" "${EXTRA[@]}" || { echo "ansible-test.sh: FAILED: ansible-test $*" >&2; status=1; }
}

if wants sanity; then
    run sanity --venv --python "$CONTROLLER_VERSION" --color no
    for v in "${PYTHONS[@]}"; do
        [ "$v" = "$CONTROLLER_VERSION" ] || run sanity --venv --python "$v" --test compile --test import --color no
    done
fi
if wants units; then
    for v in "${PYTHONS[@]}"; do
        run units --venv --python "$v" --color no
    done
fi

# -- integration -------------------------------------------------------------------------------------
#
# The integration targets (tests/integration/targets/<module>/, and role_<role>/) run against the local EKS endpoint,
# localeks, started here from the checkout with short updates (--update-duration) and stopped on exit, whatever
# happens. The endpoint starts empty: each target loads its own fleet through the control API (POST
# /_localeks/reset, then POST /_localeks/fleet with the target's files/fleet.yml), so that the targets are
# independent of each other and of their order. ansible-test's aws cloud plugin reads
# tests/integration/cloud-config-aws.ini, written into the copy with the endpoint's URL as aws_endpoint_url and
# testing credentials. The targets run with --local, on the venv's Python.
#
# By hand, from a clone at .../ansible_collections/fleetops/eks (with amazon.aws installed, or next to it):
#   PYTHONPATH=. python -m localeks serve --port 4566 --update-duration 0.2 &
#   cp tests/integration/cloud-config-aws.ini.template tests/integration/cloud-config-aws.ini
#   ansible-test integration --local --python 3.12 eks_nodegroup_version   # one target; none for all of them
#   ansible-test integration --list-targets                                 # the targets
# ansible-test refuses --local while ~/.aws exists (so that no real account is used by mistake): rename it meanwhile.
# INTEGRATION_UPDATE_DURATION sets how long an update stays InProgress (seconds, default 0.2); TEST_PYTHONS does
# not apply (the targets run on the controller's Python).
if wants integration; then
    ENDPOINT_DIR="$WORK/localeks"
    rm -rf "$ENDPOINT_DIR"
    mkdir -p "$ENDPOINT_DIR"
    ENDPOINT_PID=""
    stop_endpoint() {
        if [ -n "$ENDPOINT_PID" ] && kill -0 "$ENDPOINT_PID" 2>/dev/null; then
            kill -TERM "$ENDPOINT_PID" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$ENDPOINT_PID" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$ENDPOINT_PID" 2>/dev/null || true
        fi
        ENDPOINT_PID=""
    }
    trap stop_endpoint EXIT
    trap 'stop_endpoint; exit 130' INT
    trap 'stop_endpoint; exit 143' TERM
    log "Starting the local EKS endpoint (log: $ENDPOINT_DIR/endpoint.log)"
    (cd "$ROOT" && PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m localeks serve --port 0 \
        --ready-file "$ENDPOINT_DIR/url" --update-duration "${INTEGRATION_UPDATE_DURATION:-0.2}") \
        >"$ENDPOINT_DIR/endpoint.log" 2>&1 &
    ENDPOINT_PID=$!
    for _ in $(seq 600); do
        [ -s "$ENDPOINT_DIR/url" ] && break
        kill -0 "$ENDPOINT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$ENDPOINT_DIR/url" ]; then
        echo "ansible-test.sh: the local EKS endpoint did not start:" >&2
        cat "$ENDPOINT_DIR/endpoint.log" >&2
        exit 1
    fi
    ENDPOINT_URL="$(head -n 1 "$ENDPOINT_DIR/url")"
    log "Local EKS endpoint at $ENDPOINT_URL"
    cat > "$DEST/tests/integration/cloud-config-aws.ini" <<EOF
# Written by tests/ansible-test.sh for this run: the local EKS endpoint it started, and testing credentials.
[default]
aws_access_key: testing
aws_secret_key: testing
aws_region: us-east-1
aws_endpoint_url: $ENDPOINT_URL
EOF
    # Nothing of the machine's own AWS configuration reaches the targets, and no instance metadata is looked up.
    while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^AWS_' || true)
    export AWS_EC2_METADATA_DISABLED=true
    run integration --local --python "$CONTROLLER_VERSION" --color no
    stop_endpoint
fi

if [ "$status" -ne 0 ]; then
    log "FAILED (results in $DEST/tests/output)"
else
    log "All ansible-test runs passed: ${TESTS[*]}"
fi
exit "$status"
