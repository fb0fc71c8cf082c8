"""manage.py store_push: moving a server's files from the local store to the bucket."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cache.services import cache_store_bytes
from cache.store import cache_path
from tests import images
from tests.store.conftest import listing


def test_store_push_uploads_what_the_bucket_lacks_and_is_safe_to_repeat(db, bucket, capsys):
    settings.CONTENT_STORE = "local"  # files stored before the switch
    items = [cache_store_bytes(images.png(seed=s), origin="uploaded") for s in range(3)]
    cache_path(items[2].pk).unlink()  # indexed, but lost on this host
    assert listing(bucket) == {}

    settings.CONTENT_STORE = "s3"
    call_command("store_push")
    assert "pushed 2 file(s); 0 already in the bucket; 1 indexed but not on this host" in \
        capsys.readouterr().out
    assert set(listing(bucket)) == {items[0].pk, items[1].pk}

    call_command("store_push")
    assert "pushed 0 file(s); 2 already in the bucket" in capsys.readouterr().out


def test_store_push_refuses_with_the_local_store(db, settings):
    settings.CONTENT_STORE = "local"
    with pytest.raises(CommandError, match="ARTDAG_STORE is local"):
        call_command("store_push")
