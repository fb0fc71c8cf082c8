"""The cache over HTTP: upload, list, download, import."""

import hashlib
import os

import pytest
from django.conf import settings

from cache.models import CacheItem
from cache.store import cache_path
from tests import images
from tests.helpers import cache_files, post_file

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_under_the_sha3_of_its_bytes(artist_api):
    data = images.png()
    response = post_file(artist_api, data)
    assert response.status_code == 201, response.json()
    body = response.json()
    digest = hashlib.sha3_256(data).hexdigest()
    assert body["content_hash"] == digest
    assert body["media_type"] == "image/png" and (body["width"], body["height"]) == (48, 32)
    assert body["origin"] == "uploaded" and body["size"] == len(data)
    assert cache_path(digest).read_bytes() == data
    assert cache_path(digest).parent.parent.name == digest[:2]


def test_uploading_the_same_bytes_again_answers_200_with_the_same_item(artist_api):
    data = images.png(seed=3)
    first = post_file(artist_api, data).json()
    again = post_file(artist_api, data, name="other-name.png")
    assert again.status_code == 200 and again.json()["content_hash"] == first["content_hash"]
    assert CacheItem.objects.count() == 1


def test_the_server_hashes_bytes_itself_and_ignores_the_client_filename_type(artist_api):
    body = post_file(artist_api, b"plain text, named like an image", name="evil.html").json()
    assert body["media_type"] == "text/html"  # from the name, since it is no image...
    response = artist_api.get(body["url"])
    # ...so it is never served inline on our origin.
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_uploads_are_refused_and_nothing_is_written(api):
    before = cache_files()
    response = post_file(api, images.png(seed=9))
    assert response.status_code in (401, 403)
    assert response.json()["error"]["message"]
    assert cache_files() == before and CacheItem.objects.count() == 0


