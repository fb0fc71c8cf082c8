"""GET /health (l1site.health): 200 when everything it checks works, 503
naming what failed."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_is_200_when_database_broker_and_cache_dir_work(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"] == {
        "database": "ok", "broker": "ok", "cache_dir": "ok", "queues": "ok"}
    assert all(q["waiting"] >= 0 for q in body["queues"].values())


def test_health_is_503_naming_what_failed(client, settings, tmp_path, unreachable_broker):
    settings.CACHE_DIR = tmp_path / "not-there"
    response = client.get("/health")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unhealthy" and error["message"] == "failing: broker, cache_dir"
    assert error["details"]["checks"]["database"] == "ok"
    assert error["details"]["checks"]["broker"].startswith("failed:")
