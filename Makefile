# The two quick-start commands: `make run` (app on SQLite) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# PostgreSQL server the tests create scratch databases on.
POSER_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export POSER_TEST_PG_URL

.PHONY: run test install install-test migrate bench-smoke

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[testing,postgresql]'
	bash scripts/ensure-chromium

migrate: install
	$(VENV)/bin/alembic upgrade heads

# Install, migrate the SQLite database beside development.ini, add a first
# administrator (printed once) when there are no users, serve on :6543.
run: migrate
	$(VENV)/bin/poser ensure-admin development.ini
	$(VENV)/bin/pserve development.ini

# The whole suite, once on SQLite and once on PostgreSQL.
test: install-test
	$(VENV)/bin/pytest --db sqlite
	$(VENV)/bin/pytest --db postgresql

# The benchmark and resilience scripts, seconds-long, so they never rot (CI runs
# this; figures are printed, never asserted). Full runs: see bench/README.md.
bench-smoke: install-test
	$(PY) bench/run.py --smoke --login bench:bench-smoke-password
	$(PY) bench/resilience.py --smoke --login bench:bench-smoke-password
	$(PY) bench/datasync.py --smoke --source sqlite --target sqlite
