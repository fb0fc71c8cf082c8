"""Rendering runs: a small plan in one task, a longer one step by step.

A run's plan is fixed at submission (runs.graphs): each node a Step row keyed
by its cache id, shared by every run whose plan holds the same id.

* A small plan (runs.inputs.is_small: a few steps over small stills or
  animations) renders inline. ``schedule`` claims the run whole, as a task
  claims its work: one conditional ``UPDATE ... RETURNING`` that names its
  task id and reads back the row and the owner's name, its heartbeat kept
  fresh by runs.heartbeat, attempts counted (the sweep re-queues it if its worker
  dies). It renders every step not yet done in order in this process, then
  records the outputs' index rows, the steps and the run's completion in
  one transaction: a small still costs about what one render task always
  did (BENCHMARKS.md 8b), instead of a task per step and one more per
  schedule.
* A longer one spreads: ``schedule`` queues a ``render_step`` task for each
  step whose inputs are done, so independent branches render on as many
  workers as there are. A worker claims a step with a conditional update
  that sets a lease, renews the lease while it renders, stores the result
  in the cache and then schedules every run waiting on the step.

An output is delivered by its own step (engine.dag.plan: an MP4, the
input's image format, a WAV). A run completes when its outputs are done,
and fails, naming the step, when one of its steps fails.
"""

from __future__ import annotations

import logging
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from accounts.services import username_handle
from cache import content
from engine.dag import execute, plan as planning
from engine.errors import EngineError
from l1site.dbclock import Now, db_after, db_ago, db_sql
from l1site.errors import DomainError
from l1site.signing import sign

from . import identity, stopping
from .context import CacheStore, context
from .events import render_event, run_event, step_event
from .graphs import stored_plan
from .heartbeat import beating
from .lifecycle import OWNER_UNKNOWN, run_finished
from .models import Run, RunStep, Step
from .queueing import render_step, schedule_run

log = logging.getLogger(__name__)


def queue_schedule(run_id: str) -> None:
    """Schedule the run after commit (a step it waits on is done). If the
    broker is away the sweep schedules it."""
    transaction.on_commit(lambda: schedule_run(run_id), robust=True)


def _queue_steps(cache_ids: list[str]) -> None:
    for cache_id in cache_ids:
        transaction.on_commit(lambda c=cache_id: render_step(c), robust=True)


def _failure(exc: BaseException, where: str) -> str:
    """A step's failure as a user reads it."""
    if isinstance(exc, (EngineError, DomainError)):
        return str(exc)
    if isinstance(exc, (content.ContentMissing, content.ContentCorrupt,
                        content.StoreUnavailable)):
        return f"input unavailable: {exc}"
    if isinstance(exc, SoftTimeLimitExceeded):
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        return f"render stopped: over the soft time limit of {limit} s"
    if isinstance(exc, OSError):
        # A full disk or an unreadable input: the writer's temp file is gone
        # with the step, so nothing partial is left in the cache.
        return f"failed writing or reading the cache: {exc}"
    log.error("%s failed", where, exc_info=exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def _with_db_retry(action, *, tries: int = 8):
    """Run a database step, reconnecting through a database restart: a render
    that took minutes is worth waiting a few seconds for PostgreSQL to return."""
    for attempt in range(tries):
        try:
            return action()
        except (OperationalError, InterfaceError):
            if attempt == tries - 1:
                raise
            log.warning("database unavailable; reconnecting (try %d of %d)", attempt + 2, tries)
            connection.close()
            time.sleep(min(0.5 * 2 ** attempt, 10))


# --- the run: scheduling, completing, failing --------------------------------

def _finish(run_id: str, status: str, *, task_id: str | None = None, owner_id=OWNER_UNKNOWN,
            **fields) -> bool:
    """Record the end of a run if it is still unfinished (and, for an inline
    run, still held by this task: one cancelled or re-queued meanwhile is
    left alone). ``owner_id``: the run's, when the caller has the row."""
    runs = Run.objects.filter(pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING])
    if task_id is not None:
        runs = runs.filter(status=Run.Status.RUNNING, task_id=task_id)
    finished = bool(runs.update(status=status, finished_at=timezone.now(), **fields))
    if finished and status == Run.Status.FAILED:
        run_event(run_id, "failed", task=task_id or "-", reason=fields.get("error", "")[:300])
    if finished:
        run_finished(run_id, status, owner_id=owner_id)
    return finished


