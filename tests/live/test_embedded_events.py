"""Events in `make run`'s mode: SQLite, a filesystem queue, no Redis; the
server and worker started by serve.sh. The worker records events in the
SQLite file and the server's streams read them from the table."""

from __future__ import annotations

import subprocess
import time

from tests.conftest import ROOT
from tests.live.sse import Stream
from tests.test_embedded import embedded_env, get_json, manage, serving  # noqa: F401 - the fixture


def test_the_embedded_server_streams_a_runs_events_from_its_sqlite_table(embedded_env):  # noqa: F811
    base = f"http://127.0.0.1:{embedded_env['PORT']}"
    with serving(embedded_env):
        rendered = manage(embedded_env, "render", "dog", "cat", "--sync", "--timeout", "120")
        assert rendered.returncode == 0, rendered.stderr
        run_id = get_json(base + "/runs")["results"][0]["run_id"]
        # Everything it said, from the first event on, in order.
        with Stream(f"{base}/runs/{run_id}/events", last_event_id=0) as stream:
            events = stream.until(lambda e: e["event"] == "state"
                                  and e["data"]["status"] == "completed")
        states = [e["data"]["status"] for e in events if e["event"] == "state"]
        assert states[0] == "pending" and states[-2:] == ["running", "completed"]
        steps = [(e["data"]["node"], e["data"]["status"]) for e in events if e["event"] == "step"]
        assert steps == [("dog", "running"), ("dog", "done")]
        # A run followed while it happens: the stream opened first, then the render.
        with Stream(f"{base}/events?last_event_id={events[-1]['id']}") as anonymous:
            assert anonymous.response.status_code == 401  # the caller's runs: log in first
        ahead = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "manage.py", "render",
                                  "dog", "cat", "--param", "levels=9", "--sync"], cwd=ROOT,
                                 env=embedded_env, stdout=subprocess.PIPE, text=True)
        while True:
            runs = get_json(base + "/runs")["results"]
            if len(runs) == 2:
                break
            time.sleep(0.1)
        second = runs[0]["run_id"]
        with Stream(f"{base}/runs/{second}/events", last_event_id=events[-1]["id"]) as stream:
            later = stream.until(lambda e: e["event"] == "state"
                                 and e["data"]["status"] == "completed")
        assert ahead.wait(120) == 0
        assert all(e["data"]["run"] == second for e in later)
        assert [e["id"] for e in later] == sorted(e["id"] for e in later)
