import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Batch(models.Model):
    """One recipe over a list of input sets and a grid of params: a run per
    combination. Runs are shared, not owned, by a batch: a combination equal
    to a run that exists (from another batch, a plain submission, or another
    combination of this one) points at that run."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="batches")
    recipe_name = models.CharField(max_length=128)
    # The request as given: {"inputs": [...], "params": {...}, "output_name": ...}.
    spec = models.JSONField()
    size = models.PositiveIntegerField()  # combinations, duplicates included
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /batches?owner=..., newest first (the cursor is created_at).
            models.Index(fields=["owner", "-created_at"], name="batch_by_owner"),
            models.Index(fields=["-created_at"], name="batch_newest"),
        ]

    def __str__(self) -> str:
        return f"batch {self.id} of {self.recipe_name} ({self.size})"


class BatchRun(models.Model):
    """One combination of a batch and the run it resolved to."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="batch_items")
    inputs = models.JSONField()
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batch_run_position_unique"),
        ]
        indexes = [
            # A run's page: the batches it belongs to.
            models.Index(fields=["run"], name="batch_run_by_run"),
        ]
