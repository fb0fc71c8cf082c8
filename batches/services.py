"""Batches: one recipe over input sets and a parameter grid, one run per
combination, submitted in one transaction.

Every combination goes through runs.services.run_submit, so it is checked,
planned and deduplicated exactly as a single run is: two combinations that
plan to the same run (the same params spelt twice, an input given twice)
share it, and so does a run that already exists. A combination that cannot
run refuses the whole batch, naming it, and nothing is created or queued.
The runs are released to the broker by fair share (runs.dispatch) like any
of the owner's runs, so a big batch never holds back other users.
"""

from __future__ import annotations

import itertools
import math
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from l1site.errors import DomainError, NotFound
from runs import services as runs
from runs.models import Run

from .models import Batch, BatchRun


def combinations(input_sets: list, params: dict) -> list[tuple[object, dict]]:
    """Every (inputs, params) pair: each input set with each point of the
    grid. A list value in ``params`` is an axis; any other value is fixed."""
    axes = {name: (value if isinstance(value, list) else [value]) for name, value in params.items()}
    for name, values in axes.items():
        if not values:
            raise DomainError(f"param '{name}' has an empty list of values", code="invalid_batch")
    size = len(input_sets) * math.prod(len(v) for v in axes.values())
    if size > settings.MAX_BATCH_RUNS:
        raise DomainError(f"the batch has {size} combinations; the most allowed is "
                          f"{settings.MAX_BATCH_RUNS}", code="batch_too_large",
                          details={"combinations": size, "limit": settings.MAX_BATCH_RUNS})
    names = list(axes)
    grid = [dict(zip(names, point)) for point in itertools.product(*axes.values())]
    return [(inputs, point) for inputs in input_sets for point in grid]


def batch_submit(*, recipe: str, inputs: list, params: dict, output_name: str = "",
                 priority: int = Run.Priority.NORMAL, owner) -> tuple[Batch, int]:
    """POST /batches. Returns the batch and how many runs it queued (new or
    retried); the others already existed or repeat a combination."""
    runs.refuse_priority(priority, owner)
    combos = combinations(inputs, params)
    batch_id = uuid.uuid4()
    label = output_name or f"{recipe}-batch-{batch_id.hex[:8]}"
    queued = 0
    with transaction.atomic():
        batch = Batch.objects.create(id=batch_id, owner=owner, recipe_name=recipe, size=len(combos),
                                     spec={"inputs": inputs, "params": params,
                                           "output_name": output_name})
        rows = []
        for position, (run_inputs, point) in enumerate(combos):
            try:
                run, was_queued = runs.run_submit(
                    recipe=recipe, inputs=run_inputs, params=point, owner=owner,
                    output_name=f"{label}-{position + 1}", priority=priority)
            except DomainError as exc:
                # Which combination, so the caller can fix it; the whole batch is refused.
                raise DomainError(f"combination {position + 1} (inputs {run_inputs!r}, params "
                                  f"{point!r}): {exc.message}", code=exc.code,
                                  status_code=exc.status_code,
                                  details={**exc.details, "combination": position + 1}) from exc
            queued += was_queued
            rows.append(BatchRun(batch=batch, position=position, run=run, inputs=run_inputs,
                                 params=point))
        BatchRun.objects.bulk_create(rows)
    return batch, queued


def batch_get(batch_id) -> Batch:
    try:
        uuid.UUID(str(batch_id))
    except ValueError:
        raise NotFound(f"no batch with id {batch_id}") from None
    batch = Batch.objects.select_related("owner", "cancelled_by").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no batch with id {batch_id}")
    return batch


def batch_items(batch: Batch) -> list[BatchRun]:
    return list(batch.items.select_related("run", "run__output").order_by("position"))


def batch_counts(batch: Batch) -> dict:
    """Distinct runs by status (a run two combinations share counts once)."""
    counts = {status: 0 for status in Run.Status.values}
    for row in (Run.objects.filter(batch_items__batch=batch).order_by().values("status")
                .annotate(n=Count("id", distinct=True))):
        counts[row["status"]] = row["n"]
    return {"combinations": batch.size, "runs": sum(counts.values()), **counts,
            "finished": sum(counts[s] for s in Run.FINISHED)}


def batch_cancel(batch_id, *, by) -> tuple[Batch, int]:
    """Cancel the batch's pending and running runs that ``by`` may change
    (a run shared with someone else's request is theirs too: it is left to
    its owner). Returns the batch and how many runs were cancelled."""
    batch = batch_get(batch_id)
    if not runs.may_change(by, batch):
        raise DomainError("only the batch's owner or staff may cancel it",
                          code="permission_denied", status_code=403)
    cancelled = 0
    live = (Run.objects.filter(batch_items__batch=batch,
                               status__in=[Run.Status.PENDING, Run.Status.RUNNING])
            .select_related("owner").distinct())
    for run in live:
        if not runs.may_change(by, run):
            continue
        try:
            runs.run_cancel(run.pk, by=by)
            cancelled += 1
        except DomainError:
            pass  # it finished meanwhile
    Batch.objects.filter(pk=batch.pk, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now(), cancelled_by=by)
    batch.refresh_from_db()
    return batch, cancelled
