"""The machine description, the results table and BENCHMARKS.md."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
from pathlib import Path

from . import chaos_report
from .common import ROOT, Row


def machine() -> list[tuple[str, str]]:
    import numpy

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    blas = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} (usable by this process: {usable})"),
        ("memory", f"{mem_kib / 2**20:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("Python", platform.python_version()),
        ("numpy", numpy.__version__),
        ("BLAS/threads env", ", ".join(f"{k}={v}" for k, v in sorted(blas.items())) or "none set"),
    ]


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def _verdict(row: Row) -> str:
    if row.crashed:
        return "CRASH"
    return "info" if row.passed is None else ("PASS" if row.passed else "FAIL")


def table(rows: list[Row]) -> str:
    lines = ["| figure | measured | baseline | ratio | target | pass |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.figure} | {r.measured} | {r.baseline} | {_ratio(r.ratio)} "
                     f"| {r.target} | {_verdict(r)} |")
    return "\n".join(lines)


def notes(rows: list[Row]) -> str:
    return "\n".join(f"- {r.figure.split(' ', 1)[0]} {r.note}" for r in rows if r.note)


METHOD = """\
Every figure is a ratio to a baseline measured in the same run, interleaved
with it, median of repeats: the machine is small and shared, so absolute
numbers move from run to run while the ratios hold. The suite runs against its
own PostgreSQL database, Redis db number, data dir and queue, with the web
server started as scripts/serve.sh does (scripts/web.sh: gunicorn, gthread,
here one worker process) and one Celery worker process (prefork, concurrency 2), and
removes all of it afterwards.

1. `dog` on a 2048x2048 synthetic RGB picture: the engine's per-frame path
   (`get_effect` + `validate_params` + `effects.apply`, as engine/render.py
   does it) vs `effect.fn(arr, **params)`; 1b is a whole `render()` of the
   picture as PNG (decode + effect + encode), for information.
2. `cache.services.cache_import_local` of 256 MiB of random bytes vs
   `hashlib.sha3_256` over the same warm file in 1 MiB chunks, in a fresh
   subprocess; 2b is that process's peak RSS growth over the imports (VmHWM
   after minus VmRSS before; not ru_maxrss, which Linux carries over exec
   from the parent and so would hide growth); 2c compares the import with
   hashing and a plain copy+fsync done one after the other.
3. GET /cache/{hash} of that file through the server vs reading it from disk
   in 1 MiB chunks (warm); 3b is the server's peak RSS growth (VmHWM reset
   through /proc/<pid>/clear_refs before the downloads); 3c compares the
   download with a bare Python socket copy of the file over loopback.
4. POST /runs {"recipe": "dog", "inputs": ["cat"]} after the run completed
   once (a cache hit) vs GET /, p50 of 200 each, interleaved, a new
   connection per request (as curl does; see 4b and benchmarks/client.py for
   why not keep-alive); 4b is GET / on one keep-alive connection vs GET / on
   new connections.
5. 100 uploaded 64x64 PNGs, one `invert` run each: runs/s from the first POST
   /runs to the last completion seen by polling GET /runs/{id}, vs the same
   100 renders in-process and serial; 5b is the worker time per run beyond
   the render itself (wall per run x 2 workers - one render).
6. Every built-in effect through `effects.apply` (one effect thread) on
   2048x2048 and 4096x4096 synthetic pictures (gradients, flat shapes, noise)
   vs the fastest of the peers written in benchmarks/bench_effects.py for the
   same operation with OpenCV (one thread), Pillow or numpy; all sides
   interleaved in a rotating order: each round times every side once, back
   to back, a quick one as several calls lasting about 20 ms; at least 7
   (2048) or 5 (4096) rounds, more for quick effects (up to 41, about half a
   second). The figures are each side's fastest round: on a machine
   shared with other work, load only ever adds time to a sample, so the
   fastest is the nearest to the code's own cost (the medians, and the
   median of the rounds' ratios, are in the notes).
   Each row names the fastest peer and the mean absolute difference between
   its picture and ours in units of 255. Over 1.5x is marked MISSED, over 2x
   DEFECT. resize also gets an information row against OpenCV's Lanczos-4,
   which is faster but another filter (it does not widen when shrinking).
   6b/6c: the built-in `dog` recipe end to end through engine.dag (decode,
   effect, encode) on a 4096x4096 WebP and on 30 s of 1280x720 H.264 + AAC
   (to MP4), each render a fresh process, vs the same with the float32 `dog`
   the effects had before (benchmarks/dog_float32.py).
7. `manage.py bench_seed` fills two databases (1,000 and 100,000 cache items
   and runs), each behind its own web server. Page 1 of GET /cache and GET
   /runs, and the 500th page reached by following `next` cursors, are
   fetched 15 times each, interleaved big/small; the small table's deepest
   page (its 20th and last) is the baseline for the 500th. The queries are
   keyset scans of the indexes named in cache/models.py (`cache_newest`)
   and runs/models.py (`run_newest`): `WHERE created_at < cursor ORDER BY
   created_at DESC LIMIT 51`. 7c does the same for the dashboard pages a
   browser gets on /cache and /runs (`Accept: text/html`), the 500th
   reached by following each page's "Older" link; only the HTML is timed,
   not the thumbnails it links to. Their keyset is `WHERE (created_at, key)
   < cursor ORDER BY created_at DESC, key DESC`, on the same two indexes.
