"""GET /runs/{id}/events and GET /events against the web server as
production runs it (scripts/web.sh) and a real worker: what a stream
carries, resuming with Last-Event-ID, who sees what."""

from __future__ import annotations

import threading

import pytest
import requests
from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from cache.store import cache_path
from live import wake
from live.models import Event
from runs import services
from tests.factories import UserFactory
from tests.faults.stack import Gate
from tests.helpers import upload
from tests.live.fixtures import picture
from tests.live.sse import Stream

pytestmark = pytest.mark.worker

FINISHED = {"completed", "failed", "cancelled"}


def finished(run_id: str):
    return lambda e: e["event"] == "state" and e["data"]["run"] == run_id and \
        e["data"]["status"] in FINISHED


@pytest.fixture
def painter(db):
    return UserFactory(username="painter")


def held_run(api, owner, seed: int) -> tuple[str, Gate]:
    """A `dog` run whose input the worker cannot read until the gate is released."""
    api.force_authenticate(owner)
    content_hash = upload(api, picture(seed), f"p{seed}.png")
    gate = Gate(cache_path(content_hash))
    run, _ = services.run_submit(recipe="dog", inputs=[content_hash], owner=owner)
    return run.id, gate


def test_a_run_stream_starts_with_the_run_as_it_is_then_follows_it_to_completion(
        web_server, demo, api, painter):
    run_id, gate = held_run(api, painter, 1)
    try:
        with Stream(f"{web_server}/runs/{run_id}/events") as stream:
            first = stream.next()
            assert first["event"] == "snapshot" and first["id"] is not None
            assert first["data"]["run"] == run_id
            assert first["data"]["status"] in ("pending", "running")
            assert set(first["data"]["nodes"]) == {"image", "dog"}
            assert first["data"]["nodes"]["image"]["status"] == "cached"
            gate.release()
            events = stream.until(finished(run_id))
    finally:
        gate.restore()
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids)) and ids[0] > first["id"]
    assert all(e["data"]["run"] == run_id for e in events)
    said = [(e["event"], e["data"].get("node"), e["data"]["status"]) for e in events
            if e["event"] in ("state", "step")]
    # The worker may have started the step (and be waiting at the gate) before
    # the snapshot was read: then the snapshot says so, and the stream goes on from there.
    if first["data"]["nodes"]["dog"]["status"] == "running":
        assert first["data"]["status"] == "running"
    else:
        assert first["data"]["nodes"]["dog"]["status"] == "pending"
        assert said.index(("step", "dog", "running")) < said.index(("step", "dog", "done"))
    assert ("step", "dog", "done") in said
    assert said[-1] == ("state", None, "completed")
    done = next(e for e in events if e["event"] == "step" and e["data"]["status"] == "done")
    assert (done["data"]["steps_done"], done["data"]["steps_total"]) == (2, 2)
    assert events[-1]["data"]["output"] == api.get(f"/runs/{run_id}").json()["output_hash"]


