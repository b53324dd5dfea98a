"""JupyterLab 4 + the nbgrader lab extension, driven for real in Debian's Chromium.

Student: a released notebook in ``jupyter lab``; Run All stops with ``NotImplementedError`` at the
first TODO; the answer is typed into that cell key by key; the cell and its visible test run and
pass; nbgrader's **Validate** button reports success (the notebook's other TODOs are pre-filled
with the instructor's solutions, so the typed cell is the only one the test changes). Validate is
also pressed once BEFORE typing and must fail, so the success is earned by the typed answer.

TA: after ``python -m autograder roster`` and ``grade`` on a sample class, the nbgrader **Formgrader**
(opened from JupyterLab's Nbgrader menu, served with the course's ``nbgrader_config.py``) lists the
assignment and every student's score, and the scores equal the gradebook's. Then the TA grades one
written answer by hand -- types the points and a comment into Formgrader's form -- and
``python -m autograder export`` and ``feedback`` carry both; the feedback page, opened from disk in
the same browser, renders its maths as MathML with no network.

Screenshots land in ``test-artifacts/browser/`` (git-ignored). Every test stops what it started
(server, kernels, Chromium, Playwright's driver) and asserts that nothing is left running.
Skipped only when ``/usr/bin/chromium`` is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from browser_helpers import (
    ARTIFACTS,
    CHROMIUM,
    REPO,
    VENV_BIN,
    LabServer,
    cell_errors,
    cell_text,
    cells,
    describe,
    leftover_processes,
    menu,
    open_browser,
    run_and_wait,
    screenshot_on_failure,
    type_lines,
    wait_kernel_idle,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `apt-get install chromium` (.ci/run installs it) to run browser tests",
    ),
]

ASSIGNMENT = "linear_classifiers"
NOTEBOOK = "01_scores_and_losses.ipynb"
STUB = "raise NotImplementedError()"


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def stack(tmp_path):
    """An ExitStack for one test's server and browser; teardown stops both, then asserts nothing is left."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as es:
        yield es
    time.sleep(0.2)
    new_children = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and _alive(p)]
    left = leftover_processes(str(tmp_path)) + new_children
    assert not left, f"processes left running after the test:\n{describe(left)}"


def _alive(proc: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return proc.status() != psutil.STATUS_ZOMBIE
    return False


def _autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m autograder <args>``; fail with its output when it exits non-zero."""
    env_path = f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin"
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**_clean_env(), "PATH": env_path, "PYTHONPATH": str(REPO)},
        timeout=240,
    )
    assert proc.returncode == 0, (
        f"`python -m autograder {' '.join(args)}` exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    return proc


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER", "PYTEST"))}


@pytest.fixture(scope="module")
def released_course(tmp_path_factory) -> Path:
    """A course dir after ``python -m autograder release`` (source + release of the assignment)."""
    course = tmp_path_factory.mktemp("course") / "course"
    _autograder("release", "--course-dir", str(course), cwd=REPO)
    assert (course / "release" / ASSIGNMENT / NOTEBOOK).is_file(), f"release wrote no {NOTEBOOK} in {course}"
    return course


# -- notebook preparation ---------------------------------------------------------------------------


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _solution_lines(source: str) -> list[str]:
    """Lines strictly between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""
    lines = source.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.strip() == "### BEGIN SOLUTION")
    end = next(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
    return lines[begin + 1 : end]


def _without_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def _todo_cells(nb) -> list[int]:
    """Indices of code solution cells that still raise the release stub."""
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and _nbg(c).get("solution") and STUB in c.source
    ]


