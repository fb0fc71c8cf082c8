"""The two ways the server runs, for fault tests that must hold in both:
`make run`'s embedded mode (SQLite and a filesystem queue in the data dir,
no outside service) and PostgreSQL with Redis."""

from __future__ import annotations

import os
import signal

from .stack import Stack, children

MODES = ("embedded", "postgres-redis")


def open_stack(mode: str, make_stack, request, **env) -> tuple[Stack, str]:
    """A stack in `mode` with the demo seeded; the stack and an API token."""
    if mode == "postgres-redis":
        seeded = request.getfixturevalue("seeded")
        return make_stack(**env), seeded["token"]
    data = request.getfixturevalue("fault_dir") / "data"
    stack = make_stack(broker_url="filesystem://localhost/",
                       database_url=f"sqlite:///{data / 'db.sqlite3'}", **env)
    stack.manage("migrate", "--noinput")
    stack.manage("seed_demo")
    stack.manage("shell", "-c", "from django.contrib.auth.models import User; "
                                "User.objects.create_user('faulty')")
    token = next(word for word in stack.manage("create_token", "faulty", "faults").split()
                 if word.startswith("l1_"))
    return stack, token


def kill_pool(worker) -> list[int]:
    """SIGKILL every pool process of a worker at the same moment, as the OOM
    killer or a container's memory limit can; the worker's main process lives."""
    pool = children(worker.pid)
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    return pool
