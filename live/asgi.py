"""The web server's application (scripts/web.sh runs it under gunicorn with
uvicorn workers).

Every request but the event streams and cache downloads goes to the WSGI application on a pool
of WEB_THREADS threads (a2wsgi), as under gunicorn's gthread workers before
(Django's own ASGI handler would run all sync views of a process on one
thread per request context, and keep that thread for a stream's lifetime).

Cache downloads (GET /cache/{hash}) go to PoolHandler when the server can
send a file's bytes itself (live.zerocopy, scripts/web.sh): the view runs on
a pool thread as for the streams, and the body is one sendfile, not a
megabyte at a time through a thread and the event loop.

The event streams (GET /events, GET /runs/{id}/events) go to PoolHandler too:
Django's middleware and the view run on a small pool of threads of their
own and are done before the first event is sent; the stream itself is then
a coroutine on the event loop, so thousands of idle streams hold no thread
and no database connection (BENCHMARKS.md, figure 14).
"""

import asyncio
import contextlib
import os
import re
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "l1site.settings")

import django  # noqa: E402

django.setup(set_prefix=False)

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.exceptions import RequestAborted  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, get_script_prefix  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

from . import hub  # noqa: E402
from .zerocopy import EXTENSION as ZEROCOPY  # noqa: E402

STREAM_PATHS = re.compile(r"^/(events|runs/[^/]+/events)$")
FILE_PATHS = re.compile(r"^/cache/[0-9a-f]{64}$")


class PoolHandler(ASGIHandler):
    """Django's middleware and view on a pool thread, the answer sent from the
    event loop: an event stream (a coroutine that holds no thread), or a
    cached file's bytes with the server's zero-copy extension, a whole file
    (a FileResponse) or one range of it (cache.download's FileRangeResponse).
    Any other answer is sent as Django sends it."""

    def __init__(self, threads: int):
        super().__init__()
        self.load_middleware(is_async=False)  # the plain (sync) chain, run on the pool
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="live-pool")

    def _respond(self, request):
        signals.request_started.send(sender=self.__class__)
        return self.get_response(request)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error = self.create_request(scope, body_file)
        loop = asyncio.get_running_loop()
        response = error or await loop.run_in_executor(self.pool, self._respond, request)
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait({sending, listening}, return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task
        # Closing sends request_finished (the pool thread's connections are checked).
        await loop.run_in_executor(self.pool, response.close)
        body_file.close()

    async def send_response(self, response, send):
        spec = _file_part(response)
        if spec is None:
            await super().send_response(response, send)
            return
        file, offset, count, opened = spec
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": _headers(response)})
            await send({"type": ZEROCOPY, "file": file, "offset": offset, "count": count})
        finally:
            if opened:
                file.close()


def _file_part(response):
    """(file, offset, count, opened here) of a response that is a file's bytes."""
    file_range = getattr(response, "file_range", None)
    if file_range is not None:
        path, offset, count = file_range
        return open(path, "rb"), offset, count, True
    file = getattr(response, "file_to_stream", None)
    if file is None or response.status_code != 200 or "Content-Length" not in response:
        return None
    try:
        file.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # not a real file (a BytesIO): Django's way
    return file, file.tell(), int(response["Content-Length"]), False


def _headers(response) -> list[tuple[bytes, bytes]]:
    """The response's headers and cookies, encoded as ASGIHandler.send_response does."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip())
                for c in response.cookies.values()]
    return headers


class _FileChunks:
    """wsgi.file_wrapper for a2wsgi, which has none: a FileResponse (a cache
    download) is then sent in 1 MiB reads instead of Django's 4 KiB blocks,
    each one a hop from a pool thread to the event loop."""

    CHUNK = 1024 * 1024

    def __init__(self, filelike, block_size=None):
        self.filelike = filelike

    def __iter__(self):
        while chunk := self.filelike.read(self.CHUNK):
            yield chunk

    def close(self):
        self.filelike.close()


def _views(environ, start_response, _app=get_wsgi_application()):
    environ["wsgi.file_wrapper"] = _FileChunks
    return _app(environ, start_response)


off_thread = PoolHandler(settings.WEB_THREADS)
pages = WSGIMiddleware(_views, workers=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and STREAM_PATHS.match(scope["path"]):
        await off_thread(scope, receive, send)
    elif scope["type"] == "http" and ZEROCOPY in scope.get("extensions", {}) and \
            scope["method"] == "GET" and FILE_PATHS.match(scope["path"]):
        await off_thread(scope, receive, send)
    else:
        await pages(scope, receive, send)


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await hub.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
