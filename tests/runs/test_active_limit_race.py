"""The active-run limit holds when submissions race: two POST /runs at the
same moment, by one user with room for one more run, cannot both pass.

The race is made certain, not left to luck: a third connection holds a
SHARE lock on the runs table, which lets both submissions read (count the
user's active runs) but stops each at its INSERT. Without a lock on the
user, both counted zero before either inserted, and both runs are created
once the table is released. With it, the second waits on the user's row
until the first has committed, and then counts it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from l1site.celery import app
from runs.models import Run
from tests.helpers import upload
from tests.images import png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_worker_takes_these_runs():
    """The session's worker (tests.conftest.celery_worker_process) may still
    be running from an earlier test: once it rendered a run of this module
    while the teardown emptied the tables, and PostgreSQL broke the deadlock
    by failing the teardown. These runs are queued where no worker reads."""
    base = app.conf.task_default_queue
    app.conf.task_default_queue = f"{base}-unread"
    yield
    app.conf.task_default_queue = base


def waiting_on_locks() -> int:
    """Backends of this database waiting for a lock (autocommit: a fresh
    view of pg_stat_activity each time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


class TableHeld(threading.Thread):
    """Holds SHARE on the runs table (reads pass, inserts wait) until released."""

    def __init__(self):
        super().__init__(daemon=True)
        self.held, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Run._meta.db_table} IN SHARE MODE")
                self.held.set()
                self.release.wait()
        finally:
            connection.close()


def submit(user, payload: dict, answers: list) -> None:
    client = APIClient()
    client.force_authenticate(user)
    try:
        response = client.post("/runs", payload, format="json")
        answers.append((response.status_code, response.json()))
    finally:
        connections.close_all()


def test_two_submissions_at_once_cannot_both_pass_the_active_run_limit(demo, user, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the race is staged with PostgreSQL's table locks")
    settings.MAX_ACTIVE_RUNS_PER_USER = 1
    client = APIClient()
    client.force_authenticate(user)
    # Two different inputs: the same one would serialize the two on its row lock.
    first, second = upload(client, png(seed=1)), upload(client, png(seed=2))
    table = TableHeld()
    table.start()
    assert table.held.wait(60)
    answers: list = []
    racers = [threading.Thread(target=submit, args=(user, {"recipe": "invert", "inputs": [h]},
                                                    answers), daemon=True)
              for h in (first, second)]
    for racer in racers:
        racer.start()
    # Both are inside their transactions, stopped at a lock (the table's, or
    # with the fix, one of them at the user's row); only then let them go.
    deadline = time.monotonic() + 120  # bounds a hung test only
    while waiting_on_locks() < 2:
        assert time.monotonic() < deadline, "the submissions never reached their locks"
        assert all(r.is_alive() for r in racers), f"a submission did not wait: {answers}"
        time.sleep(0.05)
    table.release.set()
    for racer in racers + [table]:
        racer.join(120)
        assert not racer.is_alive()
    statuses = sorted(code for code, _ in answers)
    assert statuses == [201, 429], answers
    refused = next(body for code, body in answers if code == 429)
    assert refused["error"]["code"] == "too_many_active_runs"
    assert Run.objects.filter(owner=user).count() == 1


def test_asking_again_for_an_active_run_at_the_limit_returns_it(demo, user, settings):
    settings.MAX_ACTIVE_RUNS_PER_USER = 1
    client = APIClient()
    client.force_authenticate(user)
    made = client.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    again = client.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    assert (made.status_code, again.status_code) == (201, 200)
    assert again.json()["run_id"] == made.json()["run_id"]


def test_a_failed_run_tried_again_counts_against_the_limit(demo, user, settings):
    settings.MAX_ACTIVE_RUNS_PER_USER = 1
    client = APIClient()
    client.force_authenticate(user)
    failed = client.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json").json()
    Run.objects.filter(pk=failed["run_id"]).update(status=Run.Status.FAILED, error="gone")
    client.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
    retried = client.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    assert retried.status_code == 429
    assert Run.objects.get(pk=failed["run_id"]).status == Run.Status.FAILED
