"""Submitting runs and rendering them. Views, tasks and commands call these."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.permissions import may_change  # noqa: F401 - runs' callers import it from here
from accounts.services import username_handle
from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_describe, cache_index_output
from cache.thumbs import thumbnails_queue
from cache.store import store_bytes
from cache import content
from engine import effects, recipe as engine_recipe
from engine.canonical import canonical_bytes, is_content_hash
from engine.errors import EngineError
from engine.render import render
from l1site.exceptions import DomainError, NotFound
from provenance.services import sign

from . import identity
from .events import run_event
from .models import Recipe, Run, RunInput
from .recovery import heartbeat, run_queue

log = logging.getLogger(__name__)


def recipe_get(name: str) -> Recipe:
    recipe = Recipe.objects.filter(name=name).first() if isinstance(name, str) else None
    if recipe is None:
        known = ", ".join(Recipe.objects.values_list("name", flat=True)[:50])
        raise DomainError(f"unknown recipe '{name}'; known recipes: {known}",
                          code="unknown_recipe")
    return recipe


def recipe_save(*, name: str, definition: dict, description: str = "") -> Recipe:
    normalized = engine_recipe.validate_definition(definition)
    size = len(canonical_bytes(normalized))
    if size > settings.MAX_RECIPE_BYTES:
        raise DomainError(f"recipe is {size} bytes; the limit is {settings.MAX_RECIPE_BYTES}",
                          code="recipe_too_large", status_code=413)
    recipe, _ = Recipe.objects.update_or_create(name=name, defaults={
        "definition": normalized, "description": description,
        "definition_hash": engine_recipe.definition_hash(normalized),
        "updated_at": timezone.now()})
    return recipe


def resolve_input(ref: str) -> tuple[str, CacheItem]:
    """A content hash or an asset name -> (display name, cache item), refusing
    anything the engine could not decode."""
    if is_content_hash(ref):
        item = CacheItem.objects.filter(pk=ref).first()
        name = ref
        if item is None:
            raise DomainError(f"no cached content with hash {ref}", code="unknown_input")
    else:
        asset = Asset.objects.select_related("content").filter(name=ref).first()
        if asset is None:
            raise DomainError(f"'{ref}' is neither a 64-hex content hash nor an asset name",
                              code="unknown_input")
        name, item = asset.name, asset.content
    if item.decode_error:
        raise DomainError(f"input {name} cannot be decoded: {item.decode_error}",
                          code="undecodable_input")
    if not item.is_image:
        raise DomainError(f"input {name} is {item.media_type}, not an image this server renders "
                          "(PNG, JPEG, WebP, GIF)", code="unsupported_input")
    if (item.width or 0) * (item.height or 0) * (item.frames or 1) > settings.MAX_PIXELS:
        raise DomainError(f"input {name} is over the limit of {settings.MAX_PIXELS} pixels",
                          code="input_too_large", status_code=413)
    if (item.frames or 1) > settings.MAX_FRAMES:
        raise DomainError(f"input {name} has {item.frames} frames; the limit is "
                          f"{settings.MAX_FRAMES}", code="input_too_large", status_code=413)
    return name, item


def refuse_over_active_limit(owner) -> None:
    if not getattr(owner, "is_authenticated", False):
        return
    active = Run.objects.filter(owner=owner, status__in=[Run.Status.PENDING, Run.Status.RUNNING])
    limit = settings.MAX_ACTIVE_RUNS_PER_USER
    if active.count() >= limit:
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


def run_submit(*, recipe: str, inputs: list[str], output_name: str = "",
               owner=None) -> tuple[Run, bool]:
    """Create the run (or find it) and queue its render after commit.

    Returns (run, queued). The run id is the primary key, so concurrent equal
    submissions meet at the unique index: one insert wins, the rest read it.
    """
    recipe_obj = recipe_get(recipe)
    resolved = [resolve_input(ref) for ref in inputs]
    expected = recipe_obj.definition["inputs"]
    if len(resolved) != expected:
        raise DomainError(f"recipe '{recipe_obj.name}' takes {expected} input(s), "
                          f"got {len(resolved)}", code="wrong_input_count")
    run_id = identity.run_id_for(recipe_obj, [item.pk for _, item in resolved])
    # The common case at scale, asking again for a run that exists and is not
    # to be retried, is one indexed read: no transaction, no conditional update.
    existing = Run.objects.select_related("owner", "cancelled_by").filter(pk=run_id).first()
    if existing and existing.status not in (Run.Status.FAILED, Run.Status.CANCELLED):
        return existing, False
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        lock_inputs([item.pk for _, item in resolved])
        if not Run.objects.filter(pk=run_id).exists():
            refuse_over_active_limit(owner)
        run, created = Run.objects.get_or_create(id=run_id, defaults={
            "recipe": recipe_obj, "recipe_name": recipe_obj.name,
            "recipe_hash": recipe_obj.definition_hash,
            "inputs": [{"name": name, "content_hash": item.pk} for name, item in resolved],
            "output_name": output_name or "-".join([recipe_obj.name, *(n[:16] for n, _ in resolved)]),
            "owner": owner if getattr(owner, "is_authenticated", False) else None,
            "task_id": task_id,
        })
        if created:
            # One row per input: "which runs used this file" is an index lookup.
            RunInput.objects.bulk_create([
                RunInput(run=run, position=i, content_hash=item.pk)
                for i, (_, item) in enumerate(resolved)])
        # A failed or cancelled run is tried again when asked again; the
        # conditional update lets only one of several concurrent retries through.
        queued = created or bool(Run.objects.filter(
            pk=run_id, status__in=[Run.Status.FAILED, Run.Status.CANCELLED]).update(
            status=Run.Status.PENDING, error="", task_id=task_id, started_at=None,
            finished_at=None, attempts=0, cancelled_by=None, queued_at=None, heartbeat_at=None))
        if queued:
            def dispatch() -> None:
                run_event(run_id, "pending", recipe=recipe_obj.name, task=task_id,
                          owner=getattr(owner, "username", "") or "-")
                # If the broker is down the run stays pending and "not yet
                # queued" (queued_at is None) until the sweep queues it.
                run_queue(run_id, task_id)

            transaction.on_commit(dispatch, robust=True)
    if queued and not created:
        run.refresh_from_db()  # the retry's conditional update changed the row
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
    if run.task_id:
        from l1site.celery import app

        # Terminating only reaches a worker that holds the task; revoking also
        # drops the message if it is still queued.
        transaction.on_commit(lambda: app.control.revoke(run.task_id, terminate=True),
                              robust=True)
    run.refresh_from_db()
    return run


def run_start(*, recipe: str, inputs, params: dict | None = None, output_name: str = "",
              owner=None) -> tuple[Run, bool]:
    """POST /runs: an effect chain runs as one task, a graph step by step."""
    from .graphs import graph_submit

    recipe_obj = recipe_get(recipe)
    if recipe_obj.kind == Recipe.Kind.GRAPH:
        return graph_submit(recipe=recipe_obj, inputs=inputs, params=params or {},
                            output_name=output_name, owner=owner)
    if params:
        raise DomainError(f"'{recipe_obj.name}' is an effect chain: it takes no params",
                          code="invalid_run")
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise DomainError(f"'{recipe_obj.name}' takes its inputs as a list of hashes or asset "
                          "names, in order", code="invalid_run")
    return run_submit(recipe=recipe, inputs=inputs, output_name=output_name, owner=owner)


def _with_db_retry(action, *, tries: int = 8):
    """Run a database step, reconnecting through a database restart: a render
    that took minutes is worth waiting a few seconds for PostgreSQL to return."""
    for attempt in range(tries):
        try:
            return action()
        except (OperationalError, InterfaceError):
            if attempt == tries - 1:
                raise
            log.warning("database unavailable; reconnecting (try %d of %d)", attempt + 2, tries)
            connection.close()
            time.sleep(min(0.5 * 2 ** attempt, 10))


def _finish_update(run_id: str, task_id: str, **fields) -> bool:
    """Record the end of a render. Only the claimant may (status running and
    our task id): a run cancelled, reaped or re-queued meanwhile is left alone."""
    return bool(Run.objects.filter(pk=run_id, task_id=task_id, status=Run.Status.RUNNING).update(
        finished_at=timezone.now(), **fields))


def _finish(run_id: str, task_id: str, **fields) -> bool:
    return _with_db_retry(lambda: _finish_update(run_id, task_id, **fields))


def _fail(run_id: str, task_id: str, message: str) -> None:
    if _finish(run_id, task_id, status=Run.Status.FAILED, error=message[:4000]):
        run_event(run_id, "failed", task=task_id, reason=message[:300])


def _provenance(run: Run, definition: dict, output_hash: str, task_id: str) -> dict:
    software, hardware = identity.software(), identity.hardware()
    return {
        "task_id": task_id,
        "rendered_at": timezone.now().isoformat(),
        # The actor who asked for the run; the server's own for system work.
        "rendered_by": username_handle(run.owner_username),
        "requested_by": run.owner_username,
        "run_id": run.id,
        "recipe": {"name": run.recipe_name, "content_hash": run.recipe_hash},
        "output": {"name": run.output_name, "content_hash": output_hash},
        "inputs": run.inputs,
        "effects": [
            {"name": step["effect"],
             "content_hash": effects.get_effect(step["effect"]).content_hash,
             "params": step["params"]}
            for step in definition["steps"]],
        "infrastructure": {
            "software": {"name": software["name"], "content_hash": software["content_hash"]},
            "hardware": {"name": hardware["name"], "content_hash": hardware["content_hash"]},
        },
    }


class HeldElsewhere(Exception):
    """This delivery's run is held by a worker that still sends heartbeats:
    either a duplicate of a live message, or a redelivery that came back
    before its dead worker's heartbeat went stale. Try again later."""


