"""The installed `artdag` command, in a subprocess, against a live server and a
real worker: upload, render --wait -o, get with resume, verify, and failures."""

from __future__ import annotations

import base64
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accounts.models import ApiToken
from cache.models import CacheItem
from cache.store import cache_path
from runs.models import Run
from tests import images
from tests.helpers import cache_files

from .conftest import PASSWORD, config_of, one_line_failure

pytestmark = pytest.mark.worker


def sha3(data: bytes) -> str:
    return hashlib.sha3_256(data).hexdigest()


@pytest.fixture
def folder(tmp_path):
    """Two new pictures, about 600 KB each."""
    root = tmp_path / "pictures"
    (root / "old").mkdir(parents=True)
    (root / "a.png").write_bytes(images.png(512, 512, seed=101))
    (root / "b.png").write_bytes(images.png(512, 512, seed=102))
    return root


def test_upload_sends_only_what_the_server_lacks_and_again_sends_nothing(artdag, server, folder):
    cat_hash = json.loads(server_get(server, "/assets/cat"))["content_hash"]
    (folder / "old" / "cat.png").write_bytes(cache_path(cat_hash).read_bytes())
    (folder / ".DS_Store").write_bytes(b"finder junk")
    new = {sha3((folder / n).read_bytes()): folder / n for n in ("a.png", "b.png")}

    first = artdag("upload", folder)
    assert first.code == 0, first.err
    listed = dict(line.split("  ", 1) for line in first.lines)
    assert set(listed) == {*new, cat_hash}  # hidden file skipped
    assert "2 uploaded" in first.err and "1 already on the server" in first.err
    for content_hash in new:
        item = CacheItem.objects.get(pk=content_hash)
        assert item.owner == server.user and item.origin == "uploaded"
        assert cache_path(content_hash).read_bytes() == new[content_hash].read_bytes()
    new_bytes = sum(p.stat().st_size for p in new.values())
    assert server.relay.sent > new_bytes  # both files went up, and not the cat

    server.relay.reset()
    again = artdag("upload", folder)
    assert again.code == 0 and again.lines == first.lines
    assert "0 uploaded" in again.err and "3 already on the server" in again.err
    assert server.relay.sent < 5_000  # one question about three hashes, no file


def test_an_upload_cut_short_resumes_without_sending_the_finished_files(artdag, server, folder,
                                                                         home):
    # The first file made it before the interruption; the second did not.
    assert artdag("upload", folder / "a.png").code == 0
    server.relay.reset()
    result = artdag("upload", folder)
    assert result.code == 0 and "1 uploaded" in result.err
    size_b = (folder / "b.png").stat().st_size
    assert size_b < server.relay.sent < size_b + 5_000
    # The hashes are remembered: the second run read a.png's from the state file.
    memo = json.loads((home / ".cache" / "artdag" / "hashes.json").read_text())
    assert {entry[2] for entry in memo["files"].values()} >= {
        sha3((folder / n).read_bytes()) for n in ("a.png", "b.png")}


def test_render_wait_uploads_a_local_input_and_downloads_the_output(artdag, server, tmp_path):
    picture = tmp_path / "sunset.png"
    picture.write_bytes(images.png(96, 64, seed=103))
    out = tmp_path / "out" / "dog.png"
    out.parent.mkdir()
    result = artdag("render", "dog", picture, "--param", "levels=4", "--name", "dusk",
                    "--wait", "-o", out)
    assert result.code == 0, result.err
    output_hash = result.lines[-1]
    run = Run.objects.get(output_id=output_hash)
    assert run.status == "completed" and run.owner == server.user
    assert run.params == {"levels": 4} and run.output_name == "dusk"
    assert run.inputs[0]["content_hash"] == sha3(picture.read_bytes())
    assert sha3(out.read_bytes()) == output_hash
    assert not out.with_name("dog.png.part").exists()


def test_render_without_wait_prints_the_run_and_status_shows_it(artdag, server):
    started = artdag("render", "invert", "cat")
    assert started.code == 0, started.err
    run_id = started.lines[0]
    assert Run.objects.filter(pk=run_id, recipe_name="invert").exists()
    shown = artdag("status", run_id, "--json")
    assert shown.code == 0 and json.loads(shown.out)["run_id"] == run_id
    table = dict(line.split(None, 1) for line in artdag("status", run_id).lines)
    assert table["run"] == run_id and table["recipe"] == "invert"
    assert table["status"] in ("pending", "running", "completed")
    listed = artdag("runs", "--recipe", "invert")
    assert listed.code == 0 and listed.lines[0].startswith(run_id)


