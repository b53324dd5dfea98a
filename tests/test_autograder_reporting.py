"""Feedback HTML never shows hidden-test source; export numbers match the gradebook (real grading, 3 students)."""

from __future__ import annotations

import csv
import html
import re

import autograder_helpers as h
import nbformat
import pytest

from autograder import api
from autograder.preprocessors import HideHiddenTests, ReplayExecute, hide_hidden_source
from autograder.reporting import question_stats


def _visible_text(path) -> str:
    """The HTML as a reader sees it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reporting")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"), due="2026-12-01 17:00:00 UTC")
    h.make_class(
        course,
        tmp / "class",
        {"ada": {"tiny_a": "solved", "tiny_b": "solved"}, "bob": {}, "eve": {"tiny_a": "solved"}},
    )
    # eve adds a last cell that prints the kernel's input history (hidden tests included) and a traceback
    path = tmp / "class" / "eve" / "tiny_b.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(_ih)\nraise ValueError(str(_ih[-2]))"))
    nbformat.write(nb, str(path))
    (tmp / "class" / "eve" / "timestamp.txt").write_text("2026-12-01 18:00:00 UTC")  # one hour late
    api.collect(course_dir=course, source=tmp / "class")
    api.grade(course_dir=course, workers=2, options=api.GradeOptions(cell_timeout=20, notebook_timeout=60))
    return course


@pytest.mark.slow
def test_feedback_has_outcomes_but_no_hidden_source(course):
    fb = api.feedback(course_dir=course)
    assert sorted(fb.files) == ["ada", "bob", "eve"]
    assert all(len(v) == 2 for v in fb.files.values())
    for files in fb.files.values():
        for f in files:
            text = _visible_text(f)
            for line in h.HIDDEN_LINES:
                assert line not in text, (f, line)
            assert "BEGIN HIDDEN TESTS" not in text
    bob_a = _visible_text(course / "feedback" / "bob" / h.ASSIGNMENT / "tiny_a.html")
    assert "# hidden test" in bob_a and "NotImplementedError" in bob_a
    eve_b = _visible_text(course / "feedback" / "eve" / h.ASSIGNMENT / "tiny_b.html")
    assert "[hidden test]" in eve_b


@pytest.mark.slow
def test_export_matches_the_gradebook(course, tmp_path):
    ex = api.export(course_dir=course, out_dir=tmp_path)
    rows = {r["student"]: r for r in csv.DictReader(ex.grades_csv.open())}
    assert sorted(rows) == ["ada", "bob", "eve"]
    db = h.gradebook_scores(f"sqlite:///{course / 'gradebook.db'}", rows)
    for s, r in rows.items():
        assert float(r["tiny_a"]) == db[s, "tiny_a"] and float(r["tiny_b"]) == db[s, "tiny_b"]
        assert float(r["score"]) == db[s, "tiny_a"] + db[s, "tiny_b"]
        assert float(r["max_score"]) == 6.0
    assert [float(rows[s]["score"]) for s in ("ada", "bob", "eve")] == [6.0, 0.0, 3.0]
    assert [float(rows[s]["seconds_late"]) for s in ("ada", "bob", "eve")] == [0.0, 0.0, 3600.0]
    assert rows["eve"]["timestamp"] == "2026-12-01 18:00:00"
    q = {(r["notebook"], r["grade_cell"]): r for r in csv.DictReader(ex.questions_csv.open())}
    assert float(q["tiny_a", "add-hidden"]["pass_rate"]) == pytest.approx(2 / 3, abs=1e-4)
    assert float(q["tiny_a", "add-hidden"]["mean"]) == pytest.approx(4 / 3, abs=1e-4)
    assert float(q["tiny_b", "mul-hidden"]["pass_rate"]) == pytest.approx(1 / 3, abs=1e-4)
    assert {(r["kind"], r["needs_grading"]) for r in q.values()} == {("auto", "0")}  # no written answers here
    assert ex.histogram_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_question_stats_numbers():
    stats = question_stats([{"a": 2.0, "b": 0.0}, {"a": 1.0}, {"a": 2.0, "b": 1.0}], {"a": 2.0, "b": 1.0})
    assert stats[0] == {
        "question": "a",
        "max_score": 2.0,
        "n": 3,
        "mean": 5 / 3,
        "mean_fraction": 5 / 6,
        "pass_rate": 2 / 3,
    }
    assert stats[1]["pass_rate"] == 1 / 3 and stats[1]["mean"] == 1 / 3


def test_hide_hidden_tests_preprocessor_strips_source_tracebacks_and_echoes():
    nb = h.source_notebooks()["tiny_a"]
    hidden = nb.cells[4]
    hidden.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="add(10, 20) should be 30",
            traceback=["----> 3 " + h.HIDDEN_A, "AssertionError: ..."],
        )
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="history: " + h.HIDDEN_A)]
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert hidden.source == "# hidden tests for add\n# hidden test"
    assert hidden.outputs[0].traceback == ["AssertionError: add(10, 20) should be 30"]
    assert h.HIDDEN_A not in nb.cells[1].outputs[0].text
    assert (
        hide_hidden_source("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS\nc") == "a\n# hidden test\nc"
    )


def test_replay_execute_zeroes_grade_cells_that_did_not_run(tmp_path):
    nb = h.source_notebooks()["tiny_a"]
    pp = ReplayExecute(executed_dir=str(tmp_path))
    res = {"nbgrader": {"student": "zed", "notebook": "tiny_a"}}
    (tmp_path / "zed").mkdir()
    (tmp_path / "zed" / "tiny_a.json").write_text('{"status": "timeout", "error": "too slow"}')
    out, _ = pp.preprocess(nb, res)
    errors = {c.metadata["nbgrader"]["grade_id"]: c.outputs[-1].evalue for c in out.cells if c.get("outputs")}
    assert errors == {
        "add-visible": "this cell did not run: too slow",
        "add-hidden": "this cell did not run: too slow",
    }
    # an executed notebook whose sources differ (e.g. edited hidden tests) is not replayed
    other = h.source_notebooks()["tiny_a"]
    other.cells[4].source = "pass"
    for c in other.cells:
        if c.cell_type == "code":
            c.execution_count, c.outputs = 1, []
    nbformat.write(other, str(tmp_path / "zed" / "tiny_a.ipynb"))
    out, _ = pp.preprocess(h.source_notebooks()["tiny_a"], res)
    assert "does not match" in out.cells[4].outputs[-1].evalue
