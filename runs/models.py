from django.conf import settings
from django.db import models
from django.utils import timezone

from assets.models import name_validator


class Recipe(models.Model):
    """A named recipe: `definition` is its latest graph document, normalized
    by engine.dag.validate, and `definition_hash` the SHA3-256 of its
    canonical form (the RecipeVersion it points at)."""

    class Kind(models.TextChoices):
        # Every recipe is a graph document; effect chains were converted to
        # graphs by migration 0009 (the column stays for the API's "kind").
        GRAPH = "graph"

    name = models.CharField(max_length=128, unique=True, validators=[name_validator])
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.GRAPH)
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
    (runs.graphs.graph_run_id), so the database itself refuses a second row
    for the same request however many arrive at once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    # States a run leaves only when someone asks for it again.
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    class Priority(models.IntegerChoices):
        # Lower first: the order runs are released to the broker in, and (on
        # Redis) the message's priority step (l1site.queues).
        HIGH = 0, "high"
        NORMAL = 1, "normal"
        LOW = 2, "low"

    class Lane(models.TextChoices):
        # The kind of work, and so the Celery queue its tasks go to
        # (l1site.queues): video for anything with a clip or sound in it,
        # stills for the rest.
        STILLS = "stills"
        VIDEO = "video"

    id = models.CharField(max_length=64, primary_key=True)
    recipe = models.ForeignKey(Recipe, on_delete=models.PROTECT, related_name="runs")
    recipe_name = models.CharField(max_length=128)
    recipe_hash = models.CharField(max_length=64)
    # [{"name": "cat", "content_hash": "..."}] in the order given.
    inputs = models.JSONField()
    output_name = models.CharField(max_length=255, blank=True)
    # The run's parameter overrides, its planned steps and, once done, every
    # named output's content hash. Runs from before recipes were graphs (the
    # effect chains) have no plan; they stay readable as they were recorded.
    params = models.JSONField(default=dict, blank=True)
    plan = models.JSONField(null=True, blank=True)
    # A small plan (few steps, small stills or animations) renders all its
    # steps in one task: claimed whole like a task is (task id, heartbeat,
    # attempts; the sweep re-queues it if its worker dies), instead of one
    # task per step under step leases.
    inline = models.BooleanField(default=False)
    outputs = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    output = models.ForeignKey("cache.CacheItem", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="produced_by")
    provenance = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the render message was handed to the broker; None while a pending
    # run is "not yet queued" (the broker was unreachable at submission), which
    # the sweep (runs.recovery.run_sweep) retries.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Renewed by the rendering worker every RUN_HEARTBEAT_INTERVAL seconds; a
    # running run whose heartbeat is older than RUN_HEARTBEAT_TIMEOUT lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="runs")
    # Defaults in the database too: bulk loaders (COPY) that name only the
    # columns they know still insert rows.
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL,
                                                db_default=Priority.NORMAL)
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.STILLS,
                            db_default=Lane.STILLS)
    # Set when its owner moves a pending run to the front: the next of the
    # owner's runs released to the broker, the latest moved first (runs.dispatch).
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /runs, newest first: the API's cursor (created_at) and the
            # dashboard's keyset (created_at, id) after the last row shown
            # (dashboard.selectors.runs_browse), both a plain walk of this
            # index at any depth; the id breaks ties between equal timestamps.
            models.Index(fields=["-created_at", "-id"], name="run_newest"),
            # GET /runs?status=running (and the dashboard's queue view).
            models.Index(fields=["status", "-created_at"], name="run_by_status"),
            # GET /runs?recipe=dog
            models.Index(fields=["recipe_name", "-created_at"], name="run_by_recipe"),
            # The sweep: pending runs by queued_at, running runs by heartbeat_at.
            models.Index(fields=["status", "queued_at"], name="run_sweep_pending"),
            models.Index(fields=["status", "heartbeat_at"], name="run_sweep_running"),
            # The dashboard's runs list filtered by who asked (/runs?owner=alice).
            models.Index(fields=["owner", "-created_at"], name="run_by_owner"),
            # Fair share (runs.dispatch.release): an owner's runs in the broker
            # or rendering, and the next of their waiting runs in order.
            models.Index(fields=["owner", "status", "priority", "created_at"],
                         name="run_dispatch_order"),
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
    def queue_state(self) -> str:
        """What a client needs to know about a run that has not finished."""
        if self.status == self.Status.PENDING:
            # Not yet queued: waiting for its owner's earlier runs (fair
            # share, runs.dispatch) or for the broker to come back.
            return "queued" if self.queued_at else "not yet queued"
        if self.status == self.Status.RUNNING:
            return f"rendering (attempt {self.attempts})"
        return self.status

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class RecipeVersion(models.Model):
    """Every version of a graph recipe ever stored, under the hash of its
    normalized document; the Recipe row points at the latest by name."""

    content_hash = models.CharField(max_length=64, primary_key=True)
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="versions")
    document = models.JSONField()
    source = models.TextField(blank=True)  # the text as posted, comments and all
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # GET /recipes/{name}: a recipe's versions, newest first.
            models.Index(fields=["recipe", "-created_at"], name="recipe_version_newest"),
        ]


class Step(models.Model):
    """One node of a graph, planned: its result is shared by every run whose
    plan contains the same cache id, and rendered once.

    A worker claims a step by a conditional update that sets a lease; it
    renews the lease while it renders, so a long render is not claimed twice
    and a dead worker's claim runs out.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    cache_id = models.CharField(max_length=64, primary_key=True)
    type = models.CharField(max_length=16)
    # What any worker needs to render it: {"type", "config", "inputs", "items"}.
    spec = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    output = models.ForeignKey("cache.CacheItem", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="steps")
    # How the engine reads the output back (a list manifest and analysis
    # data are both JSON files, but not the same kind of value).
    media_type = models.CharField(max_length=127, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Provenance of the step's output: which run and node rendered it, where, with what.
    provenance = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Looking for steps whose lease ran out (running, expired).
            models.Index(fields=["status", "lease_expires_at"], name="step_by_lease"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(status="done") | models.Q(
                output__isnull=False), name="step_done_has_output"),
        ]


class RunStep(models.Model):
    """A run's use of a step, under the node id its recipe gives it."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="run_steps")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="run_steps")
    node = models.CharField(max_length=160)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "node"], name="run_step_node_unique"),
        ]
        indexes = [
            # When a step finishes: the runs waiting on it.
            models.Index(fields=["step", "run"], name="run_step_by_step"),
        ]


class RunInput(models.Model):
    """One input of a run, as a row (Run.inputs keeps the names and order for
    display): "which runs used this file" is then an index lookup."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="input_rows")
    position = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["run", "position"]
        indexes = [
            # GET /cache/{hash}/lineage: the runs that used a file.
            models.Index(fields=["content_hash"], name="run_input_by_hash"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="run_input_position_unique"),
        ]