def _provenance(run: Run, outputs: dict[str, str], steps: list[dict], owner: str | None) -> dict:
    """The run's record, signed by the server when it completes."""
    first = outputs.get("output") or next(iter(outputs.values()))
    software, hardware = identity.software(), identity.hardware()
    return {
        "run_id": run.id,
        **({"task_id": run.task_id} if run.inline else {}),
        "rendered_at": timezone.now().isoformat(),
        # The actor who asked for the run; the server's own for system work.
        "rendered_by": username_handle(owner),
        "requested_by": owner,
        "recipe": {"name": run.recipe_name, "content_hash": run.recipe_hash},
        "inputs": run.inputs,
        "params": run.params,
        "output": {"name": run.output_name, "content_hash": first},
        "outputs": outputs,
        "steps": sorted(steps, key=lambda s: s["node"]),
        "infrastructure": {
            "software": {"name": software["name"], "content_hash": software["content_hash"]},
            "hardware": {"name": hardware["name"], "content_hash": hardware["content_hash"]},
        },
    }


class HeldElsewhere(Exception):
    """This delivery's inline run is held by a worker that still sends
    heartbeats: either a duplicate of a live message, or a redelivery that
    came back before its dead worker's heartbeat went stale. Try again later."""


def _claim_sql(condition: str) -> str:
    """UPDATE ... RETURNING (which the ORM's update() cannot do): claim an
    inline run and read back, in the same statement, all its render needs
    from the database: the row (its plan and inputs), the username of who
    asked (the provenance record) and how many of its steps are done (its
    sources, unless some other run rendered a step already, which then
    needs reading)."""
    quote = connection.ops.quote_name
    run, step, used = (quote(m._meta.db_table) for m in (Run, Step, RunStep))
    user_model = get_user_model()._meta
    user, username = quote(user_model.db_table), quote(user_model.get_field("username").column)
    # The database's clock: the sweep and redeliveries on other hosts judge
    # this heartbeat (l1site.dbclock).
    now, _ = db_sql(Now())
    return (f"UPDATE {run} SET status = %s, started_at = {now}, heartbeat_at = {now}, "
            f"attempts = attempts + 1, task_id = %s WHERE id = %s AND {quote('inline')} = %s "
            f"AND {condition} RETURNING *, "
            f"(SELECT {username} FROM {user} WHERE {user}.id = {run}.owner_id) AS owner_username, "
            f"(SELECT COUNT(*) FROM {used} JOIN {step} ON {step}.cache_id = {used}.step_id "
            f"WHERE {used}.run_id = {run}.id AND {step}.status = '{Step.Status.DONE}') "
            "AS steps_done")


def _claim(run_id: str, task_id: str, condition: str, *extra) -> Run | None:
    claimed = Run.objects.raw(_claim_sql(condition),
                              [Run.Status.RUNNING, task_id, run_id, True, *extra])
    return next(iter(claimed), None)


