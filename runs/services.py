"""Submitting runs and rendering them. Views, tasks and commands call these."""

from __future__ import annotations

import logging
import uuid

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assets.models import Asset
from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache import content
from engine import effects, recipe as engine_recipe
from engine.canonical import is_content_hash
from engine.errors import EngineError
from engine.render import render
from l1site.exceptions import DomainError, NotFound

from . import identity
from .models import Recipe, Run

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
    return name, item


def _queue(run_id: str, task_id: str) -> None:
    from .tasks import render_run  # tasks import services; import here to avoid a cycle

    render_run.apply_async(args=[run_id], task_id=task_id)


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
        run, created = Run.objects.get_or_create(id=run_id, defaults={
            "recipe": recipe_obj, "recipe_name": recipe_obj.name,
            "recipe_hash": recipe_obj.definition_hash,
            "inputs": [{"name": name, "content_hash": item.pk} for name, item in resolved],
            "output_name": output_name or "-".join([recipe_obj.name, *(n[:16] for n, _ in resolved)]),
            "owner": owner if getattr(owner, "is_authenticated", False) else None,
            "task_id": task_id,
        })
        # A failed or cancelled run is tried again when asked again; the
        # conditional update lets only one of several concurrent retries through.
        queued = created or bool(Run.objects.filter(
            pk=run_id, status__in=[Run.Status.FAILED, Run.Status.CANCELLED]).update(
            status=Run.Status.PENDING, error="", task_id=task_id, started_at=None,
            finished_at=None, attempts=0, cancelled_by=None))
        if queued:
            # robust: if the broker is down the run stays pending, not lost.
            transaction.on_commit(lambda: _queue(run_id, task_id), robust=True)
    if queued and not created:
        run.refresh_from_db()  # the retry's conditional update changed the row
    return run, queued


def run_get(run_id: str) -> Run:
    run = Run.objects.select_related("owner", "cancelled_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    return run


def may_change(user, obj) -> bool:
    """Owners and staff may act on a run (cancel, publish); others only read it."""
    return bool(user and user.is_authenticated and (user.is_staff or obj.owner_id == user.pk))


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
    if run.task_id:
        from l1site.celery import app

        # Terminating only reaches a worker that holds the task; revoking also
        # drops the message if it is still queued.
        transaction.on_commit(lambda: app.control.revoke(run.task_id, terminate=True),
                              robust=True)
    run.refresh_from_db()
    return run


def _fail(run_id: str, message: str) -> None:
    Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
        status=Run.Status.FAILED, error=message[:4000], finished_at=timezone.now())


def _provenance(run: Run, output: CacheItem, task_id: str) -> dict:
    software, hardware = identity.software(), identity.hardware()
    return {
        "task_id": task_id,
        "rendered_at": timezone.now().isoformat(),
        "rendered_by": settings.L1_ACTOR,
        "requested_by": run.owner.username if run.owner else None,
        "run_id": run.id,
        "recipe": {"name": run.recipe_name, "content_hash": run.recipe_hash},
        "output": {"name": run.output_name, "content_hash": output.pk},
        "inputs": run.inputs,
        "effects": [
            {"name": step["effect"],
             "content_hash": effects.get_effect(step["effect"]).content_hash,
             "params": step["params"]}
            for step in run.recipe.definition["steps"]],
        "infrastructure": {
            "software": {"name": software["name"], "content_hash": software["content_hash"]},
            "hardware": {"name": hardware["name"], "content_hash": hardware["content_hash"]},
        },
    }


def run_render(run_id: str, *, task_id: str) -> str | None:
    """Render one run on this worker. Returns the output hash, or None if the
    run was already finished (a redelivered message) or failed."""
    claimed = Run.objects.filter(
        pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]
    ).update(status=Run.Status.RUNNING, started_at=timezone.now(), task_id=task_id,
             attempts=F("attempts") + 1)
    if not claimed:
        return None
    run = Run.objects.select_related("recipe", "owner").get(pk=run_id)
    if run.attempts > settings.MAX_RENDER_ATTEMPTS:
        # Each earlier delivery died with its worker (the message came back
        # through reject_on_worker_lost): an input that kills workers must not
        # loop forever.
        _fail(run_id, f"gave up after {settings.MAX_RENDER_ATTEMPTS} attempts: the worker "
                      "rendering this run stopped each time (out of memory, or killed)")
        return None
    try:
        if run.recipe.definition_hash != run.recipe_hash:
            raise DomainError("the recipe changed after this run was submitted; submit it again")
        first = CacheItem.objects.get(pk=run.inputs[0]["content_hash"])
        # From this host's cache, or fetched from the shared store and verified.
        paths = content.ensure_local_many([i["content_hash"] for i in run.inputs])
        rendered = render(run.recipe.definition, paths,
                          max_pixels=settings.MAX_PIXELS, input_format=first.format)
        if rendered.passthrough is not None:
            output = CacheItem.objects.get(pk=run.inputs[rendered.passthrough]["content_hash"])
        else:
            output = cache_store_bytes(rendered.data, origin=CacheItem.Origin.RENDERED,
                                       name=run.output_name, owner=run.owner)
    except (EngineError, DomainError) as exc:
        _fail(run_id, str(exc))
        return None
    except (content.ContentMissing, content.ContentCorrupt) as exc:
        _fail(run_id, f"input unavailable: {exc}")
        return None
    except content.StoreUnavailable as exc:
        _fail(run_id, f"the shared content store is unavailable: {exc}")
        return None
    except SoftTimeLimitExceeded:
        _fail(run_id, f"render stopped: over the time limit of "
                      f"{settings.CELERY_TASK_SOFT_TIME_LIMIT} s")
        return None
    except Exception as exc:  # noqa: BLE001 - record it on the run, never leave it running
        log.exception("render of run %s failed", run_id)
        _fail(run_id, f"internal error while rendering: {type(exc).__name__}: {exc}")
        return None
    Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
        status=Run.Status.COMPLETED, output=output, error="", finished_at=timezone.now(),
        provenance=_provenance(run, output, task_id))
    return output.pk
