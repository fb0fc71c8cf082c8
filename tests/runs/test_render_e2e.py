"""POST /runs -> Redis -> a real `celery worker` process -> bytes in the cache -> provenance."""

import hashlib
import io
import json
import logging
import threading
import urllib.request

import numpy as np
import pytest
from PIL import Image
from rest_framework.authtoken.models import Token

from cache.store import cache_path
from engine import effects
from runs import identity
from runs.demo import seed_demo
from runs.models import Run, Step
from tests import images
from tests.factories import UserFactory
from tests.helpers import cache_files, upload, wait_for_run

pytestmark = pytest.mark.worker


@pytest.fixture
def token_api(worker, api):
    seed_demo()
    user = UserFactory(username="painter")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def pixels(source) -> np.ndarray:
    with Image.open(source) as image:
        return np.asarray(image.convert("RGB"), dtype=int)


def dispatches(caplog, run_id: str) -> int:
    """Render messages handed to the broker for this run, counted from the
    run_state log line run_queue writes after each one (runs.events)."""
    return sum(f"run={run_id} " in r.getMessage() and "queue=queued" in r.getMessage()
               for r in caplog.records if r.name == "artdag.runs")


def test_a_run_is_rendered_by_a_worker_and_lands_in_the_cache_with_provenance(token_api):
    cat = token_api.get("/assets/cat").json()["content_hash"]
    response = token_api.post("/runs", {"recipe": "dog", "inputs": ["cat"],
                                        "output_name": "my-output"}, format="json")
    assert response.status_code == 201, response.json()
    run = wait_for_run(token_api, response.json()["run_id"])
    assert run["status"] == "completed", run["error"]
    assert run["started_at"] and run["finished_at"] and run["attempts"] == 1

    output = run["output_hash"]
    download = token_api.get(f"/cache/{output}")
    data = b"".join(download.streaming_content)
    assert hashlib.sha3_256(data).hexdigest() == output
    assert cache_path(output).read_bytes() == data
    before, after = pixels(cache_path(cat)), pixels(io.BytesIO(data))
    assert after.shape == before.shape and np.abs(after - before).mean() > 10
    assert download["Content-Type"] == "image/png"  # the input's own format

    prov = run["provenance"]
    assert prov["task_id"] == run["task_id"]
    assert prov["rendered_at"] and prov["rendered_by"].startswith("@")
    assert prov["output"] == {"name": "my-output", "content_hash": output}
    assert prov["inputs"] == [{"name": "image", "content_hash": cat}]
    ink = next(s for s in prov["steps"] if s["node"] == "dog")
    assert ink["type"] == "EFFECT" and ink["output"] == output
    spec = Step.objects.get(pk=ink["cache_id"]).spec
    assert spec["config"] == {"effect": "dog", "params": effects.validate_params(
        effects.get_effect("dog"), {})} and spec["deliver"] is True
    # The worker runs the same checkout on the same host as this test.
    assert prov["infrastructure"]["software"] == {
        "name": "infra:artdag", "content_hash": identity.software()["content_hash"]}
    assert prov["infrastructure"]["hardware"]["content_hash"] == identity.hardware()["content_hash"]
    listed = token_api.get("/cache?origin=rendered").json()["results"]
    assert [i["content_hash"] for i in listed] == [output]


def test_identity_returns_the_input_hash_and_copies_nothing(token_api):
    cat = token_api.get("/assets/cat").json()["content_hash"]
    files_before = cache_files()
    run_id = token_api.post("/runs", {"recipe": "identity", "inputs": ["cat"]},
                            format="json").json()["run_id"]
    run = wait_for_run(token_api, run_id)
    assert run["status"] == "completed" and run["output_hash"] == cat
    assert cache_files() == files_before


