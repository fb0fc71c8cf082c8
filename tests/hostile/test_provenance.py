"""Hostile bodies at the new endpoints: a 4xx JSON error or a clear verdict, never a 500."""

import json

import pytest

from accounts.models import ApiToken
from assets.models import Asset

pytestmark = pytest.mark.django_db


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("body", [
    _deep(100_000), _deep(900), "null", '"a string"', "", "{", '{"record": null}',
    '{"record": {"signature": "\\ud800"}}',
])
def test_hostile_verify_requests_get_a_4xx_or_an_invalid_verdict(api, db, body):
    response = api.post("/provenance/verify", body, content_type="application/json")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["valid"] is False
    else:
        assert response.json()["error"]["message"]


def test_a_deeply_nested_record_with_our_key_id_is_invalid_not_a_crash(api, completed_run):
    record = api.get(f"/runs/{completed_run}/provenance").json()
    body = json.dumps({**record, "extra": "__DEEP__"}).replace('"__DEEP__"', _deep(900))
    response = api.post("/provenance/verify", body, content_type="application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["valid"] is False


@pytest.mark.parametrize("body", [_deep(100_000), '{"name": "a\\u0000b"}', '{"name": null}',
                                  '["list"]', '{"name": "/"}'])
def test_hostile_token_requests_get_a_400_and_create_nothing(owner_api, body):
    response = owner_api.post("/tokens", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("body", [_deep(100_000), '{"name": "a\\u0000b"}', '{"tags": [null]}',
                                  '["list"]', '{"description": "' + "x" * 3000 + '"}'])
def test_hostile_asset_changes_get_a_400_and_change_nothing(owner_api, owner, demo, body):
    from assets.services import asset_register

    asset_register(name="owned", content_hash=Asset.objects.get(name="cat").content_id, tags=[],
                   owner=owner)
    response = owner_api.patch("/assets/owned", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert Asset.objects.filter(name="owned", tags=[]).exists()


@pytest.mark.parametrize("path", ["/cache/%00/lineage", "/cache/" + "A" * 64 + "/lineage",
                                  "/runs/%00/provenance", "/runs/x/reproduce", "/tokens/%00"])
def test_hostile_paths_get_a_4xx(owner_api, db, path):
    method = owner_api.post if path.endswith("reproduce") else (
        owner_api.delete if path.startswith("/tokens") else owner_api.get)
    response = method(path)
    assert 400 <= response.status_code < 500, (path, response.content)
