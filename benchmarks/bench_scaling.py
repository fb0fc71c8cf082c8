"""Figure 8: throughput with 1, then 2 worker processes.

Two `celery worker --concurrency=1` processes (as two hosts would run) are
started once and warmed. Each phase queues 200 `invert` runs on fresh 64x64
PNGs through POST /runs while every worker holds off (Celery's
cancel_consumer), then lets one worker, or both, at the backlog
(add_consumer). Runs/s is 200 over the span from the first run's
started_at to the last one's finished_at, as the server recorded them (same
machine, same clock). There are ROUNDS rounds, the order of the two phases
swapped each round; figures are medians. Submitting while the workers run
would time the single submitting client instead: one POST costs about as
much as one small render (8d reports that end-to-end figure too).

8b, the per-run overhead: what one worker spends on a run beyond the effect
itself (read + invert + write, timed in-process on the same files): the
median of finished_at - started_at (the task body: claim, fetch rows,
render, store, index, record provenance) minus the in-process render.
A small still's plan renders inline, in the one schedule_run task.
8e reads /proc/stat while the backlog drains: how busy the machine's cores
were, and so how much room a second worker had. 8g reads each pool
process's /proc/<pid>/schedstat over the same span: the time it spent on a
core, and the time it was ready to run but waited for one.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg
from celery import Celery

from .common import Row, fmt_ms, log, median, timed
from .images import png_bytes, synthetic
from .processes import start_worker
from .render import renderer

RUNS = 200
ROUNDS = 5
LIVE = 60  # runs per phase for 8d, submitted while the workers run
SIZE = 64
TARGET_RATIO = 1.7
TARGET_OVERHEAD = 0.015


def _upload(client, seeds) -> list[str]:
    """Upload one small PNG per seed, from 4 connections at once."""
    def one(seed: int) -> str:
        status, item = client.clone().upload("/cache", f"scale-{seed}.png",
                                             png_bytes(synthetic(SIZE, seed=seed)), "image/png")
        if status not in (200, 201):
            raise RuntimeError(f"POST /cache -> {status}: {item}")
        return item["content_hash"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, seeds))


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


class Consumers:
    """Turns the workers' consumption of the render queue on and off
    (Celery's add_consumer / cancel_consumer broadcast), so one set of warm
    workers serves every phase, and a backlog can build up first."""

    def __init__(self, env, procs):
        # Every queue a worker takes: the base and one per kind of work
        # (l1site.queues; a still's runs go to <base>.stills).
        self.queues = [env.queue] + [f"{env.queue}.{kind}"
                                     for kind in ("upkeep", "stills", "video")]
        self.procs = procs
        self.app = Celery("artdag-bench-control", broker=env.redis_url)

    def _tell(self, command, procs) -> None:
        nodes = [proc.nodename for proc in procs]
        for queue in self.queues:
            answered = command(queue, destination=nodes, reply=True, timeout=5)
            if len(answered) != len(nodes):
                raise RuntimeError(f"{command.__name__} answered by {answered}, expected {nodes}")

    def resume(self, procs) -> None:
        self._tell(self.app.control.add_consumer, procs)

    def pause(self, procs) -> None:
        self._tell(self.app.control.cancel_consumer, procs)

    def close(self) -> None:
        self.app.close()


def _backlog(env, client, consumers, procs, hashes: list[str]) -> Phase:
    """With every worker paused, queue a run per input through the API;
    then let `procs` at the backlog, and pause them again when it is done."""
    t0 = time.perf_counter()
    ids = _submit(client, hashes)
    submitting = time.perf_counter() - t0
    pools = [proc.child_pid() for proc in procs]
    consumers.resume(procs)
    before, sched_before = _busy(), [_schedstat(pid) for pid in pools]
    _wait_quietly(env, ids)
    after, sched_after = _busy(), [_schedstat(pid) for pid in pools]
    consumers.pause(procs)
    done = [client.get_json(f"/runs/{run_id}") for run_id in ids]
    if bad := [r for r in done if r["status"] != "completed"]:
        raise RuntimeError(f"{len(bad)} runs did not complete, e.g. {bad[0]}")
    return Phase(_span(done), len(ids) / submitting, done,
                 (after[1] - before[1]) / (after[0] - before[0]),
                 *(sum(b[i] - a[i] for a, b in zip(sched_before, sched_after)) / len(ids)
                   for i in (0, 1)))


@dataclass
class Phase:
    span: float           # first started_at to last finished_at
    submissions: float    # POST /runs per second while queueing
    done: list[dict]
    cores: float          # the machine's mean busy cores meanwhile
    on_core: float        # per run, seconds the pool processes ran...
    waiting: float        # ...and were ready to run but waited for a core

    @property
    def rate(self) -> float:
        return len(self.done) / self.span


def _busy() -> tuple[float, float]:
    """(now, CPU-seconds the machine's cores have spent busy), from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return time.monotonic(), (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _schedstat(pid: int) -> tuple[float, float]:
    """(seconds on a core, seconds runnable but waiting for one) of a process."""
    with open(f"/proc/{pid}/schedstat") as stat:
        on_core, waiting, _slices = map(int, stat.read().split())
    return on_core / 1e9, waiting / 1e9


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


def _measure(env, client, inputs: list[list[str]], live: list[list[str]], warm: list[str]):
    """ROUNDS rounds of a backlog for one worker and for two (order swapped
    each round, so drift in the machine's speed falls on both), then the
    live figure. Returns ({1: [Phase...], 2: [...]}, {1: live s, 2: live s})."""
    procs = [start_worker(env, 1, name=f"scale-{i}") for i in range(2)]
    consumers = Consumers(env, procs)
    try:
        _submit_and_wait(client, warm)  # both pool processes connect and load the engine
        consumers.pause(procs)
        phases = {1: [], 2: []}
        for round_ in range(ROUNDS):
            for n in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                phases[n].append(_backlog(env, client, consumers, procs[:n], inputs.pop()))
        spans = {}
        for n in (1, 2):
            consumers.resume(procs[:n])
            spans[n], _ = _submit_and_wait(client, live[n - 1])
            consumers.pause(procs[:n])
        return phases, spans
    finally:
        consumers.close()
        for proc in procs:
            proc.stop()


def _render_time(env, phases: list[Phase]) -> float:
    """The median in-process render (read + invert + write, benchmarks.render)
    of the very files those runs rendered, each once, as a worker meets them."""
    render = renderer("invert", media_type="image/png")
    paths = [env.cache_file(r["inputs"][0]["content_hash"]) for p in phases for r in p.done]
    render(paths[0])  # imports, first-call costs
    return median([timed(lambda path=path: render(path)) for path in paths])


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
    t_commit, t_sync = _durability_waits(env)
    log(f"uploading {2 * ROUNDS * runs + 2 * LIVE + 4} small PNGs ...")
    seeds = iter(range(50_000, 10 ** 9))
    inputs = [_upload(client, [next(seeds) for _ in range(runs)]) for _ in range(2 * ROUNDS)]
    live = [_upload(client, [next(seeds) for _ in range(LIVE)]) for _ in range(2)]
    phases, live_spans = _measure(env, client, inputs, live,
                                  _upload(client, [next(seeds) for _ in range(4)]))
    t_render = _render_time(env, phases[1])
    rate1 = statistics.median(p.rate for p in phases[1])
    rate2 = statistics.median(p.rate for p in phases[2])
    cores1 = statistics.median(p.cores for p in phases[1])
    cores2 = statistics.median(p.cores for p in phases[2])
    cpu1 = statistics.median(p.cores * p.span / runs for p in phases[1])
    cpu2 = statistics.median(p.cores * p.span / runs for p in phases[2])
    submissions = statistics.median(p.submissions for ps in phases.values() for p in ps)
    # A render's durable writes: the claim and the completion (which indexes
    # the output in the same transaction) are two commits; the output file is
    # one write+fsync+rename+dir fsync.
    durable = 2 * t_commit + t_sync
    task_overhead = statistics.median(
        r["duration_seconds"] for p in phases[1] for r in p.done) - t_render
    task_overhead2 = statistics.median(
        r["duration_seconds"] for p in phases[2] for r in p.done) - t_render
    span_overhead = 1 / rate1 - t_render
    each = ", ".join(f"{p.rate:.1f}" for p in phases[1]) + " and " + ", ".join(
        f"{p.rate:.1f}" for p in phases[2])
    log(f"scaling: 1 worker {rate1:.1f} runs/s, 2 workers {rate2:.1f} runs/s ({each}); render "
        f"{fmt_ms(t_render)}, in-task overhead {fmt_ms(task_overhead)}")
    return [
        Row(f"8. {runs} small runs through the API, queued: 2 worker processes vs 1",
            f"{rate2:.1f} runs/s", f"{rate1:.1f} runs/s", rate2 / rate1, f">= {TARGET_RATIO}",
            rate2 / rate1 >= TARGET_RATIO,
            note=f"median of {ROUNDS} rounds ({each} runs/s), order swapped each round; each "
                 f"`celery worker --concurrency=1`; 64x64 `invert`, fresh inputs per phase, "
                 f"submitted through POST /runs while the workers held off ({submissions:.0f} "
                 f"submissions/s); first started_at to last finished_at; the web server, "
                 f"PostgreSQL and Redis share the same 2 cores; thumbnails go to their own "
                 f"queue (ARTDAG_THUMB_QUEUE), not consumed here"),
        Row("8b. per-run overhead inside the task (finished_at - started_at - render), median",
            fmt_ms(task_overhead), f"render {fmt_ms(t_render)}", task_overhead / t_render,
            f"< {TARGET_OVERHEAD * 1000:.0f} ms", task_overhead < TARGET_OVERHEAD,
            note=f"over the {ROUNDS * runs} one-worker runs; render = read+invert+write "
                 f"in-process of each of those runs' inputs once, median; with two workers at once {fmt_ms(task_overhead2)}; "
                 f"the span per run with one worker minus the render: {fmt_ms(span_overhead)} "
                 f"(adds the broker and Celery's own bookkeeping)"),
        Row("8c. that overhead minus its durability waits (2 PostgreSQL commits + 1 file fsync pair)",
            fmt_ms(task_overhead - durable), f"waits {fmt_ms(durable)}",
            (task_overhead - durable) / durable, "info", None,
            note=f"measured here: one commit {fmt_ms(t_commit)}, one file write+fsync+rename+dir "
                 f"fsync {fmt_ms(t_sync)} (medians of 30); on a disk with a write cache both are "
                 f"well under a millisecond"),
        Row("8e. the machine's busy cores while the backlog drains: 2 workers vs 1",
            f"{cores2:.2f} of {os.cpu_count()}", f"{cores1:.2f}", cores2 / cores1, "info", None,
            note=f"from /proc/stat, medians; CPU per run, every process on the machine "
                 f"(workers, their Celery parents, PostgreSQL, Redis): {fmt_ms(cpu1)} with one "
                 f"worker, {fmt_ms(cpu2)} with two; with every core busy, two workers could not "
                 f"do better than {os.cpu_count() / cores1:.2f}x one"),
        Row("8g. per run, the pool processes' time ready to run but waiting for a core: "
            "2 workers vs 1",
            fmt_ms(statistics.median(p.waiting for p in phases[2])),
            fmt_ms(statistics.median(p.waiting for p in phases[1])),
            statistics.median(p.waiting for p in phases[2])
            / statistics.median(p.waiting for p in phases[1]), "info", None,
            note=f"from /proc/<pid>/schedstat of each worker's pool process over the drain, "
                 f"medians, summed over the pool processes and divided by the runs; their time "
                 f"on a core per run: {fmt_ms(statistics.median(p.on_core for p in phases[1]))} "
                 f"with one worker, {fmt_ms(statistics.median(p.on_core for p in phases[2]))} "
                 f"with two; over the same spans the machine's cores were on average "
                 f"{os.cpu_count() - cores2:.2f} of {os.cpu_count()} idle with two (8e): the "
                 f"wait is for the core a process is woken on, in bursts, not for the machine"),
        Row(f"8d. {LIVE} runs submitted one by one while the workers run: 2 workers vs 1",
            f"{LIVE / live_spans[2]:.1f} runs/s", f"{LIVE / live_spans[1]:.1f} runs/s",
            live_spans[1] / live_spans[2], "info", None,
            note="first POST /runs to the last finished_at, one client submitting in turn; "
                 "bound by that client and the web server sharing the cores, not by the workers"),
    ]
