from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import ApiTokenAuthentication

from cache import services, thumbs
from cache.models import CacheItem
from l1site.errors import error_body
from l1site.errors import DomainError
from provenance.lineage import lineage
from runs.selectors import recipes_listed, runs_consuming

from .. import selectors
from .common import page


@page()
def cache_browser(request):
    filters = {key: request.GET.get(key, "") for key in ("media_type", "origin", "q")}
    result = selectors.cache_browse(**filters, cursor=request.GET.get("after", ""),
                                    limit=settings.DASHBOARD_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "dashboard/cache_list.html", {
        "page": result, "filters": filters, "query": query.urlencode(),
        "media_types": selectors.MEDIA_TYPE_CHOICES, "origins": CacheItem.Origin.values,
        "first_page": not request.GET.get("after"),
    })


@page()
def item_page(request, content_hash: str):
    # The row alone: the page shows the record and lineage of a file whose
    # bytes are gone, and never downloads an original from the shared store.
    item = services.cache_item(content_hash)
    return render(request, "dashboard/cache_item.html", {
        "item": item,
        "bytes_available": services.cache_bytes_available(item.content_hash),
        "assets": item.assets.order_by("name"),
        "produced_by": item.produced_by.select_related("owner").order_by("-created_at")[:20],
        "consumed_by": runs_consuming(content_hash=item.content_hash).select_related(
            "owner", "output")[:20],
        "recipes": recipes_listed(),
        # The chain of runs back to imported and uploaded sources (GET /cache/{hash}/lineage).
        "lineage": lineage(item.content_hash),
    })


def _may_read_private(request) -> bool:
    if request.user.is_authenticated:  # the session of a logged-in browser
        return True
    try:  # an API client's token, as GET /cache/{hash} takes it
        return ApiTokenAuthentication().authenticate(request) is not None
    except AuthenticationFailed:
        return False


def thumbnail(request, content_hash: str, size: int):
    """A WebP thumbnail: served when made, otherwise 503 + Retry-After while a
    worker makes it (pages show a placeholder and try again). A private
    server (L1_PRIVATE) shows them to logged-in users and token holders
    only, as its content."""
    if settings.L1_PRIVATE and not _may_read_private(request):
        return JsonResponse(error_body("not_authenticated", "log in to see this server's content"),
                            status=401)
    if size not in thumbs.SIZES:
        return JsonResponse(error_body("invalid_size", f"size must be one of {thumbs.SIZES}"),
                            status=400)
    try:
        # The row alone: a made thumbnail is served without the original's
        # bytes, and a missing one is made by the task, which fetches them.
        item = services.cache_item(content_hash)
    except DomainError as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    path = thumbs.thumbnail_request(item, size)
    if path is not None:
        return thumbs.serve_thumbnail(item, size, path,
                                      if_none_match=request.headers.get("If-None-Match", ""))
    if thumbs.thumbnail_state(item, size) == "none":
        return JsonResponse(error_body("no_preview", f"{item.media_type} has no preview"),
                            status=404)
    response = JsonResponse(error_body("thumbnail_pending", "the thumbnail is being made"),
                            status=503)
    response["Retry-After"] = "2"
    response["Cache-Control"] = "no-store"
    return response
