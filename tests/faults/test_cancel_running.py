"""Fault 8: cancelling. A pending run never starts; a running one has its
render process terminated; the run says cancelled and by whom."""

import pytest

from cache.store import cache_path
from runs.models import Run
from tests import images

from .conftest import client
from .stack import Gate, children, tally, wait_until

pytestmark = pytest.mark.faults


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_cancel_terminates_a_running_render_and_a_pending_run_never_starts(
        make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    worker = stack.worker(concurrency=1)
    digest = api.upload(images.png(80, 60, seed=81), "cancel.png")
    gate = Gate(cache_path(digest))  # the render would wait forever
    running = api.submit("invert", [digest])["run_id"]
    wait_until(lambda: Run.objects.filter(pk=running, status="running").exists(), "the render")
    (renderer,) = children(worker.pid)
    waiting = api.submit("sepia-print", ["cat"])["run_id"]  # queued behind it

    assert api.post(f"/runs/{waiting}/cancel").json()["status"] == "cancelled"
    cancelled = api.post(f"/runs/{running}/cancel").json()

    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == "faulty"
    wait_until(lambda: not alive(renderer), "the render process to be terminated")
    gate.restore()
    # The worker is free again: a new run completes...
    after = api.wait_finished(api.submit("invert", ["cat"])["run_id"])
    assert after["status"] == "completed"
    # ...while the cancelled ones stay cancelled, the pending one never started.
    assert api.run(running)["status"] == "cancelled"
    assert api.run(waiting)["status"] == "cancelled" and api.run(waiting)["started_at"] is None
    assert stack.events(waiting, "running") == 0
    report(fault=8, **tally(stack, api, [running, waiting, after["run_id"]]))
