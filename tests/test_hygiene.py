"""Limits, throttles, security headers, /health and the production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from l1site.celery import app
from runs import services, steps
from runs.models import Run
from tests import images
from tests.helpers import cache_files, upload

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/runs", "/admin/login/", "/docs", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "img-src 'self' data:" in csp and "frame-ancestors 'none'" in csp


def test_the_api_docs_page_has_no_inline_script_or_style_the_policy_would_block(client):
    page = client.get("/docs").content.decode()
    assert "<script>" not in page.replace(" ", "") and "<style" not in page
    assert "/static/l1site/api-docs.css" in page
    assert client.get("/docs?script").status_code == 200
    assert client.get("/static/l1site/api-docs.css").status_code == 200


def test_health_is_200_when_database_broker_and_cache_dir_work(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"] == {
        "database": "ok", "broker": "ok", "cache_dir": "ok", "queues": "ok"}
    assert all(q["waiting"] >= 0 for q in body["queues"].values())


def test_health_is_503_naming_what_failed(client, settings, tmp_path):
    settings.CACHE_DIR = tmp_path / "not-there"
    saved = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/health")
    finally:
        app.conf.broker_url = saved
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unhealthy" and error["message"] == "failing: broker, cache_dir"
    assert error["details"]["checks"]["database"] == "ok"
    assert error["details"]["checks"]["broker"].startswith("failed:")


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


def test_a_user_over_the_active_run_limit_gets_429_until_runs_finish(
        artist_api, demo, settings, django_capture_on_commit_callbacks):
    settings.MAX_ACTIVE_RUNS_PER_USER = 2
    with django_capture_on_commit_callbacks():
        first = artist_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
        artist_api.post("/runs", {"recipe": "dog", "inputs": ["cat"]}, format="json")
        refused = artist_api.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]},
                                  format="json")
        again = artist_api.post("/runs", {"recipe": "invert", "inputs": ["cat"]}, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_active_runs"
    assert "2 runs pending or running" in refused.json()["error"]["message"]
    assert again.status_code == 200  # asking for a run you already have is not a new one
    assert Run.objects.count() == 2
    steps.schedule(first.json()["run_id"], task_id=first.json()["task_id"])
    with django_capture_on_commit_callbacks():
        assert artist_api.post("/runs", {"recipe": "sepia-print", "inputs": ["cat"]},
                               format="json").status_code == 201


def test_an_input_with_frames_over_the_pixel_limit_is_refused_with_413(artist_api, settings):
    digest = upload(artist_api, images.animated_gif(frames=4), "anim.gif")
    settings.MAX_FRAME_PIXELS = 32 * 24 - 1
    from runs.demo import seed_builtin_recipes

    seed_builtin_recipes()
    response = artist_api.post("/runs", {"recipe": "invert", "inputs": [digest]}, format="json")
    assert response.status_code == 413
    assert "the limit is 767 pixels per frame" in response.json()["error"]["message"]
    assert Run.objects.count() == 0


def test_a_recipe_over_the_size_limit_is_refused(db, settings):
    settings.MAX_RECIPE_BYTES = 256
    from runs.builtin import effect_chain
    from runs.graphs import recipe_post

    with pytest.raises(services.DomainError, match="the limit is 256") as refused:
        recipe_post(effect_chain("huge", [("invert", {})] * 40))
    assert refused.value.status_code == 413


def test_an_upload_over_the_size_limit_is_refused_and_leaves_no_file(artist_api, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    before = cache_files()
    response = artist_api.post("/cache", {"file": images.png(200, 200, seed=5)}, format="multipart")
    assert response.status_code in (400, 413)
    assert cache_files() == before


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTDAG_", "DJANGO_"))}
    env.update(ARTDAG_PRODUCTION="true", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="l1.example.org", ARTDAG_HTTPS="true",
               ARTDAG_DATA_DIR=os.environ.get("ARTDAG_DATA_DIR", "/tmp"))
    env.update(extra)
    return env


def manage(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_documented_production_environment():
    done = manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("override, message", [
    ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
    ({"ARTDAG_DEBUG": "true"}, "ARTDAG_DEBUG must be off"),
    ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
])
def test_production_settings_refuse_to_start_without_a_secret_key_or_with_debug(override, message):
    done = manage(production_env(**override), "check")
    assert done.returncode != 0 and message in done.stderr
