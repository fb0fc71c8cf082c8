"""Where a cached file came from and where it went.

The chain back to the sources is walked breadth first, one query per level
(not one per run), with a seen-set, because identity runs output their own
input and would otherwise loop. It stops at MAX_RUNS runs and says so.
"""

from __future__ import annotations

from django.db.models import Prefetch

from cache.models import CacheItem
from cache.services import cache_item
from l1site.errors import NotFound
from runs.models import Run, RunInput

MAX_RUNS = 500
MAX_USED_BY = 100


def _summary(run: Run) -> dict:
    return {"run_id": run.id, "url": f"/runs/{run.id}", "recipe": run.recipe_name,
            "status": run.status, "owner": run.owner.username if run.owner else None,
            "inputs": [row.content_hash for row in run.input_rows.all()],
            "output_hash": run.output_id, "created_at": run.created_at.isoformat()}


def _runs():
    return Run.objects.select_related("owner").prefetch_related(
        Prefetch("input_rows", queryset=RunInput.objects.order_by("position")))


def _item(item: CacheItem) -> dict:
    return {"content_hash": item.content_hash, "origin": item.origin,
            "original_name": item.original_name, "media_type": item.media_type,
            "url": f"/cache/{item.content_hash}"}


def lineage(content_hash: str) -> dict:
    item = cache_item(content_hash)  # the row is enough: no bytes needed
    completed = _runs().filter(status=Run.Status.COMPLETED)
    produced_by = list(completed.filter(output_id=content_hash).order_by("created_at"))
    used = _runs().filter(input_rows__content_hash=content_hash).distinct().order_by("-created_at")
    used_by = list(used[:MAX_USED_BY + 1])

    walked = _walk([], {content_hash})
    return {
        **_item(item),
        "produced_by": [_summary(r) for r in produced_by],
        "used_by": [_summary(r) for r in used_by[:MAX_USED_BY]],
        "used_by_truncated": len(used_by) > MAX_USED_BY,
        **walked,
    }


def _walk(chain: list[Run], start: set[str]) -> dict:
    """The completed runs behind the items in start, level by level, back to
    files no run made; chain holds runs already taken (a run's own lineage)."""
    completed = _runs().filter(status=Run.Status.COMPLETED)
    seen_runs = {run.id for run in chain}
    seen_items = set(start)
    frontier = set(start)
    truncated = False
    while frontier and not truncated:
        level = [r for r in completed.filter(output_id__in=frontier).order_by("created_at")
                 if r.id not in seen_runs]
        frontier = set()
        for run in level:
            if len(chain) >= MAX_RUNS:
                truncated = True
                break
            chain.append(run)
            seen_runs.add(run.id)
            for row in run.input_rows.all():
                if row.content_hash not in seen_items:
                    seen_items.add(row.content_hash)
                    frontier.add(row.content_hash)
    items = {i.pk: i for i in CacheItem.objects.filter(pk__in=seen_items)}
    return {
        "chain": {"runs": [_summary(r) for r in chain],
                  "items": [_item(items[h]) for h in sorted(items)],
                  "truncated": truncated},
        "sources": sorted((_item(i) for i in items.values()
                           if i.origin != CacheItem.Origin.RENDERED),
                          key=lambda i: i["content_hash"]),
    }


def run_lineage(run_id: str) -> dict:
    """A run, and the chain behind its inputs back to their sources (for a run
    in any state: a failed run's inputs still came from somewhere)."""
    run = _runs().filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    inputs = {row.content_hash for row in run.input_rows.all()}
    return {"run": _summary(run), **_walk([run], inputs)}
