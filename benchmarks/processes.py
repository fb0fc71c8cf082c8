"""The web server and the Celery worker, started as `make run` / serve.sh does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from celery import Celery

from .client import Client
from .common import ROOT, log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A child in its own session, so a stray grandchild (a prefork pool
    process) can be killed with the group this Popen created."""

    def __init__(self, name: str, cmd: list[str], env: dict, log_path: Path):
        self.name, self.log_path = name, log_path
        with open(log_path, "wb") as out:
            self.popen = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def child_pid(self) -> int:
        """The first child (gunicorn's worker, celery's pool process), else this pid."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        children = path.read_text().split() if path.exists() else []
        return int(children[0]) if children else self.pid

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()  # warm shutdown for the worker and gunicorn alike
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # our own process group only
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def wait_serving(proc: Process, client: Client, timeout: float, what: str) -> None:
    """Until GET / answers 200; the server's log tail if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.get("/")[0] == 200:
                return
        except OSError:
            pass
        if not proc.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n" + proc.log_tail())
        time.sleep(0.2)


def start_server(env, timeout: float = 60, *, web_workers: int = 1, name: str = "server",
                 extra_env: dict | None = None, anonymous: bool = False) -> tuple[Process, Client]:
    """The web server on a free port; its client sends the bench token unless
    `anonymous` (a server on another database does not know the token)."""
    port = free_port()
    # By default one gunicorn worker process, so its memory can be read from one pid.
    proc = Process(name, [str(ROOT / "scripts" / "web.sh")],
                   {**env.env, "BIND": f"127.0.0.1:{port}",
                    "ARTDAG_WEB_WORKERS": str(web_workers), **(extra_env or {})},
                   env.data_dir / f"{name}.log")
    env.callback(proc.stop)
    client = Client("127.0.0.1", port, token=None if anonymous else env.token)
    wait_serving(proc, client, timeout, "web server")
    log(f"web server {name} pid {proc.pid} on port {port}, {web_workers} gunicorn worker(s)")
    return proc, client


def start_worker(env, concurrency: int, timeout: float = 60, *, name: str = "worker") -> Process:
    celery_bin = ROOT / ".venv" / "bin" / "celery"
    hostname = f"artdag-bench-{env.sid}-{name}"
    cmd = ([str(celery_bin)] if celery_bin.exists() else [env.python, "-m", "celery"]) + [
        "-A", "l1site", "worker", f"--concurrency={concurrency}", "--pool=prefork",
        "--loglevel=WARNING", "--without-gossip", "--without-mingle",
        f"--hostname={hostname}@%h"]
    proc = Process(name, cmd, env.env, env.data_dir / f"{name}.log")
    proc.nodename = f"{hostname}@{socket.gethostname()}"
    env.callback(proc.stop)
    # At WARNING the worker never logs "ready.", so ask it: a ping answered on
    # the broadcast (pidbox) queue means its consumer loop is running. Our
    # Redis db number holds no other worker.
    app = Celery("artdag-bench-probe", broker=env.redis_url)
    try:
        deadline = time.monotonic() + timeout
        while not any(f"{hostname}@" in answered
                      for reply in app.control.ping(timeout=0.5) for answered in reply):
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + proc.log_tail())
    finally:
        app.close()
    log(f"worker {name} pid {proc.pid}, prefork concurrency {concurrency}")
    return proc
