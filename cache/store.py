"""The cache's files: sharded paths and atomic writes.

A file is written to CACHE_DIR/tmp, hashed, fsynced, then renamed to
CACHE_DIR/ab/cd/<hash>. rename() is atomic on one filesystem, so a reader
sees the whole file or none; a crash leaves at most a temp file behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Callable

from django.conf import settings

CHUNK = 1024 * 1024
KERNEL_COPY_STEP = 64 * CHUNK
Progress = Callable[[int], object] | None


def cache_path(content_hash: str) -> Path:
    return settings.CACHE_DIR / content_hash[:2] / content_hash[2:4] / content_hash


def temp_file():
    tmp = settings.CACHE_DIR / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=tmp, prefix="in-", delete=False)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_folder(folder: Path) -> None:
    """Create a shard folder (ab/cd/) durably: a file renamed into a new
    folder survives a crash only once the folder's own entry is on disk, in
    its parent. Most places find their folder made; a new one costs an
    fsync of each parent it was made in."""
    if folder.is_dir():
        return
    made = []
    while not folder.exists():
        made.append(folder)
        folder = folder.parent
    made[0].mkdir(parents=True, exist_ok=True)
    for new in reversed(made):
        _fsync_dir(new.parent)


def place(temp_name: str, content_hash: str) -> bool:
    """Move a complete, fsynced temp file to its place under its hash.
    Returns False if the file was already there (and the temp file is dropped)."""
    final = cache_path(content_hash)
    if final.exists():
        # Same hash, same bytes: keep the file that is already there.
        os.unlink(temp_name)
        return False
    _make_folder(final.parent)
    os.chmod(temp_name, 0o644)
    os.replace(temp_name, final)
    _fsync_dir(final.parent)
    return True


def discard(temp_name: str) -> None:
    try:
        os.unlink(temp_name)
    except FileNotFoundError:
        pass


class HashingWriter:
    """Write streamed bytes (an upload, a render) to a temp file while hashing them."""

    def __init__(self) -> None:
        self.file = temp_file()
        self.digest = hashlib.sha3_256()
        self.size = 0
        self.done = False

    def write(self, chunk: bytes | memoryview) -> None:
        self.digest.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def commit(self) -> tuple[str, int]:
        """Make the file visible under its hash; returns (hash, size)."""
        content_hash = self.digest.hexdigest()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        place(self.file.name, content_hash)
        self.done = True
        return content_hash, self.size

    def abort(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.file.close()  # flushes, which fails again on a full disk
            except OSError:
                pass
            finally:
                discard(self.file.name)


def store_bytes(data: bytes) -> tuple[str, int]:
    writer = HashingWriter()
    try:
        writer.write(data)
        return writer.commit()
    finally:
        writer.abort()


def _copy(source: BinaryIO, target: BinaryIO) -> None:
    try:
        # In-kernel copy: no round trip of every byte through Python.
        while os.copy_file_range(source.fileno(), target.fileno(), KERNEL_COPY_STEP):
            pass
    except OSError:
        # Not supported here (another filesystem type, an old kernel): copy by hand
        # from wherever the kernel copy stopped.
        if copied := target.tell():
            source.seek(copied)
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := source.readinto(buffer):
            target.write(view[:n])
    target.flush()


def hash_file(file: BinaryIO, progress: Progress) -> tuple[str, int]:
    digest, size = hashlib.sha3_256(), 0
    buffer = bytearray(CHUNK)  # one reused buffer: constant memory whatever the size
    view = memoryview(buffer)
    while n := file.readinto(buffer):
        digest.update(view[:n])
        size += n
        if progress:
            progress(n)
    return digest.hexdigest(), size


def adopt_file(path: str | Path) -> tuple[str, int]:
    """Take over a finished file (a render's output, written beside the cache
    in CACHE_DIR/tmp): hash it where it lies, fsync it and rename it under
    its hash, with no copy. Returns (hash, size); the file is gone from
    ``path`` either way. A file on another file system is copied in instead."""
    try:
        with open(path, "rb", buffering=0) as file:
            content_hash, size = hash_file(file, None)
            os.fsync(file.fileno())
        place(str(path), content_hash)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            discard(str(path))
            raise
        try:
            content_hash, size = store_file(Path(path))
        finally:
            discard(str(path))
    return content_hash, size


def store_file(path: Path, progress: Progress = None) -> tuple[str, int]:
    """Import a file: copy it into the cache, then hash the copy.

    Hashing our private copy, not the source, means the hash always names the
    bytes we keep, even if someone rewrites the source during the import.
    The copy's fsync runs on a second thread while the hash is computed.
    """
    temp = temp_file()
    try:
        with open(path, "rb", buffering=0) as source:
            _copy(source, temp)
        syncing = threading.Thread(target=os.fsync, args=(temp.fileno(),))
        syncing.start()
        with open(temp.name, "rb", buffering=0) as copy:
            content_hash, size = hash_file(copy, progress)
        syncing.join()
        temp.close()
        place(temp.name, content_hash)
        return content_hash, size
    except BaseException:
        temp.close()
        discard(temp.name)
        raise