def prepare_student_notebook(released: Path, source: Path, dest: Path) -> dict:
    """Write the released notebook to ``dest`` with every answer cell but the first TODO filled in.

    Every solution cell (code TODOs and written answers) except the first code TODO gets the
    instructor's solution, so after the first TODO is typed the notebook validates.

    Returns ``{"todo": i, "test": j, "answer": code, "expected": text}``: the first TODO cell's index,
    its visible test cell's index (the first grade cell after it), the solution code to type in
    place of the stub line, and the cell's expected text afterwards.
    """
    nb = nbformat.read(released, as_version=4)
    src = nbformat.read(source, as_version=4)
    by_id = {_nbg(c).get("grade_id"): c for c in src.cells if _nbg(c).get("grade_id")}
    todos = _todo_cells(nb)
    assert todos, f"{released} has no cell with {STUB!r}: was it released from the source notebooks?"
    first = todos[0]
    for i, c in enumerate(nb.cells):  # other TODO code cells and written answers: the instructor's
        if _nbg(c).get("solution") and i != first:
            c.source = _without_markers(by_id[_nbg(c)["grade_id"]].source)
    nbformat.write(nb, dest)

    cell = nb.cells[first]
    answer = "\n".join(_solution_lines(by_id[_nbg(cell)["grade_id"]].source))
    stub_line = next(line for line in cell.source.splitlines() if STUB in line)
    expected = cell.source.replace(stub_line, answer)
    test = next(j for j in range(first + 1, len(nb.cells)) if _nbg(nb.cells[j]).get("grade"))
    return {"todo": first, "test": test, "answer": answer, "expected": expected, "cells": len(nb.cells)}


def _student_root(course: Path, tmp_path: Path) -> Path:
    """A copy of the student bundle that release built: released notebooks + ``cs231n_lite`` (no reference)."""
    bundle = course / "student_bundle" / f"cs231n_lite_{ASSIGNMENT}"
    assert (bundle / NOTEBOOK).is_file(), f"release built no student bundle with {NOTEBOOK} at {bundle}"
    assert not (bundle / "cs231n_lite" / "reference").exists(), "the student bundle ships the reference"
    root = tmp_path / "student"
    shutil.copytree(bundle, root)
    return root


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _keep_log(stack: contextlib.ExitStack, base: Path, name: str) -> None:
    """After the server has stopped, copy its log to the artifacts folder (registered before it starts)."""

    def copy():
        with contextlib.suppress(OSError):
            shutil.copy(base / "jupyter-lab.log", ARTIFACTS / name)

    stack.callback(copy)


def _shot(page, name: str) -> Path:
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


# -- tests --------------------------------------------------------------------------------------------


def test_student_runs_types_answer_and_validates(released_course, tmp_path, stack):
    root = _student_root(released_course, tmp_path)
    plan = prepare_student_notebook(
        root / NOTEBOOK,
        released_course / "source" / ASSIGNMENT / NOTEBOOK,
        root / NOTEBOOK,
    )
    _keep_log(stack, tmp_path / "jupyter", "student-jupyter-lab.log")
    server = stack.enter_context(
        LabServer(
            tmp_path / "jupyter",
            root,
            env={"CS231N_LITE_DATASET": "synthetic", "CS231N_LITE_DATA_DIR": str(tmp_path / "data")},
        )
    )
    page = stack.enter_context(open_browser(tmp_path / "chromium"))

    with screenshot_on_failure(page, ARTIFACTS / "student-FAILED.png"):
        _student_session(page, server, plan, root)


