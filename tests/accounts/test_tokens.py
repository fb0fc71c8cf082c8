"""Scoped, expiring tokens: made over the API, on /profile and by
create_token; refused with 401 once expired; bad requests are 400s that
make nothing."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken

from .conftest import PASSWORD, api_login, basic, page_login, with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def painter_api(painter):
    client = APIClient()
    client.force_authenticate(painter)
    return client


def test_a_token_with_scopes_and_expires_in_is_made_and_shown(painter_api):
    made = painter_api.post("/tokens", {"name": "ci", "scopes": ["render", "read"],
                                        "expires_in": 7}, format="json")
    assert made.status_code == 201
    body = made.json()
    assert body["scopes"] == ["read", "render"] and body["active"] and not body["expired"]
    row = ApiToken.objects.get(pk=body["id"])
    assert abs(row.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    listed = painter_api.get("/tokens").json()["results"][0]
    assert listed["scopes"] == ["read", "render"] and listed["expires_at"]


def test_an_expired_token_is_refused_with_401_saying_it_expired(painter_api):
    key = painter_api.post("/tokens", {"name": "short", "expires_in": 1},
                           format="json").json()["key"]
    assert with_key(key).get("/me").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1), last_used_at=None)
    refused = with_key(key).get("/me")
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert error["code"] == "token_expired" and "token 'short' expired at" in error["message"]
    assert refused["WWW-Authenticate"] == "Token"
    # Refused everywhere, reads included, and its use is not recorded.
    assert with_key(key).get("/runs").status_code == 401
    token = ApiToken.objects.get()
    assert token.last_used_at is None and not token.active and token.expired


@pytest.mark.parametrize("body,field", [
    ({"name": "x", "scopes": ["write"]}, "unknown scope 'write'"),
    ({"name": "x", "scopes": "read"}, "scopes"),
    ({"name": "x", "scopes": []}, "at least one"),
    ({"name": "x", "scopes": [{"read": 1}]}, "scopes"),
    ({"name": "x", "expires_in": 0}, "expires_in is a whole number of days"),
    ({"name": "x", "expires_in": -3}, "expires_in is a whole number of days"),
    ({"name": "x", "expires_in": 3651}, "expires_in is a whole number of days"),
    ({"name": "x", "expires_in": "soon"}, "expires_in is a whole number of days"),
    ({"name": "x", "expires_in": 1.5}, "expires_in is a whole number of days"),
    ({"name": "x", "expires_in": [7]}, "expires_in is a whole number of days"),
])
def test_unknown_scopes_or_a_bad_expires_in_are_a_400_that_makes_nothing(painter_api, body,
                                                                         field):
    response = painter_api.post("/tokens", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["message"]
    assert ApiToken.objects.count() == 0


def test_the_create_token_command_takes_scopes_and_an_expiry(painter, capsys):
    call_command("create_token", "painter", "ci", "--scope", "read", "--expires-in", "30")
    key = capsys.readouterr().out.strip()
    me = with_key(key).get("/me").json()
    assert me["token"]["scopes"] == ["read"] and me["token"]["expires_at"]
    call_command("create_token", "painter", "laptop", "--scope", "read,render")
    assert ApiToken.objects.get(name="laptop").scope_list == ["read", "render"]
    call_command("create_token", "painter", "full")
    assert ApiToken.objects.get(name="full").scope_list == ["admin"]
    assert ApiToken.objects.get(name="full").expires_at is None
    with pytest.raises(CommandError, match="unknown scope 'write'"):
        call_command("create_token", "painter", "bad", "--scope", "write")
    with pytest.raises(CommandError, match="expires_in is a whole number of days"):
        call_command("create_token", "painter", "bad", "--expires-in", "0")
    assert not ApiToken.objects.filter(name="bad").exists()


def _csrf(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     page.content.decode()).group(1)


def test_the_profile_shows_each_tokens_scopes_expiry_and_last_use(painter):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login")
    assert browser.post("/login", {"username": "painter", "password": PASSWORD, "next": "/profile",
                                   "csrfmiddlewaretoken": _csrf(page)}).status_code == 302
    page = browser.get("/profile")
    browser.post("/profile/tokens", {"name": "laptop", "scopes": "read", "expires_in": "7",
                                     "csrfmiddlewaretoken": _csrf(page)})
    key = re.search(r"(l1_[A-Za-z0-9_-]{40,})", browser.get("/profile").content.decode()).group(1)
    token = ApiToken.objects.get(name="laptop")
    assert token.scope_list == ["read"]
    shown = browser.get("/profile").content.decode()
    row = re.search(r"<td>laptop</td>.*?</tr>", shown, re.S).group(0)
    assert '<td class="scopes">read</td>' in row
    assert f"{token.expires_at:%Y-%m-%d %H:%M}" in row
    assert '<td class="last-used">never</td>' in row
    with_key(key).get("/me")
    token.refresh_from_db()
    row = re.search(r"<td>laptop</td>.*?</tr>",
                    browser.get("/profile").content.decode(), re.S).group(0)
    assert f'<td class="last-used">{token.last_used_at:%Y-%m-%d %H:%M}</td>' in row
    # A bad choice on the page is explained, and makes nothing.
    page = browser.get("/profile")
    browser.post("/profile/tokens", {"name": "bad", "scopes": "write", "expires_in": "0",
                                     "csrfmiddlewaretoken": _csrf(page)})
    assert "unknown scope" in browser.get("/profile").content.decode()
    assert not ApiToken.objects.filter(name="bad").exists()


def test_post_tokens_with_a_token_password_or_session(painter, painter_api):
    by_password = api_login("painter", PASSWORD)
    assert by_password.status_code == 201
    by_token = with_key(by_password.json()["key"]).post("/tokens", {"name": "second"},
                                                        format="json")
    assert by_token.status_code == 201
    session = Client()
    assert page_login(session, "painter", PASSWORD).status_code == 302
    # A session is a browser's: DRF asks it for the CSRF token (the test client skips it).
    assert session.post("/tokens", {"name": "third"},
                        content_type="application/json").status_code == 201
    # Only POST takes a password: listing tokens needs a token or a session.
    assert APIClient().get("/tokens", HTTP_AUTHORIZATION=basic("painter", PASSWORD)
                           ).status_code == 401
    wrong = api_login("painter", "nope")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"] == "Token"
    assert ApiToken.objects.count() == 3


def test_the_schema_documents_basic_auth_scopes_and_expiry_on_post_tokens(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    post = schema["paths"]["/tokens"]["post"]
    assert {"basicAuth": []} in post["security"] and {"tokenAuth": []} in post["security"]
    assert "429" in post["description"] or "lock-out" in post["description"]
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema["components"]["schemas"][request]["properties"]
    assert {"name", "scopes", "expires_in"} <= set(fields)
    assert schema["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"
    assert {"basicAuth": []} not in schema["paths"]["/tokens"]["get"]["security"]


def test_a_token_made_before_scopes_existed_keeps_full_rights_after_the_migration(
        transactional_db, demo):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from accounts.services import hash_key
    from tests.factories import UserFactory

    user = UserFactory(username="old-timer")
    before = [("accounts", "0001_initial")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app back where it was afterwards
    executor.migrate(before)
    try:
        old_model = executor.loader.project_state(before[0]).apps.get_model("accounts", "ApiToken")
        old_model.objects.create(user_id=user.pk, name="from-2025", key_hash=hash_key("l1_old-key"),
                                 prefix="l1_old-key")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    token = ApiToken.objects.get(name="from-2025")
    assert token.scope_list == ["admin"] and token.expires_at is None
    old = with_key("l1_old-key")
    assert old.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json").status_code == 201
    assert old.post("/tokens", {"name": "new"}, format="json").status_code == 201
