"""Every built-in effect reproduces bit for bit: a worker process renders,
then this process renders again bypassing the cache and compares hashes."""

import time

import pytest
from django.core.management import call_command

from engine import effects
from runs.builtin import effect_chain
from runs.graphs import recipe_post
from tests import images
from tests.helpers import upload, wait_for_run
from tests.provenance.conftest import client_for

pytestmark = pytest.mark.worker


@pytest.fixture
def painter_api(worker):
    from tests.factories import UserFactory

    return client_for(UserFactory(username="painter"))


def _render_by_worker(api, steps: list[tuple[str, dict]], inputs: list[str]) -> dict:
    name = f"r{abs(hash((str(steps), tuple(inputs)))) % 10**12}"
    recipe_post(effect_chain(name, steps, inputs=tuple(f"in{i}" for i in range(len(inputs)))))
    submitted = api.post("/runs", {"recipe": name, "inputs": inputs}, format="json")
    assert submitted.status_code == 201, submitted.json()
    run = wait_for_run(api, submitted.json()["run_id"])
    assert run["status"] == "completed", run["error"]
    return run


# Effects whose defaults alone are not a valid step.
PARAMS = {"resize": {"width": 24}}


@pytest.mark.parametrize("effect", effects.all_effects(), ids=lambda e: e.name)
def test_each_built_in_effect_reproduces_bit_for_bit(effect, painter_api, capsys):
    count = effect.min_inputs
    inputs = [upload(painter_api, images.png(48, 36, seed=100 + i)) for i in range(count)]
    run = _render_by_worker(painter_api, [(effect.name, PARAMS.get(effect.name, {}))], inputs)
    call_command("reproduce", run["run_id"])
    shown = painter_api.get(f"/runs/{run['run_id']}").json()["reproductions"][0]
    assert shown["status"] == "reproduced", shown
    assert shown["actual_hash"] == shown["expected_hash"] == run["output_hash"]
    assert shown["same_software"] is True


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "GIF"])
def test_every_output_format_reproduces_bit_for_bit(fmt, painter_api):
    # The output keeps the input's format.
    source = upload(painter_api, images.encode(images.pattern(64, 48, seed=7), fmt),
                    f"in.{fmt.lower()}")
    run = _render_by_worker(painter_api, [("dog", {})], [source])
    call_command("reproduce", run["run_id"])
    assert painter_api.get(f"/runs/{run['run_id']}").json()["reproductions"][0]["status"] \
        == "reproduced"


def test_post_reproduce_queues_it_on_a_worker_and_the_run_shows_the_answer(painter_api):
    source = upload(painter_api, images.png(32, 32, seed=8))
    run = _render_by_worker(painter_api, [("sepia", {})], [source])
    queued = painter_api.post(f"/runs/{run['run_id']}/reproduce")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    deadline = time.monotonic() + 90  # bounds a hung test only
    while time.monotonic() < deadline:
        shown = painter_api.get(f"/runs/{run['run_id']}").json()["reproductions"][0]
        if shown["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert shown["status"] == "reproduced" and shown["actual_hash"] == run["output_hash"]
