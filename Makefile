# Sifang: `make demo` runs the whole thing; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
HOST ?= 127.0.0.1
# The address QR codes and printed links point to: where `make demo` serves, unless given.
# A server bound to every interface (0.0.0.0) is reached on 127.0.0.1 from this machine.
SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
PYTEST_ARGS ?=
# The lock files: exact versions of everything installed, generated from pyproject.toml by
# `make lock`. base.txt is the runtime set, dev.txt the runtime set plus the dev extra.
LOCK_BASE := requirements/base.txt
LOCK_DEV := requirements/dev.txt
# pip-compile runs from a venv of its own, so the project's venv holds only what the lock names.
LOCK_VENV := $(VENV)/lock-tools
LOCK_TOOLS := pip==26.3 pip-tools==7.6.2
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--strip-extras --no-emit-index-url --no-emit-find-links --newline=lf $(LOCK_ARGS)
MYPY_PATHS := config deliberation votes meetings cms demo

.PHONY: demo test install install-dev system-deps translations messages lint format lock serve worker clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Install the lock first, then the project itself without resolving anything again, so nothing
# newer than the lock comes in.
$(VENV)/.installed: $(LOCK_BASE) pyproject.toml | $(PY)
	$(PIP) install --quiet -r $(LOCK_BASE)
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(LOCK_DEV) pyproject.toml | $(PY)
	$(PIP) install --quiet -r $(LOCK_DEV)
	$(PIP) install --quiet --no-deps -e .
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
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	SITE_URL=$(SITE_URL) $(PY) manage.py demo_banner --port $(PORT)
	@# The task worker renders minutes and notices beside the server, as in production;
	@# the loop closes polls whose deadline passed and sends the due reminders (poll closing,
	@# deadline tomorrow) and any notification still pending (cron or a timer in production).
	export TASKS_BACKEND=django_tasks_db.DatabaseBackend SITE_URL=$(SITE_URL); \
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	while :; do $(PY) manage.py close_due_polls; $(PY) manage.py send_due_reminders; sleep 60; done & closer=$$!; \
	trap 'kill $$worker $$closer 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install-dev system-deps translations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The gates .ci/run passes before the suites: lint, format, migrations in step with the models,
# types. Each fails the run on any finding.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/mypy $(MYPY_PATHS)

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the lock files from pyproject.toml (needs the package index); commit the result.
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release the ranges allow.
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install --quiet $(LOCK_TOOLS); }
	$(PIP_COMPILE) --output-file=$(LOCK_BASE) pyproject.toml
	$(PIP_COMPILE) --extra=dev --constraint=$(LOCK_BASE) --output-file=$(LOCK_DEV) pyproject.toml

worker: install
	$(PY) manage.py db_worker

clean:
	rm -rf $(VENV) db.sqlite3 static_collected media var
