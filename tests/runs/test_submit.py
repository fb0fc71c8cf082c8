"""POST /runs bookkeeping: ids, inputs by position or name, params, dedup,
dispatch after commit, and a small plan rendered inline in this process."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cache.services import cache_store_bytes
from engine.canonical import hash_object
from engine.dag import plan as planning
from runs import services, steps
from runs.models import Recipe, Run, Step
from tests import images
from tests.helpers import upload

pytestmark = pytest.mark.django_db


def render_inline(run: Run, task_id: str = "t-1") -> Run:
    """What the worker's schedule_run task does with a small plan."""
    steps.schedule(run.id, task_id=task_id)
    run.refresh_from_db()
    return run


def test_the_run_id_is_the_documented_hash_of_the_recipe_version_and_the_planned_outputs(
        artist_api, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        body = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json").json()
    dog = Recipe.objects.get(name="dog")
    plan = planning.build(dog.definition, inputs=[demo["cat"]])
    assert body["run_id"] == hash_object({
        "recipe": {"name": "dog", "content_hash": dog.definition_hash},
        "outputs": plan.outputs})
    assert body["status"] == "pending" and len(queued) == 1
    assert body["inputs"] == [{"name": "image", "content_hash": demo["cat"]}]
    assert body["output_name"] == "dog-cat" and body["params"] == {}


def test_inputs_given_as_a_list_or_by_name_give_the_same_run(artist_api, demo,
                                                            django_capture_on_commit_callbacks):
    a, b = upload(artist_api, images.png(seed=1)), upload(artist_api, images.png(seed=2))
    with django_capture_on_commit_callbacks() as queued:
        listed = artist_api.post("/runs", {"recipe": "diptych", "inputs": [a, b]}, format="json")
        named = artist_api.post("/runs", {"recipe": "diptych",
                                          "inputs": {"right": b, "left": a}}, format="json")
    assert listed.status_code == 201 and named.status_code == 200, named.json()
    assert listed.json()["run_id"] == named.json()["run_id"]
    assert [i["name"] for i in named.json()["inputs"]] == ["left", "right"]
    assert len(queued) == 1 and Run.objects.count() == 1


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


def test_params_on_dog_change_the_run_id_and_the_output(artist_api, demo,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        plain = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
        bold = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"],
                                         "params": {"sigma": 3.0, "levels": 3}}, format="json")
    assert plain.status_code == bold.status_code == 201, bold.json()
    assert plain.json()["run_id"] != bold.json()["run_id"]
    assert bold.json()["params"] == {"sigma": 3.0, "levels": 3}
    first = render_inline(Run.objects.get(pk=plain.json()["run_id"]))
    second = render_inline(Run.objects.get(pk=bold.json()["run_id"]), task_id="t-2")
    assert first.status == second.status == "completed", (first.error, second.error)
    assert first.output_id != second.output_id
    ink = Step.objects.get(pk=second.plan["outputs"]["output"])
    assert ink.spec["config"]["params"]["sigma"] == 3.0 and ink.output_id == second.output_id


@pytest.mark.parametrize("params, words", [
    ({"sigma": 99}, "between"),
    ({"levels": "many"}, "number"),
    ({"colour": 1}, "unknown recipe param"),
])
def test_a_bad_param_is_refused_with_a_reason(artist_api, demo, params, words):
    response = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"], "params": params},
                               format="json")
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    assert not Run.objects.exists()


