# eventshop: `make demo` runs the shop on the local cloud, `make test` runs every test.
# Both create .venv and install the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
ORDERS ?= 20
BENCH_ORDERS ?= 500
SCALE ?= 100,500,2000
# `make test` runs the layers in this order, fastest first, and stops after the first layer that fails.
TEST_LAYERS := unit contracts policy handlers e2e
UNLAYERED := $(filter-out $(TEST_LAYERS) __pycache__,$(patsubst tests/%/,%,$(wildcard tests/*/)))
PYTEST := $(BIN)/python -m pytest -n 2 -q

.PHONY: install demo serve test unit lint diagram bench bench-scale bench-test clean

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(INSTALLED)

demo: $(INSTALLED)  ## place a mix of orders on the local cloud and wait until every one settles
	$(BIN)/python -m localcloud demo --stack dev --orders $(ORDERS)

serve: $(INSTALLED)  ## serve the dev stack's API on http://127.0.0.1:8080
	$(BIN)/python -m localcloud serve --stack dev --port 8080

test: $(INSTALLED)  ## every test, layer by layer (mocks, contracts, policies, handlers on moto, the local cloud)
	@test -z "$(UNLAYERED)" || { echo "tests/$(UNLAYERED): not in TEST_LAYERS, so make test would skip it"; exit 1; }
	@for layer in $(TEST_LAYERS); do \
		echo "== tests/$$layer"; \
		$(PYTEST) tests/$$layer || { echo "== tests/$$layer failed: later layers not run"; exit 1; }; \
	done

unit: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy .

diagram: $(INSTALLED)  ## refresh the README's architecture diagram and docs/events.md from the program
	$(BIN)/python -m devtools.diagram --write
	$(BIN)/python -m devtools.event_catalog --write

bench: $(INSTALLED)  ## print stack, handler and local-cloud figures (BENCH_ORDERS=500 orders end to end)
	$(BIN)/python -m devtools.bench
	$(BIN)/python -m localcloud bench --orders $(BENCH_ORDERS)

bench-scale: $(INSTALLED)  ## the local cloud at 100, 500 and 2,000 orders: CPU per order should stay flat
	$(BIN)/python -m localcloud bench --scale $(SCALE)

bench-test: $(INSTALLED)  ## `make test`'s wall time
	@started=$$(date +%s%N); $(MAKE) --no-print-directory test; status=$$?; \
		echo "make test: $$(( ($$(date +%s%N) - started) / 1000000 )) ms wall, exit status $$status"; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
