"""Keeping runs moving when machines misbehave.

PostgreSQL is the source of truth; the broker's messages are only hints. A
run that is pending with no message (the broker was down at submission, or
lost its queue on restart), or running with no live worker, is found here by
the periodic sweep (celery beat -> runs.tasks.sweep_runs) and queued again.
A run rendered in one task (Run.inline) is claimed with a conditional update
that names the task id, so a duplicated message never renders it twice; a
run rendered step by step is scheduled again, which is idempotent, and its
steps carry leases of their own (runs.steps).
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from l1site.dbclock import db_ago
from l1site.errors import DomainError

from .dispatch import release_waiting
from .events import run_event
from .graphs import create_steps, graph_plan, plan_json
from .inputs import is_small
from .lifecycle import run_finished
from .models import Run
from .queueing import run_queue, schedule_run

log = logging.getLogger(__name__)
SWEEP_BATCH = 500  # per kind per sweep; the next sweep takes the rest


def _requeue(run: Run, *, reason: str, **match) -> bool:
    """Give the run a fresh task id and queue it. The conditional update on
    the old values is the gate: of two concurrent sweeps, one wins."""
    task_id = str(uuid.uuid4())
    moved = Run.objects.filter(pk=run.pk, task_id=run.task_id, **match).update(
        status=Run.Status.PENDING, task_id=task_id, queued_at=None, heartbeat_at=None)
    if not moved:
        return False
    run_event(run.pk, "pending", reason=reason, task=task_id, attempts=run.attempts)
    run_queue(run.pk, task_id)
    return True


def _fail(run: Run, message: str) -> bool:
    failed = Run.objects.filter(pk=run.pk, task_id=run.task_id, status=Run.Status.RUNNING).update(
        status=Run.Status.FAILED, error=message, finished_at=timezone.now())
    if failed:
        run_event(run.pk, "failed", reason=message, attempts=run.attempts, by="reaper")
        run_finished(run.pk, Run.Status.FAILED)
    return bool(failed)


def _schedule(run_id: str) -> bool:
    try:
        schedule_run(run_id)
    except Exception as exc:  # noqa: BLE001 - the broker is away; the next sweep retries
        log.warning("sweep could not schedule graph run %s: %s", run_id, exc)
        return False
    return True


def _replan(run: Run) -> bool:
    """A run from before recipes were graphs (an effect chain, no plan) that
    the upgrade found unfinished: plan it under its recipe, now a graph with
    the chain's values as its defaults, keep its id and queue it. One whose
    inputs can no longer be planned fails, saying why."""
    try:
        plan, items = graph_plan(run.recipe, [i["content_hash"] for i in run.inputs], {})
    except DomainError as exc:
        message = (f"the server was upgraded and could not plan this run again: {exc.message}; "
                   "submit the run again")
        if Run.objects.filter(pk=run.pk, plan__isnull=True, status__in=[
                Run.Status.PENDING, Run.Status.RUNNING]).update(
                status=Run.Status.FAILED, finished_at=timezone.now(), error=message):
            run_event(run.pk, "failed", reason=message[:300], by="sweep")
            run_finished(run.pk, Run.Status.FAILED)
        return False
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        moved = Run.objects.filter(pk=run.pk, plan__isnull=True, status__in=[
            Run.Status.PENDING, Run.Status.RUNNING]).update(
            plan=plan_json(plan, items), inline=is_small(plan, items), status=Run.Status.PENDING,
            task_id=task_id, queued_at=None, heartbeat_at=None, attempts=0)
        if moved:
            create_steps(run, plan, items)
            transaction.on_commit(lambda: run_queue(run.pk, task_id), robust=True)
    if moved:
        run_event(run.pk, "pending", reason="planned again after the upgrade", task=task_id)
    return bool(moved)


def run_sweep() -> dict:
    """One pass of the sweep and reaper. Returns what it did, by kind.

    Every age is measured by the database's clock, in the query (db_ago):
    heartbeats, claims and queueing times are written with it by workers and
    web processes on other hosts, and this host's clock may not agree."""
    done = {"queued": 0, "requeued": 0, "reaped": 0, "failed": 0, "scheduled": 0,
            "replanned": 0, "released": 0}
    fields = ["id", "task_id", "attempts", "started_at", "heartbeat_at", "queued_at"]
    unfinished = [Run.Status.PENDING, Run.Status.RUNNING]

    # 0. Left unfinished by the upgrade that made every recipe a graph.
    for run in Run.objects.filter(plan__isnull=True, status__in=unfinished).select_related(
            "recipe")[:SWEEP_BATCH]:
        done["replanned"] += _replan(run)

    # 1. Never reached the broker (it was down when the run was submitted).
    # Runs rendered step by step move with leases on their steps: they are
    # nudged by pass 4, not queued or reaped as one task.
    # A user's runs are handed out by fair share (runs.dispatch): the next
    # of those waiting, for owners with room (a release lost with its worker,
    # or a send that failed); the rest keep waiting their turn.
    done["released"] = release_waiting(SWEEP_BATCH)
    whole = Run.objects.filter(inline=True)
    unqueued = whole.filter(owner__isnull=True, status=Run.Status.PENDING, queued_at__isnull=True,
                            created_at__lt=db_ago(settings.RUN_QUEUE_GRACE))
    for run in unqueued.only(*fields)[:SWEEP_BATCH]:
        done["queued"] += _requeue(run, reason="not yet queued", status=Run.Status.PENDING,
                                   queued_at__isnull=True)

    # 2. Queued long ago and never claimed: the message may have vanished with
    # a broker restart. A duplicate is harmless (the claim admits one).
    stale_queued = whole.filter(
        status=Run.Status.PENDING,
        queued_at__lt=db_ago(settings.RUN_REQUEUE_AFTER))
    for run in stale_queued.only(*fields)[:SWEEP_BATCH]:
        done["requeued"] += _requeue(run, reason="queued but never claimed",
                                     status=Run.Status.PENDING, queued_at=run.queued_at)

    # 3. Running with no sign of life: past the hard time limit (the worker
    # killed the render, so nothing recorded it), or no heartbeat.
    hard_limit = settings.CELERY_TASK_TIME_LIMIT
    silent = db_ago(settings.RUN_HEARTBEAT_TIMEOUT)
    stuck = whole.filter(status=Run.Status.RUNNING).filter(
        Q(heartbeat_at__lt=silent) | Q(heartbeat_at__isnull=True, started_at__lt=silent)
        | Q(started_at__lt=db_ago(hard_limit + settings.RUN_HEARTBEAT_INTERVAL))).annotate(
        over_limit=ExpressionWrapper(Q(started_at__lt=db_ago(hard_limit)),
                                     output_field=BooleanField()))
    for run in stuck.only(*fields)[:SWEEP_BATCH]:
        if run.over_limit:
            done["failed"] += _fail(run, f"render stopped: over the hard time limit of {hard_limit} s "
                                         "(the worker killed it)")
        elif run.attempts >= settings.MAX_RENDER_ATTEMPTS:
            done["failed"] += _fail(run, f"gave up after {run.attempts} attempts: the worker "
                                         "rendering this run stopped responding each time")
        else:
            done["reaped"] += _requeue(run, reason="worker stopped sending heartbeats",
                                       status=Run.Status.RUNNING)
    # 4. Runs rendered step by step, not finished: schedule them again.
    # Scheduling is idempotent; it queues steps never queued (the broker was
    # away), steps whose worker died (lease run out), and finishes runs that are done.
    spread = Run.objects.filter(inline=False, plan__isnull=False, status__in=unfinished).exclude(
        owner__isnull=False, status=Run.Status.PENDING, queued_at__isnull=True).filter(
        created_at__lt=db_ago(settings.RUN_QUEUE_GRACE))
    for run_id in spread.values_list("id", flat=True)[:SWEEP_BATCH]:
        done["scheduled"] += _schedule(run_id)
    if any(done.values()):
        log.info("sweep: %s", " ".join(f"{k}={v}" for k, v in done.items()))
    return done
