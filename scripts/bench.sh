#!/usr/bin/env bash
# make bench: the reconciler's speed, side by side with what it replaces, on this machine, with a release build.
# Prints a table and writes docs/benchmarks.md (machine, date, load, each figure with min/median/max beside its
# baseline and target). Not part of make test. On a busy machine the figures are noisy: run it on a quiet one.
#
#   1. plan on a large generated repository (2,000 services, 5,000 commits, 50 directory renames; cached under
#      .build/bench/) against `git diff --name-only`; plan with nothing to diff; the daemon's warm plan.
#   2. a poll with nothing new against `git fetch` + `git rev-parse`; the idle daemon's CPU per poll and RSS.
#   3. scoped deploy of 1 of 40 services against `docker compose up -d` in every directory (the seed's deploy-all).
#   4. waves: 20 services in 4 dependency levels, ~1 s to healthy each, parallelism 1 and 4.
#   5. push to deployed: a signed webhook to the commit deployed, against `compose up` + health gate alone.
# BENCH_ONLY="1 2" runs a subset; BENCH_ROUNDS (5), BENCH_RUNS_WAVES (3), BENCH_PUSHES (10) size 3–5; BENCH_OUT=file writes elsewhere than docs/benchmarks.md; BENCH_RUNS (default 20) sets hyperfine's runs. 3–5 need the test rig
# (scripts/testenv.sh up); the script starts it when it is not running, and stops it at the end only then.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH
ONLY=${BENCH_ONLY:-1 2 3 4 5}
RUNS=${BENCH_RUNS:-20}
STATS="python3 $ROOT/scripts/bench/stats.py"
CACHE=$ROOT/.build/bench
mkdir -p "$CACHE"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example

if ! command -v hyperfine >/dev/null; then
    echo "bench: installing hyperfine (apt-get)" >&2
    if [[ $(id -u) == 0 ]]; then apt-get install -y -qq hyperfine >/dev/null; else sudo apt-get install -y -qq hyperfine >/dev/null; fi
fi

WORK=$(mktemp -d /tmp/reconciler-bench.XXXXXX)
# BENCH_BIN=path measures that binary instead of building one (to compare two builds side by side). Otherwise the
# shipped build (`make install`: release, Swift runtime linked in statically) is measured, and a build with the
# shared runtime is kept beside it for the start-up figure (1d).
# BENCH_SHARED_BIN=path (with BENCH_BIN) names the same commit's shared-runtime build for 1d.
SHARED_BIN=
if [[ -n ${BENCH_BIN:-} ]]; then
    BIN=$BENCH_BIN
    SHARED_BIN=${BENCH_SHARED_BIN:-}
else
    # The shared-runtime build has a build directory of its own: in .build it would undo the static build's
    # products (and the static build its own), so every `make bench` would rebuild everything twice.
    echo "building (release, shared Swift runtime, for 1d; in .build/shared-runtime) …"
    swift build -c release --product reconciler --scratch-path .build/shared-runtime 2>&1 | tail -n 1
    cp "$(swift build -c release --scratch-path .build/shared-runtime --show-bin-path)/reconciler" \
        "$WORK/reconciler-shared" && SHARED_BIN=$WORK/reconciler-shared
    # The flags `make install` builds with (static Swift runtime, lld, packed relocations).
    read -ra RELEASE <<<"$(make -s --no-print-directory release-flags)"
    echo "building (release, ${RELEASE[*]:2}, as make install ships it) …"
    if swift build "${RELEASE[@]}" --product reconciler 2>&1 | tail -n 3; [[ ${PIPESTATUS[0]} == 0 ]]; then
        BIN="$(swift build "${RELEASE[@]}" --show-bin-path)/reconciler"
    else
        echo "bench: the static link failed; measuring the shared-runtime build" >&2
        BIN=$SHARED_BIN
        SHARED_BIN=
    fi
fi

