"""Recording what runs announce (runs.events) as numbered events, with the
progress, ETA and preview that a render's frames give.

Events are written after the transaction that made the change commits
(a stream never shows a state the database then rolls back), and each
write wakes the web processes' streams (live.hub) through Redis when there
is one; without Redis the streams poll the table.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from engine.dag.execute import PROGRESS_EVERY
from runs.models import Run, RunStep, Step

from . import eta, wake
from .models import Event, Preview, StepTiming

log = logging.getLogger(__name__)

# Run states a stream shows; the log's other words ("skipped", "discarded")
# are a worker's bookkeeping, not a change of the run.
STATES = set(Run.Status.values)


def event_write(run_id: str, kind: str, data: dict, *, owner_id: int | None) -> Event:
    """One event, now (autocommit), then a wake-up for the streams."""
    event = Event.objects.create(run_id=run_id, owner_id=owner_id, kind=kind,
                                 data={"run": run_id, **data})
    wake.publish(event.id)
    return event


def event_emit(run_id: str, kind: str, data: dict) -> None:
    """Record an event once the caller's transaction commits (at once outside one)."""
    def write() -> None:
        event_write(run_id, kind, data, owner_id=_owner(run_id))

    transaction.on_commit(write, robust=True)


# --- per-run facts a worker process keeps while it renders --------------------

@dataclass
class _Live:
    """What this process knows of one run it renders."""
    owner_id: int | None
    recipe: str
    size: int                      # pixels x frames of the run's inputs (the ETA's "size")
    nodes: dict[str, str]          # cache id -> node
    kinds: dict[str, str]          # node -> kind of step (eta.kind)
    done: set[str] = field(default_factory=set)       # nodes done or cached
    started: dict[str, float] = field(default_factory=dict)  # node -> monotonic start
    frames: dict[str, tuple[int, int]] = field(default_factory=dict)  # node -> (done, total)
    typical: dict[str, float | None] = field(default_factory=dict)  # kind -> past seconds
    last_progress: float = 0.0
    last_preview: float = 0.0
    touched: float = field(default_factory=time.monotonic)


_runs: dict[str, _Live] = {}
_owners: dict[str, int | None] = {}
_lock = threading.Lock()
_KEEP = 256  # runs remembered per process


def _owner(run_id: str) -> int | None:
    if run_id in _runs:
        return _runs[run_id].owner_id
    if run_id not in _owners:
        if len(_owners) > 4096:
            _owners.clear()
        _owners[run_id] = Run.objects.filter(pk=run_id).values_list("owner_id", flat=True).first()
    return _owners[run_id]


def _remember(run_id: str, found: _Live) -> _Live:
    with _lock:
        if len(_runs) >= _KEEP:
            oldest = min(_runs, key=lambda k: _runs[k].touched)
            del _runs[oldest]
        _runs[run_id] = found
    return found


def _facts(run_id: str, *, owner_id, recipe: str, plan: dict, inputs, done: set[str],
           nodes: dict[str, str] | None = None) -> _Live:
    steps = plan["steps"]
    return _Live(owner_id=owner_id, recipe=recipe, size=eta.input_size(inputs),
                 nodes=nodes or {s["cache_id"]: s["node"] for s in steps},
                 kinds={s["node"]: eta.kind(s["type"], s.get("config")) for s in steps},
                 done=done)


def render_started(run: Run) -> None:
    """A worker claimed an inline run: what its events need comes from the
    row the claim read. Its sources are done; so is any step another run
    rendered first, which only then takes a read (the claim counted them)."""
    steps = run.plan["steps"]
    sources = {s["node"] for s in steps if s["type"] == "SOURCE" and not s["inputs"]}
    done = sources if getattr(run, "steps_done", None) == len(sources) else _done_nodes(run.id)
    _remember(run.id, _facts(run.id, owner_id=run.owner_id, recipe=run.recipe_name,
                             plan=run.plan, inputs=run.inputs, done=done))


def _done_nodes(run_id: str) -> set[str]:
    return set(RunStep.objects.filter(run_id=run_id, step__status=Step.Status.DONE)
               .values_list("node", flat=True))


def _live(run_id: str) -> _Live | None:
    """This process's facts of a run, read once (a spread run's step, or a
    run whose render started in another process)."""
    with _lock:
        found = _runs.get(run_id)
    if found is not None:
        found.touched = time.monotonic()
        return found
    run = Run.objects.filter(pk=run_id).values("owner_id", "recipe_name", "plan", "inputs").first()
    if run is None or not run["plan"]:
        return None
    nodes = dict(RunStep.objects.filter(run_id=run_id).values_list("step_id", "node"))
    return _remember(run_id, _facts(run_id, owner_id=run["owner_id"], recipe=run["recipe_name"],
                                    plan=run["plan"], inputs=run["inputs"],
                                    done=_done_nodes(run_id), nodes=nodes))


def _runs_of(run_id: str | None, cache_id: str) -> list[str]:
    """The runs a step's news is for: the one rendering it inline, or every
    unfinished run whose plan holds it."""
    if run_id is not None:
        return [run_id]
    return list(RunStep.objects.filter(
        step_id=cache_id, run__status__in=[Run.Status.PENDING, Run.Status.RUNNING])
        .values_list("run_id", flat=True).distinct())


