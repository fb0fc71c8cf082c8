from celery import shared_task

from . import services


@shared_task(name="live.tasks.prune_events", ignore_result=True, acks_late=True,
             autoretry_for=(), max_retries=0)
def prune_events() -> dict:
    """Hourly (celery beat): a missed prune is done by the next one, so no retry."""
    return services.events_prune()
