"""Tokens, reproductions and publications in the admin: lists and details render."""

import pytest
from django.core.management import call_command

from accounts.services import token_create
from provenance.models import Publication, Reproduction
from runs.models import Run

pytestmark = pytest.mark.django_db


def test_token_reproduction_and_publication_pages_render(operator, completed_run, owner):
    token, key = token_create(user=owner, name="laptop")
    call_command("reproduce", completed_run)
    Publication.objects.create(run=Run.objects.get(pk=completed_run), l2_url="http://l2",
                               l1_server="http://l1")
    for path in ("accounts/apitoken", "provenance/reproduction", "provenance/publication"):
        listed = operator.get(f"/admin/{path}/?q=a")
        assert listed.status_code == 200, path
    assert key not in operator.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert operator.get(
        f"/admin/provenance/reproduction/{Reproduction.objects.get().pk}/change/").status_code == 200
    assert operator.get("/admin/accounts/apitoken/add/").status_code == 403
