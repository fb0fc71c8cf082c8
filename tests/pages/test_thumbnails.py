"""Thumbnails: made once by a task, served immutable, never made inline."""

import io

import numpy as np
import pytest
from PIL import Image

from cache import thumbs
from cache.services import cache_store_bytes
from cache.store import cache_path
from tests import images

pytestmark = pytest.mark.django_db


def store(data: bytes, name: str = "x.png"):
    return cache_store_bytes(data, origin="uploaded", name=name)


def test_a_missing_thumbnail_answers_503_at_once_and_makes_nothing_inline(client):
    item = store(images.png(seed=5))
    response = client.get(f"/cache/{item.pk}/thumb/256")
    assert response.status_code == 503
    assert response["Retry-After"] and response["Cache-Control"] == "no-store"
    assert response.json()["error"]["code"] == "thumbnail_pending"
    assert not thumbs.thumb_path(item.pk, 256).exists()


def test_a_made_thumbnail_is_webp_with_an_etag_and_immutable_caching(client):
    item = store(images.png(600, 300, seed=6))
    made = thumbs.thumbnails_make(item.pk)
    assert made == [thumbs.thumb_path(item.pk, s) for s in thumbs.SIZES]
    response = client.get(f"/cache/{item.pk}/thumb/256")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(body)) as thumb:
        assert thumb.format == "WEBP" and thumb.size == (256, 128)
    again = client.get(f"/cache/{item.pk}/thumb/256", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_made_thumbnail_is_served_even_when_the_original_is_gone_from_this_host(client):
    item = store(images.png(90, 60, seed=4712))  # bytes no other test stores
    thumbs.thumbnails_make(item.pk)
    cache_path(item.pk).unlink()
    response = client.get(f"/cache/{item.pk}/thumb/256")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert not cache_path(item.pk).exists()  # nothing fetched the original back


def test_thumbnails_never_upscale_and_are_made_once(client):
    item = store(images.png(40, 30, seed=7))
    path = thumbs.thumbnails_make(item.pk)[1]
    with Image.open(path) as thumb:
        assert thumb.size == (40, 30)
    written = path.stat().st_mtime_ns
    thumbs.thumbnails_make(item.pk)
    assert path.stat().st_mtime_ns == written


def test_an_animated_gif_gets_an_animated_thumbnail(client):
    item = store(images.animated_gif(frames=5), "anim.gif")
    path = thumbs.thumbnails_make(item.pk)[0]
    with Image.open(path) as thumb:
        assert thumb.format == "WEBP" and thumb.n_frames == 5 and thumb.is_animated


def test_files_with_no_preview_say_so_and_bad_sizes_are_refused(client):
    notes = store(b"just text", "notes.txt")
    assert client.get(f"/cache/{notes.pk}/thumb/256").json()["error"]["code"] == "no_preview"
    assert thumbs.thumbnails_make(notes.pk) == []
    png = store(images.png(seed=8))
    assert client.get(f"/cache/{png.pk}/thumb/99").status_code == 400
    assert client.get(f"/cache/{'f' * 64}/thumb/256").status_code == 404
    assert client.get("/cache/xyz/thumb/256").status_code == 400


def test_a_thumbnail_that_cannot_be_made_is_remembered_as_no_preview(client):
    item = store(images.png(52, 31, seed=909))  # bytes no other test stores
    path = cache_path(item.pk)
    original = path.read_bytes()
    path.write_bytes(b"\x89PNG but broken now")
    try:
        assert thumbs.thumbnails_make(item.pk) == []
    finally:
        path.write_bytes(original)
    assert thumbs.thumbnail_state(item, 256) == "none"
    assert client.get(f"/cache/{item.pk}/thumb/256").status_code == 404


def test_a_file_whose_bytes_are_gone_has_no_preview_until_they_are_stored_again(client):
    data = images.png(47, 29, seed=4713)  # bytes no other test stores
    item = store(data)
    cache_path(item.pk).unlink()  # the row outlives its bytes
    assert thumbs.thumbnails_make(item.pk) == []
    assert thumbs.thumbnail_state(item, 256) == "none"  # not "pending" forever
    assert client.get(f"/cache/{item.pk}/thumb/256").json()["error"]["code"] == "no_preview"

    assert store(data).pk == item.pk  # the same bytes come back
    assert thumbs.thumbnail_state(item, 256) == "pending"
    assert thumbs.thumbnails_make(item.pk) == [thumbs.thumb_path(item.pk, s) for s in thumbs.SIZES]
    assert client.get(f"/cache/{item.pk}/thumb/256").status_code == 200


def test_the_backfill_command_makes_only_what_is_missing():
    from io import StringIO

    from django.core.management import call_command

    item = store(images.png(33, 21, seed=880))
    store(b"just text", "notes.txt")
    out = StringIO()
    call_command("make_thumbnails", "--sync", stdout=out)
    assert out.getvalue().strip() == "made thumbnails for 1 image(s)"
    assert all(thumbs.thumb_path(item.pk, size).exists() for size in thumbs.SIZES)
    again = StringIO()
    call_command("make_thumbnails", stdout=again)
    assert again.getvalue().strip() == "queued thumbnails for 0 image(s)"


def test_thumbnail_tasks_go_to_their_own_queue_when_one_is_set(
        settings, redis_url, django_capture_on_commit_callbacks):
    import json
    import uuid

    import redis

    broker = redis.Redis.from_url(redis_url)
    settings.THUMB_QUEUE = f"thumbs-{uuid.uuid4().hex[:8]}"
    # Kombu's Redis transport keeps a queue as a list under the queue's name,
    # and one more beside it per message priority (l1site.queues).
    lists = [settings.THUMB_QUEUE] + [f"{settings.THUMB_QUEUE}\x06\x16{p}" for p in range(1, 10)]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            item = store(images.png(seed=71))
        messages = [json.loads(m) for key in lists for m in broker.lrange(key, 0, -1)]
        assert [m["headers"]["task"] for m in messages] == ["cache.tasks.make_thumbnails"]
        assert messages[0]["headers"]["argsrepr"] == repr([item.pk])
    finally:
        broker.delete(*lists)


def _thumbnail(client, item, size: int = 256) -> Image.Image:
    response = client.get(f"/cache/{item.pk}/thumb/{size}")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert thumb.format == "WEBP"
    return thumb.convert("RGB")


def test_a_video_gets_a_poster_from_a_tenth_of_the_way_in(client, tmp_path):
    from tests import media_samples as samples

    clip = samples.h264_clip(tmp_path / "c.mp4", size=(320, 240), seconds=2, fps=25,
                             audio="stereo")
    item = store(clip.read_bytes(), "clip.mp4")
    assert thumbs.thumbnails_make(item.pk) == [thumbs.thumb_path(item.pk, s) for s in thumbs.SIZES]
    small = _thumbnail(client, item, 256)
    assert small.size == (256, 192)
    # Frame 5 shows at 0.2 s, a tenth of the clip's two seconds.
    assert samples.frame_index(np.asarray(_thumbnail(client, item, 1024))) == 5


def test_a_phone_clip_gets_an_upright_poster(client, tmp_path):
    from tests import media_samples as samples

    # Stored landscape with a display matrix that turns it a quarter clockwise.
    clip = samples.h264_clip(tmp_path / "phone.mp4", size=(176, 144), rotation=-90)
    item = store(clip.read_bytes(), "phone.mp4")
    thumbs.thumbnails_make(item.pk)
    poster = np.asarray(_thumbnail(client, item, 256)).astype(int)
    assert poster.shape[:2] == (176, 144)  # portrait: height 176, width 144
    # The stored picture's white top-left corner is now top right.
    assert poster[5, -5].min() > 200 and poster[5, 5].min() < 200


def test_tiff_and_bmp_stills_get_thumbnails_and_a_portrait_jpeg_stands_up(client, tmp_path):
    from tests import media_samples as samples

    for path, size in ((samples.still(tmp_path / "s.tif", size=(97, 61)), (97, 61)),
                       (samples.bmp(tmp_path / "s.bmp", size=(97, 61)), (97, 61)),
                       (samples.jpeg_with_exif_orientation(tmp_path / "p.jpg", orientation=6,
                                                           size=(48, 32)), (32, 48))):
        item = store(path.read_bytes(), path.name)
        thumbs.thumbnails_make(item.pk)
        assert _thumbnail(client, item).size == size, path.name


def test_sound_gets_no_thumbnail(client, tmp_path):
    from tests import media_samples as samples

    item = store(samples.mp3(tmp_path / "s.mp3").read_bytes(), "song.mp3")
    assert item.kind == "audio" and not thumbs.can_preview(item)
    assert thumbs.thumbnails_make(item.pk) == []
    assert client.get(f"/cache/{item.pk}/thumb/256").json()["error"]["code"] == "no_preview"
