"""Rendering graph runs: scheduling ready steps and rendering one step.

``schedule(run_id)`` looks at a run's steps and queues a ``render_step`` task
for each step whose inputs are done, so independent branches render on as
many workers as there are. A worker claims a step with a conditional update
that sets a lease, renews the lease while it renders, stores the result in
the cache and then schedules every run waiting on the step. A run completes
when its outputs are done (moving pictures delivered as MP4), and fails,
naming the step, when one of its steps fails.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.services import actor_handle
from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache import content
from engine.dag import execute, plan as planning
from engine.errors import EngineError
from l1site.exceptions import DomainError
from provenance.services import sign

from . import identity
from .models import Run, RunStep, Step

log = logging.getLogger(__name__)
EXTENSIONS = {"video/x-matroska": ".mkv", "video/mp4": ".mp4", "audio/wav": ".wav",
              "image/png": ".png", "application/json": ".json",
              "application/vnd.artdag.list+json": ".json"}


def queue_schedule(run_id: str) -> None:
    """Schedule the run after commit. If the broker is away the run stays
    pending, "not yet queued", until the sweep schedules it."""
    from .tasks import schedule_run

    def send() -> None:
        schedule_run.delay(run_id)
        Run.objects.filter(pk=run_id, queued_at__isnull=True).update(queued_at=timezone.now())

    transaction.on_commit(send, robust=True)


def _queue_steps(cache_ids: list[str]) -> None:
    from .tasks import render_step

    for cache_id in cache_ids:
        transaction.on_commit(lambda c=cache_id: render_step.delay(c), robust=True)


class CacheStore:
    """engine.dag's store interface over the content-addressed cache."""

    def __init__(self, run_id: str | None):
        self.run_id = run_id

    def find(self, cache_id: str):
        step = Step.objects.filter(pk=cache_id, status=Step.Status.DONE).first()
        # From this host's cache, or fetched from the shared store and verified.
        if step is not None:
            return content.ensure_local(step.output_id), step.media_type
        item = CacheItem.objects.filter(pk=cache_id).first()
        return (content.ensure_local(item.pk), item.media_type) if item else None

    def save(self, cache_id: str, data: bytes, media_type: str, step) -> None:
        node = step.node if step is not None else "output"
        item = cache_store_bytes(data, origin=CacheItem.Origin.RENDERED,
                                 name=f"{node}{EXTENSIONS.get(media_type, '')}")
        spec = ({"node": step.node, "type": step.type, "config": step.config,
                 "inputs": step.inputs, "items": None} if step is not None
                else {"type": "DELIVER"})
        provenance = {"run_id": self.run_id, "node": node, "cache_id": cache_id,
                      "type": spec["type"], "config": spec.get("config"),
                      "inputs": spec.get("inputs"), "rendered_at": timezone.now().isoformat(),
                      "rendered_by": settings.L1_ACTOR,
                      # Which worker process: shows the steps of one run spread over workers.
                      "worker": f"{socket.gethostname()}:{os.getpid()}",
                      "software": identity.software()["content_hash"],
                      "hardware": identity.hardware()["content_hash"]}
        # Nested steps (a MAP's sub-graph) have no row yet; others do.
        Step.objects.update_or_create(cache_id=cache_id, defaults={
            "type": spec["type"], "spec": spec, "status": Step.Status.DONE, "output": item,
            "media_type": media_type, "provenance": provenance, "error": "",
            "finished_at": timezone.now()})


def schedule(run_id: str) -> None:
    """Queue the run's ready steps; finish or fail the run when it can."""
    run = Run.objects.filter(pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]).first()
    if run is None or run.plan is None:
        return
    rows = {rs.node: rs.step for rs in RunStep.objects.filter(run=run).select_related("step")}
    failed = [(node, step) for node, step in rows.items() if step.status == Step.Status.FAILED]
    if failed:
        node, step = sorted(failed)[0]
        _finish(run_id, Run.Status.FAILED,
                error=f"step '{node}' ({step.type}) failed: {step.error}")
        return
    Run.objects.filter(pk=run_id, status=Run.Status.PENDING).update(
        status=Run.Status.RUNNING, started_at=timezone.now())
    ready = []
    now = timezone.now()
    for entry in run.plan["steps"]:
        step = rows[entry["node"]]
        # A step another worker holds under a live lease is left to it.
        held = step.status == Step.Status.RUNNING and step.lease_expires_at and \
            step.lease_expires_at > now
        if step.status != Step.Status.DONE and not held and all(
                rows[d].status == Step.Status.DONE for d in entry["deps"]):
            ready.append(step.cache_id)
    outputs, waiting = {}, False
    for name, cache_id in run.plan["outputs"].items():
        step = next(s for s in rows.values() if s.cache_id == cache_id)
        if step.status != Step.Status.DONE:
            waiting = True
        elif step.media_type == "video/x-matroska":
            # Moving pictures are delivered as MP4: one more step.
            target = _delivery_step(run, name, cache_id, rows)
            if target.status == Step.Status.DONE:
                outputs[name] = target.output_id
            else:
                waiting = True
                ready.append(target.cache_id)
        else:
            outputs[name] = step.output_id
    if not waiting:
        _complete(run, outputs, rows)
    else:
        _queue_steps(ready)


def _delivery_step(run: Run, name: str, cache_id: str, rows: dict) -> Step:
    node = f"deliver:{name}"
    if node in rows:
        return rows[node]
    step, _ = Step.objects.get_or_create(
        cache_id=execute.delivery_id(cache_id),
        defaults={"type": "DELIVER", "spec": {"node": node, "type": "DELIVER",
                                              "inputs": [cache_id]}})
    RunStep.objects.get_or_create(run=run, node=node, defaults={"step": step})
    return step


