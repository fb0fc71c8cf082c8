"""The admin an operator lands in: every list, search and detail page renders."""

import pytest
from django.test import Client

from runs import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def a_run(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    services.run_render(run.id, task_id="admin-test")
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("model", ["cache/cacheitem", "assets/asset", "runs/recipe", "runs/run"])
def test_every_admin_list_renders_and_searches(operator, a_run, model):
    assert operator.get(f"/admin/{model}/").status_code == 200
    assert operator.get(f"/admin/{model}/", {"q": a_run.output_id[:8]}).status_code == 200


def test_searching_runs_by_hash_prefix_finds_the_run(operator, a_run):
    page = operator.get("/admin/runs/run/", {"q": a_run.id[:10]}).content.decode()
    assert a_run.id in page


def test_detail_pages_render_read_only_hashes(operator, a_run):
    for url in (f"/admin/runs/run/{a_run.id}/change/",
                f"/admin/cache/cacheitem/{a_run.output_id}/change/",
                f"/admin/runs/recipe/{a_run.recipe_id}/change/"):
        response = operator.get(url)
        assert response.status_code == 200, url
        assert 'name="content_hash"' not in response.content.decode()


def test_the_admin_needs_staff(client):
    assert client.get("/admin/runs/run/").status_code == 302
