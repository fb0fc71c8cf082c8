from tests.live.fixtures import bare_web_server, web_server, web_server_without_redis  # noqa: F401
from tests.pages.conftest import browser, rendered  # noqa: F401 - the pages' browser-like client

import pytest  # noqa: E402

from live import eta  # noqa: E402


@pytest.fixture(autouse=True)
def _no_remembered_timings():
    """Each test's database starts without timings: so must this process's memory of them."""
    eta.forget()
    yield
    eta.forget()
