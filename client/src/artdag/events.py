"""Reading a Server-Sent Events stream (GET /runs/{id}/events): the
text/event-stream format, as EventSource reads it."""

from __future__ import annotations

import codecs
import json
from typing import Iterable, Iterator, NamedTuple


class Event(NamedTuple):
    kind: str  # the `event:` field; "message" when none was given
    id: str | None
    data: object  # JSON where it parses, else the text


def parse(lines: Iterable[str]) -> Iterator[Event]:
    """Events from the stream's lines: fields until a blank line; `:` lines are
    comments (keep-alives); data lines join with newlines."""
    kind, event_id, data = "", None, []
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    value = json.loads(text)
                except ValueError:
                    value = text
                yield Event(kind or "message", event_id, value)
            kind, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            kind = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


def arriving(response) -> Iterator[bytes]:
    """A streamed requests response's bytes as they arrive. iter_content
    waits to fill its buffer (or, unchunked, for the end), which would hold
    events back; read1 returns what one read of the socket gives."""
    raw = response.raw
    if hasattr(raw, "read1"):  # urllib3 2.3 and later
        while chunk := raw.read1(65536):
            yield chunk
    else:
        yield from response.iter_content(1)


def lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines of text from chunks of bytes, UTF-8 as the format requires."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    buffer = ""
    for chunk in chunks:
        buffer += decoder.decode(chunk)
        *complete, buffer = buffer.split("\n")
        for line in complete:
            yield line.removesuffix("\r")
