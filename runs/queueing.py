"""Handing runs' work to the broker: messages for runs.tasks, sent by name.

Everything in runs that queues work (a submission, a fair-share release, the
sweep, a step that finished, a cancel) sends it through here, and this
module imports no task module. runs.tasks is the top of runs' modules (it
calls steps and recovery, never the other way round), so the dependency
between them goes one way (the ``runs`` contract in .importlinter).

``send_task`` routes a message as ``apply_async`` would: the router
(settings.CELERY_TASK_ROUTES, l1site.queues.route_task) picks the queue and
priority unless the caller gives both. ``ignore_result=True`` is what the
tasks declare: without it the producer would register for a result that
never comes.
"""

from __future__ import annotations

import logging

from l1site.celery import app
from l1site.dbclock import Now
from l1site.queues import message_priority, queue_base, queue_name

from .events import run_event
from .models import Run

SCHEDULE_RUN = "runs.tasks.schedule_run"
RENDER_STEP = "runs.tasks.render_step"


def schedule_run(run_id: str, *, task_id: str | None = None,
                 route: tuple[str, int] | None = None) -> None:
    """Queue runs.tasks.schedule_run for the run. ``route``: the run's
    (lane, priority) when the caller read them, which saves the router
    reading them again. Raises whatever the broker's client raises."""
    options = {}
    if route is not None:
        options = {"queue": queue_name(queue_base(), route[0]),
                   "priority": message_priority(route[1])}
    app.send_task(SCHEDULE_RUN, args=[run_id], task_id=task_id, ignore_result=True, **options)


def render_step(cache_id: str) -> None:
    """Queue runs.tasks.render_step for the step (routed by its runs)."""
    app.send_task(RENDER_STEP, args=[cache_id], ignore_result=True)


def revoke(task_id: str) -> None:
    """Drop the task's message if it is still queued, and stop the worker
    that holds it if one does."""
    app.control.revoke(task_id, terminate=True)


def run_queue(run_id: str, task_id: str, *, route: tuple[str, int] | None = None,
              queued: bool = False) -> bool:
    """Hand the run's message to the broker and record that it is queued.
    Returns False, leaving the run "not yet queued", if the broker is away.
    ``route``: the run's (lane, priority) when the caller read them;
    ``queued``: queued_at is set already (runs.dispatch sets it as it
    releases the run)."""
    try:
        schedule_run(run_id, task_id=task_id, route=route)
    except Exception as exc:  # noqa: BLE001 - kombu/redis raise many types; the sweep retries
        run_event(run_id, "pending", queue="not yet queued", task=task_id, level=logging.WARNING,
                  reason=f"broker unreachable: {type(exc).__name__}: {exc}"[:300])
        return False
    if not queued:
        # The database's clock: the sweep on another host compares it (runs.recovery, step 2).
        Run.objects.filter(pk=run_id, task_id=task_id, queued_at__isnull=True).update(
            queued_at=Now())
    run_event(run_id, "pending", queue="queued", task=task_id)
    return True
