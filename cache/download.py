"""Serving cached bytes: ETag, immutable caching, single byte ranges, and a
streamed body so memory stays flat whatever the file size."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse

from l1site.errors import error_body

from .models import CacheItem
from .content import ensure_local
from .headers import immutable_cache_control

CHUNK = 1024 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Kinds a browser may show inline; anything else (HTML, SVG, scripts...) is a
# download, so user content is never executed on our origin.
INLINE_PREFIXES = ("image/", "video/", "audio/")
NEVER_INLINE = {"image/svg+xml"}


class ChunkedFileResponse(FileResponse):
    block_size = CHUNK


class FileRangeResponse(StreamingHttpResponse):
    """206 with bytes [start, start + length) of a file. ``file_range`` lets a
    server that sends files itself (live.zerocopy) skip the streamed body."""

    def __init__(self, path, start: int, length: int, **kwargs):
        super().__init__(_range_body(path, start, length), status=206, **kwargs)
        self.file_range = (path, start, length)


def _range_body(path, start: int, length: int):
    with open(path, "rb") as source:
        source.seek(start)
        while length > 0:
            chunk = source.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(start, end) inclusive for one satisfiable range; None to serve the whole
    file (no header, or several ranges); False if unsatisfiable."""
    match = RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return False
    return start, end


def _headers(response: HttpResponse, item: CacheItem) -> HttpResponse:
    response["ETag"] = f'"{item.content_hash}"'
    response["Cache-Control"] = immutable_cache_control()
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    inline = item.media_type.startswith(INLINE_PREFIXES) and item.media_type not in NEVER_INLINE
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{item.content_hash}"'
    return response


def serve(item: CacheItem, *, range_header: str, if_none_match: str, head: bool) -> HttpResponse:
    tags = {t.strip() for t in if_none_match.split(",")} if if_none_match else set()
    if f'"{item.content_hash}"' in tags or "*" in tags:
        return _headers(HttpResponse(status=304), item)
    wanted = parse_range(range_header, item.size)
    if wanted is False:
        # Like every other refusal, in the one error shape.
        response = JsonResponse(error_body("range_not_satisfiable",
                                           f"the range is outside the file's {item.size} bytes"),
                                status=416)
        response["Content-Range"] = f"bytes */{item.size}"
        response["Accept-Ranges"] = "bytes"
        return response
    if head:
        response = HttpResponse(content_type=item.media_type)
        response["Content-Length"] = str(item.size)
        return _headers(response, item)
    path = ensure_local(item.content_hash)  # cache_get fetched it: a stat and a touch
    if wanted is None:
        response = ChunkedFileResponse(open(path, "rb"), content_type=item.media_type)
        return _headers(response, item)
    start, end = wanted
    length = end - start + 1
    response = FileRangeResponse(path, start, length, content_type=item.media_type)
    response["Content-Length"] = str(length)
    response["Content-Range"] = f"bytes {start}-{end}/{item.size}"
    return _headers(response, item)
