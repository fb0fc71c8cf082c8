#!/usr/bin/env bash
# The web server: gunicorn with threaded workers (keep-alive, TCP_NODELAY,
# sendfile for downloads). Static files are served by WhiteNoise.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/gunicorn l1site.wsgi:application \
  --bind "${BIND:-0.0.0.0:${PORT:-8100}}" \
  --worker-class gthread \
  --workers "${ARTDAG_WEB_WORKERS:-2}" \
  --threads "${ARTDAG_WEB_THREADS:-8}" \
  --timeout 120 --graceful-timeout 10 \
  --access-logfile - "$@"
