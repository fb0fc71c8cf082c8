"""Putting files into the cache and finding them again."""

from __future__ import annotations

import errno
import mimetypes
import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from engine import media
from engine.canonical import is_content_hash
from engine.errors import EngineError, TooLarge
from engine.probe import MediaFacts, probe
from l1site.errors import DomainError, NotFound

from . import content, thumbs
from .models import CacheItem
from .store import HashingWriter, Progress, cache_path, hash_file, store_bytes, store_file
from .uploads import disk_full


def _describe(content_hash: str, original_name: str, *, rendered: bool = False) -> dict:
    """Media facts read from the stored bytes (never from the client's claims
    about them). The engine's own output needs only its headers read;
    anything from outside is read to its end, so a truncated file is caught
    on the way in."""
    try:
        facts = probe(cache_path(content_hash), full=not rendered,
                      max_frame_pixels=settings.MAX_FRAME_PIXELS)
    except TooLarge as exc:
        if exc.info is None:
            return {"media_type": "application/octet-stream", "decode_error": str(exc)}
        # Keep the header's facts: runs refuse it by size (413), and a later,
        # higher limit can still use it.
        facts = exc.info
    except EngineError as exc:
        guessed = mimetypes.guess_type(original_name)[0] if original_name else None
        if guessed and (guessed in media.FORMATS.values()
                        or guessed.startswith(("video/", "audio/"))):
            # It claims to be media but does not decode: record why.
            return {"media_type": guessed, "decode_error": str(exc)}
        return {"media_type": guessed or "application/octet-stream", "decode_error": ""}
    return media_fields(facts)


def media_fields(facts: MediaFacts) -> dict:
    """The CacheItem fields of a probe's facts."""
    return {"media_type": facts.media_type, "kind": facts.kind, "width": facts.width,
            "height": facts.height, "frames": facts.frames, "duration": facts.duration,
            "fps": facts.fps, "video_codec": facts.video_codec or "",
            "audio_codec": facts.audio_codec or "", "sample_rate": facts.sample_rate,
            "channels": facts.channels, "decode_error": ""}


# Every fact a probe records, blank: what a file that no longer decodes keeps.
NO_FACTS = {"kind": "", "width": None, "height": None, "frames": None, "duration": None,
            "fps": None, "video_codec": "", "audio_codec": "", "sample_rate": None,
            "channels": None}


def cache_reprobe(item: CacheItem) -> bool:
    """Read an indexed file's media facts again from its bytes: for items
    indexed before the cache knew video and sound, or before a format (TIFF,
    BMP) was read. True if anything changed; thumbnails that became possible
    are queued. Raises content.ContentMissing if the bytes are gone."""
    content.ensure_local(item.content_hash)
    fields = {**NO_FACTS, **_describe(item.content_hash, item.original_name,
                                      rendered=item.origin == CacheItem.Origin.RENDERED)}
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(item, name, fields[name])
    item.save(update_fields=changed)
    thumbs.thumbnails_queue(item)
    return True


def cache_describe(content_hash: str, original_name: str = "", *, rendered: bool = False) -> dict:
    """The facts a new index row records, read from the stored bytes; with a
    shared store the bytes are uploaded first: a row always names bytes
    every host can fetch. Slow I/O, so callers run it outside transactions."""
    fields = _describe(content_hash, original_name, rendered=rendered)
    _or_unavailable(lambda: content.stored(content_hash))
    return fields


def cache_index(content_hash: str, size: int, fields: dict, *, origin: str,
                original_name: str = "", owner=None) -> tuple[CacheItem, bool]:
    """Insert the index row for stored, described bytes, and queue its
    thumbnails once committed. Returns (item, created); indexing the same
    bytes twice keeps the first record."""
    try:
        with transaction.atomic():
            item = CacheItem.objects.create(
                content_hash=content_hash, size=size, origin=origin,
                original_name=original_name[:255], owner=owner, **fields)
        thumbs.thumbnails_queue(item)  # after commit: uploads, imports and renders alike
        return item, True
    except IntegrityError:
        # Another writer indexed the same bytes first (cache_record's read
        # came before theirs).
        return CacheItem.objects.get(pk=content_hash), False


