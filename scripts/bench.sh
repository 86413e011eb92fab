#!/usr/bin/env bash
# make bench: wall-clock numbers for the things an operator waits on, on this machine, with a release build.
#   1. first sync of a 10-service homelab (4 dependency waves), against the rig's Docker engine;
#   2. `reconciler plan` between two commits of a 2,000-file repository (in-process diff with rename
#      detection, unit discovery, path mapping), no Docker involved.
# Each is repeated (BENCH_RUNS, default 3 and 10) and reported as min / median / max.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH

scripts/testenv.sh up
eval "$(scripts/testenv.sh env)"
export DOCKER_HOST
echo "building (release) …"
swift build -c release --product reconciler 2>&1 | tail -n 1
BIN="$(swift build -c release --show-bin-path)/reconciler"

WORK=$(mktemp -d /tmp/reconciler-bench.XXXXXX)
PROJECTS=()
cleanup() {
  for p in "${PROJECTS[@]}"; do docker compose -p "$p" down --remove-orphans >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
  scripts/testenv.sh down || true
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example

now() { date +%s.%N; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %.2fs  median %.2fs  max %.2fs  (n=%d)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'; }

echo
echo "== 1. first sync of 10 services"
names=(b01 b02 b03 b04 b05 b06 b07 b08 b09 b10)
for n in "${names[@]}"; do PROJECTS+=("bench-$n"); done
git init -q --bare -b main "$WORK/remote.git"
git init -q -b main "$WORK/author"
git -C "$WORK/author" remote add origin "$WORK/remote.git"
for n in "${names[@]}"; do
  mkdir -p "$WORK/author/services/bench-$n"
  cat > "$WORK/author/services/bench-$n/compose.yml" <<YAML
services:
  app:
    image: reconciler-test/busybox:1
    command: ["sh", "-c", "touch /tmp/ok; exec sleep 86400"]
    network_mode: none
    stop_signal: SIGKILL
    healthcheck: { test: ["CMD", "cat", "/tmp/ok"], interval: 1s, retries: 3 }
YAML
done
cat > "$WORK/author/reconciler.json" <<'JSON'
{ "services": { "parallelism": 4 },
  "units": { "bench-b02": { "dependsOn": ["bench-b01"] }, "bench-b03": { "dependsOn": ["bench-b01"] },
             "bench-b04": { "dependsOn": ["bench-b02"] }, "bench-b05": { "dependsOn": ["bench-b02", "bench-b03"] },
             "bench-b06": { "dependsOn": ["bench-b03"] }, "bench-b07": { "dependsOn": ["bench-b04"] },
             "bench-b08": { "dependsOn": ["bench-b05"] }, "bench-b09": { "dependsOn": ["bench-b06"] },
             "bench-b10": { "dependsOn": ["bench-b01"] } } }
JSON
git -C "$WORK/author" add -A && git -C "$WORK/author" commit -qm "ten services" && git -C "$WORK/author" push -q origin HEAD:main
for i in $(seq "${BENCH_RUNS:-3}"); do
  for p in "${PROJECTS[@]}"; do docker compose -p "$p" down >/dev/null 2>&1 || true; done
  rm -rf "$WORK/deploy" "$WORK/state"
  git clone -q "$WORK/remote.git" "$WORK/deploy"
  start=$(now)
  "$BIN" sync --repo "$WORK/deploy" --state-dir "$WORK/state" >/dev/null
  awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }'
done | stats

echo
echo "== 2. plan between two commits of a 2,000-file repository (50 files changed, 5 renamed)"
R="$WORK/big"
git init -q -b main "$R"
for s in $(seq -w 1 40); do
  d="$R/services/svc$s"; mkdir -p "$d/config"
  printf 'services:\n  app:\n    image: reconciler-test/busybox:1\n' > "$d/compose.yml"
  for f in $(seq -w 1 49); do printf 'setting-%s-%s = %s\n' "$s" "$f" "$RANDOM$RANDOM" > "$d/config/file$f.conf"; done
done
git -C "$R" add -A && git -C "$R" commit -qm base
FROM=$(git -C "$R" rev-parse HEAD)
for s in $(seq -w 1 10); do for f in 01 02 03 04 05; do echo "changed" >> "$R/services/svc$s/config/file$f.conf"; done; done
for s in 11 12 13 14 15; do git -C "$R" mv "services/svc$s/config/file10.conf" "services/svc$s/config/renamed.conf"; done
git -C "$R" add -A && git -C "$R" commit -qm change
TO=$(git -C "$R" rev-parse HEAD)
echo "files: $(git -C "$R" ls-files | wc -l)"
"$BIN" plan --repo "$R" --state-dir "$WORK/big-state" --from "$FROM" --to "$TO" --json | grep -c '"unit"' | sed 's/^/plan steps: /'
for i in $(seq "${BENCH_RUNS_PLAN:-10}"); do
  start=$(now)
  "$BIN" plan --repo "$R" --state-dir "$WORK/big-state" --from "$FROM" --to "$TO" --json >/dev/null
  awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }'
done | stats
