from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import recovery, services


@shared_task(
    bind=True,
    acks_late=True,                # ack only after the render is recorded...
    reject_on_worker_lost=True,    # ...and requeue if the worker dies mid-render
    autoretry_for=(OperationalError, InterfaceError),  # database blips, not bad input
    retry_backoff=True,
    max_retries=5,
)
def render_run(self, run_id: str) -> str | None:
    try:
        return services.run_render(run_id, task_id=self.request.id)
    except services.HeldElsewhere:
        # Our own message came back while the run's heartbeat is still fresh:
        # look again once a dead holder's heartbeat would have gone stale.
        raise self.retry(countdown=settings.RUN_HEARTBEAT_TIMEOUT + 1, max_retries=None) from None


@shared_task(ignore_result=True)
def sweep_runs() -> dict:
    """Queued by celery beat every RUN_SWEEP_INTERVAL seconds (settings.CELERY_BEAT_SCHEDULE)."""
    return recovery.run_sweep()
