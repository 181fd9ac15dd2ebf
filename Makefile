# eventshop: `make demo` runs the shop on the local cloud, `make test` runs every test.
# Both create .venv and install the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
ORDERS ?= 20
BENCH_ORDERS ?= 500
SCALE ?= 100,500,2000
# `make test` runs the layers in this order, fastest first (as measured by `make bench-test`), in one pytest
# session: the two workers start and import the world once, and the layers share each stack's program run.
# Once a layer has a failing test, the later layers' tests are skipped (tests/conftest.py's layer gate).
TEST_LAYERS := localcloud ci contracts policy unit handlers e2e browser
UNLAYERED := $(filter-out $(TEST_LAYERS) __pycache__,$(patsubst tests/%/,%,$(wildcard tests/*/)))
PYTEST := $(BIN)/python -m pytest -n 2 -q
# A module with a module-scoped fixture (a booted cloud, a program run) keeps to one worker, so the fixture is
# built once; other tests spread one by one, which balances the two workers. Work goes out in the layers' order.
TEST_DISTRIBUTION := --dist loadgroup --no-loadscope-reorder
# Each test process compiles the project's modules and pytest rewrites each test module's asserts: about a third
# of a worker's start when nothing is kept (PYTHONDONTWRITEBYTECODE). The tests keep their bytecode in
# build/pycache/, outside the source tree, so the handlers' code archives never hold it.
TEST_BYTECODE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/build/pycache

.PHONY: install layers node-tools browser demo serve test unit lint diagram openapi bench bench-scale bench-test bench-fresh cost cost-check cost-baseline clean lock stateful-urns graph

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

# The token authorizer's layer (joserfc + cryptography for python3.13 on arm64): wheels only, hashes required.
LAYER_JOSE := build/layers/.jose-$(shell cksum < layers/jose/requirements.txt | cut -d' ' -f1)

$(LAYER_JOSE): layers/jose/requirements.txt $(INSTALLED)
	rm -rf build/layers/jose build/layers/.jose-* && mkdir -p build/layers/jose
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		--platform manylinux2014_aarch64 --python-version 3.13 --implementation cp --only-binary=:all: \
		--target build/layers/jose/python -r layers/jose/requirements.txt
	touch $@

layers: $(LAYER_JOSE)  ## build the Lambda layers the program deploys (build/layers/)

ASYNCAPI_TOOLS := tools/asyncapi/node_modules/.installed-$(shell cksum < tools/asyncapi/package-lock.json | cut -d' ' -f1)

# The official AsyncAPI parser (npm, pinned by tools/asyncapi/package-lock.json), when npm is on the machine.
$(ASYNCAPI_TOOLS): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	cd tools/asyncapi && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -f tools/asyncapi/node_modules/.installed-* && touch $@

node-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(ASYNCAPI_TOOLS); \
	else echo "npm not found: the official AsyncAPI parser is not installed (.ci/run installs node and npm)"; fi

# Debian's Chromium headless shell, which Playwright drives (tests/browser): the same Blink and V8 as Debian's
# `chromium`, without the desktop browser around them, as Playwright itself runs headless Chromium. The browser
# layer took 12.2 s and 11.1 CPU-s with `chromium`, 8.4 s and 7.0 CPU-s with the shell. Playwright's own
# `playwright install` downloads a browser build from a CDN, which a machine with only package registries cannot
# reach. Needs root (CI runs as root).
CHROMIUM := /usr/bin/chromium-headless-shell
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null; \
	else echo "$(CHROMIUM) is missing: run 'sudo apt-get install chromium-headless-shell' (tests/browser needs it)"; exit 1; fi

install: $(INSTALLED) node-tools layers browser

lock: $(INSTALLED)  ## refresh requirements.lock and policy/requirements.lock (hashes of every file of every pin)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock requirements.txt
	cd policy && ../$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock requirements.txt

demo: $(INSTALLED) $(LAYER_JOSE)  ## place a mix of orders on the local cloud and wait until every one settles
	$(BIN)/python -m localcloud demo --stack dev --orders $(ORDERS)

serve: $(INSTALLED) $(LAYER_JOSE)  ## serve the dev stack's API on http://127.0.0.1:8080
	$(BIN)/python -m localcloud serve --stack dev --port 8080

test: $(INSTALLED) $(LAYER_JOSE) browser  ## every test, layer by layer (mocks, contracts, policies, handlers on moto, the local cloud, a real browser)
	@test -z "$(UNLAYERED)" || { echo "tests/$(UNLAYERED): not in TEST_LAYERS, so make test would skip it"; exit 1; }
	$(TEST_BYTECODE) $(PYTEST) $(TEST_DISTRIBUTION) $(addprefix tests/,$(TEST_LAYERS))

unit: $(INSTALLED) $(LAYER_JOSE)
	$(BIN)/python -m pytest -q tests/unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy .

diagram: $(INSTALLED)  ## refresh the README's architecture diagram, docs/events.md, docs/openapi.json and docs/asyncapi.yaml from the program
	$(BIN)/python -m devtools.diagram --write
	$(BIN)/python -m devtools.event_catalog --write
	$(BIN)/python -m devtools.openapi --write
	$(BIN)/python -m devtools.asyncapi --write

stateful-urns: $(INSTALLED)  ## record new stateful resources in tests/unit/stateful_urns.json (refuses to drop one nothing answers to)
	$(BIN)/python -m devtools.stateful_urns

graph: $(INSTALLED)  ## dump both stacks' resource graphs by URN into build/graph/ (diff two dumps: python -m devtools.graph --diff OLD NEW)
	$(BIN)/python -m devtools.graph --out build/graph

openapi: $(INSTALLED)  ## refresh docs/openapi.json from the API's routes and request models
	$(BIN)/python -m devtools.openapi --write

BENCH_RECORD := $(BIN)/python -m devtools.bench_record
# Seconds since the recipe set $$started (date +%s%N): make times what Python cannot time from inside.
ELAPSED_SECONDS = $$(awk "BEGIN { print ($$(date +%s%N) - $$started) / 1e9 }")

# Every speed goal, measured and then printed in one table against its goal (devtools/bench_record.py); about
# 15 minutes on 2 cores. Each part records its figures in build/bench/figures.json with the commit it measured.
bench: $(INSTALLED) $(LAYER_JOSE)  ## every speed figure against its goal: stacks, handlers, the local cloud, make test, a fresh clone
	@rm -f build/bench/figures.json
	$(BIN)/python -m devtools.bench --record
	$(BIN)/python -m localcloud bench --orders 20 --cold --record
	$(BIN)/python -m localcloud bench --orders $(BENCH_ORDERS) --record
	$(MAKE) --no-print-directory bench-scale
	$(MAKE) --no-print-directory bench-test
	$(MAKE) --no-print-directory bench-fresh
	$(BENCH_RECORD) report

bench-scale: $(INSTALLED) $(LAYER_JOSE)  ## the local cloud at 100, 500 and 2,000 orders: CPU per order should stay flat
	$(BIN)/python -m localcloud bench --scale $(SCALE) --record

bench-test: $(INSTALLED) $(LAYER_JOSE)  ## `make test`'s wall time
	@started=$$(date +%s%N); $(MAKE) --no-print-directory test; status=$$?; seconds=$(ELAPSED_SECONDS); \
		echo "make test: $$seconds s wall, exit status $$status"; \
		if [ $$status = 0 ]; then $(BENCH_RECORD) put make_test_seconds $$seconds; fi; exit $$status

# A clone of HEAD (committed work only) into a temporary directory: a new venv, layers and node tools, then every
# test. pip's and npm's download caches are this machine's, so only the network is spared.
bench-fresh: $(INSTALLED)  ## a fresh clone's make install + make test, timed
	@clone=$$(mktemp -d) && trap 'rm -rf "$$clone"' EXIT && git clone --quiet . "$$clone" && \
		started=$$(date +%s%N) && $(MAKE) -C "$$clone" --no-print-directory install test && \
		seconds=$(ELAPSED_SECONDS) && echo "fresh clone: make install + make test in $$seconds s" && \
		$(BENCH_RECORD) put fresh_clone_seconds $$seconds

cost: $(INSTALLED)  ## dollars per million orders per service, dev and prod, counted from a local run
	$(BIN)/python -m devtools.cost

cost-check: $(INSTALLED)  ## as `cost`, and fail when a stack grew more than 10% over docs/cost-baseline.json
	$(BIN)/python -m devtools.cost --check

cost-baseline: $(INSTALLED)  ## rewrite docs/cost-baseline.json (deliberately: review and explain the diff)
	$(BIN)/python -m devtools.cost --write-baseline

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
