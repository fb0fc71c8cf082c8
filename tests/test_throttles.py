"""l1site.throttles in one process: a client over its rate gets 429 with
Retry-After (tests/test_shared_throttle.py: one budget across processes)."""

import pytest
from django.core.cache import cache

from runs.models import Run

pytestmark = pytest.mark.django_db


def test_a_throttled_client_gets_429_with_retry_after_and_nothing_is_created(
        artist_api, demo, settings, django_capture_on_commit_callbacks):
    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "submit": "2/min"}
    with django_capture_on_commit_callbacks():
        for recipe in ("invert", "dog"):
            assert artist_api.post("/runs", {"recipe": recipe, "inputs": ["cat"]},
                                   format="json").status_code == 201
        refused = artist_api.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]},
                                  format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert Run.objects.count() == 2
    assert artist_api.get("/runs").status_code == 200  # reading is not submitting
    cache.clear()
