"""`python -m benchmarks [GROUP ...]`: run the figures, print the table, write BENCHMARKS.md.

Groups (all of them, in this order, when none is named):

  engine      1. the engine around the `dog` effect
  effects     6. every built-in effect vs the fastest OpenCV/Pillow/numpy peer;
              dog end to end on a 4096x4096 WebP and 30 s of 720p, now vs before
  import      2./3. a 256 MiB import and download
  cache_hit   4. one cache-hit POST /runs vs GET /
  throughput  5. 100 small runs with one worker (concurrency 2)
  load        9. 50 concurrent clients on cache-hit POST /runs
  memory      10. a 2 GiB import and download vs 150 MB RSS
  scaling     8. 200 small runs with 1, then 2 worker processes
  listing     7. GET /cache and GET /runs (JSON and dashboard) with 100,000 rows vs 1,000
  media       11.-13. real clips: an effect over 30 s of 720p, worker memory vs clip
              length, beat-cuts over 1080p clips; each vs hand-written PyAV
  live        14. 500 open event streams: GET / p50 vs idle, state-change latency

Order matters for noise: the in-process figures run before any server or
worker exists. Each group's rows are kept in benchmarks/results.json, so a
group run on its own replaces only its own rows in BENCHMARKS.md. A crashed
benchmark is recorded as a CRASH row and the others still run; the exit
code is 1 if anything crashed, else 0, met targets or not.
"""

from __future__ import annotations

import argparse
import datetime
import signal
import sys
import time
import traceback

from . import (bench_cache_hit, bench_dog_e2e, bench_download, bench_effect, bench_effects,
               bench_import,
               bench_listing, bench_live, bench_load, bench_media, bench_memory,
               bench_scaling, bench_throughput)
from .common import Row, crash_row, log
from .environment import BenchEnv
from .processes import start_server, start_worker
from .report import save_group, table, write_markdown

WORKER_CONCURRENCY = 2


class Suite:
    """The shared environment, with the web server and worker started on first need."""

    def __init__(self, env: BenchEnv):
        self.env = env
        self._server = self._client = self._worker = None
        self.imported_hash: str | None = None

    @property
    def server(self):
        if self._server is None:
            self._server, self._client = start_server(self.env)
        return self._server

    @property
    def client(self):
        self.server  # noqa: B018 - starts it
        return self._client

    def worker(self):
        if self._worker is None:
            self._worker = start_worker(self.env, WORKER_CONCURRENCY)
        return self._worker

    def stop_worker(self) -> None:
        """Figures that bring their own workers must not share the queue."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


def g_engine(s: Suite) -> list[Row]:
    return bench_effect.run(s.env.data_dir)


def g_effects(s: Suite) -> list[Row]:
    return bench_effects.run() + bench_dog_e2e.run(s.env.data_dir)


def g_import(s: Suite) -> list[Row]:
    rows, s.imported_hash = bench_import.run(s.env)
    return rows + bench_download.run(s.env, s.server, s.client, s.imported_hash)


def g_cache_hit(s: Suite) -> list[Row]:
    s.worker()
    return bench_cache_hit.run(s.client)


def g_throughput(s: Suite) -> list[Row]:
    s.worker()
    return bench_throughput.run(s.env, s.client, WORKER_CONCURRENCY)


def g_load(s: Suite) -> list[Row]:
    s.worker()
    return bench_load.run(s.env, s.client)


def g_memory(s: Suite) -> list[Row]:
    return bench_memory.run(s.env, s.server, s.client)


def g_scaling(s: Suite) -> list[Row]:
    s.stop_worker()
    return bench_scaling.run(s.env, s.client)


def g_listing(s: Suite) -> list[Row]:
    return bench_listing.run(s.env)


def g_media(s: Suite) -> list[Row]:
    s.stop_worker()  # figure 12 starts a fresh worker per render, alone on the queue
    return bench_media.run(s.env, s.client)


def g_live(s: Suite) -> list[Row]:
    s.worker()
    return bench_live.run(s.env, s.client)


GROUPS = {"engine": g_engine, "effects": g_effects, "import": g_import,
          "cache_hit": g_cache_hit, "throughput": g_throughput, "load": g_load,
          "memory": g_memory, "scaling": g_scaling, "listing": g_listing, "media": g_media,
          "live": g_live}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"any of: {', '.join(GROUPS)} (default: all)")
    asked = parser.parse_args(argv).groups
    if unknown := sorted(set(asked) - set(GROUPS)):
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    wanted = [g for g in GROUPS if g in (asked or GROUPS)]
    # A SIGTERM (make killed, CI timeout) becomes SystemExit, so the with-block
    # below still stops the processes and drops the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    results: dict[str, list[Row]] = {}
    try:
        with BenchEnv() as env:
            suite = Suite(env)
            for name in wanted:
                started = datetime.datetime.now(datetime.timezone.utc)
                g0 = time.monotonic()
                log(f"running {name} ...")
                try:
                    rows = GROUPS[name](suite)
                except Exception as exc:  # noqa: BLE001 - reported, and the suite goes on
                    traceback.print_exc(file=sys.stderr)
                    rows = [crash_row(name, exc)]
                results[name] = rows
                save_group(name, rows, started, time.monotonic() - g0)
            if suite._client is not None:
                suite._client.close()
            log("stopping the servers and workers, dropping the databases ...")
    except Exception as exc:  # noqa: BLE001 - set-up or tear-down failed
        traceback.print_exc(file=sys.stderr)
        results.setdefault("set-up", []).append(crash_row("suite set-up / tear-down", exc))
    rows = [r for group in results.values() for r in group]
    path = write_markdown(list(GROUPS))
    print(table(rows))
    log(f"wrote {path}; took {time.monotonic() - t0:.0f} s")
    return 1 if any(r.crashed for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
