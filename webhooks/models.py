import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENTS = ("run.completed", "run.failed")


class Webhook(models.Model):
    """A callback URL of one user, told when their runs complete or fail.
    The secret signs every delivery (HMAC-SHA256); it is shown once, when
    the webhook is made, and kept here because every delivery needs it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="webhooks")
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A finished run: its owner's active webhooks.
            models.Index(fields=["owner", "active"], name="webhook_by_owner"),
        ]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event sent (or being sent) to one webhook: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending"      # queued, or waiting to be retried
        DELIVERED = "delivered"  # a 2xx answer
        FAILED = "failed"        # refused (address) or out of attempts

    # The event's id, sent as X-Artdag-Delivery: what a receiver remembers to
    # refuse a replay.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The profile page and GET /webhooks/{id}/deliveries: newest first.
            models.Index(fields=["webhook", "-created_at"], name="delivery_newest"),
        ]
