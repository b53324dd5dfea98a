"""Warm kernels (autograder/_warm.py): every notebook's kernel is a fresh fork of a pre-imported zygote.

Graded for real (nbgrader, bubblewrap, the sandboxed runner) on the tiny assignment: notebook A leaves globals,
a monkeypatched numpy, a builtin, a fake module, an environment variable, an IPython hook, a thread and a patched
course module (imported by the zygote) behind, and asks the zygote to import a module it planted;
notebook B of the same submission (same sandbox, next fork) must see none of them -- its softmax returns wrong
probabilities if it sees any, so the score says it. A second student kills the zygote from notebook A; notebook B still
gets a (restarted) warm kernel and full marks.
"""

from __future__ import annotations

import autograder_helpers as h
import nbformat
import pytest

pytestmark = pytest.mark.slow

LEAVE_BEHIND = """\
import builtins, json, os, socket, sys, threading, time
import numpy as np
PARENT = open(f"/proc/{os.getppid()}/cmdline").read().replace("\\0", " ")
print("PARENT", PARENT)
print("PRELOADED", "cs231n_lite.gradient_check" in sys.modules)  # imported by the zygote, not by this notebook
import cs231n_lite, cs231n_lite.gradient_check
cs231n_lite.__version__ = "patched by A"
cs231n_lite.gradient_check.LEFTOVER_PATCH = 1
# ask the zygote itself to import a module planted in the staging folder: it must refuse (a kernel has run)
with open("/tmp/grader-lib/evil_from_a.py", "w") as fh:
    fh.write("import builtins\\nbuiltins.EVIL_FROM_A = 1\\n")
zygote = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
zygote.connect("\\0" + PARENT.split()[3])
zygote.sendall(json.dumps({"preload": ["evil_from_a"], "path": "/tmp/grader-lib", "digest": "evil"}).encode() + b"\\n")
print("ZYGOTE SAID", zygote.makefile().readline().strip())
LEFTOVER = 1
np.sum = lambda *a, **k: -1
builtins.LEFTOVER_BUILTIN = 1
sys.modules["leftover_module"] = sys
os.environ["LEFTOVER_ENV"] = "1"
get_ipython().events.register("pre_run_cell", lambda *a: print("HOOK FROM A"))
threading.Thread(target=time.sleep, args=(600,), name="leftover-thread", daemon=True).start()
def hinge_loss(scores, y):
    m = np.maximum(0.0, np.asarray(scores, dtype=float) - scores[y] + 1.0)
    m[y] = 0.0
    return float(m.sum())
"""

LOOK_FOR_IT = """\
import builtins, os, sys, threading
import numpy as np
PARENT = open(f"/proc/{os.getppid()}/cmdline").read().replace("\\0", " ")
print("PRELOADED", "cs231n_lite.gradient_check" in sys.modules)
seen = {
    "global": "LEFTOVER" in globals(),
    "numpy": np.sum([1, 2]) != 3,
    "builtin": hasattr(builtins, "LEFTOVER_BUILTIN"),
    "module": "leftover_module" in sys.modules,
    "env": "LEFTOVER_ENV" in os.environ,
    "thread": any(t.name == "leftover-thread" for t in threading.enumerate()),
    "course_module": "cs231n_lite" in sys.modules and (
        sys.modules["cs231n_lite"].__version__ == "patched by A"
        or hasattr(sys.modules["cs231n_lite.gradient_check"], "LEFTOVER_PATCH")
    ),
    "zygote_import": hasattr(builtins, "EVIL_FROM_A") or "evil_from_a" in sys.modules,
}
LEFTOVERS = sorted(k for k, v in seen.items() if v)
print("PARENT", PARENT, "LEFTOVERS", LEFTOVERS)
def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) if not LEFTOVERS else e
"""