ROWS=$WORK/rows.tsv
: >"$ROWS"
PROJECTS=()
DAEMON=
RIG_STARTED=
IDLE_NOTE=
ONE_START=
# Takes down every project a section started: their healthchecks (a process in each container every interval) would
# otherwise load the machine under the next section's figures.
down_projects() {
    local p
    for p in "${PROJECTS[@]}"; do docker compose -p "$p" down --remove-orphans -t 0 >/dev/null 2>&1 || true; done
    PROJECTS=()
}
cleanup() {
    [[ -n $DAEMON ]] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
    down_projects
    rm -rf "$WORK"
    [[ -n $RIG_STARTED ]] && scripts/testenv.sh down
}
trap cleanup EXIT

# row NUMBER FIGURE "MIN MEDIAN MAX" UNIT BASELINE TARGET MET
row() {
    local n=$1 figure=$2 unit=$4 baseline=$5 target=$6 met=$7
    read -r mn md mx <<<"$3"
    printf '%s\t%s\t%s %s\t%s %s\t%s %s\t%s\t%s\t%s\n' "$n" "$figure" "$mn" "$unit" "$md" "$unit" "$mx" "$unit" \
        "$baseline" "$target" "$met" >>"$ROWS"
    printf '%-3s %-58s min %9s  median %9s  max %9s %s\n' "$n" "$figure" "$mn" "$md" "$mx" "$unit"
}
median() { awk '{print $2}' <<<"$1"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "yes" : "no" }'; }
now_ms() { date +%s%3N; }
# hyperfine, one or more commands, JSON to $WORK/hf.json
hf() { hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$WORK/hf.json" "$@" >"$WORK/hf.log" 2>&1; }
# Two or more commands (argument vectors separated by --), run alternately A B A B …; JSON to $WORK/hf.json
alt() { python3 "$ROOT/scripts/bench/alternate.py" "$RUNS" 3 "$WORK/hf.json" "$@"; }

large_repo() {
    local cached=$CACHE/large-v1.git
    if [[ ! -d $cached ]]; then
        echo "generating the large repository (once; cached in $cached) …" >&2
        git init -q --bare -b main "$cached.tmp"
        python3 scripts/bench/make-large-repo.py | git -C "$cached.tmp" fast-import --done --quiet
        git -C "$cached.tmp" gc -q
        mv "$cached.tmp" "$cached"
    fi
    echo "$cached"
}

bench_plan() {
    echo "== 1. plan on a large repository"
    local remote R first last
    remote=$(large_repo)
    R=$WORK/large
    git clone -q --no-checkout "$remote" "$R"
    first=$(git -C "$R" rev-list --max-parents=0 HEAD)
    last=$(git -C "$R" rev-parse HEAD)
    local plan=("$BIN" plan --repo "$R" --state-dir "$WORK/large-state" --from "$first" --to "$last" --json)
    local cold=() i t0
    # Cold: a state directory never used, so no discovery cache (every service directory of both commits is read).
    for i in $(seq 5); do
        rm -rf "$WORK/cold-state"
        t0=$(date +%s%N)
        "$BIN" plan --repo "$R" --state-dir "$WORK/cold-state" --from "$first" --to "$last" --json >"$WORK/plan.json" ||
            { echo "bench: plan failed" >&2; return; }
        cold+=("$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')")
    done
    "${plan[@]}" >"$WORK/plan.json" || { echo "bench: plan failed" >&2; return; }
    echo "   $(git -C "$R" ls-tree -r --name-only "$last" | wc -l) files, $(git -C "$R" rev-list --count HEAD) commits; plan JSON $(wc -c <"$WORK/plan.json") bytes"
    alt -- "${plan[@]}" -- git -C "$R" diff --name-only "$first" "$last" || { echo "bench: 1a failed" >&2; return; }
    local p g
    p=$($STATS hyperfine "$WORK/hf.json" 0)
    g=$($STATS hyperfine "$WORK/hf.json" 1)
    row 1a "plan --from FIRST --to LAST --json (process)" "$p" ms "git diff --name-only: $(median "$g") ms" \
        "≤ git diff" "$(le "$(median "$p")" "$(median "$g")")"
    row 1a "git diff --name-only FIRST LAST (process)" "$g" ms "–" "–" "–"
    p=$(printf '%s\n' "${cold[@]}" | $STATS list)
    row 1a "the same plan, first in a new state dir (5×)" "$p" ms "issue: ≈ 80 ms" "–" "–"
    hf "$BIN plan --repo $R --state-dir $WORK/large-state --from $last --to $last --json"
    p=$($STATS hyperfine "$WORK/hf.json" 0)
    row 1b "plan --from X --to X --json (process)" "$p" ms "issue: ≈ 55 ms" "< 15 ms" "$(le "$(median "$p")" 15)"
    if [[ -n $SHARED_BIN ]]; then
        alt -- "$BIN" --version -- "$SHARED_BIN" --version
        p=$($STATS hyperfine "$WORK/hf.json" 0)
        g=$($STATS hyperfine "$WORK/hf.json" 1)
        row 1d "reconciler --version, static Swift runtime (shipped)" "$p" ms \
            "shared runtime: $(median "$g") ms" "below shared" "$(le "$(median "$p")" "$(median "$g")")"
        row 1d "reconciler --version, shared Swift runtime" "$g" ms "–" "–" "–"
    else
        hf "$BIN --version"
        p=$($STATS hyperfine "$WORK/hf.json" 0)
        row 1d "reconciler --version (process start-up)" "$p" ms "–" "–" "–"
    fi
    if "$BIN" bench-plan --repo "$R" --state-dir "$WORK/large-state" --from "$first" --to "$last" \
        --iterations 50 >"$WORK/warm" 2>"$WORK/cold" && [[ -s $WORK/warm ]]; then
        p=$($STATS list <"$WORK/warm")
        local cold
        cold=$(awk '/^cold/ { print $2 }' "$WORK/cold")
        row 1c "warm plan in-process (one Repository handle, 50×)" "$p" ms "first plan on the handle: $cold ms" \
            "< 5 ms" "$(le "$(median "$p")" 5)"
    fi
}

bench_idle() {
    echo "== 2. a poll with nothing new"
    local remote=$WORK/idle-remote.git R=$WORK/idle
    git init -q --bare -b main "$remote"
    git clone -q "$remote" "$WORK/idle-author" 2>/dev/null
    echo "# idle" >"$WORK/idle-author/README.md"
    git -C "$WORK/idle-author" add -A && git -C "$WORK/idle-author" commit -qm one && git -C "$WORK/idle-author" push -q origin HEAD:main
    git clone -q "$remote" "$R"
    hf "git -C $R fetch -q origin" "git -C $R rev-parse origin/main"
    local f r pair
    f=$($STATS hyperfine "$WORK/hf.json" 0)
    r=$($STATS hyperfine "$WORK/hf.json" 1)
    pair=$(awk -v a="$(median "$f")" -v b="$(median "$r")" 'BEGIN { printf "%.2f", a + b }')
    row 2a "git fetch (process, nothing new)" "$f" ms "–" "–" "–"
    row 2a "git rev-parse (process)" "$r" ms "–" "–" "–"
    # The daemon polling every 10 ms (heal on when the rig is up): CPU per poll from /proc, RSS after 1,000 polls.
    local port=$((20000 + RANDOM % 20000)) heal=--no-heal
    [[ -n ${DOCKER_HOST:-} ]] && heal=
    "$BIN" run --repo "$R" --state-dir "$WORK/idle-state" --listen "127.0.0.1:$port" --poll-interval 10ms $heal \
        >"$WORK/daemon.log" 2>&1 &
    DAEMON=$!
    polls() { curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '/^reconciler_polls_total/ { s += $NF } END { print s + 0 }'; }
    cpu() { awk '{ print $14 + $15 }' "/proc/$DAEMON/stat"; }
    rss() { awk '/VmRSS/ { print $2 / 1024 }' "/proc/$DAEMON/status"; }
    # Of which: the daemon's own memory (heap, stacks: RssAnon) and pages of the binary and shared libraries mapped
    # from disk (RssFile: clean, shared with other processes, reclaimable).
    anon() { awk '/RssAnon/ { print $2 / 1024 }' "/proc/$DAEMON/status"; }
    filerss() { awk '/RssFile/ { print $2 / 1024 }' "/proc/$DAEMON/status"; }
    local i
    for i in $(seq 100); do [[ $(polls) -ge 10 ]] && break; sleep 0.1; done
    if [[ $(polls) -lt 10 ]]; then
        echo "bench: the daemon did not poll; its log:" >&2
        tail -n 20 "$WORK/daemon.log" >&2
        kill "$DAEMON"; DAEMON=; return
    fi
    local hz rss0 samples=() p0 c0 t0 p1 c1 t1
    hz=$(getconf CLK_TCK)
    rss0=$(rss)
    local per=() walls=() rsss=() anons=() files=()
    for i in $(seq 10); do
        p0=$(polls); c0=$(cpu); t0=$(now_ms)
        while (($(polls) < p0 + 100)); do sleep 0.2; done
        p1=$(polls); c1=$(cpu); t1=$(now_ms)
        per+=("$(awk -v c="$((c1 - c0))" -v n="$((p1 - p0))" -v hz="$hz" 'BEGIN { printf "%.3f", c * 1000 / hz / n }')")
        rsss+=("$(rss)"); anons+=("$(anon)"); files+=("$(filerss)")
    done
    local cpu_t rss_t
    cpu_t=$(printf '%s\n' "${per[@]}" | $STATS list)
    rss_t=$(printf '%s\n' "${rsss[@]}" | $STATS list)
    row 2b "daemon CPU per idle poll (10 × 100 polls)" "$cpu_t" ms "git fetch + rev-parse: $pair ms" \
        "≤ git pair" "$(le "$(median "$cpu_t")" "$pair")"
    row 2c "daemon RSS over 1,000 idle polls (start $rss0 MB)" "$rss_t" MB "–" "≤ 30 MB, flat" \
        "$(awk -v a="$(awk '{print $3}' <<<"$rss_t")" -v s="$rss0" 'BEGIN { print (a <= 30 && a - s < 2) ? "yes" : "no" }')"
    row 2c "… of which the daemon's own memory (RssAnon)" "$(printf '%s\n' "${anons[@]}" | $STATS list)" MB "–" "–" "–"
    row 2c "… of which mapped binary and libraries (RssFile)" "$(printf '%s\n' "${files[@]}" | $STATS list)" MB \
        "–" "–" "–"
    # What an idle poll does besides the fetch: processes spawned, SQLite writes, over 3 s of polling.
    if command -v strace >/dev/null; then
        p0=$(polls)
        timeout -s INT 3 strace -f -qq -y -e trace=execve,vfork,clone,clone3,write,pwrite64,fdatasync,fsync,rename \
            -o "$WORK/strace" -p "$DAEMON" 2>/dev/null
        p1=$(polls)
        local spawned sqlite files
        spawned=$(grep -E 'execve|vfork|clone' "$WORK/strace" | grep -vc CLONE_THREAD)
        sqlite=$(grep -E 'pwrite64|write\(|fsync|fdatasync' "$WORK/strace" | grep -c 'state\.sqlite')
        files=$(grep -E 'pwrite64|write\(|rename\(' "$WORK/strace" | grep -vE 'state\.sqlite|anon_inode|socket:|pipe:|/dev/' |
            sed -E 's/.*<([^>]*)>.*/\1/; s/.*rename\("([^"]*)".*/\1/' | sort | uniq -c | awk '{ printf "%s %s×, ", $2, $1 }')
        IDLE_NOTE="strace over $((p1 - p0)) idle polls: $spawned processes spawned, $sqlite SQLite writes; other file writes: ${files:-none}"
        echo "   $IDLE_NOTE"
    fi
    kill "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
}

rig() {
    if ! scripts/testenv.sh status >/dev/null 2>&1; then
        scripts/testenv.sh up || return 1
        RIG_STARTED=1
    fi
    eval "$(scripts/testenv.sh env)"
    export DOCKER_HOST
}

# homelab DIR COUNT PREFIX HEALTH_INTERVAL START_DELAY DEPENDS_JSON PARALLELISM: a repository of COUNT services
homelab() {
    local dir=$1 count=$2 prefix=$3 interval=$4 delay=$5 units=$6 par=$7 n name
    git init -q --bare -b main "$dir/remote.git"
    git init -q -b main "$dir/author"
    git -C "$dir/author" remote add origin "$dir/remote.git"
    for n in $(seq -f "%02g" 1 "$count"); do
        name=$prefix$n
        PROJECTS+=("$name")
        mkdir -p "$dir/author/services/$name"
        cat >"$dir/author/services/$name/compose.yml" <<YAML
services:
  app:
    image: reconciler-test/busybox:1
    command: ["sh", "-c", "sleep $delay; touch /tmp/ok; exec sleep 86400"]
    network_mode: none
    stop_signal: SIGKILL
    environment: { REVISION: "0" }
    healthcheck: { test: ["CMD", "cat", "/tmp/ok"], interval: $interval, retries: 30 }
YAML
    done
    printf '{ "services": { "parallelism": %s }, "units": %s }\n' "$par" "$units" >"$dir/author/reconciler.json"
    git -C "$dir/author" add -A && git -C "$dir/author" commit -qm "$count services" && git -C "$dir/author" push -q origin HEAD:main
    git clone -q "$dir/remote.git" "$dir/deploy"
}

# A Compose plugin that counts `up` invocations before handing over to the real one, in a DOCKER_CONFIG of its own:
# the docker CLI (`docker compose up`) and the reconciler (which runs the plugin binary directly) both find it there.
docker_counter() {
    mkdir -p "$WORK/dockercfg/cli-plugins"
    local real d
    for d in /usr/local/lib/docker/cli-plugins /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins \
        /usr/libexec/docker/cli-plugins; do
        [[ -x $d/docker-compose ]] && real=$d/docker-compose && break
    done
    [[ -n ${real:-} ]] || { echo "bench: no docker-compose CLI plugin found" >&2; return 1; }
    cat >"$WORK/dockercfg/cli-plugins/docker-compose" <<SH
#!/bin/sh
case " \$* " in *" up "*) echo x >>"$WORK/compose-ups";; esac
exec $real "\$@"
SH
    chmod +x "$WORK/dockercfg/cli-plugins/docker-compose"
}

