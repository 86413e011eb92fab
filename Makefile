# reconciler: build, test, lint, install, demo.
# The Docker-backed test rig is scripts/testenv.sh; see docs/testing.md.

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

.PHONY: build test lint install demo bench clean swift-toolchain

swift-toolchain:
	@command -v $(SWIFT) >/dev/null || { echo "make: $(SWIFT) not found on PATH nor in /opt/swift/usr/bin" >&2; exit 1; }

build: swift-toolchain
	$(SWIFT) build

# Starts the Docker rig, runs swift test against it, always stops the rig, keeps swift test's status.
test: swift-toolchain
	@scripts/test.sh $(TEST_ARGS)

lint: swift-toolchain
	$(SWIFT) format lint --recursive $(LINT_FLAGS) Sources Tests

install: swift-toolchain
	$(SWIFT) build -c release
	install -D -m 0755 "$$($(SWIFT) build -c release --show-bin-path)/reconciler" "$(DESTDIR)$(BINDIR)/reconciler"
	sed 's|/usr/local/bin/reconciler|$(BINDIR)/reconciler|' contrib/reconciler.service > reconciler.service.tmp
	install -D -m 0644 reconciler.service.tmp "$(DESTDIR)$(SYSTEMDDIR)/reconciler.service"
	rm -f reconciler.service.tmp
	install -D -m 0644 nixos/modules/reconciler.nix "$(DESTDIR)$(DATADIR)/nixos/reconciler.nix"
	@echo "Installed. Plain systemd: systemctl daemon-reload && systemctl enable --now reconciler (see docs/running.md)."

demo: swift-toolchain
	@scripts/demo.sh

bench:
	@scripts/bench.sh

clean:
	rm -rf .build
	scripts/testenv.sh purge
