"""A run's event stream from a WSGI server (Django's runserver, the test
server) keeps sending events written after it opened: it polls the table
from the request's thread (live.streams.stream_sync)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from live.services import event_write
from runs.models import Recipe, Run
from tests.live.sse import Stream


@pytest.mark.django_db(transaction=True)
def test_a_stream_from_the_wsgi_test_server_sends_the_events_written_after_it_opened(
        live_server, settings):
    settings.LIVE_STREAM_SECONDS = 30
    recipe = Recipe.objects.create(name="wsgi-stream", kind="chain", definition={},
                                   definition_hash="f" * 64)
    run = Run.objects.create(id="9" * 64, recipe=recipe, recipe_name=recipe.name,
                             recipe_hash="f" * 64, inputs=[], output_name="x", status="running",
                             task_id="t", started_at=timezone.now())
    with Stream(f"{live_server.url}/runs/{run.id}/events") as stream:
        first = stream.next()
        assert first["event"] == "snapshot" and first["data"]["status"] == "running"
        written = [event_write(run.id, "progress", {"node": "n", "steps_done": i}, owner_id=None)
                   for i in range(3)]
        seen = [stream.next() for _ in written]
        assert [e["id"] for e in seen] == [e.id for e in written]
        assert [e["data"]["steps_done"] for e in seen] == [0, 1, 2]
        Run.objects.filter(pk=run.id).update(status="failed", error="a step failed")
        done = event_write(run.id, "state", {"status": "failed"}, owner_id=None)
        assert stream.next()["id"] == done.id