bench_scoped() {
    echo "== 3. scoped deploy: 1 of 40 services changed"
    local d=$WORK/scoped
    mkdir -p "$d"
    homelab "$d" 40 bs 1s 0 '{}' 4
    "$BIN" sync --repo "$d/deploy" --state-dir "$d/state" >"$d/first.log" 2>&1 || { echo "bench: first sync failed" >&2; tail "$d/first.log" >&2; return; }
    docker_counter || return
    local rt=() bt=() ft=() rc=() bc=() i t0 s
    for i in $(seq "${BENCH_ROUNDS:-5}"); do
        sed -i "s/REVISION: \"[0-9]*\"/REVISION: \"$i\"/" "$d/author/services/bs01/compose.yml"
        git -C "$d/author" commit -qam "change bs01 ($i)" && git -C "$d/author" push -q origin HEAD:main
        : >"$WORK/compose-ups"
        t0=$(now_ms)
        if ! DOCKER_CONFIG=$WORK/dockercfg "$BIN" sync --repo "$d/deploy" --state-dir "$d/state" >"$d/sync.log" 2>&1; then
            echo "bench: the scoped sync failed:" >&2
            tail "$d/sync.log" >&2
            return
        fi
        rt+=("$(($(now_ms) - t0))"); rc+=("$(wc -l <"$WORK/compose-ups")")
        # deploy-all deploys the same kind of change (bs01 edited again in place, so its container is recreated
        # as the reconciler's was), then every other directory, as `just deploy-all` does.
        sed -i "s/REVISION: \"[0-9]*\"/REVISION: \"b$i\"/" "$d/deploy/services/bs01/compose.yml"
        : >"$WORK/compose-ups"
        t0=$(now_ms)
        for s in "$d"/deploy/services/*/; do
            (cd "$s" && DOCKER_CONFIG=$WORK/dockercfg docker compose -p "$(basename "$s")" up -d --wait >/dev/null 2>&1)
        done
        bt+=("$(($(now_ms) - t0))"); bc+=("$(wc -l <"$WORK/compose-ups")")
        # The floor: the one changed directory alone, `compose up --wait` (what any tool must at least spend).
        sed -i "s/REVISION: \"b[0-9]*\"/REVISION: \"f$i\"/" "$d/deploy/services/bs01/compose.yml"
        t0=$(now_ms)
        (cd "$d/deploy/services/bs01" && docker compose -p bs01 up -d --wait >/dev/null 2>&1)
        ft+=("$(($(now_ms) - t0))")
        git -C "$d/deploy" checkout -q -- .
    done
    local r b f
    r=$(printf '%s\n' "${rt[@]}" | $STATS list)
    b=$(printf '%s\n' "${bt[@]}" | $STATS list)
    f=$(printf '%s\n' "${ft[@]}" | $STATS list)
    local ratio ceiling
    ratio=$(awk -v a="$(median "$b")" -v b="$(median "$r")" 'BEGIN { printf "%.1f", a / b }')
    ceiling=$(awk -v a="$(median "$b")" -v b="$(median "$f")" 'BEGIN { printf "%.1f", a / b }')
    row 3 "reconciler sync, 1 of 40 changed (compose ups: ${rc[0]})" "$r" ms \
        "deploy-all: $(median "$b") ms, ${bc[0]} compose ups; ratio ${ratio}× by time, ${bc[0]}× by compose ups" \
        "≥ 20×" "$(awk -v r="$ratio" 'BEGIN { print (r >= 20) ? "yes" : "no" }')"
    row 3 "docker compose up -d --wait in all 40 directories" "$b" ms "–" "–" "–"
    row 3 "docker compose up -d --wait, the changed directory alone" "$f" ms \
        "the most any tool can reach: ${ceiling}× (deploy-all ÷ this)" "–" "–"
    down_projects
}

bench_waves() {
    echo "== 4. waves: 20 services in 4 dependency levels, ~1 s to healthy"
    local par d units='{' n lvl dep
    for n in $(seq -w 1 20); do
        lvl=$(((10#$n - 1) / 5))
        if ((lvl > 0)); then
            dep=$(printf 'wv%02d' $(((lvl - 1) * 5 + (10#$n - 1) % 5 + 1)))
            units+="\"wv$n\": { \"dependsOn\": [\"$dep\"] },"
        fi
    done
    units="${units%,}}"
    for par in 1 4; do
        d=$WORK/waves$par
        mkdir -p "$d"
        down_projects
        homelab "$d" 20 wv 200ms 1 "$units" "$par"
        local times=() i t0 p
        if [[ $par == 1 ]]; then
            # One start: one of these services alone, from nothing to healthy, with nothing else running (the
            # healthchecks of 20 running services every 200 ms load a 2-core machine: that is the deploy's cost).
            local starts=()
            for i in $(seq "${BENCH_RUNS_WAVES:-3}"); do
                docker compose -p wv01 down -t 0 >/dev/null 2>&1 || true
                t0=$(now_ms)
                (cd "$d/deploy/services/wv01" && docker compose -p wv01 up -d --wait >/dev/null 2>&1)
                starts+=("$(($(now_ms) - t0))")
            done
            ONE_START=$(printf '%s\n' "${starts[@]}" | $STATS list)
        fi
        for i in $(seq "${BENCH_RUNS_WAVES:-3}"); do
            for p in $(seq -w 1 20); do docker compose -p "wv$p" down -t 0 >/dev/null 2>&1 || true; done
            rm -rf "$d/state"
            t0=$(now_ms)
            if ! "$BIN" sync --repo "$d/deploy" --state-dir "$d/state" >"$d/sync.log" 2>&1; then
                echo "bench: the first deploy failed (parallelism $par):" >&2
                tail "$d/sync.log" >&2
                return
            fi
            times+=("$(($(now_ms) - t0))")
        done
        local t
        t=$(printf '%s\n' "${times[@]}" | $STATS list)
        if [[ $par == 4 ]]; then
            local limit
            limit=$(awk -v s="$(median "$ONE_START")" 'BEGIN { printf "%d", 1.5 * 4 * s }')
            row 4 "first deploy, parallelism 4" "$t" ms "4 levels × one start ($(median "$ONE_START") ms)" \
                "≤ $limit ms (1.5 × 4 × one start)" "$(le "$(median "$t")" "$limit")"
            row 4 "one start: docker compose up -d --wait of one service alone, nothing else running" "$ONE_START" ms \
                "–" "–" "–"
        else
            row 4 "first deploy, parallelism 1" "$t" ms "–" "–" "–"
        fi
    done
    down_projects
}

bench_push() {
    echo "== 5. push to deployed: signed webhook → deployed"
    local d=$WORK/push port=$((20000 + RANDOM % 20000))
    mkdir -p "$d"
    homelab "$d" 5 ps 200ms 0 '{}' 4
    (umask 077; echo bench-secret-of-32-bytes-at-least >"$d/secret")
    printf '{ "services": { "parallelism": 4 }, "webhook": { "listen": "127.0.0.1:%s", "secretFile": "%s" } }\n' \
        "$port" "$d/secret" >"$d/author/reconciler.json"
    git -C "$d/author" commit -qam webhook && git -C "$d/author" push -q origin HEAD:main
    git -C "$d/deploy" pull -q
    "$BIN" run --repo "$d/deploy" --state-dir "$d/state" --poll-interval 1h >"$d/daemon.log" 2>&1 &
    DAEMON=$!
    local i head ms t0 ours=() gate=()
    deployed() { curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -o "reconciler_deployed_commit_info{commit=\"[0-9a-f]*" | grep -o '[0-9a-f]*$'; }
    for i in $(seq 300); do [[ $(deployed) == $(git -C "$d/author" rev-parse HEAD)* ]] && break; sleep 0.1; done
    for i in $(seq "${BENCH_PUSHES:-10}"); do
        sed -i "s/REVISION: \"[0-9]*\"/REVISION: \"$i\"/" "$d/author/services/ps01/compose.yml"
        git -C "$d/author" commit -qam "change ($i)" && git -C "$d/author" push -q origin HEAD:main
        head=$(git -C "$d/author" rev-parse HEAD)
        # One process signs, sends and waits (asking /metrics every 10 ms), so the waiting takes little CPU from the
        # deploy it times.
        if ! ms=$(python3 "$ROOT/scripts/bench/push.py" "$port" "$d/secret" "$head" 60); then
            tail "$d/daemon.log" >&2
            break
        fi
        ours+=("$ms")
    done
    kill "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
    local s=$d/deploy/services/ps01
    for i in $(seq "${BENCH_PUSHES:-10}"); do
        # A change each time (the daemon left "10", then "g1", "g2" …), so each `up` recreates the container.
        sed -i "s/REVISION: \"[0-9a-z]*\"/REVISION: \"g$i\"/" "$s/compose.yml"
        t0=$(now_ms)
        (cd "$s" && docker compose -p ps01 up -d --wait >/dev/null 2>&1)
        gate+=("$(($(now_ms) - t0))")
    done
    git -C "$d/deploy" checkout -q -- .
    ((${#ours[@]})) || return
    local o g
    o=$(printf '%s\n' "${ours[@]}" | $STATS list)
    g=$(printf '%s\n' "${gate[@]}" | $STATS list)
    row 5 "signed webhook → deployed (1 service changed)" "$o" ms "compose up --wait alone: $(median "$g") ms" \
        "overhead ≤ 300 ms" "$(le "$(awk -v a="$(median "$o")" -v b="$(median "$g")" 'BEGIN { print a - b }')" 300)"
    row 5 "docker compose up -d --wait alone" "$g" ms "–" "–" "–"
}

# The release builds just before leave the 1-minute load average near 2 with the CPU idle: wait (at most 3 minutes)
# until it falls below half the cores, then measure how busy the CPU really is over 5 s. That, not the load after
# the run (sections 3–5 load the machine themselves: 40 containers, each running its healthcheck), says whether the
# machine was quiet.
cpu_busy() {
    local a b
    read -ra a </proc/stat
    sleep 5
    read -ra b </proc/stat
    awk -v u="$(( (b[1] + b[2] + b[3] + b[6] + b[7]) - (a[1] + a[2] + a[3] + a[6] + a[7]) ))" \
        -v i="$(( (b[4] + b[5]) - (a[4] + a[5]) ))" 'BEGIN { printf "%.0f", (u + i) ? 100 * u / (u + i) : 0 }'
}
for _ in $(seq 18); do
    awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l < n / 2) }' && break
    sleep 10
done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_BEFORE=$(cpu_busy)
[[ " $ONLY " == *" 1 "* ]] && bench_plan
[[ " $ONLY " == *" 2 "* ]] && bench_idle
if [[ " $ONLY " == *" 3 "* || " $ONLY " == *" 4 "* || " $ONLY " == *" 5 "* ]]; then
    if rig; then
        [[ " $ONLY " == *" 3 "* ]] && bench_scoped
        [[ " $ONLY " == *" 4 "* ]] && bench_waves
        [[ " $ONLY " == *" 5 "* ]] && bench_push
    else
        echo "bench: the test rig did not start; skipping 3–5" >&2
    fi
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

OUT=${BENCH_OUT:-docs/benchmarks.md}
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (scripts/bench.sh); do not edit the table by hand. Commit $(git rev-parse --short HEAD)."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
    echo "- before the first figure: load average (1/5/15 min) $LOAD_BEFORE, CPU busy over 5 s: $BUSY_BEFORE %;"
    echo "  after the last: load average $LOAD_AFTER (sections 3–5 load the machine themselves)"
    if awk -v a="${LOAD_BEFORE%% *}" -v b="$BUSY_BEFORE" -v n="$(nproc)" 'BEGIN { exit !(a > n / 2 || b > 25) }'; then
        echo "- **LOADED MACHINE**: other work shared the CPU when the run began; these figures are indicative only."
        echo "  Run \`make bench\` on a quiet machine for figures to compare."
    fi
    echo "- tools: $(swift --version 2>&1 | head -n 1), $(git --version), $(hyperfine --version)$(command -v docker >/dev/null && echo ", $(docker compose version 2>/dev/null | head -n 1)")"
    [[ -n ${IDLE_NOTE:-} ]] && echo "- idle daemon: $IDLE_NOTE"
    echo "- binary measured: ${BENCH_BIN:-the release build of this commit} ($(du -h "$BIN" | cut -f1))"
    echo "- runs: $RUNS runs after 3 warm-ups; where two commands are compared they run alternately (A B A B …,"
    echo "  scripts/bench/alternate.py), single commands through hyperfine"
    echo
    $STATS render "$ROWS"
    if [[ -f scripts/bench/notes.md ]]; then
        echo
        cat scripts/bench/notes.md
    fi
} >"$OUT"
echo
echo "wrote $OUT"
