from django import template

from cache import thumbs
from cache.models import CacheItem

register = template.Library()


def _kind(item: CacheItem) -> str:
    if thumbs.can_preview(item):
        return "image"
    if item.media_type.startswith("video/"):
        return "video"  # the browser draws the poster frame from the file itself
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
    return {"item": item, "size": size, "kind": _kind(item), "width": width, "height": height,
            "state": thumbs.thumbnail_state(item, size) if thumbs.can_preview(item) else "none",
            "alt": f"{label} ({item.media_type})", "controls": controls,
            "label": item.media_type.split("/")[-1][:12] or "file"}

