"""What the live pages and event streams read: every event a run sends (so a
client reconnecting with Last-Event-ID misses none), the latest preview
frame of a long render, and how long past steps took (for ETAs)."""

from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One event of one run, numbered: the id is the Server-Sent Events id.

    No foreign keys: an event is written beside a render's own updates of its
    run and steps, and must never wait on their row locks; events of a run
    that was deleted are pruned with age like the others."""

    class Kind(models.TextChoices):
        STATE = "state"        # the run's status changed
        STEP = "step"          # a step started, finished or failed
        PROGRESS = "progress"  # frames of a step, steps of the run, the ETA
        PREVIEW = "preview"    # a new preview frame is up

    id = models.BigAutoField(primary_key=True)
    run_id = models.CharField(max_length=64)
    owner_id = models.IntegerField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # GET /runs/{id}/events resuming after Last-Event-ID; a run's page snapshot.
            models.Index(fields=["run_id", "id"], name="live_event_by_run"),
            # GET /events for one user resuming after Last-Event-ID.
            models.Index(fields=["owner_id", "id"], name="live_event_by_owner"),
            # Pruning by age (live.services.events_prune).
            models.Index(fields=["created_at"], name="live_event_by_age"),
        ]


class Preview(models.Model):
    """The latest small frame of a run's long render, as JPEG bytes: in the
    database, so any web host serves what any worker wrote, and replaced in
    one UPDATE, so a reader never sees half a picture."""

    run_id = models.CharField(max_length=64, primary_key=True)
    node = models.CharField(max_length=160)
    frame = models.PositiveIntegerField(default=0)  # frames done when it was taken
    version = models.PositiveIntegerField(default=0)  # in its URL, so browsers refetch
    image = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Pruning by age.
            models.Index(fields=["updated_at"], name="live_preview_by_age"),
        ]


class StepTiming(models.Model):
    """How long one step took to render, and how big its run's input was:
    the history an ETA is estimated from."""

    kind = models.CharField(max_length=80)  # "EFFECT:blur", "RESIZE", ...
    size = models.BigIntegerField()  # pixels x frames of the run's inputs
    frames = models.PositiveIntegerField(default=1)  # frames the step wrote
    seconds = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The ETA: the latest timings of one kind at sizes near the run's.
            models.Index(fields=["kind", "size"], name="live_timing_by_kind_size"),
            models.Index(fields=["created_at"], name="live_timing_by_age"),
        ]
