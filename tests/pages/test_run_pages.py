"""The runs list and the live run page."""

import json

import pytest
from django.utils import timezone

from runs import services
from runs.models import Run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(demo, django_capture_on_commit_callbacks):
    """A run nobody has rendered yet (its task is never sent)."""
    run, _ = services.run_submit(recipe="invert", inputs=["cat"],
                                 owner=UserFactory(username="painter"))
    return run


def ids_on(page) -> list[str]:
    return [run.id for run in page.context["page"].rows]


def test_the_runs_list_filters_by_status_recipe_and_who(browser, rendered, pending):
    other, _ = services.run_submit(recipe="sepia-print", inputs=["cat"],
                                   owner=UserFactory(username="sculptor"))
    assert set(ids_on(browser.get("/runs"))) == {rendered.id, pending.id, other.id}
    assert ids_on(browser.get("/runs", {"status": "completed"})) == [rendered.id]
    assert ids_on(browser.get("/runs", {"recipe": "invert"})) == [pending.id]
    assert ids_on(browser.get("/runs", {"owner": "sculptor"})) == [other.id]
    assert ids_on(browser.get("/runs", {"owner": "nobody"})) == []
    assert browser.get("/runs", {"status": "done-ish"}).status_code == 400


def test_a_pending_run_page_polls_its_live_part_and_a_finished_one_does_not(browser, rendered, pending):
    live = browser.get(f"/runs/{pending.id}").content.decode()
    assert f'hx-get="/runs/{pending.id}/live"' in live and 'hx-trigger="every 1s"' in live
    done = browser.get(f"/runs/{rendered.id}").content.decode()
    assert "hx-get" not in done.split('id="run-live"')[1].split(">")[0]
    fragment = browser.get(f"/runs/{pending.id}/live").content.decode()
    assert fragment.lstrip().startswith('<div id="run-live"') and "<html" not in fragment


def test_the_run_page_shows_input_and_output_timings_and_the_provenance_as_json(browser, rendered):
    page = browser.get(f"/runs/{rendered.id}").content.decode()
    cat = rendered.inputs[0]["content_hash"]
    assert f'/cache/{cat}/thumb/1024' in page and f'/cache/{rendered.output_id}/thumb/1024' in page
    assert "render time" in page and "Copy as JSON" in page
    shown = page.split('id="provenance-json">')[1].split("</pre>")[0]
    assert json.loads(shown.replace("&quot;", '"').replace("&#x27;", "'")
                      .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) \
        == rendered.provenance


def test_a_failed_run_shows_its_error(browser, pending):
    Run.objects.filter(pk=pending.pk).update(status="failed", error="the input exploded",
                                             finished_at=timezone.now())
    page = browser.get(f"/runs/{pending.id}").content.decode()
    assert "the input exploded" in page and 'role="alert"' in page


def test_the_owner_cancels_from_the_run_page_and_others_cannot(browser, pending):
    stranger = browser.__class__()
    stranger.force_login(UserFactory(username="stranger"))
    assert stranger.post(f"/runs/{pending.id}/cancel").status_code == 403
    assert browser.post(f"/runs/{pending.id}/cancel").status_code == 403  # anonymous
    pending.refresh_from_db()
    assert pending.status == "pending"
    owner = browser.__class__()
    owner.force_login(pending.owner)
    assert "Cancel run" in owner.get(f"/runs/{pending.id}").content.decode()
    response = owner.post(f"/runs/{pending.id}/cancel")
    assert response.status_code == 302 and response["Location"] == f"/runs/{pending.id}"
    pending.refresh_from_db()
    assert pending.status == "cancelled" and pending.cancelled_by_id == pending.owner_id


def test_cancelling_through_the_api_still_answers_json(api, pending):
    api.force_authenticate(pending.owner)
    response = api.post(f"/runs/{pending.id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_home_shows_counts_latest_runs_and_loads_the_queue_panel(browser, rendered):
    page = browser.get("/").content.decode()
    assert 'hx-get="/status"' in page and f'href="/runs/{rendered.id}"' in page
    assert "infra:artdag" in page
    assert "<b>1</b>cached files" not in page  # cat + dog output
    assert "<b>2</b>cached files" in page
    status = browser.get("/status").content.decode()
    assert 'id="queue-depth"' in status and 'id="workers"' in status


def test_the_status_panel_says_so_when_the_broker_is_unreachable(browser, db,
                                                                 unreachable_broker):
    from django.core.cache import cache

    cache.delete("dashboard:broker-status")
    try:
        page = browser.get("/status")
    finally:
        cache.delete("dashboard:broker-status")
    assert page.status_code == 200
    assert page.content.decode().count("unknown (broker unreachable)") == 2


def test_the_status_panel_counts_what_waits_in_the_queue(browser, db):
    from django.core.cache import cache

    cache.delete("dashboard:broker-status")
    page = browser.get("/status").content.decode()
    depth = page.split('id="queue-depth">')[1].split("<")[0]
    assert depth.split()[0].isdigit(), depth
