"""Fixtures for the fault tests: a stack of real processes per test, on the
session's test database (rows the test commits are what the processes see)
and, where the test breaks the broker or the database, on private servers."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

from .stack import Client, PrivatePostgres, PrivateRedis, Stack

_REPORT: list[dict] = []


def test_database_url() -> str:
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def fault_dir(tmp_path):
    (tmp_path / "data" / "cache" / "tmp").mkdir(parents=True)
    (tmp_path / "data" / "import").mkdir()
    return tmp_path


@pytest.fixture
def make_stack(transactional_db, fault_dir, redis_url, settings):
    """make_stack(broker_url=..., database_url=..., **env) -> Stack; every
    process it starts is killed at teardown. This process's cache dir is the
    stack's, so seeding and checks here see the same files."""
    stacks: list[Stack] = []
    settings.CACHE_DIR = fault_dir / "data" / "cache"

    def make(*, broker_url: str | None = None, database_url: str | None = None, **env) -> Stack:
        stack = Stack(database_url=database_url or test_database_url(),
                      broker_url=broker_url or redis_url, data_dir=fault_dir / "data", **env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def private_redis(fault_dir):
    workdir = fault_dir / "redis"
    workdir.mkdir()
    server = PrivateRedis(workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres():
    # Not under pytest's tmp dir: that is private to root, and the server runs
    # as the postgres user.
    workdir = Path(tempfile.mkdtemp(prefix="artdag-fault-pg-"))
    server = PrivatePostgres(workdir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def seeded(make_stack):
    """The demo asset and built-in recipes, and a user with an API token."""
    from runs.demo import seed_demo

    demo = seed_demo()
    user = UserFactory(username="faulty")
    return {"cat": demo["cat"], "user": user, "token": Token.objects.create(user=user).key}


def client(url: str, seeded: dict) -> Client:
    return Client(url, seeded["token"])


@pytest.fixture(scope="session")
def fault_report():
    """Counts each fault test reports (runs submitted, completed, lost,
    duplicated renders), written where ARTDAG_FAULTS_REPORT says, for
    docs/reliability.md."""
    yield _REPORT
    if path := os.environ.get("ARTDAG_FAULTS_REPORT"):
        with open(path, "w") as out:
            json.dump(_REPORT, out, indent=1)


@pytest.fixture
def report(fault_report, request):
    def add(**counts):
        fault_report.append({"test": request.node.name, **counts})
    return add

