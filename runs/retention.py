"""What runs hold in the cache, and what becomes of them when it lets go.

Registered with cache.holders in RunsConfig.ready(): the cache's garbage
collection and repair ask these and never import runs. Runs need the inputs
of pending and running runs (RunInput rows, list members included) and every
step output their plans hold, whatever its age, and the outputs of runs and
steps finished within the retention. A run whose output goes is failed
with a reason, so submitting it again renders the same bytes anew; a step
whose output goes is pending again, and the next run that needs it renders it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from cache.holders import Holder

from .models import Run, RunInput, Step

ACTIVE = [Run.Status.PENDING, Run.Status.RUNNING]


def needed(cutoff: datetime) -> list[QuerySet]:
    return [
        Run.objects.filter(finished_at__gte=cutoff, output__isnull=False).values("output_id"),
        Step.objects.filter(finished_at__gte=cutoff, output__isnull=False).values("output_id"),
        RunInput.objects.filter(run__status__in=ACTIVE).values("content_hash"),
        Step.objects.filter(run_steps__run__status__in=ACTIVE,
                            output__isnull=False).values("output_id"),
    ]


def needs(content_hash: str, cutoff: datetime) -> bool:
    """As needed(), for one item (indexed lookups). A run that has the item
    as its output and has not finished yet keeps it too."""
    return (Run.objects.filter(Q(finished_at__gte=cutoff) | Q(finished_at__isnull=True),
                               output_id=content_hash).exists()
            or Step.objects.filter(output_id=content_hash, finished_at__gte=cutoff).exists()
            or RunInput.objects.filter(content_hash=content_hash, run__status__in=ACTIVE).exists()
            or Step.objects.filter(output_id=content_hash,
                                   run_steps__run__status__in=ACTIVE).exists())


def _forget_steps(content_hash: str) -> None:
    """Graph steps whose output goes are no longer cached: the next run that
    needs one renders it again (the same bytes)."""
    Step.objects.filter(output_id=content_hash).update(
        status=Step.Status.PENDING, output=None, media_type="", lease_owner="",
        lease_expires_at=None)


def collected(content_hash: str) -> int:
    """cache_gc deletes the item. Old runs keep their history and provenance;
    only the bytes go. Returns how many runs lost their output."""
    expired = Run.objects.filter(output_id=content_hash).update(
        status=Run.Status.FAILED, output=None,
        error=f"output collected by cache_gc (older than {settings.GC_KEEP_DAYS} days); "
              "submit again to re-render")
    _forget_steps(content_hash)
    return expired


def lost(content_hash: str) -> str:
    """The item's bytes are lost: the runs that produced it are failed
    (submitting again re-renders the same bytes)."""
    count = Run.objects.filter(output_id=content_hash, status=Run.Status.COMPLETED).update(
        status=Run.Status.FAILED, output=None,
        error="output lost from the cache (missing or corrupt); submit again to re-render")
    _forget_steps(content_hash)
    return f"{count} run(s) marked for re-render" if count else ""


HOLDER = Holder(needed=needed, needs=needs, collected=collected, lost=lost)
