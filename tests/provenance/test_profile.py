"""The profile page: who you are and your tokens, with a real login."""

import re

import pytest
from django.test import Client

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(owner):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login?next=/profile")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post("/login?next=/profile", {
        "username": "painter", "password": "correct horse battery staple",
        "csrfmiddlewaretoken": csrf, "next": "/profile"})
    assert response.status_code == 302 and response["Location"] == "/profile"
    return client


def _csrf(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     page.content.decode()).group(1)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/profile")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_profile_shows_the_actor_handle(browser, settings):
    page = browser.get("/profile").content.decode()
    assert f"@painter@{settings.L1_DOMAIN}" in page and "no tokens yet" in page


def test_a_token_made_on_the_page_is_shown_once_and_works(browser):
    page = browser.get("/profile")
    response = browser.post("/profile/tokens", {"name": "laptop", "csrfmiddlewaretoken": _csrf(page)})
    assert response.status_code == 302
    shown = browser.get("/profile").content.decode()
    key = re.search(r"(l1_[A-Za-z0-9_-]{40,})", shown).group(1)
    assert "laptop" in shown
    assert key not in browser.get("/profile").content.decode()  # once only
    api = Client()
    assert api.get("/me", HTTP_AUTHORIZATION=f"Token {key}").json()["username"] == "painter"


def test_revoking_on_the_page_stops_the_token(browser):
    page = browser.get("/profile")
    browser.post("/profile/tokens", {"name": "old", "csrfmiddlewaretoken": _csrf(page)})
    token = ApiToken.objects.get(name="old")
    page = browser.get("/profile")
    browser.post(f"/profile/tokens/{token.pk}/revoke", {"csrfmiddlewaretoken": _csrf(page)})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in browser.get("/profile").content.decode()


def test_a_form_post_without_the_csrf_token_is_refused(browser):
    response = browser.post("/profile/tokens", {"name": "sneaky"})
    assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_a_bad_name_on_the_page_explains_itself(browser):
    page = browser.get("/profile")
    browser.post("/profile/tokens", {"name": "a/b", "csrfmiddlewaretoken": _csrf(page)})
    assert "a token name is 1-64" in browser.get("/profile").content.decode()
    assert ApiToken.objects.count() == 0
