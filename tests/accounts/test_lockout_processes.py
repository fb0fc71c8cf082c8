"""The lock-out across real web processes (gunicorn, as deployed): failures
made on one count on the other, the lock-out holds on both and on a process
started after it, and no password or token key reaches any process's log."""

import re

import pytest
import requests

from accounts.models import ApiToken
from tests.factories import UserFactory
from tests.faults.conftest import fault_dir, make_stack  # noqa: F401 - fixtures

from .conftest import PASSWORD

GUESSES = [f"hunter2-guess-{n}" for n in range(8)]


@pytest.fixture
def fast_password_hashing():
    """The servers check passwords with the production hashers: keep them."""


def form_login(url: str, username: str, password: str) -> requests.Response:
    """The dashboard form as a browser posts it: the CSRF cookie and token first."""
    session = requests.Session()
    page = session.get(f"{url}/login", headers={"Accept": "text/html"}, timeout=60)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(f"{url}/login", data={"username": username, "password": password,
                                              "csrfmiddlewaretoken": csrf, "next": "/"},
                        headers={"Accept": "text/html"}, allow_redirects=False, timeout=60)


def basic_login(url: str, username: str, password: str) -> requests.Response:
    return requests.post(f"{url}/tokens", json={"name": "laptop", "scopes": ["read"]},
                         auth=(username, password), timeout=60)


def test_the_lock_out_holds_across_two_web_processes_and_a_restart_and_no_secret_is_logged(
        make_stack):  # noqa: F811
    UserFactory(username="painter")  # committed: the servers read it
    stack = make_stack(ARTDAG_LOG_LEVEL="DEBUG")
    first, second = stack.web(), stack.web()

    made = basic_login(first, "painter", PASSWORD)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    me = requests.get(f"{second}/me", headers={"Authorization": f"Token {key}"}, timeout=60)
    assert me.json()["token"]["scopes"] == ["read"]

    # Five failures, split over both processes and both surfaces.
    assert form_login(first, "painter", GUESSES[0]).status_code == 200
    assert basic_login(second, "painter", GUESSES[1]).status_code == 401
    assert form_login(second, "painter", GUESSES[2]).status_code == 200
    assert basic_login(first, "painter", GUESSES[3]).status_code == 401
    locked = form_login(second, "painter", GUESSES[4])
    assert locked.status_code == 429 and 'id="locked-out"' in locked.text

    # The right password is refused by both, with the time left.
    page = form_login(first, "painter", PASSWORD)
    assert page.status_code == 429 and "locked for 15 more minutes" in page.text
    api = basic_login(second, "painter", PASSWORD)
    assert api.status_code == 429 and api.json()["error"]["code"] == "locked_out"
    assert 0 < int(api.headers["Retry-After"]) <= 900

    # A web process started now (a restart) finds the same lock-out.
    next(p for p in stack.procs if p.name == "web-1").stop()
    third = stack.web()
    assert basic_login(third, "painter", PASSWORD).status_code == 429
    assert ApiToken.objects.count() == 1  # nothing got through while locked

    logs = {p.name: p.log() for p in stack.procs}
    everything = "\n".join(logs.values())
    assert "login_locked_out username='painter'" in everything
    for secret in [PASSWORD, key, *GUESSES[:5]]:
        leaked = [name for name, text in logs.items() if secret in text]
        assert not leaked, f"{secret[:6]}… appears in the log of {leaked}"
