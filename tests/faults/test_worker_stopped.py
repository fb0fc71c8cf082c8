"""Fault 9d: a worker stopped mid-render. Celery's cold shutdown (make run's
Ctrl-C once its grace is over, a deploy) ends each pool process with
SIGTERM; the render is given back, uncounted, so however often a long render
is interrupted by stops it is never failed for them. SIGKILL (the OOM killer)
still counts: tests/faults/test_worker_lost.py."""

import os
import signal

import pytest

from cache.store import cache_path
from tests import images, media_samples

from .modes import open_stack
from .stack import Client, Gate, children, tally, wait_until

pytestmark = pytest.mark.faults

STOPS = 3  # one more than the attempt cap below


def stop_pool(worker) -> None:
    """SIGTERM the worker's pool processes, as its cold shutdown does; the
    parent, still running here, starts new ones and redelivers the message."""
    for pid in children(worker.pid):
        os.kill(pid, signal.SIGTERM)


def render_through_stops(api: Client, worker, digest: str) -> dict:
    """Submit `dog` over the input, held at it by a gate; stop each delivery
    as it reaches the input, STOPS times; let the next one read it. The run
    as it finished."""
    gate = Gate(cache_path(digest))
    run_id = api.submit("dog", [digest])["run_id"]
    for stop in range(1, STOPS + 1):
        wait_until(lambda: Gate.reached(children(worker.pid)), f"delivery {stop} to reach its input")
        stop_pool(worker)
        wait_until(lambda: worker.log().count("given back: this worker is stopping") == stop,
                   f"stop {stop} to give the render back")
    wait_until(lambda: Gate.reached(children(worker.pid)), "the delivery after the stops to reach its input")
    gate.release()  # the last delivery, waiting at the input, reads it
    run = api.wait_finished(run_id)
    gate.restore()
    return run


def test_a_still_stopped_more_often_than_the_attempt_cap_completes_with_one_attempt_counted(
        make_stack, request, report):
    # make run's embedded mode: test_pool_killed's Ctrl-C test stops it for real.
    stack, token = open_stack("postgres-redis", make_stack, request, ARTDAG_MAX_RENDER_ATTEMPTS=2)
    api = Client(stack.web(), token)
    worker = stack.worker(concurrency=1)
    digest = api.upload(images.png(320, 240, seed=93), "stopped.png")

    run = render_through_stops(api, worker, digest)

    assert run["status"] == "completed", run["error"]
    assert run["attempts"] == 1  # the stops gave theirs back
    assert worker.log().count(f"run {run['run_id']} given back") == STOPS
    report(fault="9d", **tally(stack, api, [run["run_id"]], attempts=run["attempts"]))


def test_a_clip_whose_reader_the_stop_interrupts_is_given_back_not_failed_as_a_broken_file(
        make_stack, request, tmp_path):
    # A clip renders step by step, its steps leased. FFmpeg waiting to open
    # the gated input takes the SIGTERM as a failed system call and reports a
    # broken file before Python can raise: that must not fail the step.
    stack, token = open_stack("postgres-redis", make_stack, request,
                              ARTDAG_MAX_RENDER_ATTEMPTS=2, ARTDAG_STEP_LEASE_SECONDS=3)
    api = Client(stack.web(), token)
    worker = stack.worker(concurrency=1)
    stack.beat()
    clip = media_samples.video(tmp_path / "stopped.mp4", size=(320, 180), seconds=1.0,
                               audio="mono").read_bytes()

    run = render_through_stops(api, worker, api.upload(clip, "stopped.mp4"))

    assert run["status"] == "completed", run["error"]
    rendered = [item for item in run["steps"]["items"] if item["type"] != "SOURCE"]
    assert rendered and all(item["attempts"] == 1 for item in rendered), rendered
