"""Figure 7: listings at scale. GET /cache and GET /runs with 100,000 rows
each vs the same listing with 1,000 rows.

Two databases are filled by `manage.py bench_seed` (1,000 and 100,000 cache
items and runs) and each gets its own web server. The 500th page of the big
table is reached by following `next` cursors from the first page, as a
client would; the small table has only 20 pages of 50, so its deepest page
(the last) is the baseline for the 500th. Then the page fetches themselves
are timed, interleaved big/small, median of REPEATS. Cursor pagination
walks the (created_at) indexes, so neither the table size nor the depth
should show in the time.
"""

from __future__ import annotations

import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from .common import ROOT, Row, fmt_ms, log, median, timed
from .processes import start_server

LARGE, SMALL = 100_000, 1_000
DEEP_PAGE = 500
REPEATS = 15
TARGET = 2.0


def _database(env, label: str, rows: int) -> str:
    name = f"artdag_bench_{env.sid}_{label}"
    base = env.database_url
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    env.callback(drop)
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    child = {**env.env, "DATABASE_URL": url}
    for args in (["migrate", "--noinput"], ["bench_seed", f"--items={rows}", f"--runs={rows}"]):
        done = subprocess.run([env.python, "manage.py", *args], cwd=ROOT, env=child,
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} on {name} failed:\n{done.stderr[-2000:]}")
    return url


def _follow(client, path: str, pages: int) -> tuple[str, int, float]:
    """Follow `next` from the first page up to page `pages` (or the last one).
    Returns (that page's path, its number, seconds per page on the way)."""
    url, number, times = path, 1, []
    while number < pages:
        t0 = time.perf_counter()
        body = client.get_json(url)
        times.append(time.perf_counter() - t0)
        if not body["next"]:
            break
        parts = urlsplit(body["next"])
        url, number = f"{parts.path}?{parts.query}", number + 1
    return url, number, median(times) if times else 0.0


def _page_time(client, url: str) -> float:
    def get() -> None:
        status, _ = client.get(url)
        if status != 200:
            raise RuntimeError(f"GET {url} -> {status}")

    return timed(get)


def run(env) -> list[Row]:
    log(f"seeding {SMALL:,} and {LARGE:,} cache items and runs (bench_seed) ...")
    t0 = time.perf_counter()
    small_url = _database(env, "small", SMALL)
    large_url = _database(env, "large", LARGE)
    seeded = time.perf_counter() - t0
    # Reads are open, and the bench token lives in the other database: no token.
    _, small = start_server(env, name="listing-small", anonymous=True,
                            extra_env={"DATABASE_URL": small_url})
    _, large = start_server(env, name="listing-large", anonymous=True,
                            extra_env={"DATABASE_URL": large_url})
    rows = []
    try:
        for path in ("/cache", "/runs"):
            deep_large, n_large, walk = _follow(large, path, DEEP_PAGE)
            deep_small, n_small, _ = _follow(small, path, DEEP_PAGE)
            if n_large != DEEP_PAGE:
                raise RuntimeError(f"{path} at {LARGE:,} rows ended at page {n_large}")
            pairs = {"first": ((large, path), (small, path)),
                     "deep": ((large, deep_large), (small, deep_small))}
            for which, sides in pairs.items():
                for c, url in sides:  # warm both (connections, query plans)
                    _page_time(c, url)
                big, little = [], []
                for i in range(REPEATS):
                    order = ((sides[0], big), (sides[1], little))
                    for (c, url), sink in (order if i % 2 else order[::-1]):
                        sink.append(_page_time(c, url))
                b, s = median(big), median(little)
                label = (f"page 1 at {LARGE:,} rows vs page 1 at {SMALL:,}" if which == "first"
                         else f"page {DEEP_PAGE} (by cursors) at {LARGE:,} rows vs the last page "
                              f"({n_small}) at {SMALL:,}")
                log(f"GET {path} {which}: {LARGE:,} rows {fmt_ms(b)}, {SMALL:,} rows {fmt_ms(s)}")
                rows.append(Row(f"7. GET {path} {label}",
                                fmt_ms(b), fmt_ms(s), b / s, f"<= {TARGET:g}", b / s <= TARGET,
                                note=f"{path} {which}: median of {REPEATS} interleaved, 50 rows a "
                                     f"page, new connection per request; following the cursors "
                                     f"took {fmt_ms(walk)} a page (median)"))
    finally:
        small.close()
        large.close()
    rows.append(Row(f"7b. bench_seed of {LARGE:,} + {SMALL:,} cache items and runs (with migrate)",
                    f"{seeded:.0f} s", "-", None, "info", None,
                    note=f"bench_seed: {2 * (LARGE + SMALL):,} rows via COPY, two databases"))
    return rows
