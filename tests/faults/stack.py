"""Real processes for fault tests: web servers, Celery workers and beats, and
private Redis and PostgreSQL servers the test may stop and restart at will
(never the shared ones on :5432 and :6379, which other suites use)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from tests.helpers import free_port  # noqa: F401 - also imported from here (benchmarks/chaos.py)

ROOT = Path(__file__).resolve().parents[2]
# Bounds a hung test only; nothing here asserts how fast anything is.
PATIENCE = 180


def wait_until(predicate, what: str, timeout: float = PATIENCE, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


def children(pid: int) -> list[int]:
    """A process's children, whichever of its threads started them (the
    pool's supervisor thread starts the processes that replace dead ones)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread or the process ended meanwhile
    return sorted(set(found))


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = PATIENCE) -> None:
        def seen():
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log()[-4000:]}")
            return text in self.log()
        wait_until(seen, f"{text!r} in {self.name}'s log", timeout)

    def kill(self, sig=signal.SIGKILL) -> None:
        """Signal the whole process group (a worker and its pool children)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


class PrivateRedis:
    """A redis-server of the test's own, on a free port, with no persistence:
    a restart loses every queued message, as a crashed broker would."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=open(self.dir / "redis.log", "ab"), stderr=subprocess.STDOUT)
        client = __import__("redis").Redis(port=self.port)
        wait_until(lambda: self._ping(client), "redis to answer", 30)

    @staticmethod
    def _ping(client) -> bool:
        try:
            return client.ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # as abrupt as a crash: nothing saved
            self.proc.wait(timeout=30)
        self.proc = None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temp dir, pg_ctl on
    a free port), run as the postgres user when we are root."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.port = free_port()
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries are not installed")
        self.bin = bins[-1].parent
        self.data = workdir / "pgdata"
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres")

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(argv), check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "pg.log"),
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


class Stack:
    """Web servers, workers and beats sharing one database, broker, queue and
    data dir, all real processes started from the repository's code."""

    def __init__(self, *, database_url: str, broker_url: str, data_dir: Path, **env):
        self.data_dir = data_dir
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.queue = f"artdag-fault-{os.getpid()}-{time.monotonic_ns()}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url,
            ARTDAG_DATA_DIR=str(data_dir), ARTDAG_CACHE_DIR=str(data_dir / "cache"),
            ARTDAG_IMPORT_ROOTS=str(data_dir / "import"), ARTDAG_QUEUE=self.queue,
            ARTDAG_BEAT_SCHEDULE=str(data_dir / "beat-schedule"),
            # Seconds, not minutes: the faults are produced and recovered within a test.
            ARTDAG_SWEEP_INTERVAL="1", ARTDAG_QUEUE_GRACE="1", ARTDAG_REQUEUE_AFTER="4",
            ARTDAG_HEARTBEAT_INTERVAL="1", ARTDAG_HEARTBEAT_TIMEOUT="4",
            ARTDAG_VISIBILITY_TIMEOUT="3600", ARTDAG_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1",
        )
        self.env.update({k: str(v) for k, v in env.items()})
        self.procs: list[Proc] = []
        self.count = Counter()

    def _start(self, kind: str, argv: list[str], **env) -> Proc:
        self.count[kind] += 1
        proc = Proc(f"{kind}-{self.count[kind]}", argv, {**self.env, **{k: str(v) for k, v in env.items()}},
                    self.logs)
        self.procs.append(proc)
        return proc

    def worker(self, *, concurrency: int = 1, beat: bool = False, **env) -> Proc:
        n = self.count["worker"] + 1
        # No --pool: the project's (settings.CELERY_WORKER_POOL), as `make worker` runs.
        argv = [sys.executable, "-m", "celery", "-A", "l1site", "worker", "--loglevel=INFO",
                f"--concurrency={concurrency}", "--without-gossip",
                "--without-mingle", f"--hostname=fault{n}-{os.getpid()}@%h"]
        if beat:
            argv.append("--beat")
        proc = self._start("worker", argv, **env)
        proc.wait_for_log("ready.")
        return proc

    def beat(self, **env) -> Proc:
        return self._start("beat", [sys.executable, "-m", "celery", "-A", "l1site", "beat",
                                    "--loglevel=INFO"], **env)

    def web(self, port: int | None = None, **env) -> str:
        port = port or free_port()
        proc = self._start("web", [sys.executable, "-m", "gunicorn", "l1site.wsgi:application",
                                   "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
                                   "--workers", "1", "--threads", "4", "--timeout", "120"], **env)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url, proc), "the web server to answer", 60)
        return url

    def manage(self, *args: str) -> str:
        """Run manage.py with the stack's settings; its output."""
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=PATIENCE)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def worker_logs(self) -> str:
        return "".join(p.log() for p in self.procs if p.name.startswith("worker"))

    def events(self, run_id: str, state: str, *, wait: float = 0.0) -> int:
        """How many `run_state` log lines for this run and state the workers
        wrote. A worker logs a completion just after committing it, so a test
        that has already seen the run completed gives the line `wait` seconds
        to arrive."""
        deadline = time.monotonic() + wait
        while True:
            count = len(re.findall(rf"run_state run={run_id} state={state}\b", self.worker_logs()))
            if count or time.monotonic() >= deadline:
                return count
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.kill()


