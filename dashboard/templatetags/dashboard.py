from django import template

from cache import thumbs
from cache.models import CacheItem

register = template.Library()


def _kind(item: CacheItem) -> str:
    if item.kind == CacheItem.Kind.VIDEO or item.media_type.startswith("video/"):
        return "video"
    if thumbs.can_preview(item):
        return "image"
    if item.media_type.startswith("audio/"):
        return "audio"
    return "other"


def _fit(item: CacheItem, size: int) -> tuple[int | None, int | None]:
    """The thumbnail's own dimensions, so the page does not jump when it loads."""
    if not (item.width and item.height):
        return None, None
    scale = min(1.0, size / max(item.width, item.height))
    return max(1, round(item.width * scale)), max(1, round(item.height * scale))


@register.inclusion_tag("dashboard/_preview.html")
def preview(item: CacheItem | None, size: int = 256, alt: str = "", controls: bool = False):
    if item is None:
        return {"item": None}
    width, height = _fit(item, size)
    label = alt or item.original_name or f"{item.content_hash[:12]}…"
    state = thumbs.thumbnail_state(item, size) if thumbs.can_preview(item) else "none"
    return {"item": item, "size": size, "kind": _kind(item), "width": width, "height": height,
            "state": state,
            # A video's poster frame is a thumbnail like any other; one that
            # cannot be made leaves the browser to draw the first frame.
            "poster": state != "none",
            "alt": f"{label} ({item.media_type})", "controls": controls,
            "label": item.media_type.split("/")[-1][:12] or "file"}


@register.filter
def clock(seconds) -> str:
    """A length as players show it: 0:07, 3:25, 1:02:09."""
    if seconds is None:
        return ""
    # Whole seconds down, as a player counts (1.5 s shows 0:01 beside its
    # 0:01); the 50 ms keeps a 2 s file an encoder made 1.98 s long at 0:02.
    whole = int(float(seconds) + 0.05)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@register.filter
def rate(fps) -> str:
    """A frame rate without noise: 25, 29.97, 12.5."""
    if not fps:
        return ""
    return f"{float(fps):.2f}".rstrip("0").rstrip(".")


@register.filter
def channel_layout(channels) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels" if channels else "")


@register.simple_tag
def sound_facts(item: CacheItem) -> str:
    """"aac, 48 kHz, stereo": the sound of a file, in one phrase."""
    parts = [item.audio_codec]
    if item.sample_rate:
        parts.append(f"{item.sample_rate / 1000:g} kHz")
    parts.append(channel_layout(item.channels))
    return ", ".join(p for p in parts if p)
