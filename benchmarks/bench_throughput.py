"""Figure 5: 100 distinct small runs through the API, the broker and the workers.

100 different 64x64 PNGs are uploaded (POST /cache), then one `invert` run
is submitted for each (POST /runs) and each is polled (GET /runs/{id}) until
it completes. The clock runs from the first POST /runs to the moment the
last run is seen completed. The worker is ONE `celery worker` process with
prefork --concurrency=2, i.e. two render processes.

Baseline: the same 100 renders done in-process, one after another, by the
engine (benchmarks.render) from the same PNG files. The ratio is API throughput
over serial in-process throughput; the per-run overhead is the worker time a
run costs beyond its render: wall per run x workers - one render's time.
"""

from __future__ import annotations

import time
from datetime import datetime

from .common import Row, fmt_ms, log, median, timed
from .images import png_bytes, synthetic

RUNS = 100
SIZE = 64


def _warm_workers(client) -> None:
    """Give both pool processes a first task (DB connection, imports, the
    software identity hash), as a server that has been up a while would have."""
    ids = []
    for recipe in ("invert", "sepia-print"):
        status, run = client.post_json("/runs", {"recipe": recipe, "inputs": ["cat"]})
        if status not in (200, 201):
            raise RuntimeError(f"POST /runs -> {status}: {run}")
        ids.append(run["run_id"])
    for run_id in ids:
        client.wait_run(run_id)


def run(env, client, workers: int, runs: int = RUNS) -> list[Row]:
    from .render import renderer

    blobs = [png_bytes(synthetic(SIZE, seed=10_000 + i)) for i in range(runs)]
    if len(set(blobs)) != runs:
        raise AssertionError("the small images are not all distinct")

    # --- Baseline: the same renders, in-process and serially.
    folder = env.data_dir / "small"
    folder.mkdir()
    paths = []
    for i, blob in enumerate(blobs):
        paths.append(folder / f"small-{i:03d}.png")
        paths[-1].write_bytes(blob)
    one = renderer("invert")

    def serial():
        for path in paths:
            one(path)

    serial()  # warm-up
    t_serial = median([timed(serial) for _ in range(3)])
    t_render = median([timed(lambda: one(paths[0])) for _ in range(50)])

    # --- Through the server.
    _warm_workers(client)
    start = time.perf_counter()
    hashes = []
    for i, blob in enumerate(blobs):
        status, item = client.upload("/cache", f"bench-{i:03d}.png", blob, "image/png")
        if status != 201:
            raise RuntimeError(f"POST /cache -> {status}: {item}")
        hashes.append(item["content_hash"])
    t_upload = time.perf_counter() - start

    start = time.perf_counter()
    ids = []
    for content_hash in hashes:
        status, run = client.post_json("/runs", {"recipe": "invert", "inputs": [content_hash]})
        if status != 201:
            raise RuntimeError(f"expected a new run, POST /runs -> {status}: {run}")
        ids.append(run["run_id"])
    t_submit = time.perf_counter() - start
    # Poll one run at a time, oldest first: runs finish roughly in order, and
    # a single poller keeps the web server's share of the two cores small.
    finished = []
    for run_id in ids:
        finished.append(client.wait_run(run_id, interval=0.005))
    wall = time.perf_counter() - start
    in_task = [run["duration_seconds"] or 0.0 for run in finished]
    # The workers' own span by the server's clock: first start to last finish.
    span = (max(datetime.fromisoformat(r["finished_at"]) for r in finished)
            - min(datetime.fromisoformat(r["started_at"]) for r in finished)).total_seconds()

    api_rate, serial_rate = runs / wall, runs / t_serial
    overhead = wall / runs * workers - t_render
    log(f"{runs} runs: {wall:.2f} s through the API (submit {t_submit:.2f} s, uploads "
        f"{t_upload:.2f} s), {t_serial:.3f} s in-process; one render {fmt_ms(t_render)}")
    note = (f"1 worker process, prefork --concurrency={workers}; submitting took {t_submit:.2f} s; "
            f"uploads beforehand {runs / t_upload:.0f}/s; new connection per request; "
            f"workers' own span (first started_at to last finished_at) {span:.2f} s "
            f"= {runs / span:.1f} runs/s")
    return [
        Row(f"5. {runs} distinct 64x64 invert runs: API+broker+workers vs serial render",
            f"{api_rate:.1f} runs/s", f"{serial_rate:.1f} runs/s", api_rate / serial_rate,
            "info", None, note=note),
        Row(f"5b. per-run overhead beyond the render (wall/run x {workers} - render)",
            fmt_ms(overhead), f"render {fmt_ms(t_render)}", overhead / t_render, "info", None,
            note="ratio = overhead / render time; inside the task (started_at -> "
                 f"finished_at, render included) a run took {fmt_ms(median(in_task))} (median)"),
    ]
