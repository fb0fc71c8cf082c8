"""Throttles and what else lives in Django's cache are shared by every web
process: two real gunicorn processes on one Redis, and two on the database's
cache table (the embedded mode), between them allow one budget, not one each.
A Redis that goes away costs throttling, never an answer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
import redis
import requests
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.conftest import ROOT
from tests.faults.conftest import test_database_url
from tests.faults.stack import PrivateRedis, Stack

BUDGET = 8  # anonymous requests a minute, for the servers started here
ANON_KEY = "throttle_anon_127.0.0.1"  # DRF's key: the scope and the client's address


def spend(urls: list[str], tries: int) -> list[int]:
    """GET /effects round the servers in turn; the statuses in order."""
    return [requests.get(urls[n % len(urls)] + "/effects", timeout=60).status_code
            for n in range(tries)]


def assert_one_budget(statuses: list[int]) -> None:
    assert statuses[:BUDGET] == [200] * BUDGET, repr(statuses)
    assert set(statuses[BUDGET:]) == {429}, statuses


@pytest.fixture
def redis_stack(django_db_setup, django_db_blocker, redis_url, tmp_path):
    with django_db_blocker.unblock():
        stack = Stack(database_url=test_database_url(), broker_url=redis_url, data_dir=tmp_path,
                      ARTDAG_THROTTLE_ANON=f"{BUDGET}/min")
    yield stack
    stack.stop()


def test_two_web_processes_on_redis_share_one_throttle_budget(redis_stack, transactional_db):
    urls = [redis_stack.web(), redis_stack.web()]
    cache.delete(ANON_KEY)  # what earlier tests and the servers' start-up checks spent
    assert_one_budget(spend(urls, 2 * BUDGET))
    refused = requests.get(urls[1] + "/effects", timeout=60)
    assert refused.json()["error"]["code"] == "throttled" and int(refused.headers["Retry-After"]) > 0
    cache.delete(ANON_KEY)


def test_two_web_processes_on_the_database_cache_share_one_throttle_budget(tmp_path):
    """`make run`'s mode: SQLite, a filesystem queue, no Redis anywhere."""
    data = tmp_path / "data"
    database = f"sqlite:///{data / 'db.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ARTDAG_CACHE_URL")}
    env.update(DATABASE_URL=database, CELERY_BROKER_URL="filesystem://localhost/",
               ARTDAG_DATA_DIR=str(data))
    data.mkdir()
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    with sqlite3.connect(data / "db.sqlite3") as db:  # made by migrate (l1site.apps)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'artdag_cache'").fetchone()
    os.environ.pop("ARTDAG_CACHE_URL", None)
    saved = os.environ.pop("REDIS_URL", None)  # the stack copies the environment
    try:
        stack = Stack(database_url=database, broker_url="filesystem://localhost/", data_dir=data,
                      ARTDAG_THROTTLE_ANON=f"{BUDGET}/min")
    finally:
        if saved is not None:
            os.environ["REDIS_URL"] = saved
    try:
        urls = [stack.web(), stack.web()]
        with sqlite3.connect(data / "db.sqlite3") as db:  # what their start-up checks spent
            db.execute("DELETE FROM artdag_cache")
        assert_one_budget(spend(urls, 2 * BUDGET))
    finally:
        stack.stop()
    with sqlite3.connect(data / "db.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM artdag_cache WHERE cache_key LIKE "
                          "'artdag-cache:%throttle_anon_%'").fetchone()[0] == 1


def test_a_web_process_whose_redis_cache_is_away_still_answers(
        django_db_setup, django_db_blocker, redis_url, tmp_path, transactional_db):
    own = PrivateRedis(tmp_path)
    own.start()
    with django_db_blocker.unblock():
        stack = Stack(database_url=test_database_url(), broker_url=redis_url, data_dir=tmp_path,
                      ARTDAG_CACHE_URL=own.url(), ARTDAG_THROTTLE_ANON="1000/min")
    try:
        url = stack.web()
        assert requests.get(url + "/effects", timeout=60).status_code == 200
        assert redis.Redis.from_url(own.url()).keys("artdag-cache:*")  # it was in use
        own.stop()
        for path in ("/effects", "/runs", "/cache", "/"):
            response = requests.get(url + path, timeout=60)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert "shared cache unavailable" in stack.procs[0].log()
    finally:
        stack.stop()
        own.stop()


def test_clearing_the_cache_leaves_the_brokers_keys_in_the_same_redis_db(redis_url):
    broker = redis.Redis.from_url(redis_url)
    broker.set("not-ours:queue-like", b"keep")
    cache.set("ours", 1)
    try:
        assert cache.get("ours") == 1
        cache.clear()
        assert cache.get("ours") is None
        assert broker.get("not-ours:queue-like") == b"keep"
    finally:
        broker.delete("not-ours:queue-like")


@pytest.mark.parametrize("value", ["memcached://127.0.0.1:11211", "locmem", "redis"])
def test_a_cache_url_that_is_neither_redis_nor_the_database_stops_start_up(value, tmp_path):
    env = {**os.environ, "ARTDAG_CACHE_URL": value, "ARTDAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ARTDAG_CACHE_URL must be a redis:// URL or 'database'" in result.stderr


def test_each_request_is_counted_in_one_budget_only(artist_api, user, db):
    """An anonymous client against the anonymous budget, a logged-in one
    against the user budget: one read and one write of the shared cache each."""
    for key in (ANON_KEY, "throttle_user_127.0.0.1", f"throttle_user_{user.pk}"):
        cache.delete(key)
    assert APIClient().get("/effects").status_code == 200
    assert len(cache.get(ANON_KEY)) == 1 and cache.get("throttle_user_127.0.0.1") is None
    assert artist_api.get("/effects").status_code == 200
    assert len(cache.get(f"throttle_user_{user.pk}")) == 1 and len(cache.get(ANON_KEY)) == 1