def _progress_data(run_id: str, live: _Live) -> dict:
    running = {node: live.frames.get(node) for node in live.started if node not in live.done}
    return {
        "steps_done": len(live.done & set(live.kinds)), "steps_total": len(live.kinds),
        "steps": {node: {"frames_done": f[0], "frames_total": f[1]} if f else {}
                  for node, f in running.items()},
        "eta_seconds": eta.remaining(live, time.monotonic()),
    }


# --- receivers' work ---------------------------------------------------------

def state_changed(run_id: str, state: str, fields: dict) -> None:
    if state not in STATES or (state == Run.Status.PENDING and "queue" in fields):
        # A pending run's message reaching the broker (or not) is the log's
        # news, not a change a stream shows: the run was pending already.
        return
    data = {"status": state}
    for key in ("reason", "output", "attempt", "by"):
        if key in fields:
            data[key] = fields[key]
    if state in Run.FINISHED:
        with _lock:
            _runs.pop(run_id, None)
    event_emit(run_id, Event.Kind.STATE, data)


def step_changed(run_id: str | None, cache_id: str, node: str, type: str, config: dict,
                 state: str, error: str = "") -> None:
    now, timed = time.monotonic(), False
    for rid in _runs_of(run_id, cache_id):
        live = _live(rid)
        if live is None:
            continue
        name = live.nodes.get(cache_id, node)
        if state == "running":
            live.started[name] = now
            live.frames.pop(name, None)
        elif state == "done":
            live.done.add(name)
            begun = live.started.pop(name, None)
            if begun is not None and not timed:
                # Once per render, however many runs share the step.
                timed = True
                eta.record(live.kinds.get(name, eta.kind(type, config)), live.size,
                           live.frames.get(name, (1, 1))[0] or 1, round(now - begun, 4))
        else:
            live.started.pop(name, None)
        data = {"node": name, "type": type, "status": state,
                **({"error": error[:500]} if error else {}), **_progress_data(rid, live)}
        event_write(rid, Event.Kind.STEP, data, owner_id=live.owner_id)


def frames_rendered(run_id: str | None, cache_id: str, node: str, done: int, total: int) -> None:
    """Frame counts of a running step: one event at most every LIVE_PROGRESS_MS per run,
    and the last one of the step always."""
    now = time.monotonic()
    for rid in _runs_of(run_id, cache_id):
        live = _live(rid)
        if live is None:
            continue
        name = live.nodes.get(cache_id, node)
        live.frames[name] = (done, total)
        final = done >= total or done % PROGRESS_EVERY != 0  # the step's last report
        if not final and now - live.last_progress < settings.LIVE_PROGRESS_MS / 1000:
            continue
        live.last_progress = now
        event_write(rid, Event.Kind.PROGRESS, {"node": name, **_progress_data(rid, live)},
                    owner_id=live.owner_id)


def frame_sampled(run_id: str | None, cache_id: str, node: str, frame) -> None:
    """A preview of a long render: a small JPEG every LIVE_PREVIEW_SECONDS."""
    now = time.monotonic()
    for rid in _runs_of(run_id, cache_id):
        live = _live(rid)
        if live is None or now - live.last_preview < settings.LIVE_PREVIEW_SECONDS:
            continue
        live.last_preview = now
        name = live.nodes.get(cache_id, node)
        version = preview_save(rid, name, live.frames.get(name, (0, 0))[0], frame.image)
        event_write(rid, Event.Kind.PREVIEW,
                    {"node": name, "url": f"/runs/{rid}/preview?v={version}"},
                    owner_id=live.owner_id)


def preview_save(run_id: str, node: str, frame_no: int, image) -> int:
    """Store a small JPEG of ``image`` (HxWx3 uint8) as the run's preview; returns its version."""
    picture = Image.fromarray(image)
    picture.thumbnail((settings.LIVE_PREVIEW_PIXELS, settings.LIVE_PREVIEW_PIXELS))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    data = buffer.getvalue()
    with transaction.atomic():
        row, created = Preview.objects.select_for_update().get_or_create(
            run_id=run_id, defaults={"node": node, "frame": frame_no, "image": data, "version": 1})
        if not created:
            row.version += 1
            row.node, row.frame, row.image, row.updated_at = node, frame_no, data, timezone.now()
            row.save(update_fields=["version", "node", "frame", "image", "updated_at"])
    return row.version


def events_prune(*, now=None) -> dict[str, int]:
    """Drop events, previews and timings older than their keep periods."""
    now = now or timezone.now()
    events, _ = Event.objects.filter(
        created_at__lt=now - timedelta(days=settings.LIVE_EVENT_KEEP_DAYS)).delete()
    previews, _ = Preview.objects.filter(
        updated_at__lt=now - timedelta(days=settings.LIVE_EVENT_KEEP_DAYS)).delete()
    timings, _ = StepTiming.objects.filter(
        created_at__lt=now - timedelta(days=settings.LIVE_TIMING_KEEP_DAYS)).delete()
    return {"events": events, "previews": previews, "timings": timings}
