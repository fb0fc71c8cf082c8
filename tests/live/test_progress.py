"""What a video render's stream carries: frames done of the total, steps
done of the total, a preview frame, and an ETA once a step of the same kind
and size has been timed."""

from __future__ import annotations

import pytest
import requests

from live.models import Event, StepTiming
from runs import services
from tests import media_samples
from tests.factories import UserFactory
from tests.helpers import upload
from tests.live.sse import Stream
from tests.live.test_events import finished

pytestmark = pytest.mark.worker


def last_event() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_video_render_streams_frames_a_preview_and_then_an_eta_from_its_timing(
        web_server, demo, api, tmp_path):
    painter = UserFactory(username="painter")
    api.force_authenticate(painter)
    clips = [upload(api, media_samples.video(tmp_path / f"c{i}.mp4", size=(320, 240), seconds=4,
                                             fps=25, audio="mono" if i else None).read_bytes(),
                    f"c{i}.mp4") for i in range(2)]
    # Each stream resumes from the last event before its submission: the
    # worker may take the run before the stream connects, and a stream opened
    # afterwards starts from a snapshot, not from the step's start.
    since = last_event()
    first, _ = services.run_submit(recipe="invert", inputs=[clips[0]], owner=painter)
    with Stream(f"{web_server}/runs/{first.id}/events?last_event_id={since}") as stream:
        events = stream.until(finished(first.id))
    assert events[-1]["data"]["status"] == "completed"
    frames = [e["data"]["steps"]["invert"] for e in events
              if e["event"] == "progress" and "invert" in e["data"].get("steps", {})]
    done = [f["frames_done"] for f in frames]
    assert done and done == sorted(done) and all(f["frames_total"] == 100 for f in frames)
    assert 0 < done[0] < 100  # one report while it ran, not only at the end
    previews = [e["data"] for e in events if e["event"] == "preview"]
    assert previews and previews[0]["node"] == "invert"
    image = requests.get(web_server + previews[-1]["url"], timeout=30)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    # The first render of its kind had no history: no ETA until its own pace showed.
    started = next(e for e in events if e["event"] == "step" and e["data"]["status"] == "running")
    assert started["data"]["eta_seconds"] is None
    timing = StepTiming.objects.get(kind="EFFECT:invert")
    assert timing.frames >= 100 and timing.seconds > 0

    # The same kind of step at the same size: an ETA from the first one's time.
    since = last_event()
    second, _ = services.run_submit(recipe="invert", inputs=[clips[1]], owner=painter)
    with Stream(f"{web_server}/runs/{second.id}/events?last_event_id={since}") as stream:
        events = stream.until(finished(second.id))
    started = next(e for e in events if e["event"] == "step" and e["data"]["status"] == "running")
    assert started["data"]["eta_seconds"] == pytest.approx(timing.seconds, abs=0.2)
    assert StepTiming.objects.filter(kind="EFFECT:invert").count() == 2


def test_a_run_without_a_preview_says_so_with_a_json_404(web_server, demo):
    run, _ = services.run_submit(recipe="identity", inputs=["cat"], owner=None)
    response = requests.get(f"{web_server}/runs/{run.id}/preview", timeout=30)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