def test_render_of_a_file_that_is_no_picture_is_refused_in_one_line(artdag, server, tmp_path):
    text = tmp_path / "notes.png"
    text.write_bytes(b"not a picture at all")
    message = one_line_failure(artdag("render", "dog", text, "--wait"))
    assert message.startswith("artdag: the server refused (400 undecodable_input): "), message
    assert not Run.objects.exists()


def test_render_wait_exits_non_zero_when_the_run_ends_cancelled(artdag, server, big):
    import threading

    from tests.faults.stack import Gate

    digest, _ = big
    gate = Gate(cache_path(digest))  # the render waits at its input
    waited = {}
    follower = threading.Thread(target=lambda: waited.update(
        result=artdag("render", "invert", digest, "--wait")))
    try:
        follower.start()
        wait_for(lambda: Run.objects.filter(status="running").exists())
        run = Run.objects.get(status="running")
        assert artdag("cancel", run.id).code == 0
        follower.join(120)
    finally:
        gate.release()
        gate.restore()
    message = one_line_failure(waited["result"])
    assert message == f"artdag: run {run.id} cancelled: {run_error(run)}"


def run_error(run) -> str:
    run.refresh_from_db()
    assert run.status == "cancelled" and run.error
    return run.error


@pytest.fixture
def big(server):
    """A 600 KB file on the server."""
    data = images.png(512, 512, seed=104)
    digest = sha3(data)
    from cache.services import cache_store_bytes

    cache_store_bytes(data, origin="uploaded", name="big.png", owner=server.user)
    return digest, data


def test_get_resumes_a_part_file_with_a_range_request(artdag, server, big, tmp_path):
    digest, data = big
    dest = tmp_path / "big.png"
    half = len(data) // 2
    dest.with_name("big.png.part").write_bytes(data[:half])
    server.relay.reset()
    result = artdag("get", digest, "-o", dest)
    assert result.code == 0, result.err
    assert dest.read_bytes() == data and not dest.with_name("big.png.part").exists()
    assert len(data) - half < server.relay.received < len(data) - half + 5_000


def test_get_removes_a_part_file_whose_bytes_do_not_hash_and_a_second_try_succeeds(
        artdag, big, tmp_path):
    digest, data = big
    dest = tmp_path / "big.png"
    dest.with_name("big.png.part").write_bytes(b"\0" * 1000)  # not the file's first bytes
    message = one_line_failure(artdag("get", digest, "-o", dest))
    assert "hash to" in message and digest in message
    assert not dest.exists() and not dest.with_name("big.png.part").exists()
    assert artdag("get", digest, "-o", dest).code == 0 and dest.read_bytes() == data


def test_get_takes_an_asset_name(artdag, server, tmp_path):
    cat_hash = json.loads(server_get(server, "/assets/cat"))["content_hash"]
    result = artdag("get", "cat", "-o", tmp_path / "cat.png")
    assert result.code == 0 and result.lines == [f"{cat_hash}  {tmp_path / 'cat.png'}"]
    assert sha3((tmp_path / "cat.png").read_bytes()) == cat_hash


@pytest.fixture
def rendered(artdag):
    result = artdag("render", "sepia-print", "cat", "--wait")
    assert result.code == 0, result.err
    return Run.objects.get(output_id=result.lines[-1], recipe_name="sepia-print")


def test_verify_checks_a_run_offline_against_the_key_pinned_on_first_use(
        artdag, server, rendered, home, tmp_path):
    result = artdag("verify", rendered.id)
    assert result.code == 0 and result.out.startswith("valid: signature valid"), result
    actor = json.loads(server_get(server, "/actor"))
    assert config_of(home)["keys"][server.url]["key_id"] == actor["key_id"]

    record = tmp_path / "record.json"
    record.write_text(server_get(server, f"/runs/{rendered.id}/provenance"))
    out = tmp_path / "out.png"
    out.write_bytes(cache_path(rendered.output_id).read_bytes())
    # Offline: nothing answers at the server's URL any more; the pinned key is enough.
    server.relay.close()
    assert "cannot reach" in one_line_failure(artdag("runs"))
    offline = artdag("verify", record, "--file", out)
    assert offline.code == 0 and f"{out} is the output of run {rendered.id}" in offline.out, \
        offline

    other = tmp_path / "other.png"
    other.write_bytes(b"some other bytes")
    wrong = artdag("verify", record, "--file", other)
    assert wrong.code == 1 and "the record's output is" in wrong.out


