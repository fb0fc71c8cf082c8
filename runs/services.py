"""Submitting, finding and cancelling runs. Views, tasks and commands call these.

There is one way to start a run, ``run_submit``: every recipe is a graph
(runs.graphs), planned at submission, its inputs checked against the
cache's facts and the limits (runs.inputs), and rendered by runs.steps.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.permissions import may_change  # noqa: F401 - runs' callers import it from here
from cache.models import CacheItem
from l1site.errors import DomainError, NotFound

from . import dispatch, graphs
from .events import run_event
from .inputs import check_sources, is_small
from .lifecycle import run_finished
from .models import Recipe, Run, RunInput, Step
from .queueing import revoke, run_queue


def recipe_get(name: str) -> Recipe:
    recipe = Recipe.objects.filter(name=name).first() if isinstance(name, str) else None
    if recipe is None:
        known = ", ".join(Recipe.objects.values_list("name", flat=True)[:50])
        raise DomainError(f"unknown recipe '{name}'; known recipes: {known}",
                          code="unknown_recipe")
    return recipe


def refuse_over_active_limit(owner, run_id: str) -> None:
    """Refuse a submission that would take the owner over the active-run limit.
    Inside the submission's transaction: the owner's row is locked first (FOR
    NO KEY UPDATE, which the foreign-key checks of other writes do not wait
    for), so of two submissions at once the second counts after the first
    has committed its run; SQLite's IMMEDIATE transactions already let one
    writer in at a time. Asking again for a run that is active is not a new one."""
    if not getattr(owner, "is_authenticated", False):
        return
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=owner.pk)
         .values_list("pk", flat=True))
    active = Run.objects.filter(status__in=[Run.Status.PENDING, Run.Status.RUNNING])
    if active.filter(pk=run_id).exists():
        return
    limit = settings.MAX_ACTIVE_RUNS_PER_USER
    if active.filter(owner=owner).count() >= limit:
        raise DomainError(f"you have {limit} runs pending or running, the most allowed at once; "
                          "submit more when some finish", code="too_many_active_runs",
                          status_code=429)


def lock_inputs(hashes: list[str]) -> None:
    """Hold the inputs' rows until the run is committed: cache_gc deletes an
    item only under a row lock after checking no pending run needs it, so it
    either sees this run or this submission sees the item gone."""
    found = set(CacheItem.objects.select_for_update(no_key=True).filter(pk__in=hashes)
                .values_list("pk", flat=True))
    if missing := [h for h in hashes if h not in found]:
        raise DomainError(f"no cached content with hash {missing[0]}", code="unknown_input")


def _output_name(recipe: Recipe, inputs: list[dict], names: dict[str, str], run_id: str) -> str:
    """dog-cat: the recipe and its inputs as given (an asset's name, a hash's start)."""
    given = [names.get(i["content_hash"], i["content_hash"])[:16] for i in inputs
             if isinstance(i["content_hash"], str)]
    return "-".join([recipe.name, *given]) if given else f"{recipe.name}-{run_id[:12]}"


def refuse_priority(priority: int, owner) -> None:
    """Anyone may lower a run's priority; only staff may raise it (for anyone).
    An owner puts one of their own runs first with run_promote instead."""
    if priority == Run.Priority.HIGH and not getattr(owner, "is_staff", False):
        raise DomainError("only staff may submit at high priority; move one of your own "
                          "pending runs to the front instead (POST /runs/{id}/front)",
                          code="permission_denied", status_code=403)


def run_submit(*, recipe: str, inputs, params: dict | None = None, output_name: str = "",
               owner=None, priority: int = Run.Priority.NORMAL) -> tuple[Run, bool]:
    """POST /runs: create the run (or find it) and queue it after commit.

    ``inputs`` is a list, bound in the order the recipe declares its inputs,
    or an object of input name to a reference (a list input takes a list);
    a reference is a content hash or an asset name. Returns (run, queued).
    The run id is the primary key, so concurrent equal submissions meet at
    the unique index: one insert wins, the rest read it.
    """
    refuse_priority(priority, owner)
    recipe_obj = recipe_get(recipe)
    plan, names = graphs.graph_plan_unchecked(recipe_obj, inputs, params or {})
    run_id = graphs.graph_run_id(recipe_obj, plan)
    # The common case at scale, asking again for a run that exists and is not
    # to be retried, is one more indexed read: no transaction, no update.
    existing = Run.objects.select_related("owner", "cancelled_by").filter(pk=run_id).first()
    if existing and existing.status not in (Run.Status.FAILED, Run.Status.CANCELLED):
        if existing.status == Run.Status.PENDING and priority < existing.priority and \
                Run.objects.filter(pk=run_id, status=Run.Status.PENDING,
                                   priority__gt=priority).update(priority=priority):
            existing.priority = priority  # asked again, more urgently: released sooner
        return existing, False
    items = check_sources(plan, names)
    # Each input as the run saw it: a content hash (asset names resolved), or a list of them.
    resolved = {s.config["name"]: list(s.items) if s.items is not None else
                (s.inputs[0] if s.inputs else s.cache_id)
                for s in plan.steps if s.type == "SOURCE" and s.config.get("input")}
    recorded = [{"name": name, "content_hash": resolved[name]}
                for name in recipe_obj.definition["dag"]["inputs"]]
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        lock_inputs(sorted(items))
        refuse_over_active_limit(owner, run_id)
        run, created = Run.objects.get_or_create(id=run_id, defaults={
            "recipe": recipe_obj, "recipe_name": recipe_obj.name,
            "recipe_hash": recipe_obj.definition_hash, "inputs": recorded,
            "params": params or {}, "task_id": task_id,
            "owner": owner if getattr(owner, "is_authenticated", False) else None,
            "output_name": output_name or _output_name(recipe_obj, recorded, names, run_id),
            "plan": graphs.plan_json(plan, items), "inline": is_small(plan, items),
            "priority": priority, "lane": dispatch.lane_for(plan, items)})
        if created:
            graphs.create_steps(run, plan, items)
            # Rows per input file: "which runs used this file" (lineage) is an index lookup.
            RunInput.objects.bulk_create([RunInput(run=run, position=i, content_hash=h)
                                          for i, h in enumerate(graphs.source_hashes(run))])
        # A failed or cancelled run is tried again when asked again; the
        # conditional update lets only one of several concurrent retries through.
        queued = created or bool(Run.objects.filter(
            pk=run_id, status__in=[Run.Status.FAILED, Run.Status.CANCELLED]).update(
            status=Run.Status.PENDING, error="", task_id=task_id, started_at=None,
            finished_at=None, attempts=0, cancelled_by=None, queued_at=None, heartbeat_at=None,
            priority=priority, promoted_at=None))
        if queued and not created:
            # A retry resumes: done steps stay done, failed ones are tried again.
            Step.objects.filter(run_steps__run=run, status=Step.Status.FAILED).update(
                status=Step.Status.PENDING, error="", attempts=0)
            run.refresh_from_db()
        if queued:
            # Fair share: a user's run is handed to the broker now if its
            # owner has room, else when one of their runs finishes (runs.dispatch).
            gated = run.owner_id is not None
            released = dispatch.release(run.owner_id, send=False) if gated else []

            def announce() -> None:
                run_event(run_id, "pending", recipe=recipe_obj.name, task=task_id,
                          owner=getattr(owner, "username", "") or "-")
                # If the broker is down the run stays pending and "not yet
                # queued" (queued_at is None) until the sweep queues it.
                if gated:
                    dispatch.send_all(released)
                else:
                    run_queue(run_id, task_id)

            transaction.on_commit(announce, robust=True)
    return run, queued


def run_get(run_id: str) -> Run:
    run = Run.objects.select_related("owner", "cancelled_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    return run


def run_cancel(run_id: str, *, by) -> Run:
    """Cancel a pending or running run. A pending run never starts (the
    worker's claim skips it); a running one has its task terminated, and its
    late result is not recorded because completion only updates running rows."""
    run = run_get(run_id)
    if not may_change(by, run):
        raise DomainError("only the run's owner or staff may cancel it",
                          code="permission_denied", status_code=403)
    cancelled = Run.objects.filter(
        pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]).update(
        status=Run.Status.CANCELLED, cancelled_by=by, finished_at=timezone.now(),
        error=f"cancelled by {by.username}")
    if not cancelled:
        run.refresh_from_db()
        raise DomainError(f"run is {run.status}; only pending or running runs can be cancelled",
                          code="not_cancellable", status_code=409)
    run_event(run_id, "cancelled", by=by.username, was=run.status, task=run.task_id)
    run_finished(run_id, Run.Status.CANCELLED)
    if run.task_id:
        # Terminating only reaches a worker that holds the task; revoking also
        # drops the message if it is still queued. (A run rendered step by
        # step has no one task: its running steps finish, shared with others.)
        transaction.on_commit(lambda: revoke(run.task_id), robust=True)
    run.refresh_from_db()
    return run


def run_move_to_front(run_id: str, *, by) -> Run:
    """POST /runs/{id}/front: the owner (or staff) puts a pending run first
    among the owner's waiting runs (runs.dispatch.run_promote)."""
    run = run_get(run_id)
    if not may_change(by, run):
        raise DomainError("only the run's owner or staff may move it",
                          code="permission_denied", status_code=403)
    if run.status != Run.Status.PENDING:
        raise DomainError(f"run is {run.status}; only a pending run can be moved to the front",
                          code="not_pending", status_code=409)
    with transaction.atomic():
        return dispatch.run_promote(run)


def runs_cancel_pending(*, by) -> list[str]:
    """POST /runs/cancel-pending: cancel every pending run of the caller's.
    Running ones go on (cancel them one by one). Returns the ids cancelled."""
    if not getattr(by, "is_authenticated", False):
        raise DomainError("log in to cancel runs", code="not_authenticated", status_code=401)
    with transaction.atomic():
        ids = list(Run.objects.select_for_update().filter(owner=by, status=Run.Status.PENDING)
                   .values_list("id", flat=True))
        Run.objects.filter(pk__in=ids, status=Run.Status.PENDING).update(
            status=Run.Status.CANCELLED, cancelled_by=by, finished_at=timezone.now(),
            error=f"cancelled by {by.username} (all pending runs)")
        for run_id in ids:
            run_event(run_id, "cancelled", by=by.username, was="pending", reason="all pending")
            run_finished(run_id, Run.Status.CANCELLED, release=False)  # none left waiting
    # A pending run's message, if one was sent, finds the run cancelled and
    # renders nothing (the claim takes pending runs only): no revoke needed.
    return ids