def _finish(run_id: str, status: str, **fields) -> bool:
    return bool(Run.objects.filter(
        pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]).update(
        status=status, finished_at=timezone.now(), **fields))


def _complete(run: Run, outputs: dict[str, str], rows: dict[str, Step]) -> None:
    first = outputs.get("output") or next(iter(outputs.values()))
    software, hardware = identity.software(), identity.hardware()
    provenance = {
        "run_id": run.id,
        "rendered_at": timezone.now().isoformat(),
        "rendered_by": actor_handle(run.owner),
        "requested_by": run.owner.username if run.owner else None,
        "recipe": {"name": run.recipe_name, "content_hash": run.recipe_hash},
        "inputs": run.inputs,
        "params": run.params,
        "output": {"name": run.output_name, "content_hash": first},
        "outputs": outputs,
        "steps": [{"node": node, "type": step.type, "cache_id": step.cache_id,
                   "output": step.output_id} for node, step in sorted(rows.items())],
        "infrastructure": {
            "software": {"name": software["name"], "content_hash": software["content_hash"]},
            "hardware": {"name": hardware["name"], "content_hash": hardware["content_hash"]},
        },
    }
    _finish(run.id, Run.Status.COMPLETED, output_id=first, outputs=outputs, error="",
            provenance=sign(provenance))


class _Lease(threading.Thread):
    """Renews a step's lease while its render runs."""

    def __init__(self, cache_id: str, owner: str):
        super().__init__(daemon=True)
        self.cache_id, self.owner, self.stop = cache_id, owner, threading.Event()

    def run(self) -> None:
        every = settings.STEP_LEASE_SECONDS / 3
        try:
            while not self.stop.wait(every):
                Step.objects.filter(pk=self.cache_id, lease_owner=self.owner,
                                    status=Step.Status.RUNNING).update(
                    lease_expires_at=timezone.now() + timedelta(
                        seconds=settings.STEP_LEASE_SECONDS))
        finally:
            connection.close()  # this thread's own connection


def _fail_step(cache_id: str, owner: str, message: str) -> None:
    Step.objects.filter(pk=cache_id, lease_owner=owner, status=Step.Status.RUNNING).update(
        status=Step.Status.FAILED, error=message[:4000], finished_at=timezone.now())


def _wake(cache_id: str) -> None:
    """Schedule every unfinished run that uses this step."""
    run_ids = set(RunStep.objects.filter(
        step_id=cache_id, run__status__in=[Run.Status.PENDING, Run.Status.RUNNING])
        .values_list("run_id", flat=True))
    for run_id in sorted(run_ids):
        queue_schedule(run_id)


def render(cache_id: str, *, owner: str) -> float | None:
    """Render one step if this worker can claim it. Returns None when the
    step is settled, or the seconds until another worker's lease runs out."""
    now = timezone.now()
    claimed = Step.objects.filter(pk=cache_id).filter(
        Q(status=Step.Status.PENDING)
        | Q(status=Step.Status.RUNNING, lease_expires_at__lt=now)).update(
        status=Step.Status.RUNNING, lease_owner=owner, attempts=F("attempts") + 1,
        lease_expires_at=now + timedelta(seconds=settings.STEP_LEASE_SECONDS),
        started_at=now, error="")
    step = Step.objects.filter(pk=cache_id).first()
    if step is None:
        return None
    if not claimed:
        if step.status == Step.Status.RUNNING and step.lease_expires_at:
            return max(1.0, (step.lease_expires_at - now).total_seconds())
        _wake(cache_id)
        return None
    if step.attempts > settings.MAX_RENDER_ATTEMPTS:
        _fail_step(cache_id, owner, f"gave up after {settings.MAX_RENDER_ATTEMPTS} attempts: "
                                    "the worker rendering this step stopped each time")
        _wake(cache_id)
        return None
    lease = _Lease(cache_id, owner)
    lease.start()
    try:
        _execute(step)
    except (EngineError, DomainError) as exc:
        _fail_step(cache_id, owner, str(exc))
    except (content.ContentMissing, content.ContentCorrupt, content.StoreUnavailable) as exc:
        _fail_step(cache_id, owner, f"input unavailable: {exc}")
    except SoftTimeLimitExceeded:
        _fail_step(cache_id, owner, f"stopped: over the time limit of "
                                    f"{settings.CELERY_TASK_SOFT_TIME_LIMIT} s")
    except Exception as exc:  # noqa: BLE001 - record it on the step, never leave it running
        log.exception("step %s failed", cache_id)
        _fail_step(cache_id, owner, f"internal error: {type(exc).__name__}: {exc}")
    finally:
        lease.stop.set()
        lease.join()
    _wake(cache_id)
    return None


def _execute(step: Step) -> None:
    first_run = RunStep.objects.filter(step=step).order_by("id").values_list(
        "run_id", flat=True).first()
    ctx = execute.Context(CacheStore(first_run), max_pixels=settings.MAX_PIXELS,
                          max_seconds=float(settings.MAX_MEDIA_SECONDS))
    spec = step.spec
    if spec["type"] == "DELIVER":
        execute.deliver(spec["inputs"][0], ctx)
        return
    items = spec.get("items")
    execute.run_step(planning.Step(
        node=spec["node"], type=spec["type"], config=spec["config"], inputs=spec["inputs"],
        cache_id=step.cache_id, items=tuple(items) if items is not None else None), ctx)