def test_verify_takes_a_rendered_file_and_finds_its_run(artdag, server, rendered, tmp_path):
    out = tmp_path / "print.png"
    out.write_bytes(cache_path(rendered.output_id).read_bytes())
    result = artdag("verify", out)
    assert result.code == 0 and result.out.startswith("valid: signature valid"), result
    assert f"{out} is the output of run {rendered.id}" in result.out
    stranger = tmp_path / "stranger.png"
    stranger.write_bytes(images.png(30, 20, seed=108))
    message = one_line_failure(artdag("verify", stranger))
    assert "neither a provenance record nor a file any run" in message
    assert sha3(stranger.read_bytes()) in message


def test_a_tampered_record_fails_verify(artdag, server, rendered, tmp_path):
    record = json.loads(server_get(server, f"/runs/{rendered.id}/provenance"))
    record["output"]["content_hash"] = "0" * 64
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(record))
    result = artdag("verify", path)
    assert result.code == 1
    assert result.out.strip() == ("invalid: the signature does not match the record: it was "
                                  "changed after signing, or signed by another key")


def test_verify_trusts_the_pinned_key_not_the_one_the_server_offers_later(
        artdag, server, rendered, home):
    assert artdag("verify", rendered.id).code == 0  # pins the real key
    config = config_of(home)
    impostor = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                      PublicFormat.Raw)
    config["keys"][server.url] = {"public_key": base64.b64encode(impostor).decode(),
                                  "key_id": sha3(impostor)}
    (home / ".config" / "artdag" / "config.json").write_text(json.dumps(config))
    result = artdag("verify", rendered.id)
    assert result.code == 1 and "not with this key" in result.out
    assert artdag("verify", rendered.id, "--repin").code == 0


def test_login_with_a_token_stores_it_readable_only_by_the_user(artdag, server, home):
    result = artdag("login", server.url, "--token", server.token, token=False,
                    env={"ARTDAG_URL": None})
    assert result.code == 0 and "as painter" in result.out, result.err
    path = home / ".config" / "artdag" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_of(home)["tokens"][server.url] == server.token
    # Later commands use the stored server and token.
    picture = home / "p.png"
    picture.write_bytes(images.png(40, 30, seed=105))
    upload = artdag("upload", picture, token=False, env={"ARTDAG_URL": None})
    assert upload.code == 0 and CacheItem.objects.get(pk=sha3(picture.read_bytes())).owner == server.user


def test_login_with_a_username_and_password_makes_a_render_token_and_stores_it(
        artdag, server, home):
    # No --username: it is asked for; the password comes on stdin, as in a script.
    result = artdag("login", server.url, "--password-stdin", "--expires-in", "30",
                    stdin=f"painter\n{PASSWORD}\n", token=False, env={"ARTDAG_URL": None})
    assert result.code == 0 and "as painter" in result.out, result.err
    key = config_of(home)["tokens"][server.url]
    token = ApiToken.objects.get(user=server.user, name__startswith="artdag on ")
    assert key.startswith(token.prefix) and token.scope_list == ["render"] and token.expires_at
    assert stat.S_IMODE((home / ".config" / "artdag" / "config.json").stat().st_mode) == 0o600
    picture = home / "p.png"
    picture.write_bytes(images.png(40, 30, seed=107))
    assert artdag("upload", picture, token=False, env={"ARTDAG_URL": None}).code == 0
    # A second login from the same laptop makes a second token, not a name clash.
    again = artdag("login", server.url, "--username", "painter", "--password-stdin",
                   stdin=PASSWORD + "\n", token=False)
    assert again.code == 0, again.err


def test_login_with_a_wrong_password_stores_nothing(artdag, server, home):
    message = one_line_failure(artdag("login", server.url, "--username", "painter",
                                      "--password-stdin", stdin="wrong\n", token=False))
    assert "401" in message
    assert not (home / ".config" / "artdag" / "config.json").exists()


