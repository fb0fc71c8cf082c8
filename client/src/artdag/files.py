"""Local files: finding them under the paths given, and their SHA3-256 (the
server names content by it), remembered between runs so a file is read once."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Callable, Iterable

from .config import read_json, state_path, write_json
from .errors import ArtdagError

CHUNK = 1024 * 1024
HASH = re.compile(r"^[0-9a-f]{64}$")
Progress = Callable[[int], None]  # called with each chunk's size in bytes


def is_hash(text: str) -> bool:
    return bool(HASH.match(text))


def collect(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files named, and every file under the folders named, in a stable
    order, each once. Hidden files inside folders (.DS_Store, .git/) are
    skipped; a hidden file named on its own is taken."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = Path(folder) / name
                    if not name.startswith(".") and candidate.is_file():
                        found[candidate] = None
        elif path.exists():
            raise ArtdagError(f"{path} is neither a file nor a folder")
        else:
            raise ArtdagError(f"no such file or folder: {path}")
    return list(found)


def sha3_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha3_256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


class HashMemo:
    """path -> (size, mtime_ns, hash) from earlier runs. A file whose size or
    modification time changed is hashed again; the server re-hashes every
    upload itself, so a stale entry can cost a refused render, never wrong bytes."""

    LIMIT = 100_000  # entries kept; the oldest go first

    def __init__(self, path: Path | None = None):
        self.path = path or state_path()
        try:
            self.entries: dict = read_json(self.path).get("files", {})
        except ArtdagError:
            self.entries = {}  # a damaged memo only costs re-hashing
        self.changed = False

    @staticmethod
    def _key(path: Path) -> tuple[str, list[int]]:
        stat = path.stat()
        return str(path.resolve()), [stat.st_size, stat.st_mtime_ns]

    def get(self, path: Path) -> str | None:
        key, facts = self._key(path)
        entry = self.entries.get(key)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == facts:
            return entry[2]
        return None

    def hash(self, path: Path, progress: Progress | None = None) -> str:
        known = self.get(path)
        if known:
            if progress:
                progress(path.stat().st_size)
            return known
        key, facts = self._key(path)
        content_hash = sha3_file(path, progress)
        self.entries.pop(key, None)
        self.entries[key] = [*facts, content_hash]
        self.changed = True
        return content_hash

    def save(self) -> None:
        if not self.changed:
            return
        if len(self.entries) > self.LIMIT:
            self.entries = dict(list(self.entries.items())[-self.LIMIT:])
        try:
            write_json(self.path, {"files": self.entries})
        except OSError:
            pass  # a memo that cannot be written only costs re-hashing next time
        self.changed = False
