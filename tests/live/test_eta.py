"""ETAs from past timings of the same kind of step at similar sizes, and pruning by age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from live import eta, services
from live.models import Event, Preview, StepTiming
from live.services import _Live

pytestmark = pytest.mark.django_db


def timed(kind: str, size: int, *seconds: float) -> None:
    for s in seconds:
        StepTiming.objects.create(kind=kind, size=size, seconds=s)


def test_the_typical_time_is_the_median_of_the_same_kind_at_similar_sizes():
    timed("EFFECT:blur", 1_000_000, 4.0, 5.0, 9.0)
    timed("EFFECT:blur", 10_000_000, 60.0)     # ten times larger: not similar
    timed("EFFECT:invert", 1_000_000, 0.5)    # another kind
    assert eta.typical("EFFECT:blur", 1_200_000) == 5.0
    assert eta.typical("EFFECT:blur", 100_000) is None
    assert eta.typical("RESIZE", 1_000_000) is None


def test_the_remaining_time_adds_pending_steps_history_to_the_running_steps_pace():
    timed("EFFECT:blur", 1000, 10.0)
    timed("RESIZE", 1000, 2.0)
    live = _Live(owner_id=None, recipe="r", size=1000, nodes={},
                 kinds={"in": "SOURCE", "blur": "EFFECT:blur", "small": "RESIZE"}, done={"in"})
    assert eta.remaining(live, now=0.0) == 12.0
    live.started["blur"] = 0.0
    assert eta.remaining(live, now=3.0) == 9.0  # no frames yet: its history, less time spent
    live.frames["blur"] = (50, 200)             # a quarter done in 5 s: 15 s more at that pace
    assert eta.remaining(live, now=5.0) == 17.0
    live.kinds["new"] = "MUX"                   # a step of a kind never timed: unknown
    assert eta.remaining(live, now=5.0) is None


def test_a_step_kind_names_the_effect():
    assert eta.kind("EFFECT", {"effect": "dog", "sigma": 2}) == "EFFECT:dog"
    assert eta.kind("RESIZE", {"width": 3}) == "RESIZE"


def test_pruning_drops_events_previews_and_timings_older_than_their_keep(settings, capsys):
    old = timezone.now() - timedelta(days=settings.LIVE_EVENT_KEEP_DAYS + 1)
    kept = Event.objects.create(run_id="r", kind="state", data={})
    gone = Event.objects.create(run_id="r", kind="state", data={})
    Event.objects.filter(pk=gone.pk).update(created_at=old)
    Preview.objects.create(run_id="r", node="n", image=b"x", updated_at=old)
    StepTiming.objects.create(kind="RESIZE", size=1, seconds=1.0)
    assert services.events_prune() == {"events": 1, "previews": 1, "timings": 0}
    assert list(Event.objects.values_list("pk", flat=True)) == [kept.pk]
    call_command("prune_events")
    assert "pruned 0 events, 0 previews, 0 step timings" in capsys.readouterr().out
