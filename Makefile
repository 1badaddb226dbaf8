# Fieldpost: `make run` sets everything up and serves; `make test` proves it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: setup run test test-unit test-e2e bench lint translations migrate demo-data clean messages migration

setup: $(VENV)/.installed static/vendor/.installed translations migrate

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

static/vendor/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse.min.js
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d app/translations -D messages 2>&1 | grep -v '^$$' || true

migrate: $(VENV)/.installed
	$(PY) -m app migrate

demo-data: setup
	$(PY) -m app demo-data

run: setup
	$(PY) -m app demo-data
	$(PY) -m app serve --host $(HOST) --port $(PORT)

test: setup lint test-unit test-e2e

test-unit:
	$(VENV)/bin/pytest -q tests

test-e2e:
	$(VENV)/bin/pytest -q -p no:cacheprovider e2e

# Modules the benches start or share (an app with a bare endpoint, a load generator, the
# databases and the server) are not benches.
BENCH_HELPERS = bench/checkin_app.py bench/checkin_load.py bench/dashboard_fill.py bench/serving.py
bench: setup
	@for f in $(filter-out $(BENCH_HELPERS),$(wildcard bench/*.py)); do echo "== $$f"; $(PY) $$f || exit 1; done

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check app tests e2e bench

# Re-extract the messages after changing visible strings, then translate app/translations/*.po.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --ignore-dirs=".*" -o app/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules static/vendor

# A new migration after changing tables: generated against a scratch PostgreSQL
# database (SQLite auto-migrations are incomplete), then checked on both engines by the tests.
SCRATCH_DB ?= postgresql://postgres@127.0.0.1:5432/fieldpost_migrations
migration: $(VENV)/.installed
	psql "$(dir $(SCRATCH_DB))postgres" -qc "DROP DATABASE IF EXISTS $(notdir $(SCRATCH_DB))" -c "CREATE DATABASE $(notdir $(SCRATCH_DB))"
	PICCOLO_CONF=app.piccolo_conf DATABASE_URL=$(SCRATCH_DB) $(VENV)/bin/piccolo migrations forwards fieldpost
	PICCOLO_CONF=app.piccolo_conf DATABASE_URL=$(SCRATCH_DB) $(VENV)/bin/piccolo migrations new fieldpost --auto --desc "$(DESC)"
