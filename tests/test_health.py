"""GET /health (l1site.health): 200 when everything it checks works, 503
naming what failed."""

import pytest

from l1site.celery import app

pytestmark = pytest.mark.django_db


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
