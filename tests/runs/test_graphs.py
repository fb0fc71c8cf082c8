"""Graph recipes through the API: versions, per-node errors, plans and step claims."""

from datetime import timedelta

import pytest
from django.utils import timezone

from engine.dag import synth
from runs import services, steps
from runs.models import Recipe, RecipeVersion, Run, Step
from tests.helpers import upload

pytestmark = pytest.mark.django_db

TINT = """
name: tint
description: Warm hue, then more contrast.
params:
  turn: {type: float, default: 20, minimum: -180, maximum: 180}
dag:
  nodes:
    - {id: picture, type: SOURCE, config: {input: true, name: picture}}
    - {id: warm, type: TRANSFORM, inputs: [picture], config: {op: hue, amount: {param: turn}}}
    - {id: punch, type: TRANSFORM, inputs: [warm], config: {op: contrast, amount: 1.3}}
  output: punch
"""


def post_recipe(client, text: str):
    return client.post("/recipes", text, content_type="application/yaml")


def test_a_graph_recipe_is_stored_as_a_version_under_its_hash(artist_api):
    response = post_recipe(artist_api, TINT)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "tint" and body["latest"] and body["owner"] == "artist"
    assert body["source"] == TINT and len(body["content_hash"]) == 64
    # Comments and whitespace are not part of the recipe: same hash, nothing new.
    again = post_recipe(artist_api, "# tweaked spacing\n" + TINT.replace(": ", ":  "))
    assert again.status_code == 200 and again.json()["content_hash"] == body["content_hash"]
    assert RecipeVersion.objects.filter(recipe__name="tint").count() == 1


def test_a_changed_recipe_becomes_the_latest_and_old_versions_stay_readable(artist_api):
    first = post_recipe(artist_api, TINT).json()["content_hash"]
    second = post_recipe(artist_api, TINT.replace("amount: 1.3", "amount: 1.5")).json()
    detail = artist_api.get("/recipes/tint").json()
    assert detail["kind"] == "graph" and detail["definition_hash"] == second["content_hash"]
    assert [v["content_hash"] for v in detail["versions"]] == [second["content_hash"], first]
    old = artist_api.get(f"/recipes/tint/{first}").json()
    assert old["latest"] is False and "1.3" in old["source"]
    assert artist_api.get(f"/recipes/tint/{'0' * 64}").status_code == 404


def test_json_documents_are_accepted_too(artist_api):
    import yaml

    response = artist_api.post("/recipes", yaml.safe_load(TINT), format="json")
    assert response.status_code == 201
    assert response.json()["content_hash"] == post_recipe(artist_api, TINT).json()["content_hash"]


def test_an_invalid_recipe_gets_a_400_with_an_error_per_node_and_stores_nothing(artist_api):
    broken = TINT.replace("op: hue", "op: spin").replace("amount: 1.3", "amount: 900")
    response = post_recipe(artist_api, broken)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_recipe"
    assert {e["node"] for e in error["details"]["errors"]} == {"warm", "punch"}
    assert not Recipe.objects.filter(name="tint").exists()


@pytest.mark.parametrize("text, words", [
    ("name: x\n  bad: [\n", "line"),
    ("a: &x [1]\nb: *x\n", "aliases"),
    ("- just\n- a list\n", "mapping"),
    ('name: x\ndescription: "a\\0b"\ndag: {nodes: [{id: a, type: SOURCE, config: '
     '{input: true, name: a}}], output: a}\n', "NUL"),
    ("name: dog\ndag: {nodes: [{id: a, type: SOURCE, config: {input: true, name: a}}], "
     "output: a}\n", "built-in"),
])
def test_broken_or_hostile_recipe_text_is_refused_clearly(artist_api, text, words):
    response = post_recipe(artist_api, text)
    assert response.status_code in (400, 409)
    assert words in response.json()["error"]["message"]


def test_anonymous_clients_cannot_store_recipes(api):
    assert post_recipe(api, TINT).status_code in (401, 403)
    assert not Recipe.objects.filter(name="tint").exists()


