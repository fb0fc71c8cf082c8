"""Every API error answer leaves here, in the one shape (l1site.errors):
DRF's exceptions, our domain errors, the engine's refusals and Django's own
400/403/404/500."""

from __future__ import annotations

import sys

from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from engine.errors import EngineError, TooLarge

from .errors import DomainError, error_body

def first_message(detail) -> str:
    """The first of a serializer's errors, as one line ("field: what is wrong")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = first_message(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
    if isinstance(detail, list) and detail:
        return first_message(detail[0])
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, EngineError):
        code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if isinstance(exc, TooLarge) else 400
        return Response(error_body(exc.code, str(exc)), status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500 (handler500)
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", first_message(exc.detail), {"fields": exc.detail})
    else:
        code = getattr(exc, "default_code", "error")
        body = error_body(code, first_message(response.data.get("detail", response.data)))
    response.data = body
    return response


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", f"no such path: {request.path}"), status=404)


def json_500(request):
    # Django calls this inside its `except`: the exception is still at hand.
    # The database itself being down (restarting, unreachable) is not a bug
    # of ours: 503 tells clients and balancers to try again shortly.
    if isinstance(sys.exc_info()[1], (db.OperationalError, db.InterfaceError)):
        response = JsonResponse(error_body("database_unavailable",
                                           "the database is unavailable; try again shortly"),
                                status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse(error_body("server_error", "internal error; the server log has details"),
                        status=500)


def json_400(request, exception=None):
    return JsonResponse(error_body("bad_request", "bad request"), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body("forbidden", "forbidden"), status=403)
