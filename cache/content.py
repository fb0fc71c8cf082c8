"""Where cached bytes come from: the one door every reader goes through.

``ensure_local(hash)`` returns the local path of a file's bytes, ready to
open. With ARTDAG_STORE=local, CACHE_DIR is the store itself (one host, or a
network filesystem shared by all), and this is a stat. With ARTDAG_STORE=s3
the bucket is the store and CACHE_DIR is this host's hot cache: a file that
is not here is streamed from the bucket into a temp file, hashed on the way,
and renamed into place only if its bytes hash to its name; anything else is
refused and discarded (ContentCorrupt), so a damaged or tampered object is
never used. Then the hot cache is trimmed to its byte limit (cache.hot).

``stored(hash)`` is the other half: once a writer has placed a new file in
CACHE_DIR (atomically, cache.store), it is uploaded to the bucket before the
database indexes it, so every row names bytes that every host can reach.
``unpublish(hash)`` undoes it for cache_gc, which calls it under the row's
lock (cache.maintenance says why that order is safe).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from django.conf import settings

from engine.canonical import is_content_hash

from . import hot, objects
from .models import CacheItem
from .store import cache_path, discard, place, temp_file

log = logging.getLogger(__name__)
StoreUnavailable = objects.StoreUnavailable


class ContentMissing(FileNotFoundError):
    """Neither this host nor the shared store has the bytes."""


class ContentCorrupt(Exception):
    """The shared store's bytes do not hash to their name."""


def shared() -> bool:
    return settings.CONTENT_STORE == "s3"


def ensure_local(content_hash: str, *, keep: set[Path] | None = None) -> Path:
    """The local path of this content, fetched and verified first if needed.
    Raises ContentMissing, ContentCorrupt or StoreUnavailable."""
    if not is_content_hash(content_hash):  # never a path built from anything else
        raise ContentMissing(f"not a content hash: {content_hash!r}")
    path = cache_path(content_hash)
    if not shared():
        if not path.exists():
            raise ContentMissing(f"no file for {content_hash} in {settings.CACHE_DIR}")
        return path
    if path.exists():
        hot.touch(path)  # most recently used: the last to be evicted
        return path
    _fetch(content_hash, path)
    hot.admit(path.stat().st_size, (keep or set()) | {path}, _in_store)
    return path


def available(content_hash: str) -> bool:
    """Whether this content's bytes can be had (this host's copy or the
    bucket's), asked without fetching them: a stat, and with s3 at most one
    HEAD request. Raises StoreUnavailable if the bucket cannot say."""
    if not is_content_hash(content_hash):
        return False
    if cache_path(content_hash).exists():
        return True
    return shared() and objects.exists(content_hash)


def _in_store(path: Path) -> bool:
    """Evicting this host's copy loses nothing: the bucket has the bytes.
    If the bucket cannot say, keep the file: eviction can wait, data cannot."""
    try:
        return objects.exists(path.name)
    except StoreUnavailable:
        return False


def ensure_local_many(hashes: list[str]) -> list[Path]:
    """Several files needed at once (a render's inputs): fetching a later one
    never evicts an earlier one."""
    paths: list[Path] = []
    for content_hash in hashes:
        paths.append(ensure_local(content_hash, keep=set(paths)))
    return paths


def _fetch(content_hash: str, path: Path) -> None:
    temp = temp_file()
    digest, size = hashlib.sha3_256(), 0

    def sink(chunk: bytes) -> None:
        nonlocal size
        digest.update(chunk)
        temp.write(chunk)
        size += len(chunk)

    try:
        try:
            objects.download(content_hash, sink)
        except objects.ObjectMissing:
            raise ContentMissing(f"{content_hash} is in neither {settings.CACHE_DIR} "
                                 f"nor {objects.where(content_hash)}") from None
        got = digest.hexdigest()
        if got != content_hash:
            log.error("refused %s: its %d bytes hash to %s", objects.where(content_hash), size, got)
            raise ContentCorrupt(f"the shared store's copy of {content_hash} is corrupt "
                                 f"(its bytes hash to {got}); it was not used")
        temp.flush()
        os.fsync(temp.fileno())
        temp.close()
        place(temp.name, content_hash)
    except BaseException:
        temp.close()
        discard(temp.name)
        raise
    log.info("fetched %s from %s (%d bytes, hash verified)", content_hash,
             objects.where(content_hash), size)


def stored(content_hash: str) -> None:
    """A writer placed this file in CACHE_DIR: share it (s3) before indexing it."""
    if not shared():
        return
    path = cache_path(content_hash)
    if not objects.exists(content_hash):
        objects.upload(content_hash, path)
        log.info("published %s to %s", content_hash, objects.where(content_hash))
    hot.admit(path.stat().st_size, {path}, _in_store)


def unpublish(content_hash: str) -> None:
    """cache_gc is dropping this content's row: delete its object from the
    bucket (s3). The local copy is the caller's to remove. Raises
    StoreUnavailable if the bucket refuses or cannot be reached."""
    if shared():
        objects.delete(content_hash)


def push_all(progress=None) -> dict[str, int]:
    """Upload every indexed file this host holds that the bucket lacks: the
    step that moves a server from ARTDAG_STORE=local to s3. Returns counts of
    pushed, already there, and missing here (indexed, but no local file)."""
    if not shared():
        raise StoreUnavailable("ARTDAG_STORE is local: set ARTDAG_STORE=s3 and the bucket first")
    counts = {"pushed": 0, "present": 0, "missing": 0}
    for content_hash, size in CacheItem.objects.order_by().values_list("pk", "size").iterator():
        path = cache_path(content_hash)
        if not path.exists():
            counts["missing"] += 1
        elif objects.exists(content_hash):
            counts["present"] += 1
        else:
            objects.upload(content_hash, path)
            counts["pushed"] += 1
        if progress:
            progress(size)
    return counts
