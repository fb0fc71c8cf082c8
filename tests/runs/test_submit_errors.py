"""Bad requests to POST /runs: a clear 4xx JSON error, and nothing written."""

import pytest

from cache.models import CacheItem
from runs import steps
from runs.models import Run
from tests import images, media_samples
from tests.helpers import cache_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad_inputs(artist_api):
    png = images.png(200, 200)
    return {
        "truncated": upload(artist_api, png[: len(png) // 2], "cut.png"),
        "text": upload(artist_api, b"just some words\n", "notes.txt"),
        "bomb": upload(artist_api, images.bomb_png(), "bomb.png"),
    }


@pytest.mark.parametrize("body,status,code", [
    ('{"recipe": "dog", "inputs": ["cat"', 400, "parse_error"),
    ('[]', 400, "invalid"),
    ('{"recipe": "no-such-recipe", "inputs": ["cat"]}', 400, "unknown_recipe"),
    ('{"recipe": "dog", "inputs": ["not a hash or asset"]}', 400, "unknown_input"),
    ('{"recipe": "dog", "inputs": ["' + "ab" * 32 + '"]}', 400, "unknown_input"),
    ('{"recipe": "dog", "inputs": []}', 400, "wrong_input_count"),
    ('{"recipe": "dog", "inputs": "cat"}', 400, "invalid"),
    ('{"recipe": 5, "inputs": ["cat"]}', 400, "unknown_recipe"),
    ('{"recipe": "dog"}', 400, "invalid"),
    ('{"recipe": "dog", "inputs": ["cat", "cat"]}', 400, "wrong_input_count"),
    ('{"recipe": "diptych", "inputs": ["cat"]}', 400, "wrong_input_count"),
    ('{"recipe": "diptych", "inputs": {"left": "cat"}}', 400, "wrong_input_count"),
    ('{"recipe": "dog", "inputs": {"picture": "cat"}}', 400, "wrong_input_count"),
    ('{"recipe": "dog", "inputs": ["cat"], "params": {"sigma": 0}}', 400, "invalid_run"),
    ('{"recipe": "dog", "inputs": ["cat"], "output_name": "' + "x" * 300 + '"}', 400, "invalid"),
])
def test_malformed_run_requests_get_a_clear_error(artist_api, demo, body, status, code):
    before = cache_files()
    response = artist_api.post("/runs", body, content_type="application/json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert Run.objects.count() == 0 and cache_files() == before


@pytest.mark.parametrize("kind,status,code", [
    ("truncated", 400, "undecodable_input"),
    ("text", 400, "unsupported_input"),
    ("bomb", 413, "input_too_large"),
])
def test_inputs_the_engine_cannot_render_are_refused_at_submission(artist_api, demo, bad_inputs,
                                                                  kind, status, code):
    before, items = cache_files(), CacheItem.objects.count()
    response = artist_api.post("/runs", {"recipe": "dog", "inputs": [bad_inputs[kind]]},
                               format="json")
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert Run.objects.count() == 0
    assert cache_files() == before and CacheItem.objects.count() == items


def test_an_input_over_the_pixels_per_frame_limit_is_refused_by_its_header(artist_api, demo,
                                                                         settings):
    settings.MAX_FRAME_PIXELS = 48 * 32 - 1
    picture = upload(artist_api, images.png(48, 32, seed=3))
    response = artist_api.post("/runs", {"recipe": "dog", "inputs": [picture]}, format="json")
    assert response.status_code == 413, response.json()
    error = response.json()["error"]
    assert error["code"] == "input_too_large"
    assert f"input 'image' ({picture})" in error["message"]
    assert "48x32 = 1536 pixels; the limit is 1535 pixels per frame" in error["message"]
    assert Run.objects.count() == 0


def test_an_input_with_frames_over_the_pixel_limit_is_refused_with_413(artist_api, settings):
    digest = upload(artist_api, images.animated_gif(frames=4), "anim.gif")
    settings.MAX_FRAME_PIXELS = 32 * 24 - 1
    from runs.demo import seed_builtin_recipes

    seed_builtin_recipes()
    response = artist_api.post("/runs", {"recipe": "invert", "inputs": [digest]}, format="json")
    assert response.status_code == 413
    assert "the limit is 767 pixels per frame" in response.json()["error"]["message"]
    assert Run.objects.count() == 0


def test_a_user_over_the_active_run_limit_gets_429_until_runs_finish(
        artist_api, demo, settings, django_capture_on_commit_callbacks):
    settings.MAX_ACTIVE_RUNS_PER_USER = 2
    with django_capture_on_commit_callbacks():
        first = artist_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
        artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
        refused = artist_api.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]},
                                  format="json")
        again = artist_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_active_runs"
    assert "2 runs pending or running" in refused.json()["error"]["message"]
    assert again.status_code == 200  # asking for a run you already have is not a new one
    assert Run.objects.count() == 2
    steps.schedule(first.json()["run_id"], task_id=first.json()["task_id"])
    with django_capture_on_commit_callbacks():
        assert artist_api.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]},
                               format="json").status_code == 201


def test_an_input_longer_than_the_duration_limit_is_refused_by_its_header(artist_api, demo,
                                                                        settings, tmp_path):
    settings.MAX_MEDIA_SECONDS = 1
    clip = upload(artist_api, media_samples.h264_clip(tmp_path / "two.mp4", size=(64, 48),
                                                     seconds=2.0).read_bytes(), "two.mp4")
    response = artist_api.post("/runs", {"recipe": "invert", "inputs": [clip]}, format="json")
    assert response.status_code == 413, response.json()
    assert response.json()["error"]["code"] == "input_too_large"
    assert "lasts 2.0 s; the limit is 1 s" in response.json()["error"]["message"]
    assert Run.objects.count() == 0


def test_sound_alone_given_to_a_picture_effect_is_refused_naming_the_input_and_node(
        artist_api, demo, tmp_path):
    tune = upload(artist_api, media_samples.wav(tmp_path / "tune.wav", seconds=0.5).read_bytes(),
                  "tune.wav")
    response = artist_api.post("/runs", {"recipe": "dog", "inputs": [tune]}, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "wrong_input_kind"
    assert f"input 'image' ({tune}) is sound only, but node 'dog' takes pictures" in \
        error["message"]
    assert Run.objects.count() == 0


def test_anonymous_clients_may_read_runs_but_not_start_them(api, demo):
    assert api.get("/runs").status_code == 200
    response = api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Run.objects.count() == 0


def test_an_unknown_run_id_is_a_json_404(api):
    response = api.get("/runs/" + "0" * 64)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_listing_runs_with_an_unknown_status_is_400(api):
    assert api.get("/runs?status=exploded").status_code == 400


def test_unknown_paths_are_json_404s(api):
    response = api.get("/no/such/path")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
