"""DirectoryStore: files under their content hash, taken over by a move."""

import hashlib
import os

from engine.canonical import sha3_hex
from engine.dag import store as store_module
from engine.dag.store import DirectoryStore, file_hash


def test_a_saved_file_is_moved_under_its_content_hash_and_indexed_by_the_steps_id(store,
                                                                                 tmp_path):
    data = os.urandom(3 * store_module.BLOCK + 17)  # hashed in several blocks
    path = tmp_path / "work.mkv"
    path.write_bytes(data)
    store.save_file("step-id", path, "video/x-matroska", None)
    found, media_type = store.find("step-id")
    assert not path.exists() and media_type == "video/x-matroska"
    assert found.name == hashlib.sha3_256(data).hexdigest() == store.content_hash("step-id")
    assert found.read_bytes() == data


def test_the_same_bytes_from_two_steps_are_stored_once(store, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).write_bytes(b"same")
        store.save_file(f"step-{name}", tmp_path / name, "image/png", None)
    assert store.find("step-a")[0] == store.find("step-b")[0]
    assert len(list((store.root / "content").iterdir())) == 1


def test_put_file_stores_a_copy_and_leaves_the_callers_file(store, tmp_path):
    path = tmp_path / "upload.wav"
    path.write_bytes(b"RIFF....")
    content_hash = store.put_file(path, "audio/wav")
    assert path.exists() and content_hash == sha3_hex(b"RIFF....") == file_hash(path)
    assert store.find(content_hash) == (store.root / "content" / content_hash, "audio/wav")
    assert store.put(b"RIFF....", "audio/wav") == content_hash


def test_a_file_on_another_file_system_is_copied_in_whole_then_removed(store, tmp_path,
                                                                       monkeypatch):
    real = os.replace
    refused = []

    def across_devices(source, target):
        if str(source).startswith(str(tmp_path / "elsewhere")):
            refused.append(source)
            raise OSError(18, "Invalid cross-device link")
        return real(source, target)

    monkeypatch.setattr(store_module.os, "replace", across_devices)
    (tmp_path / "elsewhere").mkdir()
    path = tmp_path / "elsewhere" / "out.mp4"
    path.write_bytes(b"pictures")
    store.save_file("step", path, "video/mp4", None)
    assert refused and not path.exists()
    assert store.find("step")[0].read_bytes() == b"pictures"
    assert sorted(p.name for p in store.root.iterdir()) == ["content", "steps"]  # no temp left


def test_a_list_is_stored_as_its_canonical_manifest(tmp_path):
    store = DirectoryStore(tmp_path)
    ids = ["a" * 64, "b" * 64]
    manifest = store.put_list(ids)
    assert store.find(manifest)[0].read_bytes() == b'{"items":["' + b"a" * 64 + b'","' + \
        b"b" * 64 + b'"]}'
