"""The worker liveness settings: validated where the settings read them,
and the pool the worker runs unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def setting(name: str, **env: str) -> subprocess.CompletedProcess:
    code = f"from django.conf import settings; print(settings.{name})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "l1site.settings"})


def test_the_stall_time_defaults_to_two_minutes_and_takes_whole_seconds():
    assert setting("QUEUE_STALL_SECONDS").stdout.strip() == "120"
    assert setting("QUEUE_STALL_SECONDS", ARTDAG_QUEUE_STALL_SECONDS="30").stdout.strip() == "30"


@pytest.mark.parametrize("name, raw, message", [
    ("ARTDAG_QUEUE_STALL_SECONDS", "1", "ARTDAG_QUEUE_STALL_SECONDS must be at least 2, got 1"),
    ("ARTDAG_QUEUE_STALL_SECONDS", "soon", "ARTDAG_QUEUE_STALL_SECONDS must be an integer, got 'soon'"),
    ("ARTDAG_HEALTH_WORKER_TIMEOUT", "0", "ARTDAG_HEALTH_WORKER_TIMEOUT must be at least 1, got 0"),
    ("ARTDAG_HEALTH_WORKER_TIMEOUT", "0.5", "ARTDAG_HEALTH_WORKER_TIMEOUT must be an integer"),
])
def test_a_bad_liveness_value_stops_the_server_with_a_clear_message(name, raw, message):
    done = setting("QUEUE_STALL_SECONDS", **{name: raw})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_a_worker_runs_the_pool_that_survives_its_processes_being_killed():
    from celery.concurrency import get_implementation

    from l1site import pool
    from l1site.celery import app

    assert get_implementation(app.conf.worker_pool) is pool.TaskPool
    assert pool.TaskPool.BlockingPool is pool.BlockingPool
