"""POST /runs/{id}/cancel: who may cancel, what a cancelled run does next."""

import pytest
from rest_framework.test import APIClient

from runs import steps
from runs.models import Run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_run(artist_api, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        return artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]},
                               format="json").json()["run_id"]


def test_the_owner_cancels_a_pending_run_and_a_worker_then_skips_it(artist_api, pending_run):
    response = artist_api.post(f"/runs/{pending_run}/cancel")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled" and body["cancelled_by"] == "artist"
    assert body["finished_at"] and "cancelled by artist" in body["error"]
    # The message may still be in the queue: delivering it must not start the run.
    steps.schedule(pending_run, task_id="late-delivery")
    assert Run.objects.get(pk=pending_run).status == "cancelled"
    assert Run.objects.get(pk=pending_run).attempts == 0


def test_staff_may_cancel_anyones_run(staff_api, pending_run):
    assert staff_api.post(f"/runs/{pending_run}/cancel").json()["cancelled_by"] == "operator"


def test_another_user_may_not_cancel_a_run_and_it_keeps_going(pending_run):
    other = APIClient()
    other.force_authenticate(UserFactory(username="someone-else"))
    response = other.post(f"/runs/{pending_run}/cancel")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Run.objects.get(pk=pending_run).status == "pending"


def test_an_anonymous_client_may_not_cancel_a_run(pending_run):
    response = APIClient().post(f"/runs/{pending_run}/cancel")
    assert response.status_code in (401, 403) and "error" in response.json()
    assert Run.objects.get(pk=pending_run).status == "pending"


def test_a_finished_run_cannot_be_cancelled(artist_api, pending_run):
    Run.objects.filter(pk=pending_run).update(status="failed", error="boom")
    response = artist_api.post(f"/runs/{pending_run}/cancel")
    assert response.status_code == 409
    assert "only pending or running" in response.json()["error"]["message"]
    assert Run.objects.get(pk=pending_run).error == "boom"


def test_cancelling_an_unknown_run_is_a_404(artist_api, db):
    assert artist_api.post(f"/runs/{'0' * 64}/cancel").status_code == 404


def test_asking_for_a_cancelled_run_again_queues_it_again(artist_api, pending_run,
                                                          django_capture_on_commit_callbacks):
    artist_api.post(f"/runs/{pending_run}/cancel")
    with django_capture_on_commit_callbacks() as queued:
        again = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
    assert again.status_code == 201 and len(queued) == 1
    assert again.json()["status"] == "pending" and again.json()["cancelled_by"] is None