def test_nothing_is_queued_when_the_transaction_rolls_back(artist_api, demo,
                                                         django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as queued:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.run_submit(recipe="dog", inputs=["cat"])
            raise RuntimeError("caller failed after submitting")
    assert queued == [] and Run.objects.count() == 0


def test_a_small_still_plan_is_claimed_and_rendered_whole_by_one_task(demo):
    run, _ = services.run_submit(recipe="sepia-print", inputs=["cat"])
    assert run.inline and run.task_id
    run = render_inline(run, task_id=run.task_id)
    assert run.status == "completed" and run.attempts == 1 and run.output_id != demo["cat"]
    sepia, contrast = (Step.objects.get(spec__node=n) for n in ("sepia", "contrast"))
    assert sepia.status == contrast.status == "done" and contrast.output_id == run.output_id
    assert run.provenance["task_id"] == run.task_id
    assert [s["node"] for s in run.provenance["steps"]] == ["contrast", "image", "sepia"]
    # A redelivered message finds the run finished and renders nothing.
    steps.schedule(run.id, task_id="t-3")
    run.refresh_from_db()
    assert run.attempts == 1 and run.provenance["task_id"] == run.task_id


def test_a_run_whose_workers_keep_dying_is_failed_after_the_attempt_cap(demo, settings):
    run, _ = services.run_submit(recipe="invert", inputs=["cat"])
    Run.objects.filter(pk=run.pk).update(status="running", attempts=settings.MAX_RENDER_ATTEMPTS,
                                         heartbeat_at=None)
    # The same message comes back (reject_on_worker_lost), with its task id.
    steps.schedule(run.id, task_id=run.task_id)
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


def test_identity_of_a_still_completes_with_the_inputs_own_hash_and_renders_nothing(demo):
    run, _ = services.run_submit(recipe="identity", inputs=["cat"])
    assert run.plan["outputs"] == {"output": demo["cat"]}
    run = render_inline(run, task_id=run.task_id)
    assert run.status == "completed" and run.output_id == demo["cat"]
    assert not Step.objects.exclude(type="SOURCE").exists()


def test_an_inline_render_reads_once_before_it_starts_and_writes_once_at_the_end(demo, user):
    first, _ = services.run_submit(recipe="invert", inputs=["cat"], owner=user)
    render_inline(first, task_id=first.task_id)  # this process has loaded the engine
    fresh = cache_store_bytes(images.png(16, 16, seed=31), origin="uploaded").pk
    run, _ = services.run_submit(recipe="invert", inputs=[fresh], owner=user)
    with CaptureQueriesContext(connection) as queries:
        steps.schedule(run.id, task_id=run.task_id)
    sql = [q["sql"] for q in queries.captured_queries]
    verbs = [s.split()[0].upper() for s in sql]
    # The claim (which also reads the owner and counts the steps done) first;
    # the output's index row, its step and the completion in one transaction
    # last. Between them only the live events of the step (live.services)
    # are written, outside the render's transaction: what a stream shows.
    assert verbs[0] == "UPDATE" and sql[0].startswith('UPDATE "runs_run"'), sql[0]
    start = verbs.index("SAVEPOINT")
    assert verbs[start:] == ["SAVEPOINT", "INSERT", "UPDATE", "UPDATE", "RELEASE"], verbs
    between = [s for s, verb in zip(sql[1:start], verbs[1:start]) if verb != "SELECT"]
    assert between and all(s.startswith('INSERT INTO "live_') for s in between), between
    run.refresh_from_db()
    assert run.status == "completed" and run.output.origin == "rendered"
    assert run.output.owner == user and run.output.original_name.startswith(run.output_name)
    assert run.provenance["requested_by"] == "artist"
    assert run.provenance["rendered_by"].startswith("@artist@")


def test_an_inline_run_renders_only_the_steps_another_run_has_not(demo):
    sepia_only, _ = services.run_submit(recipe="sepia-print", inputs=["cat"])
    render_inline(sepia_only, task_id=sepia_only.task_id)
    sepia = Step.objects.get(spec__node="sepia")
    stronger, _ = services.run_submit(recipe="sepia-print", inputs=["cat"],
                                      params={"factor": 2.0})
    assert stronger.id != sepia_only.id
    stronger = render_inline(stronger, task_id=stronger.task_id)
    assert stronger.status == "completed" and stronger.output_id != sepia_only.output_id
    again = Step.objects.get(pk=sepia.pk)
    assert again.finished_at == sepia.finished_at and again.attempts == sepia.attempts
    assert {s["node"]: s["output"] for s in stronger.provenance["steps"]}["sepia"] == \
        sepia.output_id



def test_a_step_that_fails_fails_the_inline_run_by_name_and_an_internal_error_says_so(
        demo, monkeypatch):
    from engine.errors import EngineError

    run, _ = services.run_submit(recipe="sepia-print", inputs=["cat"])

    def broken(*args, **kwargs):
        raise EngineError("the effect refused this picture")

    monkeypatch.setattr("engine.effects.apply", broken)
    run = render_inline(run, task_id=run.task_id)
    assert run.status == "failed"
    assert run.error == "step 'sepia' (EFFECT) failed: the effect refused this picture"
    assert Step.objects.get(spec__node="sepia").status == "failed"
    monkeypatch.undo()
    monkeypatch.setattr(steps, "sign", lambda record: 1 / 0)
    again, queued = services.run_submit(recipe="sepia-print", inputs=["cat"])
    assert queued and Step.objects.get(spec__node="sepia").status == "pending"
    again = render_inline(again, task_id=again.task_id)
    assert again.status == "failed"
    assert again.error == "internal error while rendering: ZeroDivisionError: division by zero"
    assert again.output_id is None and again.provenance is None
