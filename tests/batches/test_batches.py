"""POST /batches, GET /batches/{id}, cancelling a batch, and its page."""

import pytest

from batches.models import Batch, BatchRun
from runs.models import Run
from tests import images
from tests.helpers import upload, wait_for_run

pytestmark = pytest.mark.django_db


def post_batch(client, **body):
    return client.post("/batches", body, format="json")


def test_a_parameter_grid_makes_one_run_per_combination_under_one_batch(artist_api, demo):
    response = post_batch(artist_api, recipe="dog", inputs=["cat"],
                          params={"sigma": [1, 2, 4], "levels": [3, 5]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["size"] == 6 and body["counts"]["runs"] == 6 and body["counts"]["pending"] == 6
    combos = {(r["params"]["sigma"], r["params"]["levels"]) for r in body["runs"]}
    assert combos == {(s, lv) for s in (1, 2, 4) for lv in (3, 5)}
    runs = Run.objects.filter(pk__in=[r["run_id"] for r in body["runs"]])
    assert {(r.params["sigma"], r.params["levels"]) for r in runs} == combos
    assert all(r.owner.username == "artist" for r in runs)
    assert artist_api.get(body["url"]).json()["runs"] == body["runs"]


def test_dedup_applies_per_run_inside_a_grid_and_against_runs_that_exist(artist_api, demo):
    before = artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"],
                                       "params": {"sigma": 4}}, format="json").json()
    # 2 and 2.0 are one value (canonical encoding): four combinations, two runs,
    # and sigma 4 is the run asked for above.
    body = post_batch(artist_api, recipe="dog", inputs=["cat", demo["cat"]],
                      params={"sigma": [2, 2.0, 4]}).json()
    assert body["size"] == 6
    ids = [r["run_id"] for r in body["runs"]]
    assert len(set(ids)) == 2 and body["counts"]["runs"] == 2
    assert before["run_id"] in ids
    assert Run.objects.filter(recipe_name="dog").count() == 2
    assert BatchRun.objects.filter(batch_id=body["batch_id"]).count() == 6


def test_input_sets_each_make_their_runs(artist_api, demo):
    other = upload(artist_api, images.png(24, 16, seed=5), "other.png")
    body = post_batch(artist_api, recipe="diptych",
                      inputs=[["cat", other], {"left": other, "right": "cat"}]).json()
    assert body["size"] == 2 and body["counts"]["runs"] == 2
    first, second = (Run.objects.get(pk=r["run_id"]) for r in body["runs"])
    assert [i["content_hash"] for i in first.inputs] == [demo["cat"], other]
    assert [i["content_hash"] for i in second.inputs] == [other, demo["cat"]]


def test_a_batch_over_the_size_limit_is_refused_and_creates_nothing(artist_api, demo, settings):
    settings.MAX_BATCH_RUNS = 5
    response = post_batch(artist_api, recipe="dog", inputs=["cat"],
                          params={"sigma": [1, 2, 3], "levels": [3, 5]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batch_too_large"
    assert response.json()["error"]["details"] == {"combinations": 6, "limit": 5}
    assert not Batch.objects.exists() and not Run.objects.exists()


@pytest.mark.parametrize("body, code", [
    ({"recipe": "dog", "inputs": []}, "invalid"),
    ({"recipe": "dog", "inputs": ["cat"], "params": {"sigma": []}}, "invalid_batch"),
    ({"recipe": "cow", "inputs": ["cat"]}, "unknown_recipe"),
    ({"recipe": "dog", "inputs": ["cat", "nothing-by-this-name"]}, "unknown_input"),
    ({"recipe": "dog", "inputs": ["cat"], "params": {"sigma": [2, 999]}}, None),
    ({"recipe": "dog", "inputs": [[1, 2]]}, "invalid"),
    ({"recipe": "dog", "inputs": ["cat"], "priority": "urgent"}, "invalid"),
])
def test_a_bad_batch_is_refused_with_a_4xx_and_creates_nothing(artist_api, demo, body, code):
    response = post_batch(artist_api, **body)
    assert 400 <= response.status_code < 500, response.content
    if code:
        assert response.json()["error"]["code"].startswith(code), response.json()
    assert not Batch.objects.exists() and not Run.objects.exists()


def test_a_combination_that_cannot_run_is_named(artist_api, demo):
    response = post_batch(artist_api, recipe="dog", inputs=["cat", "nope"])
    assert "combination 2" in response.json()["error"]["message"]
    assert response.json()["error"]["details"]["combination"] == 2


def test_only_staff_may_submit_a_batch_at_high_priority(artist_api, staff_api, demo):
    refused = post_batch(artist_api, recipe="dog", inputs=["cat"], priority="high")
    assert refused.status_code == 403 and not Run.objects.exists()
    body = post_batch(staff_api, recipe="dog", inputs=["cat"], priority="high").json()
    assert Run.objects.get(pk=body["runs"][0]["run_id"]).priority == Run.Priority.HIGH


def test_anonymous_users_cannot_submit_a_batch(api, demo):
    assert post_batch(api, recipe="dog", inputs=["cat"]).status_code in (401, 403)


def test_cancelling_a_batch_cancels_its_pending_runs_but_not_anyone_elses(
        artist_api, demo, django_user_model):
    from rest_framework.test import APIClient

    other = django_user_model.objects.create_user("other")
    api = APIClient()
    api.force_authenticate(other)
    theirs = api.post("/runs", {"recipe": "dog", "inputs": ["cat"], "params": {"sigma": 1}},
                      format="json").json()
    body = post_batch(artist_api, recipe="dog", inputs=["cat"], params={"sigma": [1, 2, 3]}).json()
    assert api.post(f"/batches/{body['batch_id']}/cancel").status_code == 403
    cancelled = artist_api.post(f"/batches/{body['batch_id']}/cancel").json()
    assert cancelled["cancelled_runs"] == 2 and cancelled["cancelled_at"]
    assert cancelled["counts"]["cancelled"] == 2 and cancelled["counts"]["pending"] == 1
    assert Run.objects.get(pk=theirs["run_id"]).status == "pending"


def test_an_unknown_batch_is_a_404(api):
    assert api.get("/batches/not-a-uuid").status_code == 404
    assert api.get("/batches/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_batch_page_shows_a_contact_sheet_of_outputs_as_they_arrive(
        worker, artist_api, demo, client, user):
    body = post_batch(artist_api, recipe="dog", inputs=["cat"], params={"sigma": [1, 2]}).json()
    for item in body["runs"]:
        assert wait_for_run(artist_api, item["run_id"])["status"] == "completed"
    client.force_login(user)
    page = client.get(body["url"], HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    done = artist_api.get(body["url"]).json()
    assert done["counts"]["completed"] == 2
    for item in done["runs"]:
        assert f"/cache/{item['output_hash']}/thumb/256" in html
    assert "hx-get" not in html  # finished: it no longer asks to be refreshed
