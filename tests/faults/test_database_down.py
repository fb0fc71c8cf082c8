"""Fault 10: requests while PostgreSQL itself is down get 503 in the error
shape with Retry-After, never a 500 (the chaos soak found 500s there), and
the same requests succeed once it is back. A private cluster."""

import subprocess

import pytest

from tests import images

from .stack import Client

pytestmark = pytest.mark.faults


def test_requests_while_the_database_is_down_get_503_and_work_again_after(
        make_stack, private_postgres):
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(private_postgres.port), "-U", "postgres",
                    "-c", "CREATE DATABASE artdag"], check=True, capture_output=True)
    stack = make_stack(database_url=private_postgres.url("artdag"))
    stack.manage("migrate", "--noinput")
    stack.manage("seed_demo")
    stack.manage("shell", "-c", "from django.contrib.auth.models import User; "
                                "User.objects.create_user('down')")
    token = next(w for w in stack.manage("create_token", "down", "t").split() if w.startswith("l1_"))
    api = Client(stack.web(), token)
    digest = api.upload(images.png(120, 90, seed=101), "down.png")
    run_id = api.submit("invert", [digest])["run_id"]

    def attempts():
        return [api.get("/runs"), api.get(f"/runs/{run_id}"), api.get("/cache"),
                api.get(f"/cache/{digest}"),
                api.post("/runs", json={"recipe": "dog", "inputs": [digest]}),
                api.post("/cache", files={"file": ("more.png", images.png(64, 48, seed=102))})]

    private_postgres.stop("immediate")  # as a crash: every connection cut
    try:
        down = attempts()
    finally:
        private_postgres.start()
    for reply in down:
        assert reply.status_code == 503, (reply.request.method, reply.url, reply.text[:300])
        assert reply.json()["error"]["code"] == "database_unavailable"
        assert reply.headers["Retry-After"] == "5"
    back = [r.status_code for r in attempts()]
    assert back[:4] == [200] * 4 and back[4] in (200, 201) and back[5] == 201, back
