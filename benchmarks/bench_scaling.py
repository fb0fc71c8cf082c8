"""Figure 8: throughput with 1, then 2 worker processes.

200 distinct 64x64 PNGs per phase are uploaded first. Each phase starts its
workers (one `celery worker --concurrency=1` process, then two of them, as
two hosts would), warms them on a few runs, then has them stop consuming
(Celery's cancel_consumer) while one `invert` run per PNG is submitted
through POST /runs, and resume (add_consumer): the workers face a backlog
of 200 runs, as after a burst of submissions. Runs/s is 200 over the span
from the first run's started_at to the last one's finished_at, as the
server recorded them (same machine, same clock). Submitting while the
workers run would measure the single submitting client instead: one POST
costs about as much as one small render, so both phases would run at the
client's pace (8d reports that end-to-end figure too).

8b, the per-run overhead: what one worker spends on a run beyond the effect
itself (decode + invert + encode, timed in-process on the same files):
the median of finished_at - started_at (the task body: claim, fetch rows,
render, store, index, record provenance) minus the in-process render, and
the span per run with one worker minus the render (adds the broker, the
task's own bookkeeping and the result backend).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timezone

import psycopg
from celery import Celery

from .common import Row, fmt_ms, log, median, timed
from .images import png_bytes, synthetic
from .processes import start_worker

RUNS = 200
LIVE = 60  # runs per phase for 8d, submitted while the workers run
SIZE = 64
TARGET_RATIO = 1.7
TARGET_OVERHEAD = 0.015


def _upload(client, seeds) -> list[str]:
    hashes = []
    for seed in seeds:
        status, item = client.upload("/cache", f"scale-{seed}.png",
                                     png_bytes(synthetic(SIZE, seed=seed)), "image/png")
        if status not in (200, 201):
            raise RuntimeError(f"POST /cache -> {status}: {item}")
        hashes.append(item["content_hash"])
    return hashes


def _submit(client, hashes: list[str]) -> list[str]:
    ids = []
    for content_hash in hashes:
        status, run = client.post_json("/runs", {"recipe": "invert", "inputs": [content_hash]})
        if status != 201:
            raise RuntimeError(f"expected a new run, POST /runs -> {status}: {run}")
        ids.append(run["run_id"])
    return ids


def _span(done: list[dict], since: datetime | None = None) -> float:
    """Seconds from `since` (else the first started_at) to the last finished_at."""
    first = since or min(datetime.fromisoformat(r["started_at"]) for r in done)
    return (max(datetime.fromisoformat(r["finished_at"]) for r in done) - first).total_seconds()


def _submit_and_wait(client, hashes: list[str]) -> tuple[float, list[dict]]:
    """Submit while the workers consume: first POST to the last finished_at."""
    start = datetime.now(timezone.utc)
    done = [client.wait_run(run_id, interval=0.01) for run_id in _submit(client, hashes)]
    return _span(done, start), done


def _backlog(env, client, procs, hashes: list[str]) -> tuple[float, float, list[dict]]:
    """Queue every run while the workers hold off, then let them at it.
    Returns (workers' span, seconds the submissions took, finished runs)."""
    app = Celery("artdag-bench-control", broker=env.redis_url)
    nodes = [proc.nodename for proc in procs]
    try:
        paused = app.control.cancel_consumer(env.queue, destination=nodes, reply=True, timeout=5)
        if len(paused) != len(nodes):
            raise RuntimeError(f"cancel_consumer answered by {paused}, expected {nodes}")
        t0 = time.perf_counter()
        ids = _submit(client, hashes)
        submitting = time.perf_counter() - t0
        app.control.add_consumer(env.queue, destination=nodes, reply=True, timeout=5)
    finally:
        app.close()
    _wait_quietly(env, ids)
    done = [client.get_json(f"/runs/{run_id}") for run_id in ids]
    if bad := [r for r in done if r["status"] != "completed"]:
        raise RuntimeError(f"{len(bad)} runs did not complete, e.g. {bad[0]}")
    return _span(done), submitting, done


def _wait_quietly(env, ids: list[str], timeout: float = 600) -> None:
    """Wait for every run to finish with one cheap query every 0.2 s: polling
    each run through the API would take the cores the workers are timed on."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        while conn.execute("SELECT count(*) FROM runs_run WHERE id = ANY(%s) AND status NOT IN "
                           "('completed', 'failed', 'cancelled')", (ids,)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"runs still unfinished after {timeout:.0f} s")
            time.sleep(0.2)


def _phase(env, client, workers: int, hashes: list[str], warm: list[str]):
    procs = [start_worker(env, 1, name=f"scale{workers}-{i}") for i in range(workers)]
    try:
        # Each pool process opens its database connection and loads the engine.
        _submit_and_wait(client, warm[:2 * workers])
        span, submitting, done = _backlog(env, client, procs, hashes[:-LIVE])
        live, _ = _submit_and_wait(client, hashes[-LIVE:])
        return span, submitting, done, live
    finally:
        for proc in procs:
            proc.stop()


def _render_time(env, blob: bytes) -> float:
    from engine.recipe import validate_definition
    from engine.render import render

    path = env.data_dir / "scale-probe.png"
    path.write_bytes(blob)
    definition = validate_definition({"inputs": 1, "steps": [{"effect": "invert", "params": {}}]})
    one = lambda: render(definition, [path], max_pixels=100_000_000, input_format="PNG")  # noqa: E731
    one()
    return median([timed(one) for _ in range(50)])


def _durability_waits(env, repeats: int = 30) -> tuple[float, float]:
    """(one PostgreSQL commit of a one-row write, one file write + fsync +
    rename + directory fsync as cache.store does), medians on this machine."""
    commits = []
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (n int)")
        for n in range(repeats):
            t0 = time.perf_counter()
            conn.execute("INSERT INTO bench_commit_probe VALUES (%s)", (n,))
            commits.append(time.perf_counter() - t0)
        conn.execute("DROP TABLE bench_commit_probe")
    folder = env.data_dir / "fsync-probe"
    folder.mkdir(exist_ok=True)
    syncs = []
    for n in range(repeats):
        t0 = time.perf_counter()
        temp = folder / f"t{n}"
        with open(temp, "wb") as out:
            out.write(os.urandom(4096))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, folder / f"f{n}")
        fd = os.open(folder, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        syncs.append(time.perf_counter() - t0)
    return median(commits), median(syncs)


def run(env, client, runs: int = RUNS) -> list[Row]:
    t_render = _render_time(env, png_bytes(synthetic(SIZE, seed=50_000)))
    t_commit, t_sync = _durability_waits(env)
    log(f"uploading {2 * (runs + LIVE) + 8} small PNGs ...")
    first = _upload(client, range(50_000, 50_000 + runs + LIVE))
    second = _upload(client, range(60_000, 60_000 + runs + LIVE))
    warm = _upload(client, range(70_000, 70_000 + 8))
    span1, submit1, done1, live1 = _phase(env, client, 1, first, warm[:2])
    span2, submit2, done2, live2 = _phase(env, client, 2, second, warm[2:])
    rate1, rate2 = runs / span1, runs / span2
    # A render's durable writes: the claim and the completion (which indexes
    # the output in the same transaction) are two commits; the output file is
    # one write+fsync+rename+dir fsync.
    durable = 2 * t_commit + t_sync
    in_task = [r["duration_seconds"] for r in done1]
    task_overhead = statistics.median(in_task) - t_render
    span_overhead = span1 / runs - t_render
    log(f"scaling: 1 worker {rate1:.1f} runs/s, 2 workers {rate2:.1f} runs/s; render "
        f"{fmt_ms(t_render)}, in-task overhead {fmt_ms(task_overhead)}")
    return [
        Row(f"8. {runs} small runs through the API, queued: 2 worker processes vs 1",
            f"{rate2:.1f} runs/s", f"{rate1:.1f} runs/s", rate2 / rate1, f">= {TARGET_RATIO}",
            rate2 / rate1 >= TARGET_RATIO,
            note=f"each `celery worker --concurrency=1`; 64x64 `invert`, fresh inputs per phase, "
                 f"submitted through POST /runs while the workers held off ({runs / submit1:.0f} "
                 f"and {runs / submit2:.0f} submissions/s); first started_at to last finished_at; "
                 f"the web server, PostgreSQL and Redis share the same 2 cores; thumbnails go to "
                 f"their own queue (ARTDAG_THUMB_QUEUE), not consumed here"),
        Row("8b. per-run overhead inside the task (finished_at - started_at - render), median",
            fmt_ms(task_overhead), f"render {fmt_ms(t_render)}", task_overhead / t_render,
            f"< {TARGET_OVERHEAD * 1000:.0f} ms", task_overhead < TARGET_OVERHEAD,
            note=f"render = decode+invert+encode in-process, median of 50; the span per run with "
                 f"one worker minus the render: {fmt_ms(span_overhead)} (adds the broker, "
                 f"Celery's own bookkeeping and the result backend)"),
        Row("8c. that overhead minus its durability waits (2 PostgreSQL commits + 1 file fsync pair)",
            fmt_ms(task_overhead - durable), f"waits {fmt_ms(durable)}",
            (task_overhead - durable) / durable, "info", None,
            note=f"measured here: one commit {fmt_ms(t_commit)}, one file write+fsync+rename+dir "
                 f"fsync {fmt_ms(t_sync)} (medians of 30); on a disk with a write cache both are "
                 f"well under a millisecond"),
        Row(f"8d. {LIVE} runs submitted one by one while the workers run: 2 workers vs 1",
            f"{LIVE / live2:.1f} runs/s", f"{LIVE / live1:.1f} runs/s", live1 / live2, "info", None,
            note="first POST /runs to the last finished_at, one client submitting in turn; "
                 "bound by that client and the web server sharing the cores, not by the workers"),
    ]
