"""Every recipe on every kind of picture, end to end: POST /runs -> a real
worker -> the delivered file, checked with PyAV and Pillow.

An effect recipe on a still gives a still in the input's format; on an
animation, an animation with the same timing; on a video, a video with the
same size, frame count, duration and sound. identity of anything is the
input's own hash. Media here is tiny (tests/media_samples.py)."""

import json

import av
import pytest
from PIL import Image

from cache.store import cache_path
from runs.demo import seed_demo
from runs.models import Run
from tests import media_samples
from tests.factories import UserFactory
from tests.helpers import cache_files, upload, wait_for_run

pytestmark = pytest.mark.worker


@pytest.fixture
def client(worker, api):
    seed_demo()
    api.force_authenticate(UserFactory(username="filmmaker"))
    return api


def render(client, recipe: str, content_hash: str, **params) -> dict:
    response = client.post("/runs", {"recipe": recipe, "inputs": [content_hash],
                                     "params": params}, format="json")
    assert response.status_code in (200, 201), response.json()
    run = wait_for_run(client, response.json()["run_id"], timeout=300)
    assert run["status"] == "completed", run["error"]
    return run


def frames_of(path) -> list[int]:
    """Each frame's duration in ms, as a viewer shows an image file."""
    with Image.open(path) as image:
        durations = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            durations.append(image.info.get("duration", 0))
        return durations


def video_facts(path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [float(f.time) for f in container.decode(video)]
    with av.open(str(path)) as container:
        audio = container.streams.audio
        sound = sum(f.samples for f in container.decode(audio[0])) if audio else 0
        rate = audio[0].rate if audio else None
    return {"size": (video.width, video.height), "frames": len(times), "times": times,
            "sound_seconds": sound / rate if rate else 0.0}


def test_dog_on_a_still_gives_a_still_in_the_inputs_format(client, tmp_path):
    jpeg = upload(client, media_samples.still(tmp_path / "p.jpg", size=(64, 48)).read_bytes(),
                  "p.jpg")
    run = render(client, "dog", jpeg)
    output = cache_path(run["output_hash"])
    with Image.open(output) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
    assert run["output_hash"] != jpeg
    assert client.get(f"/cache/{run['output_hash']}")["Content-Type"] == "image/jpeg"


def test_dog_on_an_animated_gif_keeps_its_frames_and_their_durations(client, tmp_path):
    gif = media_samples.animated_gif(tmp_path / "a.gif", frames=4, size=(40, 30),
                                     durations=[60, 120, 90, 200])
    run = render(client, "dog", upload(client, gif.read_bytes(), "a.gif"))
    output = cache_path(run["output_hash"])
    with Image.open(output) as image:
        assert image.format == "GIF" and image.size == (40, 30)
    assert frames_of(output) == frames_of(gif) == [60, 120, 90, 200]


def test_dog_on_an_h264_clip_with_sound_gives_an_mp4_of_the_same_size_length_and_sound(
        client, tmp_path):
    clip = media_samples.h264_clip(tmp_path / "c.mp4", size=(96, 64), seconds=1.0, fps=10,
                                   audio="stereo")
    run = render(client, "dog", upload(client, clip.read_bytes(), "c.mp4"), levels=3)
    assert client.get(f"/cache/{run['output_hash']}")["Content-Type"] == "video/mp4"
    before, after = video_facts(clip), video_facts(cache_path(run["output_hash"]))
    assert after["size"] == before["size"] == (96, 64)
    assert after["frames"] == before["frames"] == 10
    assert after["times"] == pytest.approx(before["times"], abs=0.002)
    assert after["sound_seconds"] == pytest.approx(before["sound_seconds"], abs=0.05)
    assert after["sound_seconds"] > 0.9
    assert Run.objects.get(pk=run["run_id"]).inline is False  # a video spreads over workers


@pytest.mark.parametrize("make, name", [
    (lambda d: media_samples.png(d / "p.png", size=(30, 20)), "p.png"),
    (lambda d: media_samples.h264_clip(d / "c.mp4", size=(64, 48), seconds=0.5, fps=10,
                                       audio="mono"), "c.mp4"),
    (lambda d: media_samples.wav(d / "s.wav", seconds=0.3), "s.wav"),
])
def test_identity_of_anything_is_the_inputs_own_hash_and_writes_nothing(client, tmp_path, make,
                                                                        name):
    source = upload(client, make(tmp_path).read_bytes(), name)
    before = cache_files()
    run = render(client, "identity", source)
    assert run["output_hash"] == source and run["outputs"] == {"output": source}
    assert cache_files() == before


def test_beat_cuts_takes_its_music_from_the_soundtrack_of_a_video_file(client, tmp_path):
    from engine.dag import synth

    # A phone clip whose sound is a 120 bpm beat: the music a user has.
    filmed = synth.clip(seed=3, seconds=4.0, fps=12, size=(64, 48)).with_(
        audio=synth.beat_track(bpm=120, seconds=4.0))
    music = upload(client, synth.as_file(filmed)[0], "phone.mp4")
    clips = [upload(client, media_samples.h264_clip(tmp_path / f"v{i}.mp4", size=(80, 48),
                                                    seconds=1.5, fps=12).read_bytes(),
                    f"v{i}.mp4") for i in range(2)]
    response = client.post("/runs", {"recipe": "beat-cuts",
                                     "inputs": {"music": music, "videos": clips},
                                     "params": {"width": 64, "height": 48}}, format="json")
    assert response.status_code in (200, 201), response.json()
    run = wait_for_run(client, response.json()["run_id"], timeout=300)
    assert run["status"] == "completed", run["error"]
    facts = video_facts(cache_path(run["output_hash"]))
    assert facts["size"] == (64, 48)
    # As long as the music, and its sound is the music's.
    assert facts["sound_seconds"] == pytest.approx(4.0, abs=0.1)
    assert facts["times"][-1] == pytest.approx(4.0, abs=0.2)
    beats = next(s for s in run["steps"]["items"] if s["node"] == "beats")
    analysis = json.loads(cache_path(beats["output_hash"]).read_bytes())
    assert analysis["tempo"] == pytest.approx(120, rel=0.05)
    assert analysis["kind"] == "video" and len(analysis["beats"]) >= 6


def test_a_clip_longer_than_the_old_all_frames_limit_renders(client, tmp_path):
    # 1280x720 x 24 fps x 5 s = 110.6 M pixels: over the 100 M pixels (all
    # frames together) that a render used to hold in memory and refuse.
    clip = media_samples.h264_clip(tmp_path / "long.mp4", size=(1280, 720), seconds=5.0, fps=24)
    run = render(client, "invert", upload(client, clip.read_bytes(), "long.mp4"))
    facts = video_facts(cache_path(run["output_hash"]))
    assert facts["size"] == (1280, 720) and facts["frames"] == 120
    assert 1280 * 720 * facts["frames"] > 100_000_000
