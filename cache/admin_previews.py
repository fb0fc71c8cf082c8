"""Thumbnails for the admin's lists and detail pages (the same URLs the pages use)."""

from django.utils.html import format_html

from . import thumbs
from .models import CacheItem


def thumbnail_html(item: CacheItem | None, size: int = 256, box: int = 64) -> str:
    if item is None:
        return "—"
    if not thumbs.can_preview(item):
        return format_html('<span title="{}">{}</span>', item.media_type,
                           item.media_type.split("/")[-1])
    # Sized by attributes, not a style: the CSP allows no inline styles.
    w, h = item.width or box, item.height or box
    scale = min(1.0, box / max(w, h))
    return format_html(
        '<a href="/cache/{h}/detail"><img src="/cache/{h}/thumb/{s}" data-thumb="/cache/{h}/thumb/{s}" '
        'alt="{alt}" loading="lazy" width="{w}" height="{ht}"></a>',
        h=item.content_hash, s=size, w=max(1, round(w * scale)), ht=max(1, round(h * scale)),
        alt=item.original_name or item.content_hash[:12])
