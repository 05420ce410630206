# Haven: `make run` for a laptop, `make test` for the whole suite.
# Another Python: make run PYTHON=python3.12 (3.11 to 3.13; a .venv made by another is replaced).
PYTHON ?= python3
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
# Named for the Python version, so that switching PYTHON reinstalls.
STAMP := $(VENV)/.installed-$(PYVER)
# Checks the machine first: each missing thing on one line, with the command that installs it.
PREREQS := command -v $(PYTHON) >/dev/null || { echo "Missing: $(PYTHON). Install it: sudo apt-get install python3 python3-venv (or run make with PYTHON=python3.11)" >&2; exit 1; }; \
	$(PYTHON) bin/check_prereqs.py --venv $(VENV)

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
# Test processes (pytest-xdist; tests/xdist_redis.py gives each its own Redis databases).
TEST_PROCESSES ?= 2
DEV_ENV := DJANGO_DEBUG=1
# Where make run serves: make run ADDR=127.0.0.1:8001
ADDR ?= 127.0.0.1:8000

.PHONY: install run test lint bench bench-cases bench-backups bench-support bench-debriefing bench-brake bench-reporting bench-load prereqs-run prereqs-test

$(STAMP): pyproject.toml constraints.txt
	@$(PREREQS) install
	$(PY) -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

prereqs-run:
	@$(PREREQS) run

prereqs-test:
	@$(PREREQS) test

run: prereqs-run $(STAMP)
	@# var/ holds the laptop database, the keyring, demo credentials and backups: the owner's only.
	mkdir -p var && chmod 700 var
	$(PY) -m vault.keyring generate var/keyring.json --if-missing
	@# Without trustees' keys, backups go to a demo trustee key (DEMO ONLY; refused with debug off).
	@[ -n "$$HAVEN_BACKUP_RECIPIENTS" ] || $(PY) -m backups.demo_key var/demo-trustee-key.txt
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo ""
	@echo "Demo users: var/demo-credentials.json (username, password and TOTP secret for each role)."
	@echo "A current code for a role: $(DEV_ENV) $(PY) manage.py seed_demo --code admin"
	@[ -n "$$HAVEN_BACKUP_RECIPIENTS" ] || echo "Backups: to the demo trustee key var/demo-trustee-key.txt (DEMO ONLY: anyone who takes this machine can read them)."
	@echo ""
	$(DEV_ENV) $(PY) manage.py runserver $(ADDR)

test: prereqs-test $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) tests/require_services.py
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

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

# Backup and restore at CASES cases (default 100,000) beside pg_dump | age by hand.
bench-backups: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/backups.py $(CASES)

# The dashboards and the referral list at CASES cases (3 referrals a case, a placement every second).
bench-support: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/support.py $(CASES)

# Debriefing: autosave of a 120-question template's section, the review page, a 500-row XLSForm import.
bench-debriefing: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/debriefing.py

# The exfiltration brake: a reveal with and without it in one run; the gate at 150 and 300,000 ledger rows.
bench-brake: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/brake.py

# Donor reports: a snapshot's aggregation and computation beside raw SQL, and the donor's page, at
# 1,000,000 cases unless CASES is given (make bench-reporting CASES=20000 for a quick run). The seeded
# database is kept for the next run; python bench/reporting.py CASES --drop drops it.
bench-reporting: $(STAMP)
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	$(TEST_ENV) $(PY) bench/reporting.py $(if $(filter command line environment,$(origin CASES)),$(CASES),1000000)

# 50 signed-in users of mixed roles at CASES cases (default 100,000) against gunicorn started as the
# Dockerfile does, the load generator beside it; one user first, for comparison. The database
# (LOAD_DATABASE_URL) is seeded once and kept; credentials go to var/load-credentials.json (0600).
# Against another server: python bench/load.py run URL CREDENTIALS --duration 60 --users 50.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/haven_load
LOAD_USERS ?= 50
LOAD_SECONDS ?= 60
bench-load: $(STAMP)
	mkdir -p var && chmod 700 var
	$(PY) -m vault.keyring generate var/test-keyring.json --if-missing
	DJANGO_SECRET_KEY=bench-only-secret-key-not-for-any-real-installation-0000 \
		HAVEN_KEYRING_FILE=var/test-keyring.json DATABASE_URL=$(LOAD_DATABASE_URL) \
		REDIS_URL=$(REDIS_URL) CELERY_BROKER_URL=$(CELERY_BROKER_URL) \
		$(PY) bench/load.py bench --cases $(CASES) --users $(LOAD_USERS) --duration $(LOAD_SECONDS)
