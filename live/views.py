"""GET /runs/{id}/events, GET /events (Server-Sent Events) and a run's preview frame."""

from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from l1site.errors import DomainError, NotFound
from runs import services as runs

from . import selectors, streams
from .models import Preview

class StreamNegotiation(BaseContentNegotiation):
    """Errors answer JSON whatever the client accepts (an EventSource sends
    Accept: text/event-stream); the stream itself is not rendered by DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


def _after(request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise DomainError(f"Last-Event-ID must be an event id (a whole number), got {raw[:40]!r}",
                          code="invalid_last_event_id")
    return int(raw)


def _response(request, scope: selectors.Scope, after: int | None, snapshot) -> StreamingHttpResponse:
    if isinstance(request._request, ASGIRequest):
        body = streams.stream_async(scope, after, snapshot)
    else:
        body = streams.stream_sync(scope, after, snapshot)
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # a buffering proxy (nginx) would hold events back
    return response


class RunEvents(APIView):
    """One run's events as they happen: its state, each step's, frames
    rendered out of the total, steps done out of the total, the ETA and
    preview frames. Anyone who may read the run may follow it."""

    content_negotiation_class = StreamNegotiation

    # Out of the OpenAPI schema: a stream has no body to describe and never
    # ends, which generated clients and schema fuzzers cannot use (README: Live).
    @extend_schema(exclude=True)
    def get(self, request, run_id: str):
        after = _after(request)
        run = runs.run_get(run_id)
        return _response(request, selectors.Scope(run_id=run.id), after,
                         None if after is not None else lambda: selectors.run_snapshot(
                             runs.run_get(run.id)))


class Events(APIView):
    """The events of the caller's runs (every run's, for staff)."""

    content_negotiation_class = StreamNegotiation
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request):
        after = _after(request)
        user = request.user
        scope = selectors.Scope(everything=True) if user.is_staff else \
            selectors.Scope(owner_id=user.pk)
        return _response(request, scope, after, None)


class RunPreview(APIView):
    """The latest preview frame of a run's render (JPEG), while it renders and after."""

    @extend_schema(responses={200: OpenApiResponse(description="image/jpeg")})
    def get(self, request, run_id: str):
        run = runs.run_get(run_id)
        row = Preview.objects.filter(run_id=run.id).values("image", "version").first()
        if row is None:
            raise NotFound(f"run {run.id} has no preview (only long renders have one)")
        response = HttpResponse(bytes(row["image"]), content_type="image/jpeg")
        # The URL carries the version (?v=), so a fetched one never changes.
        response["Cache-Control"] = "private, max-age=3600" if request.GET.get("v") else "no-cache"
        return response
