# eventshop: `make demo` runs the shop on the local cloud, `make test` runs every test.
# Both create .venv and install the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
ORDERS ?= 20

.PHONY: install demo serve test unit lint diagram openapi bench clean lock

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(INSTALLED)

lock: $(INSTALLED)  ## refresh requirements.lock and policy/requirements.lock (hashes of every file of every pin)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock requirements.txt
	cd policy && ../$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock requirements.txt

demo: $(INSTALLED)  ## place a mix of orders on the local cloud and wait until every one settles
	$(BIN)/python -m localcloud demo --stack dev --orders $(ORDERS)

serve: $(INSTALLED)  ## serve the dev stack's API on http://127.0.0.1:8080
	$(BIN)/python -m localcloud serve --stack dev --port 8080

test: $(INSTALLED)  ## every test: mocks, handlers on moto, policies, end to end on the local cloud
	$(BIN)/python -m pytest -n 2 -q

unit: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy .

diagram: $(INSTALLED)  ## refresh the README's architecture diagram, docs/events.md and docs/openapi.json from the program
	$(BIN)/python -m devtools.diagram --write
	$(BIN)/python -m devtools.event_catalog --write
	$(BIN)/python -m devtools.openapi --write

openapi: $(INSTALLED)  ## refresh docs/openapi.json from the API's routes and request models
	$(BIN)/python -m devtools.openapi --write

bench: $(INSTALLED)  ## print stack, handler and local-cloud figures
	$(BIN)/python -m devtools.bench
	$(BIN)/python -m localcloud bench --orders 500

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
