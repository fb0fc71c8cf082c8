"""The one moment every run reaches a final state (completed, failed or
cancelled), wherever that happens: a worker's render, a failed step, a
cancel, the reaper. Everything that follows a run's end hangs off
``run_finished``, called by those places once the change is recorded:

* the owner's next waiting run is released to the broker (runs.dispatch);
* the ``run_finished`` signal goes to the apps above runs that care
  (webhooks; live event streams), which connect to it in their
  AppConfig.ready: runs never imports them.

The work is done after the transaction that recorded the end commits, so a
receiver never sees a state that was rolled back.
"""

from __future__ import annotations

import logging

import django.dispatch
from django.db import transaction

from . import dispatch
from .models import Run

log = logging.getLogger(__name__)

# sender=Run, run_id=..., status=... (completed, failed or cancelled), owner_id=... (or None).
finished = django.dispatch.Signal()


def _after_commit(run_id: str, status: str, release: bool, owner_id: int | None) -> None:
    if owner_id is OWNER_UNKNOWN:
        owner_id = Run.objects.filter(pk=run_id).values_list("owner_id", flat=True).first()
    if release and owner_id is not None:
        try:
            dispatch.release(owner_id)
        except Exception:  # noqa: BLE001 - the sweep releases it; the signal must still go
            log.exception("releasing the next run after %s failed", run_id)
    for receiver, result in finished.send_robust(sender=Run, run_id=run_id, status=status,
                                                   owner_id=owner_id):
        if isinstance(result, Exception):
            log.error("run_finished receiver %s failed for run %s: %r", receiver, run_id, result)


# run_finished's owner_id when the caller has not read it (None means nobody's).
OWNER_UNKNOWN = object()


def run_finished(run_id: str, status: str, *, release: bool = True, owner_id=OWNER_UNKNOWN) -> None:
    """Call where a run was just moved to a final state (in or out of a
    transaction). ``release=False`` when the owner has nothing left waiting
    (every pending run of theirs was just cancelled); ``owner_id`` when the
    caller has the row at hand (None: nobody's), which saves reading it."""
    transaction.on_commit(lambda: _after_commit(run_id, status, release, owner_id), robust=True)
