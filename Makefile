# Haven: `make run` for a laptop, `make test` for the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The suite runs with debug off, against PostgreSQL and Redis.
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/haven
REDIS_URL ?= redis://127.0.0.1:6379/9
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/8
TEST_ENV := DJANGO_DEBUG=0 \
	DJANGO_SECRET_KEY=test-only-secret-key-not-for-any-real-installation-0000 \
	DJANGO_ALLOWED_HOSTS=testserver,localhost,127.0.0.1 \
	DJANGO_SECURE_SSL_REDIRECT=0 \
	HAVEN_KEYRING_FILE=var/test-keyring.json HAVEN_EXTRA_APPS=tests.vaultapp \
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) CELERY_BROKER_URL=$(CELERY_BROKER_URL)
DEV_ENV := DJANGO_DEBUG=1

.PHONY: install run test lint bench bench-cases bench-debriefing

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(PY) -m vault.keyring generate var/keyring.json --if-missing
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo ""
	@echo "Demo users: var/demo-credentials.json (username, password and TOTP secret for each role)."
	@echo "A current code for a role: $(DEV_ENV) $(PY) manage.py seed_demo --code admin"
	@echo ""
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) tests/require_services.py
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m vault.keyring generate var/keyring.json --if-missing
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(DEV_ENV) $(PY) -m mypy .

bench: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/vault.py

# The case list, filter, search and intake at CASES cases (default 100,000) beside a plaintext twin.
CASES ?= 100000
bench-cases: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/cases.py $(CASES)

# Debriefing: autosave of a 120-question template's section, the review page, a 500-row XLSForm import.
bench-debriefing: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/debriefing.py
