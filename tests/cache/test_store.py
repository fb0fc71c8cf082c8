import hashlib
import os

import pytest

from cache import store


def test_store_file_keeps_the_bytes_it_hashed(tmp_path):
    source = tmp_path / "big.bin"
    data = os.urandom(3 * store.CHUNK + 123)
    source.write_bytes(data)
    seen = []
    digest, size = store.store_file(source, progress=seen.append)
    assert digest == hashlib.sha3_256(data).hexdigest() and size == len(data)
    assert store.cache_path(digest).read_bytes() == data
    assert sum(seen) == len(data)
    assert not list((store.cache_path(digest).parents[2] / "tmp").glob("in-*"))


def test_the_copy_falls_back_to_plain_reads_where_the_kernel_cannot_copy(tmp_path):
    # A pipe is no file copy_file_range accepts: the manual loop takes over.
    data = os.urandom(200_000)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data[:60_000])
    os.close(write_fd)
    target = tmp_path / "out"
    with open(read_fd, "rb", buffering=0) as source, open(target, "w+b") as out:
        store._copy(source, out)
    assert target.read_bytes() == data[:60_000]


def test_a_failed_import_leaves_no_temp_file(tmp_path):
    with pytest.raises(IsADirectoryError):
        store.store_file(tmp_path)
    assert not list((store.cache_path("0" * 64).parents[2] / "tmp").glob("in-*"))


def test_a_file_placed_in_new_shard_folders_has_every_new_folder_synced_into_its_parent(
        monkeypatch, settings, tmp_path):
    settings.CACHE_DIR = tmp_path / "cache"
    # After a crash, a renamed file is only there if its folders' own
    # entries reached the disk: each folder made for it is fsynced in its parent.
    synced, real_fsync = [], os.fsync

    def recording_fsync(fd):
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(store.os, "fsync", recording_fsync)
    data = os.urandom(1000)
    digest = hashlib.sha3_256(data).hexdigest()
    final = store.cache_path(digest)
    assert store.store_bytes(data) == (digest, 1000)
    for folder in (final.parent, final.parent.parent, final.parent.parent.parent):
        assert folder.stat().st_ino in synced, folder
    # The next file in the same folders syncs only the file and its folder.
    synced.clear()
    other = os.urandom(1000)
    while hashlib.sha3_256(other).hexdigest()[:4] != digest[:4]:
        other = os.urandom(1000)
    store.store_bytes(other)
    assert final.parent.parent.stat().st_ino not in synced and len(synced) == 2
