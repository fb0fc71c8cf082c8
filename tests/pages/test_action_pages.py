"""Pages that change things: render, upload, register an asset, log in and out."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assets.models import Asset
from cache.models import CacheItem
from runs.models import Run
from tests import images
from tests.factories import UserFactory
from tests.helpers import cache_files

pytestmark = pytest.mark.django_db


def test_actions_send_anonymous_visitors_to_the_login_page(browser, demo):
    for path in ("/render", "/upload"):
        response = browser.get(path)
        assert response.status_code == 302 and response["Location"] == f"/login?next={path}"
    response = browser.post("/render", {"recipe": "dog", "in_image": "cat"})
    assert response.status_code == 302 and Run.objects.count() == 0


def test_logging_in_and_out_through_the_pages(browser, demo):
    UserFactory(username="painter")
    response = browser.post("/login", {"username": "painter",
                                       "password": "correct horse battery staple", "next": "/runs"})
    assert response.status_code == 302 and response["Location"] == "/runs"
    assert "painter" in browser.get("/").content.decode()
    wrong = Client().post("/login", {"username": "painter", "password": "nope"})
    assert wrong.status_code == 200 and "do not match" in wrong.content.decode()
    assert browser.post("/logout").status_code == 302
    assert browser.get("/render").status_code == 302


def test_the_render_form_starts_a_run_and_lands_on_its_page(artist_browser, demo,
                                                          django_capture_on_commit_callbacks):
    form = artist_browser.get("/render", {"recipe": "invert", "inputs": "cat"}).content.decode()
    assert 'name="in_image" value="cat"' in form and '<option value="invert" selected>' in form
    with django_capture_on_commit_callbacks() as queued:
        response = artist_browser.post("/render", {"recipe": "dog", "in_image": "cat",
                                                   "output_name": "mine"})
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.id}"
    assert run.owner.username == "painter" and run.output_name == "mine" and len(queued) == 1


def test_the_render_form_explains_a_refusal_and_starts_nothing(artist_browser, demo):
    for data, message in (({"recipe": "dog", "in_image": "no-such-asset"}, "no-such-asset"),
                          ({"recipe": "diptych", "in_left": "cat"}, "This field is required"),
                          ({"recipe": "nope", "in_image": "cat"}, "no recipe named")):
        response = artist_browser.post("/render", data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert Run.objects.count() == 0


def test_every_form_needs_its_csrf_token(demo):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT="text/html")
    strict.force_login(UserFactory(username="painter"))
    cat = Asset.objects.get(name="cat").content_id
    for path, data in (("/render", {"recipe": "dog", "in_image": "cat"}),
                       (f"/cache/{cat}/register", {"name": "kitty"}),
                       ("/logout", {})):
        assert strict.post(path, data).status_code == 403, path
    assert Run.objects.count() == 0 and not Asset.objects.filter(name="kitty").exists()
    page = strict.get("/render").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_plain_upload_form_stores_the_file_and_opens_its_page(artist_browser):
    data = images.png(seed=21)
    response = artist_browser.post("/upload", {"file": SimpleUploadedFile("a.png", data)})
    item = CacheItem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cache/{item.pk}/detail"
    assert item.origin == "uploaded" and item.owner.username == "painter"


def test_the_upload_page_refuses_an_empty_file_and_writes_nothing(artist_browser):
    before = cache_files()
    response = artist_browser.post("/upload", {"file": SimpleUploadedFile("e.png", b"")})
    assert response.status_code == 400 and "empty" in response.content.decode()
    assert artist_browser.post("/upload", {}).status_code == 400
    assert cache_files() == before and CacheItem.objects.count() == 0


def test_the_upload_page_posts_to_the_cache_api_with_a_progress_bar(artist_browser):
    page = artist_browser.get("/upload").content.decode()
    assert 'data-endpoint="/cache"' in page and "<progress" in page
    assert 'enctype="multipart/form-data"' in page


def test_registering_an_asset_from_a_cache_item(artist_browser, demo):
    cat = Asset.objects.get(name="cat").content_id
    response = artist_browser.post(f"/cache/{cat}/register",
                                   {"name": "kitty", "tags": "pets, demo", "description": "hi"})
    assert response.status_code == 302 and response["Location"] == "/assets/kitty"
    asset = Asset.objects.get(name="kitty")
    assert asset.content_id == cat and asset.tags == ["pets", "demo"]
    assert asset.owner.username == "painter"
    assert artist_browser.get("/assets/kitty").status_code == 200


def test_registering_a_bad_or_taken_name_is_refused_with_a_page(artist_browser, demo):
    cat = Asset.objects.get(name="cat").content_id
    assert artist_browser.post(f"/cache/{cat}/register", {"name": "has space"}).status_code == 400
    assert artist_browser.post(f"/cache/{cat}/register", {"name": "a" * 64}).status_code == 400
    taken = artist_browser.post(f"/cache/{cat}/register", {"name": "cat"})
    assert taken.status_code == 409 and "already exists" in taken.content.decode()
    assert Asset.objects.count() == 1


def test_recipe_pages_show_the_effect_chain_and_parameters(browser, demo):
    page = browser.get("/recipes/dog").content.decode()
    # An effect chain is a graph: its effect is a node, the effect's params the recipe's.
    assert 'id="graph-nodes"' in page and "EFFECT" in page
    assert "<code>sigma</code>" in page and "line_strength" in page
    assert browser.get("/recipes/nope").status_code == 404
    assert browser.get("/assets/nope").status_code == 404
