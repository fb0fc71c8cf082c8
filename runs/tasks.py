from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import queueing, recovery, steps


# Named by the constants runs.queueing sends them by: the modules these
# tasks call queue them without importing this one.
@shared_task(
    name=queueing.SCHEDULE_RUN,
    bind=True,
    acks_late=True,                # ack only after the render is recorded...
    reject_on_worker_lost=True,    # ...and requeue if the worker dies mid-render
    # The Run row is the result (status, output, error, timings, task id):
    # a second copy in the result backend cost a transaction per render.
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),  # database blips, not bad input
    retry_backoff=True,
    max_retries=5,
)
def schedule_run(self, run_id: str) -> None:
    """Move a run on: render a small plan here, or queue a long one's ready steps."""
    try:
        steps.schedule(run_id, task_id=self.request.id or "")
    except steps.HeldElsewhere:
        # Our own message came back while the run's heartbeat is still fresh:
        # look again once a dead holder's heartbeat would have gone stale.
        raise self.retry(countdown=settings.RUN_HEARTBEAT_TIMEOUT + 1, max_retries=None) from None


@shared_task(
    name=queueing.RENDER_STEP,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,   # a dead worker's step comes back (its lease also runs out)
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def render_step(self, cache_id: str) -> None:
    owner = f"{self.request.hostname}:{self.request.id}"
    wait = steps.render(cache_id, owner=owner)
    if wait is not None:
        # Another worker holds the step: look again when its lease would run
        # out, so a claim whose worker died is taken over.
        raise self.retry(countdown=wait, max_retries=1000)


@shared_task(ignore_result=True)
def sweep_runs() -> dict:
    """Queued by celery beat every RUN_SWEEP_INTERVAL seconds (settings.CELERY_BEAT_SCHEDULE)."""
    return recovery.run_sweep()
