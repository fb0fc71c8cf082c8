from django.conf import settings
from django.db import models
from django.utils import timezone


class Reproduction(models.Model):
    """One attempt to render a completed run again, bypassing the cache, and
    whether the new bytes hash to the recorded output."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        REPRODUCED = "reproduced"
        DIFFERS = "differs"
        FAILED = "failed"  # could not render at all (e.g. an input is gone)

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="reproductions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    expected_hash = models.CharField(max_length=64)
    actual_hash = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    software_hash = models.CharField(max_length=64, blank=True)
    hardware_hash = models.CharField(max_length=64, blank=True)
    # Whether this render ran the software that made the original output.
    same_software = models.BooleanField(null=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /runs/{id}: a run's reproductions, newest first.
            models.Index(fields=["run", "-created_at"], name="repro_by_run"),
        ]
        constraints = [
            # One reproduction in flight per run: asking again while one is
            # queued returns it instead of queueing another render.
            models.UniqueConstraint(fields=["run"], condition=models.Q(status__in=["queued",
                                                                                  "running"]),
                                    name="repro_one_active_per_run"),
        ]


class Publication(models.Model):
    """A run's publication to the L2 registry; one per run, so publishing twice
    is the same publication."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        PUBLISHED = "published"
        FAILED = "failed"  # with next_retry_at when another attempt is scheduled

    run = models.OneToOneField("runs.Run", on_delete=models.CASCADE, related_name="publication")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    l2_url = models.CharField(max_length=500)
    l1_server = models.CharField(max_length=500)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    # L2's last answer: HTTP status (null for a timeout or no connection), body, error.
    l2_status = models.PositiveIntegerField(null=True, blank=True)
    l2_response = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    record_id = models.CharField(max_length=255, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # The last attempts, oldest first: [{"at", "l2_status", "error", "next_retry_at"}].
    history = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
