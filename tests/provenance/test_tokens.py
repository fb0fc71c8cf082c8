"""Named API tokens: create, use, list, revoke; DRF's single tokens keep working."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import hash_key

pytestmark = pytest.mark.django_db


def _with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_new_token_is_shown_once_works_at_once_and_is_stored_only_as_a_hash(owner_api, owner):
    created = owner_api.post("/tokens", {"name": "laptop"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("l1_") and len(key) > 40
    assert created.json()["prefix"] == key[:10]
    row = ApiToken.objects.get(pk=created.json()["id"])
    assert row.key_hash == hash_key(key) and key not in str(row.__dict__)

    me = _with_key(key).get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == "painter" and me.json()["actor"].startswith("@painter@")
    listed = owner_api.get("/tokens").json()["results"]
    assert [t["name"] for t in listed] == ["laptop"] and "key" not in listed[0]
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_user_holds_several_named_tokens_and_revoking_one_leaves_the_others(owner_api):
    keys = {name: owner_api.post("/tokens", {"name": name}, format="json").json()
            for name in ("laptop", "ci")}
    revoked = owner_api.delete(f"/tokens/{keys['ci']['id']}")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    failed = _with_key(keys["ci"]["key"]).get("/me")
    assert failed.status_code == 401
    assert failed.json()["error"]["message"] == "invalid or revoked token"
    assert _with_key(keys["laptop"]["key"]).get("/me").status_code == 200
    # A revoked token's name may be used again.
    assert owner_api.post("/tokens", {"name": "ci"}, format="json").status_code == 201


def test_a_revoked_token_cannot_write_either(owner_api, demo):
    key = owner_api.post("/tokens", {"name": "x"}, format="json").json()
    owner_api.delete(f"/tokens/{key['id']}")
    response = _with_key(key["key"]).post("/assets", {"name": "n", "content_hash": "0" * 64},
                                          format="json")
    assert response.status_code == 401


def test_two_live_tokens_may_not_share_a_name(owner_api):
    owner_api.post("/tokens", {"name": "laptop"}, format="json")
    again = owner_api.post("/tokens", {"name": "laptop"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "name_taken"
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 65}, {"name": "a/b"},
                                  {"name": ["list"]}])
def test_a_bad_token_name_is_a_400_and_creates_nothing(owner_api, body):
    response = owner_api.post("/tokens", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert ApiToken.objects.count() == 0


def test_nobody_sees_or_revokes_another_users_tokens(owner_api, other_api):
    mine = owner_api.post("/tokens", {"name": "mine"}, format="json").json()
    assert other_api.get("/tokens").json()["results"] == []
    assert other_api.delete(f"/tokens/{mine['id']}").status_code == 404
    assert other_api.delete("/tokens/not-a-number").status_code == 404
    assert ApiToken.objects.get(pk=mine["id"]).active


def test_an_existing_drf_token_still_authenticates(owner):
    legacy = Token.objects.create(user=owner)
    assert _with_key(legacy.key).get("/me").json()["username"] == "painter"
    assert _with_key("0" * 40).get("/me").status_code == 401


def test_an_inactive_users_tokens_stop_working(owner_api, owner):
    key = owner_api.post("/tokens", {"name": "x"}, format="json").json()["key"]
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert _with_key(key).get("/me").status_code == 401


def test_the_create_token_command_prints_a_working_key(owner, capsys):
    from django.core.management import CommandError, call_command

    call_command("create_token", "painter", "ci")
    key = capsys.readouterr().out.strip()
    assert _with_key(key).get("/me").json()["username"] == "painter"
    with pytest.raises(CommandError, match="already have a token named 'ci'"):
        call_command("create_token", "painter", "ci")
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("create_token", "nobody", "ci")
    with pytest.raises(CommandError, match="a token name is"):
        call_command("create_token", "painter", "no/slashes")
