"""Grading a tiny class with real nbgrader, a real SQLite gradebook, real kernels and real bwrap.

One module fixture releases the tiny assignment (tests/autograder_helpers.py), collects a class of seven and grades
it with 2 workers; the tests assert exact scores FROM THE GRADEBOOK, statuses, the sandbox as seen from inside a
kernel, and that a serial regrade gives identical results (parallel == serial, idempotent, no lost grade).
"""

from __future__ import annotations

import json

import autograder_helpers as h
import nbformat
import pytest

pytestmark = pytest.mark.slow

PROBE = """\
import json, os, socket, sys
res = {}
res["repo"] = os.path.exists(REPO + "/cs231n_lite")
res["reference_on_host_path"] = os.path.exists(REPO + "/cs231n_lite/reference/linear_svm.py")
res["staged_reference"] = os.path.exists("/tmp/grader-lib/cs231n_lite/reference")
res["staged_checks"] = os.path.exists("/tmp/grader-lib/autograder/checks.py")
try:
    import cs231n_lite.reference
    res["import_reference"] = True
except Exception:
    res["import_reference"] = False
res["checks_preloaded"] = "autograder.checks" in sys.modules
res["course"] = os.path.exists(COURSE + "/gradebook.db") or os.path.exists(COURSE + "/source")
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("1.1.1.1", 53))
    res["network"] = True
except OSError:
    res["network"] = False
res["uid"] = os.getuid()
res["env"] = {k: os.environ.get(k) for k in ("NBGRADER_EXECUTION", "CS231N_LITE_DATASET", "MPLBACKEND", "HOME")}
print("PROBE" + json.dumps(res))
def mul(a, b):
    return a * b
"""

BIG_OUTPUT = """\
import sys
for _ in range(100):
    sys.stdout.write("x" * 1_000_000)  # 100 MB of output
def add(a, b):
    return a + b
"""

# the kernel dies INSIDE a grade cell (add is called by the visible test): that cell must not count as passed
DIES_IN_TEST_CELL = "def add(a, b):\n    import os\n    os._exit(3)"

SOLVED_BOTH = {"tiny_a": "solved", "tiny_b": "solved"}
EXPECTED = {  # student: {notebook: (score, status)}
    "ada": {"tiny_a": (3.0, "ok"), "tiny_b": (3.0, "ok")},
    "bob": {"tiny_a": (0.0, "ok"), "tiny_b": (0.0, "ok")},
    "cyd": {"tiny_a": (3.0, "ok"), "tiny_b": (0.0, "missing_notebook")},
    "dan": {"tiny_a": (0.0, "invalid_notebook"), "tiny_b": (3.0, "ok")},
    "die": {"tiny_a": (0.0, "kernel_died"), "tiny_b": (3.0, "ok")},
    "pro": {"tiny_a": (0.0, "ok"), "tiny_b": (3.0, "ok")},
    "tim": {"tiny_a": (0.0, "timeout"), "tiny_b": (3.0, "ok")},
    "big": {"tiny_a": (3.0, "output_limit"), "tiny_b": (3.0, "ok")},
    "mem": {"tiny_a": (0.0, "memory"), "tiny_b": (3.0, "ok")},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo_root):
    from autograder import api

    tmp = tmp_path_factory.mktemp("grading")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"))
    probe = PROBE.replace("REPO", repr(str(repo_root))).replace("COURSE", repr(str(course)))
    kinds = {
        "ada": SOLVED_BOTH,
        "bob": {},
        "cyd": {"tiny_a": "solved", "tiny_b": "missing"},
        "dan": {"tiny_a": "invalid", "tiny_b": "solved"},
        "die": {"tiny_a": DIES_IN_TEST_CELL, "tiny_b": "solved"},
        "pro": {"tiny_b": probe},
        "tim": {
            "tiny_a": "import time\ntime.sleep(120)\ndef add(a, b):\n    return a + b",
            "tiny_b": "solved",
        },
        "big": {"tiny_a": BIG_OUTPUT, "tiny_b": "solved"},
        "mem": {"tiny_a": "x = bytearray(8 * 1024**3)\ndef add(a, b):\n    return a + b", "tiny_b": "solved"},
    }
    h.make_class(course, tmp / "class", kinds)
    api.collect(course_dir=course, source=tmp / "class")
    opts = api.GradeOptions(cell_timeout=4, notebook_timeout=60)
    parallel = api.grade(course_dir=course, workers=2, options=opts)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    first_db = h.gradebook_scores(db_url, EXPECTED)
    serial = api.grade(course_dir=course, workers=1, options=opts)
    return {"course": course, "parallel": parallel, "serial": serial, "db_url": db_url, "first_db": first_db}


