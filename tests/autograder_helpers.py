"""Helpers for the autograder tests: a tiny two-notebook nbgrader assignment and its submissions.

``tiny_a``: ``add`` (visible test 1 point, hidden test 2 points); ``tiny_b``: ``mul`` (hidden test 3 points).
Max score 6. The hidden tests are plain asserts (no autograder.checks), so scores are exact and fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

ASSIGNMENT = "linear_classifiers"
HIDDEN_A = 'assert add(10, 20) == 30, "add(10, 20) should be 30"'
HIDDEN_B = 'assert mul(6, 7) == 42, "mul(6, 7) should be 42 (tiny_b hidden)"'
HIDDEN_LINES = (HIDDEN_A, HIDDEN_B, "assert add(-1, 1) == 0")
SOLUTION_LINES = ("return a + b  # the secret sum", "return a * b  # the secret product")


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
        _code("import os\nimport sys"),
        _code(
            f"def add(a, b):\n    ### BEGIN SOLUTION\n    {SOLUTION_LINES[0]}\n    ### END SOLUTION",
            solution=True,
            grade_id="add",
        ),
        _code("assert add(1, 2) == 3", grade=True, locked=True, points=1, grade_id="add-visible"),
        _code(
            f"# hidden tests for add\n### BEGIN HIDDEN TESTS\n{HIDDEN_A}\nassert add(-1, 1) == 0\n"
            "### END HIDDEN TESTS",
            grade=True,
            locked=True,
            points=2,
            grade_id="add-hidden",
        ),
    ]
    b = nbformat.v4.new_notebook()
    b.cells = [
        _code(
            f"def mul(a, b):\n    ### BEGIN SOLUTION\n    {SOLUTION_LINES[1]}\n    ### END SOLUTION",
            solution=True,
            grade_id="mul",
        ),
        _code(
            f"### BEGIN HIDDEN TESTS\n{HIDDEN_B}\n### END HIDDEN TESTS",
            grade=True,
            locked=True,
            points=3,
            grade_id="mul-hidden",
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
                gid = "add" if name == "tiny_a" else "mul"
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
