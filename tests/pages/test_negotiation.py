"""Browsers get pages on the API's paths; API clients keep getting JSON."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = ["/", "/runs", "/cache", "/assets", "/assets/cat", "/recipes", "/recipes/dog"]


@pytest.mark.parametrize("path", PATHS)
def test_a_browser_navigation_gets_the_page_and_an_api_client_the_json(client, browser, demo, path):
    page = browser.get(path)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "<!doctype html>" in page.content.decode()[:50].lower()
    for accept in ("*/*", "application/json", None):
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        api = client.get(path, **extra)
        assert api.status_code == 200 and api["Content-Type"] == "application/json", accept
        api.json()
    assert "Accept" in page["Vary"] and "Accept" in client.get(path)["Vary"]


def test_a_run_has_a_page_and_keeps_its_json(client, browser, rendered):
    assert rendered.id in browser.get(f"/runs/{rendered.id}").content.decode()
    assert client.get(f"/runs/{rendered.id}").json()["status"] == "completed"


def test_html_with_zero_quality_is_not_a_request_for_html(client, demo):
    response = client.get("/", HTTP_ACCEPT="text/html;q=0, application/json")
    assert response["Content-Type"] == "application/json"


def test_cached_bytes_never_turn_into_a_page(browser, rendered):
    response = browser.get(f"/cache/{rendered.output_id}")
    assert response["Content-Type"] == "image/png"
    assert "Vary" not in response or "Accept" not in response["Vary"]


def test_an_unknown_run_is_an_html_404_for_browsers_and_json_for_clients(client, browser, db):
    page = browser.get("/runs/" + "0" * 64)
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert client.get("/runs/" + "0" * 64).json()["error"]["code"] == "not_found"


def test_an_unknown_path_is_an_html_404_for_browsers(browser, db):
    assert browser.get("/nowhere").status_code == 404


def test_posting_to_the_api_with_a_browser_accept_header_still_reaches_the_api(browser, artist_browser, demo):
    response = artist_browser.post("/runs", {"recipe": "dog", "inputs": ["cat"]},
                                   content_type="application/json")
    assert response.status_code == 201 and response.json()["recipe"] == "dog"
