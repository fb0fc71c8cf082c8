"""What the cache records about each file it takes in: kind, size, length,
frame rate and codecs, probed from the bytes on arrival (engine.probe)."""

import pytest
from django.core.management import call_command

from cache.models import CacheItem
from cache.services import cache_store_bytes
from tests import media_samples as samples
from tests.helpers import post_file

pytestmark = pytest.mark.django_db

FACTS = ("kind", "width", "height", "frames", "duration", "fps", "video_codec", "audio_codec",
         "sample_rate", "channels")


def facts_of(body: dict) -> dict:
    return {key: body[key] for key in FACTS}


def test_an_uploaded_clip_shows_its_facts_in_the_upload_and_the_listing(artist_api, tmp_path):
    clip = samples.h264_clip(tmp_path / "clip.mp4", size=(176, 144), seconds=2, fps=25,
                             audio="stereo", rate=48000)
    response = post_file(artist_api, clip.read_bytes(), "clip.mp4")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["media_type"] == "video/mp4"
    assert body["duration"] == pytest.approx(2.0, abs=0.05)
    assert facts_of(body) | {"duration": None} == {
        "kind": "video", "width": 176, "height": 144, "frames": 50, "duration": None,
        "fps": 25.0, "video_codec": "h264", "audio_codec": "aac", "sample_rate": 48000,
        "channels": 2}
    listed = artist_api.get("/cache").json()["results"]
    assert [facts_of(item) for item in listed] == [facts_of(body)]
    # Every field the listing had before is still there.
    assert {"content_hash", "size", "media_type", "origin", "original_name", "owner",
            "created_at", "url"} <= set(listed[0])


@pytest.mark.parametrize("make,name,expected", [
    (lambda p: samples.mp3(p / "s.mp3", rate=44100, channels=1), "song.mp3",
     {"kind": "audio", "media_type": "audio/mpeg", "audio_codec": "mp3", "sample_rate": 44100,
      "channels": 1, "video_codec": None, "width": None, "fps": None}),
    (lambda p: samples.webm_vp9(p / "c.webm", audio="stereo"), "c.webm",
     {"kind": "video", "media_type": "video/webm", "video_codec": "vp9", "audio_codec": "opus",
      "sample_rate": 48000}),
    (lambda p: samples.multipage_tiff(p / "scan.tif", pages=3, size=(40, 30)), "scan.tif",
     {"kind": "animation", "media_type": "image/tiff", "frames": 3, "width": 40, "height": 30,
      "audio_codec": None}),
    (lambda p: samples.bmp(p / "s.bmp", size=(97, 61)), "s.bmp",
     {"kind": "still", "media_type": "image/bmp", "width": 97, "height": 61, "frames": 1,
      "duration": 0.0}),
    (lambda p: samples.jpeg_with_exif_orientation(p / "p.jpg", orientation=6, size=(48, 32)),
     "portrait.jpg", {"kind": "still", "width": 32, "height": 48}),
])
def test_every_kind_of_upload_records_its_facts(artist_api, tmp_path, make, name, expected):
    body = post_file(artist_api, make(tmp_path).read_bytes(), name).json()
    assert {key: body[key] for key in expected} == expected


