"""Figure 4: latency of a cache-hit POST /runs vs GET / on the same server.

Once `dog` of `cat` has been rendered, asking for it again must cost about
as much as any small read: resolve the recipe and input, compute the run id,
find the row, serialize it. GET / (a few COUNT queries) is the yardstick.
Both send the same token, each request on a new connection (see client.py).

4b (information): GET / on one reused (keep-alive) connection vs GET / on a
new connection each time, which shows what connection set-up costs.
"""

from __future__ import annotations

import time

from .common import Row, fmt_ms, log, median, percentile

REQUESTS = 200
WARMUP = 20
KEEPALIVE_REQUESTS = 50
TARGET = 3.0
PAYLOAD = {"recipe": "dog", "inputs": ["cat"]}


def run(client, requests: int = REQUESTS) -> list[Row]:
    status, first = client.post_json("/runs", PAYLOAD)
    if status not in (200, 201):
        raise RuntimeError(f"POST /runs -> {status}: {first}")
    start = time.perf_counter()
    client.wait_run(first["run_id"])
    log(f"first dog/cat render completed in {time.perf_counter() - start:.2f} s (HTTP {status})")

    poster, getter = client.clone(), client.clone()
    try:
        def post() -> None:
            code, body = poster.post_json("/runs", PAYLOAD)
            if code != 200 or body["status"] != "completed":
                raise RuntimeError(f"expected a cache hit, got {code}: {body}")

        def get() -> None:
            code, _ = getter.get("/")
            if code != 200:
                raise RuntimeError(f"GET / -> {code}")

        for _ in range(WARMUP):
            post()
            get()
        posts, gets = [], []
        for i in range(requests):
            # Alternate which goes first, so neither always follows the other.
            pair = ((post, posts), (get, gets)) if i % 2 else ((get, gets), (post, posts))
            for fn, sink in pair:
                t0 = time.perf_counter()
                fn()
                sink.append(time.perf_counter() - t0)
    finally:
        poster.close()
        getter.close()
    p50_post, p50_get = median(posts), median(gets)
    ratio = p50_post / p50_get
    log(f"cache-hit POST /runs p50 {fmt_ms(p50_post)}, GET / p50 {fmt_ms(p50_get)}")
    kept, fresh = _keep_alive_cost(client)
    return [
        Row("4. cache-hit POST /runs (dog, [cat]) p50 vs GET / p50",
            fmt_ms(p50_post), fmt_ms(p50_get), ratio, f"<= {TARGET:g}", ratio <= TARGET,
            note=f"{requests} each interleaved after {WARMUP} warm-up, new connection per "
                 f"request; p90 {fmt_ms(percentile(posts, 0.9))} vs "
                 f"{fmt_ms(percentile(gets, 0.9))}"),
        Row("4b. GET / p50 on a keep-alive connection vs a new connection per request",
            fmt_ms(kept), fmt_ms(fresh), kept / fresh, "info", None,
            note=f"{KEEPALIVE_REQUESTS} each interleaved"),
    ]


def _keep_alive_cost(client) -> tuple[float, float]:
    kept, fresh = client.clone(keep_alive=True), client.clone(keep_alive=False)
    try:
        kept.get("/")
        kept_times, fresh_times = [], []
        for _ in range(KEEPALIVE_REQUESTS):
            for c, sink in ((kept, kept_times), (fresh, fresh_times)):
                t0 = time.perf_counter()
                if c.get("/")[0] != 200:
                    raise RuntimeError("GET / failed")
                sink.append(time.perf_counter() - t0)
    finally:
        kept.close()
        fresh.close()
    return median(kept_times), median(fresh_times)