def test_reconnecting_with_last_event_id_sends_every_event_missed_and_none_before(
        web_server, demo, api, painter):
    run_id, gate = held_run(api, painter, 2)
    try:
        with Stream(f"{web_server}/runs/{run_id}/events") as stream:
            snapshot = stream.next()
        # Disconnected: the run renders and completes meanwhile.
        gate.release()
        with Stream(f"{web_server}/runs/{run_id}/events", last_event_id=snapshot["id"]) as again:
            missed = again.until(finished(run_id))
    finally:
        gate.restore()
    recorded = list(Event.objects.filter(run_id=run_id, id__gt=snapshot["id"])
                    .order_by("id").values_list("id", "kind"))
    assert [(e["id"], e["event"]) for e in missed] == recorded
    assert missed[0]["event"] != "snapshot"
    # From the middle of the run's events: exactly what came after, by header
    # or by query parameter.
    every = list(Event.objects.filter(run_id=run_id).order_by("id").values_list("id", flat=True))
    assert len(every) >= 5  # pending, queued, running, the step's start and end, completed
    middle = every[len(every) // 2 - 1]
    with Stream(f"{web_server}/runs/{run_id}/events", last_event_id=middle) as again:
        assert [e["id"] for e in again.until(finished(run_id))] == \
            [i for i in every if i > middle]
    with Stream(f"{web_server}/runs/{run_id}/events?last_event_id={middle}") as again:
        assert again.next()["id"] == next(i for i in every if i > middle)


def test_events_streams_the_callers_runs_only_and_staff_see_every_run(
        web_server, demo, api, painter):
    other = UserFactory(username="sculptor")
    staff = UserFactory(username="operator", is_staff=True)
    start = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    mine, gate_a = held_run(api, painter, 3)
    theirs, gate_b = held_run(api, other, 4)
    gate_a.release()
    gate_b.release()
    try:
        token = Token.objects.create(user=painter).key
        with Stream(f"{web_server}/events", last_event_id=start, token=token) as stream:
            seen = stream.until(finished(mine))
        assert {e["data"]["run"] for e in seen} == {mine}
        with Stream(f"{web_server}/events", last_event_id=start,
                    token=Token.objects.create(user=staff).key) as stream:
            runs_done: set[str] = set()
            stream.until(lambda e: finished(mine)(e) and runs_done.add(mine) or
                         finished(theirs)(e) and runs_done.add(theirs) or runs_done == {mine, theirs})
    finally:
        gate_a.restore()
        gate_b.restore()
    # Without Last-Event-ID the stream says where "now" is, with an id to resume from.
    with Stream(f"{web_server}/events", token=token) as stream:
        ready = stream.next()
    assert ready["event"] == "ready" and ready["id"] >= max(e["id"] for e in seen)


def test_events_needs_a_login_and_a_bad_last_event_id_is_a_json_400(web_server, demo):
    anonymous = requests.get(f"{web_server}/events", headers={"Accept": "text/event-stream"},
                             timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    run, _ = services.run_submit(recipe="identity", inputs=["cat"], owner=None)
    for bad in ("abc", "-1", "1.5", "9" * 30):
        response = requests.get(f"{web_server}/runs/{run.id}/events",
                                headers={"Last-Event-ID": bad}, timeout=30)
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid_last_event_id"
    missing = requests.get(f"{web_server}/runs/{'0' * 64}/events", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_without_redis_the_streams_read_the_table_and_miss_nothing(
        web_server_without_redis, demo, api, painter):
    run_id, gate = held_run(api, painter, 5)
    try:
        with Stream(f"{web_server_without_redis}/runs/{run_id}/events") as stream:
            snapshot = stream.next()
            gate.release()
            events = stream.until(finished(run_id))
    finally:
        gate.restore()
    assert [e["id"] for e in events] == list(
        Event.objects.filter(run_id=run_id, id__gt=snapshot["id"]).order_by("id")
        .values_list("id", flat=True))


def test_an_event_committed_after_a_later_one_still_reaches_the_stream(web_server, demo):
    """Ids are handed out at insert, seen at commit: a slow transaction's
    event shows up after a later one was already streamed."""
    run, _ = services.run_submit(recipe="identity", inputs=["cat"], owner=None)
    inserted, commit = threading.Event(), threading.Event()
    slow = {}

    def slow_writer():
        with transaction.atomic():
            slow["id"] = Event.objects.create(run_id=run.id, kind="step",
                                              data={"run": run.id, "note": "slow"}).id
            inserted.set()
            commit.wait(60)
        wake.publish(slow["id"])
        connection.close()

    with Stream(f"{web_server}/runs/{run.id}/events") as stream:
        snapshot = stream.next()
        writer = threading.Thread(target=slow_writer)
        writer.start()
        inserted.wait(60)
        fast = Event.objects.create(run_id=run.id, kind="step", data={"run": run.id, "note": "fast"})
        wake.publish(fast.id)
        assert fast.id > slow["id"]
        got = stream.until(lambda e: e["data"].get("note") == "fast")
        commit.set()
        writer.join()
        late = stream.until(lambda e: e["data"].get("note") == "slow")
    assert late[-1]["id"] == slow["id"] < got[-1]["id"]
    assert snapshot["event"] == "snapshot"
