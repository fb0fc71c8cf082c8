"""The login lock-out on every password surface: the dashboard form, the
admin's, and HTTP Basic on POST /tokens; counted per username from an address
and per address, reset by a success, listed and lifted by staff."""

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

from accounts.models import ApiToken
from tests.conftest import ROOT

from .conftest import ADDRESS, OTHER_ADDRESS, PASSWORD, admin_login, api_login, page_login, with_key

pytestmark = pytest.mark.django_db


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


SURFACES = {
    "page": lambda username, password, address: page_login(Client(), username, password, address),
    "admin": lambda username, password, address: admin_login(Client(), username, password, address),
    "api": api_login,
}


def fail(times: int, username: str = "painter", address: str = ADDRESS, surface: str = "page"):
    """`times` wrong passwords; the last answer."""
    for n in range(times):
        response = SURFACES[surface](username, f"wrong guess {n}", address)
    return response


def test_five_wrong_passwords_lock_the_form_which_says_for_how_long(painter):
    client = Client()
    for n in range(4):
        response = page_login(client, "painter", f"guess {n}")
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    locked = page_login(client, "painter", "guess 4")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'id="locked-out"' in page and "locked for 15 more minutes" in page
    assert 'name="password"' in page  # the form is still there
    assert 890 <= int(locked["Retry-After"]) <= 900
    # The right password does not get through while locked.
    refused = page_login(client, "painter", PASSWORD)
    assert refused.status_code == 429 and not logged_in(client)
    assert client.get("/profile").status_code == 302


def test_the_form_opened_from_a_locked_address_says_so_before_anyone_types(painter):
    fail(5)
    page = Client().get("/login", REMOTE_ADDR=ADDRESS, HTTP_ACCEPT="text/html").content.decode()
    assert 'id="locked-out"' in page and "locked for 15 more minutes" in page
    elsewhere = Client().get("/login", REMOTE_ADDR=OTHER_ADDRESS, HTTP_ACCEPT="text/html")
    assert 'id="locked-out"' not in elsewhere.content.decode()


def test_a_success_resets_the_count(painter):
    fail(4)
    client = Client()
    assert page_login(client, "painter", PASSWORD).status_code == 302 and logged_in(client)
    assert AccessAttempt.objects.count() == 0
    # Four more may fail again before the fifth locks.
    assert fail(4).status_code == 200
    assert fail(1).status_code == 429


def test_another_user_from_another_address_is_not_locked(painter, stranger):
    assert fail(5).status_code == 429
    other = Client()
    assert page_login(other, "stranger", PASSWORD, OTHER_ADDRESS).status_code == 302
    # The username is locked from that address only, not everywhere.
    assert page_login(Client(), "painter", PASSWORD, OTHER_ADDRESS).status_code == 302
    # ...and that address is locked for any username.
    assert page_login(Client(), "stranger", PASSWORD, ADDRESS).status_code == 429


def test_an_address_trying_many_usernames_is_locked_for_all_of_them(painter):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        fail(1, username=name)
    assert page_login(Client(), "painter", PASSWORD).status_code == 429
    assert page_login(Client(), "painter", PASSWORD, OTHER_ADDRESS).status_code == 302


def test_the_limit_is_configurable(painter, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(1).status_code == 200
    assert fail(1).status_code == 429


def test_the_lock_out_ends_when_its_failures_are_older_than_the_cool_off(painter):
    fail(5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    still = page_login(Client(), "painter", PASSWORD)
    assert still.status_code == 429 and "locked for 1 more minute " in still.content.decode()
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=2))
    assert page_login(Client(), "painter", PASSWORD).status_code == 302


def test_tries_while_locked_do_not_stretch_the_cool_off(painter):
    fail(5)
    before = AccessAttempt.objects.get().attempt_time
    fail(3)
    attempt = AccessAttempt.objects.get()
    assert attempt.attempt_time == before and attempt.failures_since_start == 5


def test_the_admin_login_is_locked_too_and_says_so(staff):
    for n in range(4):
        assert admin_login(Client(), "operator", f"guess {n}").status_code == 200
    locked = admin_login(Client(), "operator", "guess 4")
    assert locked.status_code == 429 and "Retry-After" in locked
    page = locked.content.decode()
    assert 'id="locked-out"' in page and "more minutes" in page and 'id="login-form"' in page
    client = Client()
    assert admin_login(client, "operator", PASSWORD).status_code == 429 and not logged_in(client)
    opened = client.get("/admin/login/", REMOTE_ADDR=ADDRESS).content.decode()
    assert 'id="locked-out"' in opened and "more minutes" in opened
    elsewhere = Client().get("/admin/login/", REMOTE_ADDR=OTHER_ADDRESS).content.decode()
    assert 'id="locked-out"' not in elsewhere and 'id="login-form"' in elsewhere


def test_the_api_password_endpoint_answers_401_then_429_with_retry_after(painter):
    for n in range(4):
        response = api_login("painter", f"guess {n}")
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "invalid username or password"
    locked = api_login("painter", "guess 4")
    assert locked.status_code == 429
    assert 890 <= int(locked["Retry-After"]) <= 900
    error = locked.json()["error"]
    assert error["code"] == "locked_out" and "locked for 15 more minutes" in error["message"]
    assert error["details"]["retry_after"] == int(locked["Retry-After"])
    refused = api_login("painter", PASSWORD)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "locked_out"
    assert ApiToken.objects.count() == 0


