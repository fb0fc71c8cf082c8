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
    _announce(state_changed, run_id=run_id, state=state, fields=fields)


# --- Signals for whoever shows runs live (the live app listens) -------------
# runs knows nothing of its listeners: it announces, they record and fan out.
# Sent with send_robust, so a listener's failure is logged and never breaks a
# render or a submission.
from django.dispatch import Signal  # noqa: E402

state_changed = Signal()   # run_id, state, fields
render_started = Signal()  # run: the claimed Run row (plan, inputs, owner_id, steps_done)
step_changed = Signal()    # run_id (None: every run using the step), cache_id, node, type, kind, state, error
frames_rendered = Signal()  # run_id, cache_id, node, done, total
frame_sampled = Signal()    # run_id, cache_id, node, frame (an engine.dag Frame, for previews)


def _announce(signal: Signal, **kwargs) -> None:
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            log.warning("live listener %s failed: %r", getattr(receiver, "__name__", receiver),
                        result, exc_info=result)


def render_event(run) -> None:
    """A worker claimed an inline run and starts rendering it: the listeners
    learn its plan and owner from the row the claim read, not a query."""
    _announce(render_started, run=run)


def step_event(run_id: str | None, step, state: str, *, error: str = "") -> None:
    """A step started, finished, failed (``step`` an engine.dag.plan.Step or
    a runs.models.Step's spec as a Step)."""
    _announce(step_changed, run_id=run_id, cache_id=step.cache_id, node=step.node,
              type=step.type, config=getattr(step, "config", None) or {}, state=state,
              error=error)


def progress_hooks(run_id: str | None) -> dict:
    """engine.dag.execute.Context's on_progress and on_frame for one run's render."""

    def on_progress(step, done: int, total: int) -> None:
        _announce(frames_rendered, run_id=run_id, cache_id=step.cache_id, node=step.node,
                  done=done, total=total)

    def on_frame(step, frame) -> None:
        _announce(frame_sampled, run_id=run_id, cache_id=step.cache_id, node=step.node,
                  frame=frame)

    return {"on_progress": on_progress, "on_frame": on_frame}
