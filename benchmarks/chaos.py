"""The chaos soak: `make chaos` (`python -m benchmarks.chaos`), and a short
version in the test suite (tests/faults/test_chaos.py).

For N minutes a few clients load a server of real processes (uploads of
stills and clips, renders of stills and video, graph runs, cache hits,
downloads, cancels) while a driver injects faults at random: SIGKILL of one
pool process or all of them, of a whole worker, of the web server; restarts
of Redis and of PostgreSQL (private servers started here); a full disk for
a moment (the cache dir is a small tmpfs of its own; root only). Then, once
the runs settle:

* every run is completed or cancelled, or failed with a reason that names
  a fault that was injected (none lost);
* no run was recorded completed twice (the workers' `run_state` lines);
* every output verifies: its signed provenance (POST /provenance/verify)
  and its bytes (they hash to its name);
* no 5xx answer outside the windows when the database was down (503 then)
  or the disk was full (507 then).

Both modes: `make run`'s embedded one (SQLite, filesystem queue) and
PostgreSQL with Redis. The seed is printed; the same seed makes the same
choices of load and faults (their timing still depends on the machine).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.chaos_report import passed, write_section  # noqa: E402
from tests import images, media_samples  # noqa: E402 - real media, as in the suite
from tests.faults.stack import (PrivatePostgres, PrivateRedis, Stack, children,  # noqa: E402
                                free_port, wait_until)

MODES = ("embedded", "postgres-redis")
STILL_RECIPES = ("invert", "dog", "sepia-print", "pixel-art")
VIDEO_RECIPES = ("invert", "dog")
# What a failed run's error says when a fault caused it, by fault.
FAULT_REASONS = {
    "disk_full": r"No space left on device|disk is full|disk_full",
    "pool_one": r"attempts|worker",
    "pool_all": r"attempts|worker",
    "worker": r"attempts|worker",
    "postgres": r"database|connection|OperationalError|InterfaceError|server closed|terminat",
    "redis": r"broker|redis|Connection",
}
FINAL = ("completed", "failed", "cancelled")


class Soak:
    def __init__(self, mode: str, seconds: float, seed: int, workdir: Path, log=print):
        self.mode, self.seconds, self.seed, self.log = mode, seconds, seed, log
        self.rng = random.Random(seed)
        self.dir = workdir
        self.data = workdir / "data"
        self.cache = self.data / "cache"
        self.requests: list[tuple[float, str, int | str]] = []
        self.windows: list[tuple[str, float, float]] = []  # (kind, start, end): db down, disk full
        self.faults = Counter()
        self.run_ids: list[str] = []
        self.stills: list[str] = []
        self.clips: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.redis = self.postgres = None
        self.mounted = False
        self.corrupt_downloads = 0

    # --- the server ---------------------------------------------------------
    def start(self) -> None:
        (self.data / "import").mkdir(parents=True)
        self.cache.mkdir(parents=True)
        if os.geteuid() == 0:  # a disk of its own to fill
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "artdag-chaos",
                            str(self.cache)], check=True)
            self.mounted = True
        (self.cache / "tmp").mkdir()
        if self.mode == "embedded":
            database, broker = f"sqlite:///{self.data / 'db.sqlite3'}", "filesystem://localhost/"
        else:
            (self.dir / "redis").mkdir()
            self.redis = PrivateRedis(self.dir / "redis")
            self.redis.start()
            pgdir = Path(tempfile.mkdtemp(prefix="artdag-chaos-pg-"))
            self.postgres = PrivatePostgres(pgdir)
            self.postgres.init()
            self.postgres.start()
            database, broker = self.postgres.url(), self.redis.url()
        self.stack = Stack(database_url=database, broker_url=broker, data_dir=self.data,
                           ARTDAG_STEP_LEASE_SECONDS=5, ARTDAG_MAX_RENDER_ATTEMPTS=6)
        self.stack.manage("migrate", "--noinput")
        self.stack.manage("seed_demo")
        self.stack.manage("shell", "-c", "from django.contrib.auth.models import User; "
                                         "User.objects.create_user('chaos')")
        token = next(w for w in self.stack.manage("create_token", "chaos", "soak").split()
                     if w.startswith("l1_"))
        self.port = free_port()
        self.url = self.stack.web(self.port)
        self.web = self.stack.procs[-1]
        self.worker = self.stack.worker(concurrency=2)
        self.stack.beat()
        self.session_headers = {"Authorization": f"Token {token}"}
        clips = self.dir / "clips"
        clips.mkdir()
        self.clip_bytes = [
            media_samples.video(clips / "a.mp4", size=(176, 144), seconds=1.0, audio="stereo"),
            media_samples.video(clips / "b.mov", size=(160, 90), seconds=1.5, audio="mono"),
            media_samples.video(clips / "c.mkv", size=(121, 67), seconds=1.0),  # odd size
        ]
        self.clip_bytes = [p.read_bytes() for p in self.clip_bytes]

    def close(self) -> None:
        self.stack.stop()
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop("immediate")
            shutil.rmtree(self.postgres.dir, ignore_errors=True)
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.cache)], check=False)

    # --- the load -----------------------------------------------------------
    def call(self, session, method: str, path: str, **kw) -> requests.Response | None:
        started = time.time()
        try:
            response = session.request(method, self.url + path, timeout=60, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.requests.append((started, time.time(), path, type(exc).__name__))
            return None
        with self.lock:
            self.requests.append((started, time.time(), path, response.status_code))
        return response

    def submit(self, session, recipe: str, inputs: list[str]) -> str | None:
        reply = self.call(session, "POST", "/runs", json={"recipe": recipe, "inputs": inputs})
        if reply is not None and reply.status_code in (200, 201):
            run_id = reply.json()["run_id"]
            with self.lock:
                self.run_ids.append(run_id)
            return run_id
        return None

    def client(self, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        session = requests.Session()
        session.headers.update(self.session_headers)
        actions = [("upload_still", 3), ("upload_clip", 1), ("still_run", 3), ("video_run", 1),
                   ("graph_run", 2), ("cache_hit", 2), ("download", 4), ("cancel", 1),
                   ("listing", 2)]
        names, weights = zip(*actions)
        while not self.stop.is_set():
            action = rng.choices(names, weights)[0]
            try:
                self.act(session, rng, action)
            except (ValueError, KeyError) as exc:  # an answer that was not the JSON expected
                self.log(f"  client {number}: {action}: {exc!r}")
            # About one run a second from all clients: what two pool processes
            # on a shared 2-core machine keep up with, so the backlog stays short.
            time.sleep(rng.uniform(0.4, 1.6))

    def act(self, session, rng, action: str) -> None:
        if action == "upload_still" or not self.stills:
            data = images.png(rng.randint(40, 320), rng.randint(30, 240), seed=rng.randint(0, 10 ** 9))
            reply = self.call(session, "POST", "/cache", files={"file": ("s.png", data)})
            if reply is not None and reply.status_code in (200, 201):
                self.stills.append(reply.json()["content_hash"])
        elif action == "upload_clip" or not self.clips:
            data = rng.choice(self.clip_bytes)
            reply = self.call(session, "POST", "/cache", files={"file": ("c.mp4", data)})
            if reply is not None and reply.status_code in (200, 201):
                self.clips.append(reply.json()["content_hash"])
        elif action == "still_run":
            self.submit(session, rng.choice(STILL_RECIPES), [rng.choice(self.stills)])
        elif action == "video_run":
            self.submit(session, rng.choice(VIDEO_RECIPES), [rng.choice(self.clips)])
        elif action == "graph_run":
            self.submit(session, "diptych", [rng.choice(self.stills), rng.choice(self.stills)])
        elif action == "cache_hit":  # the same recipe on the same input again
            self.submit(session, STILL_RECIPES[0], [self.stills[0]])
        elif action == "download":
            self.download(session, rng)
        elif action == "cancel":
            run_id = self.submit(session, rng.choice(VIDEO_RECIPES), [rng.choice(self.clips)])
            if run_id:
                self.call(session, "POST", f"/runs/{run_id}/cancel")
        else:
            self.call(session, "GET", "/runs")

    def download(self, session, rng) -> None:
        with self.lock:
            candidates = list(self.run_ids)
        if not candidates:
            return
        reply = self.call(session, "GET", f"/runs/{rng.choice(candidates)}")
        if reply is None or reply.status_code != 200 or not reply.json().get("output_hash"):
            return
        digest = reply.json()["output_hash"]
        got = self.call(session, "GET", f"/cache/{digest}")
        if got is not None and got.status_code == 200 and hashlib.sha3_256(got.content).hexdigest() != digest:
            self.corrupt_downloads += 1

    # --- the faults ---------------------------------------------------------
    def kinds(self) -> list[str]:
        kinds = ["pool_one", "pool_all", "worker", "web"]
        if self.mounted:
            kinds.append("disk_full")
        if self.mode == "postgres-redis":
            kinds += ["redis", "postgres"]
        return kinds

    def driver(self) -> None:
        rng = random.Random(self.seed * 7919)
        kinds = self.kinds()
        while not self.stop.wait(rng.uniform(4, 9)):
            kind = rng.choice(kinds)
            started = time.time()
            try:
                getattr(self, f"fault_{kind}")(rng)
            except Exception as exc:  # noqa: BLE001 - a fault that could not be injected
                self.log(f"  fault {kind} could not be injected: {exc!r}")
                continue
            self.faults[kind] += 1
            self.log(f"  {time.time() - self.t0:6.1f} s  {kind} ({time.time() - started:.1f} s)")

    def fault_pool_one(self, rng) -> None:
        pool = children(self.worker.pid)
        os.kill(rng.choice(pool), signal.SIGKILL)

    def fault_pool_all(self, rng) -> None:
        for pid in children(self.worker.pid):
            os.kill(pid, signal.SIGKILL)

    def fault_worker(self, rng) -> None:
        self.worker.kill()  # the whole process group, as a crashed host
        time.sleep(rng.uniform(0.5, 2))
        self.worker = self.stack.worker(concurrency=2)

    def fault_web(self, rng) -> None:
        self.web.kill()
        self.stack.web(self.port)
        self.web = self.stack.procs[-1]

    def fault_redis(self, rng) -> None:
        self.redis.stop()
        time.sleep(rng.uniform(0.5, 2))
        self.redis.start()

    def fault_postgres(self, rng) -> None:
        started = time.time()
        self.postgres.stop("immediate")
        time.sleep(rng.uniform(0.5, 2))
        self.postgres.start()
        # Connections the web server held break on their next use; allow it a moment.
        self.windows.append(("database", started, time.time() + 3))

    def fault_disk_full(self, rng) -> None:
        started = time.time()
        filler = self.cache / "filler"
        with open(filler, "wb") as out:
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\xff" * (1 << 20))
            with contextlib.suppress(OSError):
                out.flush()
        time.sleep(rng.uniform(1, 3))
        filler.unlink()
        self.windows.append(("disk", started, time.time() + 1))

    # --- the soak -----------------------------------------------------------
    def soak(self) -> dict:
        self.t0 = time.time()
        threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(3)]
        threads.append(threading.Thread(target=self.driver, daemon=True))
        for thread in threads:
            thread.start()
        self.stop.wait(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        loaded = time.time() - self.t0
        self.log(f"  load over after {loaded:.0f} s; {len(self.run_ids)} runs to settle")
        self.ensure_up()
        return self.verdict(loaded)

    def ensure_up(self) -> None:
        if self.worker.popen.poll() is not None:
            self.worker = self.stack.worker(concurrency=2)
        if self.web.popen.poll() is not None:
            self.stack.web(self.port)

    def verdict(self, loaded: float) -> dict:
        session = requests.Session()
        session.headers.update(self.session_headers)

        def run(run_id):
            return session.get(f"{self.url}/runs/{run_id}", timeout=60).json()

        def settled():
            return all(run(r)["status"] in FINAL for r in self.run_ids)
        with contextlib.suppress(AssertionError):
            wait_until(settled, "every run to settle", timeout=300, every=1)
        self.log(f"  settled {time.time() - self.t0:.0f} s after the start")
        runs = [run(r) for r in self.run_ids]
        states = Counter(r["status"] for r in runs)
        injected = [k for k in self.faults]
        unexplained = [
            {"run": r["run_id"], "error": r["error"][:200]} for r in runs
            if r["status"] == "failed" and not any(
                re.search(FAULT_REASONS[k], r["error"]) for k in injected if k in FAULT_REASONS)]
        duplicated = sum(max(0, self.stack.events(r["run_id"], "completed") - 1) for r in runs)
        corrupt = self.corrupt_downloads
        verified = 0
        for r in runs:
            if r["status"] != "completed":
                continue
            record = session.get(f"{self.url}/runs/{r['run_id']}/provenance", timeout=60)
            verdict = session.post(f"{self.url}/provenance/verify", json=record.json(), timeout=60)
            body = session.get(f"{self.url}/cache/{r['output_hash']}", timeout=60).content
            if (record.status_code != 200 or not verdict.json().get("valid")
                    or hashlib.sha3_256(body).hexdigest() != r["output_hash"]):
                corrupt += 1
            else:
                verified += 1

        def inside(kind, sent, answered):
            # A request in flight when the window opened counts as inside it.
            return any(k == kind and sent <= end and answered >= start
                       for k, start, end in self.windows)
        codes = [(t, a, p, c) for t, a, p, c in self.requests if isinstance(c, int)]
        bad = [(round(t - self.t0, 1), p, c) for t, a, p, c in codes if c >= 500
               and not (c == 503 and inside("database", t, a))
               and not (c == 507 and inside("disk", t, a))]
        return {
            "mode": self.mode, "seed": self.seed, "seconds": round(loaded),
            "requests": len(self.requests),
            "refused": sum(1 for *_, c in self.requests if not isinstance(c, int)),
            "status_codes": dict(sorted(Counter(str(c) for *_, c in codes).items())),
            "runs": len(runs), "states": dict(states),
            "faults": dict(sorted(self.faults.items())),
            "lost": sum(r["status"] not in FINAL for r in runs),
            "duplicated": duplicated, "corrupt": corrupt, "verified": verified,
            "failed_without_a_fault_reason": unexplained,
            "server_errors_outside_windows": bad[:20], "server_errors_outside_count": len(bad),
        }


def soak(mode: str, seconds: float, seed: int, log=print) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"artdag-chaos-{mode}-"))
    soaker = Soak(mode, seconds, seed, workdir, log=log)
    try:
        log(f"chaos {mode}: {seconds:.0f} s, seed {seed} (again: python -m benchmarks.chaos "
            f"--seed {seed} --modes {mode})")
        began = time.time()
        soaker.start()
        log(f"  started in {time.time() - began:.0f} s")
        return soaker.soak()
    finally:
        soaker.close()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("MINUTES", 10)))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if args.minutes <= 0 or any(m not in MODES for m in modes):
        parser.error(f"--minutes must be positive and --modes among {', '.join(MODES)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10 ** 6)
    results = []
    for mode in modes:
        result = soak(mode, args.minutes * 60, seed)
        print(json.dumps(result, indent=1), flush=True)
        results.append(result)
    write_section(results)
    print(f"seed {seed}; BENCHMARKS.md updated", flush=True)
    return 0 if all(passed(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
