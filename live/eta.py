"""How long a run still needs, from how long the same kinds of step took
before at similar sizes (live.models.StepTiming), and, once a step has
written enough frames, from its own pace."""

from __future__ import annotations

import statistics

from cache.models import CacheItem

from .models import StepTiming

SIMILAR = 2.0      # a size within this factor either way counts as similar
HISTORY = 20       # the latest timings an estimate takes the median of
PACE_AFTER = 0.05  # a step's own pace counts once this share of its frames is written


def kind(step_type: str, config: dict | None) -> str:
    """The kind of a step: its type, and for an effect which one (a blur and
    an invert differ more than two sizes of either)."""
    config = config or {}
    name = config.get("effect") or config.get("name")
    return f"{step_type}:{name}"[:80] if step_type == "EFFECT" and isinstance(name, str) \
        else step_type[:80]


def input_size(inputs: list[dict]) -> int:
    """Pixels x frames of a run's input files (a list input's members all count)."""
    hashes = []
    for ref in inputs or []:
        value = ref.get("content_hash")
        hashes += value if isinstance(value, list) else [value]
    size = 0
    for width, height, frames in CacheItem.objects.filter(pk__in=hashes).values_list(
            "width", "height", "frames"):
        size += (width or 1) * (height or 1) * max(frames or 1, 1)
    return max(size, 1)


def typical(step_kind: str, size: int) -> float | None:
    """The median seconds of the latest steps of this kind at a similar size."""
    seconds = list(StepTiming.objects.filter(
        kind=step_kind, size__gte=int(size / SIMILAR), size__lte=int(size * SIMILAR))
        .order_by("-created_at").values_list("seconds", flat=True)[:HISTORY])
    return statistics.median(seconds) if seconds else None


def remaining(live, now: float) -> float | None:
    """Seconds until the run's steps are all done; None while any step's is unknown."""
    total = 0.0
    for node, step_kind in live.kinds.items():
        if node in live.done or step_kind == "SOURCE":
            continue
        if step_kind not in live.typical:  # read once per run: the history as it started
            live.typical[step_kind] = typical(step_kind, live.size)
        past = live.typical[step_kind]
        if node in live.started:
            elapsed = now - live.started[node]
            done, expected = live.frames.get(node, (0, 0))
            if expected > 1 and done >= max(1, expected * PACE_AFTER):
                total += elapsed / done * max(expected - done, 0)
            elif past is not None:
                total += max(past - elapsed, 0.0)
            else:
                return None
        elif past is None:
            return None
        else:
            total += past
    return round(total, 1)
