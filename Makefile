# Hearth. The two commands: `make run` (use it) and `make test` (test it). See README.md.
#
# Everything is built on demand: the virtualenv from requirements-dev.lock, the front-end
# libraries from package-lock.json, PostgreSQL + Redis in ./var by `python -m panel.stack`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.stamp
NPM_STAMP := node_modules/.stamp
VENDOR := static/vendor
# chart.umd.js names its source map, which whitenoise's manifest storage needs to exist.
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/chart.umd.js $(VENDOR)/chart.umd.js.map
# Swagger UI for the API docs page (its CSS names its source map too).
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css swagger-ui.css.map
VENDOR_FILES += $(addprefix $(VENDOR)/swagger-ui/,$(SWAGGER_FILES))
STACK := $(PY) -m panel.stack
ARGS ?=
PYTEST_ARGS ?=

# $(call need,PACKAGES,WHAT): apt-get install PACKAGES when root, else say what to install.
need = { if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	echo "installing $(1) for $(2)"; export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $(1); \
	else echo "$(2) is missing: sudo apt-get install --no-install-recommends $(1)" >&2; \
	exit 1; fi; }

.PHONY: all venv assets browser dns mail run test bench soak probes lint lock lock-upgrade sbom \
	agent-wheel env image pdns-image mail-image image-test base-image lint-tools up down status clean distclean \
	api-schema

all: venv assets

# --- Python ---------------------------------------------------------------------------------

venv: $(VENV_STAMP)

# requirements-dev.lock holds the runtime lock's pins plus the tools; every file is hash-checked.
$(VENV_STAMP): requirements.lock requirements-dev.lock
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
		$(call need,python3-venv,the Python venv module (Debian ships it separately))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r requirements-dev.lock
	@touch $@

# The locks are generated from pyproject.toml (and agent/pyproject.toml) by this one command.
# Existing pins are kept; `make lock-upgrade` moves everything to the newest allowed versions.
# --no-strip-extras: a package asked for with extras (pytest-cov wants coverage[toml]) is
# written with them, so pip's --require-hashes check sees that requirement pinned too;
# without it, pip 23 goes looking for the newest release of the extra and refuses.
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --no-strip-extras --custom-compile-command "make lock" $(LOCK_FLAGS)

# Needs only uv, so it also repairs a lock that no longer installs (e.g. after a merge).
lock:
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && \
		$(PY) -m pip install -q "$$(grep -o '^uv==[^ ]*' requirements-dev.lock)"; }
	$(UV_COMPILE) pyproject.toml -o requirements.lock
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements-dev.lock
	$(UV_COMPILE) agent/pyproject.toml -o agent/requirements.lock

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

# CycloneDX SBOM of what the image installs (the runtime lock).
sbom: venv
	$(VENV)/bin/cyclonedx-py requirements requirements.lock --of JSON -o sbom.cdx.json
	@echo "wrote sbom.cdx.json"

# The agent's wheel and sdist in agent/dist/, built offline from the locked setuptools.
agent-wheel: venv
	$(PY) -m build --no-isolation --outdir agent/dist agent/

# --- front-end libraries (htmx, Chart.js, Swagger UI) into static/vendor/ -------------------------------

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

$(addprefix $(VENDOR)/swagger-ui/,$(SWAGGER_FILES)): $(VENDOR)/swagger-ui/%: $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/swagger-ui-dist/$* $@

# --- the two commands -----------------------------------------------------------------------

run: venv assets dns mail
	$(STACK) run

test: venv assets browser dns mail lint-tools
	$(STACK) test $(PYTEST_ARGS) $(ARGS)

# The security probe counts docs/security.md records (issue 10), each generated from the URL conf:
# bad inputs, URL x method x role authorisation, unsafe methods without a CSRF token.
PROBES := tests/security/test_input_fuzz.py tests/security/test_authorisation_probe.py \
	tests/security/test_csrf_probe.py
probes: venv assets dns mail
	@mkdir -p var
	$(STACK) test $(PROBES) -q -s -p no:randomly >var/probes.log 2>&1 || \
		{ tail -40 var/probes.log; exit 1; }
	@grep -E '^probes:' var/probes.log

# Every bench against its baseline in one run, printed as one table (bench/README.md).
# The warm start first, while the stack's services are down (it starts and stops them).
bench: venv assets dns mail
	$(PY) bench/warm_start.py --json var/bench-warm-start.json
	$(STACK) exec -- $(PY) bench/run.py

# Soak (not in CI; docs/reliability.md): agents, jobs, a killed worker, Redis restarts.
# SOAK_ARGS="--agents 50 --minutes 3" for a shorter run.
soak: venv assets dns mail
	$(STACK) exec -- $(PY) bench/soak.py $(SOAK_ARGS)

# The browser tests drive Debian's Chromium through Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || \
		$(call need,chromium,Chromium (the browser tests drive it))

