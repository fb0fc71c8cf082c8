"""Token scopes: read, render, admin, enforced for every view from one table;
refusals are 403 naming the scope needed, and change nothing."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token

from accounts import scopes
from accounts.models import ApiToken
from assets.models import Asset
from cache.models import CacheItem
from runs.models import Run
from runs.services import run_submit
from tests import images
from tests.helpers import cache_files, post_file

from .conftest import with_key

pytestmark = pytest.mark.django_db


def refused_for_scope(response, needed: str) -> bool:
    error = response.json()["error"]
    return (response.status_code == 403 and error["code"] == "insufficient_scope"
            and f"needs the '{needed}' scope" in error["message"])


def test_a_read_only_token_cannot_submit_upload_or_cancel_and_nothing_changes(
        demo, painter, token_client):
    reader = token_client(painter, "read")
    pending = run_submit(recipe="dog", inputs=["cat"], owner=painter)[0]
    runs, files = Run.objects.count(), cache_files()

    submitted = reader.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]}, format="json")
    assert refused_for_scope(submitted, "render")
    assert "scopes (read)" in submitted.json()["error"]["message"]
    uploaded = post_file(reader, images.png(9, 9, seed=4))
    assert refused_for_scope(uploaded, "render")
    cancelled = reader.post(f"/runs/{pending.id}/cancel")
    assert refused_for_scope(cancelled, "render")
    cat = Asset.objects.get(name="cat").content_id
    named = reader.post("/assets", {"name": "mine", "content_hash": cat}, format="json")
    assert refused_for_scope(named, "render")

    assert Run.objects.count() == runs and cache_files() == files
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not Asset.objects.filter(name="mine").exists()


def test_a_read_only_token_reads_and_asks_questions_that_change_nothing(demo, painter,
                                                                        token_client):
    reader = token_client(painter, "read")
    assert reader.get("/runs").status_code == 200
    assert reader.get("/me").json()["token"]["scopes"] == ["read"]
    plan = reader.post("/runs/plan", {"recipe": "dog", "inputs": ["cat"]}, format="json")
    assert plan.status_code == 200, plan.json()


def test_a_read_token_reads_a_private_server_where_anonymous_cannot(demo, painter,
                                                                    token_client, api,
                                                                    settings):
    settings.L1_PRIVATE = True
    assert api.get("/runs").status_code in (401, 403)
    assert token_client(painter, "read").get("/runs").status_code == 200


def test_a_render_token_submits_uploads_cancels_and_names_but_does_no_admin_work(
        demo, staff, token_client, django_capture_on_commit_callbacks):
    renderer = token_client(staff, "render")  # staff, yet the token holds only render
    uploaded = post_file(renderer, images.png(11, 7, seed=5))
    assert uploaded.status_code == 201
    content_hash = uploaded.json()["content_hash"]
    submitted = renderer.post("/runs", {"recipe": "dog", "inputs": [content_hash]}, format="json")
    assert submitted.status_code == 201
    assert renderer.post(f"/runs/{submitted.json()['run_id']}/cancel").status_code == 200
    assert renderer.post("/assets", {"name": "mine", "content_hash": content_hash},
                         format="json").status_code == 201

    assert refused_for_scope(renderer.patch("/assets/mine", {"tags": ["x"]}, format="json"),
                             "admin")
    assert refused_for_scope(renderer.delete("/assets/mine"), "admin")
    imported = renderer.post("/cache/import?path=/nowhere.png")
    assert refused_for_scope(imported, "admin")
    assert refused_for_scope(renderer.post("/tokens", {"name": "more"}, format="json"), "admin")
    assert Asset.objects.get(name="mine").tags == []
    assert ApiToken.objects.count() == 1


def test_an_admin_token_does_everything_its_user_may(demo, painter, token_client):
    admin = token_client(painter, "admin")
    made = admin.post("/tokens", {"name": "ci", "scopes": ["read"]}, format="json")
    assert made.status_code == 201 and made.json()["scopes"] == ["read"]
    item = CacheItem.objects.first()
    assert admin.post("/assets", {"name": "n", "content_hash": item.pk},
                      format="json").status_code == 201
    assert admin.delete("/assets/n").status_code == 204
    # Staff-only work stays staff-only: the token's scope is not a role.
    assert admin.post("/cache/import?path=/nowhere.png").status_code == 403


def test_a_token_made_without_scopes_has_full_rights(demo, painter, token_client):
    default = token_client(painter)
    assert default.get("/me").json()["token"]["scopes"] == ["admin"]
    assert default.post("/tokens", {"name": "other"}, format="json").status_code == 201


def test_a_drf_authtoken_key_keeps_full_rights(demo, painter):
    legacy = with_key(Token.objects.create(user=painter).key)
    assert legacy.post("/runs", {"recipe": "dog", "inputs": ["cat"]},
                       format="json").status_code == 201
    assert legacy.post("/tokens", {"name": "x"}, format="json").status_code == 201


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_need_read_and_other_methods_render_by_default(method):
    class View:
        pass

    assert scopes.required_scope(View(), method) == "read"
    assert scopes.required_scope(View(), "POST") == "render"
    assert scopes.grants(["read"], "read") and not scopes.grants(["read"], "render")
    assert scopes.grants(["render"], "read") and scopes.grants(["admin"], "render")


def _routed_views(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routed_views(entry)
        elif isinstance(entry, URLPattern) and hasattr(entry.callback, "cls"):
            yield scopes.view_name(entry.callback.cls)


def test_every_view_the_scope_table_names_exists_and_is_routed():
    routed = set(_routed_views())
    for name in scopes.EXCEPTIONS:
        import_string(name)  # renamed or moved: fails here, not silently at the default
        assert name in routed, f"{name} is named in accounts.scopes but routed nowhere"
