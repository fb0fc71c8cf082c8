"""Opaque values that clients only hand back (page cursors, tokens, ids in
paths) sent malformed, truncated, re-encoded or forged: a 400 (or the 401 or
404 their meaning gives) in the one error shape, never a 500.

A schema fuzzer cannot reach these, since a cursor is a plain string to it:
here they are made from what a cursor really is (base64 of
`o=<offset>&r=<reverse>&p=<position>`) and then broken in every way, by
hand and by Hypothesis, for every paginated endpoint, API and pages."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from accounts import services as accounts
from tests import images
from tests.factories import UserFactory
from tests.helpers import upload

pytestmark = pytest.mark.django_db

API_LISTS = ["/runs", "/cache", "/assets"]   # DRF cursor pagination (l1site.pagination)
PAGE_LISTS = ["/runs", "/cache"]             # the dashboard's keyset pages (`after`)
HTML = {"HTTP_ACCEPT": "text/html"}


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def cursor(**tokens) -> str:
    return b64(urlencode(tokens))


FORGED_CURSORS = {
    "position not a date": cursor(p="not-a-date"),
    "position an impossible date": cursor(p="2024-13-45 25:61:00+00:00"),
    "position empty": cursor(p=""),
    "position with a NUL": cursor(p="2024-01-01 00:00:00\x00"),
    "position of a huge number": cursor(p="9" * 400),
    "position a JSON object": cursor(p=json.dumps({"created_at": "2024-01-01"})),
    "offset negative": cursor(o="-1", p="2024-01-01 00:00:00+00:00"),
    "offset past Python's digit limit": cursor(o="9" * 5000),
    "reverse not a number": cursor(r="yes"),
    "base64 of JSON": b64(json.dumps({"o": 0, "r": 0, "p": "2024-01-01"})),
    "a key of its own": cursor(o="0", x="1"),
    "a key twice": b64("p=2024-01-01 00:00:00%2B00:00&p=2025-01-01 00:00:00%2B00:00"),
    "reverse 2": cursor(r="2"),
    "offset in other digits": cursor(o="²"),
    "base64 of raw bytes": b64(bytes(range(256))),
    "not base64 at all": "%%%not base64%%%",
    "non-ASCII": "curseur-é",
    "bytes that are not UTF-8": "%ff%fe",
}


def names_only_cursors() -> dict:
    """The ordering field of /assets is a name: only a NUL or nothing is not one."""
    return {"position with a NUL": cursor(p="cat\x00"), "position empty": cursor(p="")}


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict)


@pytest.fixture
def listed(demo, artist_api, django_capture_on_commit_callbacks):
    """Enough rows that every list has more than one page at limit=1."""
    for seed in (1, 2):
        picture = upload(artist_api, images.png(seed=seed))
        artist_api.post("/assets", {"name": f"picture-{seed}", "content_hash": picture},
                        format="json")
    with django_capture_on_commit_callbacks():
        for recipe in ("invert", "dog"):
            artist_api.post("/runs", {"recipe": recipe, "inputs": ["cat"]}, format="json")


@pytest.mark.parametrize("path", ["/runs", "/cache"])
@pytest.mark.parametrize("how", list(FORGED_CURSORS))
def test_a_forged_cursor_is_a_400_in_the_error_shape(api, listed, path, how):
    response = api.get(f"{path}?cursor={quote(FORGED_CURSORS[how], safe='%')}")
    assert_error_shape(response, 400, "invalid_cursor")


@pytest.mark.parametrize("how", list(names_only_cursors()) + ["not base64 at all", "reverse not a number"])
def test_a_forged_cursor_on_a_list_by_name_is_a_400(api, listed, how):
    forged = {**FORGED_CURSORS, **names_only_cursors()}[how]
    response = api.get(f"/assets?cursor={quote(forged, safe='%')}")
    assert_error_shape(response, 400, "invalid_cursor")


def next_cursor(body: dict) -> str | None:
    if not body.get("next"):
        return None
    return parse_qs(urlsplit(body["next"]).query)["cursor"][0]


@pytest.mark.parametrize("path", API_LISTS)
def test_every_page_is_reached_by_following_next_cursors(api, listed, path):
    seen, url, pages = [], f"{path}?limit=1", 0
    while url:
        body = api.get(url).json()
        seen += body["results"]
        url, pages = body["next"], pages + 1
    assert pages == len(seen) and len(seen) >= 2
    everything = api.get(f"{path}?limit=500").json()["results"]
    assert seen == everything


@pytest.mark.parametrize("path", API_LISTS)
def test_a_real_cursor_truncated_or_padded_is_refused_or_still_a_page(api, listed, path):
    real = next_cursor(api.get(f"{path}?limit=1").json())
    assert real
    for broken in {real[:-1], real[:-3], real[: len(real) // 2], real + "A", real + "=="}:
        response = api.get(f"{path}?limit=1&cursor={quote(broken, safe='')}")
        assert response.status_code in (200, 400), (broken, response.status_code)
        if response.status_code == 400:
            assert_error_shape(response, 400, "invalid_cursor")


@pytest.mark.parametrize("path", API_LISTS)
def test_a_real_cursor_re_encoded_reads_the_same_page_or_is_refused(api, listed, path):
    real = next_cursor(api.get(f"{path}?limit=1").json())
    page = api.get(f"{path}?limit=1&cursor={quote(real, safe='')}").json()
    decoded = base64.b64decode(real)
    variants = [base64.urlsafe_b64encode(decoded).decode(), real.rstrip("="),
                quote(quote(real, safe=""), safe="")]
    for variant in variants:
        response = api.get(f"{path}?limit=1&cursor={quote(variant, safe='%')}")
        assert response.status_code in (200, 400), (variant, response.status_code)
        if response.status_code == 200:
            assert response.json()["results"] == page["results"]
        else:
            assert_error_shape(response, 400, "invalid_cursor")


@pytest.mark.parametrize("path", ["/runs", "/cache"])
def test_a_valid_looking_cursor_with_a_forged_date_is_a_page_not_an_error(api, listed, path):
    """Any date is a place in a list: before everything, after everything."""
    for position in ("0001-01-01 00:00:00+00:00", "9999-12-31 23:59:59.999999+00:00",
                     "2024-06-01 12:00:00+14:00", "2024-06-01 12:00:00"):
        for reverse in ("0", "1"):
            response = api.get(f"{path}?cursor={quote(cursor(p=position, r=reverse), safe='')}")
            assert response.status_code == 200, (position, reverse, response.content[:300])


# --- Hypothesis: cursors built from their parts, with values of every kind -----------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8)
token_values = st.one_of(
    st.text(max_size=40), st.integers().map(str), st.integers(min_value=10 ** 30).map(str),
    st.datetimes().map(str), st.datetimes().map(lambda d: d.isoformat() + "+99:00"),
    json_values.map(json.dumps), st.binary(max_size=20).map(lambda b: b.decode("latin-1")))
cursors = st.one_of(
    st.dictionaries(st.sampled_from(["o", "r", "p", "x"]), token_values, max_size=4).map(
        lambda tokens: b64(urlencode(tokens))),
    json_values.map(lambda v: b64(json.dumps(v))),
    st.binary(max_size=64).map(b64),
    st.text(max_size=64),
)


@hypothesis_settings(max_examples=150, derandomize=True, deadline=None,
                     suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(API_LISTS), forged=cursors)
def test_generated_cursors_on_every_api_list_never_give_a_500(api, listed, path, forged):
    response = api.get(f"{path}?cursor={quote(forged, safe='')}")
    assert response.status_code in (200, 400), (forged, response.status_code, response.content[:300])
    if response.status_code == 400:
        assert_error_shape(response, 400, "invalid_cursor")


@hypothesis_settings(max_examples=100, derandomize=True, deadline=None,
                     suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PAGE_LISTS), forged=st.one_of(
    st.text(max_size=64), st.tuples(token_values, st.text(max_size=70)).map("~".join),
    st.datetimes().map(lambda d: f"{d.isoformat()}~{'f' * 64}")))
def test_generated_cursors_on_every_page_list_never_give_a_500(client, listed, path, forged):
    response = client.get(f"{path}?after={quote(forged, safe='')}", **HTML)
    assert response.status_code in (200, 400), (forged, response.status_code)


# --- ids in paths ------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/runs/" + "f" * 63, "/runs/" + "F" * 64, "/runs/" + "f" * 65, "/runs/%C3%A9t%C3%A9",
    "/runs/" + "9" * 5000, "/runs/..%2F..%2Fetc", "/runs/" + "f" * 64 + "/provenance",
    "/runs/" + "f" * 64 + "/lineage", "/runs/%20/cancel",
    "/cache/" + "a" * 63, "/cache/" + "a" * 65, "/cache/" + "ａ" * 64, "/cache/%C2%B2" * 2,
    "/cache/" + "a" * 64 + "/lineage", "/cache/" + "a" * 64 + "/detail",
    "/cache/" + "a" * 64 + "/thumb/" + "9" * 40, "/cache/x/thumb/256",
    "/recipes/dog/" + "a" * 63, "/recipes/dog/%C2%B2", "/recipes/" + "x" * 5000,
    "/assets/" + "x" * 5000, "/assets/%E2%80%AE",
])
def test_forged_ids_in_paths_are_a_4xx_in_the_error_shape(api, demo, path):
    response = api.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    if response["Content-Type"].startswith("text/html"):  # a page-only path: its error page
        assert path.endswith("/detail")
    else:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("token_id", ["9" * 30, "-1", "1.0", "%C2%B2", "%D9%A3", "0x1", "1e3"])
def test_forged_token_ids_are_not_found_and_revoke_nothing(artist_api, user, token_id):
    mine, _ = accounts.token_create(user=user, name="laptop")
    response = artist_api.delete(f"/tokens/{token_id}")
    assert_error_shape(response, 404, "not_found")
    mine.refresh_from_db()
    assert mine.revoked_at is None


def test_a_forged_token_id_on_the_profile_page_revokes_nothing(client, user):
    mine, _ = accounts.token_create(user=user, name="laptop")
    client.force_login(user)
    response = client.post("/profile/tokens/" + "9" * 30 + "/revoke")
    assert response.status_code in (302, 404)
    mine.refresh_from_db()
    assert mine.revoked_at is None


# --- tokens ------------------------------------------------------------------------
def token_headers(key: str) -> list[str]:
    return ["Token", "Token ", f"Token {key[:-1]}", f"Token {key}x", f"Token {key.upper()}",
            f"Token {key} {key}", f"Token {b64(key)}", f"Token {quote(key + '/')}",
            f"Bearer {key}", f"Token {'x' * 5000}", "Token é", f"token{key}"]


def test_malformed_truncated_or_forged_tokens_are_a_401_never_a_500(api, user):
    _, key = accounts.token_create(user=user, name="laptop")
    for header in token_headers(key):
        for method, path in (("get", "/me"), ("post", "/runs"), ("get", "/runs")):
            response = getattr(api, method)(path, HTTP_AUTHORIZATION=header)
            assert response.status_code < 500, (header[:40], path, response.status_code)
            if header.lower().startswith("token ") and header != "Token ":
                assert_error_shape(response, 401, "authentication_failed")
    assert api.get("/me", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_a_forged_session_cookie_is_an_anonymous_visitor(client, demo):
    for value in ("garbage", "x" * 5000, b64("{}"), "..", "é"):
        client.cookies["sessionid"] = value
        assert client.get("/runs").status_code == 200
        response = client.post("/runs", {"recipe": "dog", "inputs": ["cat"]},
                               content_type="application/json")
        assert response.status_code in (401, 403) and response.json()["error"]["message"]


def test_a_forged_csrf_token_is_a_403_in_the_error_shape(demo):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="painter"))
    client.cookies["csrftoken"] = "x" * 32
    response = client.post("/runs", {"recipe": "dog", "inputs": ["cat"]},
                           content_type="application/json", HTTP_X_CSRFTOKEN="y" * 32)
    assert_error_shape(response, 403, "permission_denied")


@pytest.mark.parametrize("run_id", ["f" * 63, "F" * 64, "%C2%B2" * 32, "9" * 5000, "%20", "..%2F..",
                                    "f" * 64 + "%00"])
@pytest.mark.parametrize("action", ["cancel", "reproduce", "publish"])
def test_forged_run_ids_in_actions_are_a_4xx_and_change_nothing(artist_api, demo, run_id, action):
    from runs.models import Run

    response = artist_api.post(f"/runs/{run_id}/{action}")
    assert 400 <= response.status_code < 500, (run_id[:20], action, response.status_code)
    assert response.json()["error"]["message"]
    assert Run.objects.count() == 0
