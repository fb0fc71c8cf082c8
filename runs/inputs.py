"""What a run's inputs may be, checked at submission.

Every file's facts (its kind, size per frame, duration, codecs) were read
from its headers when it entered the cache (engine.probe), so a file no
render could take is refused here with a clear 4xx naming the input, before
any work is queued: one that failed to decode, one that is no media at all,
one over the limits of pixels per frame or seconds, and one a SOURCE of kind
"visual" or "audio" cannot take. The engine checks the same limits again
from the headers it reads (engine.limits), for what no fact here tells.
"""

from __future__ import annotations

from django.conf import settings

from cache.models import CacheItem
from engine.dag import plan as planning
from l1site.errors import DomainError

# A plan renders in one task when its steps to render are a line of at most
# this many (each reads the one before: no two could run at once on two
# workers) and every source is a still or an animation, all their frames
# together at most this many pixels (a 2000x2000 photo): each such step
# takes milliseconds, less than a task of its own would cost (runs.steps).
INLINE_STEPS = 8
INLINE_PIXELS = 4_000_000


def media_kind(item: CacheItem) -> str | None:
    """still, animation, video or audio; None for a file that is no media.
    Rows from before the cache recorded kinds are judged by media type."""
    if item.kind:
        return item.kind
    major = item.media_type.split("/", 1)[0]
    if major == "image":
        return "animation" if (item.frames or 1) > 1 else "still"
    return {"video": "video", "audio": "audio"}.get(major)


def _refuse_kind(item: CacheItem, kind: str, wanted: str, label: str, node: str) -> None:
    if wanted == "visual" and kind == "audio":
        raise DomainError(f"{label} is sound only, but node '{node}' takes pictures "
                          "(a still, an animation or a video)", code="wrong_input_kind")
    if wanted == "audio":
        # A video probed on arrival says whether it has sound; one from
        # before the cache recorded codecs is given the benefit of the doubt.
        silent_video = kind == "video" and item.kind and not item.audio_codec
        if kind in ("still", "animation") or silent_video:
            raise DomainError(f"{label} is {'a video' if kind == 'video' else 'a picture'} with "
                              f"no sound, but node '{node}' takes sound", code="wrong_input_kind")


def check_item(item: CacheItem, *, label: str, node: str, wanted: str = "any") -> None:
    """Refuse a file the engine could not render, naming it by ``label``."""
    if item.decode_error:
        raise DomainError(f"{label} cannot be decoded: {item.decode_error}",
                          code="undecodable_input")
    kind = media_kind(item)
    if kind is None:
        raise DomainError(f"{label} is {item.media_type}, not a picture, video or sound this "
                          "server renders", code="unsupported_input")
    width, height = item.width or 0, item.height or 0
    if width * height > settings.MAX_FRAME_PIXELS:
        raise DomainError(f"{label} has frames of {width}x{height} = {width * height} pixels; "
                          f"the limit is {settings.MAX_FRAME_PIXELS} pixels per frame",
                          code="input_too_large", status_code=413)
    duration = item.duration
    if duration is not None and duration > settings.MAX_MEDIA_SECONDS:
        raise DomainError(f"{label} lasts {duration:.1f} s; the limit is "
                          f"{settings.MAX_MEDIA_SECONDS} s", code="input_too_large",
                          status_code=413)
    _refuse_kind(item, kind, wanted, label, node)


def _label(step: planning.Step, member: int | None, ref: str) -> str:
    what = (f"input '{step.config['name']}'" if step.config.get("input")
            else f"source '{step.node}'")
    if member is not None:
        what += f" item {member + 1}"
    return f"{what} ({ref})"


def check_sources(plan: planning.Plan, names: dict[str, str]) -> dict[str, CacheItem]:
    """The cache items every SOURCE of the plan reads, each checked; ``names``
    maps a content hash to the asset name it was given by, for messages."""
    wanted: list[tuple[planning.Step, int | None, str]] = []
    for step in plan.steps:
        if step.type == "SOURCE":
            # A still given a duration is a step of its own over the file.
            members = step.items if step.items is not None else (
                step.inputs[0] if step.inputs else step.cache_id,)
            wanted += [(step, i if step.items is not None else None, h)
                       for i, h in enumerate(members)]
    # A message names the node that reads the source (the one that needs pictures or sound).
    readers: dict[str, str] = {}
    for step in plan.steps:
        for ref in (step.inputs.values() if isinstance(step.inputs, dict) else step.inputs):
            readers.setdefault(ref, step.node)
    items = {i.pk: i for i in CacheItem.objects.filter(pk__in={h for _, _, h in wanted})}
    for step, member, content_hash in wanted:
        item = items.get(content_hash)
        if item is None:
            raise DomainError(f"no cached content with hash {content_hash}",
                              code="unknown_input")
        check_item(item, label=_label(step, member, names.get(content_hash, content_hash)),
                   node=readers.get(step.cache_id, step.node),
                   wanted=step.config.get("kind", "any"))
    return items


def is_small(plan: planning.Plan, items: dict[str, CacheItem]) -> bool:
    """Whether the run renders inline (Run.inline), judged at submission
    from the sources' facts in the cache."""
    work = [s for s in plan.steps if s.type != "SOURCE" or s.inputs]
    if not work:
        return True  # nothing to render: identity, or every output a source
    if len(work) > INLINE_STEPS or any(s.type == "SOURCE" for s in work):
        return False  # many steps, or a still made into a clip of some length
    ids = {s.cache_id for s in work}
    readers = [ref for s in work
               for ref in (s.inputs.values() if isinstance(s.inputs, dict) else s.inputs)
               if ref in ids]
    if len(set(readers)) != len(readers) or len(work) - len(readers) != 1:
        return False  # branches: they render at once on several workers
    pixels = 0
    for item in items.values():
        if media_kind(item) not in ("still", "animation"):
            return False
        pixels += (item.width or 0) * (item.height or 0) * max(item.frames or 1, 1)
    return pixels <= INLINE_PIXELS
