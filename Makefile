# qiuxue: two commands. `make demo` (SQLite, eager Celery, demo data) and `make test`
# (PostgreSQL + Redis). Python 3.12 is needed by Django 6.
SHELL := /bin/bash
PYTHON_BOOT ?= $(shell for p in python3.13 python3.12 $(HOME)/.pyenv/versions/3.12.1/bin/python3 $(HOME)/.pyenv/versions/3.13.0/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qiuxue
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=1

.PHONY: demo demo-setup test bench lint format install browser-deps server-deps check-services clean messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON_BOOT)" || { echo "需要 Python 3.12 或更新版本 (Python >= 3.12 is required)"; exit 1; }
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a test tool's own browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# Debian's nginx for the production-recipe test (tests/test_production_recipe.py).
server-deps:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		echo "Installing Debian nginx-light for the production-recipe test"; \
		apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }

check-services: install
	@$(TEST_ENV) $(PY) scripts/check_services.py

demo-setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

# The demo has no SMS gateway (the SMS text is shown on the page) and no authenticator
# for the staff accounts (two-factor off, for the demo only: see README).
demo: demo-setup
	SMS_SHOW_ON_PAGE=1 STAFF_OTP_REQUIRED=0 $(PY) manage.py runserver 127.0.0.1:8000

test: install browser-deps server-deps check-services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install check-services
	$(TEST_ENV) $(PY) -m bench $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
