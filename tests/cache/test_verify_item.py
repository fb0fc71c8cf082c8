"""Re-hashing a stored file tells intact, corrupted and missing bytes apart."""

import pytest

from cache.models import CacheItem
from cache.services import cache_store_bytes, cache_verify_item
from cache.store import cache_path

pytestmark = pytest.mark.django_db


def _item(data: bytes) -> CacheItem:
    return cache_store_bytes(data, origin=CacheItem.Origin.UPLOADED, name="x.bin")


def test_an_intact_file_verifies_ok():
    assert cache_verify_item(_item(b"intact bytes")) == "ok"


def test_a_file_whose_bytes_changed_is_corrupt():
    item = _item(b"bytes that will rot")
    path = cache_path(item.pk)
    path.chmod(0o644)
    path.write_bytes(b"bytes that did rot")
    assert cache_verify_item(item) == "corrupt"


def test_a_file_that_vanished_is_missing():
    item = _item(b"bytes that will vanish")
    cache_path(item.pk).unlink()
    assert cache_verify_item(item) == "missing"
