"""A directory store for plans run outside the server (the CLI, tests, scripts).

Files live under their content hash; an index maps each step's cache id to the
content hash and media type of what it produced. Writes are atomic (temp file,
then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from engine.canonical import sha3_hex

from .execute import list_manifest


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

    def put(self, data: bytes, media_type: str) -> str:
        """Store bytes as content (what a run binds); returns their hash."""
        content_hash = sha3_hex(data)
        self._write(self.root / "content" / content_hash, data)
        self._write(self.root / "steps" / content_hash,
                    json.dumps({"content": content_hash, "media_type": media_type}).encode())
        return content_hash

    def put_list(self, ids: list[str]) -> str:
        return self.put(*list_manifest(ids))

    def find(self, cache_id: str) -> tuple[Path, str] | None:
        index = self.root / "steps" / cache_id
        if not index.exists():
            return None
        entry = json.loads(index.read_text())
        return self.root / "content" / entry["content"], entry["media_type"]

    def save(self, cache_id: str, data: bytes, media_type: str, step) -> None:
        content_hash = sha3_hex(data)
        self._write(self.root / "content" / content_hash, data)
        self._write(self.root / "steps" / cache_id,
                    json.dumps({"content": content_hash, "media_type": media_type}).encode())

    def content_hash(self, cache_id: str) -> str:
        return json.loads((self.root / "steps" / cache_id).read_text())["content"]
