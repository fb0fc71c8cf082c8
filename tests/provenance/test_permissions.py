"""Who may write what: every write endpoint, tried by the owner, another
user, an anonymous client and staff. A refusal changes nothing."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create
from assets.models import Asset
from assets.services import asset_register
from cache.models import CacheItem
from provenance.models import Publication, Reproduction
from runs.models import Run
from runs.services import run_submit
from tests import images
from tests.provenance.conftest import client_for, render_here


@pytest.fixture
def world(demo, owner, other, staff, settings):
    settings.L2_URL = "http://127.0.0.1:9"  # set, so publishing is on; nothing is sent (no commit)
    cat = Asset.objects.get(name="cat").content_id
    (settings.IMPORT_ROOTS[0] / "server-side.png").write_bytes(images.png(8, 8, seed=9))
    return SimpleNamespace(
        cat=cat,
        asset=asset_register(name="owned", content_hash=cat, tags=["a"], owner=owner),
        done=render_here("identity", ["cat"], owner=owner),  # passthrough: no pixels to push
        pending=run_submit(recipe="dog", inputs=["cat"], owner=owner)[0].id,
        token=token_create(user=owner, name="laptop")[0],
        import_path=str(settings.IMPORT_ROOTS[0] / "server-side.png"),
    )


def _upload():
    return {"file": SimpleUploadedFile("x.png", images.png(9, 9, seed=3))}


# name: (method, url, body, format, who may -> expected status, state snapshot)
CASES = {
    "POST /runs": (
        "post", lambda w: "/runs", lambda w: {"recipe": "sepia-print", "inputs": ["cat"]}, "json",
        {"owner": 201, "other": 201, "staff": 201},
        lambda w: Run.objects.count()),
    "POST /runs/{id}/cancel": (
        "post", lambda w: f"/runs/{w.pending}/cancel", lambda w: None, None,
        {"owner": 200, "staff": 200},
        lambda w: Run.objects.get(pk=w.pending).status),
    "POST /runs/{id}/publish": (
        "post", lambda w: f"/runs/{w.done}/publish", lambda w: None, None,
        {"owner": 202, "staff": 202},
        lambda w: Publication.objects.count()),
    "POST /runs/{id}/reproduce": (
        "post", lambda w: f"/runs/{w.done}/reproduce", lambda w: None, None,
        {"owner": 202, "other": 202, "staff": 202},
        lambda w: Reproduction.objects.count()),
    "POST /cache": (
        "post", lambda w: "/cache", lambda w: _upload(), "multipart",
        {"owner": 201, "other": 201, "staff": 201},
        lambda w: CacheItem.objects.count()),
    "POST /cache/import": (
        "post", lambda w: f"/cache/import?path={w.import_path}", lambda w: None, None,
        {"staff": 201},
        lambda w: CacheItem.objects.count()),
    "POST /assets": (
        "post", lambda w: "/assets", lambda w: {"name": "new", "content_hash": w.cat}, "json",
        {"owner": 201, "other": 201, "staff": 201},
        lambda w: Asset.objects.count()),
    "PATCH /assets/{name}": (
        "patch", lambda w: "/assets/owned", lambda w: {"name": "renamed"}, "json",
        {"owner": 200, "staff": 200},
        lambda w: sorted(Asset.objects.values_list("name", flat=True))),
    "DELETE /assets/{name}": (
        "delete", lambda w: "/assets/owned", lambda w: None, None,
        {"owner": 204, "staff": 204},
        lambda w: sorted(Asset.objects.values_list("name", flat=True))),
    "POST /tokens": (
        "post", lambda w: "/tokens", lambda w: {"name": "ci"}, "json",
        {"owner": 201, "other": 201, "staff": 201},
        lambda w: ApiToken.objects.count()),
    "DELETE /tokens/{id}": (
        "delete", lambda w: f"/tokens/{w.token.pk}", lambda w: None, None,
        {"owner": 200},
        lambda w: ApiToken.objects.get(pk=w.token.pk).revoked_at),
}

# What a refusal looks like: anonymous clients must log in; signed-in users
# who may not act get 403, except that another user's token does not exist for them.
REFUSED = {"anonymous": 401, "other": 403, "staff": 403, "owner": 403}
HIDDEN = {"DELETE /tokens/{id}": {"other": 404, "staff": 404}}


@pytest.mark.parametrize("who", ["owner", "other", "anonymous", "staff"])
@pytest.mark.parametrize("endpoint", CASES, ids=list(CASES))
def test_each_write_endpoint_lets_only_the_right_users_act(endpoint, who, world, owner, other,
                                                          staff):
    method, url, body, fmt, allowed, snapshot = CASES[endpoint]
    client = {"owner": client_for(owner), "other": client_for(other),
              "staff": client_for(staff), "anonymous": APIClient()}[who]
    before = snapshot(world)
    kwargs = {"format": fmt} if fmt else {}
    data = body(world)
    response = getattr(client, method)(url(world), data, **kwargs) if data is not None \
        else getattr(client, method)(url(world))
    expected = allowed.get(who) or HIDDEN.get(endpoint, {}).get(who) or REFUSED[who]
    assert response.status_code == expected, response.content
    if who not in allowed:
        assert response.json()["error"]["code"] in (
            "not_authenticated", "permission_denied", "not_found"), response.json()
        assert snapshot(world) == before
    else:
        assert snapshot(world) != before


def test_an_asset_nobody_owns_is_changed_only_by_staff(demo, other_api, staff_api):
    assert other_api.patch("/assets/cat", {"tags": ["x"]}, format="json").status_code == 403
    assert staff_api.patch("/assets/cat", {"tags": ["x"]}, format="json").json()["tags"] == ["x"]


def test_a_private_server_needs_a_login_to_read_but_still_publishes_its_key(
        settings, completed_run, anon_api, other_api):
    settings.L1_PRIVATE = True
    for path in ("/", "/runs", f"/runs/{completed_run}", f"/runs/{completed_run}/provenance",
                 "/cache", "/assets", "/recipes", "/effects"):
        response = anon_api.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_authenticated"
        assert other_api.get(path).status_code == 200, path
    assert anon_api.get("/actor").status_code == 200
    record = other_api.get(f"/runs/{completed_run}/provenance").json()
    assert anon_api.post("/provenance/verify", record, format="json").status_code == 401
    assert other_api.post("/provenance/verify", record, format="json").json()["valid"] is True


def test_an_open_server_lets_anyone_read_and_verify(completed_run, anon_api):
    assert anon_api.get(f"/runs/{completed_run}").status_code == 200
    record = anon_api.get(f"/runs/{completed_run}/provenance").json()
    assert anon_api.post("/provenance/verify", record, format="json").json()["valid"] is True


def test_uploads_assets_and_runs_record_who_made_them(owner_api, demo, owner):
    from tests.helpers import upload

    content = upload(owner_api, images.png(12, 12, seed=12))
    listed = {i["content_hash"]: i for i in owner_api.get("/cache").json()["results"]}
    assert listed[content]["owner"] == "painter"
    owner_api.post("/assets", {"name": "mine", "content_hash": content}, format="json")
    assert owner_api.get("/assets/mine").json()["owner"] == "painter"
    run = owner_api.post("/runs", {"recipe": "invert", "inputs": ["mine"]}, format="json").json()
    assert run["owner"] == "painter"
