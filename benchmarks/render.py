"""A built-in recipe rendered in-process, as a worker renders it but without
the server: the figures' "render" (read + effect + write), plain Python.

The recipe (runs/builtin.py) is planned over the file and every step runs
through engine.dag.execute: the input read lazily, each step's op, its file
written (the output in its delivery format, here the input's own). The store
only hands the files over and lets the written ones go: no hashing into a
content store, no database, which are the server's own bookkeeping that the
figures measure apart.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".mp4": "video/mp4"}


class _Files:
    """engine.dag's store interface over files at hand."""

    def __init__(self, known: dict[str, tuple[Path, str]]):
        self.known = dict(known)
        self.written: list[Path] = []

    def find(self, cache_id: str):
        return self.known.get(cache_id)

    def save_file(self, cache_id: str, path, media_type: str, step) -> None:
        # The store takes the file over (the executor removes what it leaves).
        kept = Path(f"{path}.kept")
        os.replace(path, kept)
        self.known[cache_id] = (kept, media_type)
        self.written.append(kept)


def renderer(recipe: str, params: dict | None = None,
             media_type: str | None = None) -> Callable[[Path], None]:
    """A function that renders ``recipe`` over one file (of ``media_type``,
    or the type its name's suffix says)."""
    from engine.dag import execute, plan as planning
    from engine.dag.validate import validate
    from engine.limits import Limits
    from runs.builtin import builtin_documents

    document = validate(builtin_documents()[recipe])
    temp = Path(tempfile.mkdtemp(prefix="bench-render-"))

    def render(path: Path) -> None:
        # A stand-in for the file's content hash: the plan only needs an id.
        source = hashlib.sha3_256(str(path).encode()).hexdigest()
        store = _Files({source: (Path(path), media_type or MEDIA_TYPES[Path(path).suffix])})
        plan = planning.build(document, inputs=[source], params=params)
        try:
            execute.execute(plan, execute.Context(store, Limits(), temp_dir=temp))
        finally:
            for written in store.written:
                os.unlink(written)

    return render