def cache_index_output(content_hash: str, size: int, fields: dict, *, name: str,
                       owner_id: int | None) -> CacheItem:
    """Index a render's output inside the caller's transaction (the run's
    completion), keeping the first record if the same bytes are indexed
    already. One INSERT ... ON CONFLICT DO NOTHING: no savepoint and no read
    back, which cost every render two more round trips. The caller queues
    the thumbnails (cache.thumbs.thumbnails_queue); for bytes indexed
    before, that task finds them made and does nothing."""
    item = CacheItem(content_hash=content_hash, size=size, origin=CacheItem.Origin.RENDERED,
                     original_name=name[:255], owner_id=owner_id, **fields)
    CacheItem.objects.bulk_create([item], ignore_conflicts=True)
    return item


def cache_record(content_hash: str, size: int, *, origin: str, original_name: str = "",
                 owner=None) -> tuple[CacheItem, bool]:
    """Index a file already in the store (describe, then index)."""
    existing = CacheItem.objects.filter(pk=content_hash).first()
    if existing:
        thumbs.thumbnails_retry(existing)  # its bytes may have been gone until now
        return existing, False
    # The engine's own output is known good: its headers are enough.
    fields = cache_describe(content_hash, original_name,
                            rendered=origin == CacheItem.Origin.RENDERED)
    return cache_index(content_hash, size, fields, origin=origin,
                       original_name=original_name, owner=owner)


def cache_store_bytes(data: bytes, *, origin: str, name: str = "", owner=None) -> CacheItem:
    content_hash, size = store_bytes(data)
    return cache_record(content_hash, size, origin=origin, original_name=name, owner=owner)[0]


def _refuse_empty(size: int) -> None:
    # An empty file is always a mistake (a failed export, a wrong path), and
    # nothing can render it: say so instead of caching it.
    if size == 0:
        raise DomainError("the file is empty", code="empty_file")


def cache_store_upload(writer: HashingWriter, *, name: str, owner) -> tuple[CacheItem, bool]:
    _refuse_empty(writer.size)
    try:
        content_hash, size = writer.commit()
    except OSError as exc:
        writer.abort()
        if exc.errno == errno.ENOSPC:
            raise disk_full() from None
        raise
    return cache_record(content_hash, size, origin=CacheItem.Origin.UPLOADED,
                        original_name=name, owner=owner)


def cache_import_local(path: Path, *, owner=None,
                       progress: Progress = None) -> tuple[CacheItem, bool]:
    """Import a file the operator names on the command line."""
    content_hash, size = store_file(path, progress)
    return cache_record(content_hash, size, origin=CacheItem.Origin.IMPORTED,
                        original_name=path.name, owner=owner)


def resolve_import_path(raw: str) -> Path:
    """The real path of a server-side file, if it lies under ARTDAG_IMPORT_ROOTS.

    Refuses `..`, symlinks that lead out of the roots, and anything that is
    not a regular file. Checks the resolved path, so a link inside a root
    that points elsewhere is caught too.
    """
    if not raw or "\x00" in raw:
        raise DomainError("path is required", code="invalid_path")
    candidate = Path(raw)
    if ".." in candidate.parts:
        raise DomainError("path may not contain '..'", code="invalid_path")
    if not candidate.is_absolute():
        raise DomainError("path must be absolute", code="invalid_path")
    roots = [Path(os.path.realpath(root)) for root in settings.IMPORT_ROOTS]
    real = Path(os.path.realpath(candidate))
    if not any(real == root or root in real.parents for root in roots):
        raise DomainError("path is outside the import roots (ARTDAG_IMPORT_ROOTS)",
                          code="path_not_allowed", status_code=403)
    if not real.exists():
        raise NotFound(f"no such file: {raw}")
    if not real.is_file():
        raise DomainError("path is not a regular file", code="not_a_file")
    return real