KILL_ZYGOTE = """\
import os, signal
import numpy as np
os.kill(os.getppid(), signal.SIGKILL)  # the zygote that forked this kernel
def hinge_loss(scores, y):
    m = np.maximum(0.0, np.asarray(scores, dtype=float) - scores[y] + 1.0)
    m[y] = 0.0
    return float(m.sum())
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    kinds = {
        "leaver": {"tiny_a": LEAVE_BEHIND, "tiny_b": LOOK_FOR_IT},
        "killer": {"tiny_a": KILL_ZYGOTE, "tiny_b": LOOK_FOR_IT},
    }
    return h.grade_tiny_class(tmp_path_factory.mktemp("warm"), kinds, workers=2)


def test_next_notebook_sees_nothing_the_previous_one_left(graded):
    course, res = graded
    scores = {(r.student, r.notebook): (r.score, r.status) for r in res.rows}
    assert scores["leaver", "tiny_a"] == (3.0, "ok")
    assert scores["leaver", "tiny_b"] == (3.0, "ok"), res.table()  # softmax is right only without leftovers
    text_a = h.executed_text(course, "leaver", "tiny_a")
    text_b = h.executed_text(course, "leaver", "tiny_b")
    assert "_warm.py serve" in text_a and "_warm.py serve" in text_b  # both kernels were forks of the zygote
    assert "LEFTOVERS []" in text_b and "HOOK FROM A" not in text_b
    # the zygote imported the staged course code before the first kernel, and nothing a kernel asked for after
    assert "PRELOADED True" in text_a and "PRELOADED True" in text_b
    assert "ZYGOTE SAID {" in text_a and '"digest": "evil"' not in text_a and "evil_from_a" not in text_a


def test_a_killed_zygote_is_restarted_for_the_next_notebook(graded):
    course, res = graded
    scores = {(r.student, r.notebook): (r.score, r.status) for r in res.rows}
    assert scores["killer", "tiny_b"] == (3.0, "ok"), res.table()
    text_b = h.executed_text(course, "killer", "tiny_b")
    assert "_warm.py serve" in text_b
    assert "PRELOADED True" in text_b  # the restarted zygote imported the re-staged course code before B


PROBE_COURSE_CODE = """\
import os
import cs231n_lite.gradient_check as gc_mod
ZYGOTE = os.getppid()
with open(f"/proc/{ZYGOTE}/stat") as fh:
    fields = fh.read().rsplit(")", 1)[1].split()
with open(f"/proc/{fields[1]}/stat") as fh:
    RUNNER_START = fh.read().rsplit(")", 1)[1].split()[19]
print("MARK", getattr(gc_mod, "MARK", None), "RUNNER_START", RUNNER_START, "ZYGOTE_START", fields[19])
"""


def test_a_reused_sandbox_gets_a_new_zygote_when_the_course_code_changed(tmp_path):
    """The zygote holds the course modules it imported for its first kernel; when the course code changes
    between two submissions served by the same sandbox, the next kernel must see the new code."""
    from pathlib import Path

    from autograder import grading, sessions

    repo = h.copy_repo_subset(Path(__file__).resolve().parents[1], tmp_path / "repo")
    module = repo / "cs231n_lite" / "gradient_check.py"
    original = module.read_text()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE_COURSE_CODE)]
    job = {
        "student": "probe",
        "notebooks": [{"name": "probe", "notebook": dict(nb)}],
        "secret": "s",
        "data_dir": str(tmp_path),
        "repo": str(repo),
        "slot": 7,
        "options": {"cell_timeout": 20, "notebook_timeout": 60},
    }

    def mark_seen():
        out = grading.grade_submission(job)["results"]["probe"]
        assert out["status"] == "ok", out
        text = "".join(o.get("text", "") for c in out["notebook"]["cells"] for o in c.get("outputs", []))
        return text.split("MARK ", 1)[1].split()

    try:
        module.write_text(original + '\nMARK = "first"\n')
        first = mark_seen()
        module.write_text(original + '\nMARK = "second"\n')
        second = mark_seen()
    finally:
        sessions.close_all()
    assert first[0] == "first" and second[0] == "second"
    assert first[2] == second[2]  # RUNNER_START: the same sandbox served both
    assert first[4] != second[4]  # ZYGOTE_START: the zygote holding the old module was replaced
