"""Shared fixtures: a real PostgreSQL test database, a Redis db number of our
own, a cache dir per session and a real Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
SESSION = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("the suite runs against PostgreSQL: use `make test` or set DATABASE_URL", 2)
    # Our own database name, so two suites on one server never collide.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_artdag_{SESSION}"


@pytest.fixture(scope="session")
def redis_url():
    """Claim a free Redis db number for this session and empty it afterwards."""
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    admin = redis.Redis.from_url(urlunsplit(parts._replace(path="/0")))
    for number in range(1, 16):
        if admin.set(f"artdag-test-claim:{number}", SESSION, nx=True, ex=4 * 3600):
            break
    else:
        pytest.exit("no free Redis db number (1-15) for the test session", 2)
    url = urlunsplit(parts._replace(path=f"/{number}"))
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()
    admin.delete(f"artdag-test-claim:{number}")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("artdag-data")


@pytest.fixture(scope="session", autouse=True)
def artdag_settings(data_dir, redis_url):
    """Point this process at the session's data dir and broker before any test runs."""
    from l1site.celery import app

    settings.DATA_DIR = data_dir
    settings.CACHE_DIR = data_dir / "cache"
    settings.IMPORT_ROOTS = [data_dir / "import"]
    (data_dir / "import").mkdir(exist_ok=True)
    (settings.CACHE_DIR / "tmp").mkdir(parents=True, exist_ok=True)
    settings.CELERY_TASK_DEFAULT_QUEUE = f"artdag-test-{SESSION}"
    app.conf.update(broker_url=redis_url, task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                    broker_transport_options={**app.conf.broker_transport_options,
                                              "visibility_timeout": 3600})
    # Django's cache (throttle counters and the like) in the session's Redis
    # db too, shared with the servers and workers the tests start there.
    import django.test.signals  # noqa: F401 - its receiver swaps the cache handlers
    from django.test.signals import setting_changed

    settings.CACHES = {"default": {"BACKEND": "l1site.shared_cache.SharedRedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": "artdag-cache"}}
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)
    yield


def worker_env(data_dir: Path, redis_url: str, db_name: str) -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db_name}",
        CELERY_BROKER_URL=redis_url,
        ARTDAG_DATA_DIR=str(data_dir),
        ARTDAG_CACHE_DIR=str(data_dir / "cache"),
        ARTDAG_IMPORT_ROOTS=str(data_dir / "import"),
        ARTDAG_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
    )
    return env


def run_worker(name: str, env: dict, log_path: Path, *extra: str):
    """Start a real `celery worker` process (prefork, two children), yield it
    once it is ready, and stop it: the body of a worker fixture."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "l1site", "worker", "--loglevel=INFO",
             "--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle",
             *extra, f"--hostname={name}-{SESSION}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{name} worker did not start:\n"
                        + log_path.read_text(errors="replace")[-4000:])
        time.sleep(0.1)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, data_dir, redis_url):
    """A real `celery worker` process on the test database."""
    from django.db import connection

    env = worker_env(data_dir, redis_url, connection.settings_dict["NAME"])
    yield from run_worker("test", env, data_dir / "worker.log")


@pytest.fixture
def worker(celery_worker_process, transactional_db):
    """Tests that render need committed rows (the worker reads them) and the worker."""
    return celery_worker_process


@pytest.fixture
def demo(db):
    from runs.demo import seed_demo

    return seed_demo()


@pytest.fixture
def user(db):
    return UserFactory(username="artist")


@pytest.fixture
def staff(db):
    return UserFactory(username="operator", is_staff=True)


@pytest.fixture
def fast_password_hashing(settings):
    """A cheap password hasher, for tests that make users by the dozen or
    check many logins in this process: the production hasher's cost (about a
    second a password on a busy machine) buys them nothing. Servers and
    workers the tests start keep the real one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def unreachable_broker():
    """This process's Celery app pointed at a port nothing listens on (port
    1) for the length of the test, then back at the session's Redis."""
    from l1site.celery import app

    reachable = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = reachable


@pytest.fixture
def operator(db):
    """A browser logged in to the admin as a superuser."""
    from django.test import Client

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def artist_api(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def staff_api(staff):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(staff)
    return client
