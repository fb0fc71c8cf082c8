"""POST /cache/presence: which of many hashes the server holds, in one request."""

import hashlib

import pytest

from cache.models import CacheItem
from cache.serializers import MAX_PRESENCE_HASHES
from cache.store import cache_path
from tests import images
from tests.helpers import cache_files, upload

pytestmark = pytest.mark.django_db


def test_it_splits_hashes_into_present_and_missing_in_the_order_given(artist_api, api):
    held = [upload(artist_api, images.png(seed=s)) for s in (1, 2)]
    absent = hashlib.sha3_256(b"never uploaded").hexdigest()
    response = api.post("/cache/presence", {"hashes": [absent, held[1], held[0], held[1]]},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"present": [held[1], held[0]], "missing": [absent]}


def test_a_row_whose_bytes_are_gone_counts_as_missing(artist_api, api):
    content_hash = upload(artist_api, images.png(seed=5))
    cache_path(content_hash).unlink()
    assert CacheItem.objects.filter(pk=content_hash).exists()
    body = api.post("/cache/presence", {"hashes": [content_hash]}, format="json").json()
    assert body == {"present": [], "missing": [content_hash]}


@pytest.mark.parametrize("body,message", [
    ({}, "hashes: This field is required."),
    ({"hashes": []}, "hashes: This list may not be empty."),
    ({"hashes": "a" * 64}, 'hashes: Expected a list of items but got type "str".'),
    ({"hashes": ["A" * 64]}, "not a content hash"),
    ({"hashes": ["a" * 63]}, "not a content hash"),
    ({"hashes": [7]}, "not a content hash"),
    ({"hashes": ["a" * 64] * (MAX_PRESENCE_HASHES + 1)}, f"no more than {MAX_PRESENCE_HASHES}"),
])
def test_bad_input_is_a_400_in_the_error_shape_and_changes_nothing(api, body, message):
    before = cache_files()
    response = api.post("/cache/presence", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and message in error["message"], error
    assert cache_files() == before


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post("/cache/presence", b"hashes=abc", content_type="text/plain")
    assert response.status_code == 415 and "error" in response.json()


def test_a_private_server_answers_only_a_logged_in_caller(settings, artist_api):
    from rest_framework.test import APIClient

    content_hash = upload(artist_api, images.png(seed=7))
    settings.L1_PRIVATE = True
    response = APIClient().post("/cache/presence", {"hashes": [content_hash]}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    body = artist_api.post("/cache/presence", {"hashes": [content_hash]}, format="json").json()
    assert body["present"] == [content_hash]
