# Hearth. The two commands: `make run` (use it) and `make test` (test it). See README.md.
#
# Everything is built on demand: the virtualenv from requirements.lock, the front-end
# libraries from package-lock.json, PostgreSQL + Redis in ./var by `python -m panel.stack`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.stamp
NPM_STAMP := node_modules/.stamp
VENDOR := static/vendor
# chart.umd.js names its source map, which whitenoise's manifest storage needs to exist.
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/chart.umd.js $(VENDOR)/chart.umd.js.map
STACK := $(PY) -m panel.stack
ARGS ?=
PYTEST_ARGS ?=

# $(call need,PACKAGES,WHAT): apt-get install PACKAGES when root, else say what to install.
need = { if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	echo "installing $(1) for $(2)"; export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $(1); \
	else echo "$(2) is missing: sudo apt-get install --no-install-recommends $(1)" >&2; \
	exit 1; fi; }

.PHONY: all venv assets browser run test lint up down status clean distclean api-schema

all: venv assets

# --- Python ---------------------------------------------------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements.lock
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
		$(call need,python3-venv,the Python venv module (Debian ships it separately))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.lock
	@touch $@

# --- front-end libraries (htmx, Chart.js) into static/vendor/ -------------------------------

assets: $(VENDOR_FILES)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || $(call need,nodejs npm,npm (fetches htmx and Chart.js))
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(VENDOR)/htmx.min.js: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(VENDOR)/chart.umd.js $(VENDOR)/chart.umd.js.map: $(VENDOR)/%: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/chart.js/dist/$* $@

# --- the two commands -----------------------------------------------------------------------

run: venv assets
	$(STACK) run

test: venv assets browser
	$(STACK) test $(PYTEST_ARGS) $(ARGS)

# The browser tests drive Debian's Chromium through Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || \
		$(call need,chromium,Chromium (the browser tests drive it))

# --- the rest -------------------------------------------------------------------------------

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(STACK) exec -- $(PY) manage.py makemigrations --check --dry-run

# The committed OpenAPI snapshot (tests/api/test_schema.py compares it with the code).
api-schema: venv
	HEARTH_DEV=$${HEARTH_DEV:-1} $(STACK) exec -- $(PY) manage.py spectacular --validate --fail-on-warn --file api/openapi.yaml

up: venv
	$(STACK) up

status: venv
	$(STACK) status

down:
	@if [ -x $(PY) ]; then $(STACK) down; fi

clean:
	@if [ -x $(PY) ]; then $(STACK) clean; else rm -rf var; fi
	rm -rf node_modules $(VENDOR) staticfiles .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
