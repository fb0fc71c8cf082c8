"""POST /runs/{id}/publish: what is refused before anything is queued."""

import pytest

from provenance.models import Publication
from runs.services import run_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def l2_on(settings):
    settings.L2_URL = "http://127.0.0.1:9"


def test_only_completed_runs_can_be_published(owner_api, demo, owner, l2_on):
    pending = run_submit(recipe="dog", inputs=["cat"], owner=owner)[0]
    response = owner_api.post(f"/runs/{pending.id}/publish")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_publishable"
    assert Publication.objects.count() == 0


def test_publishing_is_off_without_l2_url(owner_api, completed_run, settings):
    settings.L2_URL = ""
    response = owner_api.post(f"/runs/{completed_run}/publish")
    assert response.status_code == 409 and response.json()["error"]["code"] == "l2_not_configured"
    assert Publication.objects.count() == 0


def test_a_private_server_refuses_to_publish(owner_api, completed_run, settings, l2_on):
    settings.L1_PRIVATE = True
    response = owner_api.post(f"/runs/{completed_run}/publish")
    assert response.status_code == 409 and response.json()["error"]["code"] == "server_private"


def test_publishing_an_unknown_run_is_a_404(owner_api, db, l2_on):
    assert owner_api.post(f"/runs/{'0' * 64}/publish").status_code == 404


def test_the_public_url_defaults_to_the_address_the_request_came_to(
        owner_api, completed_run, l2_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = owner_api.post(f"/runs/{completed_run}/publish", HTTP_HOST="l1.example:8100")
    assert response.status_code == 202 and len(queued) == 1
    assert response.json()["publication"]["l1_server"] == "http://l1.example:8100"


def test_a_run_shows_no_publication_until_asked(api, completed_run):
    assert api.get(f"/runs/{completed_run}").json()["publication"] is None


def test_a_publication_lost_from_the_queue_is_queued_again_when_asked(
        owner_api, completed_run, l2_on, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks() as first:
        owner_api.post(f"/runs/{completed_run}/publish")
    with django_capture_on_commit_callbacks() as soon:
        assert owner_api.post(f"/runs/{completed_run}/publish").status_code == 200
    Publication.objects.update(queued_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as later:
        assert owner_api.post(f"/runs/{completed_run}/publish").status_code == 202
    assert (len(first), len(soon), len(later)) == (1, 0, 1)


def test_a_retry_long_overdue_is_queued_again_but_a_scheduled_one_is_left_alone(
        owner_api, completed_run, l2_on, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks():
        owner_api.post(f"/runs/{completed_run}/publish")
    Publication.objects.update(status="failed", attempts=1,
                               next_retry_at=timezone.now() + timedelta(seconds=30))
    with django_capture_on_commit_callbacks() as scheduled:
        assert owner_api.post(f"/runs/{completed_run}/publish").status_code == 200
    Publication.objects.update(next_retry_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as overdue:
        response = owner_api.post(f"/runs/{completed_run}/publish")
    assert (len(scheduled), len(overdue)) == (0, 1)
    assert response.status_code == 202 and response.json()["publication"]["status"] == "queued"