def schedule(run_id: str, *, task_id: str = "") -> None:
    """Move the run on: render an inline run here, or queue a spread run's
    ready steps; finish or fail the run when it can. Idempotent: a duplicate
    message finds the run taken, or nothing new to do.

    An inline run is anyone's while pending; once running, only the same
    message redelivered (its task id) may take it over, once the holder's
    heartbeat is stale (its worker died). Raises HeldElsewhere for that
    message while the heartbeat is fresh."""
    run = _claim(run_id, task_id, "status = %s", Run.Status.PENDING)
    if run is not None:
        _render_inline(run, task_id)
        return
    run = Run.objects.select_related("owner").filter(
        pk=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]).first()
    if run is None or run.plan is None:
        return
    if not run.inline:
        _schedule_spread(run)
        return
    if run.task_id != task_id or run.status != Run.Status.RUNNING:
        run_event(run_id, "skipped", task=task_id or "-", reason="held by another delivery")
        return
    # Stale by the database's clock, which wrote the heartbeat.
    stale, stale_params = db_sql(db_ago(settings.RUN_HEARTBEAT_TIMEOUT))
    run = _claim(run_id, task_id,
                 f"status = %s AND task_id = %s AND (heartbeat_at < {stale} OR heartbeat_at IS NULL)",
                 Run.Status.RUNNING, task_id, *stale_params)
    if run is None:
        raise HeldElsewhere(run_id)
    _render_inline(run, task_id)


def _render_inline(run: Run, task_id: str) -> None:
    try:
        render_event(run)
        run_event(run.id, "running", task=task_id, attempt=run.attempts, inline=1)
        if run.attempts > settings.MAX_RENDER_ATTEMPTS:
            # Each earlier delivery died with its worker (the message came back
            # through reject_on_worker_lost): an input that kills workers must not
            # loop forever.
            _finish(run.id, Run.Status.FAILED, owner_id=run.owner_id, task_id=task_id, error=(
                f"gave up after {settings.MAX_RENDER_ATTEMPTS} attempts: the worker rendering "
                "this run stopped each time (out of memory, or killed)"))
            return
        _render_claimed(run, task_id)
    except (OperationalError, InterfaceError):
        stopping.check()
        raise  # the database went away for longer than the retries: the task retries
    except Exception as exc:  # noqa: BLE001 - record it on the run, never leave it running
        stopping.check()
        log.exception("inline render of run %s failed", run.id)
        _finish(run.id, Run.Status.FAILED, owner_id=run.owner_id, task_id=task_id,
                error=f"internal error while rendering: {type(exc).__name__}: {exc}"[:4000])
    finally:
        if stopping.requested():  # the worker is being stopped: not this run's doing
            stopping.give_back_run(run.id, task_id)


def _render_claimed(run: Run, task_id: str) -> None:
    plan = stored_plan(run.plan)
    sources = {e["cache_id"]: (e["cache_id"], e["media_type"]) for e in run.plan["steps"]
               if "media_type" in e}
    work = [s for s in plan.steps if s.type != "SOURCE" or s.inputs]
    # Only the sources done (the claim counted): nothing to read, all to render.
    rows = {} if run.steps_done == len(plan.steps) - len(work) else {
        row.pk: row for row in Step.objects.filter(pk__in=[s.cache_id for s in work])}
    done = {pk: (row.output_id, row.media_type) for pk, row in rows.items()
            if row.status == Step.Status.DONE}
    store = CacheStore(run.id, owner_id=run.owner_id, output_name=run.output_name,
                       known={**sources, **done}, defer=True)
    ctx = context(store, run_id=run.id)
    try:
        with beating(run.id, task_id):
            for step in work:
                if step.cache_id not in done:
                    step_event(run.id, step, "running")
                    _run_inline_step(run, task_id, step, ctx, store)
                    step_event(run.id, step, "done")
    except _StepFailed:
        return
    outputs = {name: store.known.get(cache_id, (cache_id,))[0]
               for name, cache_id in plan.outputs.items()}
    steps = [{"node": s.node, "type": s.type, "cache_id": s.cache_id,
              "output": store.known.get(s.cache_id, (s.cache_id,))[0]} for s in plan.steps]
    record = sign(_provenance(run, outputs, steps, run.owner_username))
    first = outputs.get("output") or next(iter(outputs.values()))

    def write() -> bool:
        with transaction.atomic():
            store.flush()
            return _finish(run.id, Run.Status.COMPLETED, owner_id=run.owner_id, task_id=task_id,
                           output_id=first, outputs=outputs, error="", provenance=record)

    # The files are stored once; only the database writes are retried.
    if _with_db_retry(write):
        run_event(run.id, "completed", task=task_id, output=first, attempt=run.attempts)
    else:
        run_event(run.id, "discarded", task=task_id, reason="cancelled or re-queued meanwhile")
    store.queue_thumbnails()  # off the run's time, after its completion is on record


