# PowerBot: `make run` serves the app, `make demo` shows it with simulated sensors,
# `make test` runs the whole suite.
# Needs only Python 3.11 and make; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/powerbot

.PHONY: run demo static test check lint types fix test-sqlite test-postgres migrate clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "PowerBot needs Python 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

static: $(VENV)/.installed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# Web (gunicorn), a Celery worker with beat, the sender, and the bot when TELEGRAM_BOT_TOKEN
# is set; logs prefixed; Ctrl-C stops them all.
run: migrate static
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python manage.py runall --port $(PORT)

# The same on a database of its own (var/demo.sqlite3) with demo buildings and simulated
# sensors; a short sensor timeout, so an outage shows within a minute.
demo: export DATABASE_URL = sqlite:///$(CURDIR)/var/demo.sqlite3
demo: export SENSOR_API_KEY := $(or $(SENSOR_API_KEY),demo-sensor-key)
demo: export SENSOR_PUBLIC_API_KEY := $(or $(SENSOR_PUBLIC_API_KEY),demo-read-key)
demo: export SENSOR_TIMEOUT_SEC = 30
demo: export ALERTS_DEMO := $(or $(ALERTS_DEMO),1)
demo: export WEATHER_DEMO := $(or $(WEATHER_DEMO),1)
demo: migrate static
	$(BIN)/python manage.py import_mappings demo/buildings.yaml
	$(BIN)/python manage.py import_schedule demo/schedules.yaml
	$(BIN)/python manage.py set_map 1 demo/shevchenka-1-map.png
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python manage.py runall --port $(PORT) --demo

# The checks first: a formatting, lint or type error names its file and line and stops the run.
test: check
	$(MAKE) test-sqlite test-postgres

check: lint types

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: $(VENV)/.installed-dev
	$(BIN)/mypy

# What ruff can put right by itself: the layout, import order and the fixable rules.
fix: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-sqlite: $(VENV)/.installed-dev
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
