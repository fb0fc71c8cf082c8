"""Figure 14: event streams (GET /events, GET /runs/{id}/events) on one web host.

14. p50 of GET / with 500 event streams open on the server vs the same
    server idle, in one run. The streams are real (each its own TCP
    connection, reading every event it is sent); the server is
    scripts/web.sh as `make run` starts it (gunicorn, 2 uvicorn workers,
    ARTDAG_WEB_THREADS threads each for the views). Target <= 1.5x.
14b. with those 500 streams open, the time from a run's state change being
    recorded to a subscriber of GET /events reading it, over the state
    changes of 60 runs a real worker renders; p99 target <= 1 s.
14c (information): threads and memory of the web server's worker processes
    idle and with the 500 streams: a stream costs no thread.
14d (information): GET / p50 on this server vs the same views under the
    serving model before (gunicorn gthread, 2 workers x 8 threads), idle;
    14e: the gthread server with 32 streams asked for (more than its 16
    threads) answers GET / no more, which is why streams moved to an event loop.
"""

from __future__ import annotations

import datetime
import json
import selectors
import socket
import threading
import time
from pathlib import Path

from .common import Row, fmt_ms, log, median, percentile
from .client import Client
from .processes import Process, free_port, start_server, wait_serving

STREAMS = 500
REQUESTS = 300
WARMUP = 30
RUNS = 60
TARGET_RATIO = 1.5
TARGET_LATENCY = 1.0


class Streams:
    """Many SSE connections on one selector thread, each drained as data
    comes; one of them (``watch``) records when each state event arrives."""

    def __init__(self, port: int, token: str, paths: list[str], watch: str | None = None):
        self.sel = selectors.DefaultSelector()
        self.socks: list[socket.socket] = []
        self.bytes = 0
        self.arrivals: list[tuple[float, dict]] = []
        self._buffer = b""
        self.watched: socket.socket | None = None
        for i, path in enumerate(paths + ([watch] if watch else [])):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                          f"Authorization: Token {token}\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise RuntimeError(f"stream {path} closed before its headers")
                head += chunk
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"stream {path}: {head[:200]!r}")
            sock.setblocking(False)
            self.socks.append(sock)
            if watch and i == len(paths):
                self.watched = sock
                self._buffer = head.split(b"\r\n\r\n", 1)[1]
            self.sel.register(sock, selectors.EVENT_READ)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.sel.select(timeout=0.2):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                now = time.time()
                self.bytes += len(data)
                if key.fileobj is self.watched:
                    self._parse(data, now)

    def _parse(self, data: bytes, now: float) -> None:
        # Chunked transfer framing may split lines; events end with a blank line.
        self._buffer += data
        while b"\n\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n\n", 1)
            kind = data_line = None
            for line in raw.split(b"\n"):
                line = line.strip(b"\r")
                if line.startswith(b"event: "):
                    kind = line[7:].decode()
                elif line.startswith(b"data: "):
                    data_line = line[6:]
            if kind == "state" and data_line:
                try:
                    self.arrivals.append((now, json.loads(data_line)))
                except ValueError:
                    pass  # a chunk-size line glued to it; such a split is rare, and skipped

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.socks:
            sock.close()


def subscribe(port: int, token: str, out: str) -> None:
    """A GET /events subscriber on its own: each state event's arrival time and data."""
    streams = Streams(port, token, [], watch="/events")
    with open(out, "w") as sink:
        sink.flush()
        written = 0
        while True:
            while written < len(streams.arrivals):
                sink.write(json.dumps(streams.arrivals[written]) + "\n")
                written += 1
            sink.flush()
            time.sleep(0.2)


def _gets(client, n: int) -> list[float]:
    getter = client.clone()
    try:
        for _ in range(WARMUP):
            getter.get("/")
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            code, _ = getter.get("/")
            times.append(time.perf_counter() - t0)
            if code != 200:
                raise RuntimeError(f"GET / -> {code}")
        return times
    finally:
        getter.close()


def _workers(proc) -> list[int]:
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _threads_rss(pids: list[int]) -> tuple[int, int]:
    threads = rss = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                threads += int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss += int(line.split()[1])
    return threads, rss // 1024


def run(env, client) -> list[Row]:
    proc, live = start_server(env, web_workers=2, name="live-server")
    try:
        rows = _measure(env, proc, live)
        ours = median(_gets(live, REQUESTS))
    finally:
        live.close()
        proc.stop()
    return rows + _before(env, ours)


