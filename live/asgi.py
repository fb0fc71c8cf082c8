"""The web server's application (scripts/web.sh runs it under gunicorn with
uvicorn workers).

Every request but the event streams goes to the WSGI application on a pool
of WEB_THREADS threads (a2wsgi), as under gunicorn's gthread workers before
(Django's own ASGI handler would run all sync views of a process on one
thread per request context, and keep that thread for a stream's lifetime).

The event streams (GET /events, GET /runs/{id}/events) go to StreamHandler:
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

STREAM_PATHS = re.compile(r"^/(events|runs/[^/]+/events)$")


class StreamHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        self.load_middleware(is_async=False)  # the plain (sync) chain, run on the pool
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="live-open")

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


streams = StreamHandler(settings.WEB_THREADS)
pages = WSGIMiddleware(_views, workers=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and STREAM_PATHS.match(scope["path"]):
        await streams(scope, receive, send)
    else:
        await pages(scope, receive, send)


async def _lifespan(receive, send):
    from . import hub

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await hub.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
