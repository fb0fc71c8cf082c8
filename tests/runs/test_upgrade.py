"""Upgrading a server whose recipes were effect chains (migration 0009):
recipes become graph documents, chain runs stay readable as recorded, and
unfinished ones are planned again by the sweep under the graph path."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from runs import steps
from runs.recovery import run_sweep

BEFORE = [("runs", "0008_run_newest_keyset")]
CHAIN_DOG = {"inputs": 1, "output_format": None, "steps": [{"effect": "dog", "params": {
    "k": 1.6, "levels": 5, "line_strength": 1.0, "sharpness": 100.0, "sigma": 1.4,
    "threshold": 0.01}}]}
CHAIN_GREY = {"inputs": 1, "output_format": "gif", "steps": [
    {"effect": "grayscale", "params": {}}, {"effect": "posterize", "params": {"levels": 3}}]}


def latest():
    """Every app at its newest migration (later ones depend on 0009's schema)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def chain_server(transactional_db, demo):
    """The database as a server with effect chains left it: chain recipes, a
    completed chain run with its chain provenance, and a pending one."""
    old = migrate(BEFORE)
    try:
        Recipe, Run = old.get_model("runs", "Recipe"), old.get_model("runs", "Run")
        old.get_model("runs", "RecipeVersion").objects.all().delete()
        old.get_model("runs", "RunStep").objects.all().delete()
        old.get_model("runs", "Step").objects.all().delete()
        Recipe.objects.filter(name__in=["dog"]).update(
            kind="chain", definition=CHAIN_DOG, definition_hash="d" * 64)
        grey = Recipe.objects.create(name="grey-gif", kind="chain", definition=CHAIN_GREY,
                                     definition_hash="e" * 64, description="Grey, few levels.")
        dog = Recipe.objects.get(name="dog")
        cat = demo["cat"]
        record = {"run_id": "1" * 64, "task_id": "t", "effects": [
            {"name": "dog", "content_hash": "c" * 64, "params": CHAIN_DOG["steps"][0]["params"]}],
            "inputs": [{"name": "cat", "content_hash": cat}],
            "output": {"name": "dog-cat", "content_hash": cat}}
        Run.objects.create(id="1" * 64, recipe=dog, recipe_name="dog", recipe_hash="d" * 64,
                           inputs=[{"name": "cat", "content_hash": cat}], output_name="dog-cat",
                           status="completed", output_id=cat, provenance=record, task_id="t",
                           attempts=1, started_at=timezone.now(), finished_at=timezone.now())
        Run.objects.create(id="2" * 64, recipe=grey, recipe_name="grey-gif",
                           recipe_hash="e" * 64, inputs=[{"name": "cat", "content_hash": cat}],
                           output_name="grey-gif-cat", status="pending", task_id="lost")
    finally:
        migrate(latest())
    return demo


def test_chain_recipes_become_graph_documents_with_a_version_each(chain_server):
    from runs.models import Recipe, RecipeVersion

    dog, grey = Recipe.objects.get(name="dog"), Recipe.objects.get(name="grey-gif")
    assert dog.kind == grey.kind == "graph"
    assert dog.definition["params"]["sigma"]["default"] == 1.4  # the built-in document
    assert RecipeVersion.objects.get(content_hash=dog.definition_hash).document == dog.definition
    nodes = {n["id"]: n for n in grey.definition["dag"]["nodes"]}
    assert nodes["posterize"]["inputs"] == ["grayscale"]
    assert nodes["posterize"]["config"]["params"] == {"levels": 3}
    assert grey.definition["dag"]["output"] == {"output": "posterize"}
    assert "wrote gif" in grey.description
    assert RecipeVersion.objects.filter(content_hash=grey.definition_hash).exists()


def test_a_chain_run_stays_readable_as_it_was_recorded(chain_server, api, client):
    body = api.get(f"/runs/{'1' * 64}").json()
    assert body["status"] == "completed" and body["steps"] is None and body["params"] == {}
    assert body["provenance"]["effects"][0]["name"] == "dog"
    assert body["output_hash"] == chain_server["cat"]
    assert "1" * 64 in [r["run_id"] for r in api.get("/runs").json()["results"]]
    page = client.get(f"/runs/{'1' * 64}", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "dog-cat" in page.content.decode()
    live = client.get(f"/runs/{'1' * 64}/live", HTTP_ACCEPT="text/html")
    assert live.status_code == 200


def test_a_chain_run_cannot_be_reproduced_it_kept_no_plan(chain_server):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="kept no plan"):
        call_command("reproduce", "1" * 64)


def test_an_unfinished_chain_run_is_planned_again_by_the_sweep_and_renders(chain_server,
                                                                          monkeypatch):
    from runs import recovery
    from runs.models import Run

    sent = []  # the broker, here: a worker of the session must not take it first
    monkeypatch.setattr(recovery, "run_queue", lambda run_id, task_id: sent.append(task_id))
    assert run_sweep()["replanned"] == 1
    run = Run.objects.get(pk="2" * 64)
    assert run.status == "pending" and run.plan is not None and run.inline
    assert run.task_id != "lost" and sent == [run.task_id]
    steps.schedule(run.id, task_id=run.task_id)
    run.refresh_from_db()
    assert run.status == "completed", run.error
    assert run.output_id != chain_server["cat"]
    assert [s["node"] for s in run.provenance["steps"]] == ["grayscale", "image", "posterize"]
    assert run_sweep()["replanned"] == 0