def cache_import_path(raw: str, *, owner) -> tuple[CacheItem, bool]:
    path = resolve_import_path(raw)
    _refuse_empty(path.stat().st_size)
    try:
        return cache_import_local(path, owner=owner)
    except PermissionError:
        raise DomainError("the server may not read that file", code="unreadable",
                          status_code=403) from None


def _or_unavailable(action):
    try:
        return action()
    except content.StoreUnavailable as exc:
        raise DomainError(f"the shared content store is unavailable: {exc}",
                          code="store_unavailable", status_code=503) from None


def cache_local_path(content_hash: str) -> Path:
    """The local path of a cached file's bytes (fetched from the shared store
    if this host lacks them), as a 4xx/5xx DomainError when it cannot be had."""
    try:
        return _or_unavailable(lambda: content.ensure_local(content_hash))
    except content.ContentMissing:
        raise NotFound(f"no cached content with hash {content_hash}") from None
    except content.ContentCorrupt as exc:
        raise DomainError(str(exc), code="corrupt_content", status_code=502) from None


def cache_item(content_hash: str) -> CacheItem:
    """The index row alone, bytes or not (a collected file still has a
    lineage): 400 for anything but a content hash, 404 if nothing is indexed."""
    if not is_content_hash(content_hash):
        raise DomainError("not a content hash: expected 64 lowercase hex characters",
                          code="invalid_hash")
    item = CacheItem.objects.filter(pk=content_hash).first()
    if item is None:
        raise NotFound(f"no cached content with hash {content_hash}")
    return item


def cache_bytes_available(content_hash: str) -> bool | None:
    """Whether a cached file's bytes can still be had, here or in the shared
    store, asked without fetching them: a row can outlive its bytes (a file
    removed by hand, a gc whose commit failed after the delete, bench_seed's
    rows). None if the shared store cannot be reached to say."""
    try:
        return content.available(content_hash)
    except content.StoreUnavailable:
        return None


def cache_item_present(content_hash: str) -> CacheItem:
    """The index row of a file whose bytes can still be had, asked without
    fetching them: naming a file (an asset) needs to know it exists, not to
    copy a shared store's 2 GB onto the web host. 404 if the bytes are gone."""
    item = cache_item(content_hash)
    if not _or_unavailable(lambda: content.available(content_hash)):
        raise NotFound(f"the bytes of {content_hash} are no longer in the cache")
    return item


def cache_get(content_hash: str) -> CacheItem:
    """The index row, with its bytes on this host (fetched if need be)."""
    item = cache_item(content_hash)
    cache_local_path(content_hash)
    return item


def cache_presence(hashes: list[str]) -> tuple[list[str], list[str]]:
    """(present, missing) for many content hashes at once, each list in the
    order given, without duplicates: what an uploading client asks before it
    sends anything. Present means indexed *and* bytes still to be had, since a
    row can outlive its bytes and a render of such an input would fail; one
    query for the rows, then a stat each (with s3, a HEAD for those this host
    lacks). 503 if the shared store cannot say."""
    wanted = list(dict.fromkeys(hashes))
    indexed = set(CacheItem.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    held = _or_unavailable(lambda: {h for h in wanted if h in indexed and content.available(h)})
    return [h for h in wanted if h in held], [h for h in wanted if h not in held]


def cache_verify_item(item: CacheItem, progress: Progress = None) -> str:
    """Re-hash one stored file: "ok", "missing", or "corrupt" (bytes that no
    longer hash to their name)."""
    try:
        # A fetch from the shared store verifies the bytes on the way in.
        path = content.ensure_local(item.content_hash)
        with open(path, "rb", buffering=0) as file:
            content_hash, _ = hash_file(file, progress)
    except FileNotFoundError:  # ContentMissing too
        return "missing"
    except content.ContentCorrupt:
        return "corrupt"
    return "ok" if content_hash == item.content_hash else "corrupt"
