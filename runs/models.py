from django.conf import settings
from django.db import models
from django.utils import timezone

from assets.models import name_validator


class Recipe(models.Model):
    """A named effect chain. `definition` is validated by engine.recipe and
    `definition_hash` is the SHA3-256 of its canonical form."""

    name = models.CharField(max_length=128, unique=True, validators=[name_validator])
    description = models.TextField(blank=True)
    definition = models.JSONField()
    definition_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    """A recipe applied to ordered inputs. The primary key is the run id
    (runs.identity.run_id), so the database itself refuses a second row for
    the same request however many arrive at once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    # States a run leaves only when someone asks for it again.
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.CharField(max_length=64, primary_key=True)
    recipe = models.ForeignKey(Recipe, on_delete=models.PROTECT, related_name="runs")
    recipe_name = models.CharField(max_length=128)
    recipe_hash = models.CharField(max_length=64)
    # [{"name": "cat", "content_hash": "..."}] in the order given.
    inputs = models.JSONField()
    output_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    output = models.ForeignKey("cache.CacheItem", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="produced_by")
    provenance = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="runs")
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /runs, newest first.
            models.Index(fields=["-created_at"], name="run_newest"),
            # GET /runs?status=running (and the dashboard's queue view).
            models.Index(fields=["status", "-created_at"], name="run_by_status"),
            # GET /runs?recipe=dog
            models.Index(fields=["recipe_name", "-created_at"], name="run_by_recipe"),
            # The dashboard's runs list filtered by who asked (/runs?owner=alice).
            models.Index(fields=["owner", "-created_at"], name="run_by_owner"),
            # (On PostgreSQL, migration 0004 also adds run_inputs_gin: "which runs
            # used this file", a JSON containment query on inputs.)
        ]
        constraints = [
            # A completed run always points at its output.
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(output__isnull=False),
                name="run_completed_has_output"),
        ]

    def __str__(self) -> str:
        return f"{self.recipe_name} {self.id[:12]}… ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