class _StepFailed(Exception):
    pass


def _run_inline_step(run: Run, task_id: str, step: planning.Step, ctx: execute.Context,
                     store: CacheStore) -> None:
    try:
        execute.run_step(step, ctx)
    except Exception as exc:  # noqa: BLE001 - recorded on the step and the run
        stopping.check()  # the stop's signal failed a system call: not the step's failure
        message = _failure(exc, f"step {step.cache_id} of run {run.id}")
        # The task's time ran out: the run's, not any one step's doing.
        reason = message if isinstance(exc, SoftTimeLimitExceeded) else \
            f"step '{step.node}' ({step.type}) failed: {message}"

        def write() -> None:
            with transaction.atomic():
                store.flush()  # what rendered before it stays done: a retry resumes there
                Step.objects.filter(pk=step.cache_id).exclude(status=Step.Status.DONE).update(
                    status=Step.Status.FAILED, error=message[:4000], finished_at=timezone.now(),
                    attempts=F("attempts") + 1)
                _finish(run.id, Run.Status.FAILED, owner_id=run.owner_id, task_id=task_id,
                        error=reason[:4000])

        _with_db_retry(write)
        step_event(run.id, step, "failed", error=message)
        store.queue_thumbnails()
        raise _StepFailed from exc


def _schedule_spread(run: Run) -> None:
    # Whether another worker's lease is live, by the database's clock (which wrote it).
    lease_live = ExpressionWrapper(Q(step__lease_expires_at__gt=Now()), output_field=BooleanField())
    rows = {}
    for rs in RunStep.objects.filter(run=run).select_related("step").annotate(live=lease_live):
        rows[rs.node] = rs.step
        rs.step.lease_live = bool(rs.live)
    failed = [(node, step) for node, step in rows.items() if step.status == Step.Status.FAILED]
    if failed:
        node, step = sorted(failed)[0]
        _finish(run.id, Run.Status.FAILED, owner_id=run.owner_id,
                error=f"step '{node}' ({step.type}) failed: {step.error}")
        return
    if Run.objects.filter(pk=run.id, status=Run.Status.PENDING).update(
            status=Run.Status.RUNNING, started_at=timezone.now()):
        run_event(run.id, "running", steps=len(rows))
    ready = []
    for entry in run.plan["steps"]:
        step = rows[entry["node"]]
        # A step another worker holds under a live lease is left to it.
        held = step.status == Step.Status.RUNNING and step.lease_live
        if step.status != Step.Status.DONE and not held and all(
                rows[d].status == Step.Status.DONE for d in entry["deps"]):
            ready.append(step.cache_id)
    by_id = {step.cache_id: step for step in rows.values()}
    outputs = {name: by_id[cache_id].output_id for name, cache_id in run.plan["outputs"].items()
               if by_id[cache_id].status == Step.Status.DONE}
    if len(outputs) < len(run.plan["outputs"]):
        _queue_steps(ready)
        return
    steps = [{"node": node, "type": step.type, "cache_id": step.cache_id,
              "output": step.output_id} for node, step in rows.items()]
    owner = run.owner.username if run.owner else None
    record = sign(_provenance(run, outputs, steps, owner))
    first = outputs.get("output") or next(iter(outputs.values()))
    if _finish(run.id, Run.Status.COMPLETED, owner_id=run.owner_id, output_id=first,
               outputs=outputs, error="", provenance=record):
        run_event(run.id, "completed", output=first)


# --- one step, on any worker (a spread run's) ---------------------------------

