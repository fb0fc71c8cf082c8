"""The cache's files: sharded paths and atomic writes.

A file is written to CACHE_DIR/tmp while it is hashed, fsynced, then renamed
to CACHE_DIR/ab/cd/<hash>. rename() is atomic on one filesystem, so a reader
sees the whole file or none; a crash leaves at most a temp file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from django.conf import settings

CHUNK = 1024 * 1024


def cache_path(content_hash: str) -> Path:
    return settings.CACHE_DIR / content_hash[:2] / content_hash[2:4] / content_hash


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class HashingWriter:
    """Write bytes to a temp file in the cache while hashing them."""

    def __init__(self) -> None:
        tmp = settings.CACHE_DIR / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.file = tempfile.NamedTemporaryFile(dir=tmp, prefix="in-", delete=False)
        self.digest = hashlib.sha3_256()
        self.size = 0
        self.done = False

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def copy_from(self, source: BinaryIO, progress: Callable[[int], object] | None = None) -> None:
        # readinto one reused buffer: constant memory whatever the file size.
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := source.readinto(buffer):
            self.write(view[:n])
            if progress:
                progress(n)

    def commit(self) -> tuple[str, int]:
        """Make the file visible under its hash; returns (hash, size)."""
        content_hash = self.digest.hexdigest()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        final = cache_path(content_hash)
        if final.exists():
            # Same hash, same bytes: keep the file that is already there.
            os.unlink(self.file.name)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.file.name, 0o644)
            os.replace(self.file.name, final)
            _fsync_dir(final.parent)
        self.done = True
        return content_hash, self.size

    def abort(self) -> None:
        if not self.done:
            self.file.close()
            try:
                os.unlink(self.file.name)
            except FileNotFoundError:
                pass
            self.done = True


def store_bytes(data: bytes) -> tuple[str, int]:
    writer = HashingWriter()
    try:
        writer.write(data)
        return writer.commit()
    finally:
        writer.abort()


def store_file(path: Path, progress: Callable[[int], object] | None = None) -> tuple[str, int]:
    writer = HashingWriter()
    try:
        with open(path, "rb", buffering=0) as source:
            writer.copy_from(source, progress)
        return writer.commit()
    finally:
        writer.abort()
