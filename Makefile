# Two audiences, one Makefile:
# - developers of the reconciler: build, test, lint, install, demo, bench, clean
#   (the Docker-backed test rig is scripts/testenv.sh; see docs/testing.md);
# - the homelab's operator, on the server: deploy-all, deploy SERVICE=…, status, rollback … — the seed's
#   Justfile workflows, each done by the installed `reconciler` (see docs/day-to-day.md, `make help`).

SHELL := /bin/bash
.DEFAULT_GOAL := build

# The toolchain lives in /opt/swift on the build machines; use it when swift is not on PATH.
ifeq ($(shell command -v swift 2>/dev/null),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

SWIFT ?= swift
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSTEMDDIR ?= /etc/systemd/system
DATADIR ?= $(PREFIX)/share/reconciler
# Extra arguments for `swift test`, e.g. make test TEST_ARGS='--filter DockerRigTests'
TEST_ARGS ?=
# Findings fail the lint; make lint LINT_FLAGS= only reports them
LINT_FLAGS ?= --strict

.PHONY: build test lint install demo bench clean swift-toolchain release-flags nix-deps

swift-toolchain:
	@command -v $(SWIFT) >/dev/null || { echo "make: $(SWIFT) not found on PATH nor in /opt/swift/usr/bin" >&2; exit 1; }

build: swift-toolchain
	$(SWIFT) build

# Starts the Docker rig, runs swift test against it, always stops the rig, keeps swift test's status.
test: swift-toolchain
	@scripts/test.sh $(TEST_ARGS)

lint: swift-toolchain
	$(SWIFT) format lint --recursive $(LINT_FLAGS) Sources Tests

# The installed binary has the Swift runtime linked in (--static-swift-stdlib): no Swift toolchain needed on the host
# and a faster start (docs/benchmarks.md); it still loads libgit2 and SQLite from the system. STATIC= (empty)
# builds against the toolchain's shared runtime instead. Nothing imports FoundationNetworking (https notifications
# run the curl program), so the static link needs no -lcurl.
#
# The static binary is linked by the toolchain's lld with packed relative relocations (DT_RELR: 120,000 relocations
# in 23 KB instead of 2.9 MB of RELA read at every start) and without exporting its 34,000 symbols to the dynamic
# symbol table (static-stdlib-args.lnk asks for -export-dynamic; nothing looks symbols up in the executable): 6.6 MB
# smaller, ~8 % less resident memory (docs/benchmarks.md). DT_RELR needs glibc 2.36 or newer where the binary runs;
# RELR= (empty) links it the toolchain's default way.
STATIC ?= 1
RELR ?= 1
RELEASE_LINK = $(if $(RELR),-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
SWIFT_RELEASE = -c release $(if $(STATIC),--static-swift-stdlib $(RELEASE_LINK))
install: swift-toolchain
	$(SWIFT) build $(SWIFT_RELEASE) --product reconciler
	install -D -m 0755 "$$($(SWIFT) build $(SWIFT_RELEASE) --show-bin-path)/reconciler" "$(DESTDIR)$(BINDIR)/reconciler"
	sed 's|/usr/local/bin/reconciler|$(BINDIR)/reconciler|' contrib/reconciler.service > reconciler.service.tmp
	install -D -m 0644 reconciler.service.tmp "$(DESTDIR)$(SYSTEMDDIR)/reconciler.service"
	rm -f reconciler.service.tmp
	install -D -m 0644 nixos/modules/reconciler.nix "$(DESTDIR)$(DATADIR)/nixos/reconciler.nix"
	@echo "Installed. Plain systemd: systemctl daemon-reload && systemctl enable --now reconciler (see docs/running.md)."

demo: swift-toolchain
	@scripts/demo.sh

bench: swift-toolchain
	@scripts/bench.sh

# nix/swiftpm-deps.nix (the Nix package's pinned Swift dependencies) from Package.resolved: run after a
# dependency changes (swift package resolve first). docs/running.md#nix.
nix-deps: swift-toolchain
	@scripts/nix-deps.sh

# The flags `make install` builds with, for scripts/bench.sh (which measures that binary).
release-flags:
	@echo $(SWIFT_RELEASE)

clean:
	rm -rf .build
	scripts/testenv.sh purge

# ---------------------------------------------------------------------------------------------------------------
# The operator's workflows. Each one calls the installed reconciler on this repository; nothing here runs
# `docker compose` or `nixos-rebuild` itself. Every deploy target first pulls: `reconciler sync` fetches the remote
# and deploys its head (the system step when nixos/ changed, then every changed service in dependency order,
# health-gated, rolled back on failure); then it ensures the units it names with their dependencies.
#   make deploy SERVICE=plex          make logs SERVICE=sonarr/shows          make rollback REV=HEAD~1
# SERVICE takes a unit id (plex, sonarr/shows); the seed's names (sonarr-shows, radarr-anime) work too.
# update-system (and deploy-all) always runs the system step, as the seed's `nixos-rebuild switch` did, whether or
# not nixos/ changed: they need root (sudo make update-system). The other targets switch only when nixos/ changed.
# logs follows the logs until Ctrl-C; FOLLOW= (empty) prints them and returns.

RECONCILER ?= reconciler
# The repository the reconciler works on: the directory of this Makefile (/opt/homelab on the server).
HOMELAB_REPO ?= $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
SERVICE ?=
REV ?= HEAD~1
FOLLOW ?= 1
RECONCILE = $(RECONCILER) --repo $(HOMELAB_REPO)
UNIT = $(if $(findstring /,$(SERVICE)),$(SERVICE),$(patsubst sonarr-%,sonarr/%,$(patsubst radarr-%,radarr/%,$(SERVICE))))

.PHONY: help pull deploy-all deploy deploy-media deploy-monitoring deploy-infrastructure deploy-selfhosting \
	update-system update-services stop restart logs pull-images cleanup validate status rollback require-service

help:
	@echo "developers: make build | test | lint | install | demo | bench | clean"
	@echo "operator:   make deploy-all | deploy SERVICE=plex | deploy-media | deploy-monitoring |"
	@echo "            deploy-infrastructure | deploy-selfhosting | update-system | update-services |"
	@echo "            stop|restart SERVICE=sonarr/shows | logs SERVICE=plex [FOLLOW=] | pull-images | cleanup |"
	@echo "            validate | status | rollback REV=HEAD~1   (RECONCILER=$(RECONCILER), HOMELAB_REPO=$(HOMELAB_REPO))"

require-service:
	@test -n "$(SERVICE)" || { echo "make: name a service: make $(firstword $(MAKECMDGOALS)) SERVICE=plex (or SERVICE=sonarr/shows)" >&2; exit 2; }

# Fetch and deploy what changed (the system step too, when nixos/ changed). Make runs it once per invocation.
pull:
	$(RECONCILE) sync

# Pull, then run the system step again even when nixos/ did not change (needs root).
update-system: pull
	$(RECONCILE) deploy system

# Pull, then make sure every service is up.
update-services: pull
	$(RECONCILE) deploy --all

deploy-all: update-system update-services

deploy: require-service pull
	$(RECONCILE) deploy $(UNIT)

deploy-media: pull
	$(RECONCILE) deploy --group media

deploy-monitoring: pull
	$(RECONCILE) deploy --group monitoring

deploy-infrastructure: pull
	$(RECONCILE) deploy --group infrastructure

deploy-selfhosting: pull
	$(RECONCILE) deploy --group selfhosting

stop: require-service
	$(RECONCILE) stop $(UNIT)

restart: require-service
	$(RECONCILE) restart $(UNIT)

logs: require-service
	$(RECONCILE) logs $(if $(FOLLOW),--follow )$(UNIT)

# Pull newer images for every service and recreate the running ones whose image changed. An image the engine has
# but no registry gives (built or loaded locally, or no network) is kept and reported, not an error.
pull-images:
	$(RECONCILE) pull-images

cleanup:
	$(RECONCILE) cleanup

validate:
	$(RECONCILE) validate

status:
	$(RECONCILE) status

# Deploy an earlier commit and hold automatic deploys there until `reconciler resume`.
rollback:
	$(RECONCILE) rollback $(REV)