# DNS hosting: PowerDNS is the primary (make run, make test); BIND secondaries in the tests.
dns:
	@command -v pdns_server >/dev/null 2>&1 || [ -x /usr/sbin/pdns_server ] || \
		$(call need,pdns-server pdns-backend-pgsql,PowerDNS (the DNS primary))
	@[ -f /usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql ] || \
		$(call need,pdns-backend-pgsql,the PowerDNS PostgreSQL backend)
	@command -v named >/dev/null 2>&1 || [ -x /usr/sbin/named ] || \
		$(call need,bind9,BIND (the DNS secondary the tests run))

# Mail hosting: Postfix (SMTP, submission), Dovecot (IMAP, LMTP, auth, quota, sieve), rspamd
# (milter: DKIM signing, spam scoring). Postfix's package asks a question: answer it first.
MAIL_PACKAGES := postfix postfix-pgsql dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pgsql \
	dovecot-sieve dovecot-managesieved rspamd
mail:
	@{ [ -x /usr/sbin/postfix ] && [ -x /usr/sbin/dovecot ] && [ -x /usr/bin/rspamd ] && \
		[ -f /usr/lib/postfix/postfix-pgsql.so ] && [ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] && \
		[ -x /usr/lib/dovecot/lmtp ] && [ -f /usr/lib/dovecot/modules/auth/libdriver_pgsql.so ] && \
		[ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/managesieve ]; } || \
		{ if [ "$$(id -u)" -eq 0 ] && command -v debconf-set-selections >/dev/null 2>&1; then \
		printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
		'postfix postfix/mailname string localhost' | debconf-set-selections; fi; \
		$(call need,$(MAIL_PACKAGES),the mail servers (Postfix, Dovecot, rspamd)); }

# --- the rest -------------------------------------------------------------------------------

# The same linters run in the lint workflow and, as tests, in `make test`.
# actionlint runs shellcheck on workflow scripts when it is installed; make it always so.
lint-tools:
	@command -v shellcheck >/dev/null 2>&1 || $(call need,shellcheck,shellcheck (shell scripts))

lint: venv lint-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(STACK) exec -- $(PY) manage.py makemigrations --check --dry-run
	$(STACK) exec -- $(PY) manage.py check --tag templates --fail-level WARNING
	$(STACK) exec -- $(PY) -m deploy.check_templates
	$(PY) -m deploy.lint

# --- shipping: .env, the container image --------------------------------------------------

# Secrets for docker-compose.yml, generated once (an existing .env is never overwritten).
env:
	$(PYTHON) deploy/make_env.py .env

# The image is built with Debian's podman (no daemon; chroot isolation works in a sandbox)
# from a Debian base made with mmdebstrap, so no registry but Debian's is needed.
# CI builds the same Dockerfile with Buildx from Debian's published image.
comma := ,
PODMAN := CONTAINERS_CONF=$(CURDIR)/deploy/podman/containers.conf podman
BASE_IMAGE ?= localhost/hearth-base:bookworm
IMAGE ?= localhost/hearth:local
PDNS_IMAGE ?= localhost/hearth-pdns:local
MAIL_IMAGE ?= localhost/hearth-mail:local
# Handed to the build as a secret (never stored in the image), for a TLS-inspecting proxy.
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

base-image:
	@command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 || \
		$(call need,podman runc,podman (builds and runs the image))
	@command -v mmdebstrap >/dev/null 2>&1 || $(call need,mmdebstrap,mmdebstrap (the base image))
	@$(PODMAN) image exists $(BASE_IMAGE) || { \
		echo "making $(BASE_IMAGE) with mmdebstrap"; \
		mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm - \
		| $(PODMAN) import - $(BASE_IMAGE); }

image: base-image
	$(PODMAN) build --isolation=chroot --format docker --network host $(IMAGE_BUILD_FLAGS) \
		--build-arg BASE_IMAGE=$(BASE_IMAGE) \
		$(if $(wildcard $(CA_BUNDLE)),--secret id=ca_bundle$(comma)src=$(CA_BUNDLE)) \
		--build-arg HEARTH_REVISION=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		-t $(IMAGE) .

# Build, then start the image's web and worker against a PostgreSQL and Redis of the stack.
# Compose's PowerDNS (deploy/pdns/), from the same base.
pdns-image: base-image
	$(PODMAN) build --isolation=chroot --format docker --network host \
		--build-arg BASE_IMAGE=$(BASE_IMAGE) -f deploy/pdns/Dockerfile -t $(PDNS_IMAGE) .

# Compose's Postfix, Dovecot and rspamd (deploy/mail/), from the same base.
mail-image: base-image
	$(PODMAN) build --isolation=chroot --format docker --network host \
		--build-arg BASE_IMAGE=$(BASE_IMAGE) -f deploy/mail/Dockerfile -t $(MAIL_IMAGE) .

image-test: image pdns-image mail-image venv
	HEARTH_IMAGE=$(IMAGE) HEARTH_PDNS_IMAGE=$(PDNS_IMAGE) HEARTH_MAIL_IMAGE=$(MAIL_IMAGE) \
		$(STACK) test tests/shipping/image_check.py tests/shipping/pdns_image_check.py \
		tests/shipping/mail_image_check.py -p no:cacheprovider $(ARGS)

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
