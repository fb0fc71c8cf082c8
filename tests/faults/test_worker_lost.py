"""Fault 1: a worker killed with SIGKILL mid-render; and a poison run that
kills its worker every time is failed after the attempt cap."""

import hashlib
import os
import signal

import pytest

from cache.store import cache_path
from runs.models import Run
from tests import images

from .conftest import client
from .stack import Gate, cache_tree, children, tally, wait_until

pytestmark = pytest.mark.faults


def kill_pool(worker) -> int:
    """SIGKILL the worker's pool processes (where renders run); the parent
    survives to redeliver the message, as when the kernel's OOM killer strikes."""
    pool = children(worker.pid)
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    return len(pool)


def running(run_id: str, attempt: int):
    return lambda: Run.objects.filter(pk=run_id, status="running", attempts=attempt).exists()


def test_a_run_whose_worker_is_killed_mid_render_is_delivered_again_and_completes(
        make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    worker = stack.worker(concurrency=2)
    stack.beat()
    digest = api.upload(images.encode(images.pattern(300, 200, seed=11)), "kill.png")
    gate = Gate(cache_path(digest))
    run_id = api.submit("dog", [digest])["run_id"]
    wait_until(running(run_id, 1), "the render to start")

    assert kill_pool(worker) >= 1
    gate.restore()
    run = api.wait_finished(run_id)

    assert run["status"] == "completed", run["error"]
    assert run["attempts"] == 2  # the killed delivery and the one that finished
    # Everything readers can see in the cache is whole: its bytes hash to its name.
    for name, path in cache_tree(cache_path(digest).parents[2]).items():
        assert hashlib.sha3_256(path.read_bytes()).hexdigest() == name
    assert run["output_hash"] in cache_tree(cache_path(digest).parents[2])
    assert stack.events(run_id, "completed", wait=5) == 1
    report(fault=1, **tally(stack, api, [run_id], attempts=run["attempts"]))


def test_a_run_that_kills_its_worker_every_time_is_failed_after_the_attempt_cap(
        make_stack, seeded, report):
    stack = make_stack(ARTDAG_MAX_RENDER_ATTEMPTS=2)
    api = client(stack.web(), seeded)
    worker = stack.worker(concurrency=2)
    stack.beat()
    digest = api.upload(images.encode(images.pattern(120, 90, seed=12)), "poison.png")
    Gate(cache_path(digest))  # never released: every delivery hangs until killed
    run_id = api.submit("invert", [digest])["run_id"]

    for attempt in (1, 2):
        wait_until(running(run_id, attempt), f"delivery {attempt} to start")
        kill_pool(worker)
    run = api.wait_finished(run_id)

    assert run["status"] == "failed"
    assert "gave up after 2 attempts" in run["error"]
    assert run["output_hash"] is None
    report(fault="5c", **tally(stack, api, [run_id], attempts=run["attempts"]))
