# Parvis — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PARVIS := $(VENV)/bin/parvis
PYTEST := $(VENV)/bin/pytest
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-postgres test-browser lint ci bench clean messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make run: install, migrate SQLite, load the demo, serve on http://127.0.0.1:8000 with the task worker.
# The links the demo's e-mails and pairing codes carry name the address the server runs on.
run: export PARVIS_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PARVIS) migrate --noinput -v0
	$(PARVIS) demo
	@# The demo's own e-mails (its orders' tickets) are sent now, quietly: the logins above stay on screen.
	@$(PARVIS) db_worker --batch --no-startup-delay -v0
	@echo
	@echo "  Parvis : http://$(HOST):$(PORT)/r/jazz-idf/   (espace équipe : http://$(HOST):$(PORT)/staff/)"
	@echo "  E-mails de développement : http://$(HOST):$(PORT)/dev/outbox/"
	@echo
	@trap 'kill 0' EXIT INT TERM; \
	  $(PARVIS) db_worker --interval 1 & \
	  $(PARVIS) runserver $(HOST):$(PORT)

## make test: the whole suite on SQLite (browser tests excepted: make test-browser).
test: install
	$(PYTEST) -m "not browser" -n 2

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(PYTEST) -m "not browser" -n 2

test-browser: install
	$(PYTEST) -m browser -p no:xdist

lint: install
	$(VENV)/bin/ruff check src bench
	$(VENV)/bin/ruff format --check src bench
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=parvis.settings.test $(PARVIS) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=parvis.settings.test $(PARVIS) check

ci: lint test test-postgres test-browser

## make bench: every bench/*.py against DATABASE_URL (default: the PostgreSQL of the project's machines).
bench: install
	@mkdir -p bench/results
	@set -e; for b in bench/[!_]*.py; do \
	  name=$$(basename $$b .py); echo "== $$name"; \
	  DATABASE_URL=$${DATABASE_URL:-$(POSTGRES_URL)} $(PY) $$b | tee bench/results/$$name.json; \
	done

messages: install
	cd src/parvis && ../../$(PARVIS) makemessages -l en --no-obsolete -i "*/tests/*" && ../../$(PARVIS) compilemessages -v0

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
