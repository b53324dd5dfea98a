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
    from autograder import api

    tmp = tmp_path_factory.mktemp("warm")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"))
    kinds = {
        "leaver": {"tiny_a": LEAVE_BEHIND, "tiny_b": LOOK_FOR_IT},
        "killer": {"tiny_a": KILL_ZYGOTE, "tiny_b": LOOK_FOR_IT},
    }
    h.make_class(course, tmp / "class", kinds)
    api.collect(course_dir=course, source=tmp / "class")
    res = api.grade(
        course_dir=course, workers=2, options=api.GradeOptions(cell_timeout=10, notebook_timeout=60)
    )
    return course, res


def _executed(course, student, name):
    base = course / ".autograder" / "executed" / student
    nb = nbformat.read(str(base / f"{name}.ipynb"), as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_next_notebook_sees_nothing_the_previous_one_left(graded):
    course, res = graded
    scores = {(r.student, r.notebook): (r.score, r.status) for r in res.rows}
    assert scores["leaver", "tiny_a"] == (3.0, "ok")
    assert scores["leaver", "tiny_b"] == (3.0, "ok"), res.table()  # softmax is right only without leftovers
    text_a = _executed(course, "leaver", "tiny_a")
    text_b = _executed(course, "leaver", "tiny_b")
    assert "_warm.py serve" in text_a and "_warm.py serve" in text_b  # both kernels were forks of the zygote
    assert "LEFTOVERS []" in text_b and "HOOK FROM A" not in text_b
    # the zygote imported the staged course code before the first kernel, and nothing a kernel asked for after
    assert "PRELOADED True" in text_a and "PRELOADED True" in text_b
    assert "ZYGOTE SAID {" in text_a and '"digest": "evil"' not in text_a and "evil_from_a" not in text_a


def test_a_killed_zygote_is_restarted_for_the_next_notebook(graded):
    course, res = graded
    scores = {(r.student, r.notebook): (r.score, r.status) for r in res.rows}
    assert scores["killer", "tiny_b"] == (3.0, "ok"), res.table()
    text_b = _executed(course, "killer", "tiny_b")
    assert "_warm.py serve" in text_b
    assert "PRELOADED True" in text_b  # the restarted zygote imported the re-staged course code before B
