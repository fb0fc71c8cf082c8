"""Thumbnails made by a real worker process: queued after an upload commits,
and again on first need when a thumbnail is missing."""

import time

import pytest

from cache import thumbs
from tests import images
from tests.helpers import upload

pytestmark = pytest.mark.worker


def wait_for(check, timeout: float = 90) -> bool:
    """Bounds a hung test only; asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def painter_api(worker, api):
    from tests.factories import UserFactory

    api.force_authenticate(UserFactory(username="painter"))
    return api


def test_an_upload_queues_its_thumbnails_and_a_worker_makes_them(painter_api):
    content_hash = upload(painter_api, images.png(90, 70, seed=770), "fresh.png")
    assert wait_for(lambda: all(thumbs.thumb_path(content_hash, s).exists() for s in thumbs.SIZES))
    response = painter_api.get(f"/cache/{content_hash}/thumb/256")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"


def test_a_missing_thumbnail_is_queued_on_first_request_and_served_once_made(painter_api):
    content_hash = upload(painter_api, images.png(64, 64, seed=771), "again.png")
    path = thumbs.thumb_path(content_hash, 1024)
    assert wait_for(path.exists)
    for size in thumbs.SIZES:
        thumbs.thumb_path(content_hash, size).unlink()  # as if its task had been lost
    assert painter_api.get(f"/cache/{content_hash}/thumb/1024").status_code == 503
    assert wait_for(lambda: painter_api.get(f"/cache/{content_hash}/thumb/1024").status_code == 200)


def test_a_rendered_output_gets_its_thumbnails_without_being_asked(painter_api):
    from runs.demo import seed_demo
    from tests.helpers import wait_for_run

    seed_demo()
    run_id = painter_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]},
                              format="json").json()["run_id"]
    run = wait_for_run(painter_api, run_id)
    assert run["status"] == "completed", run["error"]
    assert wait_for(thumbs.thumb_path(run["output_hash"], 256).exists)


def test_an_uploaded_clip_gets_its_poster_from_a_worker(painter_api, tmp_path):
    import io

    from PIL import Image

    from tests import media_samples

    clip = media_samples.h264_clip(tmp_path / "c.mp4", size=(640, 272), seconds=1,
                                   audio="stereo")
    content_hash = upload(painter_api, clip.read_bytes(), "clip.mp4")
    assert wait_for(lambda: all(thumbs.thumb_path(content_hash, s).exists() for s in thumbs.SIZES))
    response = painter_api.get(f"/cache/{content_hash}/thumb/256")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as poster:
        assert poster.format == "WEBP" and poster.size == (256, 109)
