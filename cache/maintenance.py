"""Keeping the cache honest and within bounds: verify every file against its
hash (cache_verify), collect what nothing refers to (cache_gc), and report
disk usage. Commands and the admin call these. What the apps above the cache
still use, and what they do when an item goes, they say through
cache.holders."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from . import content, objects
from .holders import holders
from .models import CacheItem
from .services import cache_verify_item
from .store import Progress, cache_path

log = logging.getLogger(__name__)


# --- verify ------------------------------------------------------------------

@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # human-readable lines

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt)


def quarantine(content_hash: str) -> Path:
    """Move a file whose bytes no longer match its name out of the store:
    nobody may download it under that hash again, but an operator can look."""
    folder = settings.CACHE_DIR / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{content_hash}.{int(time.time())}"
    os.replace(cache_path(content_hash), target)
    return target


def _repair(item: CacheItem) -> str:
    """Make the index truthful about a lost file: its holders let go of it
    (runs that produced it are failed, so submitting again re-renders the
    same bytes); an item nothing needs is dropped; an asset's content must
    be imported again."""
    notes = [note for holder in holders() if (note := holder.lost(item.pk))]
    if item.assets.exists() or item.pinned:
        return f"{item.pk}: needed by an asset or pinned; import the original file again"
    item.delete()
    return f"{item.pk}: removed from the index" + "".join(f"; {note}" for note in notes)


def cache_verify_all(*, repair: bool = False, progress: Progress = None) -> VerifyReport:
    """Re-hash every stored file, streaming. Corrupt files are quarantined."""
    report = VerifyReport()
    for item in CacheItem.objects.order_by("content_hash").iterator(chunk_size=500):
        state = cache_verify_item(item, progress)
        report.checked += 1
        if state == "ok":
            continue
        if state == "corrupt":
            report.corrupt.append(item.pk)
            quarantine(item.pk)
            report.quarantined.append(item.pk)
        else:
            report.missing.append(item.pk)
        if repair:
            report.repaired.append(_repair(item))
    return report


# --- garbage collection ------------------------------------------------------

@dataclass
class GcReport:
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    kept_in_use: int = 0
    orphan_files: int = 0
    orphan_objects: int = 0  # in the shared store's bucket
    stale_temp_files: int = 0
    expired_runs: int = 0  # rows of the holders (runs) whose output was collected
    # "<hash>: <why>" for an item kept because the bucket would not delete
    # its object; gc stops there (the next item would most likely fail the
    # same way, each after a round of retries).
    store_failed: list[str] = field(default_factory=list)


def _in_use(content_hash: str, cutoff) -> bool:
    """Checked under the item's row lock: an asset, a pin, or a holder that
    still needs it (runs: one finished within the retention, or a pending or
    running run that needs it)."""
    item = CacheItem.objects.select_for_update().filter(pk=content_hash).first()
    if item is None:
        return True  # someone else collected it; nothing to do
    return (item.pinned or item.assets.exists()
            or any(holder.needs(content_hash, cutoff) for holder in holders()))


def _collect(content_hash: str, cutoff, report: GcReport) -> int | None:
    """Delete one item if nothing uses it; returns its size, or None if kept.
    Raises StoreUnavailable, with nothing changed, if the bucket (s3) would
    not delete its object."""
    with transaction.atomic():
        if _in_use(content_hash, cutoff):
            return None
        item = CacheItem.objects.get(pk=content_hash)
        # Its holders let go first (runs keep their history and provenance;
        # only the bytes go), or the delete would be refused.
        expired = sum(holder.collected(content_hash) for holder in holders())
        item.delete()
        # The bucket's object goes last, still under the row lock and before
        # the commit, never after it. A writer indexing the same bytes
        # (cache_record) reads the row first and, if it is gone, uploads only
        # when the bucket lacks the object (content.stored). Until we commit
        # it still sees the row and indexes nothing; once we have committed,
        # the object is already gone, so it uploads the bytes again before
        # its insert. Deleting after the commit would let it find the object,
        # skip the upload and index a row whose object we then delete.
        # (A writer that read "no row" before this row existed is kept out
        # by the grace period: gc never collects a row younger than that.)
        # If the bucket refuses, the exception rolls everything back: the
        # row and its holders' rows (runs, steps) stay as they were and the
        # next gc tries again, rather than leaving an object no row leads to.
        # The one window left is a commit that fails after the delete: the
        # row then names an object that is gone; this host still has its
        # copy, other hosts answer 404, and cache_verify there reports it
        # missing (--repair drops it).
        content.unpublish(content_hash)
    report.expired_runs += expired
    # After the commit: a rollback must not lose a file. A crash here leaves
    # an orphan file, which the next collection removes.
    cache_path(content_hash).unlink(missing_ok=True)
    return item.size


def _sweep_files(report: GcReport, *, dry_run: bool, grace: float) -> None:
    """Files the index does not know (a crash between storing and indexing)
    and temp files left by interrupted uploads and renders."""
    now = time.time()

    def orphans(batch: list[Path]) -> list[Path]:
        known = set(CacheItem.objects.filter(pk__in=[p.name for p in batch])
                    .values_list("pk", flat=True))
        return [p for p in batch if p.name not in known]

    old_enough = (p for p in settings.CACHE_DIR.glob("??/??/*") if now - p.stat().st_mtime >= grace)
    while batch := list(islice(old_enough, 1000)):  # one query per thousand files
        for path in orphans(batch):
            report.orphan_files += 1
            report.freed_bytes += path.stat().st_size
            if not dry_run:
                path.unlink(missing_ok=True)
    for path in (settings.CACHE_DIR / "tmp").glob("*"):
        if path.is_file() and now - path.stat().st_mtime > max(grace, 24 * 3600):
            report.stale_temp_files += 1
            if not dry_run:
                path.unlink(missing_ok=True)


def _sweep_bucket(report: GcReport, *, dry_run: bool, grace: float) -> None:
    """Objects in the shared store's bucket that the index does not know: an
    upload whose row never committed (objects are written before their row),
    the bucket's own orphan files. Only objects older than the grace: one
    written just now may be having its row written."""
    for page in objects.listing(older_than=timezone.now() - timedelta(seconds=grace)):
        known = set(CacheItem.objects.filter(pk__in=[name for name, _ in page])
                    .values_list("pk", flat=True))
        for content_hash, size in page:
            if content_hash not in known:
                report.orphan_objects += 1
                report.freed_bytes += size
                if not dry_run:
                    objects.delete(content_hash)


def cache_gc(*, dry_run: bool = False, keep_days: int | None = None, max_bytes: int | None = None,
             grace_seconds: int | None = None) -> GcReport:
    """Delete content nothing refers to, oldest first; with max_bytes, only
    until the cache is that small. Roots: assets, pinned items, and what
    the holders need (runs: outputs of runs and graph steps finished within
    keep_days, inputs and planned steps of pending or running runs). With
    the s3 store the bucket's object goes with the row; if the bucket
    refuses, the item is kept and named in report.store_failed, and
    collection stops. Files and, with the s3 store, bucket objects that no
    row names are removed once older than the grace."""
    keep_days = settings.GC_KEEP_DAYS if keep_days is None else keep_days
    grace = settings.GC_GRACE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    cutoff = now - timedelta(days=keep_days)
    report = GcReport()
    total = CacheItem.objects.aggregate(b=Sum("size"))["b"] or 0
    candidates = CacheItem.objects.filter(pinned=False, assets__isnull=True,
                                          created_at__lt=now - timedelta(seconds=grace))
    for holder in holders():
        for needed in holder.needed(cutoff):
            candidates = candidates.exclude(pk__in=needed)
    candidates = candidates.order_by("created_at").values_list("content_hash", "size")
    for content_hash, size in candidates.iterator(chunk_size=500):
        if max_bytes is not None and total <= max_bytes:
            break
        if dry_run:
            report.deleted.append(content_hash)
            report.freed_bytes += size
            total -= size
            continue
        try:
            freed = _collect(content_hash, cutoff, report)
        except content.StoreUnavailable as exc:
            log.error("cache_gc kept %s: the shared store did not delete it: %s", content_hash, exc)
            report.store_failed.append(f"{content_hash}: {exc}")
            break
        if freed is None:
            report.kept_in_use += 1
            continue
        report.deleted.append(content_hash)
        report.freed_bytes += freed
        total -= freed
    _sweep_files(report, dry_run=dry_run, grace=grace)
    if content.shared() and not report.store_failed:
        try:
            _sweep_bucket(report, dry_run=dry_run, grace=grace)
        except content.StoreUnavailable as exc:
            log.error("cache_gc could not sweep the shared store: %s", exc)
            report.store_failed.append(f"orphan objects: {exc}")
    return report


# --- usage -------------------------------------------------------------------

def cache_usage() -> dict:
    """Bytes and items in the cache, in total, per origin and per owner."""
    def rows(key):
        return {(k if k is not None else "-"): {"items": n, "bytes": b or 0}
                for k, n, b in CacheItem.objects.values_list(key).annotate(
                    n=Count("content_hash"), b=Sum("size")).order_by(key).values_list(key, "n", "b")}

    totals = CacheItem.objects.aggregate(n=Count("content_hash"), b=Sum("size"))
    return {"items": totals["n"], "bytes": totals["b"] or 0,
            "by_origin": rows("origin"), "by_owner": rows("owner__username")}
