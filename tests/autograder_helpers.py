"""Helpers for the autograder tests: a tiny two-notebook nbgrader assignment and its submissions.

``tiny_a``: ``hinge_loss`` (visible test 1 point, hidden test 2 points); ``tiny_b``: ``softmax`` (hidden test 3
points). Max score 6. Every grade cell ends with the trusted grade line (the course's convention), so the points
are decided by the trusted judge outside the sandbox; both checks are fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

ASSIGNMENT = "linear_classifiers"
HIDDEN_A = 'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="hidden")'
HIDDEN_B = 'from autograder import checks; checks.check("softmax", softmax, cases="hidden")'
VISIBLE_A = 'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")'
HIDDEN_LINES = (HIDDEN_A, HIDDEN_B, VISIBLE_A)
SOLUTION_LINES = (
    "return float(np.maximum(0.0, s - s[y] + 1.0).sum() - 1.0)  # the secret hinge",
    "return np.exp(s - s.max(-1, keepdims=True)) / np.exp(s - s.max(-1, keepdims=True)).sum(-1, keepdims=True)",
)
FUNCTIONS = {"tiny_a": "hinge_loss", "tiny_b": "softmax"}


def _md(**kw):
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    base.update(kw)
    return {"nbgrader": base}


def _code(source: str, **kw):
    cell = nbformat.v4.new_code_cell(source)
    if kw:
        cell.metadata = _md(**kw)
    return cell


WRITTEN_ID = "why-mul"
WRITTEN_POINTS = 2


def source_notebooks(*, written: bool = False) -> dict[str, nbformat.NotebookNode]:
    """Return {name: source notebook} of the tiny assignment (solutions + hidden tests).

    ``written=True`` adds a manually graded markdown answer (grade id :data:`WRITTEN_ID`, 2 points, with maths)
    to ``tiny_b``: max score 6 autograded + 2 written.
    """
    a = nbformat.v4.new_notebook()
    a.cells = [
        nbformat.v4.new_markdown_cell("# tiny a"),
        _code("import os\nimport sys\nimport numpy as np"),
        _code(
            "def hinge_loss(scores, y):\n    s = np.asarray(scores, dtype=float)\n    ### BEGIN SOLUTION\n"
            f"    {SOLUTION_LINES[0]}\n    ### END SOLUTION",
            solution=True,
            grade_id="hinge",
        ),
        _code(
            "assert hinge_loss(np.array([3.2, 5.1, -1.7]), 0) == 2.9000000000000004\n"
            f"### BEGIN HIDDEN TESTS\n{VISIBLE_A}\n### END HIDDEN TESTS",
            grade=True,
            locked=True,
            points=1,
            grade_id="hinge-visible",
        ),
        _code(
            f"# hidden tests for hinge_loss\n### BEGIN HIDDEN TESTS\n{HIDDEN_A}\n### END HIDDEN TESTS",
            grade=True,
            locked=True,
            points=2,
            grade_id="hinge-hidden",
        ),
    ]
    b = nbformat.v4.new_notebook()
    b.cells = [
        _code("import numpy as np"),
        _code(
            f"def softmax(s):\n    ### BEGIN SOLUTION\n    {SOLUTION_LINES[1]}\n    ### END SOLUTION",
            solution=True,
            grade_id="softmax",
        ),
        _code(
            f"### BEGIN HIDDEN TESTS\n{HIDDEN_B}\n### END HIDDEN TESTS",
            grade=True,
            locked=True,
            points=3,
            grade_id="softmax-hidden",
        ),
    ]
    if written:
        b.cells.append(nbformat.v4.new_markdown_cell("Why is $a \\times b = b \\times a$? Explain in one line."))
        answer = nbformat.v4.new_markdown_cell(
            "### BEGIN SOLUTION\nMultiplication of numbers commutes: $ab = ba$.\n### END SOLUTION"
        )
        answer.metadata = _md(solution=True, grade=True, points=WRITTEN_POINTS, grade_id=WRITTEN_ID)
        b.cells.append(answer)
    for nb in (a, b):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"tiny_a": a, "tiny_b": b}


def write_source(folder: Path, *, written: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in source_notebooks(written=written).items():
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


def edit_cell(nb, grade_id: str, source: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def make_class(course: Path, out: Path, kinds: dict[str, dict[str, str]]) -> Path:
    """Write ``out/<student>/<notebook>.ipynb`` from the released notebooks.

    ``kinds[student][notebook]`` is "solved" (solution cell from the source), "released" (stub), "missing",
    "invalid" (not JSON) or any other string: the new source of that notebook's solution cell.
    ``kinds[student]["written"]``, when given, is the student's written answer (cell :data:`WRITTEN_ID`).
    """
    release = course / "release" / ASSIGNMENT
    src = source_notebooks()
    for student, plan in kinds.items():
        d = out / student
        d.mkdir(parents=True, exist_ok=True)
        for name in ("tiny_a", "tiny_b"):
            what = plan.get(name, "released")
            if what == "missing":
                continue
            if what == "invalid":
                (d / f"{name}.ipynb").write_text("{ not json")
                continue
            nb = nbformat.read(str(release / f"{name}.ipynb"), as_version=4)
            if what != "released":
                gid = "hinge" if name == "tiny_a" else "softmax"
                code = [c for c in src[name].cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid][
                    0
                ]
                edit_cell(nb, gid, code.source if what == "solved" else what)
            if name == "tiny_b" and "written" in plan:
                edit_cell(nb, WRITTEN_ID, plan["written"])
            nbformat.write(nb, str(d / f"{name}.ipynb"))
    return out


def gradebook_scores(db_url: str, students) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url, "cs231n_lite") as gb:
        for s in students:
            for name in ("tiny_a", "tiny_b"):
                out[s, name] = float(gb.find_submission_notebook(name, ASSIGNMENT, s).score)
    return out


def copy_repo_subset(repo: Path, dest: Path) -> Path:
    """Copy what release/grade read from a repo (cs231n_lite, autograder, requirements.txt) to `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(repo / "cs231n_lite", dest / "cs231n_lite", ignore=ignore)
    shutil.copytree(repo / "autograder", dest / "autograder", ignore=ignore)
    shutil.copy2(repo / "requirements.txt", dest / "requirements.txt")
    return dest


def load_json(path: Path):
    return json.loads(Path(path).read_text())


def grade_tiny_class(tmp: Path, kinds: dict[str, dict[str, str]], *, workers: int):
    """Release the tiny assignment in ``tmp/course``, collect the class `kinds` (see :func:`make_class`) and grade
    it with short limits; return (course folder, GradeResult)."""
    from autograder import api

    course = tmp / "course"
    api.release(course_dir=course, source=write_source(tmp / "src"))
    make_class(course, tmp / "class", kinds)
    api.collect(course_dir=course, source=tmp / "class")
    res = api.grade(
        course_dir=course, workers=workers, options=api.GradeOptions(cell_timeout=10, notebook_timeout=60)
    )
    return course, res


def executed_text(course: Path, student: str, name: str) -> str:
    """Everything the cells of the sandbox-executed notebook printed (stream outputs, glued)."""
    nb = nbformat.read(str(course / ".autograder" / "executed" / student / f"{name}.ipynb"), as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
