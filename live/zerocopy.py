"""Cache downloads at sendfile speed under uvicorn (scripts/web.sh).

uvicorn writes every response body through Python (transport.write), so a
256 MiB download is 256 copies of a megabyte through the event loop; under
gunicorn's threaded workers the same download was one os.sendfile. This
protocol gives uvicorn the ASGI zero-copy send extension
(``http.response.zerocopy``, in the ASGI spec): after the response starts,
the application hands over an open file with an offset and a count, and the
bytes go from the page cache to the socket inside the kernel
(loop.sendfile, which is os.sendfile on the default event loop).

It reaches into uvicorn's response cycle (its transport, its flow control
and its count of the bytes still due), which is why uvicorn is pinned in
requirements.txt and tests/live/test_zerocopy.py checks the bytes, ranges
and headers through the real server.
"""

from __future__ import annotations

import asyncio
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

EXTENSION = "http.response.zerocopy"


async def _send(cycle, send, message) -> None:
    if message["type"] != EXTENSION:
        await send(message)
        return
    if not cycle.response_started or cycle.response_complete or cycle.chunked_encoding:
        raise RuntimeError(f"{EXTENSION} needs a started response with a Content-Length")
    file = message["file"]
    offset = message.get("offset") or 0
    count = message.get("count")
    if count is None:
        count = os.fstat(file.fileno()).st_size - offset
    if count > cycle.expected_content_length:
        raise RuntimeError("Response content longer than Content-Length")
    if cycle.flow.write_paused and not cycle.disconnected:
        await cycle.flow.drain()
    if cycle.disconnected:
        return
    if cycle.scope["method"] != "HEAD" and count:
        try:
            await asyncio.get_running_loop().sendfile(cycle.transport, file, offset, count)
        except (ConnectionError, RuntimeError):
            # The client went away (or the transport closed under us): as
            # with any body uvicorn writes to a closed socket, nothing to do.
            cycle.disconnected = True
            return
    cycle.expected_content_length -= count
    await send({"type": "http.response.body", "body": b"",
                "more_body": message.get("more_body", False)})


class ZeroCopyHttpToolsProtocol(HttpToolsProtocol):
    def _start_asgi_task(self, cycle, app) -> None:
        cycle.scope.setdefault("extensions", {})[EXTENSION] = {}
        plain = cycle.send

        async def send(message):
            await _send(cycle, plain, message)

        cycle.send = send  # run_asgi hands the application self.send
        super()._start_asgi_task(cycle, app)


class Worker(UvicornWorker):
    """gunicorn's worker class for scripts/web.sh: uvicorn with the protocol above."""
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "http": ZeroCopyHttpToolsProtocol}
