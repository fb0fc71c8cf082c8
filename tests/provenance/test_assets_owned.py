"""PATCH and DELETE /assets/{name}: renaming and forgetting names, never content."""

import pytest

from assets.models import Asset
from assets.services import asset_register
from cache.models import CacheItem
from cache.store import cache_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(demo, owner):
    return asset_register(name="owned", content_hash=Asset.objects.get(name="cat").content_id,
                          tags=["a"], owner=owner)


def test_the_owner_renames_an_asset_and_changes_its_tags(owner_api, owned):
    response = owner_api.patch("/assets/owned", {"name": "kitten", "tags": ["b", "c"],
                                                 "description": "small"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "kitten" and response.json()["tags"] == ["b", "c"]
    assert owner_api.get("/assets/owned").status_code == 404
    assert owner_api.get("/assets/kitten").json()["content_hash"] == owned.content_id


def test_deleting_an_asset_keeps_its_cached_content(owner_api, owned):
    assert owner_api.delete("/assets/owned").status_code == 204
    assert not Asset.objects.filter(name="owned").exists()
    assert CacheItem.objects.filter(pk=owned.content_id).exists()
    assert cache_path(owned.content_id).exists()
    assert owner_api.get(f"/cache/{owned.content_id}").status_code == 200


def test_renaming_onto_a_taken_name_is_a_409_and_changes_nothing(owner_api, owned):
    response = owner_api.patch("/assets/owned", {"name": "cat"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "name_taken"
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["cat", "owned"]


@pytest.mark.parametrize("body", [{}, {"name": "bad name"}, {"name": "0" * 64},
                                  {"colour": "red"}, {"tags": "not-a-list"}])
def test_a_bad_change_is_a_400(owner_api, owned, body):
    response = owner_api.patch("/assets/owned", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    owned.refresh_from_db()
    assert owned.name == "owned" and owned.tags == ["a"]


def test_changing_an_unknown_asset_is_a_404(owner_api, db):
    assert owner_api.patch("/assets/nope", {"tags": []}, format="json").status_code == 404
    assert owner_api.delete("/assets/nope").status_code == 404
