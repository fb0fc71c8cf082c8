"""Fixtures for the dashboard's pages: browser-like clients and a rendered run."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from runs import services, steps
from tests.factories import UserFactory

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Chromium sends


class Browser(Client):
    """A test client that navigates like a browser: it asks for text/html."""

    def get(self, path, data=None, **extra):
        extra.setdefault("HTTP_ACCEPT", HTML)
        return super().get(path, data, **extra)

    def post(self, path, data=None, **extra):
        extra.setdefault("HTTP_ACCEPT", HTML)
        return super().post(path, data, **extra)


def bench_rows(*, items: int, runs: int) -> None:
    """bench_seed's rows, analyzed, so the query plans are those of a full table."""
    call_command("bench_seed", items=items, runs=runs, batch=5_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE runs_run")
        cursor.execute("ANALYZE cache_cacheitem")


@pytest.fixture
def browser():
    return Browser()


@pytest.fixture
def artist_browser(db):
    client = Browser()
    client.force_login(UserFactory(username="painter"))
    return client


@pytest.fixture
def rendered(demo, django_capture_on_commit_callbacks):
    """A completed `dog` run of the demo cat, rendered in this process."""
    with django_capture_on_commit_callbacks():
        run, _ = services.run_submit(recipe="dog", inputs=["cat"],
                                     owner=UserFactory(username="painter"))
    steps.schedule(run.id, task_id="page-test")
    run.refresh_from_db()
    assert run.status == "completed", run.error
    return run
