#!/usr/bin/env bash
# Run a command with a real PostgreSQL and Redis.
# Uses DATABASE_URL / REDIS_URL when set; otherwise the local servers on their
# standard ports if they answer; otherwise throwaway servers in a temp dir,
# installing them from Debian's packages if they are absent.
set -euo pipefail
cd "$(dirname "$0")/.."

cleanup=()
on_exit() { for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT

need() {  # need BINARY PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/"$1" >/dev/null 2>&1 && return 0
  echo "installing $2 ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -z "${DATABASE_URL:-}" ]; then
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    need pg_ctl postgresql
    pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")
    dir=$(mktemp -d /tmp/artdag-pg.XXXXXX); chown postgres "$dir" 2>/dev/null || true
    port=$(free_port)
    runas() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    runas "$pgbin/initdb -D $dir/data -U postgres -A trust >/dev/null"
    runas "$pgbin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l $dir/log -w start >/dev/null"
    cleanup+=("runas '$pgbin/pg_ctl -D $dir/data -m immediate stop' >/dev/null; rm -rf '$dir'")
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  fi
fi

if [ -z "${REDIS_URL:-}" ]; then
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    export REDIS_URL="redis://127.0.0.1:6379/0"
  else
    need redis-server redis-server
    dir=$(mktemp -d /tmp/artdag-redis.XXXXXX); port=$(free_port)
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$dir" --pidfile "$dir/pid" --logfile "$dir/log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    cleanup+=("kill \$(cat '$dir/pid'); rm -rf '$dir'")
    export REDIS_URL="redis://127.0.0.1:$port/0"
  fi
fi

if [ -z "${ARTDAG_DATA_DIR:-}" ]; then
  # Keep the suite's state out of the operator's ~/.artdag.
  ARTDAG_DATA_DIR=$(mktemp -d /tmp/artdag-data.XXXXXX); export ARTDAG_DATA_DIR
  cleanup+=("rm -rf '$ARTDAG_DATA_DIR'")
fi

echo "using DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL" >&2
"$@"
