"""Fault 5: a render that hangs is stopped by the soft limit, or by the hard
limit when the soft one cannot reach it, and marked failed; a run whose
worker vanished is found by the reaper and rendered again."""

import pytest

from cache.store import cache_path
from runs.models import Run
from tests import images

from .conftest import client
from .stack import Gate, tally, wait_until

pytestmark = pytest.mark.faults


def hang(api, seed: int) -> str:
    """A run whose input never arrives (its file blocks like a dead NFS mount)."""
    digest = api.upload(images.png(64, 48, seed=seed), f"hang{seed}.png")
    Gate(cache_path(digest))
    return api.submit("invert", [digest])["run_id"]


def test_a_hanging_render_is_stopped_by_the_soft_limit_and_frees_its_worker(
        make_stack, seeded, report):
    stack = make_stack(ARTDAG_RENDER_SOFT_LIMIT=2, ARTDAG_RENDER_HARD_LIMIT=60)
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    stuck = hang(api, 51)
    later = api.submit("invert", ["cat"])["run_id"]  # waits behind it on the one process

    hung, done = api.wait_finished(stuck), api.wait_finished(later)
    assert hung["status"] == "failed"
    assert hung["error"] == "render stopped: over the soft time limit of 2 s"
    assert done["status"] == "completed"
    report(fault="5a", **tally(stack, api, [stuck, later]))


def test_a_render_the_soft_limit_cannot_stop_is_killed_at_the_hard_limit_and_marked_failed(
        make_stack, seeded, report):
    # Soft limit off: only the hard limit (the pool kills the process) applies.
    stack = make_stack(ARTDAG_RENDER_SOFT_LIMIT=0, ARTDAG_RENDER_HARD_LIMIT=3)
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    stack.beat()
    stuck = hang(api, 52)
    later = api.submit("invert", ["cat"])["run_id"]

    hung, done = api.wait_finished(stuck), api.wait_finished(later)
    assert hung["status"] == "failed"
    assert "over the hard time limit of 3 s" in hung["error"]
    assert done["status"] == "completed"
    assert "Hard time limit (3" in stack.worker_logs()
    report(fault="5b", **tally(stack, api, [stuck, later]))


def test_a_run_left_running_by_a_vanished_worker_is_reaped_and_rendered_again(
        make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    lost = stack.worker(concurrency=1)
    stack.beat()
    digest = api.upload(images.png(64, 48, seed=53), "vanish.png")
    gate = Gate(cache_path(digest))
    run_id = api.submit("invert", [digest])["run_id"]
    wait_until(lambda: Run.objects.filter(pk=run_id, status="running").exists(), "the render")

    lost.kill()  # the whole worker, parent included: nobody will redeliver its message
    gate.restore()
    assert Run.objects.get(pk=run_id).status == "running"
    stack.worker(concurrency=1)
    run = api.wait_finished(run_id)

    assert run["status"] == "completed", run["error"]
    assert run["attempts"] == 2
    # The beat's sweep ran in a worker; the line is in the new worker's log.
    assert 'reason="worker stopped sending heartbeats"' in stack.worker_logs()
    report(fault="5d", **tally(stack, api, [run_id], attempts=run["attempts"]))


def test_a_long_render_that_keeps_its_heartbeat_is_never_reaped(make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    stack.beat()
    digest = api.upload(images.png(64, 48, seed=54), "long.png")
    gate = Gate(cache_path(digest))
    run_id = api.submit("invert", [digest])["run_id"]
    wait_until(lambda: Run.objects.filter(pk=run_id, status="running").exists(), "the render")
    started = Run.objects.get(pk=run_id)

    # Held for three heartbeat timeouts while the sweep runs every second.
    wait_until(lambda: (Run.objects.get(pk=run_id).heartbeat_at - started.started_at
                        ).total_seconds() > 12, "the heartbeat to outlive three timeouts")
    gate.release()
    run = api.wait_finished(run_id)

    assert run["status"] == "completed" and run["attempts"] == 1
    assert stack.events(run_id, "running") == 1
    report(fault="5e", **tally(stack, api, [run_id]))
