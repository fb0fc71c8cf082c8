from tests.live.fixtures import web_server, web_server_without_redis  # noqa: F401
from tests.pages.conftest import browser, rendered  # noqa: F401 - the pages' browser-like client
