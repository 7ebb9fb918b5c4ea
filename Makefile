# The two quick-start commands: `make run` (app on SQLite) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# PostgreSQL server the tests create scratch databases on.
POSER_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export POSER_TEST_PG_URL

PIP := $(PY) -m pip --quiet --disable-pip-version-check
# Stamps: pip runs again only when setup.py has changed since (delete one to force it).
INSTALLED := $(VENV)/.installed
INSTALLED_TEST := $(VENV)/.installed-test

.PHONY: run test install install-test migrate bench-smoke mutation

$(PY):
	@echo "Creating the virtualenv $(VENV)"
	@python3 -m venv $(VENV)
	@$(PIP) install --upgrade pip

$(INSTALLED): setup.py | $(PY)
	@echo "Installing poser-web and its dependencies into $(VENV) (setup.py changed; a minute the first time)"
	@$(PIP) install -e .
	@touch $@

$(INSTALLED_TEST): setup.py | $(PY)
	@echo "Installing poser-web with its test tools into $(VENV) (setup.py changed; a minute the first time)"
	@$(PIP) install -e '.[testing,postgresql]'
	@bash scripts/ensure-chromium
	@touch $@ $(INSTALLED)

install: $(INSTALLED)

install-test: $(INSTALLED_TEST)

migrate: install
	@$(VENV)/bin/alembic upgrade heads

# Install (when setup.py changed), migrate the SQLite database beside
# development.ini, add a first administrator (printed once) when there are no
# users, and serve on :6543, restarting when a file of the code changes
# (pserve --reload); Ctrl-C stops it (scripts/serve).
run: migrate
	@$(VENV)/bin/poser ensure-admin development.ini
	@echo "Serving http://127.0.0.1:6543/ (restarts when the code changes; Ctrl-C stops)"
	@bash scripts/serve $(VENV)/bin/pserve --reload development.ini

# The tests' lint (ruff.toml), then the whole suite on SQLite and on PostgreSQL side by side
# (scripts/test-both: lines prefixed with their database, both summaries at the end).
test: install-test
	$(VENV)/bin/ruff check tests/
	@bash scripts/test-both $(VENV)/bin/pytest --durations=15

# The benchmark and resilience scripts, seconds-long, so they never rot (CI runs
# this; figures are printed, never asserted). Full runs: see bench/README.md.
bench-smoke: install-test
	$(PY) bench/run.py --smoke --login bench:bench-smoke-password
	$(PY) bench/resilience.py --smoke --login bench:bench-smoke-password
	$(PY) bench/datasync.py --smoke --source sqlite --target sqlite

# Mutation testing of the modules that guard data and security (mutation/run.py): cosmic-ray
# in a virtualenv of its own, on a scratch copy of the tree; prints the score per module.
# MODULES="throttle input_guard" for some of them.
.venv-mutation/bin/cosmic-ray:
	@python3 -m venv .venv-mutation
	@.venv-mutation/bin/pip install --quiet --disable-pip-version-check cosmic-ray==8.7.0

mutation: install-test .venv-mutation/bin/cosmic-ray
	$(PY) mutation/run.py $(MODULES)
