"""Graph runs rendered step by step by a real Celery worker process."""

import json
from pathlib import Path

import pytest

from cache.store import cache_path
from engine.dag import plan as planning, synth
from engine.dag.ops import avio
from engine.limits import Limits
from runs.demo import seed_demo
from runs.models import Run, Step
from tests.factories import UserFactory
from tests.helpers import upload, wait_for_run

pytestmark = pytest.mark.worker
RECIPES = Path(planning.__file__).parent / "recipes"


@pytest.fixture
def client(worker, api):
    seed_demo()
    api.force_authenticate(UserFactory(username="editor"))
    return api


@pytest.fixture
def media(client):
    return {
        "music": upload(client, synth.as_file(synth.beat_track(bpm=120, seconds=3))[0],
                        "music.wav"),
        "clips": [upload(client, synth.as_file(synth.clip(seed=i, seconds=1.5,
                                                          tone=300 + 100 * i))[0], f"c{i}.mp4")
                  for i in range(3)],
    }


def beat_cuts(client, media, **params):
    client.post("/recipes", (RECIPES / "beat-cuts.yaml").read_text(),
                content_type="application/yaml")
    response = client.post("/runs", {
        "recipe": "beat-cuts", "inputs": {"music": media["music"], "videos": media["clips"]},
        "params": {"width": 96, "height": 64, **params}}, format="json")
    assert response.status_code in (200, 201), response.json()
    return wait_for_run(client, response.json()["run_id"])


def test_beat_cuts_renders_to_an_mp4_with_the_music_and_per_step_progress(client, media):
    run = beat_cuts(client, media)
    assert run["status"] == "completed", run["error"]
    steps = run["steps"]
    assert steps["total"] == 5 and steps["failed"] == 0 and steps["pending"] == 0
    assert {s["node"] for s in steps["items"]} == {"music", "videos", "beats", "cut", "out"}
    # The output is delivered by its own step: out writes the MP4 itself.
    out = next(s for s in steps["items"] if s["node"] == "out")
    assert out["output_hash"] == run["output_hash"]
    video = avio.read(cache_path(run["output_hash"]), media_type="video/mp4", limits=Limits())
    assert client.get(f"/cache/{run['output_hash']}").headers["Content-Type"] == "video/mp4"
    assert abs(video.duration - 3.0) < 0.1 and video.audio is not None
    assert run["outputs"] == {"output": run["output_hash"]}
    prov = run["provenance"]
    assert prov["params"]["width"] == 96 and len(prov["steps"]) == 5
    # Every step's output is a cache item that says which run and node made it.
    beats = Step.objects.get(spec__node="beats")
    assert beats.provenance["run_id"] == run["run_id"] and beats.media_type == "application/json"
    analysis = client.get(f"/cache/{beats.output_id}")
    assert json.loads(b"".join(analysis.streaming_content))["tempo"] == 120.0


def test_changing_one_param_renders_only_the_steps_that_depend_on_it(client, media):
    first = beat_cuts(client, media)
    second = beat_cuts(client, media, beats_per_cut=2)
    assert second["status"] == "completed" and second["run_id"] != first["run_id"]
    states = {s["node"]: s["status"] for s in second["steps"]["items"]}
    assert states == {"music": "cached", "videos": "cached", "beats": "cached",
                      "cut": "done", "out": "done"}
    assert all(step.attempts <= 1 for step in Step.objects.all())


def test_asking_for_the_same_run_again_renders_nothing(client, media):
    first = beat_cuts(client, media)
    again = client.post("/runs", {"recipe": "beat-cuts", "inputs": [media["music"],
                                                                    media["clips"]],
                                  "params": {"width": 96, "height": 64}}, format="json")
    assert again.status_code == 200 and again.json()["run_id"] == first["run_id"]
    assert Run.objects.count() == 1


def test_two_runs_sharing_steps_render_each_shared_step_once(client, media):
    client.post("/recipes", (RECIPES / "beat-cuts.yaml").read_text(),
                content_type="application/yaml")
    ids = []
    for per_cut in (1, 2, 3):
        ids.append(client.post("/runs", {
            "recipe": "beat-cuts", "inputs": {"music": media["music"], "videos": media["clips"]},
            "params": {"width": 96, "height": 64, "beats_per_cut": per_cut}},
            format="json").json()["run_id"])
    runs = [wait_for_run(client, run_id) for run_id in ids]
    assert [r["status"] for r in runs] == ["completed"] * 3
    analysis = Step.objects.get(type="ANALYZE")
    assert analysis.attempts == 1  # claimed once, by one worker, for all three runs
    assert {r["steps"]["items"][2]["cache_id"] for r in runs} == {analysis.cache_id}


def test_a_failing_step_fails_the_run_by_name_and_a_retry_resumes_from_the_cache(client, media):
    client.post("/recipes", """
name: trim
dag:
  nodes:
    - {id: clip, type: SOURCE, config: {input: true, name: clip}}
    - {id: warm, type: TRANSFORM, inputs: [clip], config: {op: hue, amount: 30}}
    - {id: head, type: SEGMENT, inputs: [warm], config: {start: 5, duration: 1}}
  output: head
""", content_type="application/yaml")
    response = client.post("/runs", {"recipe": "trim", "inputs": [media["clips"][0]]},
                           format="json")
    run = wait_for_run(client, response.json()["run_id"])
    assert run["status"] == "failed"
    assert run["error"].startswith("step 'head' (SEGMENT) failed") and "lasts" in run["error"]
    warm = Step.objects.get(spec__node="warm")
    assert warm.status == "done" and warm.attempts == 1
    retry = client.post("/runs", {"recipe": "trim", "inputs": [media["clips"][0]]},
                        format="json")
    assert retry.status_code == 201
    again = wait_for_run(client, run["run_id"])
    assert again["status"] == "failed"  # the segment is still past the end...
    warm.refresh_from_db()
    assert warm.attempts == 1            # ...but the finished step was not rendered again
    assert Step.objects.get(spec__node="head").attempts == 1  # reset, then tried once more


def test_independent_branches_render_on_several_worker_processes_at_once(client):
    from tests import images

    picture = upload(client, images.png(width=640, height=640, seed=5))
    branches = 8
    nodes = "\n".join(
        f"    - {{id: b{i}, type: TRANSFORM, inputs: [p], config: {{op: blur, amount: {10 + i}}}}}"
        for i in range(branches))
    client.post("/recipes", f"""
name: fan-out
dag:
  nodes:
    - {{id: p, type: SOURCE, config: {{input: true, name: p}}}}
{nodes}
  output: {{{", ".join(f"o{i}: b{i}" for i in range(branches))}}}
""", content_type="application/yaml")
    response = client.post("/runs", {"recipe": "fan-out", "inputs": [picture]}, format="json")
    assert response.status_code == 201, response.json()
    run = wait_for_run(client, response.json()["run_id"])
    assert run["status"] == "completed" and len(run["outputs"]) == branches
    workers = {s.provenance["worker"] for s in Step.objects.filter(type="TRANSFORM")}
    assert len(workers) >= 2, workers  # the worker runs two processes; both took branches