def test_a_password_over_the_api_makes_a_token_and_resets_the_count(painter):
    fail(3, surface="api")
    made = api_login("painter", PASSWORD, body={"name": "laptop", "scopes": ["render"],
                                                "expires_in": 30})
    assert made.status_code == 201, made.json()
    assert made.json()["scopes"] == ["render"] and made.json()["expires_at"]
    assert with_key(made.json()["key"]).get("/me").json()["username"] == "painter"
    assert AccessAttempt.objects.count() == 0


def test_the_three_surfaces_share_one_count(painter):
    fail(2, surface="page")
    fail(2, surface="admin")
    assert fail(1, surface="api").status_code == 429
    assert page_login(Client(), "painter", PASSWORD).status_code == 429


def test_the_lock_out_is_logged_with_username_and_address_and_no_password(painter, caplog):
    with caplog.at_level(logging.INFO):
        fail(5)
        page_login(Client(), "painter", PASSWORD)
        api_login("painter", PASSWORD)
    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.lockout"]
    assert len(lines) == 3, lines  # the locking failure and the two refused tries
    assert all(f"username='painter' address={ADDRESS}" in line for line in lines)
    assert "path=/tokens" in lines[-1]
    assert PASSWORD not in caplog.text and "wrong guess" not in caplog.text


def test_behind_a_proxy_the_address_it_saw_is_counted_not_one_the_client_claims(painter,
                                                                                settings):
    settings.PROXY_COUNT = 1
    for n in range(5):
        Client().post("/login", {"username": "painter", "password": f"g{n}"},
                      REMOTE_ADDR="127.0.0.1",
                      HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ADDRESS}")  # spoofed first hop varies
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ADDRESS}
    locked = Client().post("/login", {"username": "painter", "password": PASSWORD},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=ADDRESS)
    assert locked.status_code == 429
    assert Client().post("/login", {"username": "painter", "password": PASSWORD},
                         REMOTE_ADDR="127.0.0.1",
                         HTTP_X_FORWARDED_FOR=OTHER_ADDRESS).status_code == 302


def test_staff_list_lock_outs_in_the_admin_and_lift_one(painter, staff):
    fail(5)
    fail(2, username="stranger", address=OTHER_ADDRESS)
    browser = Client()
    browser.force_login(staff)  # staff, not superuser, no model permissions granted
    listing = browser.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "painter" in page and ADDRESS in page and "not locked" in page  # stranger's row
    painter_row = AccessAttempt.objects.get(username="painter")
    lifted = browser.post("/admin/axes/accessattempt/", {
        "action": "lift_selected", "_selected_action": [painter_row.pk]})
    assert lifted.status_code == 302
    assert not AccessAttempt.objects.filter(username="painter").exists()
    assert AccessAttempt.objects.filter(username="stranger").exists()
    assert page_login(Client(), "painter", PASSWORD).status_code == 302


def test_staff_lift_an_address_locked_for_every_username(painter, staff):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        fail(1, username=name)
    browser = Client()
    browser.force_login(staff)
    row = AccessAttempt.objects.get(username="alice")
    browser.post("/admin/axes/accessattempt/", {"action": "lift_addresses",
                                                "_selected_action": [row.pk]})
    assert AccessAttempt.objects.count() == 0
    assert page_login(Client(), "painter", PASSWORD).status_code == 302


def test_a_user_who_is_not_staff_cannot_see_or_lift_lock_outs(painter, stranger):
    fail(5)
    client = Client()
    client.force_login(stranger)
    assert client.get("/admin/axes/accessattempt/").status_code == 302
    row = AccessAttempt.objects.get()
    client.post("/admin/axes/accessattempt/", {"action": "lift_selected",
                                               "_selected_action": [row.pk]})
    assert AccessAttempt.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("name,value,message", [
    ("ARTDAG_LOGIN_FAILURE_LIMIT", "0", "ARTDAG_LOGIN_FAILURE_LIMIT must be at least 1"),
    ("ARTDAG_LOGIN_COOLOFF", "soon", "ARTDAG_LOGIN_COOLOFF must be an integer"),
    ("ARTDAG_PROXY_COUNT", "-1", "ARTDAG_PROXY_COUNT must be at least 0"),
])
def test_a_malformed_lock_out_setting_stops_start_up_with_its_name(name, value, message,
                                                                   tmp_path):
    env = {**os.environ, name: value, "ARTDAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize("username,password", [
    ("u" * 300, "x"), ("pain\x00ter", "x"), ("painter", "pass\x00word"), ("", ""),
])
def test_a_hostile_basic_header_is_a_plain_401_that_changes_nothing(painter, username, password):
    response = api_login(username, password)
    assert response.status_code == 401
    assert response.json()["error"]["message"] in ("invalid username or password",
                                                   "Invalid basic header. No credentials provided.",
                                                   "Invalid basic header. Credentials string "
                                                   "should not contain spaces.")
    assert ApiToken.objects.count() == 0


def test_a_mangled_forwarded_header_counts_against_the_socket_address(painter, settings):
    settings.PROXY_COUNT = 1
    response = Client().post("/login", {"username": "painter", "password": "g"},
                             REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="not-an-address")
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS]
