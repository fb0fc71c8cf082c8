"""One structured log line per run state change, so an operator can follow a
run across web, beat and worker logs by its id (grep run=<id>), and count
what happened (renders started, re-queued, reaped) from the logs alone.

    run_state run=5f0c… state=running attempt=1 task=… host=worker-1
"""

from __future__ import annotations

import logging
import socket

log = logging.getLogger("artdag.runs")
HOST = socket.gethostname()


def _value(value) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def run_event(run_id: str, state: str, *, level: int = logging.INFO, **fields) -> None:
    """Log `run_state run=<id> state=<state> key=value ...` (logfmt)."""
    pairs = {"run": run_id, "state": state, **fields, "host": HOST}
    log.log(level, "run_state " + " ".join(f"{k}={_value(v)}" for k, v in pairs.items()))
