"""The sweep and reaper, one pass at a time (the fault tests run it from
celery beat against real outages; here each rule is pinned down). The run
here renders in one task (a small still plan); runs rendered step by step
are in test_graph_upkeep.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs import services, steps
from runs.models import Run
from runs.recovery import run_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # as if the broker never got it
        submitted, _ = services.run_submit(recipe="invert", inputs=["cat"])
    assert submitted.inline
    return submitted


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_fresh_run_reads_not_yet_queued_until_its_message_reaches_the_broker(api, run):
    body = api.get(f"/runs/{run.id}").json()
    assert body["queue_state"] == "not yet queued" and body["queued_at"] is None


def test_the_sweep_queues_a_run_that_never_reached_the_broker(api, run, settings):
    Run.objects.filter(pk=run.pk).update(created_at=ago(settings.RUN_QUEUE_GRACE + 5))
    assert run_sweep()["queued"] == 1
    swept = Run.objects.get(pk=run.pk)
    assert swept.queued_at is not None and swept.task_id != run.task_id
    assert api.get(f"/runs/{run.id}").json()["queue_state"] == "queued"


def test_the_sweep_leaves_a_just_submitted_run_to_its_own_dispatch(run):
    assert run_sweep() == {"queued": 0, "requeued": 0, "reaped": 0, "failed": 0, "scheduled": 0,
                           "replanned": 0, "released": 0}
    assert Run.objects.get(pk=run.pk).task_id == run.task_id


def test_a_run_queued_long_ago_and_never_claimed_is_sent_again(run, settings):
    Run.objects.filter(pk=run.pk).update(queued_at=ago(settings.RUN_REQUEUE_AFTER + 5))
    assert run_sweep()["requeued"] == 1
    assert Run.objects.get(pk=run.pk).queued_at > ago(60)


def test_a_running_run_with_a_stale_heartbeat_is_requeued(run, settings):
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, started_at=ago(100),
                                         heartbeat_at=ago(settings.RUN_HEARTBEAT_TIMEOUT + 5))
    assert run_sweep()["reaped"] == 1
    reaped = Run.objects.get(pk=run.pk)
    assert reaped.status == "pending" and reaped.task_id != run.task_id
    assert reaped.attempts == 1  # counted again when a worker claims it


def test_a_running_run_with_a_live_heartbeat_is_left_alone(run):
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, started_at=ago(100),
                                         heartbeat_at=ago(1))
    assert run_sweep()["reaped"] == 0
    assert Run.objects.get(pk=run.pk).status == "running"


def test_a_silent_run_out_of_attempts_is_failed_not_requeued(run, settings):
    Run.objects.filter(pk=run.pk).update(status="running", attempts=settings.MAX_RENDER_ATTEMPTS,
                                         started_at=ago(100), heartbeat_at=ago(3600))
    assert run_sweep()["failed"] == 1
    failed = Run.objects.get(pk=run.pk)
    assert failed.status == "failed" and "stopped responding" in failed.error


def test_a_run_past_the_hard_time_limit_is_failed_with_a_clear_error(run, settings):
    limit = settings.CELERY_TASK_TIME_LIMIT
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, started_at=ago(limit + 60),
                                         heartbeat_at=ago(limit))
    run_sweep()
    failed = Run.objects.get(pk=run.pk)
    assert failed.status == "failed"
    assert failed.error == f"render stopped: over the hard time limit of {limit} s (the worker killed it)"


def test_a_worker_whose_run_was_requeued_cannot_record_over_the_new_attempt(run):
    Run.objects.filter(pk=run.pk).update(status="running", task_id="the-new-claim")
    assert not steps._finish(run.id, "failed", task_id=run.task_id, error="late")
    assert Run.objects.get(pk=run.pk).status == "running"


def test_a_duplicate_message_finds_the_run_taken_and_renders_nothing(run):
    Run.objects.filter(pk=run.pk).update(status="running", task_id="holder", heartbeat_at=ago(0))
    steps.schedule(run.id, task_id="a-copy")
    with pytest.raises(steps.HeldElsewhere):  # the holder's own message, back too soon
        steps.schedule(run.id, task_id="holder")
    assert Run.objects.get(pk=run.pk).attempts == 0


def test_the_holders_own_message_takes_the_run_over_once_its_heartbeat_is_stale(run, settings):
    Run.objects.filter(pk=run.pk).update(status="running", task_id="holder", attempts=1,
                                         heartbeat_at=ago(settings.RUN_HEARTBEAT_TIMEOUT + 5))
    steps.schedule(run.id, task_id="holder")
    done = Run.objects.get(pk=run.pk)
    assert done.status == "completed" and done.attempts == 2 and done.task_id == "holder"
