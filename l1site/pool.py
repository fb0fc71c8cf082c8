"""Celery's prefork pool, safe against pool processes killed at any moment.

With a broker whose transport has no event loop (the filesystem queue of the
default `make run`), Celery runs billiard's blocking pool: every pool process
reads its jobs from one shared pipe guarded by one shared lock, and an idle
process waits for its next job *holding that lock*. A process killed while
idle (the kernel's OOM killer, a container's memory limit, `kill -9`) never
releases it: the processes the pool starts in its place block on the lock
forever, the redelivered message is logged as received and never runs, and
the pool cannot even be shut down (its shutdown takes the same lock).

Here an idle process waits for the pipe to become readable *without* the
lock and takes the lock only to read a job already there, so the lock is
held for the microseconds of one read; killing any or all pool processes
leaves it free. The result pipe's lock is shared the same way, and a
process killed in the microseconds it holds it (writing a result) wedged the
worker too: see BlockingPool.process_flush_queues. Redis and AMQP brokers use
Celery's asynchronous pool instead (one pipe per process, no shared lock),
which this leaves as it is.
"""

from __future__ import annotations

import errno
import logging

from billiard import pool as billiard_pool
from billiard.queues import SimpleQueue
from celery.concurrency import prefork

# How long an idle pool process waits in one go; `receive` checks for the
# pool's shutdown between waits, so it is also how soon an idle process exits.
IDLE_WAIT = 1.0
# The longest the pool's own shutdown waits for the job pipe's lock before
# draining it anyway: a stop must never hang on a lock.
SHUTDOWN_LOCK_WAIT = 2.0
# Once a pool process has died, how long a lock shared by all of them may stay
# taken before it is judged to have died with its holder: a live process
# holds one for the microseconds of one read or write on a pipe.
DEAD_HOLDER_WAIT = 2.0

log = logging.getLogger(__name__)


def _nothing_yet() -> InterruptedError:
    # billiard's receive() treats EINTR as "no job this time" and loops.
    return InterruptedError(errno.EINTR, "no job waiting")


class JobInbox(SimpleQueue):
    """The pool's job pipe, read under its lock only when a job is there."""

    def get_payload(self):
        if not self._reader.poll(IDLE_WAIT):
            raise _nothing_yet()
        if not self._rlock.acquire(timeout=IDLE_WAIT):
            raise _nothing_yet()  # a sibling is reading this very job
        try:
            if not self._reader.poll(0):
                raise _nothing_yet()  # a sibling took it first
            return self._reader.recv_bytes()
        finally:
            self._rlock.release()


class BlockingPool(billiard_pool.Pool):
    def _setup_queues(self):
        super()._setup_queues()
        self._inqueue = JobInbox(ctx=self._ctx)
        self._quick_put = self._inqueue._writer.send

    def process_flush_queues(self, worker):
        """billiard's supervisor calls this for each pool process that exited.
        One killed while holding a shared lock (reading a job, writing a
        result) never releases it, and its siblings and replacements wait on
        it for ever: the worker logs messages as received and runs none. A
        semaphore has no owner, so the lock is released here on the dead
        process's behalf. Only while the pool runs: its shutdown takes the
        job pipe's lock itself (_help_stuff_finish) as its processes exit."""
        if self._state != billiard_pool.RUN:
            return
        for name, lock in (("job", self._inqueue._rlock), ("result", self._outqueue._wlock)):
            if not lock.acquire(timeout=DEAD_HOLDER_WAIT):
                log.warning("pool process %s died holding the %s pipe's lock; released it",
                            worker.pid, name)
            lock.release()  # ours, just taken; or the dead holder's

    @staticmethod
    def _help_stuff_finish(inqueue, task_handler, _pool):
        # billiard's version waits for the lock with no limit.
        inqueue._rlock.acquire(timeout=SHUTDOWN_LOCK_WAIT)
        while task_handler.is_alive() and inqueue._reader.poll():
            inqueue._reader.recv()


class TaskPool(prefork.TaskPool):
    """settings.CELERY_WORKER_POOL: the prefork pool with the safe job pipe."""

    BlockingPool = BlockingPool
