"""Fixtures for owners, provenance, reproduction and publishing."""

import pytest
from rest_framework.test import APIClient

from runs import services
from tests.factories import UserFactory


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
    """Submit a run and render it in this process with the real render service
    (no worker needed), returning the run id. In a `db` test the transaction
    never commits, so nothing is queued."""
    run, _ = services.run_submit(recipe=recipe, inputs=inputs, owner=owner, **extra)
    assert services.run_render(run.id, task_id=f"test-{run.id[:8]}") is not None, \
        type(run).objects.get(pk=run.id).error
    return run.id


@pytest.fixture
def completed_run(demo, owner):
    return render_here("dog", ["cat"], owner=owner, output_name="signed-dog")
