"""The caching headers of content and thumbnails (both named by a hash)."""

from django.conf import settings


def immutable_cache_control() -> str:
    """Bytes named by their hash never change: cache them for a year. Any
    shared cache or CDN may keep them for everyone (they carry no Vary:
    Cookie, see cache.views.CacheContent), unless the server is private
    (L1_PRIVATE): then only the browser of whoever was let in keeps them."""
    return f"{'private' if settings.L1_PRIVATE else 'public'}, max-age=31536000, immutable"
