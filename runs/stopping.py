"""A worker being stopped is not a render that killed its worker.

A render's attempts are counted so that an input that kills every worker
taking it (the OOM killer, a crash) fails after MAX_RENDER_ATTEMPTS instead
of looping. Stopping the server is not that: Celery's cold shutdown (make
run's Ctrl-C after its grace, a deploy) ends each pool process with SIGTERM,
and three stops during one long render failed it. billiard's handler in each
pool process turns SIGTERM into a SystemExit that unwinds the render; on the
way out runs.steps gives the run (or the step's lease) back here, its attempt
uncounted and free to take at once. SIGKILL (the OOM killer, ``kill -9``)
unwinds nothing, and still counts.
"""

from __future__ import annotations

import contextlib
import logging

from billiard.common import terminate_handler_fired
from django.db import connection
from django.db.models import F

from l1site.dbclock import Now

from .models import Run, Step

log = logging.getLogger(__name__)


class Stopped(SystemExit):
    """This pool process was told to stop while its render was failing."""


def requested() -> bool:
    """Whether this pool process has taken its SIGTERM."""
    return terminate_handler_fired()


def check() -> None:
    """Raise Stopped if this process has been told to stop. For handlers of
    a render's own errors: the signal may have landed in C code (FFmpeg
    opening a file), which fails with EINTR and swallows the handler's
    SystemExit, so the render would fail as if its input were broken."""
    if requested():
        raise Stopped(1)


def _write(update) -> int:
    """The rows updated. Best effort, on the way out: the signal may have
    landed inside a query, leaving this connection mid-conversation; then on
    a new one. Failing both is the old outcome (the attempt counts, and the
    next delivery waits for the heartbeat or the lease to go stale)."""
    for last in (False, True):
        try:
            return update()
        except Exception as exc:  # noqa: BLE001 - the process is exiting either way
            if last:
                log.warning("could not give back work on stopping: %s", exc)
            with contextlib.suppress(Exception):
                connection.close()
    return 0


def give_back_run(run_id: str, task_id: str) -> None:
    """Uncount the attempt, and clear the heartbeat so this message's
    redelivery (the same task id) claims the run at once."""
    if _write(lambda: Run.objects.filter(pk=run_id, task_id=task_id, status=Run.Status.RUNNING
                                     ).update(attempts=F("attempts") - 1, heartbeat_at=None)):
        log.info("run %s given back: this worker is stopping", run_id)


def give_back_step(cache_id: str, owner: str) -> None:
    """Uncount the attempt and end the lease now: the step is free to claim."""
    if _write(lambda: Step.objects.filter(pk=cache_id, lease_owner=owner,
                                          status=Step.Status.RUNNING).update(
        attempts=F("attempts") - 1, lease_expires_at=Now())):
        log.info("step %s given back: this worker is stopping", cache_id)
