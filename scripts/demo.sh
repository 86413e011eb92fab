#!/usr/bin/env bash
# `make demo`: PLACEHOLDER until the real demo lands (a fixture homelab repository, a commit,
# `reconciler sync`, a failing commit rolled back). For now it starts the Docker rig, builds the
# reconciler and shows its help, then stops the rig again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_rig() {
    local rc=$?
    trap - EXIT
    scripts/testenv.sh down || { ((rc != 0)) || rc=1; }
    exit "$rc"
}
trap stop_rig EXIT

scripts/testenv.sh up
eval "$(scripts/testenv.sh env)"
export DOCKER_HOST

swift build
echo
echo "== reconciler --help (the full demo comes later) =="
.build/debug/reconciler --help
