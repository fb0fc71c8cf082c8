#!/usr/bin/env bash
# Start the web server, a Celery worker and beat together; Ctrl-C stops all
# three within 15 s whatever they are doing. A worker or beat that dies (the
# OOM killer, kill -9) is started again; the web server dying stops the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8100}"
# Seconds a stop waits for a clean exit (a render in progress finishing)
# before the worker's cold shutdown puts the renders back on the queue, and
# then for that before SIGKILL: 8 + 3, under the 15 s promised.
STOP_GRACE="${ARTDAG_STOP_GRACE:-8}"
STOP_COLD=3

worker="" beat="" web=""

start_worker() {
  "$BIN/celery" -A l1site worker --loglevel=INFO --concurrency="${ARTDAG_WORKER_CONCURRENCY:-2}" &
  worker=$!
}

# The sweep and reaper's clock (re-queues lost runs, reaps stuck ones).
start_beat() {
  "$BIN/celery" -A l1site beat --loglevel=INFO &
  beat=$!
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Wait up to $1 seconds for every pid after it to exit.
wait_gone() {
  local ticks=$(($1 * 10)) pid
  shift
  while [ "$ticks" -gt 0 ]; do
    local any=""
    for pid in "$@"; do alive "$pid" && any=1; done
    [ -z "$any" ] && return 0
    sleep 0.1
    ticks=$((ticks - 1))
  done
  return 1
}

stop() {
  trap - INT TERM EXIT
  echo "stopping (up to $((STOP_GRACE + STOP_COLD)) s) ..." >&2
  kill -TERM $web $beat $worker 2>/dev/null || true
  if ! wait_gone "$STOP_GRACE" $web $beat $worker; then
    # A render still running: the worker's cold shutdown ends it and hands
    # its message back to the queue (late acks), so the next start renders it.
    alive "$worker" && { echo "worker still busy: cold shutdown" >&2; kill -QUIT "$worker" 2>/dev/null || true; }
    wait_gone "$STOP_COLD" $web $beat $worker || true
  fi
  # Whatever is left (Celery's pool processes die with their worker).
  kill -KILL $web $beat $worker 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

start_worker
start_beat
echo "artdag L1 on http://127.0.0.1:${PORT}/  (API docs: /docs; data: ${ARTDAG_DATA_DIR:-~/.artdag})  Ctrl-C stops server and worker"
scripts/web.sh &
web=$!

while :; do
  # `wait` on a background sleep returns at once when Ctrl-C arrives.
  sleep 1 & wait $! || true
  if ! alive "$web"; then
    echo "the web server exited; stopping" >&2
    exit 1
  fi
  if ! alive "$worker"; then
    echo "the worker exited; starting another" >&2
    start_worker
  fi
  if ! alive "$beat"; then
    echo "beat exited; starting another" >&2
    start_beat
  fi
done
