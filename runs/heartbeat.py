"""Heartbeats of the runs a worker process is rendering inline.

One daemon thread per process renews ``heartbeat_at`` of every run it has
on hand, every RUN_HEARTBEAT_INTERVAL seconds, so a render that takes long
(a stalled network file system, a big still) is never reaped while its
worker lives, and a killed worker stops beating and the sweep notices.
Renders only register and unregister (a dict operation): a thread started
and joined per render cost a small still more than its render.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection

from l1site.dbclock import Now

from .models import Run

log = logging.getLogger(__name__)

_on_hand: dict[str, str] = {}  # run id -> the task id rendering it
_lock = threading.Lock()
_started_in: int | None = None  # the pid whose thread beats (threads do not survive fork)


def beat(held: dict[str, str]) -> None:
    """Renew the heartbeat of each run (id -> the task id rendering it).
    The time is the database's own (Now() in the UPDATE): the sweep that
    judges it runs on another host, whose clock may not agree with ours."""
    for run_id, task_id in held.items():
        try:
            Run.objects.filter(pk=run_id, task_id=task_id, status=Run.Status.RUNNING
                               ).update(heartbeat_at=Now())
        except DatabaseError:
            # The database restarted under us: reconnect on the next beat.
            log.warning("heartbeat of run %s missed: database unavailable", run_id)


def _beat_forever() -> None:
    stop = threading.Event()
    while not stop.wait(settings.RUN_HEARTBEAT_INTERVAL):
        with _lock:
            held = dict(_on_hand)
        beat(held)
        if held:
            # One connection a beat, none between: an idle thread holding one
            # would keep its database from being dropped or restarted cleanly.
            connection.close()


def _ensure_thread() -> None:
    global _started_in
    if _started_in == os.getpid():
        return
    with _lock:
        if _started_in != os.getpid():
            threading.Thread(target=_beat_forever, name="run-heartbeats", daemon=True).start()
            _started_in = os.getpid()


@contextmanager
def beating(run_id: str, task_id: str):
    """Keep the run's heartbeat fresh while the body renders it."""
    _ensure_thread()
    with _lock:
        _on_hand[run_id] = task_id
    try:
        yield
    finally:
        with _lock:
            _on_hand.pop(run_id, None)
