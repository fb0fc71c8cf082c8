#!/usr/bin/env bash
# The web server: gunicorn managing uvicorn workers (ASGI), each an event loop
# with ARTDAG_WEB_THREADS threads for the ordinary views (live.asgi). Event
# streams (GET /events, GET /runs/{id}/events) wait on the event loop, not on
# a thread: hundreds of open run pages leave every thread free (BENCHMARKS.md,
# live). Cache downloads are one sendfile each (live.zerocopy). Static files
# are served by WhiteNoise.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/gunicorn live.asgi:application \
  --bind "${BIND:-0.0.0.0:${PORT:-8100}}" \
  --worker-class live.zerocopy.Worker \
  --workers "${ARTDAG_WEB_WORKERS:-2}" \
  --timeout 120 --graceful-timeout 10 \
  --access-logfile - "$@"
