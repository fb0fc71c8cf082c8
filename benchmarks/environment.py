"""An isolated place to run the server: its own PostgreSQL database, Redis db
number, data dir and queue name, all removed again on exit.

Nothing here imports Django: the settings module reads the environment once,
so every Django process (manage.py, the server, the worker, the import child)
is a subprocess started with ``env``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from .common import ROOT, log

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class BenchEnv(contextlib.ExitStack):
    """Use as ``with BenchEnv() as env:``; every resource it takes is pushed
    onto the exit stack the moment it exists, so a failure half-way through
    set-up still releases what was already taken."""

    def __enter__(self) -> "BenchEnv":
        super().__enter__()
        self.sid = secrets.token_hex(4)
        self.python = sys.executable
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"artdag-bench-{self.sid}-"))
        self.callback(shutil.rmtree, self.data_dir, ignore_errors=True)
        self.import_dir = self.data_dir / "import"
        self.import_dir.mkdir()
        self.cache_dir = self.data_dir / "cache"
        self.queue = f"artdag-bench-{self.sid}"
        try:
            self.database_url = self._create_database()
            self.redis_url = self._claim_redis_db()
            self.env = self._child_env()
            log(f"database {self.db_name}, redis db {self.redis_db}, data dir {self.data_dir}")
            self.manage("migrate", "--noinput")
            self.manage("seed_demo")
            self.token = self._make_token()
        except BaseException:
            self.close()
            raise
        return self

    # --- PostgreSQL -------------------------------------------------------
    def _create_database(self) -> str:
        base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        self.db_name = f"artdag_bench_{self.sid}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
        self.callback(self._drop_database, base)
        return urlunsplit(urlsplit(base)._replace(path=f"/{self.db_name}"))

    def _drop_database(self, base: str) -> None:
        # FORCE ends the server's and worker's pooled connections if any survived.
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(self.db_name)))

    # --- Redis ------------------------------------------------------------
    def _claim_redis_db(self) -> str:
        base = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        parts = urlsplit(base)
        admin = redis.Redis.from_url(urlunsplit(parts._replace(path="/0")))
        self.callback(admin.close)
        # From 15 down: the test suite claims from 1 up (under its own key
        # prefix), and a db that already holds keys belongs to someone.
        for number in range(15, 0, -1):
            if admin.exists(f"artdag-test-claim:{number}"):
                continue
            url = urlunsplit(parts._replace(path=f"/{number}"))
            if not admin.set(f"artdag-bench-claim:{number}", self.sid, nx=True, ex=3600):
                continue
            db = redis.Redis.from_url(url)
            if db.dbsize():
                admin.delete(f"artdag-bench-claim:{number}")
                db.close()
                continue
            self.redis_db = number
            db.flushdb()
            self.callback(admin.delete, f"artdag-bench-claim:{number}")
            self.callback(db.close)
            self.callback(db.flushdb)
            return url
        raise RuntimeError("no free Redis db number (1-15) for the benchmarks")

    # --- Django processes --------------------------------------------------
    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="l1site.settings",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.redis_url,
            REDIS_URL=self.redis_url,
            ARTDAG_DATA_DIR=str(self.data_dir),
            ARTDAG_CACHE_DIR=str(self.cache_dir),
            ARTDAG_IMPORT_ROOTS=str(self.import_dir),
            ARTDAG_QUEUE=self.queue,
            # Thumbnails on a queue of their own that no benchmark worker
            # consumes (as production can: docs/scaling.md): the figures time
            # renders, and a render's thumbnails are deferrable page furniture.
            ARTDAG_THUMB_QUEUE=f"{self.queue}-thumbs",
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args: str) -> str:
        done = subprocess.run([self.python, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def _make_token(self) -> str:
        out = self.manage("shell", "-c", (
            "from django.contrib.auth import get_user_model\n"
            "from rest_framework.authtoken.models import Token\n"
            "user, _ = get_user_model().objects.get_or_create("
            "username='bench', defaults={'is_staff': True})\n"
            "print('TOKEN=' + Token.objects.get_or_create(user=user)[0].key)\n"))
        return next(line[6:] for line in out.splitlines() if line.startswith("TOKEN="))

    def cache_file(self, content_hash: str) -> Path:
        return self.cache_dir / content_hash[:2] / content_hash[2:4] / content_hash
