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
# A failing `env` must stop the run: otherwise the tests would use whatever engine DOCKER_HOST points at.
if ! rig_env=$(scripts/testenv.sh env); then
    echo "test: scripts/testenv.sh env failed: no rig engine to test against (see scripts/testenv.sh status)" >&2
    exit 1
fi
eval "$rig_env"
export DOCKER_HOST

# The end-to-end tests drive the binary built now, never a stale one (`swift test` does not build executables).
swift build --product reconciler
RECONCILER_BIN="$(swift build --show-bin-path)/reconciler"
export RECONCILER_BIN

: >"$log"
# The number of tests the last `run` reported ("Test run with N tests"), 0 when it got no further.
count_run() {
    tail -n "+$run_start" "$log" | grep -aoE 'Test run with [0-9]+ tests?' | grep -oE '[0-9]+' | tail -n1 | grep . ||
        echo 0
}
run() { # run NAME ARGS…: one `swift test`, its output appended to the log; its status in $status
    local name=$1
    shift
    run_start=$(($(wc -l <"$log") + 1))
    echo "== $name: swift test $*" | tee -a "$log"
    set +e
    swift test "$@" 2>&1 | tee -a "$log"
    status=${PIPESTATUS[0]}
    set -e
}

if (($# > 0)); then
    # Arguments (a --filter) choose the tests: one run, one suite at a time.
    run "selected tests" --no-parallel "$@"
else
    # Tests without Docker run in parallel: they start processes only through the product's runner or
    # posix_spawn, which wait for their own children only. The rest run one at a time: the end-to-end suites share
    # one engine on 2 cores, and the runner's and fetch's time-limit tests and the daemon's poll loop (debounce,
    # back-off) measure elapsed time, which tests blocking the 2 threads of Swift's cooperative pool would stretch.
    serial='ReconcilerIntegrationTests|ProcessRunnerTests|TimeoutTests|PollLoopTests'
    # What each run is meant to execute, from the test binary's own list: a pattern of the serial filter that
    # matches nothing (a renamed suite) or a run that executes fewer tests than listed fails the whole run.
    swift build --build-tests
    listed=$(swift test list --skip-build 2>/dev/null | grep -E '^[A-Za-z_][A-Za-z0-9_]*\.' || true)
    for pattern in ${serial//|/ }; do
        if ! grep -qE "$pattern" <<<"$listed"; then
            echo "test: the serial filter's pattern '$pattern' matches no test (swift test list): fix scripts/test.sh" >&2
            exit 1
        fi
    done
    expected=$(grep -c . <<<"$listed")
    run "in parallel" --skip-build --parallel --skip "$serial"
    first=$status
    ran_parallel=$(count_run)
    run "one at a time" --no-parallel --skip-build --filter "$serial"
    ((first == 0)) || status=$first
    ran_serial=$(count_run)
    # Between them the two runs execute every listed test exactly once (swift test's --skip and --filter take the same
    # pattern, so no test is in both), and neither run is empty.
    if ((ran_parallel + ran_serial != expected || ran_parallel == 0 || ran_serial == 0)); then
        echo "test: the runs executed $ran_parallel (in parallel) + $ran_serial (one at a time) tests;" \
            "swift test list names $expected" >&2
        ((status != 0)) || status=1
    fi
fi

echo
echo "== swift test: exit status $status; summary (full output in $log) =="
# Swift Testing's "Test run with N tests" lines (the XCTest lines say 0: the tests use Swift Testing).
summary=$(grep -aE 'Test run with [0-9]+ tests?' "$log" | sed 's/^[[:space:]]*//' || true)
if [[ -z $summary ]]; then
    echo "no test summary in $log: swift test did not get as far as running tests" >&2
    ((status != 0)) || status=1
else
    echo "$summary"
    total=$(grep -aoE 'Test run with [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
    echo "$total tests run in all"
    # Skipped tests, each with the reason it gives (Swift Testing prints them as "Test x() skipped: reason").
    skipped=$(grep -aE 'Test .* skipped' "$log" | sed 's/^[[:space:]]*//' | sort -u || true)
    if [[ -n $skipped ]]; then
        echo "skipped:"
        echo "$skipped"
    else
        echo "no test skipped"
    fi
    # A run that executes no test at all (a filter that matches nothing, a build that found no tests) fails.
    if ((total == 0)); then
        echo "test: no test was run" >&2
        ((status != 0)) || status=1
    fi
fi
exit "$status"
