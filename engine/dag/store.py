"""A directory store for plans run outside the server (the CLI, tests, scripts).

Files live under their content hash; an index maps each step's cache id to the
content hash and media type of what it produced. A step's file is hashed as
it is read and moved into place (rename), never loaded whole; the index is
written atomically (temp file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from .execute import list_manifest

BLOCK = 1 << 20


def file_hash(path: str | Path) -> str:
    """SHA3-256 of a file's bytes (engine.canonical's content hash), streamed."""
    digest = hashlib.sha3_256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class DirectoryStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "content").mkdir(parents=True, exist_ok=True)
        (self.root / "steps").mkdir(exist_ok=True)

    def _write(self, path: Path, data: bytes) -> None:
        handle, temp = tempfile.mkstemp(dir=self.root)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)

    def _index(self, cache_id: str, content_hash: str, media_type: str) -> None:
        self._write(self.root / "steps" / cache_id,
                    json.dumps({"content": content_hash, "media_type": media_type}).encode())

    def _move_in(self, path: Path) -> str:
        content_hash = file_hash(path)
        target = self.root / "content" / content_hash
        try:
            os.replace(path, target)
        except OSError:
            # Another file system (a temp dir elsewhere): copy beside the
            # target first, so the content appears whole or not at all.
            handle, temp = tempfile.mkstemp(dir=self.root)
            os.close(handle)
            shutil.copyfile(path, temp)
            os.replace(temp, target)
            os.unlink(path)
        return content_hash

    def put(self, data: bytes, media_type: str) -> str:
        """Store bytes as content (what a run binds); returns their hash."""
        handle, temp = tempfile.mkstemp(dir=self.root)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        content_hash = self._move_in(Path(temp))
        self._index(content_hash, content_hash, media_type)
        return content_hash

    def put_file(self, path: str | Path, media_type: str) -> str:
        """Store a copy of a file as content (the caller keeps its file)."""
        handle, temp = tempfile.mkstemp(dir=self.root)
        os.close(handle)
        shutil.copyfile(path, temp)
        content_hash = self._move_in(Path(temp))
        self._index(content_hash, content_hash, media_type)
        return content_hash

    def put_list(self, ids: list[str]) -> str:
        return self.put(*list_manifest(ids))

    def find(self, cache_id: str) -> tuple[Path, str] | None:
        index = self.root / "steps" / cache_id
        if not index.exists():
            return None
        entry = json.loads(index.read_text())
        return self.root / "content" / entry["content"], entry["media_type"]

    def save_file(self, cache_id: str, path: str | Path, media_type: str, step) -> None:
        """Take a step's file over: moved under its content hash, indexed by the
        step's cache id."""
        self._index(cache_id, self._move_in(Path(path)), media_type)

    def content_hash(self, cache_id: str) -> str:
        return json.loads((self.root / "steps" / cache_id).read_text())["content"]