def _student_session(page, server: LabServer, plan: dict, root: Path) -> None:
    """The student's clicks and keystrokes, with their checks (see the module docstring)."""
    page.goto(server.lab_url(NOTEBOOK))
    page.locator(".validate-button").wait_for()  # nbgrader's Validate button is in the notebook toolbar
    nb_cells = cells(page)
    todo, test = nb_cells.nth(plan["todo"]), nb_cells.nth(plan["test"])
    todo.locator(".cm-line", has_text=STUB).wait_for()  # editors attach after the toolbar
    assert nb_cells.count() == plan["cells"]
    wait_kernel_idle(page)

    # Run All: execution stops with NotImplementedError at the first TODO's test.
    run_and_wait(page, lambda: menu(page, "Run", "runmenu:run-all"))
    outputs = [cell_errors(nb_cells.nth(i)) for i in range(nb_cells.count())]
    errors = [i for i, out in enumerate(outputs) if "Traceback" in out or "Error" in out]
    assert errors, "Run All raised nothing; expected NotImplementedError from the first TODO"
    assert plan["todo"] < errors[0] <= plan["test"], (errors, plan["todo"], plan["test"])
    assert "NotImplementedError" in outputs[errors[0]]
    prompts = nb_cells.locator(".jp-InputPrompt").all_inner_texts()
    assert all(not re.search(r"\d", p) for p in prompts[errors[0] + 1 :]), "Run All went past the error"
    test.scroll_into_view_if_needed()
    _shot(page, "student-1-run-all-not-implemented.png")

    # Validate now fails: the first TODO is not done.
    page.locator(".validate-button").click()
    dialog = page.locator(".nbgrader-ErrorDialog")
    dialog.wait_for(timeout=120_000)
    assert "NotImplementedError" in dialog.inner_text()
    _shot(page, "student-2-validate-fails-before-answer.png")
    dialog.locator("button.jp-Dialog-button").click()
    dialog.wait_for(state="detached")

    # Type the answer into the TODO cell, key by key.
    type_lines(page, todo, replace_line=STUB, code=plan["answer"])
    assert _lines(cell_text(todo)) == _lines(plan["expected"])
    _shot(page, "student-3-answer-typed.png")

    # Run the TODO cell and every cell up to its visible test (Shift+Enter each), which passes.
    def run_cells():
        for _ in range(plan["todo"], plan["test"] + 1):
            page.keyboard.press("Shift+Enter")

    run_and_wait(page, run_cells)
    test_prompt = test.locator(".jp-InputPrompt").inner_text()
    assert re.search(r"\[\d+\]", test_prompt), f"visible test cell did not run: prompt {test_prompt!r}"
    for i in range(plan["todo"], plan["test"] + 1):
        out = cell_errors(nb_cells.nth(i))
        assert "Error" not in out and "Traceback" not in out, f"cell {i} failed:\n{out}"
    test.scroll_into_view_if_needed()
    _shot(page, "student-4-visible-test-passes.png")

    # Validate: nbgrader saves the notebook, runs it and reports success.
    page.locator(".validate-button").click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.wait_for(timeout=120_000)
    text = dialog.inner_text()
    _shot(page, "student-5-validate-success.png")
    assert "nbgrader-SuccessDialog" in dialog.get_attribute("class"), f"Validate failed:\n{text}"
    assert "Success! Your notebook passes all the tests." in text
    dialog.locator("button.jp-Dialog-button").click()

    saved = nbformat.read(root / NOTEBOOK, as_version=4).cells[plan["todo"]].source
    assert _lines(saved) == _lines(plan["expected"]), "the typed answer is not in the saved notebook"


#: Sample-class students graded for the TA test: the three honest kinds (quick to grade, distinct scores).
SAMPLE_KINDS = ("full", "partial", "untouched")
#: their names on the roster
ROSTER = {"full": ("Ada", "Lovelace"), "partial": ("Charles", "Babbage"), "untouched": ("Marie", "Curie")}
#: the written answer the TA grades by hand (02_svm, 1 point) and the comment typed for it
WRITTEN_NB, WRITTEN_ID = "02_svm", "q-kink"
COMMENT = "Right: the kink of max(0, x) at $x = 0$ is what the numerical gradient trips over."


@pytest.fixture(scope="module")
def graded_course(released_course) -> Path:
    """The released course with a sample class submitted and graded by ``python -m autograder grade``."""
    from autograder.samples import make_sample_class

    make_sample_class(
        source_dir=released_course / "source" / ASSIGNMENT, out_dir=released_course, kinds=list(SAMPLE_KINDS)
    )
    roster = released_course.parent / "roster.csv"
    rows = [f"{sid},{first},{last},{sid}@uni.example" for sid, (first, last) in ROSTER.items()]
    roster.write_text("\n".join(["id,first_name,last_name,email", *rows]) + "\n")
    _autograder("roster", "--course-dir", str(released_course), str(roster), cwd=REPO)
    _autograder("grade", "--course-dir", str(released_course), cwd=REPO)
    return released_course


def _gradebook_scores(course: Path) -> dict[str, tuple[float, float]]:
    """``{student_id: (score, max_score)}`` of the assignment, from the course's own gradebook."""
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    url = cfg.CourseDirectory.get("db_url") or f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        return {s.student_id: (s.score, s.max_score) for s in gb.assignment_submissions(ASSIGNMENT)}


