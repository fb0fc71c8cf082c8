"""Hostile requests across the API: always a 4xx JSON error, never a 500."""

import pytest

from assets.models import Asset
from runs.models import Run

pytestmark = pytest.mark.django_db

HASH = "a" * 64


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,                       # nested past the decoder's recursion
    '{"recipe": "dog", "inputs": ["cat\\u0000"]}',       # NUL, which PostgreSQL cannot store
    '{"recipe": "do\\u0000g", "inputs": ["cat"]}',
    '{"recipe": "dog", "inputs": ["cat"], "output_name": "a\\u0000b"}',
    '{"recipe": "dog", "inputs": [null]}',
    '{"recipe": "dog", "inputs": [{"a": 1}]}',
    '{"recipe": "dog", "inputs": ["\\ud800"]}',          # a lone surrogate
    '{"recipe": "dog", "inputs": ["' + "x" * 5000 + '"]}',
    '"just a string"',
    "null",
    "",
])
def test_hostile_run_requests_get_a_json_4xx_and_create_nothing(artist_api, demo, body):
    response = artist_api.post("/runs", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]
    assert Run.objects.count() == 0


def test_a_json_body_over_the_limit_is_413(artist_api, demo, settings):
    settings.MAX_JSON_BYTES = 2048
    body = '{"recipe": "dog", "inputs": ["cat"], "output_name": "' + "x" * 4000 + '"}'
    response = artist_api.post("/runs", body, content_type="application/json")
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize("body", [
    '{"name": "ok", "content_hash": "ab\\u0000"}',
    '{"name": "ok", "content_hash": "' + HASH + '", "tags": ["x\\u0000"]}',
    '{"name": "ok", "content_hash": "' + HASH + '", "description": "x\\u0000"}',
    '{"name": "ok", "content_hash": "' + HASH + '", "tags": "not-a-list"}',
    '{"name": ["ok"], "content_hash": "' + HASH + '"}',
])
def test_hostile_asset_requests_get_a_json_4xx(artist_api, body):
    response = artist_api.post("/assets", body, content_type="application/json")
    assert 400 <= response.status_code < 500 and response.json()["error"]["message"]
    assert Asset.objects.count() == 0


@pytest.mark.parametrize("path", [
    "/runs?status=%00", "/runs?recipe=%00", "/cache?media_type=%00", "/cache?origin=%00",
    "/assets/%00", "/recipes/%00", "/runs/%00", "/cache/%00", "/cache?cursor=garbage",
    "/runs?cursor=%ff%fe", "/runs?limit=-1", "/runs?limit=abc", "/cache/import",
    # Forged cursors (base64 of p=not-a-date, of p=cat%00): more in tests/hostile/test_opaque_values.py
    "/runs?cursor=cD1ub3QtYS1kYXRl", "/cache?cursor=cD1ub3QtYS1kYXRl", "/assets?cursor=cD1jYXQlMDA%3D",
])
def test_hostile_reads_never_fail_with_a_500(api, path):
    response = api.get(path)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("query", ["path=%00", "path=/tmp/%00x", "path=" + "a" * 5000,
                                   "path=/" + "a/" * 3000])
def test_hostile_import_paths_get_a_json_4xx(staff_api, query):
    response = staff_api.post("/cache/import?" + query)
    assert 400 <= response.status_code < 500 and response.json()["error"]["message"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_methods_are_405_with_the_error_shape(artist_api, method):
    response = getattr(artist_api, method)("/runs")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
