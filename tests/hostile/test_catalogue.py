"""The bad-input catalogue: one test per row of docs/bad-input.md. Each
hostile request gets its 4xx in the one error shape (a command: a message
and exit status 1), and the database and the cache dir are exactly as before."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assets.models import Asset
from cache.models import CacheItem
from runs.models import Recipe, Run
from tests.hostile.cases import CASES, markdown
from tests.factories import UserFactory
from tests.helpers import cache_files

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"
pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "cache_items": sorted(CacheItem.objects.values_list("pk", "size", "pinned")),
        "assets": sorted(Asset.objects.values_list("name", "content_id")),
        "recipes": sorted(Recipe.objects.values_list("name", "definition_hash")),
        "runs": sorted(Run.objects.values_list("pk", "status", "attempts")),
        "users": sorted(User.objects.values_list("pk", flat=True)),
        "tokens": sorted(Token.objects.values_list("pk", flat=True)),
        "files": sorted(cache_files()),
    }


@pytest.fixture
def ctx(demo, settings, tmp_path, django_capture_on_commit_callbacks,
        fast_password_hashing):  # 80 cases x 3 users: the production hasher would dominate
    settings.IMPORT_ROOTS = [tmp_path]
    artist, other, staff = (UserFactory(username="artist"), UserFactory(username="other"),
                            UserFactory(username="operator", is_staff=True))
    clients = {}
    for name, who in [("artist", artist), ("other", other), ("staff", staff)]:
        clients[name] = APIClient()
        clients[name].force_authenticate(who)
    browser = Client(enforce_csrf_checks=True)  # a logged-in browser, as the admin leaves it
    browser.force_login(artist)
    with django_capture_on_commit_callbacks():  # nothing reaches a broker
        yield SimpleNamespace(anon=APIClient(), browser=browser, settings=settings, cat=demo["cat"],
                              import_root=tmp_path, **clients)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(ctx, case):
    act = case.prepare(ctx)
    before = snapshot()

    answer = act()

    if case.status == 1:
        assert isinstance(answer, CommandError), f"the command did not fail: {answer!r}"
        assert case.code in str(answer)
    else:
        assert answer.status_code == case.status, answer.content[:500]
        body = answer.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert body["error"]["code"] == case.code, body
        assert body["error"]["message"]
    assert snapshot() == before


def test_the_catalogue_has_at_least_forty_rows_and_the_doc_is_current():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert DOC.read_text() == markdown(), "regenerate: python -m tests.hostile.cases > docs/bad-input.md"
