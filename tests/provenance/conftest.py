"""Fixtures for owners, provenance, reproduction and publishing."""

import pytest
from rest_framework.test import APIClient

from runs import services, steps
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(fast_password_hashing):
    """Users here are made by the dozen (tests/conftest.py's cheap hasher for all)."""


@pytest.fixture
def owner(db):
    return UserFactory(username="painter")


@pytest.fixture
def other(db):
    return UserFactory(username="stranger")


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner_api(owner):
    return client_for(owner)


@pytest.fixture
def other_api(other):
    return client_for(other)


@pytest.fixture
def anon_api():
    return APIClient()


def render_here(recipe: str, inputs: list[str], owner=None, **extra) -> str:
    """Submit a run and render it in this process as the worker's task would
    (a small plan renders inline; no worker needed), returning the run id.
    In a `db` test the transaction never commits, so nothing is queued."""
    run, _ = services.run_submit(recipe=recipe, inputs=inputs, owner=owner, **extra)
    steps.schedule(run.id, task_id=run.task_id)
    run.refresh_from_db()
    assert run.status == "completed", run.error
    return run.id


@pytest.fixture
def completed_run(demo, owner):
    return render_here("dog", ["cat"], owner=owner, output_name="signed-dog")


@pytest.fixture(scope="session")
def publish_queue():
    from tests.conftest import SESSION

    return f"artdag-test-publish-{SESSION}"


# The publish worker's settings: a short timeout and backoff so the retry
# paths run in seconds; the token L2 stand-ins expect.
PUBLISH_TIMEOUT = 2
L2_TOKEN = "l2-secret-for-tests"


@pytest.fixture(scope="session")
def publish_worker(django_db_setup, django_db_blocker, data_dir, redis_url, publish_queue):
    """A real `celery worker` consuming only the publish queue, with its own L2 settings."""
    from django.db import connection

    from tests.conftest import run_worker, worker_env

    env = worker_env(data_dir, redis_url, connection.settings_dict["NAME"])
    env.update(L2_PUBLISH_TIMEOUT=str(PUBLISH_TIMEOUT), L2_PUBLISH_BACKOFF="1",
               L2_PUBLISH_MAX_RETRIES="1", L2_TOKEN=L2_TOKEN, L2_PUBLISH_QUEUE=publish_queue)
    yield from run_worker("publish", env, data_dir / "publish-worker.log", "-Q", publish_queue)