def _answers(url: str, proc: Proc) -> bool:
    if proc.popen.poll() is not None:
        raise AssertionError(f"web server exited:\n{proc.log()[-4000:]}")
    try:
        requests.get(url + "/effects", timeout=30)
        return True
    except (requests.ConnectionError, requests.Timeout):
        return False


class Client:
    """What a user of the API does, over real HTTP, with a token."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url + path, timeout=60, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.url + path, timeout=60, **kw)

    def upload(self, data: bytes, name: str = "in.png") -> str:
        response = self.post("/cache", files={"file": (name, data)})
        assert response.status_code in (200, 201), response.text
        return response.json()["content_hash"]

    def submit(self, recipe: str, inputs: list[str]) -> dict:
        response = self.post("/runs", json={"recipe": recipe, "inputs": inputs})
        assert response.status_code in (200, 201), response.text
        return response.json()

    def run(self, run_id: str) -> dict:
        return self.get(f"/runs/{run_id}").json()

    def wait_finished(self, run_id: str, timeout: float = PATIENCE) -> dict:
        return wait_until(lambda: (lambda r: r if r["status"] in ("completed", "failed", "cancelled")
                                   else None)(self.run(run_id)),
                          f"run {run_id[:12]} to finish", timeout, every=0.2)


class Gate:
    """Hold a render at the door: the input's cache file becomes a FIFO, so a
    worker opening it blocks in the kernel (as on a stalled network file
    system) until the test feeds it the real bytes, or forever."""

    def __init__(self, path: Path):
        self.path = path
        self.data = path.read_bytes()
        path.unlink()
        os.mkfifo(path)
        self.feeder: threading.Thread | None = None
        self.restored = False

    def release(self) -> None:
        """Feed the real bytes to every opener from now on: the engine opens
        an input more than once (its header for the facts, then its pictures)."""
        def feed():
            while not self.restored:
                try:
                    with open(self.path, "wb") as fifo:  # blocks until a worker opens it
                        fifo.write(self.data)
                except BrokenPipeError:
                    pass  # a reader that wanted only the header closed early
        self.feeder = threading.Thread(target=feed, daemon=True)
        self.feeder.start()

    @staticmethod
    def reached(pids) -> bool:
        """Whether one of these processes is blocked in the kernel opening a
        gate (a FIFO with no writer yet): a render that has reached its input."""
        for pid in pids:
            try:
                if Path(f"/proc/{pid}/wchan").read_text() == "wait_for_partner":
                    return True
            except OSError:
                pass  # gone meanwhile
        return False

    def restore(self) -> None:
        """Put the real file back (for whoever opens it next)."""
        self.restored = True
        temp = self.path.with_name(self.path.name + ".restore")
        temp.write_bytes(self.data)
        os.replace(temp, self.path)


def cache_tree(cache_dir: Path) -> dict[str, Path]:
    """Files published under their hash (what readers can see), by name."""
    return {p.name: p for p in cache_dir.glob("??/??/*") if p.is_file()}


def tally(stack: Stack, api: Client, run_ids: list[str], **extra) -> dict:
    """What happened to these runs, measured: their final states from the
    API and the render starts and completions the workers logged. `lost` is
    a run not in a final state; a duplicated render is a second recorded
    completion of one run."""
    runs = [api.run(r) for r in run_ids]
    states = Counter(r["status"] for r in runs)
    return {
        "runs": len(run_ids),
        "completed": states["completed"], "failed": states["failed"],
        "cancelled": states["cancelled"],
        "lost": sum(r["status"] not in ("completed", "failed", "cancelled") for r in runs),
        "renders_started": sum(stack.events(r, "running") for r in run_ids),
        "duplicated_renders": sum(max(0, stack.events(r, "completed", wait=5) - 1)
                                  for r in run_ids),
        **extra,
    }
