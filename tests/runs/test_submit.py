"""POST /runs bookkeeping that needs no worker: ids, dedup, dispatch after commit."""

import pytest

from cache.services import cache_store_bytes
from engine.canonical import hash_object
from engine.recipe import effect_hashes
from runs import services
from runs.models import Recipe, Run
from tests import images
from tests.helpers import upload

pytestmark = pytest.mark.django_db


def test_the_run_id_is_the_documented_hash_of_recipe_effects_and_ordered_inputs(
        artist_api, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        body = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json").json()
    dog = Recipe.objects.get(name="dog")
    assert body["run_id"] == hash_object({
        "recipe": {"name": "dog", "definition_hash": dog.definition_hash},
        "effects": effect_hashes(dog.definition),
        "inputs": [demo["cat"]],
    })
    assert body["status"] == "pending" and len(queued) == 1
    assert body["inputs"] == [{"name": "cat", "content_hash": demo["cat"]}]


def test_naming_an_input_by_hash_or_by_asset_gives_the_same_run(artist_api, demo,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        by_name = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
        by_hash = artist_api.post("/runs", {"recipe": "dog", "inputs": [demo["cat"]]},
                                  format="json")
    assert by_name.status_code == 201 and by_hash.status_code == 200
    assert by_name.json()["run_id"] == by_hash.json()["run_id"]
    assert len(queued) == 1 and Run.objects.count() == 1


def test_swapping_inputs_gives_a_different_run(artist_api, demo, django_capture_on_commit_callbacks):
    a, b = upload(artist_api, images.png(seed=1)), upload(artist_api, images.png(seed=2))
    with django_capture_on_commit_callbacks():
        ab = artist_api.post("/runs", {"recipe": "diptych", "inputs": [a, b]}, format="json")
        ba = artist_api.post("/runs", {"recipe": "diptych", "inputs": [b, a]}, format="json")
    assert ab.json()["run_id"] != ba.json()["run_id"]
    assert [i["content_hash"] for i in ba.json()["inputs"]] == [b, a]


def test_nothing_is_queued_when_the_transaction_rolls_back(artist_api, demo,
                                                         django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as queued:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.run_submit(recipe="dog", inputs=["cat"])
            raise RuntimeError("caller failed after submitting")
    assert queued == [] and Run.objects.count() == 0


def test_a_render_whose_recipe_changed_after_submission_fails_with_a_reason(demo):
    run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    services.recipe_save(name="invert", definition={"steps": [{"effect": "grayscale"}]})
    assert services.run_render(run.id, task_id="t-1") is None
    run.refresh_from_db()
    assert run.status == "failed" and "recipe changed" in run.error
    assert run.finished_at is not None and run.attempts == 1


def test_a_run_whose_workers_keep_dying_is_failed_after_the_attempt_cap(demo, settings):
    run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    Run.objects.filter(pk=run.pk).update(status="running", attempts=settings.MAX_RENDER_ATTEMPTS)
    # The same message comes back (reject_on_worker_lost), with its task id.
    assert services.run_render(run.id, task_id=run.task_id) is None
    run.refresh_from_db()
    assert run.status == "failed" and "gave up after 3 attempts" in run.error
    assert run.output_id is None


def test_asking_again_for_a_failed_run_queues_it_again(demo, django_capture_on_commit_callbacks):
    run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    Run.objects.filter(pk=run.pk).update(status="failed", error="worker lost", attempts=3)
    with django_capture_on_commit_callbacks() as queued:
        again, was_queued = services.run_submit(recipe="invert", inputs=["cat"])
    assert was_queued and len(queued) == 1
    assert again.status == "pending" and again.error == "" and again.attempts == 0


def test_rendering_in_process_completes_the_run_with_output_and_provenance(demo):
    run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    output = services.run_render(run.id, task_id="t-2")
    run.refresh_from_db()
    assert run.status == "completed" and run.output_id == output != demo["cat"]
    assert run.provenance["task_id"] == "t-2"
    # A redelivered message finds the run finished and renders nothing.
    assert services.run_render(run.id, task_id="t-3") is None
    run.refresh_from_db()
    assert run.attempts == 1 and run.provenance["task_id"] == "t-2"


def test_a_render_reads_the_database_once_before_it_starts_and_writes_once_at_the_end(demo, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first, _ = services.run_submit(recipe="invert", inputs=["cat"], owner=user)
    services.run_render(first.id, task_id=first.task_id)  # this process now knows the recipe
    fresh = cache_store_bytes(images.png(16, 16, seed=31), origin="uploaded").pk
    run, _ = services.run_submit(recipe="invert", inputs=[fresh], owner=user)
    with CaptureQueriesContext(connection) as queries:
        output = services.run_render(run.id, task_id=run.task_id)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # The claim (which also reads the recipe's current hash and the owner),
    # then the output's index row and the completion in one transaction.
    assert statements == ["UPDATE", "SAVEPOINT", "INSERT", "UPDATE", "RELEASE"], statements
    run.refresh_from_db()
    assert run.status == "completed" and run.output_id == output
    assert run.provenance["requested_by"] == "artist"
    assert run.provenance["rendered_by"].startswith("@artist@")