def test_a_truncated_mp4_upload_is_kept_with_the_reason_it_does_not_decode(artist_api,
                                                                            tmp_path):
    data = samples.h264_clip(tmp_path / "c.mp4", audio="stereo").read_bytes()
    body = post_file(artist_api, data[:len(data) // 2], "holiday.mp4").json()
    item = CacheItem.objects.get(pk=body["content_hash"])
    assert item.media_type == "video/mp4"  # from its name: its bytes say nothing
    assert "truncated" in item.decode_error
    assert item.kind == "" and body["kind"] is None and body["duration"] is None


def test_a_cut_file_whose_header_still_reads_is_caught_on_arrival(artist_api, tmp_path):
    data = samples.mkv(tmp_path / "c.mkv", seconds=3, audio="stereo").read_bytes()
    body = post_file(artist_api, data[:len(data) * 2 // 3], "c.mkv").json()
    assert "truncated" in CacheItem.objects.get(pk=body["content_hash"]).decode_error


def test_a_file_over_the_pixel_limit_keeps_its_header_facts(artist_api, tmp_path, settings):
    settings.MAX_FRAME_PIXELS = 176 * 144 - 1
    clip = samples.h264_clip(tmp_path / "c.mp4", size=(176, 144))
    item = CacheItem.objects.get(pk=post_file(artist_api, clip.read_bytes(), "c.mp4")
                                 .json()["content_hash"])
    assert (item.kind, item.width, item.height, item.decode_error) == ("video", 176, 144, "")


def test_a_rendered_output_is_described_from_its_headers(tmp_path):
    # The engine's own output is known good: a cut copy stored as a render
    # shows what the header-only read records (no full read).
    data = samples.mkv(tmp_path / "c.mkv", seconds=3).read_bytes()
    item = cache_store_bytes(data[:len(data) * 2 // 3], origin="rendered", name="out.mkv")
    assert item.kind == "video" and item.decode_error == ""


def test_kinds_say_what_a_file_is_good_for(tmp_path):
    def stored(path, name):
        return cache_store_bytes(path.read_bytes(), origin="uploaded", name=name)

    still = stored(samples.png(tmp_path / "s.png"), "s.png")
    clip = stored(samples.h264_clip(tmp_path / "c.mp4", audio="mono"), "c.mp4")
    quiet = stored(samples.h264_clip(tmp_path / "q.mp4", size=(64, 48)), "q.mp4")
    song = stored(samples.flac(tmp_path / "s.flac"), "s.flac")
    notes = cache_store_bytes(b"some notes", origin="uploaded", name="notes.txt")
    assert [i.is_image for i in (still, clip, song, notes)] == [True, False, False, False]
    assert [i.is_visual for i in (still, clip, song, notes)] == [True, True, False, False]
    assert [i.has_audio for i in (still, clip, quiet, song)] == [False, True, False, True]


def test_cache_probe_fills_in_the_facts_of_items_indexed_before_they_were_recorded(tmp_path):
    from io import StringIO

    clip = cache_store_bytes(samples.h264_clip(tmp_path / "c.mp4", audio="stereo").read_bytes(),
                             origin="uploaded", name="c.mp4")
    # As an item indexed before this change looks: a media type, no facts.
    CacheItem.objects.filter(pk=clip.pk).update(kind="", width=None, height=None, frames=None,
                                                duration=None, fps=None, video_codec="",
                                                audio_codec="", sample_rate=None, channels=None)
    out = StringIO()
    call_command("cache_probe", stdout=out)
    assert out.getvalue().strip() == "probed 1 item(s): 1 changed, 0 without bytes"
    clip.refresh_from_db()
    assert (clip.kind, clip.width, clip.video_codec, clip.channels) == ("video", 176, "h264", 2)
    again = StringIO()
    call_command("cache_probe", "--all", stdout=again)
    assert again.getvalue().strip() == "probed 1 item(s): 0 changed, 0 without bytes"


def test_the_migration_gives_images_indexed_before_it_their_kind():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("cache.migrations.0005_media_facts")
    still = CacheItem.objects.create(content_hash="a" * 64, size=1, media_type="image/png",
                                     origin="uploaded", width=4, height=3, frames=1)
    animation = CacheItem.objects.create(content_hash="b" * 64, size=1, media_type="image/gif",
                                         origin="uploaded", width=4, height=3, frames=5)
    broken = CacheItem.objects.create(content_hash="c" * 64, size=1, media_type="image/png",
                                      origin="uploaded", decode_error="truncated")
    migration.kinds_of_old_images(apps, None)
    for item in (still, animation, broken):
        item.refresh_from_db()
    assert (still.kind, animation.kind, broken.kind) == ("still", "animation", "")
