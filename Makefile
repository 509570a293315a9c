# emr-api: `make run` serves the demo site; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMR_API_PORT ?= 9300
EMR_API_DATA_DIR ?= ./var
export EMR_API_PORT EMR_API_DATA_DIR

.PHONY: help install run test bench spec imports clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test tools

run: $(STAMP) ## Initialise site "default" with demo data and serve on https://localhost:$(EMR_API_PORT)
	$(BIN)/emr-api init --demo-patients 50
	$(BIN)/emr-api serve

test: $(STAMP) ## The whole suite (import contracts included) on SQLite; EMR_API_TEST_DATABASES=postgresql,mariadb adds those
	$(BIN)/pytest -n 2 -q

spec: $(STAMP) ## Bundle each API's YAML (emr_api/openapi/) and validate it as OpenAPI
	$(BIN)/python -m emr_api.codegen

imports: $(STAMP) ## Check the dependency rule between the rooms (also part of make test)
	$(BIN)/lint-imports

bench: $(STAMP) ## Patient read and /version against a bare Starlette baseline (ratios), SQLite and PostgreSQL; patient search at 1K and 64K
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.run --postgresql
	$(BIN)/python -m bench.search --postgresql

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
