"""The dashboard's lists over bench_seed's rows: the pages render them (every
status, owners, runs with and without an output), the "Older" link leads on,
and a deep page of runs is a walk of run_newest, never a sort (checked on the
query plan, not the clock)."""

import html
import re

import pytest

from dashboard import selectors
from runs.models import Run
from tests.pages.conftest import bench_rows

pytestmark = pytest.mark.django_db

OLDER = re.compile(r'<a rel="next" href="([^"]+)"')


def older_link(response) -> str:
    found = OLDER.search(response.content.decode())
    assert found, "no Older link"
    return html.unescape(found.group(1))


@pytest.fixture
def seeded():
    bench_rows(items=1_000, runs=10_000)


def test_bench_seed_rows_render_on_the_runs_and_cache_pages(browser, seeded):
    first = browser.get("/runs")
    assert first.status_code == 200
    runs = first.context["page"].rows
    assert len(runs) == 50 and {r.status for r in runs} >= {"completed", "failed", "pending"}
    assert any(r.output is None for r in runs) and b"no output yet" in first.content
    assert b"bench-owner-" in first.content

    second = browser.get(older_link(first))
    assert second.status_code == 200
    assert second.context["page"].rows[0].created_at < runs[-1].created_at

    cache = browser.get("/cache")
    assert cache.status_code == 200 and len(cache.context["page"].rows) == 48
    assert browser.get(older_link(cache)).status_code == 200


def test_a_deep_page_of_runs_walks_run_newest(browser, seeded):
    ordered = Run.objects.order_by("-created_at", "-id")
    last = ordered[7_500 - 1]
    cursor = f"{last.created_at.isoformat()}~{last.id}"
    plan = selectors.after(selectors.runs_listed(), cursor, "id")[:51].explain()
    assert "run_newest" in plan and "Sort" not in plan, plan

    response = browser.get("/runs", {"after": cursor})
    assert response.status_code == 200
    assert [r.id for r in response.context["page"].rows] == \
        list(ordered[7_500:7_550].values_list("id", flat=True))
