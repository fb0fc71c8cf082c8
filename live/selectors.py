"""Reading events: who may see which, what a stream resumes with, and a
run's state as of now (the first event of a new stream)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from runs.graphs import run_progress
from runs.models import Run

from .models import Event, Preview

BACKLOG = 2000  # events one resume sends at most (older ones: reload the page)


class Scope:
    """Which runs' events a stream shows: one run, one owner's, or all (staff)."""

    def __init__(self, *, run_id: str | None = None, owner_id: int | None = None,
                 everything: bool = False):
        self.run_id, self.owner_id, self.everything = run_id, owner_id, everything

    def q(self) -> Q:
        if self.run_id is not None:
            return Q(run_id=self.run_id)
        if self.everything:
            return Q()
        return Q(owner_id=self.owner_id)

    def matches(self, event: dict) -> bool:
        if self.run_id is not None:
            return event["run_id"] == self.run_id
        return self.everything or event["owner_id"] == self.owner_id


FIELDS = ("id", "run_id", "owner_id", "kind", "data", "created_at")


def events_after(scope: Scope, after: int, *, limit: int = BACKLOG) -> list[dict]:
    return list(Event.objects.filter(scope.q(), id__gt=after).order_by("id")
                .values(*FIELDS)[:limit])


def events_recent(scope: Scope, after: int, *, seconds: float) -> list[dict]:
    """The scope's events after ``after``, and those of the last ``seconds``."""
    since = timezone.now() - timedelta(seconds=seconds)
    return list(Event.objects.filter(scope.q()).filter(Q(id__gt=after) | Q(created_at__gte=since))
                .order_by("id").values(*FIELDS)[:BACKLOG])


def events_since(after: int, *, limit: int = 5000) -> list[dict]:
    """Every scope's: what a web process's hub reads and hands out."""
    return list(Event.objects.filter(id__gt=after).order_by("id").values(*FIELDS)[:limit])


def events_by_id(ids: list[int]) -> list[dict]:
    return list(Event.objects.filter(id__in=ids).order_by("id").values(*FIELDS))


def recent_ids(scope: Scope, upto: int, *, window: int = 2000) -> set[int]:
    """The ids of the scope's events among the last ``window`` up to ``upto``."""
    return set(Event.objects.filter(scope.q(), id__gt=upto - window, id__lte=upto)
               .values_list("id", flat=True))


def last_event_id() -> int:
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


def run_snapshot(run: Run) -> dict:
    """The run as of now, its steps included, overlaid with what its latest
    events say (an inline render records its steps only when it completes,
    so mid-render only the events know which are done)."""
    progress = run_progress(run) or {"items": [], "total": 0}
    states = {item["node"]: {"status": item["status"]} for item in progress["items"]}
    frames, eta, preview = {}, None, None
    if run.status not in Run.FINISHED:
        started = run.started_at
        recent = Event.objects.filter(run_id=run.id, kind__in=["step", "progress"])
        if started:
            recent = recent.filter(created_at__gte=started)
        for event in recent.order_by("id").values("kind", "data"):
            data = event["data"]
            if event["kind"] == "step" and data.get("node") in states:
                if states[data["node"]]["status"] not in ("done", "cached"):
                    states[data["node"]]["status"] = data["status"]
            frames = data.get("steps", frames)
            eta = data.get("eta_seconds", eta)
        for node, counts in frames.items():
            if node in states and states[node]["status"] == "running":
                states[node].update(counts)
        preview = Preview.objects.filter(run_id=run.id).values_list("version", flat=True).first()
    done = sum(1 for s in states.values() if s["status"] in ("done", "cached"))
    return {"run": run.id, "status": run.status, "recipe": run.recipe_name,
            "error": run.error[:500], "output": run.output_id,
            "steps_done": done, "steps_total": len(states), "nodes": states,
            "eta_seconds": eta if run.status not in Run.FINISHED else None,
            "preview": f"/runs/{run.id}/preview?v={preview}" if preview else None}
