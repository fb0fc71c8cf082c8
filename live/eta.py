"""How long a run still needs, from how long the same kinds of step took
before at similar sizes (live.models.StepTiming), and, once a step has
written enough frames, from its own pace."""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import dataclass

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


@dataclass
class _Seen:
    """The latest timings of one kind near one size, as this process knows them."""
    size: int
    read_at: float
    seconds: list[float]


_typical: dict[tuple[str, int], _Seen] = {}
_typical_lock = threading.Lock()
TYPICAL_FOR = 30.0  # seconds a process reuses what it read for runs of about the same size


def _key(step_kind: str, size: int) -> tuple[str, int]:
    return step_kind, round(math.log2(max(size, 1)) * 2)  # half powers of two


def typical(step_kind: str, size: int) -> float | None:
    """The median seconds of the latest steps of this kind at a similar size.
    A worker rendering a stream of small runs asks this once a run: what it
    read for a kind at about this size is kept for TYPICAL_FOR, with its own
    timings added as it records them, so a run's bookkeeping is no query."""
    key, now = _key(step_kind, size), time.monotonic()
    with _typical_lock:
        seen = _typical.get(key)
        if seen is not None and now - seen.read_at < TYPICAL_FOR:
            return statistics.median(seen.seconds) if seen.seconds else None
    seconds = list(StepTiming.objects.filter(
        kind=step_kind, size__gte=int(size / SIMILAR), size__lte=int(size * SIMILAR))
        .order_by("-created_at").values_list("seconds", flat=True)[:HISTORY])
    with _typical_lock:
        if len(_typical) > 1024:
            _typical.clear()
        _typical[key] = _Seen(size, now, seconds)
    return statistics.median(seconds) if seconds else None


def record(step_kind: str, size: int, frames: int, seconds: float) -> None:
    """A step's timing, for later estimates: this process's next estimates
    count it at once, other processes' once their TYPICAL_FOR is up."""
    StepTiming.objects.create(kind=step_kind, size=size, frames=frames, seconds=seconds)
    with _typical_lock:
        for (kind_, _), seen in _typical.items():
            if kind_ == step_kind and seen.size / SIMILAR <= size <= seen.size * SIMILAR:
                seen.seconds = [seconds, *seen.seconds][:HISTORY]


def forget() -> None:
    with _typical_lock:
        _typical.clear()


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
