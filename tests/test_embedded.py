"""`make run`'s mode: no outside service at all. SQLite and a filesystem queue
in the data dir, the gunicorn server and a real worker started by serve.sh."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import free_port


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ARTDAG_CACHE_DIR",
                        "ARTDAG_IMPORT_ROOTS", "ARTDAG_QUEUE")}
    env.update(ARTDAG_DATA_DIR=str(tmp_path / "data"), PORT=str(free_port()))
    return env


def manage(env, *args, timeout=300):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.load(reply)


@contextlib.contextmanager
def serving(env):
    """scripts/serve.sh (make run's server, worker and beat) on the migrated,
    seeded data dir, once it answers: (the process, GET /'s answer). Ends
    with a Ctrl-C to its process group, as a terminal sends it."""
    assert manage(env, "migrate", "--noinput").returncode == 0
    assert manage(env, "seed_demo").returncode == 0
    base = f"http://127.0.0.1:{env['PORT']}"
    # A file, not a pipe: nobody reads the access log while the test runs.
    log = Path(env["ARTDAG_DATA_DIR"]).with_name("serve.log")
    with open(log, "wb") as out:
        server = subprocess.Popen([str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                info = get_json(base + "/")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    log.read_text(errors="replace")[-3000:]
                time.sleep(0.3)
        yield server, info
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise


def test_the_embedded_server_and_worker_render_with_no_outside_service(embedded_env):
    base = f"http://127.0.0.1:{embedded_env['PORT']}"
    with serving(embedded_env) as (server, info):
        assert info["counts"]["assets"] == 5  # cat, demo-music and three demo clips

        rendered = manage(embedded_env, "render", "dog", "cat", "--sync", "--timeout", "120")
        assert rendered.returncode == 0, rendered.stderr
        output = rendered.stdout.strip()
        runs = get_json(base + "/runs")["results"]
        assert runs[0]["status"] == "completed" and runs[0]["output_hash"] == output
        with urllib.request.urlopen(f"{base}/cache/{output}", timeout=10) as reply:
            assert reply.headers["Content-Type"] == "image/png" and len(reply.read()) > 1000

        # A graph recipe, step by step, on the demo music and clips.
        cuts = manage(embedded_env, "render", "beat-cuts", "music=demo-music",
                      "videos=demo-clip-1,demo-clip-2,demo-clip-3", "--param", "width=160",
                      "--param", "height=90", "--sync", "--timeout", "300")
        assert cuts.returncode == 0, cuts.stderr
        with urllib.request.urlopen(f"{base}/cache/{cuts.stdout.strip()}", timeout=10) as reply:
            assert reply.headers["Content-Type"] == "video/mp4"
    # Ctrl-C: the script stopped the server and the worker, and exited.
    leftovers = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "serve.sh left processes running after Ctrl-C"
