"""The profile page's webhook forms: add one (its secret shown once), see
them listed, delete one; bad input is a message on the page and changes
nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import UserFactory
from webhooks.models import Webhook


@pytest.fixture
def page(user):
    browser = Client()
    browser.force_login(user)
    return browser


def add(page, url: str, events=("run.completed", "run.failed")):
    return page.post("/profile/webhooks", {"url": url, "events": list(events)})


@pytest.mark.django_db
def test_a_webhook_added_on_the_profile_page_shows_its_secret_once_and_is_listed(page, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the URL is this machine's
    made = add(page, "http://127.0.0.1:9/hook", events=["run.failed"])
    assert made.status_code == 302 and made["Location"] == "/profile#webhooks"
    hook = Webhook.objects.get()
    assert hook.url == "http://127.0.0.1:9/hook" and hook.events == ["run.failed"]
    first = page.get("/profile").content.decode()
    assert 'id="new-webhook-secret"' in first and hook.secret in first
    assert re.search(r'id="webhooks-list".*http://127.0.0.1:9/hook.*run.failed', first, re.S)
    again = page.get("/profile").content.decode()
    assert hook.secret not in again and "http://127.0.0.1:9/hook" in again


@pytest.mark.django_db
@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1/hook", "private"),
    ("not a url", "url"),
    ("", "url"),
    ("ftp://example.org/hook", "url"),
])
def test_a_bad_webhook_on_the_profile_page_is_a_message_and_changes_nothing(page, url, message):
    refused = add(page, url)
    assert refused.status_code == 302
    shown = page.get("/profile").content.decode()
    said = re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', shown, re.S)
    assert said and message in said.group(1).lower()
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_an_unknown_event_from_the_profile_form_is_refused(page, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    add(page, "http://127.0.0.1:9/hook", events=["run.exploded"])
    said = re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', page.get("/profile").content.decode(),
                     re.S)
    assert said and "events" in said.group(1)
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_an_owner_deletes_a_webhook_on_the_profile_page_and_nobody_else_can(page, user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    add(page, "http://127.0.0.1:9/mine")
    hook = Webhook.objects.get()
    stranger = Client()
    stranger.force_login(UserFactory(username="stranger"))
    stranger.post(f"/profile/webhooks/{hook.id}/delete")
    assert Webhook.objects.filter(pk=hook.pk).exists()
    gone = page.post(f"/profile/webhooks/{hook.id}/delete")
    assert gone.status_code == 302 and not Webhook.objects.exists()
    assert "deleted" in page.get("/profile").content.decode()


@pytest.mark.django_db
def test_the_webhook_forms_need_a_login_and_a_post(client):
    assert client.post("/profile/webhooks", {"url": "https://example.org/h"}).status_code == 302
    assert not Webhook.objects.exists()
    other = Client()
    other.force_login(UserFactory(username="someone"))
    assert other.get("/profile/webhooks").status_code == 405
