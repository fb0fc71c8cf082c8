"""Rendering a completed run again, bypassing the cache, and comparing hashes.

A run keeps its plan (runs.graphs), so a reproduction renders that plan
again, step for step, in a scratch store that holds only the run's sources
(their bytes copied and hashed again, never trusted by name), and compares
the delivered output's hash with the one the run recorded.
"""

from __future__ import annotations

import logging
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cache import content
from cache.models import CacheItem
from engine.dag import execute
from engine.dag.store import DirectoryStore
from engine.errors import EngineError
from l1site.celery import app
from l1site.errors import DomainError
from runs import identity
from runs.context import limits
from runs.graphs import source_hashes, stored_plan
from runs.models import Run
from runs.routes import run_route
from runs.services import run_get

from .models import Reproduction

log = logging.getLogger(__name__)
# Queued by name: provenance.tasks imports this module.
REPRODUCE_RUN = "provenance.tasks.reproduce_run"


def _reproducible(run_id: str) -> Run:
    run = run_get(run_id)
    if run.status != Run.Status.COMPLETED:
        raise DomainError(f"run is {run.status}; only completed runs can be reproduced",
                          code="not_reproducible", status_code=409)
    if run.plan is None:
        raise DomainError("this run was rendered before recipes were graphs and kept no plan "
                          "to render again; submit it again to render it anew",
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
                pk = reproduction.pk
                transaction.on_commit(lambda: app.send_task(REPRODUCE_RUN, args=[pk]),
                                      robust=True)
    except IntegrityError:
        # The partial unique index: one is already in flight.
        active = Reproduction.objects.filter(run=run, status__in=Reproduction.ACTIVE).first()
        if active is None:  # it finished between our insert and this read: ask again
            return reproduction_request(run_id, by=by, queue=queue)
        return active, False
    return reproduction, True


def reproduction_route(reproduction_id: int) -> tuple[str, int] | None:
    """A reproduction renders like its run: its message goes where the
    run's would (registered with l1site.queues by ProvenanceConfig.ready)."""
    run_id = (Reproduction.objects.filter(pk=reproduction_id)
              .values_list("run_id", flat=True).first())
    return run_route(run_id) if run_id else None


class _ScratchStore(DirectoryStore):
    """A store holding only the run's sources and what the reproduction renders."""

    def bind(self, cache_id: str, path: Path, media_type: str) -> None:
        """A copy of the file, hashed again and filed under the id the plan
        reads it by: a source whose bytes rotted under its name renders (or,
        as its own output, delivers) something else, and so differs."""
        self._index(cache_id, self.put_file(path, media_type), media_type)


def _render_hash(run: Run) -> str:
    """The hash of the run's output rendered afresh: never read from or written to the cache."""
    plan = stored_plan(run.plan)
    types = dict(CacheItem.objects.filter(pk__in=source_hashes(run)).values_list(
        "pk", "media_type"))
    with tempfile.TemporaryDirectory(prefix="reproduce-") as scratch:
        store = _ScratchStore(Path(scratch))
        for content_hash in source_hashes(run):
            try:
                path = content.ensure_local(content_hash)
            except (content.ContentMissing, content.ContentCorrupt):
                path = None
            if path is None or content_hash not in types:
                raise DomainError(f"input {content_hash} is no longer in the cache")
            store.bind(content_hash, path, types[content_hash])
        ctx = execute.Context(store, limits=limits(), temp_dir=scratch)
        delivered = execute.execute(plan, ctx)
        name = "output" if "output" in delivered else next(iter(delivered))
        return store.content_hash(delivered[name])


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
        # The run's own plan, whatever its recipe became since.
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
