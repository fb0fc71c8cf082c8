"""Signed provenance: the server's key, signed records, and three verifiers
(the API, the management command, the standalone script) that agree."""

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from engine.canonical import canonical_bytes
from l1site.signing import keys, records
from provenance import services
from runs.models import Run

ROOT = Path(__file__).resolve().parents[2]
STANDALONE = ROOT / "docs" / "verify_provenance.py"


def test_first_start_creates_a_key_pair_whose_private_file_only_the_owner_can_read(tmp_path):
    path = tmp_path / "keys" / "l1-ed25519.pem"
    key = keys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.with_suffix(".pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    keys._loaded.clear()  # as a new process would
    assert records.key_id(keys.load_or_create(path).public_key()) == \
        records.key_id(key.public_key())
    assert sorted(p.name for p in path.parent.iterdir()) == ["l1-ed25519.pem",
                                                             "l1-ed25519.pub.pem"]


def test_processes_starting_together_on_a_fresh_data_dir_agree_on_one_key(tmp_path):
    path = tmp_path / "keys" / "l1-ed25519.pem"
    go = tmp_path / "go"
    script = (
        "import sys, time, pathlib\n"
        "from l1site.signing import keys, records\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.001)\n"
        f"print(records.key_id(keys.load_or_create(pathlib.Path({str(path)!r})).public_key()))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(8)]
    go.touch()
    ids = {proc.communicate(timeout=120)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(ids) == 1 and len(ids.pop()) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_an_unusable_key_file_stops_the_server_with_a_clear_message(tmp_path, settings):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    settings.SIGNING_KEY_FILE = str(bad)
    with pytest.raises(ImproperlyConfigured, match="not an unencrypted PEM private key"):
        services.signing_key()


def test_the_actor_endpoint_and_server_info_publish_the_public_key(api, db):
    actor = api.get("/actor").json()
    assert actor["handle"] == settings.L1_ACTOR and actor["algorithm"] == "ed25519"
    raw = base64.b64decode(actor["public_key"])
    assert len(raw) == 32 and actor["key_id"] == records.key_id(
        services.signing_key().public_key())
    assert api.get("/").json()["public_key"]["key_id"] == actor["key_id"]


def test_a_completed_run_has_a_signed_record_naming_who_asked_for_it(api, completed_run):
    record = api.get(f"/runs/{completed_run}/provenance").json()
    assert record["algorithm"] == "ed25519"
    assert record["key_id"] == api.get("/actor").json()["key_id"]
    assert len(base64.b64decode(record["signature"])) == 64
    assert record["rendered_by"] == f"@painter@{settings.L1_DOMAIN}"
    assert record["signed_by"] == settings.L1_ACTOR
    assert record == api.get(f"/runs/{completed_run}").json()["provenance"]
    answer = api.post("/provenance/verify", record, format="json").json()
    assert answer == {"valid": True, "reason": f"signature valid: signed by key {record['key_id']}",
                      "key_id": record["key_id"], "run_id": completed_run}


def test_system_work_is_rendered_by_the_servers_own_actor(api, demo):
    from tests.provenance.conftest import render_here

    run_id = render_here("invert", ["cat"], owner=None)
    assert api.get(f"/runs/{run_id}/provenance").json()["rendered_by"] == settings.L1_ACTOR


def test_a_run_that_has_not_completed_has_no_provenance_yet(api, demo, django_capture_on_commit_callbacks):
    from runs.services import run_submit

    run, _ = run_submit(recipe="dog", inputs=["cat"])
    response = api.get(f"/runs/{run.id}/provenance")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_provenance"
    assert api.get(f"/runs/{'0' * 64}/provenance").status_code == 404


def _changed_one_byte(record: dict) -> dict:
    changed = json.loads(json.dumps(record))
    output = changed["output"]["content_hash"]
    changed["output"]["content_hash"] = output[:-1] + ("0" if output[-1] != "0" else "1")
    return changed


def _signed_by_another_key(record: dict) -> dict:
    return records.sign_record(record, Ed25519PrivateKey.generate())


def _forged_key_id(record: dict) -> dict:
    """Signed by another key but claiming this server's key id."""
    forged = _signed_by_another_key(record)
    forged["key_id"] = record["key_id"]
    return forged


def _without_signature(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "signature"}


BAD = {
    "one changed byte": (_changed_one_byte, "does not match the record"),
    "another key": (_signed_by_another_key, "not with this key"),
    "another key claiming ours": (_forged_key_id, "does not match the record"),
    "no signature": (_without_signature, "has no signature"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_tampered_or_unsigned_record_is_rejected_by_every_verifier(case, api, completed_run,
                                                                    tmp_path):
    spoil, why = BAD[case]
    good = api.get(f"/runs/{completed_run}/provenance").json()
    bad = spoil(good)

    # The API.
    answer = api.post("/provenance/verify", bad, format="json")
    assert answer.status_code == 200
    assert answer.json()["valid"] is False and why in answer.json()["reason"]

    # The management command, given a file.
    path = tmp_path / "record.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError, match=why):
        call_command("verify_provenance", str(path))

    # The standalone script, with only the record and the public key.
    pem = tmp_path / "key.pem"
    pem.write_text(api.get("/actor").json()["public_key_pem"])
    result = subprocess.run([sys.executable, str(STANDALONE), str(path), "--public-key", str(pem)],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": os.environ["PATH"]})
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == f"invalid: {answer.json()['reason']}"


def test_the_standalone_script_accepts_a_good_record_with_the_key_as_base64(api, completed_run,
                                                                         tmp_path):
    record = api.get(f"/runs/{completed_run}/provenance").content
    (tmp_path / "record.json").write_bytes(record)
    result = subprocess.run(
        [sys.executable, str(STANDALONE), "record.json", "--public-key",
         api.get("/actor").json()["public_key"]],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stdout + result.stderr
    key_id = json.loads(record)["key_id"]
    assert result.stdout.strip() == f"valid: signature valid: signed by key {key_id}"


def test_the_command_verifies_a_stored_run_by_id_and_a_saved_file(api, completed_run, tmp_path,
                                                                  capsys):
    call_command("verify_provenance", completed_run)
    assert capsys.readouterr().out.startswith("valid: ")
    path = tmp_path / "r.json"
    path.write_bytes(api.get(f"/runs/{completed_run}/provenance").content)
    call_command("verify_provenance", str(path))
    assert capsys.readouterr().out.startswith("valid: ")


def test_the_command_refuses_what_it_cannot_read(db, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(CommandError, match="not a JSON file"):
        call_command("verify_provenance", str(junk))
    with pytest.raises(CommandError, match="neither a file nor"):
        call_command("verify_provenance", "nope")
    with pytest.raises(CommandError, match="no run with id"):
        call_command("verify_provenance", "0" * 64)


def test_verifying_against_a_given_public_key(api, completed_run):
    record = api.get(f"/runs/{completed_run}/provenance").json()
    actor = api.get("/actor").json()
    for key in (actor["public_key"], actor["public_key_pem"]):
        answer = api.post("/provenance/verify", {"record": record, "public_key": key},
                          format="json").json()
        assert answer["valid"] is True
    stranger = base64.b64encode(records.raw_public_key(
        Ed25519PrivateKey.generate().public_key())).decode()
    answer = api.post("/provenance/verify", {"record": record, "public_key": stranger},
                      format="json").json()
    assert answer["valid"] is False and "not with this key" in answer["reason"]


@pytest.mark.parametrize("body, code", [
    (["a", "list"], "invalid"),
    ({"record": {}, "public_key": "not-base64!"}, "invalid_public_key"),
    ({"record": {}, "public_key": base64.b64encode(b"short").decode()}, "invalid_public_key"),
])
def test_a_malformed_verify_request_is_a_400_in_the_one_error_shape(api, db, body, code):
    response = api.post("/provenance/verify", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_the_signed_bytes_are_the_canonical_encoding_without_the_signature(completed_run):
    record = Run.objects.get(pk=completed_run).provenance
    payload = canonical_bytes({k: v for k, v in record.items() if k != "signature"})
    services.signing_key().public_key().verify(base64.b64decode(record["signature"]), payload)
    assert payload.startswith(b'{"algorithm":"ed25519","infrastructure":{')


def test_records_from_before_signing_are_signed_by_the_backfill_command(api, completed_run,
                                                                        capsys):
    record = Run.objects.get(pk=completed_run).provenance
    old = {k: v for k, v in record.items()
           if k not in ("signature", "key_id", "algorithm", "signed_by")}
    Run.objects.filter(pk=completed_run).update(provenance=old)
    assert api.post("/provenance/verify", old, format="json").json()["reason"] == \
        "the record has no signature"

    call_command("sign_provenance")
    assert capsys.readouterr().out.startswith("signed 1 record(s)")
    signed = api.get(f"/runs/{completed_run}/provenance").json()
    assert {k: v for k, v in signed.items() if k in old} == old
    assert api.post("/provenance/verify", signed, format="json").json()["valid"] is True
    call_command("sign_provenance")
    assert capsys.readouterr().out.startswith("signed 0 record(s)")


def test_a_key_readable_by_others_still_signs_but_is_reported(tmp_path, caplog):
    path = tmp_path / "k.pem"
    keys.load_or_create(path)
    keys._loaded.clear()
    path.chmod(0o644)
    keys.load_or_create(path)
    assert "readable by others (mode 644)" in caplog.text
