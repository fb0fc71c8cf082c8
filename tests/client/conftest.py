"""The installed `artdag` client against a live server (pytest-django's, in
this process, on the test database) and the session's real Celery worker.

Requests go through a byte-counting TCP relay, so a test can say how much an
upload really sent or a resumed download really received."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accounts.services import token_create
from runs.demo import seed_demo
from tests.factories import UserFactory

ARTDAG = Path(sys.executable).with_name("artdag")
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


class Relay:
    """127.0.0.1:<port> -> the live server, counting the bytes each way."""

    def __init__(self, target: str):
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.lock = threading.Lock()
        self.sent = self.received = 0  # client -> server, server -> client
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.sent = self.received = 0

    def _accept(self) -> None:
        while not self.closed:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(downstream, upstream, "sent"),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, "received"),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counter: str) -> None:
        try:
            while chunk := source.recv(65536):
                with self.lock:
                    setattr(self, counter, getattr(self, counter) + len(chunk))
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()


@dataclass
class Server:
    url: str  # through the relay
    direct: str  # the live server itself
    token: str
    user: object
    relay: Relay


@pytest.fixture
def server(worker, live_server):
    """The demo seeded, a user ("painter") with a token, and the relay."""
    seed_demo()
    user = UserFactory(username="painter")
    _, key = token_create(user=user, name="laptop")
    relay = Relay(live_server.url)
    yield Server(url=relay.url, direct=live_server.url, token=key, user=user, relay=relay)
    relay.close()


@pytest.fixture
def client(server, tmp_path):
    """artdag.Client straight to the live server, with a config of its own."""
    import artdag
    from artdag.config import Config

    # Closed afterwards: a kept-alive connection keeps the live server's
    # thread, and its database connection, past the test.
    with artdag.Client(server.direct, token=server.token,
                       config=Config(tmp_path / "config" / "config.json")) as client:
        yield client


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def home(tmp_path) -> Path:
    """A laptop's home for the client: its config and state folders."""
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def artdag(server, home):
    """Run the installed CLI in a subprocess: artdag("upload", path, env={...})."""
    if not ARTDAG.exists():
        pytest.fail(f"no {ARTDAG}: `pip install -e ./client` (make install does it)")

    def run(*args, env: dict | None = None, stdin: str | None = None, token: bool = True,
            cwd: Path | None = None) -> Result:
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith(("ARTDAG_", "XDG_", "DJANGO_", "DATABASE_"))}
        environ.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                       XDG_CACHE_HOME=str(home / ".cache"), ARTDAG_URL=server.url)
        if token:
            environ["ARTDAG_TOKEN"] = server.token
        environ.update(env or {})
        environ = {k: v for k, v in environ.items() if v is not None}
        done = subprocess.run([str(ARTDAG), *map(str, args)], env=environ, input=stdin,
                              capture_output=True, text=True, cwd=cwd or home)
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)
    return run


def config_of(home: Path) -> dict:
    return json.loads((home / ".config" / "artdag" / "config.json").read_text())


def one_line_failure(result: Result) -> str:
    """A failed command: non-zero, one line on stderr, nothing on stdout."""
    assert result.code != 0, result
    assert result.out == "" and len(result.err.strip().splitlines()) == 1, result
    return result.err.strip()