def _table(result):
    return {(r.student, r.notebook): (r.score, r.status) for r in result.rows}


def test_exact_scores_and_statuses_in_result_and_gradebook(graded):
    got = _table(graded["parallel"])
    want = {(s, n): v for s, nbs in EXPECTED.items() for n, v in nbs.items()}
    assert got == want, graded["parallel"].table()
    assert graded["first_db"] == {k: v[0] for k, v in want.items()}
    assert graded["parallel"].totals()["ada"] == (6.0, 6.0)
    assert all(r.max_score == {"tiny_a": 3.0, "tiny_b": 3.0}[r.notebook] for r in graded["parallel"].rows)


def test_failures_carry_an_error_message(graded):
    rows = {(r.student, r.notebook): r for r in graded["parallel"].rows}
    assert "not submitted" in rows["cyd", "tiny_b"].error
    assert "not a readable notebook" in rows["dan", "tiny_a"].error
    assert "kernel died" in rows["die", "tiny_a"].error
    assert "4 s" in rows["tim", "tiny_a"].error
    assert "output truncated" in rows["big", "tiny_a"].error
    assert "MemoryError" in rows["mem", "tiny_a"].error
    assert rows["ada", "tiny_a"].error == ""


def test_serial_regrade_equals_parallel_and_nothing_is_lost(graded):
    assert _table(graded["serial"]) == _table(graded["parallel"])
    assert h.gradebook_scores(graded["db_url"], EXPECTED) == graded["first_db"]
    assert graded["parallel"].workers == 2 and graded["serial"].workers == 1
    assert not any("locked" in r.error for r in graded["parallel"].rows + graded["serial"].rows)


def test_sandbox_as_seen_from_the_kernel(graded):
    nb = nbformat.read(
        str(graded["course"] / ".autograder" / "executed" / "pro" / "tiny_b.ipynb"), as_version=4
    )
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    probe = json.loads(text.split("PROBE", 1)[1].splitlines()[0])
    assert probe["repo"] is False
    assert probe["reference_on_host_path"] is False
    assert probe["staged_reference"] is False and probe["staged_checks"] is False
    assert probe["import_reference"] is False
    assert probe["course"] is False
    assert probe["network"] is False
    assert probe["uid"] != 0
    assert probe["env"] == {
        "NBGRADER_EXECUTION": "autograde",
        "CS231N_LITE_DATASET": "synthetic",
        "MPLBACKEND": "Agg",
        "HOME": "/tmp",
    }
    assert graded["parallel"].sandboxed is True


def test_output_flood_is_capped_in_the_graded_notebook(graded):
    nb = nbformat.read(
        str(graded["course"] / "autograded" / "big" / h.ASSIGNMENT / "tiny_a.ipynb"), as_version=4
    )
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert 0 < len(text) <= 250_000
    assert "output truncated" in text


def test_hidden_tests_ran_in_the_graded_notebook(graded):
    nb = nbformat.read(
        str(graded["course"] / "autograded" / "bob" / h.ASSIGNMENT / "tiny_a.ipynb"), as_version=4
    )
    hidden = [c for c in nb.cells if "BEGIN HIDDEN TESTS" in c.source]
    assert len(hidden) == 1 and h.HIDDEN_A in hidden[0].source
    assert [o.ename for o in hidden[0].outputs if o.output_type == "error"] == ["NotImplementedError"]


def test_the_cell_running_when_the_kernel_died_fails(graded):
    nb = nbformat.read(
        str(graded["course"] / "autograded" / "die" / h.ASSIGNMENT / "tiny_a.ipynb"), as_version=4
    )
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert [o.ename for o in by_id["add-visible"].outputs] == ["DeadKernelError"]
    assert [o.ename for o in by_id["add-hidden"].outputs] == ["NotExecuted"]


def test_without_bwrap_grading_refuses_unless_allowed_then_warns(graded, monkeypatch):
    from autograder import api, sandbox

    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(api.AutograderError, match="--allow-unsandboxed"):
        api.grade(course_dir=graded["course"], students=["ada"])
    with pytest.warns(RuntimeWarning, match="UNSANDBOXED"):
        res = api.grade(course_dir=graded["course"], students=["ada"], allow_unsandboxed=True)
    assert res.sandboxed is False and "UNSANDBOXED" in res.table()
    assert _table(res) == {("ada", "tiny_a"): (3.0, "ok"), ("ada", "tiny_b"): (3.0, "ok")}
