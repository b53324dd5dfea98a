"""One sandbox serving a worker slot's consecutive submissions (a pool of sandbox sessions, one per slot).

Starting a sandbox costs two interpreter starts (the runner, and the warm-kernel zygote importing numpy, matplotlib,
IPython and ipykernel): about 1.3 core-seconds, as much as two notebooks' own cells. So a slot keeps its sandbox
for the next submission, at most :data:`MAX_JOBS` of them and :data:`IDLE_SECONDS` idle. Between two submissions
the trusted side sends ``{"op": "reset"}`` and the runner (:mod:`autograder._runner`) does what it already does
between two notebooks -- kills every process but itself and the zygote, empties ``/tmp`` and ``/dev/shm`` -- and
also removes System V IPC objects, then checks that no process changed the runner's or the zygote's scheduling
(nice value, CPU affinity, policy), resource limits, OOM score or run state (a stopped or reniced zygote would slow
the next student's kernels down: the zygote is restarted; a tampered runner: the sandbox is discarded). Only a
``{"op": "clean", "ok": true}`` answer lets the sandbox be reused; a submission that broke it (killed sandbox,
timeout, memory, a runner that stopped answering) always ends its sandbox, so whatever one student did can only
cost that student's own notebooks, never the next student's.

Each job still gets its own wall clock (:meth:`autograder.sandbox.SandboxProcess.rearm`). Sandboxes are started
from one long-lived thread: ``bwrap --die-with-parent`` ties a sandbox to the *thread* that started it, and a
session outlives the worker thread that happened to start it.

Examples
--------
>>> from autograder import sessions
>>> sessions.MAX_JOBS >= 1 and sessions.active() >= 0
True
"""

from __future__ import annotations

import atexit
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["MAX_JOBS", "IDLE_SECONDS", "Session", "acquire", "release", "close_all", "active"]

#: Submissions one sandbox serves before it is replaced by a fresh one (bounds anything a reset could miss).
MAX_JOBS = 50
#: Seconds an idle sandbox waits for its slot's next submission before it is closed.
IDLE_SECONDS = 20.0

_POOL: dict[int, Session] = {}
_LOCK = threading.Lock()
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autograder-sandbox-start")


@dataclass(eq=False)
class Session:
    """A running sandbox kept for one worker slot: ``proc`` (:class:`autograder.sandbox.SandboxProcess`), the
    ``key`` it was started with (binds, hidden paths, environment, limits) and how many ``jobs`` it has served."""

    slot: int
    key: tuple
    proc: object
    jobs: int = 0
    idle: threading.Timer | None = field(default=None, repr=False)

    def usable(self, key: tuple) -> bool:
        return self.key == key and self.proc.poll() is None and self.jobs < MAX_JOBS


def acquire(slot: int, key: tuple, start) -> Session:
    """The slot's kept sandbox when it was started with the same `key` and still runs, else a new one from
    ``start()`` (called on the long-lived starter thread). The caller owns the session until :func:`release`."""
    with _LOCK:
        sess = _POOL.pop(slot, None)
    if sess is not None:
        if sess.idle is not None:
            sess.idle.cancel()
        if not sess.usable(key):
            _close(sess)
            sess = None
    if sess is None:
        sess = Session(slot, key, _SPAWNER.submit(start).result())
    sess.jobs += 1
    return sess


def release(sess: Session, *, reusable: bool) -> None:
    """Keep `sess` for its slot's next submission when `reusable` (the runner answered a clean reset), else end it."""
    if not reusable or not sess.usable(sess.key):
        _close(sess)
        return
    sess.proc.disarm()
    timer = threading.Timer(IDLE_SECONDS, _expire, args=(sess,))
    timer.daemon = True
    sess.idle = timer
    with _LOCK:
        old = _POOL.get(sess.slot)
        _POOL[sess.slot] = sess
    if old is not None and old is not sess:
        _close(old)
    timer.start()


def active() -> int:
    """Number of idle sandboxes kept right now."""
    with _LOCK:
        return len(_POOL)


def close_all() -> None:
    """End every kept sandbox (at the end of a batch and at exit)."""
    with _LOCK:
        kept = list(_POOL.values())
        _POOL.clear()
    for sess in kept:
        if sess.idle is not None:
            sess.idle.cancel()
        _close(sess)


def _expire(sess: Session) -> None:
    with _LOCK:
        if _POOL.get(sess.slot) is not sess:
            return  # taken again meanwhile
        del _POOL[sess.slot]
    _close(sess)


def _close(sess: Session, timeout: float = 10.0) -> None:
    """Close the sandbox's stdin (the runner exits at end of input), wait, kill what is left."""
    proc = sess.proc
    try:
        proc.stdin.close()
    except (OSError, AttributeError):
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


atexit.register(close_all)
