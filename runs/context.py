"""What a step renders in on the server: the content-addressed cache as the
engine's store, the limits from settings and the folder steps write into."""

from __future__ import annotations

import mimetypes
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cache import content
from cache.models import CacheItem
from cache.services import cache_describe
from cache.store import adopt_file
from cache.thumbs import thumbnails_queue
from engine.dag import execute, plan as planning
from engine.errors import TooLarge
from engine.limits import Limits

from . import events, identity
from .models import Step

EXTENSIONS = {"video/x-matroska": ".mkv", "video/mp4": ".mp4", "audio/wav": ".wav",
              "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
              "image/webp": ".webp", "application/json": ".json",
              "application/vnd.artdag.list+json": ".json"}
def limits() -> Limits:
    return Limits(max_frame_pixels=settings.MAX_FRAME_PIXELS,
                  max_seconds=float(settings.MAX_MEDIA_SECONDS),
                  effect_threads=settings.EFFECT_THREADS)


_temp_ready: set[Path] = set()


def temp_dir() -> Path:
    """Where steps write their files: beside the cache, so taking a file
    over is a rename (cache.store.adopt_file)."""
    folder = settings.CACHE_DIR / "tmp"
    if folder not in _temp_ready:
        folder.mkdir(parents=True, exist_ok=True)
        _temp_ready.add(folder)
    return folder


@dataclass
class _Saved:
    cache_id: str
    content_hash: str
    size: int
    fields: dict
    media_type: str
    name: str
    step: planning.Step | None


class CacheStore:
    """engine.dag's store interface over the content-addressed cache.

    ``known``: cache id -> (content hash, media type) already at hand (a
    run's sources, steps done), so finding them reads no row. ``defer``
    keeps the index rows and step updates of what it saves for ``flush``,
    which the inline render calls in the transaction that completes the run.
    """

    def __init__(self, run_id: str | None, *, owner_id: int | None = None,
                 output_name: str = "", known: dict | None = None, defer: bool = False):
        self.run_id, self.owner_id, self.output_name = run_id, owner_id, output_name
        self.known = dict(known or {})
        self.defer = defer
        self.saved: list[_Saved] = []
        self.new_items: list[CacheItem] = []

    def find(self, cache_id: str):
        if cache_id in self.known:
            content_hash, media_type = self.known[cache_id]
            return content.ensure_local(content_hash), media_type
        step = Step.objects.filter(pk=cache_id, status=Step.Status.DONE).first()
        # From this host's cache, or fetched from the shared store and verified.
        if step is not None:
            return content.ensure_local(step.output_id), step.media_type
        item = CacheItem.objects.filter(pk=cache_id).first()
        return (content.ensure_local(item.pk), item.media_type) if item else None

    def save_file(self, cache_id: str, path, media_type: str, step) -> None:
        """Take the step's file over: into the content store under its hash,
        indexed, and the step marked done (now, or at ``flush``)."""
        size = os.path.getsize(path)
        if size > settings.MAX_OUTPUT_BYTES:
            raise TooLarge(f"step '{getattr(step, 'node', cache_id)}' wrote {size} bytes; the "
                           f"limit is {settings.MAX_OUTPUT_BYTES} bytes per file")
        content_hash, size = adopt_file(path)
        node = step.node if step is not None else "output"
        extension = EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ""
        name = (self.output_name if getattr(step, "deliver", False) and self.output_name
                else node) + extension
        # Reads the header and uploads to a shared store: outside any transaction.
        fields = cache_describe(content_hash, name, rendered=True)
        self.known[cache_id] = (content_hash, media_type)
        self.saved.append(_Saved(cache_id, content_hash, size, fields, media_type, name, step))
        if not self.defer:
            with transaction.atomic():
                self.flush()

    def _provenance(self, saved: _Saved) -> dict:
        step = saved.step
        return {"run_id": self.run_id, "node": step.node if step else "output",
                "cache_id": saved.cache_id, "type": step.type if step else None,
                "config": step.config if step else None, "inputs": step.inputs if step else None,
                "rendered_at": timezone.now().isoformat(), "rendered_by": settings.L1_ACTOR,
                # Which worker process: shows the steps of one run spread over workers.
                "worker": f"{socket.gethostname()}:{os.getpid()}",
                "software": identity.software()["content_hash"],
                "hardware": identity.hardware()["content_hash"]}

    def flush(self) -> None:
        """Index what was saved and mark its steps done (in the caller's transaction)."""
        if not self.saved:
            return
        now = timezone.now()
        items = [CacheItem(content_hash=s.content_hash, size=s.size,
                           origin=CacheItem.Origin.RENDERED, original_name=s.name[:255],
                           owner_id=self.owner_id, **s.fields) for s in self.saved]
        # One INSERT ... ON CONFLICT DO NOTHING: bytes indexed before keep their row.
        CacheItem.objects.bulk_create(items, ignore_conflicts=True)
        for saved in self.saved:
            fields = {"status": Step.Status.DONE, "output_id": saved.content_hash,
                      "media_type": saved.media_type, "provenance": self._provenance(saved),
                      "error": "", "finished_at": now}
            if not Step.objects.filter(pk=saved.cache_id).update(**fields):
                # A MAP's inner steps have no row until they are done.
                step = saved.step
                spec = {"node": step.node, "type": step.type, "config": step.config,
                        "inputs": step.inputs, "items": None, "deliver": False}
                Step.objects.bulk_create([Step(cache_id=saved.cache_id, type=step.type,
                                               spec=spec, **fields)], ignore_conflicts=True)
        self.new_items += items
        self.saved = []

    def queue_thumbnails(self) -> None:
        for item in self.new_items:
            thumbnails_queue(item)  # after commit; for bytes indexed before, a no-op task
        self.new_items = []


def context(store: CacheStore, *, run_id: str | None = None) -> execute.Context:
    """``run_id``: the one run this render is for (an inline run); None for a
    shared step, whose progress is every waiting run's."""
    return execute.Context(store, limits=limits(), temp_dir=temp_dir(),
                           **events.progress_hooks(run_id))
