# make run: the admin with demo data on SQLite.  make test: lint and the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test test-pg test-scale test-faults scale-engines lint browser gettext messages bench deploy-check

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

# The admin, and beside it the direct sender (the demo's sandbox account writes var/outbox/),
# started again whenever it exits, as a service manager would (docs/faults.md).
# Development is asked for by name: with DJANGO_DEBUG unset the project is in production.
run: export DJANGO_DEBUG = 1
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Admin: http://127.0.0.1:8000/admin/  (Ctrl-C stops the server and the sender)"
	( trap 'kill $$child 2>/dev/null; exit 0' TERM; \
	  while :; do \
	    $(PY) manage.py send_queued --loop --idle-seconds 2 & child=$$!; wait $$child; \
	    echo "The sender stopped (exit $$?); starting it again in 2 s."; sleep 2; \
	  done ) & sender=$$!; \
	  trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# Debian's Chromium for the browser tests; never a browser downloaded by a tool.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium chromium-driver"; exit 1; fi; }

# GNU gettext for makemessages (the catalogue test runs it); nothing else needs it: the .mo
# files are committed and compiled in Python (manage.py compile_catalogues).
gettext:
	@command -v xgettext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
	  else echo "The catalogue test runs makemessages: sudo apt-get install gettext"; exit 1; fi; }

# After changing a text of ours: the catalogues take the new strings (translate them in
# locale/*/LC_MESSAGES/django.po), then the .mo files are compiled again (docs/languages.md).
messages: export DJANGO_DEBUG = 1
messages: setup gettext
	$(PY) manage.py makemessages $(foreach lang,$(LANGUAGES),-l $(lang)) --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compile_catalogues
LANGUAGES = en fr es
MESSAGES_IGNORE = -i ".venv/*" -i "var/*" -i "tests/*" -i "bench/*" -i "fixtures/*" -i "docs/*"

# mypy with the django-stubs plugin, configured in pyproject.toml. The plugin loads
# settings.test, which writes under its CAMPAIGNS_TEST_ROOT: mypy ends without running exit
# handlers, so the folder is made and removed here.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	root=$$(mktemp -d); CAMPAIGNS_TEST_ROOT=$$root $(VENV)/bin/mypy; status=$$?; rm -rf "$$root"; exit $$status

# The suite runs on every core (pytest-xdist; WORKERS=0 for a single process), a test file
# to a worker, so that the n8n end-to-end tests share one n8n (--dist loadfile: with pytest
# 9, xdist 3.8's loadgroup no longer groups anything). It must leave its temporary folder as
# it found it (tests/in_empty_tmp.sh).
WORKERS ?= auto
PYTEST := bash tests/in_empty_tmp.sh $(PY) -m pytest -n $(WORKERS) --dist loadfile

test: setup browser gettext lint
	DJANGO_SETTINGS_MODULE=settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PYTEST)
	$(PY) bench/run.py --tiny

# The same suite on PostgreSQL, in a throw-away cluster on loopback.
test-pg: setup browser
	bash .ci/with-postgres $(PYTEST)

# Scale-out on one machine (tests/scale/run.py): PostgreSQL, Redis, n8n in queue mode (a main
# and two workers), gunicorn and two senders against a quota-enforcing Gmail stand-in; a few
# minutes. n8n itself comes from the cached install the end-to-end tests use.
test-scale: setup scale-engines
	$(PY) tests/scale/run.py

# The fault tests (tests/faults/, docs/faults.md): each row of the fault table made real
# (PostgreSQL crashed, Gmail failing or hanging, a clock skewed, a disk full...) and the
# outbox checked after it; about ten minutes, each test with a time limit. As root (the
# full disk is a tmpfs it mounts). They run apart from the suite, without pytest-django.
test-faults: setup scale-engines
	$(PY) -m pytest tests/faults -p no:django -p no:cacheprovider --confcutdir=tests/faults \
	  -W ignore::pytest.PytestConfigWarning -v --durations=0 $(if $(K),-k "$(K)",)

# Debian's PostgreSQL and Redis, npm (which installs n8n's own Node) and faketime: CI starts
# bare. Only what is missing is installed: Debian's npm conflicts with a Node.js installed
# from elsewhere (nodesource's ships its own npm), so an npm already on PATH is kept.
scale-engines:
	@missing=""; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v npm >/dev/null || missing="$$missing npm"; \
	  command -v faketime >/dev/null || missing="$$missing faketime"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	    else echo "Needed: sudo apt-get install$$missing"; exit 1; fi; \
	  fi

# Django's deployment checklist with production settings (secrets made up for the check).
deploy-check: setup
	DJANGO_DEBUG=0 SECRET_KEY=deploy-check-$$(head -c 48 /dev/urandom | base64) \
	  FIELD_ENCRYPTION_KEY=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  ALLOWED_HOSTS=campaigns.example.com PUBLIC_BASE_URL=https://campaigns.example.com \
	  GOOGLE_CLIENT_ID=check GOOGLE_CLIENT_SECRET=check VAR_DIR=$$(mktemp -d) \
	  $(PY) manage.py check --deploy --fail-level WARNING

bench: setup
	$(PY) bench/run.py $(if $(SMALL),--small,)