8. Two warm `celery worker --concurrency=1` processes. Each phase queues 200
   small `invert` runs on fresh inputs through POST /runs while both workers
   hold off (Celery's cancel_consumer), then lets one of them, or both, at
   the backlog (add_consumer): runs/s from the first started_at to the last
   finished_at. Five rounds, the phases' order swapped each round; medians.
   8b is the median task time (finished_at - started_at) minus the same
   renders done in-process; 8c subtracts the measured durability waits; 8d
   times 60 runs submitted one by one while the workers run (bound by the
   one submitting client); 8e is the machine's mean busy cores from
   /proc/stat while the backlog drains; 8g the pool processes' time on a
   core and time waiting for one, from /proc/<pid>/schedstat.
9. 50 clients (2 processes x 25 threads, a new connection per request) repeat the cache-hit
   POST /runs for 20 s against gunicorn with 4 gthread workers; then the same
   on GET / as the baseline.
10. A 2 GiB file imported through POST /cache/import and downloaded through
    GET /cache/{hash}; the one gunicorn worker's peak RSS (VmHWM, reset
    before each) against 150 MB and against its RSS at rest.
11. A 30 s 1280x720 H.264 (B-frames) + AAC clip at 30 fps, made with PyAV
    (a camera pan over blobs, a square crossing, a stereo tone). `invert`
    through the engine (the built-in recipe's graph document from
    runs/builtin.py, engine.dag.plan.build, engine.dag.execute over a
    DirectoryStore holding the clip; one streaming step delivered as MP4) vs
    a hand-written PyAV loop (decode, the effect's own function, encode with
    the engine's delivery settings: libx264 crf 18 medium, one thread,
    cpu-independent, yuv420p, AAC; benchmarks/media.py). Each render in a
    fresh process, timed after its imports; 3 rounds, order swapped each
    round, medians. Both outputs are checked: same frame count, same x264
    settings as x264 records them in the stream, same pictures. 11b is `dog`
    over a 5 s clip (one round); 11c the two processes' peak RSS. Both sides
    decode with FFmpeg's frame threads, as the engine's reader does.
12. `invert` via POST /runs on a 6 s and a 60 s 720p clip (imported with
    POST /cache/import), each rendered by a fresh `celery worker
    --concurrency=1`: the VmHWM of its pool process after the run, long vs
    short, against 1.10x and 500 MB. The output is fetched and checked
    (every frame, AAC sound).
13. The built-in beat-cuts graph recipe (its default params) over a 60 s
    synthesised beat track (WAV) and three 10 s 1920x1080 clips, vs a
    hand-written PyAV script making the same cuts (on the beat times of the
    engine's own ANALYZE output; each clip decoded forward and resumed, the
    pictures scaled by swscale's Lanczos, the music muxed as AAC): time and each
    fresh process's peak RSS, one round."""


def _figure_number(row: Row) -> int:
    head = row.figure.split(".", 1)[0].rstrip("abcdefgh")
    return int(head) if head.isdigit() else 99


RESULTS = ROOT / "benchmarks" / "results.json"


def _load() -> dict:
    try:
        return json.loads(RESULTS.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def save_group(name: str, rows: list[Row], started: datetime.datetime, seconds: float) -> None:
    """Keep one group's rows (replacing its previous ones) with when and where they were measured."""
    saved = _load()
    saved[name] = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "seconds": round(seconds),
                   "machine": dict(machine()), "rows": [dataclasses.asdict(r) for r in rows]}
    temp = RESULTS.with_suffix(".tmp")
    temp.write_text(json.dumps(saved, indent=1) + "\n")
    temp.replace(RESULTS)


def write_markdown(order: list[str]) -> Path:
    saved = _load()
    groups = [g for g in order if g in saved]
    rows = sorted((Row(**r) for g in groups for r in saved[g]["rows"]), key=_figure_number)
    info = "\n".join(f"- {k}: {v}" for k, v in machine())
    when = "\n".join(f"- `{g}`: {saved[g]['date']}, {saved[g]['seconds']} s" for g in groups)
    path = ROOT / "BENCHMARKS.md"
    path.write_text(f"""# Benchmarks

Generated by `make bench` (`scripts/with-services.sh .venv/bin/python -m benchmarks`),
or one group at a time with `python -m benchmarks GROUP ...`; do not edit by hand.

The machine (2 cores) was shared with other engineers' test suites while
these figures were taken, so absolute numbers are noisy; each figure is a
ratio to a baseline measured in the same run, next to it in time.

{info}

Groups, when measured and how long they took:

{when}

## Results

{table(rows)}

Notes:

{notes(rows)}

## Method

{METHOD}
{chaos_report.section()}""")
    return path
