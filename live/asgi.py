"""The web server's application (scripts/web.sh runs it under gunicorn with
uvicorn workers).

The event streams (GET /events, GET /runs/{id}/events) are served by Django's
ASGI handler: each is a coroutine on the worker's event loop, so thousands
of idle streams cost a little memory and no thread. Every other request goes
to the WSGI application on a pool of WEB_THREADS threads (a2wsgi), as under
gunicorn's gthread workers before: Django's ASGI handler would run all sync
views of a process on one shared thread, one request at a time.
"""

import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "l1site.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

streams = get_asgi_application()
pages = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)
STREAM_PATHS = re.compile(r"^/(events|runs/[^/]+/events)$")


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
