"""Which Celery queue, and which message priority, each task goes to.

Three queues by kind of work, named after the base queue (ARTDAG_QUEUE,
``artdag`` by default), so two installations on one broker never share one:

* ``<base>.stills``: renders of runs over stills and animations;
* ``<base>.video``: renders of runs with a clip or sound in them (Run.lane,
  decided at submission from the inputs' facts), which can take minutes;
* ``<base>.upkeep``: thumbnails, publishing, webhooks, the sweep.

The base queue itself is still consumed, for messages queued before the
queues were split. A worker with no ``-Q`` takes all four (settings.
CELERY_TASK_QUEUES); ``-Q artdag.video`` makes one that renders only video.
A worker asks the broker for upkeep, then stills, then video
(queue_order_strategy "priority" on Redis), so a process that comes free
takes the short work first: a long video render never keeps a thumbnail or
a small still waiting while another process could take it.

Each message also carries a priority (0 first) from its run's priority
(high 0, normal 4, low 8), which Redis and ``make run``'s filesystem queue
(l1site.fsqueue) both serve in order.
"""

from __future__ import annotations

STILLS, VIDEO, UPKEEP = "stills", "video", "upkeep"
KINDS = (UPKEEP, STILLS, VIDEO)  # the order a worker asks for them
# Message priority per Run.Priority (0 high, 1 normal, 2 low), spread over
# Redis's priority steps so levels can be added between them.
STEP = 4
UPKEEP_TASKS = {
    "cache.tasks.make_thumbnails", "provenance.tasks.publish_run", "runs.tasks.sweep_runs",
    "webhooks.tasks.deliver_webhook",
}


def queue_name(base: str, kind: str) -> str:
    return f"{base}.{kind}"


def message_priority(priority: int) -> int:
    return priority * STEP


def queue_base() -> str:
    # Read when routing, not at import: a process may be pointed at another
    # base queue after settings load (the test suite's session queue).
    from l1site.celery import app

    return app.conf.task_default_queue


def _run_route(run_id) -> tuple[str, int] | None:
    from runs.models import Run

    row = Run.objects.filter(pk=run_id).values_list("lane", "priority").first()
    if row is None:
        return None
    return row[0], message_priority(row[1])


def _step_route(cache_id) -> tuple[str, int] | None:
    """A step is shared by every run whose plan holds it: it goes where the
    most demanding of its unfinished runs would (video if any is video, the
    highest priority of them)."""
    from runs.models import Run

    rows = list(Run.objects.filter(run_steps__step_id=cache_id, status__in=[
        Run.Status.PENDING, Run.Status.RUNNING]).values_list("lane", "priority")[:50])
    if not rows:
        return None
    lane = VIDEO if any(r[0] == VIDEO for r in rows) else STILLS
    return lane, min(message_priority(r[1]) for r in rows)


def _reproduction_route(reproduction_id) -> tuple[str, int] | None:
    from provenance.models import Reproduction

    run_id = (Reproduction.objects.filter(pk=reproduction_id)
              .values_list("run_id", flat=True).first())
    return _run_route(run_id) if run_id else None


_BY_ARGUMENT = {
    "runs.tasks.schedule_run": _run_route,
    "runs.tasks.render_step": _step_route,
    "provenance.tasks.reproduce_run": _reproduction_route,
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """settings.CELERY_TASK_ROUTES. A queue or priority given to apply_async
    wins over what this returns (ARTDAG_THUMB_QUEUE, L2_PUBLISH_QUEUE)."""
    if options.get("queue") and options.get("priority") is not None:
        return None  # routed by the caller, who read the run (runs.dispatch): no lookup
    if name in UPKEEP_TASKS:
        return {"queue": queue_name(queue_base(), UPKEEP), "priority": message_priority(1)}
    finder = _BY_ARGUMENT.get(name)
    if finder is None:
        # Anything else: the base queue, at normal priority (a message with
        # none would be served before every run on Redis).
        return {"queue": queue_base(), "priority": message_priority(1)}
    first = (args or [None])[0] if not kwargs else next(iter(kwargs.values()), None)
    found = finder(first) if first is not None else None
    lane, priority = found or (STILLS, message_priority(1))
    return {"queue": queue_name(queue_base(), lane), "priority": priority}
