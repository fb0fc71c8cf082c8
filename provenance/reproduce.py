"""Rendering a completed run again, bypassing the cache, and comparing hashes."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cache.models import CacheItem
from cache import content
from cache.store import hash_file
from engine.canonical import sha3_hex
from engine.errors import EngineError
from engine.render import render
from l1site.exceptions import DomainError
from runs import identity
from runs.models import Run

from .models import Reproduction

log = logging.getLogger(__name__)


def _reproducible(run_id: str) -> Run:
    from runs.services import run_get

    run = run_get(run_id)
    if run.status != Run.Status.COMPLETED:
        raise DomainError(f"run is {run.status}; only completed runs can be reproduced",
                          code="not_reproducible", status_code=409)
    return run


# A queued reproduction no worker has taken after this long was lost with
# its message (the broker was down at commit); a running one older than the
# hard time limit lost its worker. Either way it no longer blocks a new request.
LOST_QUEUED = timedelta(minutes=10)


def _expire_lost(run: Run) -> None:
    now = timezone.now()
    lost_running = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    Reproduction.objects.filter(
        Q(status=Reproduction.Status.QUEUED, created_at__lt=now - LOST_QUEUED)
        | Q(status=Reproduction.Status.RUNNING, created_at__lt=now - LOST_QUEUED - lost_running),
        run=run,
    ).update(status=Reproduction.Status.FAILED, finished_at=now,
             error="lost: no worker finished it; asked again")


def reproduction_request(run_id: str, *, by, queue: bool = True) -> tuple[Reproduction, bool]:
    """Queue a reproduction of a completed run. Returns (reproduction, created);
    while one is queued or running, asking again returns that one."""
    run = _reproducible(run_id)
    _expire_lost(run)
    try:
        with transaction.atomic():
            reproduction = Reproduction.objects.create(
                run=run, expected_hash=run.output_id,
                requested_by=by if getattr(by, "is_authenticated", False) else None)
            if queue:
                from .tasks import reproduce_run  # tasks import this module

                pk = reproduction.pk
                transaction.on_commit(lambda: reproduce_run.delay(pk), robust=True)
    except IntegrityError:
        # The partial unique index: one is already in flight.
        active = Reproduction.objects.filter(run=run, status__in=Reproduction.ACTIVE).first()
        if active is None:  # it finished between our insert and this read: ask again
            return reproduction_request(run_id, by=by, queue=queue)
        return active, False
    return reproduction, True


def _render_hash(run: Run) -> str:
    """The hash of the run's output rendered afresh: never read from or written to the cache."""
    if run.plan is not None:
        from runs.graphs import graph_reproduce_hash

        return graph_reproduce_hash(run)
    first = CacheItem.objects.get(pk=run.inputs[0]["content_hash"])
    try:
        paths = content.ensure_local_many([i["content_hash"] for i in run.inputs])
    except (content.ContentMissing, content.ContentCorrupt) as exc:
        raise DomainError(f"an input is no longer in the cache: {exc}") from None
    rendered = render(run.recipe.definition, paths, max_pixels=settings.MAX_PIXELS,
                      input_format=first.format)
    if rendered.passthrough is not None:
        # The output is the input itself: hash its stored bytes again rather
        # than trusting the name they are filed under.
        with open(paths[rendered.passthrough], "rb", buffering=0) as file:
            return hash_file(file, None)[0]
    return sha3_hex(rendered.data)


def reproduction_perform(reproduction_id: int) -> Reproduction | None:
    """Render and compare. Runs on a worker (or in `manage.py reproduce`)."""
    # RUNNING too: a message redelivered after its worker died must still finish the job.
    claimed = Reproduction.objects.filter(pk=reproduction_id, status__in=Reproduction.ACTIVE) \
        .update(status=Reproduction.Status.RUNNING)
    if not claimed:
        return None  # a redelivered message: someone did it already
    reproduction = Reproduction.objects.select_related("run__recipe").get(pk=reproduction_id)
    run = reproduction.run
    software, hardware = identity.software(), identity.hardware()
    original_software = (((run.provenance or {}).get("infrastructure") or {})
                         .get("software") or {}).get("content_hash")
    fields = {"host": socket.gethostname(), "software_hash": software["content_hash"],
              "hardware_hash": hardware["content_hash"],
              "same_software": software["content_hash"] == original_software,
              "finished_at": timezone.now()}
    try:
        # A graph run keeps its own plan; an effect chain is read from its recipe.
        if run.plan is None and run.recipe.definition_hash != run.recipe_hash:
            raise DomainError("the recipe changed after this run was rendered")
        actual = _render_hash(run)
    except (EngineError, DomainError, CacheItem.DoesNotExist) as exc:
        fields.update(status=Reproduction.Status.FAILED, error=str(exc)[:4000])
    except Exception as exc:  # noqa: BLE001 - record it, never leave it running
        log.exception("reproduction %s failed", reproduction_id)
        fields.update(status=Reproduction.Status.FAILED,
                      error=f"internal error: {type(exc).__name__}: {exc}"[:4000])
    else:
        fields.update(actual_hash=actual, status=(
            Reproduction.Status.REPRODUCED if actual == reproduction.expected_hash
            else Reproduction.Status.DIFFERS))
    fields["finished_at"] = timezone.now()
    Reproduction.objects.filter(pk=reproduction_id).update(**fields)
    reproduction.refresh_from_db()
    return reproduction


def reproduce_now(run_id: str, *, by=None) -> Reproduction:
    """Reproduce in this process (the management command)."""
    reproduction, created = reproduction_request(run_id, by=by, queue=False)
    if not created:
        raise DomainError(f"a reproduction of run {run_id} is already {reproduction.status}",
                          code="reproduction_in_progress", status_code=409)
    return reproduction_perform(reproduction.pk)
