#!/usr/bin/env bash
# make demo: the reconciler's whole job on a self-contained homelab, start to end, then clean up.
#
# It brings up the project's private Docker engine (scripts/testenv.sh), builds the reconciler, makes a sandbox
# (a bare "remote" holding a small homelab, an author clone, and a deploy clone the reconciler owns), and narrates:
# first sync, a one-service change, a broken healthcheck rolled back on its own, an operator rollback with its hold,
# status and history; then the main job: `reconciler run` on a free loopback port, a push, the signed GitHub push
# webhook the forge would send, the new commit deployed by the daemon, /status, and the daemon stopped.
# Unit names start with demo- so nothing collides with real Compose projects.
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
DAEMON=
cleanup() {
  status=$?
  bold "Cleaning up"
  if [ -n "$DAEMON" ] && kill -0 "$DAEMON" 2>/dev/null; then kill -TERM "$DAEMON"; wait "$DAEMON" || true; fi
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

bold "6. The main job: the daemon deploys a git push by itself (reconciler run + the forge's signed webhook)"
free_port() { # a loopback port nothing listens on
  for port in $(shuf -i 20000-60999 -n 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
SECRET="$STATE/webhook.secret"
(umask 077; head -c 32 /dev/urandom | base64 > "$SECRET")
say "webhook secret in $SECRET (mode 600); pollInterval 1h, so what deploys below is the webhook, not a poll"
printf '\033[36m$ %s\033[0m\n' "reconciler run --listen 127.0.0.1:$PORT --webhook-secret-file $SECRET --poll-interval 1h &"
"$RECONCILER_BIN" run --repo "$DEPLOY" --state-dir "$STATE" --listen "127.0.0.1:$PORT" \
  --webhook-secret-file "$SECRET" --poll-interval 1h 2> "$SANDBOX/daemon.log" &
DAEMON=$!
deadline=$((SECONDS + 60))
until curl -s -o /dev/null "$URL/healthz"; do # any answer: it listens
  kill -0 "$DAEMON" 2>/dev/null || { cat "$SANDBOX/daemon.log"; echo "demo: the daemon exited" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "demo: the daemon did not answer on $URL within 60 s" >&2; exit 1; }
  sleep 0.2
done
say "daemon pid $DAEMON answers on $URL"

before=$(git -C "$AUTHOR" rev-parse HEAD)
service demo-plex 3
push "plex: version 3"
after=$(git -C "$AUTHOR" rev-parse HEAD)
# The body GitHub sends for a push to main (the shape of Tests/Fixtures/webhooks: octokit's examples), signed the
# way GitHub signs it: X-Hub-Signature-256 = HMAC-SHA256 of the exact bytes, keyed with the secret.
sed -e 's|"refs/heads/master"|"refs/heads/main"|' -e "s|0000000000000000000000000000000000000000|$before|" \
  -e "s|6113728f27ae82c7b1a177c8d03f9e96e0adf246|$after|g" -e 's|"created": true|"created": false|' \
  Tests/Fixtures/webhooks/github/push-with-new-branch.payload.json > "$SANDBOX/push.json"
signature=$(openssl dgst -sha256 -hmac "$(cat "$SECRET")" < "$SANDBOX/push.json" | sed 's/^.* //')
sent=$SECONDS
run curl -sS -X POST "$URL/hooks/github" -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
  -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" -H "X-Hub-Signature-256: sha256=$signature" \
  --data-binary "@$SANDBOX/push.json"
echo
deployed() { curl -fsS "$URL/status" 2>/dev/null | jq -r '.deployed.commit // empty' 2>/dev/null; }
until [ "$(deployed)" = "$after" ]; do # bounded: 90 s
  if [ $((SECONDS - sent)) -ge 90 ]; then
    cat "$SANDBOX/daemon.log"
    echo "demo: ${after:0:12} was not deployed within 90 s of the webhook" >&2
    exit 1
  fi
  sleep 0.5
done
say "${after:0:12} deployed by the daemon $((SECONDS - sent)) s after the webhook (whole seconds)"
docker ps --filter label=com.docker.compose.project=demo-plex --format 'demo-plex runs version {{.Label "homelab.version"}}: {{.Status}}'
printf '\033[36m$ %s\033[0m\n' "curl -fsS $URL/status | jq ."
curl -fsS "$URL/status" | jq .
say "the status page: $URL/ (open it in a browser while the daemon runs)"
kill -TERM "$DAEMON"
wait "$DAEMON" && say "daemon stopped (SIGTERM, exit 0)" || say "daemon stopped (exit $?)"
DAEMON=
say "its log:"
sed 's/^/    /' "$SANDBOX/daemon.log" | tail -n 12
bold "Demo complete"
