#!/usr/bin/env bash
# make demo: the reconciler's whole job on a self-contained homelab, start to end, then clean up.
#
# It brings up the project's private Docker engine (scripts/testenv.sh), builds the reconciler, makes a sandbox
# (a bare "remote" holding a small homelab, an author clone, and a deploy clone the reconciler owns), and narrates:
# first sync, a one-service change, a broken healthcheck rolled back on its own, an operator rollback with its hold,
# then status and history. Unit names start with demo- so nothing collides with real Compose projects.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="/opt/swift/usr/bin:$PATH"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '\033[2m# %s\033[0m\n' "$*"; }
run() { printf '\033[36m$ %s\033[0m\n' "$*"; "$@"; }

bold "Docker engine and Compose (scripts/testenv.sh up)"
scripts/testenv.sh up
eval "$(scripts/testenv.sh env)"
docker compose version

bold "Building the reconciler"
swift build --product reconciler 2>&1 | tail -n 1
RECONCILER_BIN="$ROOT/.build/debug/reconciler"

SANDBOX=$(mktemp -d /tmp/reconciler-demo.XXXXXX)
PROJECTS=(demo-gluetun demo-prowlarr demo-sonarr-shows demo-radarr-anime demo-plex)
cleanup() {
  status=$?
  bold "Cleaning up"
  for p in "${PROJECTS[@]}"; do docker compose -p "$p" down --remove-orphans >/dev/null 2>&1 || true; done
  rm -rf "$SANDBOX"
  scripts/testenv.sh down || true
  exit $status
}
trap cleanup EXIT

export GIT_AUTHOR_NAME="Homelab Operator" GIT_AUTHOR_EMAIL="op@homelab.example"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
REMOTE="$SANDBOX/homelab.git"
AUTHOR="$SANDBOX/laptop"
DEPLOY="$SANDBOX/opt-homelab"
STATE="$SANDBOX/var-lib-reconciler"
R() { run "$RECONCILER_BIN" "$@" --repo "$DEPLOY" --state-dir "$STATE"; }

service() { # name version [healthcheck-command]
  local check=${3:-cat}
  mkdir -p "$AUTHOR/services/$1"
  cat > "$AUTHOR/services/$1/compose.yml" <<YAML
services:
  app:
    image: reconciler-test/busybox:1
    command: ["sh", "-c", "touch /tmp/ok; exec sleep 86400"]
    network_mode: none
    stop_signal: SIGKILL
    labels:
      homelab.version: "$2"
    healthcheck:
      test: ["CMD", "$check", "/tmp/ok"]
      interval: 1s
      retries: 2
YAML
}
push() { git -C "$AUTHOR" add -A && git -C "$AUTHOR" commit -q -m "$1" && git -C "$AUTHOR" push -q origin HEAD:main && say "pushed: $1"; }
containers() { docker ps --format '{{.Label "com.docker.compose.project"}}  {{.ID}}  {{.Status}}' --filter label=com.docker.compose.project | grep '^demo-' | sort; }

