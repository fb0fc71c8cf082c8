"""The admin an operator lands in: every list, search and detail page renders."""

import json
import re

import pytest

from runs import services, steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_run(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    steps.schedule(run.id, task_id=run.task_id)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("model", ["cache/cacheitem", "assets/asset", "runs/recipe", "runs/run"])
def test_every_admin_list_renders_and_searches(operator, a_run, model):
    assert operator.get(f"/admin/{model}/").status_code == 200
    assert operator.get(f"/admin/{model}/", {"q": a_run.output_id[:8]}).status_code == 200


def test_searching_runs_by_hash_prefix_finds_the_run(operator, a_run):
    page = operator.get("/admin/runs/run/", {"q": a_run.id[:10]}).content.decode()
    assert a_run.id in page


def read_only_value(page: str, field: str) -> str | None:
    """What the detail page shows, read-only, in the row of `field`: None
    when the page has no such row or the row is an input."""
    for row in page.split('<div class="form-row')[1:]:
        if row.startswith(f' field-{field}"'):
            match = re.search(r'<div class="readonly">(.*?)</div>', row, re.S)
            return match.group(1).strip() if match else None
    return None


@pytest.mark.parametrize("page, field", [
    ("run", "id"), ("run", "recipe_hash"), ("cacheitem", "content_hash"),
    ("recipe", "definition_hash"),
])
def test_detail_pages_show_each_hash_read_only(operator, a_run, page, field):
    # Each page's own hash fields: a run's id and its recipe's hash, an
    # item's content hash, a recipe's definition hash.
    obj, url = {"run": (a_run, f"/admin/runs/run/{a_run.id}/change/"),
                "cacheitem": (a_run.output, f"/admin/cache/cacheitem/{a_run.output_id}/change/"),
                "recipe": (a_run.recipe, f"/admin/runs/recipe/{a_run.recipe_id}/change/")}[page]
    response = operator.get(url)
    assert response.status_code == 200, url
    shown = response.content.decode()
    assert read_only_value(shown, field) == getattr(obj, field)
    assert f'name="{field}"' not in shown


def test_the_admin_needs_staff(client):
    assert client.get("/admin/runs/run/").status_code == 302


def test_the_recipe_list_shows_each_recipes_inputs_and_effects(operator, a_run):
    page = operator.get("/admin/runs/recipe/").content.decode()
    assert "sepia → contrast" in page and "left, right" in page


def test_editing_a_recipes_document_stores_it_as_a_new_version(operator, a_run):
    from runs.builtin import effect_chain
    from runs.models import Recipe

    recipe = Recipe.objects.get(name="invert")
    before = recipe.definition_hash
    document = effect_chain("invert", [("invert", {}), ("grayscale", {})])
    response = operator.post(f"/admin/runs/recipe/{recipe.pk}/change/", {
        "description": "negative, in grey", "definition": json.dumps(document)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    recipe.refresh_from_db()
    assert recipe.definition_hash != before and recipe.description == "negative, in grey"
    assert recipe.versions.filter(content_hash=recipe.definition_hash).exists()
    broken = {**document, "dag": {"nodes": [], "output": "x"}}
    response = operator.post(f"/admin/runs/recipe/{recipe.pk}/change/", {
        "description": "", "definition": json.dumps(broken)})
    assert response.status_code == 200 and "dag must have 1 to" in response.content.decode()

