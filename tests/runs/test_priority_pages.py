"""The dashboard's buttons for the queue: move to front, cancel all pending."""

import pytest

from runs import services
from runs.models import Run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def pending(demo, user):
    return [services.run_submit(recipe="dog", inputs=["cat"], params={"sigma": s}, owner=user)[0]
            for s in (1, 2)]


def test_the_owner_moves_a_pending_run_to_the_front_from_its_page(client, user, pending):
    client.force_login(user)
    page = client.get(f"/runs/{pending[1].id}", **HTML).content.decode()
    assert 'id="move-to-front"' in page and "normal priority" in page
    moved = client.post(f"/runs/{pending[1].id}/front", **HTML)
    assert moved.status_code == 302 and moved["Location"] == f"/runs/{pending[1].id}"
    assert Run.objects.get(pk=pending[1].id).promoted_at is not None


def test_someone_else_sees_no_button_and_is_refused(client, pending):
    client.force_login(UserFactory(username="stranger"))
    assert 'id="move-to-front"' not in client.get(f"/runs/{pending[0].id}", **HTML).content.decode()
    refused = client.post(f"/runs/{pending[0].id}/front", **HTML)
    assert refused.status_code == 403 and refused["Content-Type"].startswith("text/html")
    assert Run.objects.get(pk=pending[0].id).promoted_at is None


def test_the_runs_list_cancels_all_of_ones_pending_runs(client, user, pending):
    client.force_login(user)
    assert 'id="cancel-pending"' in client.get("/runs", **HTML).content.decode()
    done = client.post("/runs/cancel-pending", **HTML)
    assert done.status_code == 302
    assert set(Run.objects.values_list("status", flat=True)) == {"cancelled"}
    anonymous = client.__class__()
    assert anonymous.post("/runs/cancel-pending", **HTML).status_code == 403


def test_the_render_form_submits_at_the_priority_chosen_and_refuses_high_to_non_staff(
        client, user, demo):
    client.force_login(user)
    form = client.get("/render", {"recipe": "dog"}).content.decode()
    assert 'name="priority"' in form and '<option value="low"' in form
    low = client.post("/render", {"recipe": "dog", "in_image": "cat", "priority": "low"})
    assert low.status_code == 302 and Run.objects.get().priority == Run.Priority.LOW
    high = client.post("/render", {"recipe": "dog", "in_image": "cat", "param_sigma": "3",
                                   "priority": "high"})
    assert high.status_code == 400 and "only staff" in high.content.decode()
    assert Run.objects.count() == 1
    client.force_login(UserFactory(username="boss", is_staff=True))
    client.post("/render", {"recipe": "dog", "in_image": "cat", "param_sigma": "3",
                            "priority": "high"})
    assert Run.objects.get(params={"sigma": 3}).priority == Run.Priority.HIGH
