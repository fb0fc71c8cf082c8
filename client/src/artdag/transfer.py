"""A multipart/form-data body streamed from an open file: requests would
read the whole file into memory for `files=`, and a chunked body without a
length is refused by some servers; this one has a length and reads as it goes."""

from __future__ import annotations

import os
import uuid
from typing import BinaryIO, Callable

BLOCK = 1024 * 1024


def _quoted(name: str) -> str:
    # The server takes the name only as a hint; keep it printable ASCII and quote-safe.
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "file"


class MultipartFile:
    """One form field, `file`, holding the file's bytes. Has `__len__` (so
    requests sends a Content-Length) and is iterable (so urllib3 sends its
    1 MB chunks as they come, reading the file as it goes)."""

    def __init__(self, file: BinaryIO, filename: str, *,
                 progress: Callable[[int], None] | None = None):
        self.boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._head = (f"--{self.boundary}\r\n"
                      f'Content-Disposition: form-data; name="file"; filename="{_quoted(filename)}"\r\n'
                      "Content-Type: application/octet-stream\r\n\r\n").encode("ascii")
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self._file = file
        self._start = file.tell()
        self._size = os.fstat(file.fileno()).st_size - self._start
        self._progress = progress
        self.rewind()

    def rewind(self) -> None:
        self._file.seek(self._start)
        self._parts = [self._head, None, self._tail]  # None: the file itself

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def _read(self, size: int) -> bytes:
        while self._parts:
            part = self._parts[0]
            if part is None:
                chunk = self._file.read(size)
                if chunk:
                    if self._progress:
                        self._progress(len(chunk))
                    return chunk
                self._parts.pop(0)
                continue
            if part:
                chunk, self._parts[0] = part[:size], part[size:]
                return chunk
            self._parts.pop(0)
        return b""

    def __iter__(self):
        while chunk := self._read(BLOCK):
            yield chunk
