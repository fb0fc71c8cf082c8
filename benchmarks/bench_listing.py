"""Figure 7: listings at scale. GET /cache and GET /runs with 100,000 rows
each vs the same listing with 1,000 rows, as JSON (7) and as the dashboard
page a browser gets on the same paths (7c).

Two databases are filled by `manage.py bench_seed` (1,000 and 100,000 cache
items and runs) and each gets its own web server. The 500th page of the big
table is reached by following the listing's own links from the first page,
as a client would: the JSON's `next` cursor, the page's "Older" link
(rel="next"). The small table has only about 20 pages, so its deepest page
(the last) is the baseline for the 500th. Then the page fetches themselves
are timed, interleaved big/small, median of REPEATS; for the dashboard only
the HTML, not the thumbnails it links to. Both kinds of pagination walk the
(created_at, key) indexes, so neither the table size nor the depth should
show in the time.
"""

from __future__ import annotations

import html
import re
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
# What a browser sends when it navigates: the dashboard's page, not the JSON.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
OLDER_LINK = re.compile(r'<a rel="next" href="([^"]+)"')
# One per listed row in the dashboard's markup: a page must show real rows.
PAGE_ROW = {"/cache": '<li class="card">', "/runs": '<a class="hash" href="/runs/'}


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


def _next_json(client, url: str) -> tuple[str | None, int]:
    """The JSON page's `next` cursor, and how many rows the page held."""
    body = client.get_json(url)
    parts = urlsplit(body["next"]) if body["next"] else None
    return (f"{parts.path}?{parts.query}" if parts else None), len(body["results"])


def _next_page(client, url: str) -> tuple[str | None, int]:
    """The dashboard page's "Older" link, and how many rows the page showed."""
    status, body = client.get(url, BROWSER)
    page = body.decode()
    if status != 200 or "<!doctype html>" not in page:
        raise RuntimeError(f"GET {url} as a browser -> {status}: {page[:500]!r}")
    found = OLDER_LINK.search(page)
    rows = page.count(PAGE_ROW[urlsplit(url).path])
    return (html.unescape(found.group(1)) if found else None), rows


def _follow(client, path: str, pages: int, next_of) -> tuple[str, int, float, int]:
    """Follow the next links from the first page up to page `pages` (or the
    last one); every page on the way must have rows. Returns (that page's
    path, its number, seconds per page on the way, rows on the first page)."""
    url, number, times, counts = path, 1, [], []
    while number < pages:
        t0 = time.perf_counter()
        following, count = next_of(client, url)
        times.append(time.perf_counter() - t0)
        if not count:
            raise RuntimeError(f"GET {url}: page {number} has no rows")
        counts.append(count)
        if not following:
            break
        url, number = following, number + 1
    return url, number, median(times) if times else 0.0, counts[0] if counts else 0


def _page_time(client, url: str, headers: dict | None) -> float:
    def get() -> None:
        status, _ = client.get(url, headers)
        if status != 200:
            raise RuntimeError(f"GET {url} -> {status}")

    return timed(get)


def _listing_rows(large, small, path: str, *, dashboard: bool) -> list[Row]:
    """Page 1 and page DEEP_PAGE of one listing at LARGE rows vs SMALL."""
    next_of, headers = (_next_page, BROWSER) if dashboard else (_next_json, None)
    deep_large, n_large, walk, page_rows = _follow(large, path, DEEP_PAGE, next_of)
    deep_small, n_small, _, _ = _follow(small, path, DEEP_PAGE, next_of)
    if n_large != DEEP_PAGE:
        raise RuntimeError(f"{path} at {LARGE:,} rows ended at page {n_large}")
    prefix, link = ("7c. dashboard", "Older links") if dashboard else ("7. GET", "cursors")
    pairs = {"first": ((large, path), (small, path)),
             "deep": ((large, deep_large), (small, deep_small))}
    rows = []
    for which, sides in pairs.items():
        for c, url in sides:  # warm both (connections, query plans)
            _page_time(c, url, headers)
        big, little = [], []
        for i in range(REPEATS):
            order = ((sides[0], big), (sides[1], little))
            for (c, url), sink in (order if i % 2 else order[::-1]):
                sink.append(_page_time(c, url, headers))
        b, s = median(big), median(little)
        label = (f"page 1 at {LARGE:,} rows vs page 1 at {SMALL:,}" if which == "first"
                 else f"page {DEEP_PAGE} (by {link}) at {LARGE:,} rows vs the last page "
                      f"({n_small}) at {SMALL:,}")
        log(f"{prefix} {path} {which}: {LARGE:,} rows {fmt_ms(b)}, {SMALL:,} rows {fmt_ms(s)}")
        rows.append(Row(f"{prefix} {path} {label}",
                        fmt_ms(b), fmt_ms(s), b / s, f"<= {TARGET:g}", b / s <= TARGET,
                        note=f"{'dashboard ' if dashboard else ''}{path} {which}: median of "
                             f"{REPEATS} interleaved, {page_rows} rows a page, new connection per "
                             f"request; following the {link} took {fmt_ms(walk)} a page (median)"))
    return rows


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
            rows += _listing_rows(large, small, path, dashboard=False)
        rows.append(Row(f"7b. bench_seed of {LARGE:,} + {SMALL:,} cache items and runs "
                        f"(with migrate)", f"{seeded:.0f} s", "-", None, "info", None,
                        note=f"bench_seed: {2 * (LARGE + SMALL):,} rows via COPY, two databases"))
        for path in ("/cache", "/runs"):
            rows += _listing_rows(large, small, path, dashboard=True)
    finally:
        small.close()
        large.close()
    return rows
