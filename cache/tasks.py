from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import thumbs


@shared_task(
    acks_late=True,
    ignore_result=True,            # nothing to report: the files are the result
    autoretry_for=(OperationalError, InterfaceError),  # database blips, not bad input
    retry_backoff=True,
    max_retries=5,
)
def make_thumbnails(content_hash: str) -> None:
    thumbs.thumbnails_make(content_hash)
