"""The hot cache in front of the bucket: bounded by bytes, least recently
used out first, never a file being written."""

import hashlib
import os

from django.conf import settings

from cache import content, hot, objects
from cache.services import cache_store_bytes
from cache.store import cache_path


def put(n: int, size: int = 1000) -> str:
    data = bytes([n]) * size
    digest = hashlib.sha3_256(data).hexdigest()
    objects.put_bytes(digest, data)
    return digest


def local_bytes() -> int:
    return sum(size for _, size, _ in hot.cached_files())


def age(path, seconds: float) -> None:
    """mtime is the recency clock; set it explicitly so the order does not
    depend on how fast the machine is."""
    stamp = os.stat(path).st_mtime - seconds
    os.utime(path, (stamp, stamp))


def test_fetches_past_the_limit_evict_the_least_recently_used_files(bucket):
    settings.HOT_CACHE_BYTES = 3500
    first, second, third = put(1), put(2), put(3)
    for i, digest in enumerate((first, second, third)):
        age(content.ensure_local(digest), 100 - i * 10)
    content.ensure_local(first)  # used again: now the most recent

    fourth = content.ensure_local(put(4))  # 4000 bytes > 3500: trim to 90 %

    assert not cache_path(second).exists()  # the least recently used went first
    assert cache_path(first).exists() and cache_path(third).exists() and fourth.exists()
    assert local_bytes() <= settings.HOT_CACHE_BYTES
    # Evicted is not lost: the bucket still has it, and it comes back verified.
    assert content.ensure_local(second).read_bytes() == bytes([2]) * 1000


def test_a_file_being_written_is_never_evicted(bucket):
    settings.HOT_CACHE_BYTES = 1500
    in_progress = settings.CACHE_DIR / "tmp" / "in-upload"
    in_progress.write_bytes(b"x" * 5000)
    content.ensure_local(put(1))
    content.ensure_local(put(2))
    assert in_progress.read_bytes() == b"x" * 5000


def test_a_file_larger_than_the_limit_is_still_delivered(bucket):
    settings.HOT_CACHE_BYTES = 500
    old = content.ensure_local(put(1, size=400))
    big = content.ensure_local(put(2, size=2000))
    assert big.read_bytes() == bytes([2]) * 2000  # the one in use stays...
    assert not old.exists()                       # ...everything else makes room


def test_a_render_s_inputs_all_stay_while_it_needs_them(bucket):
    settings.HOT_CACHE_BYTES = 1500
    paths = content.ensure_local_many([put(1), put(2), put(3)])
    assert all(p.exists() for p in paths)


def test_the_total_is_recounted_when_files_vanish_behind_its_back(bucket):
    settings.HOT_CACHE_BYTES = 2500
    a, b = content.ensure_local(put(1)), content.ensure_local(put(2))
    a.unlink()
    b.unlink()  # e.g. removed by hand: the running total now over-counts
    content.ensure_local(put(3))  # 3000 counted > 2500: walks, finds 1000
    assert local_bytes() == 1000
    assert int((settings.CACHE_DIR / hot.TOTAL_FILE).read_text()) == 1000


def test_a_file_only_this_host_has_is_never_evicted(db, bucket):
    """Switched from the local store before store_push ran: those files are
    the only copy, whatever the limit says."""
    settings.CONTENT_STORE = "local"
    only_here = cache_store_bytes(b"y" * 3000, origin="uploaded").pk
    settings.CONTENT_STORE = "s3"
    settings.HOT_CACHE_BYTES = 2500
    content.ensure_local(put(1))
    content.ensure_local(put(2))
    assert cache_path(only_here).read_bytes() == b"y" * 3000
