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

from collections.abc import Callable

from l1site.celery import app

STILLS, VIDEO, UPKEEP = "stills", "video", "upkeep"
KINDS = (UPKEEP, STILLS, VIDEO)  # the order a worker asks for them
# Message priority per Run.Priority (0 high, 1 normal, 2 low), spread over
# Redis's priority steps so levels can be added between them.
STEP = 4
UPKEEP_TASKS = {
    "cache.tasks.make_thumbnails", "provenance.tasks.publish_run", "runs.tasks.sweep_runs",
    "webhooks.tasks.deliver_webhook",
}

# Task name -> a function of the task's first argument answering (lane,
# message priority), or None for "normal stills". The apps whose tasks render
# for a run fill it in their AppConfig.ready() (runs: schedule_run and
# render_step; provenance: reproduce_run), so this module reads no app's rows.
Finder = Callable[[object], tuple[str, int] | None]
ROUTE_FINDERS: dict[str, Finder] = {}


def route_finder_register(task_name: str, finder: Finder) -> None:
    ROUTE_FINDERS[task_name] = finder


def queue_name(base: str, kind: str) -> str:
    return f"{base}.{kind}"


def message_priority(priority: int) -> int:
    return priority * STEP


def queue_base() -> str:
    # Read when routing, not at import: a process may be pointed at another
    # base queue after settings load (the test suite's session queue).
    return app.conf.task_default_queue


def route_task(name, args, kwargs, options, task=None, **kw):
    """settings.CELERY_TASK_ROUTES. A queue or priority given to apply_async
    wins over what this returns (ARTDAG_THUMB_QUEUE, L2_PUBLISH_QUEUE)."""
    if options.get("queue") and options.get("priority") is not None:
        return None  # routed by the caller, who read the run (runs.dispatch): no lookup
    if name in UPKEEP_TASKS:
        return {"queue": queue_name(queue_base(), UPKEEP), "priority": message_priority(1)}
    finder = ROUTE_FINDERS.get(name)
    if finder is None:
        # Anything else: the base queue, at normal priority (a message with
        # none would be served before every run on Redis).
        return {"queue": queue_base(), "priority": message_priority(1)}
    first = (args or [None])[0] if not kwargs else next(iter(kwargs.values()), None)
    found = finder(first) if first is not None else None
    lane, priority = found or (STILLS, message_priority(1))
    return {"queue": queue_name(queue_base(), lane), "priority": priority}
