"""Fault 9: every pool process of a worker killed at the same moment (the
OOM killer, a container's memory limit) in the middle of a render, in
`make run`'s embedded mode and with PostgreSQL and Redis; /health naming a
queue no live worker consumes; Ctrl-C stopping `make run` in every state."""

import hashlib
import os
import signal
import time

import pytest
import requests

from cache.store import cache_path
from tests import images, media_samples

from .modes import MODES, kill_pool, open_stack
from .stack import ROOT, Client, Gate, cache_tree, children, free_port, tally, wait_until

pytestmark = pytest.mark.faults

# Seconds, not minutes: a killed render's step lease runs out within the test.
FAST = {"ARTDAG_STEP_LEASE_SECONDS": 3}


def clip(tmp_path, name: str, seconds: float = 2.0) -> bytes:
    """A real H.264 clip with B-frames and sound, as a phone makes."""
    return media_samples.video(tmp_path / name, size=(320, 180), seconds=seconds,
                               audio="stereo").read_bytes()


def status_is(api: Client, run_id: str, *states: str):
    return lambda: api.run(run_id)["status"] in states


def assert_cache_whole(digest: str) -> dict:
    tree = cache_tree(cache_path(digest).parents[2])
    for name, path in tree.items():
        assert hashlib.sha3_256(path.read_bytes()).hexdigest() == name
    return tree


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_whose_pool_processes_all_die_at_once_finishes_the_run_and_the_next_one(
        mode, make_stack, request, tmp_path, report):
    stack, token = open_stack(mode, make_stack, request, **FAST)
    api = Client(stack.web(), token)
    worker = stack.worker(concurrency=2)
    stack.beat()
    digest = api.upload(clip(tmp_path, "long.mp4"), "long.mp4")
    gate = Gate(cache_path(digest))  # the render is under way until the test says
    run_id = api.submit("dog", [digest])["run_id"]
    wait_until(status_is(api, run_id, "running"), "the render to start")

    killed = kill_pool(worker)
    assert len(killed) == 2
    wait_until(lambda: set(children(worker.pid)).isdisjoint(killed)
               and len(children(worker.pid)) == 2, "the pool to be replaced")
    gate.restore()
    run = api.wait_finished(run_id)

    assert run["status"] == "completed", run["error"]
    assert worker.popen.poll() is None  # the same worker, not a restarted one
    tree = assert_cache_whole(digest)
    assert run["output_hash"] in tree
    # The next run goes through the same worker.
    other = api.upload(clip(tmp_path, "next.mp4", seconds=1.0), "next.mp4")
    after = api.wait_finished(api.submit("invert", [other])["run_id"])
    assert after["status"] == "completed", after["error"]
    assert stack.events(run_id, "completed", wait=5) == 1
    report(fault="9a", mode=mode, **tally(stack, api, [run_id, after["run_id"]]))


def health(url: str) -> requests.Response:
    return requests.get(url + "/health", timeout=60)


@pytest.mark.parametrize("mode", MODES)
def test_health_names_a_stalled_queue_while_its_worker_answers_and_consumes_nothing(
        mode, make_stack, request):
    stack, token = open_stack(mode, make_stack, request, ARTDAG_QUEUE_STALL_SECONDS=3)
    url = stack.web()
    worker = stack.worker(concurrency=2)
    stack.beat()  # a sweep a second: messages keep arriving
    # Healthy once the worker has taken what seeding queued.
    wait_until(lambda: health(url).status_code == 200, "/health to be ok", every=0.5)
    pool = children(worker.pid)
    for pid in pool:  # hung in the kernel, as on a dead network mount
        os.kill(pid, signal.SIGSTOP)
    try:
        # (A 503 response is falsy: wait for its body.)
        error = wait_until(lambda: (lambda r: r.status_code == 503 and r.json())(health(url)),
                           "/health to call the queue stalled", every=0.5)["error"]
        assert error["code"] == "unhealthy" and error["message"] == "failing: queues"
        checks = error["details"]["checks"]
        assert checks["database"] == checks["broker"] == checks["cache_dir"] == "ok"
        waiting = [name for name, q in error["details"]["queues"].items() if q["waiting"]]
        assert any(name in checks["queues"] for name in waiting), checks["queues"]
        assert "QueueStalled" in checks["queues"] and "pool processes free" in checks["queues"]
    finally:
        for pid in pool:
            os.kill(pid, signal.SIGCONT)
    # Consuming again, it is healthy again.
    wait_until(lambda: health(url).status_code == 200, "/health to recover", every=0.5)


