"""Content caches well in a shared cache, and nothing personal does.

Debian's nginx (installed by scripts/ensure-nginx.sh, as Chromium is) runs
as this test's own process, with its own prefix and config in a temp dir and
a free port, with `proxy_cache` in front of a live server. Its config caches
everything the server does not forbid (`proxy_cache_valid` for answers that
say nothing, and a key without cookies or tokens), as a careless CDN would:
what keeps a person's page from the next visitor are the server's own
headers. `X-Cache-Status` is nginx's `$upstream_cache_status`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.test import Client
from rest_framework.test import APIClient

from accounts import services as accounts
from cache import thumbs
from tests import images
from tests.factories import UserFactory
from tests.helpers import free_port, upload

pytestmark = pytest.mark.django_db(transaction=True)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """
worker_processes 1;
{user}
error_log {prefix}/error.log info;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=artdag:1m max_size=200m inactive=10m
                     use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_cache artdag;
            proxy_cache_valid 200 206 301 302 10m;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx_binary():
    if not os.access(NGINX, os.X_OK):
        pytest.skip("nginx is not installed (scripts/ensure-nginx.sh installs Debian's)")
    return NGINX


@pytest.fixture
def proxy(nginx_binary, live_server, tmp_path):
    """nginx with proxy_cache in front of the live server; yields its URL."""
    prefix, port = tmp_path / "nginx", free_port()
    prefix.mkdir()
    # As root, nginx's workers would drop to `nobody`, who cannot write our
    # temp dir: keep them as whoever runs the test.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(CONFIG.format(prefix=prefix, port=port, user=user,
                                                     upstream=live_server.url))
    process = subprocess.Popen([nginx_binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                "-g", "daemon off;"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # bounds a hung start only
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {process.stdout.read().decode()}"
                        f"{(prefix / 'error.log').read_text() if (prefix / 'error.log').exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert time.monotonic() < deadline, "nginx never listened"
            time.sleep(0.05)
    yield url
    process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def picture(demo):
    """A cached picture with its thumbnails made, as the worker makes them."""
    artist = APIClient()
    artist.force_authenticate(UserFactory(username="uploader"))
    data = images.png(width=300, height=200, seed=7)
    content_hash = upload(artist, data)
    thumbs.thumbnails_make(content_hash)
    return content_hash, data


def session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def cache_status(response) -> str:
    return response.headers.get("X-Cache-Status", "")


def test_the_second_get_of_a_file_is_a_cache_hit_whoever_asks(proxy, picture):
    content_hash, data = picture
    url = f"{proxy}/cache/{content_hash}"
    first = requests.get(url, timeout=60)
    assert first.status_code == 200 and cache_status(first) == "MISS"
    assert first.content == data
    # A logged-in browser and another anonymous client: the same stored copy.
    cookies = session_cookie(UserFactory(username="viewer"))
    for again in (requests.get(url, timeout=60), requests.get(url, cookies=cookies, timeout=60)):
        assert again.status_code == 200 and cache_status(again) == "HIT", again.headers
        assert again.content == data
    assert "Cookie" not in first.headers.get("Vary", "")
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_second_get_of_a_thumbnail_is_a_cache_hit(proxy, picture):
    content_hash, _ = picture
    expected = thumbs.thumb_path(content_hash, 256).read_bytes()
    url = f"{proxy}/cache/{content_hash}/thumb/256"
    first = requests.get(url, timeout=60)
    assert first.status_code == 200 and cache_status(first) == "MISS"
    again = requests.get(url, cookies=session_cookie(UserFactory(username="viewer")), timeout=60)
    assert again.status_code == 200 and cache_status(again) == "HIT", again.headers
    assert first.content == again.content == expected
    assert first.headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize("warm", [False, True], ids=["cold cache", "warm cache"])
def test_a_range_through_the_cache_returns_the_right_bytes(proxy, picture, warm):
    content_hash, data = picture
    url = f"{proxy}/cache/{content_hash}"
    if warm:
        assert cache_status(requests.get(url, timeout=60)) == "MISS"
    for header, start, end in (("bytes=10-99", 10, 99), ("bytes=-16", len(data) - 16, len(data) - 1),
                               (f"bytes={len(data) - 5}-", len(data) - 5, len(data) - 1)):
        response = requests.get(url, headers={"Range": header}, timeout=60)
        assert response.status_code == 206, (header, response.status_code)
        assert response.content == data[start:end + 1], header
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert cache_status(requests.get(url, timeout=60)) == "HIT"


def test_a_logged_in_users_page_is_never_served_to_another_client(proxy, picture):
    owner, other = UserFactory(username="owner-of-page"), UserFactory(username="someone-else")
    pages = ["/", "/runs", "/cache", f"/cache/{picture[0]}/detail", "/render", "/upload"]
    html = {"Accept": "text/html"}
    for path in pages:
        mine = requests.get(proxy + path, headers=html, cookies=session_cookie(owner), timeout=60)
        assert mine.status_code == 200 and "owner-of-page" in mine.text, path
        assert "private" in mine.headers.get("Cache-Control", ""), (path, mine.headers)
        for cookies in ({}, session_cookie(other)):
            theirs = requests.get(proxy + path, headers=html, cookies=cookies, timeout=60,
                                  allow_redirects=False)
            assert "owner-of-page" not in theirs.text, (path, cookies)
            assert cache_status(theirs) != "HIT", (path, theirs.headers)


def test_a_token_users_answer_is_never_served_to_another_token(proxy, demo):
    answers = {}
    for name in ("token-owner", "token-other"):
        _, key = accounts.token_create(user=UserFactory(username=name), name="laptop")
        answers[name] = requests.get(f"{proxy}/me", headers={"Authorization": f"Token {key}"},
                                     timeout=60)
    assert answers["token-owner"].json()["username"] == "token-owner"
    assert answers["token-other"].json()["username"] == "token-other"
    assert cache_status(answers["token-other"]) != "HIT"
    assert "private" in answers["token-owner"].headers["Cache-Control"]


def test_with_l1_private_content_is_not_kept_by_a_shared_cache(proxy, picture, settings):
    settings.L1_PRIVATE = True
    content_hash, data = picture
    cookies = session_cookie(UserFactory(username="member"))
    for path in (f"/cache/{content_hash}", f"/cache/{content_hash}/thumb/256"):
        first = requests.get(proxy + path, cookies=cookies, timeout=60)
        again = requests.get(proxy + path, cookies=cookies, timeout=60)
        assert first.status_code == again.status_code == 200, path
        assert first.headers["Cache-Control"].startswith("private"), first.headers
        assert cache_status(again) != "HIT", path
        stranger = requests.get(proxy + path, timeout=60)
        assert stranger.status_code in (401, 403), (path, stranger.status_code)
        assert cache_status(stranger) != "HIT" and stranger.content != first.content


def test_with_l1_private_a_thumbnail_is_for_logged_in_users_and_token_holders(picture, settings):
    settings.L1_PRIVATE = True
    path = f"/cache/{picture[0]}/thumb/256"
    member = UserFactory(username="member")
    _, key = accounts.token_create(user=member, name="laptop")
    browser = Client()
    browser.force_login(member)
    assert browser.get(path).status_code == 200
    assert Client().get(path, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Token {key[:-1]}"}):
        refused = Client().get(path, **headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    settings.L1_PRIVATE = False
    assert Client().get(path).status_code == 200
