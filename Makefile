# Logpond: `make run` serves on 127.0.0.1:9200 with ./data; `make test` runs every test.
# Both install what is missing first (Debian packages, Python test clients).

SWIFT      ?= swift
PYTHON     ?= python3
APT_PKGS   := libsqlite3-dev libzstd-dev libsimdjson-dev zlib1g-dev pkg-config
# What the compatibility tests drive: Debian's Curator (its `curator` command) and curl.
TEST_APT_PKGS := elasticsearch-curator curl
PYDEPS     := .build/pydeps
ES7        := $(PYDEPS)/es7
ES8        := $(PYDEPS)/es8

.PHONY: all deps sysdeps testdeps pydeps build build-release run test bench clean

all: build

sysdeps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift toolchain not found: install Swift 6 (https://swift.org/install) and retry"; exit 1; }
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

testdeps:
	@missing=""; for p in $(TEST_APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

pydeps:
	@$(PYTHON) -c 'import pytest, requests' 2>/dev/null || $(PYTHON) -m pip install -q pytest requests
	@[ -f $(ES7)/.ok ] || { $(PYTHON) -m pip install -q --target $(ES7) 'elasticsearch>=7.17,<7.18' && touch $(ES7)/.ok; }
	@[ -f $(ES8)/.ok-dsl ] || { $(PYTHON) -m pip install -q --target $(ES8) 'elasticsearch>=8.13,<9' 'elasticsearch-dsl>=8.13,<9' && touch $(ES8)/.ok-dsl; }

deps: sysdeps

build: sysdeps
	$(SWIFT) build --build-tests

build-release: sysdeps
	$(SWIFT) build -c release --product logpond

run: build-release
	.build/release/logpond serve --data ./data --host 127.0.0.1 --port 9200

# One build, then the Swift unit tests and the HTTP integration tests against the real binary.
test: build testdeps pydeps
	$(SWIFT) test --skip-build
	LOGPOND_BIN=$(CURDIR)/.build/debug/logpond LOGPOND_PYDEPS=$(CURDIR)/$(PYDEPS) $(PYTHON) -m pytest -q Tests/integration

# The end-to-end benchmark with the tantivy comparison (docs/benchmarks.md); BENCH_DOCS to scale.
BENCH_DOCS ?= 1000000
bench: sysdeps
	$(SWIFT) build -c release --product logpond
	$(SWIFT) build -c release --product logpond-bench
	.build/release/logpond-bench
	$(PYTHON) Benchmarks/bench.py --docs $(BENCH_DOCS) --senders 2 --runs 20

clean:
	rm -rf .build
