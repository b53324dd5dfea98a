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
res["staged_checks"] = os.path.exists("/tmp/grader-lib/autograder")
try:
    import cs231n_lite.reference
    res["import_reference"] = True
except Exception:
    res["import_reference"] = False
res["checks_preloaded"] = any(m.startswith("autograder") for m in sys.modules)
res["secret"] = os.path.exists(COURSE + "/.autograder/secret")
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
import numpy as np
def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""

BIG_OUTPUT = """\
import sys
for _ in range(100):
    sys.stdout.write("x" * 1_000_000)  # 100 MB of output
import numpy as np
def hinge_loss(scores, y):
    m = np.maximum(0.0, np.asarray(scores, dtype=float) - scores[y] + 1.0)
    m[y] = 0.0
    return float(m.sum())
"""
GOOD_HINGE = BIG_OUTPUT.split("import numpy as np\n", 1)[1]

# the kernel dies INSIDE a grade cell (add is called by the visible test): that cell must not count as passed
DIES_IN_TEST_CELL = "def hinge_loss(scores, y):\n    import os\n    os._exit(3)"
# hostile: the student's kernel makes every later cell look passed or silent; none of it decides a point now
DISPLAYHOOK = (
    "import sys\nsys.displayhook = lambda v: print(3)\nget_ipython().events.register('post_run_cell', "
    "lambda r: None)\nsys.stdout = None\ndef hinge_loss(scores, y):\n    return 0.0"
)

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
    "hak": {"tiny_a": (0.0, "timeout"), "tiny_b": (3.0, "ok")},  # the kernel no longer answers: stopped at the limit
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
            "tiny_a": "import time\ntime.sleep(120)\n" + GOOD_HINGE,
            "tiny_b": "solved",
        },
        "big": {"tiny_a": BIG_OUTPUT, "tiny_b": "solved"},
        "mem": {"tiny_a": "x = bytearray(8 * 1024**3)\n" + GOOD_HINGE, "tiny_b": "solved"},
        "hak": {"tiny_a": DISPLAYHOOK, "tiny_b": "solved"},
    }
    h.make_class(course, tmp / "class", kinds)
    api.collect(course_dir=course, source=tmp / "class")
    opts = api.GradeOptions(cell_timeout=4, notebook_timeout=60)
    parallel = api.grade(course_dir=course, workers=2, options=opts)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    first_db = h.gradebook_scores(db_url, EXPECTED)
    serial = api.grade(course_dir=course, workers=1, options=opts, force=True)  # a real regrade, not a resume
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
    assert probe["import_reference"] is False and probe["checks_preloaded"] is False
    assert probe["secret"] is False
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
    assert len(hidden) == 2 and h.VISIBLE_A in hidden[0].source and h.HIDDEN_A in hidden[1].source
    for cell in hidden:  # decided by the trusted judge, message written by it
        errs = [o for o in cell.outputs if o.output_type == "error"]
        assert [o.ename for o in errs] == ["GraderCheckFailed"]
        assert "raised NotImplementedError" in errs[0].evalue and "TODO cell" in errs[0].evalue


def test_the_cell_running_when_the_kernel_died_fails(graded):
    nb = nbformat.read(
        str(graded["course"] / "autograded" / "die" / h.ASSIGNMENT / "tiny_a.ipynb"), as_version=4
    )
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    visible = by_id["hinge-visible"].outputs
    assert [o.output_type for o in visible] == ["stream", "error"]
    assert "DeadKernelError" in visible[0].text  # what the kernel did, as plain text
    assert visible[1].ename == "NotExecuted" and "kernel died" in visible[1].evalue
    assert [o.ename for o in by_id["hinge-hidden"].outputs] == ["NotExecuted"]


def test_hooks_and_a_silenced_stdout_earn_nothing(graded):
    nb = nbformat.read(
        str(graded["course"] / "autograded" / "hak" / h.ASSIGNMENT / "tiny_a.ipynb"), as_version=4
    )
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for gid in ("hinge-visible", "hinge-hidden"):
        outs = by_id[gid].outputs
        assert outs[-1].output_type == "error", outs
        assert not any(o.output_type == "execute_result" for o in outs)


def test_without_bwrap_grading_refuses_unless_allowed_then_warns(graded, monkeypatch):
    from autograder import api, sandbox

    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(api.AutograderError, match="--allow-unsandboxed"):
        api.grade(course_dir=graded["course"], students=["ada"])
    with pytest.warns(RuntimeWarning, match="UNSANDBOXED"):
        res = api.grade(course_dir=graded["course"], students=["ada"], allow_unsandboxed=True)
    assert res.sandboxed is False and "UNSANDBOXED" in res.table()
    assert _table(res) == {("ada", "tiny_a"): (3.0, "ok"), ("ada", "tiny_b"): (3.0, "ok")}


