"""A small Server-Sent Events client for the tests (what EventSource does)."""

from __future__ import annotations

import json

import requests

PATIENCE = 120  # seconds one read may wait: bounds a hung test only


def _lines(response):
    """The body's lines as they arrive. requests' iter_lines reads 512 bytes
    at a time, which on a body without chunked framing (a WSGI server's
    stream, ended by closing the connection) waits for 512 bytes, not for
    the next event; read1 returns what one read of the socket gives, as a
    browser's EventSource sees it."""
    pending = b""
    while chunk := response.raw.read1(65536):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r").decode()
    if pending:
        yield pending.decode()


class Stream:
    def __init__(self, url: str, *, last_event_id: int | None = None, token: str | None = None,
                 session: requests.Session | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        if token:
            headers["Authorization"] = f"Token {token}"
        self.response = (session or requests).get(url, headers=headers, stream=True,
                                                  timeout=(10, PATIENCE))
        self.lines = _lines(self.response)
        self.last_id: int | None = None
        self.comments: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.response.close()

    def next(self) -> dict:
        """The next event: {"id", "event", "data"} (data parsed from JSON)."""
        fields: dict = {}
        for line in self.lines:
            if line == "":
                if "data" in fields or "id" in fields:
                    if "id" in fields:
                        self.last_id = int(fields["id"])
                    data = fields.get("data")
                    return {"id": int(fields["id"]) if "id" in fields else None,
                            "event": fields.get("event", "message"),
                            "data": json.loads(data) if data else None}
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise EOFError("the stream ended")

    def until(self, predicate) -> list[dict]:
        """Events up to and including the first that satisfies ``predicate``."""
        seen = []
        while True:
            event = self.next()
            seen.append(event)
            if predicate(event):
                return seen
