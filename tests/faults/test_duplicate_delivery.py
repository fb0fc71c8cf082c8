"""Fault 6: two workers get the same run (a duplicated message, a message
re-sent by the sweep, two clients submitting at once): it renders once and
every caller gets the result."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cache.store import cache_path
from runs.models import Run
from runs.tasks import schedule_run
from tests import images

from .conftest import client
from .stack import Gate, tally, wait_until

pytestmark = pytest.mark.faults


def test_two_workers_given_the_same_run_render_it_once(make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    stack.worker(concurrency=1)
    digest = api.upload(images.png(90, 60, seed=61), "race.png")
    gate = Gate(cache_path(digest))
    run = api.submit("invert", [digest])
    wait_until(lambda: Run.objects.filter(pk=run["run_id"], status="running").exists(), "a claim")
    holder = Run.objects.get(pk=run["run_id"]).task_id

    # The other worker now gets the same message again (as after a broker
    # redelivery) and a copy under a new task id (as the sweep re-sends).
    schedule_run.apply_async(args=[run["run_id"]], task_id=holder, queue=stack.queue)
    schedule_run.apply_async(args=[run["run_id"]], task_id=str(uuid.uuid4()), queue=stack.queue)
    wait_until(lambda: stack.events(run["run_id"], "skipped") >= 1, "the copy to be refused")
    gate.release()
    done = api.wait_finished(run["run_id"])

    assert done["status"] == "completed" and done["attempts"] == 1
    assert stack.events(run["run_id"], "running") == 1
    assert stack.events(run["run_id"], "completed", wait=5) == 1
    report(fault="6a", **tally(stack, api, [run["run_id"]], deliveries=3))


def test_clients_submitting_the_same_run_at_once_share_one_render(make_stack, seeded, report):
    stack = make_stack()
    url = stack.web()
    stack.worker(concurrency=1)
    stack.worker(concurrency=1)
    clients = [client(url, seeded) for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(lambda c: c.post("/runs", json={"recipe": "sepia-print",
                                                                "inputs": ["cat"]}), clients))

    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    run_ids = {a.json()["run_id"] for a in answers}
    assert len(run_ids) == 1
    (run_id,) = run_ids
    results = [c.wait_finished(run_id) for c in clients]
    assert {r["output_hash"] for r in results} == {results[0]["output_hash"]} != {None}
    assert stack.events(run_id, "running") == 1
    report(fault="6b", **tally(stack, clients[0], [run_id], submissions=len(clients)))
