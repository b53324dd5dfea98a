"""The trusted judge's pieces: grade-cell parsing, what the sandbox receives, verdict outputs, the wire format,
the source structure check, and the sandbox started through a symlinked virtualenv (real bwrap)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import judge, structure, wire
from autograder.checks import Verdict


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _grade(source, gid, points=2.0):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "grade_id": gid,
        "points": points,
        "locked": True,
    }
    return cell


LINE = 'from autograder import checks; checks.check("softmax", softmax, cases="{}")'
HIDDEN = "### BEGIN HIDDEN TESTS\n{}\n### END HIDDEN TESTS"


def test_grade_cells_parse_the_convention_and_flag_everything_else():
    nb = _nb(
        nbformat.v4.new_code_cell("def softmax(s):\n    return s"),
        _grade("assert True\n" + HIDDEN.format(LINE.format("visible")), "v", 1),
        _grade(HIDDEN.format(LINE.format("hidden")), "h"),
        _grade("assert softmax(1) == 1", "plain-assert"),
        _grade(
            HIDDEN.format('from autograder import checks; checks.check("softmax", hinge_loss)'), "mismatch"
        ),
        _grade(HIDDEN.format(LINE.format("hidden") + "\nprint('more')"), "two-lines"),
    )
    cells = {gc.grade_id: gc for gc in judge.grade_cells(nb)}
    assert (cells["v"].name, cells["v"].cases, cells["v"].problem) == ("softmax", "visible", "")
    assert (cells["h"].name, cells["h"].cases, cells["h"].index) == ("softmax", "hidden", 2)
    assert "has no trusted check" in cells["plain-assert"].problem
    assert "applied to the function of the same name" in cells["mismatch"].problem
    assert "found 2 hidden line(s)" in cells["two-lines"].problem


def test_the_sandbox_never_receives_hidden_blocks():
    nb = _nb(_grade("x = 1\n" + HIDDEN.format(LINE.format("visible")), "v"))
    sent = judge.sandbox_notebook(nb)
    assert sent.cells[0].source == "x = 1"
    assert "checks" not in sent.cells[0].source and "BEGIN HIDDEN" in nb.cells[0].source  # the original kept


def test_verdicts_replace_what_the_kernel_claimed():
    """A displayhook writing an execute_result ("3" = full partial credit), stderr, an error from a visible
    assert: all become plain stdout text; only the trusted verdict can be an error or a pass."""
    from nbgrader.utils import determine_grade

    cell_a = _grade(HIDDEN.format(LINE.format("hidden")), "a", 3)
    cell_a.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=1),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
    ]
    cell_b = _grade("assert False\n" + HIDDEN.format(LINE.format("visible")), "b", 1)
    cell_b.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="visible", traceback=[])]
    cell_c = _grade(HIDDEN.format(LINE.format("hidden")), "c", 2)  # never reached
    nb = _nb(cell_a, cell_b, cell_c)
    cells = judge.grade_cells(nb)
    verdicts = {
        0: Verdict("softmax", "hidden", False, "softmax returned the wrong probabilities", "failed"),
        1: Verdict("softmax", "visible", True, "ok"),
    }
    judge.apply_verdicts(nb, cells, verdicts, status="kernel_died", error="the kernel died")
    a, b, c = nb.cells
    assert [o.output_type for o in a.outputs] == ["stream", "error"]
    assert a.outputs[0].name == "stdout" and "3" in a.outputs[0].text and "warning" in a.outputs[0].text
    assert a.outputs[1].ename == "GraderCheckFailed"
    assert determine_grade(a)[0] == 0
    assert determine_grade(b)[0] == 1.0 and "AssertionError: visible" in b.outputs[0].text
    assert c.outputs[-1].ename == "NotExecuted" and "the kernel died" in c.outputs[-1].evalue
    assert determine_grade(c)[0] == 0


def test_wire_round_trip_keeps_types_and_refuses_pickles():
    buf = io.BytesIO()
    value = (np.float32(1.5), [np.arange(3, dtype=np.int16), {"k": None}], 2**70, float("nan"), True)
    wire.send(buf, {"op": "x"}, value=value)
    buf.seek(0)
    _, got = wire.recv(buf)
    assert type(got) is tuple and type(got[0]) is np.float32 and got[1][0].dtype == np.int16
    assert got[2] == 2**70 and np.isnan(got[3]) and got[4] is True
    # an object array (pickled inside .npy) is never loaded
    out = io.BytesIO()
    np.lib.format.write_array(out, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    frame = io.BytesIO()
    wire.write_frame(frame, {"value": {"t": "ndarray", "blob": 0}}, [out.getvalue()])
    frame.seek(0)
    with pytest.raises(wire.WireError):
        wire.recv(frame)
    blobs: list = []
    assert wire.encode(np.matrix([[1.0]]), blobs)["t"] == "other" and blobs == []


@pytest.mark.parametrize(
    ("cells", "fragment"),
    [
        (["m = map", "def f(W, X, y, reg):\n    return sum(m(np.dot, X, X)), W"], "map calls a function"),
        (["from numpy import frompyfunc as fp", "def f(X):\n    return fp(abs, 1, 1)(X)"], "np.frompyfunc"),
        (["def f(X):\n    return getattr(np, 'vec' + 'torize')(abs)(X)"], "getattr hides"),
        (["def f(X):\n    return eval('X.sum()')"], "eval runs code"),
        (
            ["def helper(X):\n    return [x for x in X]", "def f(X):\n    return np.array(helper(X))"],
            "list comprehension",
        ),
        (["def f(X, n=0):\n    return X if n > 3 else f(X, n + 1)"], "recursion"),
        (["def g(X):\n    return X", "f = g"], "not by its own `def`"),
        (["def f(X):\n    return np.apply_along_axis(np.sum, 1, X)"], "np.apply_along_axis"),
        (["import itertools as it", "def f(X):\n    return list(it.starmap(max, X))"], "itertools"),
        (
            ["%%time\ndef f(X):\n    i = 0\n    while i < len(X):\n        i += 1\n    return X"],
            "a while loop",
        ),
    ],
)
def test_structure_finds_loops_in_disguise(cells, fragment):
    findings = structure.from_cells(["import numpy as np", *cells]).findings("f")
    assert any(fragment in f for f in findings), findings


def test_structure_accepts_a_vectorized_loss_with_helpers_and_redefinitions():
    cells = [
        "import numpy as np",
        "def svm_loss_vectorized(W, X, y, reg):\n    for i in range(3):\n        pass",  # an early draft ...
        "def margins(S, y):\n    return np.maximum(0, S - S[np.arange(len(y)), y][:, None] + 1)",
        "def svm_loss_vectorized(W, X, y, reg):\n    M = margins(X @ W, y)\n    return M.sum(), W",  # ... replaced
        "for k in range(3):\n    print(k)",  # loops elsewhere in the notebook do not count
    ]
    assert structure.from_cells(cells).findings("svm_loss_vectorized") == []


@pytest.mark.slow
def test_sandbox_runs_through_a_symlinked_virtualenv(tmp_path):
    """`bwrap: execvp` before: the launcher used sys.executable, a path that does not exist in the sandbox."""
    from autograder import sandbox

    if sandbox.find_bwrap() is None:
        pytest.skip("needs bubblewrap")
    link = tmp_path / "venv-link"
    link.symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    python = link / Path(sys.executable).relative_to(sys.prefix)
    code = (
        "import sys\nfrom autograder import sandbox\n"
        "r = sandbox.run([sys.executable, '-c', 'import numpy, sys; print(sys.prefix)'])\n"
        "print(r.returncode, r.stdout.decode().strip(), r.stderr.decode()[-300:])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    rc, prefix = out.stdout.split()[:2]
    assert rc == "0", out.stdout
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()


SLEEPER = """\
import signal, time
import numpy as np
def hinge_loss(scores, y):
    if len(scores) == 5:  # only on a hidden input: ignore the grader's interrupt, sleep past every limit
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        time.sleep(600)
    s = np.asarray(scores, dtype=float)
    return float(np.maximum(0.0, s - s[y] + 1.0).sum() - 1.0)
