# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8100

.PHONY: install browser nginx run web worker beat test bench chaos clean-venv

# client/pyproject.toml: the client is installed from requirements.txt (-e ./client).
$(VENV)/.installed: requirements.txt client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Server on :$(PORT) plus one Celery worker; SQLite and a filesystem queue under
# ARTDAG_DATA_DIR (default ~/.artdag) unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) scripts/serve.sh

# Production processes (Procfile lists the same three): the web server alone,
# one worker per host (concurrency = its cores), and exactly one beat.
web: install
	scripts/web.sh

# One more worker (on this host or another one pointed at the same database and broker).
worker: install
	$(BIN)/celery -A l1site worker --loglevel=INFO --concurrency=$${ARTDAG_WORKER_CONCURRENCY:-2} -n render@%h

# The clock of the sweep and reaper (runs.tasks.sweep_runs every ARTDAG_SWEEP_INTERVAL s).
# Run exactly one per installation; `make run` starts one.
beat: install
	$(BIN)/celery -A l1site beat --loglevel=INFO

# Debian's Chromium for the browser tests (installed with apt-get when missing).
browser:
	scripts/ensure-chromium.sh

# Debian's nginx for the shared-cache tests (tests/test_proxy_cache.py runs its own).
nginx:
	scripts/ensure-nginx.sh

# The whole suite against real PostgreSQL, Redis and Celery worker processes,
# and a real headless Chromium for the pages.
test: install browser nginx
	scripts/with-services.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# Every figure, or some: make bench GROUPS="listing scaling"
bench: install
	scripts/with-services.sh $(BIN)/python -m benchmarks $(GROUPS)

# The chaos soak (benchmarks/chaos.py): load and random faults for MINUTES (default 10)
# in each mode, embedded and PostgreSQL+Redis, on private servers; the figures go to
# BENCHMARKS.md. SEED=n replays a soak's choices of load and faults.
chaos: install
	scripts/with-services.sh $(BIN)/python -m benchmarks.chaos --minutes $${MINUTES:-10} $(if $(SEED),--seed $(SEED))

clean-venv:
	rm -rf $(VENV)
