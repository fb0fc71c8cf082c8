"""Fault 4: PostgreSQL restarts while the web server and a worker run, with
a render in flight. A private cluster, so the shared server is never touched."""

import subprocess
import sys

import pytest

from cache.store import cache_path
from tests import images

from .stack import ROOT, Client, Gate, tally, wait_until

pytestmark = pytest.mark.faults

MAKE_TOKEN = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("restart")
print(Token.objects.create(user=user).key)
"""


def manage(stack, *argv: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_requests_and_an_in_flight_render_survive_a_database_restart(
        make_stack, private_postgres, report):
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(private_postgres.port), "-U", "postgres",
                    "-c", "CREATE DATABASE artdag"], check=True, capture_output=True)
    stack = make_stack(database_url=private_postgres.url("artdag"))
    manage(stack, "migrate", "--noinput")
    manage(stack, "seed_demo")
    token = manage(stack, "shell", "-c", MAKE_TOKEN).strip().splitlines()[-1]
    api = Client(stack.web(), token)
    stack.worker(concurrency=2)
    stack.beat()
    digest = api.upload(images.png(200, 150, seed=41), "restart.png")
    gate = Gate(cache_path(digest))
    in_flight = api.submit("sepia-print", [digest])["run_id"]
    wait_until(lambda: api.run(in_flight)["status"] == "running", "the render to start")

    private_postgres.stop("fast")  # every connection is cut
    down = api.get("/health")
    assert down.status_code == 503
    assert down.json()["error"]["message"] == "failing: database"
    private_postgres.start()

    # The first requests after the restart already succeed (CONN_HEALTH_CHECKS).
    statuses = [api.get("/runs").status_code for _ in range(5)]
    assert statuses == [200] * 5
    gate.release()
    after = api.submit("invert", ["cat"])["run_id"]
    runs = [api.wait_finished(in_flight), api.wait_finished(after)]

    assert [r["status"] for r in runs] == ["completed", "completed"], [r["error"] for r in runs]
    assert runs[0]["attempts"] == 1  # recorded by the render that was in flight, not a redo
    assert stack.events(in_flight, "completed", wait=5) == 1
    report(fault=4, **tally(stack, api, [in_flight, after], requests_after_restart=len(statuses),
                            failed_requests=sum(s != 200 for s in statuses)))
