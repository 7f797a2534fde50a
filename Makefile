# The commands a newcomer needs. `make demo` and `make test` are the README's two set-up commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The tests run on PostgreSQL and Redis (as in CI); override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cxtracker
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install install-dev messages demo run test lint format worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock -r requirements-dev.lock

messages: $(BIN)/python
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

# Embedded default: SQLite under var/, Celery tasks run eagerly, e-mail on the console.
demo: install messages
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

run:
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Lint (ruff, then the apps' layers: import-linter's contracts in pyproject.toml), then the whole suite on PostgreSQL and Redis: unit, HTTP, API, a real Celery worker,
# schemathesis and the Playwright browser tests (Chromium at /usr/bin/chromium).
test: install-dev messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker:
	$(BIN)/celery -A cxtracker worker -l info

beat:
	$(BIN)/celery -A cxtracker beat -l info

clean:
	rm -rf var/cxtracker.sqlite3 var/staticfiles