def _before(env, ours: float) -> list[Row]:
    """The serving model before: scripts/web.sh's former gthread command line."""
    port = free_port()
    proc = Process("gthread-server", [env.python, "-m", "gunicorn", "l1site.wsgi:application",
                                      "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
                                      "--workers", "2", "--threads", "8", "--timeout", "120"],
                   env.env, env.data_dir / "gthread-server.log")
    env.callback(proc.stop)
    client = Client("127.0.0.1", port, token=env.token, timeout=5)
    try:
        wait_serving(proc, client, 60, "gthread server")
        theirs = median(_gets(client, REQUESTS))
        # More streams asked for than it has threads (a thread each), then GET /.
        held = []
        for _ in range(32):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall((f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Token {env.token}\r\n\r\n").encode())
            held.append(sock)
        try:
            time.sleep(2)
            try:
                code, _ = client.get("/")
                answer = f"HTTP {code}"
            except OSError as exc:
                answer = f"no answer in 5 s ({type(exc).__name__})"
        finally:
            for sock in held:
                sock.close()
    finally:
        client.close()
        proc.stop()
    log(f"GET / p50 under gthread {fmt_ms(theirs)} vs {fmt_ms(ours)}; with 32 streams: {answer}")
    return [
        Row("14d. GET / p50, idle: uvicorn workers + a2wsgi threads vs gunicorn gthread (before)",
            fmt_ms(ours), fmt_ms(theirs), ours / theirs, "info", None,
            note=f"2 worker processes x 8 threads each; {REQUESTS} requests after {WARMUP} warm-up"),
        Row("14e. gunicorn gthread (before) with 32 event streams asked for: GET /",
            answer, "-", None, "info", None,
            note="2 workers x 8 threads, each stream holding a thread: the server is full"),
    ]


def _measure(env, proc, client) -> list[Row]:
    # A finished run, so half the streams can follow one run.
    code, body = client.post_json("/runs", {"recipe": "dog", "inputs": ["cat"]})
    if code not in (200, 201):
        raise RuntimeError(f"POST /runs -> {code}: {body}")
    client.wait_run(body["run_id"])
    port = client.port
    idle = _gets(client, REQUESTS)
    idle_threads, idle_rss = _threads_rss(_workers(proc))
    log(f"GET / idle p50 {fmt_ms(median(idle))}; opening {STREAMS} event streams ...")
    paths = ["/events" if i % 2 else f"/runs/{body['run_id']}/events" for i in range(STREAMS)]
    streams = Streams(port, env.token, paths)
    try:
        time.sleep(2)  # every stream's opening read done
        loaded = _gets(client, REQUESTS)
        threads, rss = _threads_rss(_workers(proc))
        log(f"GET / with {STREAMS} streams p50 {fmt_ms(median(loaded))}; "
            f"{threads} threads, {rss} MB in the web workers")
        # State changes of real renders, read by a subscriber in a process of
        # its own (this one's threads drain the 500 streams).
        arrivals_file = env.data_dir / "live-arrivals.jsonl"
        subscriber = Process("live-subscriber", [env.python, "-c", (
            "import sys; from benchmarks.bench_live import subscribe; "
            f"subscribe({port}, {env.token!r}, {str(arrivals_file)!r})")], env.env,
            env.data_dir / "live-subscriber.log")
        env.callback(subscriber.stop)
        while not arrivals_file.exists():
            if not subscriber.alive():
                raise RuntimeError("subscriber stopped:\n" + subscriber.log_tail())
            time.sleep(0.1)
        t0 = time.time()
        ids = []
        for i in range(RUNS):
            code, run = client.post_json("/runs", {"recipe": "dog", "inputs": ["cat"],
                                                   "params": {"levels": 2 + i % 30,
                                                              "line_strength": 0.5 + (i // 30) / 4}})
            if code not in (200, 201):
                raise RuntimeError(f"POST /runs -> {code}: {run}")
            ids.append(run["run_id"])
        for run_id in ids:
            client.wait_run(run_id, interval=0.2)
        time.sleep(2)  # the last events on their way
        subscriber.stop()
        mine = set(ids)
        arrivals = [json.loads(line) for line in arrivals_file.read_text().splitlines()]
        latencies = [now - datetime.datetime.fromisoformat(e["at"]).timestamp()
                     for now, e in arrivals if e["run"] in mine]
        log(f"{len(latencies)} state changes of {RUNS} runs read in {time.time() - t0:.1f} s")
    finally:
        streams.close()
    if len(latencies) < RUNS * 3:
        raise RuntimeError(f"only {len(latencies)} state changes reached the subscriber")
    p50_idle, p50_loaded = median(idle), median(loaded)
    ratio = p50_loaded / p50_idle
    p99 = percentile(latencies, 0.99)
    return [
        Row(f"14. GET / p50 with {STREAMS} event streams open vs idle (one web host)",
            fmt_ms(p50_loaded), fmt_ms(p50_idle), ratio, f"<= {TARGET_RATIO:g}",
            ratio <= TARGET_RATIO,
            note=f"scripts/web.sh, 2 uvicorn workers; {REQUESTS} requests each after {WARMUP} "
                 f"warm-up, new connection per request; half the streams on GET /events, half "
                 f"on one run; p90 {fmt_ms(percentile(loaded, 0.9))} vs "
                 f"{fmt_ms(percentile(idle, 0.9))}"),
        Row(f"14b. state change to a GET /events subscriber, p99, {STREAMS} streams open",
            fmt_ms(p99), fmt_ms(TARGET_LATENCY), p99 / TARGET_LATENCY,
            f"<= {fmt_ms(TARGET_LATENCY)}", p99 <= TARGET_LATENCY,
            note=f"{len(latencies)} state changes of {RUNS} dog renders (real worker, PG+Redis); "
                 f"p50 {fmt_ms(median(latencies))}, max {fmt_ms(max(latencies))}; from the "
                 "event's record to the read of a subscriber in a process of its own"),
        Row(f"14c. web worker threads with {STREAMS} streams open vs idle",
            f"{threads} threads, {rss} MB", f"{idle_threads} threads, {idle_rss} MB",
            threads / idle_threads if idle_threads else None, "info", None,
            note="both uvicorn worker processes together: a stream costs no thread"),
    ]
