"""Figure 9: cache hits under load. 50 concurrent clients repeat a cache-hit
POST /runs (dog of cat, already rendered) for 20 s against gunicorn with
several worker processes; the baseline is the same 50 clients on GET / (a
few COUNT queries) for the same time, right after.

The clients are threads in two child processes (one Python process cannot
drive 50 connections without its own GIL becoming the limit), each on its
own connection, opened anew for every request (as curl does, and as the
other HTTP figures do; one keep-alive connection per client stalled
gunicorn's gthread workers once the clients outnumbered their threads).
Every non-200 answer,
every answer that is not a completed run, and every socket error counts as
an error.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import threading
import time

from .common import Row, log, percentile
from .processes import start_server

CLIENTS = 50
PROCESSES = 2
SECONDS = 20
WEB_WORKERS = 4
PAYLOAD = json.dumps({"recipe": "dog", "inputs": ["cat"]}).encode()


def _client_loop(port: int, token: str, method: str, path: str, until: float, out: list) -> None:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    body = PAYLOAD if method == "POST" else None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    while time.monotonic() < until:
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == 200 and (method == "GET" or b'"completed"' in data)
        except (OSError, http.client.HTTPException):
            ok = False
        conn.close()  # http.client opens a new connection on the next request
        latencies.append(time.perf_counter() - t0)
        errors += not ok
    conn.close()
    out.append((latencies, errors))


def _process(port, token, method, path, threads, start_at, until, queue) -> None:
    out: list = []
    time.sleep(max(0.0, start_at - time.monotonic()))  # both processes start together
    workers = [threading.Thread(target=_client_loop, args=(port, token, method, path, until, out))
               for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(([x for lat, _ in out for x in lat], sum(e for _, e in out)))


def hammer(port: int, token: str, method: str, path: str, seconds: float = SECONDS,
           clients: int = CLIENTS) -> tuple[float, float, float, int, int]:
    """(requests/s, p50, p99, errors, requests) for `clients` clients over `seconds`."""
    # spawn, not fork: a forked child inherits this process's open Redis and
    # database sockets and their exit handlers, and can hang on them.
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.monotonic() + 3.0  # time for the interpreters to start
    until = start_at + seconds
    procs = [ctx.Process(target=_process, args=(port, token, method, path,
                                                clients // PROCESSES, start_at, until, queue))
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    elapsed = seconds
    latencies = [x for lat, _ in results for x in lat]
    errors = sum(e for _, e in results)
    return (len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99),
            errors, len(latencies))


def run(env, client) -> list[Row]:
    status, first = client.post_json("/runs", {"recipe": "dog", "inputs": ["cat"]})
    if status not in (200, 201):
        raise RuntimeError(f"POST /runs -> {status}: {first}")
    client.wait_run(first["run_id"])
    proc, loaded = start_server(env, web_workers=WEB_WORKERS, name="load-server")
    try:
        hammer(loaded.port, env.token, "POST", "/runs", seconds=2)  # warm every gunicorn worker
        post = hammer(loaded.port, env.token, "POST", "/runs")
        get = hammer(loaded.port, env.token, "GET", "/")
    finally:
        loaded.close()
        proc.stop()
    log(f"under load: POST /runs {post[0]:.0f} req/s p99 {post[2] * 1000:.0f} ms errors {post[3]}; "
        f"GET / {get[0]:.0f} req/s p99 {get[2] * 1000:.0f} ms errors {get[3]}")
    note = (f"{CLIENTS} clients ({PROCESSES} processes x {CLIENTS // PROCESSES} threads, a new "
            f"connection per request) "
            f"for {SECONDS} s each, gunicorn {WEB_WORKERS} gthread workers x 8 threads; the clients "
            f"share the server's 2 cores")
    return [
        Row("9. cache-hit POST /runs under 50 concurrent clients: requests/s vs GET /",
            f"{post[0]:.0f} req/s", f"{get[0]:.0f} req/s", post[0] / get[0], "info", None,
            note=note + f"; {post[4]:,} and {get[4]:,} requests"),
        Row("9b. its p99 latency vs GET / p99 under the same load",
            f"{post[2] * 1000:.0f} ms", f"{get[2] * 1000:.0f} ms", post[2] / get[2], "info", None,
            note=f"p50 {post[1] * 1000:.0f} ms vs {get[1] * 1000:.0f} ms"),
        Row("9c. errors among the cache-hit POSTs (and the GETs)", f"{post[3]}", f"{get[3]}",
            None, "0", post[3] == 0 and get[3] == 0, note="non-200, not completed, or a socket error"),
    ]