def test_an_upload_over_the_size_limit_is_413_and_leaves_no_file(artist_api, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    before = cache_files()
    response = post_file(artist_api, os.urandom(5000))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert cache_files() == before and CacheItem.objects.count() == 0


def test_a_post_without_a_file_field_is_400(artist_api):
    response = artist_api.post("/cache", {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_required"


def test_listing_is_newest_first_and_paginated(artist_api):
    hashes = [post_file(artist_api, images.png(seed=s)).json()["content_hash"] for s in range(3)]
    page = artist_api.get("/cache?limit=2").json()
    assert [i["content_hash"] for i in page["results"]] == hashes[::-1][:2]
    rest = artist_api.get(page["next"]).json()
    assert [i["content_hash"] for i in rest["results"]] == hashes[:1]


def test_listing_filters_by_media_type_and_origin(artist_api):
    post_file(artist_api, images.png())
    post_file(artist_api, images.encode(images.pattern(), "JPEG"), "x.jpg")
    assert {i["media_type"] for i in artist_api.get("/cache?media_type=image/jpeg").json()["results"]} == {"image/jpeg"}
    assert len(artist_api.get("/cache?media_type=image/").json()["results"]) == 2
    assert artist_api.get("/cache?origin=rendered").json()["results"] == []
    assert artist_api.get("/cache?origin=bogus").status_code == 400


class TestDownload:
    @pytest.fixture
    def item(self, artist_api):
        data = images.png(120, 90)
        return data, post_file(artist_api, data).json()["content_hash"]

    def test_download_gives_the_bytes_with_type_etag_and_immutable_caching(self, api, item):
        data, digest = item
        response = api.get(f"/cache/{digest}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
        assert response["Content-Type"] == "image/png"
        assert response["ETag"] == f'"{digest}"'
        assert "immutable" in response["Cache-Control"]
        assert response["Content-Disposition"].startswith("inline")

    def test_a_matching_etag_gets_304(self, api, item):
        _, digest = item
        assert api.get(f"/cache/{digest}", HTTP_IF_NONE_MATCH=f'"{digest}"').status_code == 304

    @pytest.mark.parametrize("header,expect", [
        ("bytes=0-9", slice(0, 10)), ("bytes=10-", slice(10, None)), ("bytes=-5", slice(-5, None)),
        ("bytes=5-100000000", slice(5, None)),
    ])
    def test_range_requests_return_exactly_the_bytes_asked_for(self, api, item, header, expect):
        data, digest = item
        response = api.get(f"/cache/{digest}", HTTP_RANGE=header)
        assert response.status_code == 206
        body = b"".join(response.streaming_content)
        assert body == data[expect]
        assert response["Content-Length"] == str(len(body))
        assert response["Content-Range"].endswith(f"/{len(data)}")

    def test_an_unsatisfiable_range_is_416(self, api, item):
        data, digest = item
        response = api.get(f"/cache/{digest}", HTTP_RANGE=f"bytes={len(data) + 10}-")
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{len(data)}"
        assert response.json()["error"]["code"] == "range_not_satisfiable"

    def test_a_malformed_hash_is_400_and_an_unknown_one_404(self, api):
        bad = api.get("/cache/not-a-hash")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_hash"
        unknown = api.get("/cache/" + "0" * 64)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


class TestImport:
    @pytest.fixture
    def root(self):
        return settings.IMPORT_ROOTS[0]

    def test_staff_imports_a_file_under_the_import_roots(self, staff_api, root):
        path = root / "photo.png"
        path.write_bytes(images.png(seed=5))
        response = staff_api.post(f"/cache/import?path={path}")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["origin"] == "imported" and body["original_name"] == "photo.png"
        assert body["content_hash"] == hashlib.sha3_256(path.read_bytes()).hexdigest()

    def test_a_file_replaced_in_place_is_a_new_item_not_a_stale_one(self, staff_api, root):
        path = root / "changing.png"
        path.write_bytes(images.png(seed=1))
        first = staff_api.post(f"/cache/import?path={path}").json()["content_hash"]
        path.write_bytes(images.png(seed=2))
        second = staff_api.post(f"/cache/import?path={path}").json()["content_hash"]
        assert first != second and cache_path(first).exists()

    def test_non_staff_users_may_not_import(self, artist_api, root):
        path = root / "x.png"
        path.write_bytes(images.png())
        assert artist_api.post(f"/cache/import?path={path}").status_code == 403

    @pytest.mark.parametrize("case,status,code", [
        ("outside", 403, "path_not_allowed"),
        ("dotdot", 400, "invalid_path"),
        ("symlink", 403, "path_not_allowed"),
        ("directory", 400, "not_a_file"),
        ("missing", 404, "not_found"),
        ("relative", 400, "invalid_path"),
        ("empty", 400, "invalid"),
    ])
    def test_bad_import_paths_are_refused_and_write_nothing(self, staff_api, root, tmp_path,
                                                            case, status, code):
        outside = tmp_path / "secret.png"
        outside.write_bytes(images.png(seed=7))
        (root / "sub").mkdir(exist_ok=True)
        link = root / "link.png"
        if not link.is_symlink():
            link.symlink_to(outside)
        path = {
            "outside": str(outside),
            "dotdot": f"{root}/sub/../../{outside.parent.name}/secret.png",
            "symlink": str(link),
            "directory": str(root / "sub"),
            "missing": str(root / "nope.png"),
            "relative": "sub/x.png",
            "empty": "",
        }[case]
        before = cache_files()
        response = staff_api.post("/cache/import", QUERY_STRING=f"path={path}")
        assert response.status_code == status, response.json()
        assert response.json()["error"]["code"] == code
        assert cache_files() == before and CacheItem.objects.count() == 0


def test_head_gives_the_headers_without_the_body(artist_api):
    data = images.png(seed=11)
    digest = post_file(artist_api, data).json()["content_hash"]
    response = artist_api.head(f"/cache/{digest}")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data)) and response.content == b""


def test_an_empty_upload_is_refused(artist_api):
    response = post_file(artist_api, b"")
    assert response.status_code == 400 and response.json()["error"]["code"] == "empty_file"
    assert CacheItem.objects.count() == 0


def test_two_files_in_one_upload_are_refused_and_neither_is_kept(artist_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = cache_files()
    response = artist_api.post("/cache", {"file": [SimpleUploadedFile("a.png", images.png(seed=1)),
                                                   SimpleUploadedFile("b.png", images.png(seed=2))]},
                               format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "one_file_only"
    assert cache_files() == before and CacheItem.objects.count() == 0


def test_a_multipart_body_without_a_boundary_is_400(artist_api):
    response = artist_api.post("/cache", b"xxxx", content_type="multipart/form-data")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_importing_an_empty_file_is_refused(staff_api):
    path = settings.IMPORT_ROOTS[0] / "empty.bin"
    path.write_bytes(b"")
    response = staff_api.post(f"/cache/import?path={path}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "empty_file"