def test_asking_for_a_completed_run_again_answers_at_once_and_dispatches_nothing(token_api, caplog):
    caplog.set_level(logging.INFO, logger="artdag.runs")
    first = token_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json").json()
    done = wait_for_run(token_api, first["run_id"])
    assert dispatches(caplog, first["run_id"]) == 1
    again = token_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    assert again.status_code == 200
    assert again.json()["status"] == "completed"
    assert again.json()["output_hash"] == done["output_hash"]
    assert again.json()["task_id"] == done["task_id"]
    assert dispatches(caplog, first["run_id"]) == 1
    assert Run.objects.get(pk=first["run_id"]).attempts == 1


def test_concurrent_identical_requests_make_one_run_and_one_render(token_api, live_server, caplog):
    caplog.set_level(logging.INFO, logger="artdag.runs")
    fresh = upload(token_api, images.png(64, 64, seed=42))
    token = token_api._credentials["HTTP_AUTHORIZATION"]
    body = json.dumps({"recipe": "dog", "inputs": [fresh]}).encode()
    answers, barrier = [], threading.Barrier(8)

    def post():
        request = urllib.request.Request(f"{live_server.url}/runs", data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": token})
        barrier.wait()
        with urllib.request.urlopen(request) as reply:
            answers.append((reply.status, json.load(reply)["run_id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8 and len({run_id for _, run_id in answers}) == 1
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    run = wait_for_run(token_api, answers[0][1])
    assert run["status"] == "completed" and run["attempts"] == 1
    assert Run.objects.count() == 1
    assert dispatches(caplog, run["run_id"]) == 1


def test_the_same_inputs_in_another_order_render_a_different_output(token_api):
    a = upload(token_api, images.png(40, 30, seed=1))
    b = upload(token_api, images.png(40, 30, seed=2))
    ab = token_api.post("/runs", {"recipe": "diptych", "inputs": [a, b]}, format="json").json()
    ba = token_api.post("/runs", {"recipe": "diptych", "inputs": [b, a]}, format="json").json()
    ab, ba = wait_for_run(token_api, ab["run_id"]), wait_for_run(token_api, ba["run_id"])
    assert ab["status"] == ba["status"] == "completed"
    assert ab["output_hash"] != ba["output_hash"]
    left = pixels(cache_path(ab["output_hash"]))[:, :40]
    assert np.array_equal(left, pixels(cache_path(a)))


def test_runs_list_newest_first_and_filter_by_status_and_recipe(token_api):
    ids = [token_api.post("/runs", {"recipe": r, "inputs": ["cat"]}, format="json").json()["run_id"]
           for r in ("invert", "pixel-art")]
    for run_id in ids:
        wait_for_run(token_api, run_id)
    listed = token_api.get("/runs").json()["results"]
    assert [r["run_id"] for r in listed] == ids[::-1]
    assert [r["run_id"] for r in token_api.get("/runs?recipe=invert").json()["results"]] == ids[:1]
    assert len(token_api.get("/runs?status=completed").json()["results"]) == 2
    assert token_api.get("/runs?status=pending").json()["results"] == []


def test_a_small_still_plan_renders_all_its_steps_in_one_task(token_api, data_dir):
    log = data_dir / "worker.log"
    offset = log.stat().st_size
    fresh = upload(token_api, images.png(40, 30, seed=61))
    run = wait_for_run(token_api, token_api.post("/runs", {"recipe": "pixel-art",
                                                           "inputs": [fresh]},
                                                 format="json").json()["run_id"])
    assert run["status"] == "completed", run["error"]
    assert run["steps"]["done"] == 2 and run["steps"]["cached"] == 1  # two effects, one source
    with open(log, "rb") as handle:
        handle.seek(offset)
        seen = handle.read().decode(errors="replace")
    received = [line for line in seen.splitlines() if "] received" in line]
    assert sum("runs.tasks.schedule_run[" in line for line in received) == 1, received
    assert not any("runs.tasks.render_step[" in line for line in received), received
    assert seen.count(f"run={run['run_id']} state=running") == 1

