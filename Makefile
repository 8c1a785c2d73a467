# The two commands of the quick start, and a few more for developers.
#   make run   - install, migrate the embedded SQLite database, load the Minato demo data and
#                start the portal (web + worker) at http://127.0.0.1:8000
#   make test  - lint, check the import rules and run the whole test suite on SQLite and,
#                when reachable, PostgreSQL and Redis

SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
MANAGE := $(UV) run --frozen python manage.py
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/cityhall
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# The SQLite run has a Redis database of its own, so that both runs may go at once (make -j2):
# the RQ tests empty their database before and after each test.
SQLITE_REDIS_TEST_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test install pdf-deps lint test-deps test-sqlite test-postgres messages static bench bench-deps

$(UV):
	python3 -m pip install --quiet --user uv

# PDFs (receipts, counter forms) need Pango and a Japanese font; on the project's machines
# (root, Debian) this installs them, elsewhere it says what to install.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-ipaexfont-gothic fonts-ipaexfont-mincho

pdf-deps:
	@if ! fc-list :lang=ja family 2>/dev/null | grep -q IPAex || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null)) && \
	    echo "installed the PDF libraries and Japanese fonts"; \
	  else echo "PDFs need: $(PDF_PACKAGES) (install them with your package manager)"; fi; fi

install: $(UV) pdf-deps
	$(UV) sync --frozen
	@# The compiled catalogues are committed too; refresh them when gettext is present.
	@if command -v msgfmt >/dev/null && [ -d src/cityhall/locale ]; then cd src/cityhall && \
	  DJANGO_SETTINGS_MODULE=cityhall.settings PYTHONPATH=.. ../../.venv/bin/django-admin \
	  compilemessages -v0; fi

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_minato_demo
	$(MANAGE) run_portal

lint: install
	$(UV) run --frozen ruff check src bench
	$(UV) run --frozen lint-imports
	$(MANAGE) makemigrations --check --dry-run
	@# Every migration can be reversed: up, all the way down, and up again on a scratch database.
	@scratch=$$(mktemp -d) && export CITYHALL_DATA_DIR=$$scratch && \
	  $(MANAGE) migrate -v0 && \
	  for app in $$($(UV) run --frozen python -c "import os,sys;sys.path.insert(0,'src');os.environ['DJANGO_SETTINGS_MODULE']='cityhall.settings';import django;django.setup();from django.conf import settings;print(' '.join(a.rsplit('.',1)[1] for a in reversed(settings.CITYHALL_APPS)))"); do \
	    $(MANAGE) migrate $$app zero -v0 || exit 1; done && \
	  $(MANAGE) migrate -v0 && rm -rf $$scratch && echo "migrations reverse cleanly"
	CITYHALL_PRODUCTION=1 SECRET_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=cityhall.example EMAIL_HOST=smtp.cityhall.example \
	  $(MANAGE) check --deploy --fail-level WARNING

# The accessibility tests need axe-core (npm) and Debian's Chromium; on a fresh machine this
# installs both (apt needs root, as on the project's machines).
test-deps:
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel=error
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the browser tests will be skipped"

test-sqlite: install test-deps
	REDIS_TEST_URL=$(SQLITE_REDIS_TEST_URL) $(UV) run --frozen pytest -q

test-postgres: install test-deps
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || $(UV) run --frozen python -c "import psycopg; psycopg.connect('$(POSTGRES_URL)'.replace('/cityhall','/postgres')).close()" 2>/dev/null; then \
	  DATABASE_URL=$(POSTGRES_URL) REDIS_TEST_URL=$(REDIS_TEST_URL) $(UV) run --frozen pytest -q; \
	else echo "PostgreSQL is not reachable at 127.0.0.1:5432: skipping the PostgreSQL run"; \
	  [ -z "$$CI" ] || exit 1; fi

# The two runs go one after the other: side by side they would double the load of a 2-core CI
# machine, and browser waits and the engine's wall-clock search steps would then depend on
# what else runs. `make -j2 test-sqlite test-postgres` runs them at once where cores allow.
test: lint test-sqlite test-postgres

messages: install
	cd src/cityhall && DJANGO_SETTINGS_MODULE=cityhall.settings PYTHONPATH=.. \
	  ../../.venv/bin/django-admin makemessages -l ja -l en -l zh_Hans -l ko --no-obsolete \
	  -i "core/tests/*"
	cd src/cityhall && DJANGO_SETTINGS_MODULE=cityhall.settings PYTHONPATH=.. \
	  ../../.venv/bin/django-admin compilemessages

static:
	npm ci && scripts/vendor-static

# Benchmarks print their figures beside a baseline measured in the same run.
BENCHES := bench/core_bench.py bench/procedures_bench.py bench/payments_bench.py bench/bookings_bench.py bench/shelters_api_bench.py bench/alerts_bench.py bench/notifications_fanout_bench.py bench/reports_bench.py bench/faq_bench.py bench/opendata_bench.py bench/childcare_matching_bench.py bench/childcare_schedule_bench.py
# immunisation reminders and coverage (取組23)
BENCHES += bench/childcare_reminders_bench.py
# Result letters of nursery admission (取組7)
BENCHES += bench/childcare_letters_bench.py
# The shelter API bench drives the app with wrk beside nginx (Debian packages).
BENCH_PACKAGES := wrk nginx-light

bench-deps:
	@if ! command -v wrk >/dev/null || { ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null)) && \
	    echo "installed wrk and nginx for the benchmarks"; \
	  else echo "the shelter API bench needs: $(BENCH_PACKAGES) (install them with your package manager)"; fi; fi

bench: install bench-deps
	@for b in $(BENCHES); do echo "== $$b (SQLite)"; $(UV) run --frozen python $$b || exit 1; done
	@if pg_isready -q -h 127.0.0.1 -p 5432; then for b in $(BENCHES); do \
	  echo "== $$b (PostgreSQL)"; \
	  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS cityhall_bench" && \
	  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE cityhall_bench" && \
	  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
	  $(UV) run --frozen python $$b || exit 1; done; fi
