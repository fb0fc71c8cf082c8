#!/usr/bin/env bash
# Start the web server and a Celery worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8100}"

pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

"$BIN/celery" -A l1site worker --loglevel=INFO --concurrency="${ARTDAG_WORKER_CONCURRENCY:-2}" &
pids+=($!)
# The sweep and reaper's clock (re-queues lost runs, reaps stuck ones).
"$BIN/celery" -A l1site beat --loglevel=INFO &
pids+=($!)
echo "artdag L1 on http://127.0.0.1:${PORT}/  (API docs: /docs; data: ${ARTDAG_DATA_DIR:-~/.artdag})  Ctrl-C stops server and worker"
scripts/web.sh &
pids+=($!)
wait -n
