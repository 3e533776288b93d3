# Logpond: `make run` serves on 127.0.0.1:9200 with ./data; `make test` runs every test.
# Both install what is missing first (Debian packages, Python test clients).

SHELL      := /bin/bash
SWIFT      ?= swift
PYTHON     ?= python3
APT_PKGS   := libsqlite3-dev libzstd-dev libsimdjson-dev zlib1g-dev pkg-config
# What the compatibility tests drive: Debian's Curator (its `curator` command), curl, rsyslog's
# omelasticsearch, and openssl (test certificates for HTTPS).
TEST_APT_PKGS := elasticsearch-curator curl rsyslog-elasticsearch openssl chromium chromium-driver python3-selenium
PYDEPS     := .build/pydeps
ES7        := $(PYDEPS)/es7
ES8        := $(PYDEPS)/es8
FLUENT     := $(PYDEPS)/fluent
PROM       := $(PYDEPS)/prom

.PHONY: all deps sysdeps testdeps pydeps build build-release run test bench bench-scale clean fuzz fuzz-build fuzz-smoke fuzz-replay

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
	@$(PYTHON) -c 'import pytest, requests, hypothesis' 2>/dev/null || $(PYTHON) -m pip install -q pytest requests hypothesis
	@[ -f $(ES7)/.ok ] || { $(PYTHON) -m pip install -q --target $(ES7) 'elasticsearch>=7.17,<7.18' && touch $(ES7)/.ok; }
	@[ -f $(ES8)/.ok-dsl ] || { $(PYTHON) -m pip install -q --target $(ES8) 'elasticsearch>=8.13,<9' 'elasticsearch-dsl>=8.13,<9' && touch $(ES8)/.ok-dsl; }
	@[ -f $(FLUENT)/.ok ] || { $(PYTHON) -m pip install -q --target $(FLUENT) 'fluent-logger>=0.10,<1' && touch $(FLUENT)/.ok; }
	@[ -f $(PROM)/.ok ] || { $(PYTHON) -m pip install -q --target $(PROM) 'prometheus_client>=0.17,<1' && touch $(PROM)/.ok; }

deps: sysdeps

build: sysdeps
	$(SWIFT) build --build-tests

build-release: sysdeps
	$(SWIFT) build -c release --product logpond

run: build-release
	.build/release/logpond serve --data ./data --host 127.0.0.1 --port 9200

# One build, then the Swift unit tests, the fuzz corpus replayed, the HTTP integration tests
# against the real binary, and a few seconds of each libFuzzer target.
test: build testdeps pydeps
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory fuzz-replay
	LOGPOND_BIN=$(CURDIR)/.build/debug/logpond LOGPOND_PYDEPS=$(CURDIR)/$(PYDEPS) $(PYTHON) -m pytest -q Tests/integration
	$(MAKE) --no-print-directory fuzz-smoke

# Fuzzing (Tests/Fuzz/README.md). The libFuzzer build has its own scratch folder; it links with
# lld (gold crashes on the fuzzer runtime: "internal error in format_file_lineno").
FUZZ_TARGETS := query lucene aggs bulk analyze segment translog aliases forward
FUZZ_SECONDS ?= 5
FUZZ_TARGET ?= query
FUZZ_CONFIG ?= debug
FUZZ_BIN = .build-fuzz/$(FUZZ_CONFIG)/logpond-fuzz

fuzz-replay:
	@for t in $(FUZZ_TARGETS); do .build/debug/logpond-fuzz $$t Tests/Fuzz/corpus/$$t || exit 1; done

fuzz-build: sysdeps
	$(SWIFT) build -c $(FUZZ_CONFIG) --product logpond-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DLOGPOND_LIBFUZZER \
	  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld

# Each target for FUZZ_SECONDS from a copy of its corpus (the committed corpus stays as it is).
fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  work=$$(mktemp -d); cp Tests/Fuzz/corpus/$$t/* $$work/ 2>/dev/null; \
	  echo "fuzz $$t for $(FUZZ_SECONDS) s"; \
	  LOGPOND_FUZZ_TARGET=$$t $(FUZZ_BIN) $$work -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=$$work/ -print_final_stats=0 2>&1 | tail -n 3; \
	  status=$${PIPESTATUS[0]}; \
	  if ls $$work/crash-* $$work/timeout-* $$work/oom-* >/dev/null 2>&1; then echo "fuzz $$t found: $$(ls $$work/crash-* $$work/timeout-* $$work/oom-* 2>/dev/null)"; exit 1; fi; \
	  if [ "$$status" != 0 ]; then echo "fuzz $$t exited with $$status"; exit 1; fi; \
	  rm -rf $$work; \
	done

# A long run of one target: make fuzz FUZZ_TARGET=aggs FUZZ_SECONDS=600 FUZZ_CONFIG=release
fuzz: fuzz-build
	mkdir -p .build-fuzz/corpus/$(FUZZ_TARGET) && cp -n Tests/Fuzz/corpus/$(FUZZ_TARGET)/* .build-fuzz/corpus/$(FUZZ_TARGET)/ 2>/dev/null; \
	LOGPOND_FUZZ_TARGET=$(FUZZ_TARGET) $(FUZZ_BIN) .build-fuzz/corpus/$(FUZZ_TARGET) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=4096 -artifact_prefix=.build-fuzz/$(FUZZ_TARGET)-

# The end-to-end benchmark with the tantivy comparison (docs/benchmarks.md); BENCH_DOCS to scale.
BENCH_DOCS ?= 1000000
bench: sysdeps
	$(SWIFT) build -c release --product logpond
	$(SWIFT) build -c release --product logpond-bench
	.build/release/logpond-bench
	$(PYTHON) Benchmarks/bench.py --docs $(BENCH_DOCS) --senders 2 --runs 20 --shape seed --out bench-out/bench-seed.json
	$(PYTHON) Benchmarks/bench.py --docs $(BENCH_DOCS) --senders 2 --runs 20 --shape lean --out bench-out/bench-lean.json

# A month of retention (issue 17): 10M seed-shaped records over 30 daily indices; not in CI.
bench-scale: sysdeps
	$(SWIFT) build -c release --product logpond
	$(PYTHON) Benchmarks/scale.py --docs 10000000 --days 30

clean:
	rm -rf .build