"""


@pytest.mark.slow
def test_a_call_that_hangs_with_sigint_ignored_scores_zero_with_status(tmp_path):
    """Silence is no pass: the judge times the call out, the runner stops the kernel, the cell is 0 (timeout)."""
    import dataclasses

    from autograder import grading, sandbox

    if sandbox.find_bwrap() is None:
        pytest.skip("needs bubblewrap")
    nb = _nb(
        nbformat.v4.new_code_cell(SLEEPER),
        _grade(
            HIDDEN.format(
                'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")'
            ),
            "v",
            1,
        ),
        _grade(
            HIDDEN.format(
                'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="hidden")'
            ),
            "h",
            2,
        ),
        _grade(
            HIDDEN.format(
                'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")'
            ),
            "v2",
            1,
        ),
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    data = tmp_path / "data"
    data.mkdir()
    opts = grading.GradeOptions(call_timeout=2.0, notebook_timeout=60)
    out = grading.grade_submission(
        {
            "student": "s",
            "notebooks": [{"name": "n", "notebook": nb}],
            "secret": "k" * 64,
            "data_dir": str(data),
            "repo": str(Path(__file__).resolve().parents[1]),
            "options": dataclasses.asdict(opts),
        }
    )
    res = out["results"]["n"]
    assert res["verdicts"]["v"]["passed"] is True  # the public cases never sleep
    assert res["verdicts"]["h"] == {
        "passed": False,
        "status": "timeout",
        "message": res["verdicts"]["h"]["message"],
    }
    assert "did not return within 2 s" in res["verdicts"]["h"]["message"]
    assert res["status"] == "timeout"
    graded = nbformat.from_dict(res["notebook"])
    from nbgrader.utils import determine_grade

    scores = [determine_grade(graded.cells[i])[0] for i in (1, 2, 3)]
    assert scores == [1.0, 0, 0]  # the kernel was stopped: the last cell was never checked
    assert graded.cells[3].outputs[-1].ename == "NotExecuted"


@pytest.mark.slow
def test_full_real_submission_same_points_from_plain_nbgrader_and_grade(tmp_path):
    """The four real notebooks, solved: a TA's plain `nbgrader autograde` (no CIFAR-10, no env vars set) gives
    every autograded point, exactly like `python -m autograder grade`."""
    from autograder import api, samples, sandbox

    if sandbox.find_bwrap() is None:
        pytest.skip("needs bubblewrap")
    course = tmp_path / "course"
    api.release(course_dir=course)
    made = samples.make_sample_class(
        source_dir=course / "source" / "linear_classifiers", out_dir=tmp_path / "staging", kinds=["full"]
    )
    sid = made[0].student_id
    api.collect(course_dir=course, source=tmp_path / "staging" / "submitted")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS231N_LITE", "NBGRADER"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("nbgrader")), "autograde", "linear_classifiers"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    from nbgrader.api import Gradebook

    def auto_scores():
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cs231n_lite") as gb:
            sub = gb.find_submission("linear_classifiers", sid)
            return {nb.name: (float(nb.code_score), float(nb.max_code_score)) for nb in sub.notebooks}

    plain = auto_scores()
    assert all(got == want for got, want in plain.values()), plain
    autograded_points = sum(  # every autograded test cell of the source notebooks (5 notebooks: 30 points)
        float(cell.metadata["nbgrader"]["points"])
        for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("0*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        and cell.metadata.get("nbgrader", {}).get("grade")
        and not cell.metadata["nbgrader"].get("solution")
    )
    assert sum(want for _, want in plain.values()) == autograded_points == 30.0
    api.grade(course_dir=course, workers=1)
    assert auto_scores() == plain
