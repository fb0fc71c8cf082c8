from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import publish, reproduce


@shared_task(acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def reproduce_run(reproduction_id: int) -> str | None:
    reproduction = reproduce.reproduction_perform(reproduction_id)
    return reproduction.status if reproduction else None


# Retries are the service's decision (timeouts and 5xx, with backoff; a 4xx is
# final), so the task only carries them out; max_retries=None because the
# service counts them against L2_PUBLISH_MAX_RETRIES.
# Time limits come with each message (publish.send_options).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             retry_kwargs={"max_retries": 5})
def publish_run(self, publication_id: int) -> None:
    delay = publish.publication_attempt(publication_id, retries_done=self.request.retries)
    if delay is not None:
        raise self.retry(countdown=delay, **publish.queue_option())
