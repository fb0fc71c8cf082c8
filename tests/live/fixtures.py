"""The web server as production runs it (scripts/web.sh: gunicorn, uvicorn
workers, live.asgi) against the test database, for the event streams."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
import requests
from django.db import connection
from PIL import Image

from tests.conftest import ROOT, worker_env
from tests.helpers import free_port


def picture(seed: int) -> bytes:
    """A still of its own (its own hash), so its render is one test's alone."""
    buffer = io.BytesIO()
    Image.new("RGB", (96 + seed, 64), (seed * 40 % 256, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def start_web(env: dict, log_path, *, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # Streams end after a minute (clients reconnect): a test waiting for an
    # event that never comes fails then instead of hanging.
    env = {"ARTDAG_LIVE_STREAM_SECONDS": "60", **env, "PORT": str(port),
           "BIND": f"127.0.0.1:{port}", "ARTDAG_WEB_WORKERS": str(workers)}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["scripts/web.sh", "--access-logfile", "/dev/null"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/", timeout=30).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("web server did not start:\n" + log_path.read_text(errors="replace")[-4000:])
        time.sleep(0.2)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serving(env: dict, tmp_path):
    """scripts/web.sh with ``env`` for the length of a fixture: its URL."""
    proc, url = start_web(env, tmp_path / "web.log")
    yield url
    stop(proc)


def server_env(data_dir, redis_url) -> dict:
    return worker_env(data_dir, redis_url, connection.settings_dict["NAME"])


@pytest.fixture
def web_server(worker, data_dir, redis_url, tmp_path):
    """scripts/web.sh on a free port, on the test database and Redis (PG+Redis mode)."""
    yield from serving(server_env(data_dir, redis_url), tmp_path)


@pytest.fixture
def web_server_without_redis(worker, data_dir, redis_url, tmp_path):
    """The same server told there is no Redis for events: its streams poll the table."""
    env = {**server_env(data_dir, redis_url), "ARTDAG_LIVE_REDIS_URL": "off"}
    yield from serving(env, tmp_path)


@pytest.fixture
def bare_web_server(transactional_db, data_dir, redis_url, tmp_path):
    """The same server with no worker, for what needs none (downloads)."""
    yield from serving(server_env(data_dir, redis_url), tmp_path)