def test_health_calls_a_worker_busy_with_a_long_render_busy_not_stalled(make_stack, seeded):
    stack = make_stack(ARTDAG_QUEUE_STALL_SECONDS=2)
    url = stack.web()
    api = Client(url, seeded["token"])
    stack.worker(concurrency=1)
    stack.beat()
    # A still: fed through the gate's pipe, which a clip's reader cannot seek in.
    digest = api.upload(images.png(300, 200, seed=81), "busy.png")
    gate = Gate(cache_path(digest))
    run_id = api.submit("dog", [digest])["run_id"]
    wait_until(status_is(api, run_id, "running"), "the render to start")

    # Sweeps wait behind the render for longer than the stall time ...
    def old_enough():
        body = health(url).json()
        queues = body.get("queues") or body["error"]["details"]["queues"]
        return body if any(q["waiting"] and (q["oldest_seconds"] or 0) >= 3
                           for q in queues.values()) else None
    body = wait_until(old_enough, "a message to wait behind the render", every=0.5)
    # ... and the only pool process is rendering: busy, not stalled.
    assert body["status"] == "ok" and body["checks"]["queues"] == "ok", body
    gate.release()  # the render holds the gate open: feed it
    assert api.wait_finished(run_id)["status"] == "completed"


def _group_gone(server) -> bool:
    """No live process left in the server's process group (zombies waiting
    for whoever adopted them do not count)."""
    server.poll()  # reap the script itself
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == server.pid and fields[0] != "Z":
                return False
    return True


def _ctrl_c(server) -> float:
    """Ctrl-C as a terminal sends it (SIGINT to the whole foreground group);
    the seconds until every process of `make run` has exited."""
    started = time.monotonic()
    os.killpg(server.pid, signal.SIGINT)
    wait_until(lambda: _group_gone(server), "make run to stop", every=0.05)
    return time.monotonic() - started


def test_ctrl_c_stops_make_run_within_15_s_idle_rendering_and_with_its_pool_killed(
        make_stack, request, report):
    stack, token = open_stack("embedded", make_stack, request, **FAST)
    port = free_port()

    def serve():
        server = stack._start("serve", [str(ROOT / "scripts" / "serve.sh")], PORT=port)
        api = Client(f"http://127.0.0.1:{port}", token)
        wait_until(lambda: _answers(api), "make run to answer", 60)
        return server.popen, api

    def worker_of(server) -> int:
        wait_until(lambda: _celery_worker(server.pid), "the worker to start")
        pid = _celery_worker(server.pid)
        wait_until(lambda: len(children(pid)) == 2, "its pool to start")
        return pid

    server, api = serve()
    idle = _ctrl_c(server)

    server, api = serve()
    # A still, gated: its render waits at the input until the test says.
    digest = api.upload(images.png(320, 240, seed=91), "ctrl-c.png")
    gate = Gate(cache_path(digest))
    run_id = api.submit("dog", [digest])["run_id"]
    worker = worker_of(server)
    wait_until(lambda: Gate.reached(children(worker)), "the render to reach its input")
    rendering = _ctrl_c(server)

    server, api = serve()
    worker = worker_of(server)
    wait_until(lambda: Gate.reached(children(worker)), "the render to reach its input again")
    for pid in children(worker):
        os.kill(pid, signal.SIGKILL)
    pool_killed = _ctrl_c(server)

    assert idle < 15 and rendering < 15 and pool_killed < 15, (idle, rendering, pool_killed)
    # Nothing was lost on the way: started again, it finishes the render.
    gate.restore()
    server, api = serve()
    run = api.wait_finished(run_id)
    assert run["status"] == "completed", run["error"]
    # The kill counted; the two stops gave their attempts back (runs.stopping),
    # so stopping make run during a render never uses up its attempts.
    assert run["attempts"] == 2
    _ctrl_c(server)
    report(fault="9c", stop_seconds={"idle": round(idle, 1), "rendering": round(rendering, 1),
                                     "pool_killed": round(pool_killed, 1)})


def _answers(api: Client) -> bool:
    try:
        return api.get("/effects").status_code == 200
    except requests.RequestException:
        return False


def _celery_worker(serve_pid: int) -> int | None:
    for pid in children(serve_pid):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except FileNotFoundError:
            continue
        if b"worker" in argv and any(a.endswith(b"celery") for a in argv):
            return pid
    return None
