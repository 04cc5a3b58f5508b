# PowerBot: `make run` serves the app, `make test` runs the whole suite.
# Needs only Python 3.11 and make; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_WORKERS ?= 2
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/powerbot

.PHONY: run test test-sqlite test-postgres migrate clean

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

# Web (gunicorn) and one Celery worker with beat, logs prefixed; Ctrl-C stops them all.
run: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "PowerBot on http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/v1/docs/)"
	@echo "First admin user: $(BIN)/python manage.py createsuperuser"
	PATH="$(CURDIR)/$(BIN):$$PATH" WEB_WORKERS=$(WEB_WORKERS) $(BIN)/honcho start --port $(PORT) web worker sender

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
