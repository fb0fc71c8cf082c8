"""ARTDAG_STORE=s3 against a real S3-compatible HTTP server: writes are
published, missing files are fetched, and every fetched file is re-hashed."""

import hashlib
import os
import subprocess
import sys

import pytest
from django.conf import settings

from assets.models import Asset
from cache import content, objects, thumbs
from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache.store import cache_path
from runs import steps
from runs.demo import seed_demo
from runs.models import Run
from runs.services import run_submit
from tests import images
from tests.conftest import ROOT
from tests.helpers import upload
from tests.store.conftest import listing


def sha3(data: bytes) -> str:
    return hashlib.sha3_256(data).hexdigest()


def test_an_upload_reaches_the_bucket_before_it_is_indexed(bucket, artist_api):
    data = images.png(seed=1)
    digest = upload(artist_api, data)
    assert listing(bucket) == {digest: len(data)}
    assert cache_path(digest).read_bytes() == data  # and this host keeps its copy


def test_a_file_this_host_lacks_is_fetched_from_the_bucket_and_served(bucket, artist_api):
    data = images.png(seed=2)
    digest = upload(artist_api, data)
    cache_path(digest).unlink()  # as if another host had stored it

    response = artist_api.get(f"/cache/{digest}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert cache_path(digest).read_bytes() == data


def test_a_corrupt_object_in_the_bucket_is_refused_and_never_kept(bucket, artist_api):
    data = images.png(seed=3)
    digest = upload(artist_api, data)
    cache_path(digest).unlink()
    objects.put_bytes(digest, data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped in the store

    with pytest.raises(content.ContentCorrupt):
        content.ensure_local(digest)
    assert not cache_path(digest).exists()
    assert not list((settings.CACHE_DIR / "tmp").iterdir())  # no temp file left either

    response = artist_api.get(f"/cache/{digest}")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "corrupt_content"


def test_a_render_refuses_a_corrupt_input_from_the_bucket(bucket, artist_api):
    seed_demo()
    data = images.png(seed=4)
    digest = upload(artist_api, data)
    run, _ = run_submit(recipe="invert", inputs=[digest])
    cache_path(digest).unlink()
    objects.put_bytes(digest, b"not the bytes that hash to this name")

    steps.schedule(run.pk, task_id=run.task_id)
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "corrupt" in run.error and run.output is None


def test_content_in_neither_place_is_a_404(bucket, artist_api):
    data = images.png(seed=5)
    digest = upload(artist_api, data)
    cache_path(digest).unlink()
    objects.client().delete_object(Bucket=bucket, Key=digest)

    with pytest.raises(content.ContentMissing):
        content.ensure_local(digest)
    response = artist_api.get(f"/cache/{digest}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unreachable_store_refuses_the_upload_with_503_and_indexes_nothing(bucket, artist_api):
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = artist_api.post("/cache", {"file": _file(images.png(seed=6))}, format="multipart")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert CacheItem.objects.count() == 0


def test_a_bucket_that_refuses_the_upload_answers_503_and_indexes_nothing(bucket, artist_api):
    settings.S3_BUCKET = "artdag-no-such-bucket"  # reachable, but every upload is refused
    response = artist_api.post("/cache", {"file": _file(images.png(seed=7))}, format="multipart")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert CacheItem.objects.count() == 0


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("in.png", data)


def test_the_local_store_fetches_nothing_and_needs_no_bucket(db, settings, tmp_path):
    settings.CONTENT_STORE = "local"
    settings.CACHE_DIR = tmp_path
    (tmp_path / "tmp").mkdir()
    with pytest.raises(content.ContentMissing):
        content.ensure_local("ab" * 32)
    content.stored("ab" * 32)  # nothing to publish: no bucket is asked


def test_the_web_process_does_not_load_boto3_with_the_local_store():
    # Loading every URL imports every view and what they import, as a web
    # process does; boto3 must wait until a bucket is actually called.
    script = ("import django, sys; django.setup(); "
              "from django.urls import get_resolver; get_resolver().url_patterns; "
              "loaded = sorted(m for m in ('boto3', 'botocore') if m in sys.modules); "
              "assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "l1site.settings",
                               "ARTDAG_STORE": "local"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("env, message", [
    ({"ARTDAG_STORE": "nfs"}, "ARTDAG_STORE must be local or s3"),
    ({"ARTDAG_STORE": "s3"}, "ARTDAG_STORE=s3 needs ARTDAG_S3_BUCKET"),
    ({"ARTDAG_STORE": "s3", "ARTDAG_S3_BUCKET": "b", "ARTDAG_S3_ENDPOINT_URL": "minio:9000"},
     "ARTDAG_S3_ENDPOINT_URL must be an http(s) URL"),
    ({"ARTDAG_S3_ACCESS_KEY_ID": "only-the-id"}, "set both ARTDAG_S3_ACCESS_KEY_ID"),
    ({"ARTDAG_HOT_CACHE_BYTES": "lots"}, "ARTDAG_HOT_CACHE_BYTES must be an integer"),
])
def test_a_malformed_store_setting_stops_start_up_with_its_name(env, message):
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "l1site.settings", **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert message in done.stderr


def test_ensure_local_refuses_anything_but_a_content_hash(bucket):
    for bad in ("../../etc/passwd", "AB" * 32, "ab" * 31, ""):
        with pytest.raises(content.ContentMissing):
            content.ensure_local(bad)


def test_a_page_or_thumbnail_of_a_file_only_in_the_bucket_fetches_nothing(bucket, client, db):
    data = images.png(seed=8)
    item = cache_store_bytes(data, origin="uploaded", name="far.png")
    thumbs.thumbnails_make(item.pk)
    cache_path(item.pk).unlink()  # the bucket has it; this host no longer does

    page = client.get(f"/cache/{item.pk}/detail")
    assert page.status_code == 200 and f'href="/cache/{item.pk}" download' in page.content.decode()
    assert client.get(f"/cache/{item.pk}/thumb/256").status_code == 200
    assert not cache_path(item.pk).exists()

    objects.client().delete_object(Bucket=bucket, Key=item.pk)
    page = client.get(f"/cache/{item.pk}/detail")
    assert page.status_code == 200 and 'id="bytes-unavailable"' in page.content.decode()


def test_naming_a_file_only_in_the_bucket_fetches_nothing_and_bytes_gone_everywhere_is_a_404(
        bucket, artist_api):
    data = images.png(seed=9)
    digest = upload(artist_api, data)
    cache_path(digest).unlink()  # the bucket has it; this host no longer does

    response = artist_api.post("/assets", {"name": "far", "content_hash": digest}, format="json")
    assert response.status_code == 201, response.json()
    assert not cache_path(digest).exists()  # named, not copied onto the web host

    objects.client().delete_object(Bucket=bucket, Key=digest)
    response = artist_api.post("/assets", {"name": "gone", "content_hash": digest}, format="json")
    assert response.status_code == 404 and "no longer in the cache" in response.json()["error"]["message"]
    assert Asset.objects.filter(name="gone").count() == 0
