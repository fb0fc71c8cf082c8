"""artdag.Client, the Python API, against a live server and a real worker;
its config and hash memo; its provenance check beside the docs script's and
the server's."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import artdag
from artdag.config import Config
from artdag.files import HashMemo
from artdag.transfer import MultipartFile
from cache.models import CacheItem
from runs.models import Run
from tests import images
from tests.conftest import ROOT

pytestmark = pytest.mark.worker


def sha3(data: bytes) -> str:
    return hashlib.sha3_256(data).hexdigest()


def test_presence_splits_many_hashes_in_batches_the_server_accepts(client, server):
    cat = client.json("GET", "/assets/cat")["content_hash"]
    absent = [sha3(str(i).encode()) for i in range(1500)]  # over one request's limit
    present, missing = client.presence([*absent[:700], cat, *absent[700:]])
    assert present == [cat] and missing == absent


def test_upload_tells_which_files_it_sent(client, server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "state"))
    (tmp_path / "pictures").mkdir()
    one, two = tmp_path / "pictures" / "one.png", tmp_path / "pictures" / "two.png"
    one.write_bytes(images.png(64, 64, seed=201))
    two.write_bytes(one.read_bytes())  # the same bytes under another name: sent once
    results = client.upload([one, two])
    assert [(r.path, r.sent) for r in results] == [(one, True), (two, False)]
    assert results[0].content_hash == results[1].content_hash == sha3(one.read_bytes())
    assert CacheItem.objects.get(pk=results[0].content_hash).owner == server.user
    assert [r.sent for r in client.upload([tmp_path / "pictures"])] == [False, False]


def test_render_uploads_a_path_and_wait_returns_the_completed_run(client, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "state"))
    picture = tmp_path / "in.png"
    picture.write_bytes(images.png(80, 48, seed=202))
    seen = []
    run = client.render("invert", [picture], output_name="negative")
    done = client.wait(run["run_id"], on_update=lambda r: seen.append(r["status"]))
    assert done["status"] == "completed" and seen[-1] == "completed"
    assert done["inputs"][0]["content_hash"] == sha3(picture.read_bytes())
    out = client.download(done["output_hash"], tmp_path / "negative.png")
    assert sha3(out.read_bytes()) == done["output_hash"]
    assert Run.objects.get(pk=run["run_id"]).output_name == "negative"


def test_named_inputs_bind_by_name(client):
    run = client.render("dog", {"image": "cat"}, params={"levels": 3})
    assert client.wait(run["run_id"])["params"] == {"levels": 3}


def test_wait_raises_run_failed_with_the_runs_error(client):
    run_id = client.render("invert", ["cat"])["run_id"]
    client.wait(run_id)
    Run.objects.filter(pk=run_id).update(status="failed", error="the disk was full")
    with pytest.raises(artdag.RunFailed) as failed:
        client.wait(run_id)
    assert str(failed.value) == f"run {run_id} failed: the disk was full"
    assert failed.value.run["status"] == "failed"


def test_a_refusal_is_a_server_error_with_the_servers_code_and_message(client):
    with pytest.raises(artdag.ServerError) as refused:
        client.run("0" * 64)
    assert refused.value.status == 404 and refused.value.code == "not_found"
    with pytest.raises(artdag.ServerError) as refused:
        client.render("dog", ["no-such-asset-anywhere"])
    assert refused.value.status == 400 and "no-such-asset-anywhere" in refused.value.message


def test_an_absent_server_is_unreachable_and_a_bad_token_is_a_401(server, tmp_path):
    config = Config(tmp_path / "config.json")
    with pytest.raises(artdag.Unreachable, match="cannot reach the server at http://127.0.0.1:9"):
        artdag.Client("http://127.0.0.1:9", config=config).runs()
    with pytest.raises(artdag.ServerError) as refused, artdag.Client(
            server.direct, token="l1_wrong", config=config) as client:
        client.me()
    assert refused.value.status == 401 and "artdag login" in str(refused.value)


def test_the_config_is_private_atomic_and_overridden_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTDAG_URL", raising=False)
    monkeypatch.delenv("ARTDAG_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = Config()
    assert config.path == tmp_path / "xdg" / "artdag" / "config.json"
    config.login("https://l1.example", "l1_stored")
    config.save()
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.path.parent.stat().st_mode) == 0o700
    assert os.listdir(config.path.parent) == ["config.json"]  # no temp file left
    again = Config()
    assert (again.url, again.token_for(again.url)) == ("https://l1.example", "l1_stored")
    monkeypatch.setenv("ARTDAG_URL", "https://other.example")
    monkeypatch.setenv("ARTDAG_TOKEN", "l1_from_env")
    assert (again.url, again.token_for("https://l1.example")) == ("https://other.example",
                                                                  "l1_from_env")


def test_the_hash_memo_reads_a_file_once_until_it_changes(tmp_path):
    path = tmp_path / "clip.bin"
    path.write_bytes(b"first")
    memo = HashMemo(tmp_path / "memo.json")
    assert memo.hash(path) == sha3(b"first")
    memo.save()
    # A later run takes the remembered hash without reading the file...
    stored = json.loads((tmp_path / "memo.json").read_text())
    key = next(iter(stored["files"]))
    stored["files"][key][2] = "remembered"
    (tmp_path / "memo.json").write_text(json.dumps(stored))
    assert HashMemo(tmp_path / "memo.json").hash(path) == "remembered"
    # ...until its size or modification time changes.
    path.write_bytes(b"second!")
    assert HashMemo(tmp_path / "memo.json").hash(path) == sha3(b"second!")


def test_the_streamed_upload_body_is_as_long_as_it_says(tmp_path):
    path = tmp_path / 'odd "name" é.bin'
    path.write_bytes(os.urandom(700_000))
    with open(path, "rb") as file:
        body = MultipartFile(file, path.name)
        data = b"".join(body)
        assert len(data) == len(body)
        body.rewind()
        assert b"".join(body) == data
    assert b'filename="odd _name_ _.bin"' in data and path.read_bytes() in data


def tampered(record: dict) -> list[dict]:
    """The record, and the ways a record goes wrong (docs/provenance.md)."""
    changed = copy.deepcopy(record)
    changed["output"]["content_hash"] = "f" * 64
    floats = copy.deepcopy(record)
    floats["effects"] = [{"params": {"sigma": 2.0}}]
    return [record, changed, floats,
            {k: v for k, v in record.items() if k != "signature"},
            {**record, "algorithm": "rsa"}, {**record, "key_id": "0" * 64},
            {**record, "signature": record["signature"][:40]},
            {**record, "signed_by": "@someone@else"}, ["not", "an", "object"]]


def test_the_client_gives_the_docs_scripts_and_the_servers_verdict_for_every_record(
        client, server, tmp_path):
    run = client.wait(client.render("dog", ["cat"])["run_id"])
    key_pem = client.json("GET", "/actor")["public_key_pem"]
    (tmp_path / "key.pem").write_text(key_pem)
    for number, record in enumerate(tampered(client.provenance(run["run_id"]))):
        ours = client.verify(record)
        path = tmp_path / f"record-{number}.json"
        path.write_text(json.dumps(record))
        script = subprocess.run([sys.executable, str(ROOT / "docs" / "verify_provenance.py"),
                                 str(path), "--public-key", str(tmp_path / "key.pem")],
                                capture_output=True, text=True)
        assert script.stdout.strip() == f"{'valid' if ours[0] else 'invalid'}: {ours[1]}"
        if isinstance(record, dict):
            server_answer = client.json("POST", "/provenance/verify", json=record)
            assert (server_answer["valid"], server_answer["reason"]) == ours
    assert client.verify(client.provenance(run["run_id"]))[0] is True


def test_the_key_is_pinned_in_the_config_on_first_use(client, server):
    assert client.config.pinned_key(server.direct) is None
    client.server_key()
    pinned = client.config.pinned_key(server.direct)
    assert pinned["key_id"] == client.json("GET", "/actor")["key_id"]
    assert Config(client.config.path).pinned_key(server.direct) == pinned


def test_client_needs_a_server(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTDAG_URL", raising=False)
    with pytest.raises(artdag.ArtdagError, match="artdag login URL"):
        artdag.Client(config=Config(tmp_path / "none.json"))
    assert Path(artdag.__file__).is_relative_to(ROOT / "client")



def test_an_event_stream_is_read_as_eventsource_reads_it():
    from artdag.events import Event, lines, parse

    chunks = [b"event: st", b"ate\nid: 3\ndata: {\"status\"", b": \"running\"}\n\n",
              b": keep-alive\n\n", b"data: caf\xc3", b"\xa9\r\ndata: two\r\n\r\n"]
    assert list(parse(lines(chunks))) == [Event("state", "3", {"status": "running"}),
                                          Event("message", "3", "caf\u00e9\ntwo")]