def test_plain_nbgrader_autograde_and_formgrader_give_the_same_scores(graded):
    """The course config plugs TrustedExecute into nbgrader's own Autograde: the CLI and Formgrader's API call."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder import course as _course

    course = graded["course"]
    want = h.gradebook_scores(graded["db_url"], ["ada", "bob", "hak", "die"])
    nbgrader = str(Path(sys.executable).with_name("nbgrader"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    for student in ("ada", "bob", "hak"):
        proc = subprocess.run(
            [nbgrader, "autograde", h.ASSIGNMENT, "--student", student, "--force"],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "TrustedExecute" in (course / "nbgrader_config.py").read_text()
    cfg = _course.load_config(course)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg, root=str(course)), config=cfg)
    res = api.autograde(h.ASSIGNMENT, "die")
    assert res["success"], res
    assert h.gradebook_scores(graded["db_url"], ["ada", "bob", "hak", "die"]) == want
    assert (
        want[("ada", "tiny_a")] == 3.0 and want[("hak", "tiny_a")] == 0.0 and want[("die", "tiny_b")] == 3.0
    )


def test_plain_nbgrader_autograde_refuses_without_bwrap(graded, tmp_path):
    """No working bwrap: TrustedExecute stops with the fix named, nothing is graded silently."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "AUTOGRADER_BWRAP": str(fake),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("nbgrader")),
            "autograde",
            h.ASSIGNMENT,
            "--student",
            "ada",
            "--force",
        ],
        cwd=graded["course"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "allow_unsandboxed" in proc.stdout + proc.stderr


def _reference_phase2_config(executed_root):
    """Phase 2 as it was before its shortcuts: nbgrader's full lists (RepairTampering + nbgrader's sanitize
    preprocessors again, CheckCellMetadata last) and nbconvert's validation after every preprocessor."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )
    from traitlets.config import Config

    from autograder import tamper
    from autograder.preprocessors import ReplayExecute

    c = Config()
    c.Autograde.sanitize_preprocessors = [
        tamper.RepairTampering,
        *Autograde.class_traits()["sanitize_preprocessors"].default(),
    ]
    c.Autograde.autograde_preprocessors = [
        ReplayExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        tamper.StripGradeOutputs,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.ReplayExecute.executed_dir = str(executed_root)
    return c


def _phase2_copy(course, dest, extra_for, *, shared=False):
    """Copy the graded course, overwrite everything phase 2 writes with sentinels, run _phase2 for every
    student on the same sandboxed results (through one shared gradebook session if `shared`, as the batch
    grader does); return the gradebook dump and the autograded notebooks."""
    import contextlib
    import shutil

    from autograder import course as _course
    from autograder import grading
    from autograder.preprocessors import shared_gradebook
    from autograder.results import GradeRow

    shutil.copytree(course, dest)
    cfg = dest / "nbgrader_config.py"
    cfg.write_text(cfg.read_text().replace(str(course), str(dest)))
    shutil.rmtree(dest / "autograded")
    url = f"sqlite:///{dest / 'gradebook.db'}"
    with _course.gradebook(url) as gb:
        for s in gb.find_assignment(h.ASSIGNMENT).submissions:
            for n in s.notebooks:
                for g in n.grades:
                    g.auto_score, g.needs_manual_grade = -7.0, True
                for c in n.comments:
                    c.auto_comment = "sentinel"
        gb.db.commit()
    executed = dest / ".autograder" / "executed"
    rows = {}
    for marker in sorted((dest / ".autograder" / "graded").glob("*.json")):
        for name, r in h.load_json(marker)["rows"].items():
            rows[marker.stem, name] = GradeRow(marker.stem, name, r["status"], error=r["error"])
    with shared_gradebook(url) if shared else contextlib.nullcontext():
        for student in sorted({s for s, _ in rows}):
            grading._phase2(
                dest,
                url,
                h.ASSIGNMENT,
                student,
                ["tiny_a", "tiny_b"],
                rows,
                executed,
                None,
                extra=extra_for(executed),
            )
    dump = []
    with _course.gradebook(url) as gb:
        for s in gb.find_assignment(h.ASSIGNMENT).submissions:
            dump.append(("submission", s.student.id, s.late_submission_penalty, s.total_seconds_late))
            for n in s.notebooks:
                dump.append(("notebook", s.student.id, n.name, n.score, n.max_score, n.needs_manual_grade))
                dump += [
                    ("grade", s.student.id, n.name, g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                    for g in n.grades
                ]
                dump += [("comment", s.student.id, n.name, c.name, c.auto_comment) for c in n.comments]
    notebooks = {
        str(p.relative_to(dest)): p.read_text().replace(str(dest), "COURSE")
        for p in sorted((dest / "autograded").rglob("*.ipynb"))
    }
    scores = {k: (r.score, r.status, r.error) for k, r in rows.items()}
    return sorted(dump, key=repr), notebooks, scores


def test_phase2_shortcuts_write_exactly_what_nbgraders_full_pipeline_writes(graded, tmp_path):
    """Phase 2 skips nbgrader's second sanitize (ReplaySanitized), the last CheckCellMetadata and the validation
    after every step: on the same sandboxed results, every gradebook row, score, comment, needs_manual_grade and
    every autograded notebook equals what nbgrader's full lists write (sentinels prove both wrote everything)."""
    from autograder import grading

    new = _phase2_copy(graded["course"], tmp_path / "new", grading.phase2_config, shared=True)
    ref = _phase2_copy(graded["course"], tmp_path / "ref", _reference_phase2_config)
    assert new[0] == ref[0]
    untouched = {row[1:3] for row in new[0] if row[-3:] == (-7.0, None, True) or "sentinel" in row}
    assert untouched == {("dan", "tiny_a"), ("cyd", "tiny_b")}  # nbgrader never converts these two (comments)
    assert sum(row[0] == "grade" for row in new[0]) >= 3 * len(EXPECTED)
    assert new[1] == ref[1] and len(new[1]) >= 2 * len(EXPECTED) - 3
    assert new[2] == ref[2]
    assert {k: v[0] for k, v in new[2].items()} == {
        (s, n): v[0] for s, nbs in EXPECTED.items() for n, v in nbs.items()
    }
