from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


# The service decides on retries (any answer but a 2xx, or no answer, with
# backoff; a refused address is final) and counts attempts itself, so the
# task only carries them out: max_retries=None. On the upkeep queue
# (l1site.queues): a slow receiver never holds back a render.
@shared_task(name=services.DELIVER_WEBHOOK, bind=True, acks_late=True,
             reject_on_worker_lost=True, ignore_result=True, max_retries=None,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             retry_kwargs={"max_retries": 5})
def deliver_webhook(self, delivery_id: str) -> None:
    delay = services.delivery_attempt(delivery_id)
    if delay is not None:
        raise self.retry(countdown=delay)
