#!/usr/bin/env bash
# `make test`: start the Docker rig, run `swift test` against it, and stop the rig again whatever
# happened, exiting with swift test's status. Arguments go to `swift test` (`--filter NAME`).
#   TESTENV_KEEP=1   leave the engine running afterwards (for iterating on one test)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH
command -v swift >/dev/null || {
    echo "test: swift not found on PATH nor in /opt/swift/usr/bin" >&2
    exit 1
}

log=.build/test-output.log
mkdir -p .build

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_rig() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -z ${TESTENV_KEEP:-} ]]; then
        if ! scripts/testenv.sh down; then
            echo "test: scripts/testenv.sh down failed; see scripts/testenv.sh status" >&2
            ((rc != 0)) || rc=1
        fi
    fi
    exit "$rc"
}
trap stop_rig EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/testenv.sh up
eval "$(scripts/testenv.sh env)"
export DOCKER_HOST

set +e
# --no-parallel: the end-to-end suites share one Docker engine on a 2-core machine, and in-process tests of the
# process runner must not race Foundation.Process children of other tests for the same SIGCHLD.
swift test --no-parallel "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
echo "== swift test: exit status $status; summary (full output in $log) =="
# XCTest's "Executed N tests" and Swift Testing's "Test run with N tests" lines.
grep -aE 'Executed [0-9]+ tests?|Test run with [0-9]+ tests?' "$log" | sed 's/^[[:space:]]*//' | tail -n 2 ||
    echo "no test summary in $log: swift test did not get as far as running tests"
exit "$status"
