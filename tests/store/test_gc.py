"""cache_gc with ARTDAG_STORE=s3: what it collects leaves the bucket too, and
a bucket that will not delete keeps the item."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from cache.models import CacheItem
from cache.services import cache_store_bytes
from cache.store import cache_path
from tests import images
from tests.store.conftest import listing

pytestmark = pytest.mark.django_db


def stored(data: bytes, **fields) -> CacheItem:
    item = cache_store_bytes(data, origin=CacheItem.Origin.UPLOADED, name="x.png")
    CacheItem.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=1),
                                                **fields)
    return item


def gc() -> str:
    out = StringIO()
    call_command("cache_gc", "--grace-seconds", "0", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cache_gc_deletes_the_bucket_object_of_what_it_collects_and_keeps_the_rest(bucket):
    garbage = stored(images.png(seed=20))
    pinned = stored(images.png(seed=21), pinned=True)
    assert set(listing(bucket)) == {garbage.pk, pinned.pk}

    assert gc().split() == ["deleted", garbage.pk]

    assert set(listing(bucket)) == {pinned.pk}
    assert not CacheItem.objects.filter(pk=garbage.pk).exists()
    assert not cache_path(garbage.pk).exists()
    assert CacheItem.objects.filter(pk=pinned.pk).exists() and cache_path(pinned.pk).exists()


def test_the_same_bytes_stored_after_a_collection_go_to_the_bucket_again(bucket):
    data = images.png(seed=22)
    gone = stored(data)
    gc()
    assert listing(bucket) == {}

    again = cache_store_bytes(data, origin=CacheItem.Origin.UPLOADED)
    assert again.pk == gone.pk
    assert listing(bucket) == {again.pk: len(data)}


def test_a_bucket_that_will_not_delete_keeps_the_item_and_fails_the_command(bucket):
    older, newer = stored(images.png(seed=23)), stored(images.png(seed=24))
    CacheItem.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    settings.S3_BUCKET = "artdag-no-such-bucket"  # every delete is refused: NoSuchBucket

    out = StringIO()
    with pytest.raises(CommandError, match="shared store did not delete"):
        call_command("cache_gc", "--grace-seconds", "0", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith(f"kept {older.pk}: ")
    # Nothing changed: both rows and files stay, and gc stopped at the first
    # refusal instead of trying the next item.
    assert CacheItem.objects.filter(pk__in=[older.pk, newer.pk]).count() == 2
    assert cache_path(older.pk).exists() and cache_path(newer.pk).exists()
    settings.S3_BUCKET = bucket
    assert set(listing(bucket)) == {older.pk, newer.pk}


def test_objects_no_row_names_leave_the_bucket_once_older_than_the_grace(bucket):
    import hashlib

    from cache import objects

    kept = stored(images.png(seed=25), pinned=True)
    orphan = images.png(seed=26)  # uploaded, but its row never committed
    orphan_hash = hashlib.sha3_256(orphan).hexdigest()
    objects.put_bytes(orphan_hash, orphan)
    objects.client().put_object(Bucket=bucket, Key="README.txt", Body=b"not ours")

    def run(*args) -> str:
        err = StringIO()
        call_command("cache_gc", *args, stdout=StringIO(), stderr=err)
        return err.getvalue()

    assert "0 orphan file(s), " in run()  # within the default grace (an hour): left alone
    assert "1 orphan object(s)" in run("--grace-seconds", "0", "--dry-run")
    assert orphan_hash in listing(bucket)
    assert "1 orphan object(s)" in run("--grace-seconds", "0")
    # A key that names no content is not ours to delete.
    assert set(listing(bucket)) == {kept.pk, "README.txt"}