def _score_pair(text: str) -> tuple[float, float]:
    match = re.fullmatch(r"\s*([\d.]+)\s*/\s*([\d.]+)\s*", text)
    assert match, f"score cell {text!r} is not '<score> / <max>'"
    return float(match[1]), float(match[2])


def test_ta_sees_assignment_and_scores_in_formgrader(graded_course, tmp_path, stack):
    expected = _gradebook_scores(graded_course)
    assert expected, f"the gradebook of {graded_course} has no submissions of {ASSIGNMENT}"
    exchange = tmp_path / "exchange"  # nbgrader needs an existing, world-writable exchange root
    exchange.mkdir()
    exchange.chmod(0o777)

    _keep_log(stack, tmp_path / "jupyter", "ta-jupyter-lab.log")
    server = stack.enter_context(
        LabServer(
            tmp_path / "jupyter",
            graded_course,
            cwd=graded_course,  # formgrader reads the course's nbgrader_config.py (CourseDirectory.root) here
            nbgrader_config=f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n",
        )
    )
    page = stack.enter_context(open_browser(tmp_path / "chromium"))

    with screenshot_on_failure(page, ARTIFACTS / "ta-FAILED.png"):
        _ta_session(page, server, expected)


def _ta_session(page, server: LabServer, expected: dict[str, tuple[float, float]]) -> None:
    """The TA's clicks in JupyterLab and the Formgrader, with their checks (see the module docstring)."""
    page.goto(server.lab_url())
    page.locator(".jp-DirListing-item").first.wait_for()
    menu(page, "Nbgrader", "nbgrader:open-formgrader")
    frame = page.frame_locator("#formgrader-iframe iframe")

    # Manage Assignments: the assignment, with one submission per graded student.
    row = frame.locator("tr", has=frame.locator("td", has_text=ASSIGNMENT))
    row.first.wait_for()
    n_submissions = row.first.locator("td.num-submissions").inner_text().strip()
    _shot(page, "ta-1-formgrader-assignments.png")
    assert n_submissions == str(len(expected)), (n_submissions, sorted(expected))

    # Manage Submissions: every student's score equals the gradebook's.
    row.first.locator("td.num-submissions a").click()
    frame.locator("td.student-id").first.wait_for()
    frame.locator("td.student-id", has_text=sorted(expected)[-1]).wait_for()
    ids = [t.strip() for t in frame.locator("tbody td.student-id").all_inner_texts()]
    scores = [_score_pair(t) for t in frame.locator("tbody td.score").all_inner_texts()]
    _shot(page, "ta-2-formgrader-scores.png")
    shown = dict(zip(ids, scores, strict=True))
    assert sorted(shown) == sorted(expected)
    for student, (score, max_score) in expected.items():
        assert shown[student] == pytest.approx((score, max_score), abs=0.01), student
    assert ASSIGNMENT in frame.locator(".breadcrumb").inner_text()
    # The sample class's honest students, in the order their work deserves.
    assert shown["full"][0] > shown["partial"][0] > shown["untouched"][0] == 0, shown


def _open_formgrader(page, server: LabServer):
    """JupyterLab, then Nbgrader > Formgrader (sets the session cookie the direct Formgrader URLs use)."""
    page.goto(server.lab_url())
    page.locator(".jp-DirListing-item").first.wait_for()
    menu(page, "Nbgrader", "nbgrader:open-formgrader")
    page.frame_locator("#formgrader-iframe iframe").locator("td", has_text=ASSIGNMENT).first.wait_for()


def _written_grade(course: Path, student: str):
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    with Gradebook(cfg.CourseDirectory.db_url) as gb:
        g = gb.find_grade(WRITTEN_ID, WRITTEN_NB, ASSIGNMENT, student)
        c = gb.find_comment(WRITTEN_ID, WRITTEN_NB, ASSIGNMENT, student)
        return (
            g.manual_score,
            g.needs_manual_grade,
            c.manual_comment,
            gb.find_submission_notebook(WRITTEN_NB, ASSIGNMENT, student).id,
        )


