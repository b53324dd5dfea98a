"""One sandbox serves a slot's consecutive submissions (autograder/sessions.py), and no student reaches the next.

Graded for real (nbgrader, bubblewrap, the sandboxed runner, warm kernels) on the tiny assignment with ONE worker,
so the four students run one after the other in the same slot:

* ``a_polluter``'s last notebook leaves files in /tmp and /dev/shm, a System V shared-memory segment and a
  background process behind, and renices and re-limits the zygote that forks the kernels;
* ``b_victim`` runs in the same sandbox (same runner) and sees none of it: its kernel's nice value and file limit
  are the runner's (the zygote was replaced), and its ``hinge_loss`` is only right when it sees no leftover;
* ``c_renicer``'s last notebook renices the runner itself: that sandbox is discarded;
* ``d_after`` gets a fresh sandbox (another runner) and full marks.
"""

from __future__ import annotations

import autograder_helpers as h
import pytest

pytestmark = pytest.mark.slow

PROBE = """\
import ctypes, os, resource
import numpy as np
ZYGOTE = os.getppid()
with open(f"/proc/{ZYGOTE}/stat") as fh:
    RUNNER = int(fh.read().rsplit(")", 1)[1].split()[1])
with open(f"/proc/{RUNNER}/stat") as fh:
    RUNNER_START = fh.read().rsplit(")", 1)[1].split()[19]
print("RUNNER_START", RUNNER_START)
"""

POLLUTE = (
    PROBE
    + """\
import subprocess, sys
open("/tmp/leftover", "w").write("x")
open("/dev/shm/leftover", "w").write("x")
libc = ctypes.CDLL(None)
assert libc.shmget(0x5EED, 4096, 0o1000 | 0o666) >= 0  # IPC_CREAT
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "leftover-daemon"], start_new_session=True)
os.setpriority(os.PRIO_PROCESS, ZYGOTE, os.getpriority(os.PRIO_PROCESS, ZYGOTE) + 3)  # later forks would run niced
resource.prlimit(ZYGOTE, resource.RLIMIT_NOFILE, (64, 64))
def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""
)

LOOK = (
    PROBE
    + """\
def _daemons():
    out = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and b"leftover-daemon" in open(f"/proc/{p}/cmdline", "rb").read():
                out.append(p)
        except OSError:
            pass
    return out
seen = {
    "tmp": os.path.exists("/tmp/leftover"),
    "shm": os.path.exists("/dev/shm/leftover"),
    "sysv": ctypes.CDLL(None).shmget(0x5EED, 0, 0) >= 0,
    "daemon": bool(_daemons()),
    "nice": os.getpriority(os.PRIO_PROCESS, 0) != os.getpriority(os.PRIO_PROCESS, RUNNER),
    "nofile": resource.getrlimit(resource.RLIMIT_NOFILE) != resource.prlimit(RUNNER, resource.RLIMIT_NOFILE),
}
LEFTOVERS = sorted(k for k, v in seen.items() if v)
print("LEFTOVERS", LEFTOVERS)
def hinge_loss(scores, y):
    s = np.asarray(scores, dtype=float)
    return float(np.maximum(0.0, s - s[y] + 1.0).sum() - 1.0) + len(LEFTOVERS)
"""
)

RENICE_RUNNER = (
    PROBE
    + """\
os.setpriority(os.PRIO_PROCESS, RUNNER, os.getpriority(os.PRIO_PROCESS, RUNNER) + 3)
def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder import sessions

    kinds = {
        "a_polluter": {"tiny_a": "solved", "tiny_b": POLLUTE},
        "b_victim": {"tiny_a": LOOK, "tiny_b": "solved"},
        "c_renicer": {"tiny_a": "solved", "tiny_b": RENICE_RUNNER},
        "d_after": {"tiny_a": LOOK, "tiny_b": "solved"},
    }
    yield h.grade_tiny_class(tmp_path_factory.mktemp("sessions"), kinds, workers=1)
    assert sessions.active() == 0  # the batch ends its kept sandboxes


def _runner_start(course, student, name):
    text = h.executed_text(course, student, name)
    return text.split("RUNNER_START ", 1)[1].split()[0]


def test_every_student_gets_full_marks(graded):
    course, res = graded
    scores = {(r.student, r.notebook): (r.score, r.status) for r in res.rows}
    assert scores == {
        (s, n): (3.0, "ok")
        for s in ("a_polluter", "b_victim", "c_renicer", "d_after")
        for n in ("tiny_a", "tiny_b")
    }, res.table()


def test_the_next_student_reuses_the_sandbox_and_sees_nothing(graded):
    course, _ = graded
    assert _runner_start(course, "a_polluter", "tiny_b") == _runner_start(course, "b_victim", "tiny_a")
    assert "LEFTOVERS []" in h.executed_text(course, "b_victim", "tiny_a")


def test_a_tampered_runner_ends_its_sandbox(graded):
    course, _ = graded
    c = _runner_start(course, "c_renicer", "tiny_b")
    assert c == _runner_start(course, "b_victim", "tiny_a")  # b and c shared the sandbox
    assert _runner_start(course, "d_after", "tiny_a") != c  # d got a new one
    assert "LEFTOVERS []" in h.executed_text(course, "d_after", "tiny_a")
