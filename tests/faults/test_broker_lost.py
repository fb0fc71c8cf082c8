"""Faults 2 and 3: the broker is down when runs are submitted, or restarts
(losing every queued message) while runs wait. PostgreSQL is the source of
truth; the sweep queues what the broker never got or lost."""

import pytest

from runs.models import Run
from tests import images

from .conftest import client
from .stack import tally

pytestmark = pytest.mark.faults


def test_a_run_submitted_while_the_broker_is_down_is_accepted_and_completes_once_it_is_back(
        make_stack, seeded, private_redis, report):
    stack = make_stack(broker_url=private_redis.url())
    api = client(stack.web(), seeded)
    private_redis.stop()

    response = api.post("/runs", json={"recipe": "invert", "inputs": ["cat"]})
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "pending" and run["queue_state"] == "not yet queued"
    assert run["queued_at"] is None
    assert Run.objects.get(pk=run["run_id"]).queued_at is None
    down = api.get("/health")
    assert down.status_code == 503 and down.json()["error"]["message"] == "failing: broker"

    private_redis.start()
    stack.worker(concurrency=2)
    stack.beat()
    assert api.get("/health").status_code == 200
    done = api.wait_finished(run["run_id"])

    assert done["status"] == "completed", done["error"]
    assert done["queued_at"] is not None and done["attempts"] == 1
    assert stack.events(run["run_id"], "completed", wait=5) == 1
    report(fault=2, **tally(stack, api, [run["run_id"]]))


def test_runs_queued_when_the_broker_restarts_and_loses_its_messages_all_complete(
        make_stack, seeded, private_redis, report):
    # Fair share would hold back all but ARTDAG_DISPATCH_PER_USER of one
    # user's runs: here all six are to be in the broker when it loses them.
    stack = make_stack(broker_url=private_redis.url(), ARTDAG_DISPATCH_PER_USER=6)
    api = client(stack.web(), seeded)
    inputs = [api.upload(images.png(40 + i, 30, seed=100 + i), f"q{i}.png") for i in range(6)]
    run_ids = [api.submit("invert", [digest])["run_id"] for digest in inputs]
    # No worker yet: every message sits in Redis.
    assert all(api.run(r)["queue_state"] == "queued" for r in run_ids)

    private_redis.stop()  # no persistence: the queue is gone
    private_redis.start()
    stack.worker(concurrency=2)
    stack.beat()
    finished = [api.wait_finished(r) for r in run_ids]

    assert [r["status"] for r in finished] == ["completed"] * len(run_ids)
    assert all(stack.events(r, "completed", wait=5) == 1 for r in run_ids)
    assert all(stack.events(r, "running") == 1 for r in run_ids)
    report(fault=3, **tally(stack, api, run_ids))
