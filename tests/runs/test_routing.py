"""Queues by kind of work (l1site.queues): stills, video and upkeep, each a
Celery queue, routed by the run's lane; workers that take all of them take
the short work first."""

import pytest
import redis as redis_client

from cache.store import cache_path
from runs import services
from runs.models import Run, Step
from tests import media_samples
from tests.faults.conftest import client, fault_dir, make_stack, seeded  # noqa: F401 - fixtures
from tests.faults.stack import Gate, wait_until


def queued_in(broker_url: str, queue: str) -> int:
    """Messages waiting in a queue, over all its Redis priority lists."""
    broker = redis_client.Redis.from_url(broker_url)
    return sum(broker.llen(key) for key in broker.keys(f"{queue}*")
               if key.decode() == queue or key.decode().startswith(queue + "\x06\x16"))


def clip(tmp_path, name: str, seed: int) -> bytes:
    path = media_samples.h264_clip(tmp_path / f"{name}.mp4", size=(96 + 16 * seed, 64),
                                   seconds=1.0)
    return path.read_bytes()


@pytest.mark.django_db
def test_a_run_is_given_its_lane_from_its_inputs(demo, tmp_path):
    from cache.services import cache_store_bytes

    still, _ = services.run_submit(recipe="dog", inputs=["cat"])
    video = cache_store_bytes(clip(tmp_path, "v", 1), origin="uploaded").pk
    moving, _ = services.run_submit(recipe="invert", inputs=[video])
    assert (still.lane, moving.lane) == ("stills", "video")


@pytest.mark.django_db
def test_the_router_sends_each_task_to_the_queue_of_its_kind(demo, tmp_path):
    from cache.services import cache_store_bytes
    from l1site.celery import app
    from l1site.queues import route_task

    base = app.conf.task_default_queue
    still, _ = services.run_submit(recipe="dog", inputs=["cat"])
    video = cache_store_bytes(clip(tmp_path, "v", 2), origin="uploaded").pk
    moving, _ = services.run_submit(recipe="invert", inputs=[video])
    step = Step.objects.filter(run_steps__run=moving).exclude(type="SOURCE").get()

    def route(name, *args):
        return route_task(name, list(args), {}, {})

    assert route("runs.tasks.schedule_run", still.pk)["queue"] == f"{base}.stills"
    assert route("runs.tasks.schedule_run", moving.pk)["queue"] == f"{base}.video"
    assert route("runs.tasks.render_step", step.pk)["queue"] == f"{base}.video"
    for upkeep in ("cache.tasks.make_thumbnails", "provenance.tasks.publish_run",
                   "runs.tasks.sweep_runs", "webhooks.tasks.deliver_webhook"):
        assert route(upkeep, "x")["queue"] == f"{base}.upkeep"
    # A priority per run: high before normal before low, moved to the front one step ahead.
    Run.objects.filter(pk=still.pk).update(priority=Run.Priority.HIGH)
    Run.objects.filter(pk=moving.pk).update(priority=Run.Priority.LOW)
    assert route("runs.tasks.schedule_run", still.pk)["priority"] < \
        route("runs.tasks.schedule_run", moving.pk)["priority"]


@pytest.mark.faults
def test_with_two_worker_processes_a_still_submitted_behind_a_long_video_render_completes_first(
        make_stack, seeded, redis_url, tmp_path):  # noqa: F811 - fixtures
    # Thumbnails of the uploads go where no worker looks: the gated files
    # would hold a worker process making a poster.
    stack = make_stack(ARTDAG_THUMB_QUEUE=f"unconsumed-{tmp_path.name}")
    api = client(stack.web(), seeded)
    clips = [api.upload(clip(tmp_path, f"c{i}", i), f"c{i}.mp4") for i in range(3)]
    # Three video renders are waiting before any worker starts; the first two
    # will hold both worker processes (their inputs are gated: the render
    # blocks opening the file, as on a slow disk, until the test lets it go).
    gates = [Gate(cache_path(digest)) for digest in clips[:2]]
    videos = [api.submit("invert", [digest])["run_id"] for digest in clips]
    first = stack.worker(concurrency=1)
    stack.worker(concurrency=1)
    held = Step.objects.filter(run_steps__run_id__in=videos[:2], type="EFFECT")
    wait_until(lambda: held.filter(status="running").count() == 2,
               "both worker processes to be rendering a video")
    third = Step.objects.filter(run_steps__run_id=videos[2], type="EFFECT").get()
    wait_until(lambda: Run.objects.filter(pk=videos[2], status="running").exists()
               and queued_in(redis_url, f"{stack.queue}.video") >= 1,
               "the third video's render to be waiting in its queue")
    assert Step.objects.get(pk=third.pk).status == "pending"

    still = api.submit("dog", [seeded["cat"]])["run_id"]
    gates[0].release()  # the first video finishes: one process comes free
    done = api.wait_finished(still)
    assert done["status"] == "completed", done["error"]
    third.refresh_from_db()
    # The free process took the still, not the video render queued before it.
    assert third.started_at is None or third.started_at > Run.objects.get(pk=still).finished_at

    gates[1].release()
    for run_id in videos:
        assert api.wait_finished(run_id)["status"] == "completed"
    # A worker started as `make run` and `make worker` start it (no -Q) takes every queue.
    for kind in ("upkeep", "stills", "video"):
        assert f"{stack.queue}.{kind} " in first.log()
