"""Fair share: how many of one user's runs are in the broker at once.

The database is the queue of record; the broker holds only what workers
should take next. Of one owner's runs of each lane (stills, video), at most
settings.DISPATCH_PER_USER are handed to the broker or rendering at a time. The rest stay pending with
no ``queued_at`` and are released in order (the ones moved to the front, then
priority, then the oldest) when one of the owner's runs finishes
(runs.lifecycle), and by the sweep (runs.recovery) should that moment be
lost with its worker. So one user's 500 queued runs put at most that many
renders ahead of another user's single run; Celery and Redis do the rest
(queues by kind, message priority: l1site.queues).

Releasing is one short transaction under a row lock on the owner: of two
concurrent releases for one owner (a submission and a completion), the
second sees what the first handed out, so the limit holds and no run is left
waiting with nothing in flight to release it. ``queued_at`` is set in that
transaction, before the message is sent after commit; a send that fails
clears it again (the run is then released again by the next release or
sweep), and a crash between commit and send leaves a run that the sweep's
"queued but never claimed" pass re-sends. Runs with no owner (the server's
own work, the ``render`` command) are not held back.
"""

from __future__ import annotations

import logging
import operator
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from l1site.dbclock import Now

from .events import run_event
from .inputs import media_kind
from .models import Run
from .queueing import run_queue

log = logging.getLogger(__name__)


def lane_for(plan, items: dict) -> str:
    """Run.lane: video when any source is a clip or sound, or a still is
    made into a clip of some length (a SOURCE over a file); stills otherwise."""
    if any(media_kind(item) in ("video", "audio") for item in items.values()):
        return Run.Lane.VIDEO
    if any(s.type == "SOURCE" and s.inputs for s in plan.steps):
        return Run.Lane.VIDEO
    return Run.Lane.STILLS


def waiting_order():
    """The order an owner's waiting runs are released in: the ones they moved
    to the front (the latest first), then by priority, then the oldest."""
    return [F("promoted_at").desc(nulls_last=True), "priority", "created_at", "id"]


def _send(run_id: str, task_id: str, lane: str, priority: int) -> None:
    if not run_queue(run_id, task_id, route=(lane, priority), queued=True):
        # The broker is away: not queued after all, so a later release or
        # the sweep hands it out again.
        Run.objects.filter(pk=run_id, task_id=task_id, status=Run.Status.PENDING).update(
            queued_at=None)


def release(owner_id: int, *, send: bool = True) -> list[tuple[str, str, str, int]]:
    """Hand the owner's next waiting runs to the broker, up to the limit.
    Returns their (id, task id, lane, priority); the messages are sent when
    the transaction commits (``send=False``: the caller sends them, after its
    commit)."""
    with transaction.atomic():
        # The lock that serializes one owner's releases (not other owners').
        if not get_user_model().objects.select_for_update(no_key=True).filter(pk=owner_id).exists():
            return []
        mine = Run.objects.filter(owner_id=owner_id)
        # Per lane: a user's long video renders never hold back their stills.
        busy = dict(mine.filter(Q(status=Run.Status.RUNNING)
                                | Q(status=Run.Status.PENDING, queued_at__isnull=False))
                    .order_by().values_list("lane").annotate(n=Count("id")))
        room = {lane: settings.DISPATCH_PER_USER - busy.get(lane, 0) for lane in Run.Lane.values}
        wanted = [Q(lane=lane, place__lte=n) for lane, n in room.items() if n > 0]
        if not wanted:
            return []
        # Every lane's next runs in one read: their places in line, per lane.
        picked = list(mine.filter(status=Run.Status.PENDING, queued_at__isnull=True).annotate(
            place=Window(RowNumber(), partition_by=F("lane"), order_by=waiting_order()))
            .filter(reduce(operator.or_, wanted)).order_by("place")
            .values_list("id", "task_id", "lane", "priority"))
        if not picked:
            return []
        # By the database's clock, which the sweep's "never claimed" pass compares.
        Run.objects.filter(pk__in=[p[0] for p in picked], status=Run.Status.PENDING,
                           queued_at__isnull=True).update(queued_at=Now())
        if send:
            transaction.on_commit(lambda: send_all(picked), robust=True)
    return picked


def send_all(picked: list[tuple[str, str, str, int]]) -> None:
    for run_id, task_id, lane, priority in picked:
        _send(run_id, task_id, lane, priority)


def release_waiting(limit: int) -> int:
    """The sweep's pass: release for every owner with runs waiting (a
    completion's release lost with its worker, a send that failed)."""
    owners = (Run.objects.filter(status=Run.Status.PENDING, queued_at__isnull=True,
                                 owner__isnull=False)
              .values_list("owner_id", flat=True).distinct()[:limit])
    return sum(len(release(owner_id)) for owner_id in owners)


def run_promote(run: Run) -> Run:
    """Move a pending run to the front of its owner's line: it is the next
    of their runs released to the broker. It changes nothing in the broker
    itself (a run already there is one of the few of its owner's in flight):
    a message sent ahead of other users' would let one user who moves every
    run to the front starve the rest, which fair share exists to prevent."""
    if Run.objects.filter(pk=run.pk, status=Run.Status.PENDING).update(
            promoted_at=timezone.now()):
        run_event(run.pk, "promoted", priority=run.get_priority_display())
        if run.owner_id:
            release(run.owner_id)
    run.refresh_from_db()
    return run
