"""The worker's pool (l1site.pool) when its processes are killed at the
worst moment: holding a lock every pool process shares."""

import os
import signal
import sys
import threading

import billiard.pool
import pytest

from l1site.pool import BlockingPool


def _die_holding(which: str) -> None:
    """Run in a pool process: take one of its shared locks, as it does for
    the microseconds of reading a job or writing a result, and be killed
    there (the OOM killer does not wait for the release)."""
    frame = sys._getframe()
    while not isinstance(frame.f_locals.get("self"), billiard.pool.Worker):
        frame = frame.f_back
    worker = frame.f_locals["self"]
    lock = worker.inq._rlock if which == "job" else worker.outq._wlock
    lock.acquire()
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("which", ["job", "result"])
def test_a_pool_process_killed_holding_a_shared_pipe_lock_leaves_the_pool_working(which):
    pool = BlockingPool(processes=2, lost_worker_timeout=1)
    try:
        dying = pool.apply_async(_die_holding, (which,))
        with pytest.raises(Exception, match="Worker exited prematurely: signal 9"):
            dying.get(timeout=120)  # the pool saw it die (billiard's WorkerLostError)
        # Before, the job pipe's lock left every process unable to take a
        # job, the result pipe's left none able to answer: this waited for ever.
        answers = [pool.apply_async(os.getpid) for _ in range(4)]
        assert all(answer.get(timeout=120) > 0 for answer in answers)
    finally:
        # A wedged pool's own shutdown waits on the lock too: end its
        # processes, and give the shutdown a while, not for ever.
        for process in pool._pool:
            if process.pid:  # None while still starting
                os.kill(process.pid, signal.SIGKILL)
        stopping = threading.Thread(target=pool.terminate, daemon=True)
        stopping.start()
        stopping.join(60)