def test_ta_grades_a_written_answer_in_formgrader_and_export_and_feedback_carry_it(
    graded_course, tmp_path, stack
):
    score, pending, _, sub_id = _written_grade(graded_course, "full")
    assert score is None and pending, "the written answer should wait for a TA before the test grades it"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    _keep_log(stack, tmp_path / "jupyter", "ta-manual-jupyter-lab.log")
    server = stack.enter_context(
        LabServer(
            tmp_path / "jupyter",
            graded_course,
            cwd=graded_course,
            nbgrader_config=f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n",
        )
    )
    page = stack.enter_context(open_browser(tmp_path / "chromium"))
    with screenshot_on_failure(page, ARTIFACTS / "ta-manual-FAILED.png"):
        _open_formgrader(page, server)
        # Manage Students: the roster's names, not "None, None"
        page.goto(f"{server.url}/formgrader/manage_students")
        page.locator("td", has_text="Lovelace").first.wait_for()
        table = page.locator("table").first.inner_text()
        _shot(page, "ta-manual-1-students-with-names.png")
        for first, last in ROSTER.values():
            assert first in table and last in table, table
        assert "None" not in table

        # the submission's grading form: type the points and the comment, leave each field (Tab) to save it
        page.goto(f"{server.url}/formgrader/submissions/{sub_id}/?index=0")
        box = page.locator(f"input.score#{WRITTEN_ID}")
        box.wait_for()
        box.fill("1")
        box.press("Tab")
        comment = page.locator(f"textarea#{WRITTEN_ID}-comment")
        comment.fill(COMMENT)
        comment.press("Tab")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            score, pending, text, _ = _written_grade(graded_course, "full")
            if score == 1 and text == COMMENT and not pending:
                break
            time.sleep(0.3)
        _shot(page, "ta-manual-2-written-answer-graded.png")
        assert (score, pending, text) == (1.0, False, COMMENT), (
            "Formgrader did not save the grade and comment"
        )

        # export and feedback carry the hand-given point and the comment
        out = tmp_path / "export"
        _autograder(
            "export",
            "--course-dir",
            str(graded_course),
            "--out-dir",
            str(out),
            "--format",
            "canvas",
            cwd=REPO,
        )
        q = {
            (r["student"], r["grade_cell"]): r
            for r in csv.DictReader((out / "question_scores.csv").open())
            if r["notebook"] == WRITTEN_NB
        }
        assert (q["full", WRITTEN_ID]["status"], q["full", WRITTEN_ID]["score"]) == ("graded", "1")
        assert q["partial", WRITTEN_ID]["status"] == "pending"
        grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
        assert float(grades["full"]["manual_score"]) == 1.0
        assert float(grades["full"]["pending_points"]) == float(grades["full"]["manual_max"]) - 1
        assert " · written 1/1 graded · " in grades["full"]["summary"], grades["full"]["summary"]
        canvas = list(csv.reader((out / "canvas.csv").open()))
        assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        assert ["Lovelace, Ada", "", "full", "full@uni.example", "", ""] in canvas  # still pending elsewhere
        _autograder("feedback", "--course-dir", str(graded_course), "--student", "full", cwd=REPO)
        html_path = graded_course / "feedback" / "full" / ASSIGNMENT / f"{WRITTEN_NB}.html"
        page.goto(html_path.as_uri())
        panel = page.locator(".nbgrader_cell", has=page.locator(f'a[name="{WRITTEN_ID}"]'))
        panel.first.wait_for()
        body = page.locator("body").inner_text()
        _shot(page, "ta-manual-3-feedback.png")
        assert "Score: 1.0 / 1.0" in panel.first.inner_text()
        assert "the kink of max(0, x) at" in body and "$x = 0$" not in body
        assert "awaiting a TA" not in panel.first.inner_text()
        maths = page.locator("math")
        assert maths.count() >= 2
        box = maths.first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, "MathML did not render"
        other = graded_course / "feedback" / "full" / ASSIGNMENT / "01_scores_and_losses.html"
        assert "awaiting a TA" in other.read_text()  # the answers nobody graded yet say so
