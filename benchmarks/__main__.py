"""`python -m benchmarks`: run every figure, print the table, write BENCHMARKS.md.

Order matters for noise: the in-process and import figures run before the
web server and worker exist, the HTTP figures after. A crashed benchmark is
recorded as a CRASH row and the others still run (unless they need its
result); the exit code is 1 if anything crashed, else 0, met targets or not.
"""

from __future__ import annotations

import datetime
import signal
import sys
import time
import traceback

from . import bench_cache_hit, bench_download, bench_effect, bench_import, bench_throughput
from .common import Row, crash_row, log
from .environment import BenchEnv
from .processes import start_server, start_worker
from .report import table, write_markdown

WORKER_CONCURRENCY = 2


def attempt(rows: list[Row], figure: str, fn, *args):
    """Run one benchmark; on an exception record a CRASH row and return None."""
    log(f"running {figure} ...")
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported, and the suite goes on
        traceback.print_exc(file=sys.stderr)
        rows.append(crash_row(figure, exc))
        return None


def main() -> int:
    # A SIGTERM (make killed, CI timeout) becomes SystemExit, so the with-block
    # below still stops the processes and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    rows: list[Row] = []
    try:
        with BenchEnv() as env:
            rows += attempt(rows, "1. dog through the engine", bench_effect.run, env.data_dir) or []
            imported = attempt(rows, "2. import 256 MiB", bench_import.run, env)
            if imported:
                rows += imported[0]

            server, client = start_server(env)
            start_worker(env, WORKER_CONCURRENCY)
            if imported:
                rows += attempt(rows, "3. GET /cache/{hash}", bench_download.run,
                                env, server, client, imported[1]) or []
            else:
                rows.append(crash_row("3. GET /cache/{hash}",
                                      RuntimeError("needs the file figure 2 imports")))
            rows += attempt(rows, "4. cache-hit POST /runs", bench_cache_hit.run, client) or []
            rows += attempt(rows, "5. 100 small runs", bench_throughput.run,
                            env, client, WORKER_CONCURRENCY) or []
            client.close()
            log("stopping the server and worker, dropping the database ...")
    except Exception as exc:  # noqa: BLE001 - set-up or tear-down failed
        traceback.print_exc(file=sys.stderr)
        rows.append(crash_row("suite set-up / tear-down", exc))
    crashed = any(r.crashed for r in rows)
    path = write_markdown(rows, started, time.monotonic() - t0)
    print(table(rows))
    log(f"wrote {path}; took {time.monotonic() - t0:.0f} s")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
