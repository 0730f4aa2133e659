# Sifang: `make demo` runs the whole thing; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: demo test install install-dev system-deps translations messages lint format serve worker clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the tests need: Chromium (browser tests), Noto CJK (PDF glyphs),
# poppler-utils (pdftotext/pdffonts read the PDFs back).
system-deps:
	@$(PY) -m config.system_deps

translations: | $(PY)
	$(PY) manage.py compile_translations

messages:
	for app in cms deliberation meetings votes; do (cd $$app && ../$(PY) ../manage.py makemessages -l en --no-obsolete); done

demo: install translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) manage.py demo_banner --port $(PORT)
	@# The task worker renders minutes and notices beside the server, as in production;
	@# the loop closes polls whose deadline passed (cron or a timer does it in production).
	export TASKS_BACKEND=django_tasks_db.DatabaseBackend; \
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	while :; do $(PY) manage.py close_due_polls; sleep 60; done & closer=$$!; \
	trap 'kill $$worker $$closer 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install-dev system-deps translations
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(PY) manage.py db_worker

clean:
	rm -rf $(VENV) db.sqlite3 static_collected media var
