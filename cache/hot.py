"""This host's hot cache: CACHE_DIR kept under a byte limit when a shared
store (ARTDAG_STORE=s3) holds every file, so anything evicted can be fetched
again.

Recency is a file's mtime: every use touches it, so the oldest mtime is the
least recently used. The running total of bytes lives in CACHE_DIR/.hot-bytes
under an flock that every process of this host shares (gunicorn workers,
prefork children). Only when the total passes the limit is the directory
walked, and then trimmed to LOW_WATER of the limit, so the following
additions do not walk it again. A total that drifted (two processes fetched
the same file at once, or someone deleted files behind our back) is put right
by that walk.

Files being written live in CACHE_DIR/tmp until their rename, and eviction
only looks at the sharded folders, so it never removes a file being written.
Nor does it remove a file the shared store does not have (a server switched
from ARTDAG_STORE=local to s3 before `manage.py store_push` ran): the caller
says which files are safe to drop, and the others stay, with a warning.
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from django.conf import settings

log = logging.getLogger(__name__)
LOW_WATER = 0.9
TOTAL_FILE = ".hot-bytes"
LOCK_FILE = ".hot-lock"


def touch(path: Path) -> None:
    """Mark a file as just used."""
    try:
        os.utime(path)
    except FileNotFoundError:
        pass


@contextmanager
def _locked():
    root = settings.CACHE_DIR
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _is_shard(name: str) -> bool:
    return len(name) == 2 and all(c in "0123456789abcdef" for c in name)


def cached_files() -> list[tuple[float, int, Path]]:
    """(mtime, size, path) of every stored file under CACHE_DIR, temp files excluded."""
    found = []
    root = settings.CACHE_DIR
    if not root.is_dir():
        return found
    for first in os.scandir(root):
        if not (first.is_dir() and _is_shard(first.name)):
            continue
        for second in os.scandir(first.path):
            if not (second.is_dir() and _is_shard(second.name)):
                continue
            for entry in os.scandir(second.path):
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue  # evicted by another process meanwhile
                found.append((stat.st_mtime, stat.st_size, Path(entry.path)))
    return found


def _read_total(root: Path) -> int | None:
    try:
        return int((root / TOTAL_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_total(root: Path, total: int) -> None:
    temp = root / f"{TOTAL_FILE}.{os.getpid()}"
    temp.write_text(str(total))
    os.replace(temp, root / TOTAL_FILE)


def _trim(target: int, keep: set[Path], droppable: Callable[[Path], bool]) -> tuple[int, int]:
    """Remove least recently used files until at most `target` bytes remain
    (never one in `keep`, never one `droppable` refuses). Returns (bytes
    left, files removed)."""
    files = sorted(cached_files())
    total = sum(size for _, size, _ in files)
    removed, only_here = 0, 0
    for _, size, path in files:
        if total <= target:
            break
        if path in keep:
            continue
        if not droppable(path):
            only_here += 1
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        total -= size
        removed += 1
    if only_here:
        log.warning("kept %d file(s) over the hot cache limit that the shared store lacks; "
                    "run `manage.py store_push`", only_here)
    return total, removed


def admit(size: int, keep: set[Path], droppable: Callable[[Path], bool], *,
          new_file: bool = True) -> None:
    """Count a file just placed in CACHE_DIR and evict if over the limit.
    `keep` are files the caller is about to use: they stay, even if that
    leaves the cache over its limit until the next addition."""
    limit = settings.HOT_CACHE_BYTES
    with _locked() as root:
        total = _read_total(root)
        if total is None:
            total = sum(size for _, size, _ in cached_files())  # already includes this file
        elif new_file:
            total += size
        if total > limit:
            total, removed = _trim(int(limit * LOW_WATER), keep, droppable)
            log.info("hot cache over %d bytes: evicted %d least recently used file(s), "
                     "%d bytes left", limit, removed, total)
        _write_total(root, total)
