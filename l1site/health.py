"""GET /health for load balancers: 200 when the database, the broker and the
cache dir all work, else 503 naming what failed (in the one error shape)."""

from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .errors import error_body

BROKER_TIMEOUT = 3  # seconds; a probe must answer before the balancer gives up


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return "ok"


def _cache_dir() -> str:
    # Creating (and removing) a file proves the dir exists and is writable.
    fd, name = tempfile.mkstemp(dir=settings.CACHE_DIR / "tmp", prefix="health-")
    os.close(fd)
    os.unlink(name)
    return "ok"


CHECKS = {"database": _database, "broker": _broker, "cache_dir": _cache_dir}


def health_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
    return results


Health = inline_serializer("Health", {
    "status": serializers.CharField(),
    "checks": serializers.DictField(child=serializers.CharField())})


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []  # a probe every second must never be refused

    @extend_schema(responses={200: Health, 503: OpenApiResponse(description="one error shape; "
                                                                "details.checks says what failed")},
                   tags=["server"])
    def get(self, request):
        checks = health_checks()
        failed = [name for name, result in checks.items() if result != "ok"]
        if failed:
            return JsonResponse(error_body("unhealthy", f"failing: {', '.join(failed)}",
                                           {"checks": checks}), status=503)
        return JsonResponse({"status": "ok", "checks": checks})
