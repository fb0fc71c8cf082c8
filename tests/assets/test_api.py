import pytest

from assets.models import Asset
from tests import images
from tests.helpers import upload

pytestmark = pytest.mark.django_db


def test_registering_an_asset_names_cached_content(artist_api, user):
    digest = upload(artist_api, images.png())
    response = artist_api.post("/assets", {"name": "sunset", "content_hash": digest,
                                           "tags": ["sky"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {**response.json(), "name": "sunset", "content_hash": digest,
                               "tags": ["sky"], "owner": user.username, "media_type": "image/png"}
    listed = artist_api.get("/assets").json()["results"]
    assert [a["name"] for a in listed] == ["sunset"]
    assert artist_api.get("/assets/sunset").json()["content_hash"] == digest


def test_a_taken_name_is_409_and_keeps_the_first(artist_api):
    first = upload(artist_api, images.png(seed=1))
    second = upload(artist_api, images.png(seed=2))
    artist_api.post("/assets", {"name": "dup", "content_hash": first}, format="json")
    response = artist_api.post("/assets", {"name": "dup", "content_hash": second}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "name_taken"
    assert Asset.objects.get(name="dup").content_id == first


@pytest.mark.parametrize("name", ["", "has space", "../etc", "a" * 129, "ab" * 32, "-dash",
                                  "nul\x00byte", "émoji😀"])
def test_bad_asset_names_are_refused(artist_api, name):
    digest = upload(artist_api, images.png())
    response = artist_api.post("/assets", {"name": name, "content_hash": digest}, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"]
    assert Asset.objects.count() == 0


@pytest.mark.parametrize("content_hash,status", [("zz", 400), ("0" * 64, 404)])
def test_an_asset_must_name_content_that_is_in_the_cache(artist_api, content_hash, status):
    response = artist_api.post("/assets", {"name": "ghost", "content_hash": content_hash},
                               format="json")
    assert response.status_code == status
    assert Asset.objects.count() == 0


def test_anonymous_clients_cannot_register_assets(api):
    assert api.post("/assets", {"name": "x", "content_hash": "0" * 64}, format="json").status_code == 401
