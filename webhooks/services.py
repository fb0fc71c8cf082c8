"""Registering webhooks and delivering their events (webhooks.delivery
signs and sends). A run's end (runs.lifecycle.finished) makes one Delivery
row per matching webhook of its owner and queues a task per row; the task
tries once and is retried with backoff until a 2xx, a refusal, or
settings.WEBHOOK_MAX_ATTEMPTS attempts."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from l1site.celery import app
from l1site.errors import DomainError, NotFound
from runs.models import Run

from . import delivery
from .models import EVENTS, Delivery, Webhook

log = logging.getLogger(__name__)
MAX_BACKOFF = 3600
# Sent by name (webhooks.tasks names its task with it): the task calls this
# module, so this module does not import the task.
DELIVER_WEBHOOK = "webhooks.tasks.deliver_webhook"


def webhook_create(*, owner, url: str, events: list[str] | None = None) -> Webhook:
    events = list(dict.fromkeys(events or EVENTS))
    if unknown := [e for e in events if e not in EVENTS]:
        raise DomainError(f"unknown event {unknown[0]!r}; events are {', '.join(EVENTS)}",
                          code="invalid_webhook")
    delivery.check_url(url)
    if Webhook.objects.filter(owner=owner).count() >= settings.WEBHOOK_MAX_PER_USER:
        raise DomainError(f"you have {settings.WEBHOOK_MAX_PER_USER} webhooks, the most allowed; "
                          "delete one first", code="too_many_webhooks", status_code=409)
    return Webhook.objects.create(owner=owner, url=url, events=events,
                                  secret=secrets.token_hex(32))


def webhook_get(webhook_id, *, by) -> Webhook:
    """Webhooks are private: only their owner (or staff) sees one."""
    hook = Webhook.objects.filter(pk=webhook_id).first() if str(webhook_id).isdigit() else None
    if hook is None or not (by.is_staff or hook.owner_id == by.pk):
        raise NotFound(f"no webhook with id {webhook_id}")
    return hook


def webhook_delete(webhook_id, *, by) -> None:
    webhook_get(webhook_id, by=by).delete()


def recent_deliveries(owner, limit: int = 50):
    return (Delivery.objects.filter(webhook__owner=owner).select_related("webhook")
            .order_by("-created_at")[:limit])


def event_payload(run: Run, event: str, delivery_id) -> dict:
    base = settings.L1_PUBLIC_URL
    return {
        "id": str(delivery_id), "type": event, "created_at": timezone.now().isoformat(),
        "run": {
            "run_id": run.id, "status": run.status, "recipe": run.recipe_name,
            "owner": run.owner.username if run.owner else None,
            "output_name": run.output_name, "output_hash": run.output_id,
            "outputs": run.outputs, "error": run.error,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "url": f"{base}/runs/{run.id}",
        },
    }


def on_run_finished(sender, run_id: str, status: str, owner_id: int | None = None,
                    **kwargs) -> None:
    """runs.lifecycle.finished: after the run's end is committed. Most owners
    have no webhook: that is one indexed read, and the run is read only then."""
    event = {Run.Status.COMPLETED: "run.completed", Run.Status.FAILED: "run.failed"}.get(status)
    if event is None or owner_id is None:
        return
    hooks = [h for h in Webhook.objects.filter(owner_id=owner_id, active=True)
             if event in h.events]
    if not hooks:
        return
    run = Run.objects.select_related("owner").filter(pk=run_id).first()
    if run is None:
        return
    with transaction.atomic():
        rows = []
        for hook in hooks:
            row = Delivery(webhook=hook, run=run, event=event)
            row.payload = event_payload(run, event, row.id)
            rows.append(row)
        Delivery.objects.bulk_create(rows)
        for row in rows:
            transaction.on_commit(lambda pk=row.pk: _queue_delivery(pk), robust=True)


def _queue_delivery(delivery_id) -> None:
    # Routed to the upkeep queue by l1site.queues, as apply_async would be.
    app.send_task(DELIVER_WEBHOOK, args=[str(delivery_id)], ignore_result=True)


def _backoff(attempts: int) -> int:
    return min(settings.WEBHOOK_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)


def delivery_attempt(delivery_id) -> int | None:
    """One attempt. Returns the seconds until the next one, or None when the
    delivery is settled (delivered, refused, or out of attempts)."""
    now = timezone.now()
    # The attempt is counted before it is made: a worker lost mid-request
    # still uses one up, so a URL that kills workers cannot loop forever.
    if not Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
            attempts=F("attempts") + 1, last_attempt_at=now):
        return None
    row = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    body = delivery.body_bytes(row.payload)
    timestamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": f"artdag-l1/{settings.VERSION}",
               "X-Artdag-Event": row.event, "X-Artdag-Delivery": str(row.id),
               "X-Artdag-Timestamp": str(timestamp),
               "X-Artdag-Signature": delivery.signature(row.webhook.secret, timestamp, body)}
    status_code, error = None, ""
    try:
        status_code = delivery.post(row.webhook.url, body, headers)
    except delivery.Refused as exc:
        # Refused now (the host resolves to a private address): no retry helps.
        Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.FAILED,
                                                  error=exc.message[:2000], next_attempt_at=None)
        log.warning("webhook delivery %s refused: %s", row.pk, exc.message)
        return None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    if status_code is not None and 200 <= status_code < 300:
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.DELIVERED, response_status=status_code, error="",
            delivered_at=timezone.now(), next_attempt_at=None)
        return None
    error = error or f"the receiver answered {status_code}"
    if row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.Status.FAILED, response_status=status_code, next_attempt_at=None,
            error=f"gave up after {row.attempts} attempts; last: {error}"[:2000])
        return None
    wait = _backoff(row.attempts)
    Delivery.objects.filter(pk=row.pk).update(response_status=status_code, error=error[:2000],
                                              next_attempt_at=now + timedelta(seconds=wait))
    return wait