def test_logout_forgets_the_token_and_later_writes_are_refused(artdag, server, home):
    assert artdag("login", server.url, "--token", server.token, token=False).code == 0
    result = artdag("logout", token=False, env={"ARTDAG_URL": None})
    assert result.code == 0 and result.out.strip() == f"forgot the token for {server.url}"
    assert server.url not in config_of(home).get("tokens", {})
    picture = home / "p.png"
    picture.write_bytes(images.png(40, 30, seed=109))
    message = one_line_failure(artdag("upload", picture, token=False, env={"ARTDAG_URL": None}))
    assert "401" in message and "artdag login" in message


def test_login_with_a_bad_token_stores_nothing(artdag, server, home):
    message = one_line_failure(artdag("login", server.url, "--token", "l1_nonsense",
                                      token=False))
    assert "401" in message and "invalid or revoked token" in message
    assert not (home / ".config" / "artdag" / "config.json").exists()


def test_cancel_stops_a_running_run(artdag, server, big):
    from tests.faults.stack import Gate

    digest, _ = big
    gate = Gate(cache_path(digest))  # the render waits at its input
    try:
        run_id = artdag("render", "invert", digest).lines[0]
        wait_for(lambda: Run.objects.get(pk=run_id).status == "running")
        result = artdag("cancel", run_id)
        assert result.code == 0 and result.out.strip() == f"run {run_id}: cancelled"
        assert Run.objects.get(pk=run_id).cancelled_by == server.user
    finally:
        gate.release()  # unblock the render process if it was not terminated
        gate.restore()
    again = artdag("cancel", run_id)
    assert "409" in one_line_failure(again)


def test_recipe_push_stores_a_recipe_and_prints_each_node_error(artdag, server, tmp_path):
    good = tmp_path / "tint.yaml"
    good.write_text(TINT)
    pushed = artdag("recipe", "push", good)
    assert pushed.code == 0, pushed.err
    assert pushed.out.startswith("recipe tint version ")
    bad = tmp_path / "broken.yaml"
    bad.write_text(TINT.replace("op: hue", "op: no-such-op").replace("[warm]", "[nowhere]"))
    result = artdag("recipe", "push", bad)
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert any("node 'warm'" in line for line in lines[:-1]), lines
    assert any("node 'punch'" in line for line in lines[:-1]), lines
    assert lines[-1].startswith("artdag: ") and "refused the recipe" in lines[-1]


TINT = """\
name: tint
description: Warm hue, then more contrast.
params:
  turn: {type: float, default: 20, minimum: -180, maximum: 180}
dag:
  nodes:
    - {id: picture, type: SOURCE, config: {input: true, name: picture}}
    - {id: warm, type: TRANSFORM, inputs: [picture], config: {op: hue, amount: {param: turn}}}
    - {id: punch, type: TRANSFORM, inputs: [warm], config: {op: contrast, amount: 1.3}}
  output: punch
"""


@pytest.mark.parametrize("args,env,expected", [
    (["runs"], {"ARTDAG_URL": "http://127.0.0.1:9"},
     "cannot reach the server at http://127.0.0.1:9: Connection refused"),
    (["upload", "{png}"], {"ARTDAG_TOKEN": "l1_wrong"}, "401"),
    (["render", "no-such-recipe", "cat"], {}, "no-such-recipe"),
    (["upload", "missing.png"], {}, "no such file or folder: missing.png"),
    (["get", "not-a-hash-or-asset"], {}, "neither a content hash nor an asset name"),
    (["status", "0" * 64], {}, "404"),
    (["runs"], {"ARTDAG_URL": "ftp://example"}, "http:// or https://"),
    (["runs"], {"ARTDAG_URL": ""}, "artdag login URL"),
    (["render", "dog"], {}, "required"),
])
def test_every_failure_is_one_line_and_a_non_zero_exit(artdag, home, args, env, expected):
    (home / "p.png").write_bytes(images.png(20, 20, seed=106))
    before = cache_files()
    result = artdag(*[a.format(png=home / "p.png") for a in args], env=env)
    assert expected in one_line_failure(result)
    assert cache_files() == before


# --- helpers


def server_get(server, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(server.direct + path) as answer:
        return answer.read().decode()


def wait_for(condition, timeout: float = 60) -> None:
    """Bounds a hung test only; asserts nothing about speed."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)
