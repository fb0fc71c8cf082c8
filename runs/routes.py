"""Where runs' messages go: the lane and priority of the run a message is for.

l1site.queues routes every message but reads no app's rows: RunsConfig.ready()
registers these for runs' tasks, and provenance uses run_route for its
reproductions.
"""

from __future__ import annotations

from l1site.queues import STILLS, VIDEO, message_priority

from .models import Run


def run_route(run_id: str) -> tuple[str, int] | None:
    row = Run.objects.filter(pk=run_id).values_list("lane", "priority").first()
    if row is None:
        return None
    return row[0], message_priority(row[1])


def step_route(cache_id: str) -> tuple[str, int] | None:
    """A step is shared by every run whose plan holds it: it goes where the
    most demanding of its unfinished runs would (video if any is video, the
    highest priority of them)."""
    rows = list(Run.objects.filter(run_steps__step_id=cache_id, status__in=[
        Run.Status.PENDING, Run.Status.RUNNING]).values_list("lane", "priority")[:50])
    if not rows:
        return None
    lane = VIDEO if any(r[0] == VIDEO for r in rows) else STILLS
    return lane, min(message_priority(r[1]) for r in rows)
