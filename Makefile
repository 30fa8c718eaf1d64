# Everything a fresh machine needs: python3 and pip. The venv is built here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test browser lint typecheck unit e2e schema bench emulator serve clean fresh-clone

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: validate, plan, apply, plan again, pace, summarise and check drift against the embedded sandbox
demo: $(STAMP)
	bash scripts/demo.sh

## test: lint, type-check and run every test (what CI runs)
test: lint typecheck browser
	$(BIN)/pytest

## browser: Debian's chromium for the browser tests (apt-get, as root, when missing; Playwright drives it,
## it never downloads a browser). Without one the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ -n "$$RECONCILER_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests (apt-get install chromium)"; \
	    apt-get install -y -q chromium >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
	      echo "could not install chromium: the browser tests will be skipped"; \
	  else \
	    echo "no chromium (and not root to apt-get install it): the browser tests will be skipped"; \
	  fi; }

## unit: the fast tests only (no child processes, loopback servers or signals)
unit: $(STAMP)
	$(BIN)/pytest -m "not e2e"

## e2e: the end-to-end tests only
e2e: $(STAMP) browser
	$(BIN)/pytest -m e2e

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/ruff format --check reconciler tests bench
	$(BIN)/zizmor --offline --quiet .github/workflows action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml

typecheck: $(STAMP)
	$(BIN)/mypy

## schema: regenerate schemas/campaign.schema.json and schemas/targets.schema.json from the models
schema: $(STAMP)
	$(BIN)/python -m reconciler.spec.schema > schemas/campaign.schema.json
	$(BIN)/python -m reconciler.targets > schemas/targets.schema.json

bench: $(STAMP)
	$(BIN)/python -m bench.run

emulator: $(STAMP)
	$(BIN)/reconciler emulator

## serve: the control service on the sandbox at http://127.0.0.1:8080 (mints an operator token on first run)
serve: $(STAMP)
	@test -f .reconciler/tokens.yaml || { \
	  echo "Operator token (shown once; only its hash is kept in .reconciler/tokens.yaml):"; \
	  $(BIN)/reconciler serve token make-serve --role operator --tokens .reconciler/tokens.yaml; }
	$(BIN)/reconciler serve --tokens .reconciler/tokens.yaml

## fresh-clone: clone HEAD into an empty temporary folder and run make test there (hermetic build check)
fresh-clone:
	bash scripts/fresh-clone-check.sh test

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