def test_a_plan_lists_steps_with_cache_ids_and_says_nothing_is_cached_yet(artist_api, demo):
    post_recipe(artist_api, TINT)
    response = artist_api.post("/runs/plan", {"recipe": "tint", "inputs": {"picture": "cat"},
                                              "params": {"turn": 45}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [s["node"] for s in body["steps"]] == ["picture", "warm", "punch"]
    assert [s["cached"] for s in body["steps"]] == [True, False, False]
    assert body["steps"][0]["cache_id"] == demo["cat"]
    assert body["outputs"] == {"output": body["steps"][2]["cache_id"]}
    assert not Run.objects.exists() and not Step.objects.exists()


@pytest.mark.parametrize("payload, words", [
    ({"recipe": "tint", "inputs": {"picture": "cat"}, "params": {"turn": 999}}, "between"),
    ({"recipe": "tint", "inputs": {"picture": "cat"}, "params": {"spin": 1}}, "unknown"),
    ({"recipe": "tint", "inputs": {"photo": "cat"}}, "missing picture"),
    ({"recipe": "tint", "inputs": ["cat", "cat"]}, "takes 1 input"),
    ({"recipe": "tint", "inputs": {"picture": "f" * 64}}, "no cached content"),
    ({"recipe": "tint", "inputs": {"picture": "nobody"}}, "neither"),
    ({"recipe": "tint", "inputs": {"picture": ["cat"]}}, "one item"),
    ({"recipe": "dog", "inputs": ["cat"], "params": {"sigma": 99}}, "between"),
])
def test_bad_plans_are_refused_with_a_reason(artist_api, demo, payload, words):
    post_recipe(artist_api, TINT)
    response = artist_api.post("/runs/plan", payload, format="json")
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


def test_a_built_in_recipe_plans_like_any_graph_with_its_effect_params(artist_api, demo):
    response = artist_api.post("/runs/plan", {"recipe": "pixel-art", "inputs": {"image": "cat"},
                                              "params": {"block": 4}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(s["node"], s["type"]) for s in body["steps"]] == [
        ("image", "SOURCE"), ("pixelate", "EFFECT"), ("posterize", "EFFECT")]
    assert body["steps"][1]["config"]["params"] == {"block": 4}
    assert body["steps"][2]["config"]["params"] == {"levels": 6}
    assert not Run.objects.exists()


def test_a_built_in_recipe_lists_its_effects_params_with_types_ranges_and_defaults(api, demo):
    body = api.get("/recipes/sepia-print").json()
    assert body["kind"] == "graph" and body["inputs"] == ["image"]
    params = body["document"]["params"]
    assert params["factor"] == {"type": "float", "default": 1.2, "minimum": 0.0, "maximum": 4.0,
                                "choices": None, "help": "0 is flat grey, 1 unchanged, >1 more "
                                                         "contrast"}
    assert [s["effect"]["name"] for s in body["steps"]] == ["sepia", "contrast"]
    assert body["steps"][1]["params"] == {"factor": 1.2}
    assert body["versions"] and body["versions"][0]["content_hash"] == body["definition_hash"]


def test_a_claim_whose_lease_ran_out_is_taken_over(artist_api, demo,
                                                   django_capture_on_commit_callbacks):
    post_recipe(artist_api, TINT)
    with django_capture_on_commit_callbacks(execute=False):
        run = artist_api.post("/runs", {"recipe": "tint", "inputs": ["cat"]}, format="json").json()
    warm = Step.objects.get(type="TRANSFORM", spec__node="warm")
    live = timezone.now() + timedelta(seconds=60)
    Step.objects.filter(pk=warm.pk).update(status="running", lease_owner="elsewhere",
                                           lease_expires_at=live)
    # A live lease held by another worker: this one waits about that long.
    assert 50 < steps.render(warm.pk, owner="here") <= 60
    Step.objects.filter(pk=warm.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False):
        assert steps.render(warm.pk, owner="here") is None
    warm.refresh_from_db()
    assert warm.status == "done" and warm.attempts == 1 and warm.output_id
    assert warm.provenance["run_id"] == run["run_id"] and warm.provenance["node"] == "warm"


def test_uploaded_video_and_sound_are_accepted_as_graph_inputs(artist_api, demo):
    post_recipe(artist_api, TINT)
    clip = upload(artist_api, synth.as_file(synth.clip(seconds=0.5))[0], "clip.mp4")
    response = artist_api.post("/runs/plan", {"recipe": "tint", "inputs": [clip]}, format="json")
    assert response.status_code == 200 and response.json()["steps"][0]["cache_id"] == clip


def test_a_schedule_message_for_a_long_plan_queues_its_ready_steps(
        artist_api, demo, django_capture_on_commit_callbacks):
    post_recipe(artist_api, TINT)
    with django_capture_on_commit_callbacks(execute=False):
        run_id = artist_api.post("/runs", {"recipe": "tint", "inputs": ["cat"]},
                                 format="json").json()["run_id"]
    Run.objects.filter(pk=run_id).update(inline=False)  # as a plan too big for one task
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        steps.schedule(run_id, task_id="swept")
    # Besides the run's "running" event (live.services.event_emit), one
    # message: the one ready step (warm), not the whole run.
    queued = [c for c in callbacks if c.__qualname__.startswith("_queue_steps")]
    assert len(queued) == 1 and len(callbacks) == 2
    assert Run.objects.get(pk=run_id).status == "running"
    assert Step.objects.get(spec__node="warm").status == "pending"


def test_a_source_may_name_an_asset_in_the_recipe_itself(artist_api, demo):
    post_recipe(artist_api, """
name: framed-cat
dag:
  nodes:
    - {id: cat, type: SOURCE, config: {asset: cat}}
    - {id: small, type: RESIZE, inputs: [cat], config: {width: 32, height: 32, mode: pad}}
  output: small
""")
    body = artist_api.post("/runs/plan", {"recipe": "framed-cat", "inputs": {}},
                           format="json")
    assert body.status_code == 200, body.json()
    assert body.json()["steps"][0]["cache_id"] == demo["cat"]


def test_a_recipe_over_the_size_limit_is_refused(db, settings):
    settings.MAX_RECIPE_BYTES = 256
    from runs.builtin import effect_chain
    from runs.graphs import recipe_post

    with pytest.raises(services.DomainError, match="the limit is 256") as refused:
        recipe_post(effect_chain("huge", [("invert", {})] * 40))
    assert refused.value.status_code == 413
