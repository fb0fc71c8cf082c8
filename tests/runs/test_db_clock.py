"""Heartbeats, claims and leases go by the database's clock, not the host's.

Each test runs this process as a host whose clock is two hours off (the
clock Django reads, django.utils.timezone.now, is moved; the database's is
not) and shows that a worker or sweep on that host still judges times
written by the others correctly."""

from datetime import datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from l1site.dbclock import Now, db_after, db_ago, db_now
from runs import heartbeat, services, steps
from runs.models import Run, Step
from runs.recovery import run_queue, run_sweep

pytestmark = pytest.mark.django_db
OFF = timedelta(hours=2)


@pytest.fixture
def run(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # as if the broker never got it
        submitted, _ = services.run_submit(recipe="invert", inputs=["cat"])
    return submitted


@pytest.fixture
def host_clock(monkeypatch):
    """Set this host's clock off by some time from now on."""
    real = timezone.now

    def move(offset: timedelta) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real() + offset)
    return move


def near_db_now(moment: datetime) -> bool:
    return abs(moment - db_now()) < timedelta(minutes=1)


def test_the_clock_is_really_moved_for_this_host(host_clock):
    host_clock(-OFF)  # the premise of every test below
    assert not near_db_now(timezone.now())


def test_a_heartbeat_is_stamped_with_the_database_clock_not_the_workers(run, host_clock):
    Run.objects.filter(pk=run.pk).update(status="running", heartbeat_at=db_ago(3600))
    host_clock(-OFF)
    heartbeat.beat({run.pk: run.task_id})
    run.refresh_from_db()
    assert near_db_now(run.heartbeat_at)


def test_a_heartbeat_of_a_run_taken_by_another_delivery_is_not_renewed(run):
    Run.objects.filter(pk=run.pk).update(status="running", heartbeat_at=db_ago(3600))
    heartbeat.beat({run.pk: "an-older-delivery"})
    run.refresh_from_db()
    assert not near_db_now(run.heartbeat_at)


def test_a_sweep_on_a_host_whose_clock_runs_ahead_leaves_a_live_run_alone(run, host_clock):
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, started_at=Now(),
                                         heartbeat_at=Now(), queued_at=Now())
    host_clock(OFF)
    assert run_sweep()["reaped"] == 0
    assert Run.objects.get(pk=run.pk).status == "running"


def test_a_sweep_on_a_host_whose_clock_runs_behind_still_reaps_a_silent_run(
        run, host_clock, settings):
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, started_at=db_ago(600),
                                         heartbeat_at=db_ago(settings.RUN_HEARTBEAT_TIMEOUT + 5))
    host_clock(-OFF)
    assert run_sweep()["reaped"] == 1
    assert Run.objects.get(pk=run.pk).status == "pending"


def test_the_hard_time_limit_is_measured_by_the_database_clock(run, host_clock, settings):
    limit = settings.CELERY_TASK_TIME_LIMIT
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1,
                                         started_at=db_ago(limit + 60), heartbeat_at=db_ago(limit))
    host_clock(-OFF)  # by this host's clock the run started in the future
    run_sweep()
    failed = Run.objects.get(pk=run.pk)
    assert failed.status == "failed" and "over the hard time limit" in failed.error


def test_a_queued_run_is_not_sent_again_early_by_a_host_whose_clock_runs_ahead(
        run, host_clock, settings):
    host_clock(-OFF)  # the web process that queued it runs behind ...
    assert run_queue(run.pk, run.task_id)
    run.refresh_from_db()
    assert near_db_now(run.queued_at)
    host_clock(OFF)  # ... and the sweep's host ahead: the time between is the database's
    assert run_sweep()["requeued"] == 0
    Run.objects.filter(pk=run.pk).update(queued_at=F("queued_at") - timedelta(
        seconds=settings.RUN_REQUEUE_AFTER + 5))
    assert run_sweep()["requeued"] == 1


def test_a_redelivery_on_a_host_ahead_does_not_take_over_a_run_with_a_live_heartbeat(
        run, host_clock):
    Run.objects.filter(pk=run.pk).update(status="running", task_id="holder", heartbeat_at=Now())
    host_clock(OFF)
    with pytest.raises(steps.HeldElsewhere):
        steps.schedule(run.id, task_id="holder")
    assert Run.objects.get(pk=run.pk).attempts == 0


def test_a_claim_stamps_start_and_heartbeat_with_the_database_clock(run, host_clock):
    host_clock(-OFF)
    steps.schedule(run.id, task_id=run.task_id)
    done = Run.objects.get(pk=run.pk)
    assert done.status == "completed"
    assert near_db_now(done.started_at) and near_db_now(done.heartbeat_at)


def test_a_worker_whose_clock_runs_ahead_does_not_take_a_step_under_a_live_lease(
        run, host_clock, settings):
    step = Step.objects.filter(run_steps__run=run).exclude(type="SOURCE").get()
    Step.objects.filter(pk=step.pk).update(status="running", lease_owner="elsewhere",
                                           lease_expires_at=db_after(settings.STEP_LEASE_SECONDS))
    host_clock(OFF)
    wait = steps.render(step.pk, owner="here")
    assert wait is not None and settings.STEP_LEASE_SECONDS - 10 < wait <= settings.STEP_LEASE_SECONDS
    step.refresh_from_db()
    assert step.lease_owner == "elsewhere" and step.attempts == 0


def test_a_worker_whose_clock_runs_behind_takes_a_step_whose_lease_ran_out(
        run, host_clock, django_capture_on_commit_callbacks):
    step = Step.objects.filter(run_steps__run=run).exclude(type="SOURCE").get()
    Step.objects.filter(pk=step.pk).update(status="running", lease_owner="elsewhere",
                                           lease_expires_at=db_ago(1))
    host_clock(-OFF)
    with django_capture_on_commit_callbacks(execute=False):
        assert steps.render(step.pk, owner="here") is None
    step.refresh_from_db()
    assert step.status == "done" and step.attempts == 1
    assert near_db_now(step.started_at)
