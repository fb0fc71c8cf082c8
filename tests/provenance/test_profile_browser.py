"""The profile page in a real headless Chromium (Debian's package, driven by
Playwright) against the live server: log in, make a token, use it, revoke it."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 120_000  # bounds a hung test only

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture
def page(live_server, transactional_db):
    from playwright.sync_api import sync_playwright

    UserFactory(username="painter")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = chromium.new_context(base_url=live_server.url)
        context.set_default_timeout(WAIT_MS)
        yield context.new_page()
        context.close()
        chromium.close()


def _me(live_server, key: str) -> int:
    request = urllib.request.Request(f"{live_server.url}/me",
                                     headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request) as reply:
            assert json.load(reply)["username"] == "painter"
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_user_logs_in_makes_a_token_uses_it_and_revokes_it(page, live_server, settings):
    page.goto("/profile")
    page.wait_for_url("**/login?next=/profile")
    page.fill("#id_username", "painter")
    page.fill("#id_password", "correct horse battery staple")
    page.click("main button[type=submit]")
    page.wait_for_url("**/profile")
    assert page.inner_text("#actor") == f"@painter@{settings.L1_DOMAIN}"

    page.fill("input[name=name]", "laptop")
    page.click("form[action='/profile/tokens'] button[type=submit]")
    key = page.inner_text("#new-key code >> nth=0")
    assert key.startswith("l1_") and _me(live_server, key) == 200
    page.reload()
    assert page.locator("#new-key").count() == 0  # shown once
    assert "laptop" in page.inner_text("#tokens")

    page.click("#tokens button:has-text('revoke')")
    page.wait_for_selector("text=token 'laptop' revoked")
    assert _me(live_server, key) == 401