def _claim_sql(condition: str) -> str:
    """UPDATE ... RETURNING (which the ORM's update() cannot do): claim the
    run and read back, in the same statement, all a render needs from the
    database besides its definition: the row, the recipe's current
    definition hash (a recipe changed since submission fails the run) and
    the username of who asked (the provenance record). Every render starts
    here; the ORM's update, its read of the row and the reads of the recipe
    and the owner cost a small render four round trips (BENCHMARKS.md 8b)."""
    quote = connection.ops.quote_name
    run, recipe = quote(Run._meta.db_table), quote(Recipe._meta.db_table)
    user_model = get_user_model()._meta
    user, username = quote(user_model.db_table), quote(user_model.get_field("username").column)
    return (f"UPDATE {run} SET status = %s, started_at = %s, heartbeat_at = %s, "
            f"attempts = attempts + 1, task_id = %s WHERE id = %s AND plan IS NULL AND {condition} "
            "RETURNING *, "
            f"(SELECT definition_hash FROM {recipe} WHERE {recipe}.id = {run}.recipe_id) "
            "AS recipe_hash_now, "
            f"(SELECT {username} FROM {user} WHERE {user}.id = {run}.owner_id) AS owner_username")


def _claim(run_id: str, task_id: str) -> Run | None:
    """Take the run for this delivery and return it. A pending run is
    anyone's (plan IS NULL: a graph run is never claimed whole); a running
    one only for the same message redelivered (its task id) once the
    holder's heartbeat is stale, i.e. its worker died. A duplicate with
    another task id finds the run taken and does nothing: one render per run."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)  # as the ORM would store it
    claimed = Run.objects.raw(_claim_sql("status = %s"),
                              [Run.Status.RUNNING, at, at, task_id, run_id, Run.Status.PENDING])
    if run := next(iter(claimed), None):
        return run
    stale = connection.ops.adapt_datetimefield_value(
        now - timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT))
    redelivered = Run.objects.raw(
        _claim_sql("status = %s AND task_id = %s AND (heartbeat_at < %s OR heartbeat_at IS NULL)"),
        [Run.Status.RUNNING, at, at, task_id, run_id, Run.Status.RUNNING, task_id, stale])
    if run := next(iter(redelivered), None):
        return run
    if Run.objects.filter(pk=run_id, plan__isnull=True, status=Run.Status.RUNNING,
                          task_id=task_id).exists():
        raise HeldElsewhere(run_id)
    return None


# Recipe definitions by definition hash. A hash names one definition forever,
# so an entry is never stale; the bound only caps a long-lived worker's memory.
_definitions: dict[str, dict] = {}
_DEFINITIONS_KEPT = 256
RECIPE_CHANGED = "the recipe changed after this run was submitted; submit it again"


def _definition(run: Run) -> dict:
    """The definition the run was submitted with, from this process's
    memory after the first render of it; DomainError if the recipe changed
    since (the claim read its current hash)."""
    if run.recipe_hash_now != run.recipe_hash:
        raise DomainError(RECIPE_CHANGED)
    if (definition := _definitions.get(run.recipe_hash)) is None:
        recipe = Recipe.objects.only("definition", "definition_hash").get(pk=run.recipe_id)
        if recipe.definition_hash != run.recipe_hash:  # changed since the claim
            raise DomainError(RECIPE_CHANGED)
        if len(_definitions) >= _DEFINITIONS_KEPT:
            _definitions.clear()
        definition = _definitions[run.recipe_hash] = recipe.definition
    return definition


def _render_output(run: Run, definition: dict) -> CacheItem | tuple[str, int]:
    """The run's output: one of its inputs itself (an identity chain), or
    new bytes stored (atomically) but not yet indexed, as (hash, size)."""
    # From this host's cache, or fetched from the shared store and verified.
    paths = content.ensure_local_many([i["content_hash"] for i in run.inputs])
    rendered = render(definition, paths, max_pixels=settings.MAX_PIXELS)
    if rendered.passthrough is not None:
        return CacheItem.objects.get(pk=run.inputs[rendered.passthrough]["content_hash"])
    return store_bytes(rendered.data)


def _complete(run: Run, definition: dict, task_id: str, output: CacheItem | tuple[str, int]
              ) -> tuple[str, bool, CacheItem | None]:
    """Index new output and mark the run completed in one transaction: one
    commit instead of two on every render. Returns (output hash, whether the
    run was still ours to complete, the new output's cache item, whose
    thumbnails the caller queues once the completion is logged)."""
    if isinstance(output, CacheItem):
        content_hash, fields = output.pk, None
    else:
        content_hash, size = output
        # Reads the header and uploads to a shared store: outside the transaction.
        fields = cache_describe(content_hash, run.output_name, rendered=True)
    record = sign(_provenance(run, definition, content_hash, task_id))

    def write() -> tuple[bool, CacheItem | None]:
        with transaction.atomic():
            item = None if fields is None else cache_index_output(
                content_hash, size, fields, name=run.output_name, owner_id=run.owner_id)
            return _finish_update(run.id, task_id, status=Run.Status.COMPLETED,
                                  output_id=content_hash, error="", provenance=record), item

    # The bytes are stored once; only the database writes are retried.
    return content_hash, *_with_db_retry(write)


def run_render(run_id: str, *, task_id: str) -> str | None:
    """Render one run on this worker. Returns the output hash, or None if the
    run was not ours to render (finished, cancelled, taken) or failed.
    Raises HeldElsewhere when a live worker may still be rendering it."""
    run = _claim(run_id, task_id)
    if run is None:
        if Run.objects.filter(pk=run_id, plan__isnull=False).exists():
            # A graph run renders step by step; a render_run message for it (a
            # sweep re-queuing unfinished runs) just schedules its ready steps.
            from .steps import schedule

            schedule(run_id)
            return None
        run_event(run_id, "skipped", task=task_id, reason="not pending, or held by another delivery")
        return None
    run_event(run_id, "running", task=task_id, attempt=run.attempts)
    if run.attempts > settings.MAX_RENDER_ATTEMPTS:
        # Each earlier delivery died with its worker (the message came back
        # through reject_on_worker_lost): an input that kills workers must not
        # loop forever.
        _fail(run_id, task_id, f"gave up after {settings.MAX_RENDER_ATTEMPTS} attempts: the "
                               "worker rendering this run stopped each time (out of memory, or killed)")
        return None
    try:
        # Read all the render needs before it starts: the database may be
        # away (a restart) by the time it ends, and only the final writes
        # are retried.
        definition = _definition(run)
        with heartbeat(run_id, task_id):
            content_hash, completed, new_item = _complete(
                run, definition, task_id, _render_output(run, definition))
    except (EngineError, DomainError) as exc:
        _fail(run_id, task_id, str(exc))
        return None
    except (content.ContentMissing, content.ContentCorrupt) as exc:
        _fail(run_id, task_id, f"input unavailable: {exc}")
        return None
    except content.StoreUnavailable as exc:
        _fail(run_id, task_id, f"the shared content store is unavailable: {exc}")
        return None
    except SoftTimeLimitExceeded:
        _fail(run_id, task_id, f"render stopped: over the soft time limit of "
                               f"{settings.CELERY_TASK_SOFT_TIME_LIMIT} s")
        return None
    except OSError as exc:
        # A full disk or an unreadable input: the store already removed its
        # temp file, so nothing partial is left in the cache.
        _fail(run_id, task_id, f"render failed writing or reading the cache: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - record it on the run, never leave it running
        log.exception("render of run %s failed", run_id)
        _fail(run_id, task_id, f"internal error while rendering: {type(exc).__name__}: {exc}")
        return None
    if completed:
        run_event(run_id, "completed", task=task_id, output=content_hash, attempt=run.attempts)
    else:
        run_event(run_id, "discarded", task=task_id, reason="cancelled or re-queued meanwhile")
    if new_item is not None:
        thumbnails_queue(new_item)  # off the run's time, after its completion is on record
    return content_hash