bold "A homelab repository: NixOS config + one Compose directory per service"
git init -q --bare --initial-branch=main "$REMOTE"
git init -q --initial-branch=main "$AUTHOR"
git -C "$AUTHOR" remote add origin "$REMOTE"
mkdir -p "$AUTHOR/nixos"
echo '{ ... }: { networking.hostName = "homelab-hl15"; }' > "$AUTHOR/nixos/configuration.nix"
cat > "$SANDBOX/nixos-rebuild" <<'SH'
#!/bin/sh
# Stand-in for nixos-rebuild build (this machine is not NixOS): a generation whose switch-to-configuration says what
# it would do, at ./result.
gen=$(mktemp -d "${0%/*}/store/nixos-system.XXXX")
mkdir "$gen/bin"
printf '#!/bin/sh\necho "switch-to-configuration $1 (stand-in): %s"\n' "$gen" > "$gen/bin/switch-to-configuration"
chmod +x "$gen/bin/switch-to-configuration"
ln -sfn "$gen" result
echo "nixos-rebuild $* (stand-in): built the system from $(pwd)/nixos"
SH
# Stand-in nix-env --profile P --set R: a new generation link, made the profile's current one.
mkdir -p "$SANDBOX/bin" "$SANDBOX/store/gen-1/bin" "$SANDBOX/profiles"
printf '#!/bin/sh\nn=$(ls -d "$2"-*-link | wc -l); ln -s "$4" "$2-$((n + 1))-link"; ln -sfn "${2##*/}-$((n + 1))-link" "$2"\n' > "$SANDBOX/bin/nix-env"
printf '#!/bin/sh\necho "switch-to-configuration $1 (stand-in): generation 1"\n' > "$SANDBOX/store/gen-1/bin/switch-to-configuration"
ln -s "$SANDBOX/store/gen-1" "$SANDBOX/profiles/system-1-link" && ln -s system-1-link "$SANDBOX/profiles/system"
chmod +x "$SANDBOX/nixos-rebuild" "$SANDBOX/bin/nix-env" "$SANDBOX/store/gen-1/bin/switch-to-configuration"
export PATH="$SANDBOX/bin:$PATH"
cat > "$AUTHOR/reconciler.json" <<JSON
{
  "system": { "build": ["$SANDBOX/nixos-rebuild", "build", "--flake", "./nixos#homelab-hl15"], "profile": "$SANDBOX/profiles/system" },
  "services": { "healthTimeout": "30s", "parallelism": 2 },
  "units": {
    "demo-prowlarr":     { "dependsOn": ["demo-gluetun"] },
    "demo-sonarr/shows": { "dependsOn": ["demo-prowlarr"] },
    "demo-radarr/anime": { "dependsOn": ["demo-prowlarr"] },
    "demo-plex":         { "dependsOn": ["demo-sonarr/shows", "demo-radarr/anime"] }
  }
}
JSON
printf '.env\n*.env\n!*.env.example\n' > "$AUTHOR/.gitignore"
for s in demo-gluetun demo-prowlarr demo-sonarr/shows demo-radarr/anime demo-plex; do service "$s" 1; done
push "Initial homelab"
run find "$AUTHOR" -path "$AUTHOR/.git" -prune -o -type f -print | sed "s|$AUTHOR/||" | sort
git clone -q "$REMOTE" "$DEPLOY"
say "the server's clone (/opt/homelab in real life): $DEPLOY"

bold "1. First sync: the system (build, test, confirm, boot), then every service in dependency order, each health-gated"
R sync
containers

bold "2. A change to one service: only plex is recreated"
before=$(containers)
service demo-plex 2
push "plex: version 2"
R sync
after=$(containers)
diff <(echo "$before") <(echo "$after") | grep '^[<>]' || true
say "only demo-plex's container id changed above"

bold "3. A broken healthcheck on prowlarr: applied, found unhealthy, rolled back on its own"
service demo-prowlarr 2 false
push "prowlarr: a bad healthcheck"
R sync || say "exit code $? (2 = deploy failed and was rolled back)"
docker ps --filter label=com.docker.compose.project=demo-prowlarr --format 'demo-prowlarr runs version {{.Label "homelab.version"}}: {{.Status}}'
R sync
say "the failed commit is remembered and not retried until the remote moves"

bold "4. Fix it, then an operator rollback: reconciler rollback HEAD~1"
service demo-prowlarr 3
push "prowlarr: version 3, healthcheck fixed"
R sync
service demo-sonarr/shows 2
push "sonarr/shows: version 2"
R sync
R rollback HEAD~1
docker ps --filter label=com.docker.compose.project=demo-sonarr-shows --format 'demo-sonarr-shows runs version {{.Label "homelab.version"}} again'
R sync
say "held: the commit rolled back from is not deployed again until the remote moves or 'reconciler resume'"
R resume
R sync

bold "5. reconciler status and history"
R status
R history --limit 4
bold "Demo complete"
