"""GET /health for load balancers: 200 when the database, the broker, the
cache dir and the queues all work, else 503 naming what failed (in the one
error shape).

A queue is *stalled* when messages have waited in it for
QUEUE_STALL_SECONDS (so nothing took one off it meanwhile: the queues are
first in, first out) while a worker that consumes it answers and has a pool
process free. That is a worker alive on the outside and doing nothing on the
inside, which a ping alone would call healthy. A worker busy with long
renders is not stalled: every process it has is working."""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .celery import app
from .errors import error_body

BROKER_TIMEOUT = 3  # seconds; a probe must answer before the balancer gives up
# The header l1site.celery stamps on every message it publishes (time.time()).
PUBLISHED_AT = "published_at"


class QueueStalled(Exception):
    pass


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return "ok"


def _cache_dir() -> str:
    # Creating (and removing) a file proves the dir exists and is writable.
    fd, name = tempfile.mkstemp(dir=settings.CACHE_DIR / "tmp", prefix="health-")
    os.close(fd)
    os.unlink(name)
    return "ok"


def queue_names() -> list[str]:
    names = [q.name for q in (app.conf.task_queues or ())]
    extra = [app.conf.task_default_queue, settings.THUMB_QUEUE,
             getattr(settings, "L2_PUBLISH_QUEUE", "")]
    return list(dict.fromkeys(names + [n for n in extra if n]))


def _oldest_published(channel, queue: str) -> float | None:
    """When the message next in line in `queue` was published (epoch
    seconds), or None when the transport cannot say."""
    folder = getattr(channel, "data_folder_in", None)
    if folder is not None:  # the filesystem transport: one file per message
        suffix = f"{queue}.msg"
        times = []
        for entry in os.scandir(folder):
            if entry.name.partition(".")[2] == suffix:
                try:
                    times.append(entry.stat().st_mtime)
                except FileNotFoundError:
                    pass  # consumed while we looked
        return min(times, default=None)
    if hasattr(channel, "_q_for_pri"):  # Redis: LPUSH in, BRPOP out, so the tail is next
        stamps = []
        with channel.conn_or_acquire() as client:
            for pri in channel.priority_steps:
                raw = client.lindex(channel._q_for_pri(queue, pri), -1)
                if raw:
                    stamp = json.loads(raw).get("headers", {}).get(PUBLISHED_AT)
                    if isinstance(stamp, (int, float)):
                        stamps.append(stamp)
        return min(stamps, default=None)
    return None


def queue_depths() -> dict[str, dict]:
    """Each queue's waiting messages and how long the next in line has waited."""
    now = time.time()
    depths = {}
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        channel = conn.default_channel
        for name in queue_names():
            waiting = channel._size(name)
            oldest = _oldest_published(channel, name) if waiting else None
            depths[name] = {"waiting": waiting,
                            "oldest_seconds": None if oldest is None else max(0, round(now - oldest, 1))}
    return depths


def _workers() -> dict[str, dict]:
    """Each answering worker's queues, concurrency and tasks in progress."""
    inspect = app.control.inspect(timeout=settings.HEALTH_WORKER_TIMEOUT)
    with ThreadPoolExecutor(3) as pool:
        queues, stats, active = pool.map(lambda ask: ask() or {},
                                         (inspect.active_queues, inspect.stats, inspect.active))
    return {name: {"queues": {q["name"] for q in queues.get(name, [])},
                   "processes": stats.get(name, {}).get("pool", {}).get("max-concurrency", 0),
                   "active": len(active.get(name, []))}
            for name in set(queues) | set(stats)}


def stalled_queues(depths: dict[str, dict]) -> list[str]:
    """Why each stalled queue is stalled, one sentence each."""
    old = {name: d for name, d in depths.items()
           if d["waiting"] and (d["oldest_seconds"] or 0) >= settings.QUEUE_STALL_SECONDS}
    if not old:
        return []  # the common case: no broadcast to the workers at all
    workers = _workers()
    reasons = []
    for name, depth in old.items():
        idle = sorted(w for w, info in workers.items()
                      if name in info["queues"] and info["active"] < info["processes"])
        if idle:
            reasons.append(f"{name}: {depth['waiting']} waiting, the oldest for "
                           f"{depth['oldest_seconds']:.0f} s, while {', '.join(idle)} "
                           f"answer with pool processes free")
    return reasons


def health_checks() -> tuple[dict[str, str], dict[str, dict]]:
    results, depths = {}, {}
    for name, check in (("database", _database), ("broker", _broker), ("cache_dir", _cache_dir)):
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
    if results["broker"] != "ok":
        results["queues"] = "not checked: the broker failed"
        return results, depths
    try:
        depths = queue_depths()
        if reasons := stalled_queues(depths):
            raise QueueStalled("; ".join(reasons))
        results["queues"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        results["queues"] = f"failed: {type(exc).__name__}: {exc}"[:600]
    return results, depths


Health = inline_serializer("Health", {
    "status": serializers.CharField(),
    "checks": serializers.DictField(child=serializers.CharField()),
    "queues": serializers.DictField(child=serializers.DictField(), help_text=(
        "per queue: messages waiting, and seconds the next in line has waited"))})


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []  # a probe every second must never be refused

    @extend_schema(responses={200: Health, 503: OpenApiResponse(description="one error shape; "
                                                                "details.checks says what failed")},
                   tags=["server"])
    def get(self, request):
        checks, queues = health_checks()
        failed = [name for name, result in checks.items() if result.startswith("failed")]
        if failed:
            return JsonResponse(error_body("unhealthy", f"failing: {', '.join(failed)}",
                                           {"checks": checks, "queues": queues}), status=503)
        return JsonResponse({"status": "ok", "checks": checks, "queues": queues})