class _Lease(threading.Thread):
    """Renews a step's lease while its render runs."""

    def __init__(self, cache_id: str, owner: str):
        super().__init__(daemon=True)
        self.cache_id, self.owner, self.stop = cache_id, owner, threading.Event()

    def run(self) -> None:
        every = settings.STEP_LEASE_SECONDS / 3
        try:
            while not self.stop.wait(every):
                Step.objects.filter(pk=self.cache_id, lease_owner=self.owner,
                                    status=Step.Status.RUNNING).update(
                    lease_expires_at=db_after(settings.STEP_LEASE_SECONDS))
        finally:
            connection.close()  # this thread's own connection


def _fail_step(cache_id: str, owner: str, message: str) -> None:
    Step.objects.filter(pk=cache_id, lease_owner=owner, status=Step.Status.RUNNING).update(
        status=Step.Status.FAILED, error=message[:4000], finished_at=timezone.now())


def _wake(cache_id: str) -> None:
    """Schedule every unfinished run that uses this step."""
    run_ids = set(RunStep.objects.filter(
        step_id=cache_id, run__status__in=[Run.Status.PENDING, Run.Status.RUNNING])
        .values_list("run_id", flat=True))
    for run_id in sorted(run_ids):
        queue_schedule(run_id)


def render(cache_id: str, *, owner: str) -> float | None:
    """Render one step if this worker can claim it. Returns None when the
    step is settled, or the seconds until another worker's lease runs out.
    Leases are set and compared by the database's clock: the worker holding
    one may be on a host whose clock is not ours."""
    claimed = Step.objects.filter(pk=cache_id).filter(
        Q(status=Step.Status.PENDING)
        | Q(status=Step.Status.RUNNING, lease_expires_at__lt=Now())).update(
        status=Step.Status.RUNNING, lease_owner=owner, attempts=F("attempts") + 1,
        lease_expires_at=db_after(settings.STEP_LEASE_SECONDS), started_at=Now(), error="")
    step = Step.objects.filter(pk=cache_id).annotate(db_now=Now()).first()
    if step is None:
        return None
    if not claimed:
        if step.status == Step.Status.RUNNING and step.lease_expires_at:
            return max(1.0, (step.lease_expires_at - step.db_now).total_seconds())
        _wake(cache_id)
        return None
    if step.attempts > settings.MAX_RENDER_ATTEMPTS:
        _fail_step(cache_id, owner, f"gave up after {settings.MAX_RENDER_ATTEMPTS} attempts: "
                                    "the worker rendering this step stopped each time")
        _wake(cache_id)
        return None
    lease = _Lease(cache_id, owner)
    lease.start()
    shown = _spec_step(step)
    step_event(None, shown, "running")
    try:
        _execute(step)
        step_event(None, shown, "done")
    except Exception as exc:  # noqa: BLE001 - recorded on the step, never left running
        stopping.check()
        message = _failure(exc, f"step {cache_id}")
        _fail_step(cache_id, owner, message)
        step_event(None, shown, "failed", error=message)
    finally:
        lease.stop.set()
        lease.join()
        if stopping.requested():  # after the lease's last renewal
            stopping.give_back_step(cache_id, owner)
    _wake(cache_id)
    return None


def _spec_step(step: Step) -> planning.Step:
    spec = step.spec
    items = spec.get("items")
    return planning.Step(
        node=spec["node"], type=spec["type"], config=spec["config"], inputs=spec["inputs"],
        cache_id=step.cache_id, items=tuple(items) if items is not None else None,
        deliver=spec.get("deliver", False))


def _execute(step: Step) -> None:
    first = RunStep.objects.filter(step=step).order_by("id").values_list(
        "run_id", "run__owner_id", "run__output_name").first() or (None, None, "")
    store = CacheStore(first[0], owner_id=first[1], output_name=first[2])
    execute.run_step(_spec_step(step), context(store))
    store.queue_thumbnails()
