# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
SITE_URL ?= http://127.0.0.1:$(PORT)
DEV := DJANGO_DEBUG=1 SITE_URL=$(SITE_URL)

.PHONY: help install browser-deps screenshots run worker test test-fast migrate seed check-deploy clean serve check-prod system-tools bench bench-big fuzz federation-check

help:
	@echo "make run    - install, migrate, load the seed post, serve at http://127.0.0.1:$(PORT)/"
	@echo "make test   - the whole test suite (set DATABASE_URL to run it on PostgreSQL)"
	@echo "make serve  - production: check the settings, collect static files, migrate, run gunicorn"
	@echo "make worker - production: the task worker that sends emails (docs/OPERATIONS.md)"
	@echo "make check-prod - the system scripts (two instances, concurrency, load, faults); a summary"
	@echo "make fuzz   - the fuzz suite's long run (FUZZ_SECONDS, default 1500); prints the inputs tried per target"
	@echo "make bench  - post pages beside the peer (django-comments-xtd) and the floor, the spam filter (docs/PERFORMANCE.md)"
	@echo "make federation-check - the blog's actor checked by fediverse-pasture (docs/FEDERATION.md)"
	@echo "make bench-big - 100,000 posts and 1,000,000 comments on PostgreSQL: page times and query plans"

# The virtualenv is rebuilt only when requirements.txt changes.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(BIN)/.installed

# The browser tests (tests/e2e/) drive Debian's Chromium through Playwright, which never
# downloads a browser of its own, and inject axe-core, installed from package-lock.json.
CHROMIUM ?= /usr/bin/chromium

browser-deps: node_modules/.installed $(CHROMIUM)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

migrate: install
	$(DEV) $(MANAGE) migrate --noinput

seed: migrate
	$(DEV) $(MANAGE) load_seed

# The task worker (emails) runs beside the dev server; Ctrl-C, or the server stopping,
# stops both.
run: seed
	@$(DEV) $(MANAGE) ensure_local_admin
	@$(DEV) $(MANAGE) worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(DEV) $(MANAGE) runserver 127.0.0.1:$(PORT)

# Production's task worker (deploy/systemd/blog-worker.service runs the same command).
worker: install
	exec $(BIN)/python manage.py worker

test: install browser-deps
	$(BIN)/python -m pytest

# The fuzz suite (tests/fuzz/, docs/SECURITY.md): `make test` runs its short, fixed
# profile; this runs fresh random inputs until FUZZ_SECONDS are spent, shared among the
# targets, and prints how many inputs each target tried and how the site answered.
FUZZ_SECONDS ?= 1500
fuzz: install
	FUZZ_PROFILE=long FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/fuzz -q

# docs/screenshots/*.png, photographed from a throwaway copy of the running site.
screenshots: install browser-deps
	$(BIN)/python scripts/screenshots.py

# Django's deployment checklist with production values (debug off, a secret key, allowed
# hosts, https behind one trusted proxy): any warning fails.
check-deploy: install
	DJANGO_DEBUG=0 DJANGO_HTTPS=1 TRUSTED_PROXY_COUNT=1 DJANGO_ALLOWED_HOSTS=blog.example.com \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(MANAGE) check --deploy --fail-level WARNING

# Production (docs/DEPLOY.md): refuses an unsafe configuration before anything else runs;
# gunicorn takes its workers, timeouts and bind address from the environment
# (config/gunicorn.conf.py).
serve: install
	$(BIN)/python manage.py check_production
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput
	PORT=$(PORT) exec $(BIN)/gunicorn --config config/gunicorn.conf.py config.wsgi

# The system scripts drive real gunicorn servers against PostgreSQL and Redis on this
# machine (loopback only); the load script needs wrk and the proxy script nginx, both
# from Debian's packages.
system-tools:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk nginx-light; }

check-prod: install system-tools
	$(BIN)/python -m tests.system.run_all

# Benchmarks: figures, not pass/fail tests, and never part of `make test` or CI.
# bench/run.py builds the peer's virtualenv and its data under bench/.work/ by itself.
bench: install
	@command -v wrk >/dev/null || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cold_parts.py
	$(BIN)/python bench/markdown_pathological.py
	$(BIN)/python bench/image_uploads.py
	$(BIN)/python bench/restarts.py
	$(BIN)/python bench/spam.py

# A big blog on PostgreSQL: generated once (about 6 minutes), then timed and EXPLAINed.
BIG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/blog_bench_big
bench-big: install
	@psql "$(dir $(BIG_DATABASE_URL))postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(BIG_DATABASE_URL))'" | grep -q 1 \
	  || psql "$(dir $(BIG_DATABASE_URL))postgres" -c "CREATE DATABASE $(notdir $(BIG_DATABASE_URL))"
	DATABASE_URL=$(BIG_DATABASE_URL) $(DEV) $(MANAGE) migrate --noinput -v0
	@DATABASE_URL=$(BIG_DATABASE_URL) $(DEV) $(MANAGE) shell -c "from blog.models import Post; raise SystemExit(Post.objects.count() < 100000)" \
	  || DATABASE_URL=$(BIG_DATABASE_URL) $(DEV) $(MANAGE) generate_content --posts 100000 --comments 1000000
	DATABASE_URL=$(BIG_DATABASE_URL) $(BIN)/python bench/big.py

# An interoperability check, never part of `make test` or CI: fediverse-pasture (from
# PyPI, in a virtualenv of its own so its dependencies never meet the app's pins) checks
# the blog's actor, WebFinger, inbox and a reply on loopback (docs/FEDERATION.md).
FEDERATION_VENV ?= .venv-federation

$(FEDERATION_VENV)/.installed: scripts/federation-check-requirements.txt
	test -x $(FEDERATION_VENV)/bin/python || $(PYTHON) -m venv $(FEDERATION_VENV)
	$(FEDERATION_VENV)/bin/python -m pip install --disable-pip-version-check -q -r scripts/federation-check-requirements.txt
	touch $@

federation-check: install $(FEDERATION_VENV)/.installed
	PASTURE_PYTHON=$(FEDERATION_VENV)/bin/python $(BIN)/python scripts/federation_check.py

clean:
	rm -rf $(VENV) $(FEDERATION_VENV) staticfiles .pytest_cache node_modules test-artifacts
