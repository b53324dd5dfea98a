"""Feedback and export from a really graded class: hidden source hidden, the written-answer split, late policy."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import autograder_helpers as h
import lms_helpers as lms
import nbformat
import pytest

from autograder import api
from autograder.feedback_html import check_title, math_to_mathml, redact_paths
from autograder.preprocessors import HideHiddenTests, ReplayExecute, hide_hidden_source
from autograder.reporting import question_stats


def _visible_text(path) -> str:
    """The HTML as a reader sees it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Four students, graded for real: a written answer (2 points) per student, a 10 %/day late policy capped at 25 %.

    ada: all solved, answer written, on time -- bob: nothing, no timestamp -- eve: tiny_a solved, prints the kernel's
    input history, 1 h late, answer left as the stub -- cyd: all solved, answer written, 3 days late.
    """
    tmp = tmp_path_factory.mktemp("reporting")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src", written=True), due=lms.DUE_TEXT)
    (tmp / "roster.csv").write_text(lms.ROSTER_CSV)
    api.roster(course_dir=course, path=tmp / "roster.csv")
    api.late_policy(course_dir=course, per_day=0.10, max_fraction=0.25)
    answer = "Because $ab = ba$: multiplication commutes."
    h.make_class(
        course,
        tmp / "class",
        {
            "ada": {"tiny_a": "solved", "tiny_b": "solved", "written": answer},
            "bob": {},
            "eve": {"tiny_a": "solved"},
            "cyd": {"tiny_a": "solved", "tiny_b": "solved", "written": answer},
        },
    )
    # eve adds a last cell that prints the kernel's input history (hidden tests included) and a traceback
    path = tmp / "class" / "eve" / "tiny_b.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("import os\nprint(_ih, os.getcwd())\nraise ValueError(str(_ih[-2]))")
    )
    nbformat.write(nb, str(path))
    for student, when in (("ada", lms.ON_TIME), ("eve", lms.ONE_HOUR_LATE), ("cyd", lms.THREE_DAYS_LATE)):
        (tmp / "class" / student / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S UTC"))
    api.collect(course_dir=course, source=tmp / "class")
    res = api.grade(
        course_dir=course, workers=2, options=api.GradeOptions(cell_timeout=20, notebook_timeout=60)
    )
    return course, res


def _rows(path):
    return {r["student"]: r for r in csv.DictReader(path.open())}


@pytest.mark.slow
def test_grade_table_shows_the_written_answers_pending(course):
    _, res = course
    table = res.table()
    totals = {line.split()[0]: line for line in table.splitlines() if " TOTAL " in line}
    assert totals["ada"].endswith("autograded 6/6 · written answers pending (2 points)")
    # eve left the answer as released: nbgrader scores it 0 itself, nothing is pending
    assert totals["eve"].endswith("2.7/8 (autograded 3/6 · written 0/2 − late penalty 0.3)"), totals["eve"]
    assert totals["cyd"].endswith("autograded 6/6 · written answers pending (2 points) − late penalty 1.5")
    assert "+2 written pending" in table


@pytest.mark.slow
def test_feedback_has_outcomes_but_no_hidden_source(course):
    course, _ = course
    fb = api.feedback(course_dir=course)
    assert sorted(fb.files) == ["ada", "bob", "cyd", "eve"]
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
    # eve printed the kernel's input history: the hidden lines were never in that kernel, so nothing to redact
    assert "ValueError" in eve_b and "checks.check" not in eve_b


@pytest.mark.slow
def test_feedback_names_tests_says_awaiting_a_ta_renders_maths_offline_and_shows_no_paths(course):
    course, _ = course
    api.feedback(course_dir=course)
    raw = (course / "feedback" / "ada" / h.ASSIGNMENT / "tiny_b.html").read_text()
    text = _visible_text(course / "feedback" / "ada" / h.ASSIGNMENT / "tiny_b.html")
    assert "tiny_b — autograded 3/3 · written answers pending (2 points)" in text
    assert "Test cell" not in text and "softmax (hidden cases)" in text
    assert "awaiting a TA: 2.0 points, not graded yet" in text
    assert "cdnjs" not in raw and "mathjax" not in raw.lower() and not re.search(r"(src|href)=\"https?:", raw)
    assert raw.count("<math ") >= 2 and "$ab = ba$" not in text  # question and answer maths are MathML
    a_text = _visible_text(course / "feedback" / "ada" / h.ASSIGNMENT / "tiny_a.html")
    assert "hinge_loss (visible cases)" in a_text and "hinge_loss (hidden cases)" in a_text
    eve = (course / "feedback" / "eve" / h.ASSIGNMENT / "tiny_b.html").read_text()
    for f in (course / "feedback").rglob("*.html"):
        body = f.read_text()
        for secret in (str(course), str(api._course.REPO), "/tmp/", str(Path.home())):
            assert secret not in body, (f, secret)
    assert "…/work" in html.unescape(eve)  # the sandbox's working folder, printed by eve, is redacted


@pytest.mark.slow
def test_export_before_the_ta_grades(course, tmp_path):
    course, _ = course
    ex = api.export(course_dir=course, out_dir=tmp_path, format="canvas")
    rows = _rows(ex.grades_csv)
    assert sorted(rows) == ["ada", "bob", "cyd", "eve"]
    db = h.gradebook_scores(f"sqlite:///{course / 'gradebook.db'}", rows)
    for s, r in rows.items():
        assert float(r["tiny_a"]) + float(r["tiny_b"]) == pytest.approx(float(r["score"]))
        assert float(r["auto_score"]) + float(r["manual_score"]) - float(r["late_penalty"]) == pytest.approx(
            float(r["score"])
        )
        assert float(r["max_score"]) == 8.0 and float(r["auto_max"]) == 6.0 and float(r["manual_max"]) == 2.0
        assert float(r["auto_score"]) == db[s, "tiny_a"] + db[s, "tiny_b"]
    assert {s: r["status"] for s, r in rows.items()} == {
        "ada": "written answers pending",
        "bob": "final",
        "cyd": "written answers pending",
        "eve": "final",
    }
    assert [float(rows[s]["score"]) for s in ("ada", "bob", "cyd", "eve")] == [6.0, 0.0, 4.5, 2.7]
    assert [float(rows[s]["seconds_late"]) for s in ("ada", "bob", "cyd", "eve")] == [
        0.0,
        0.0,
        259200.0,
        3600.0,
    ]
    assert rows["eve"]["timestamp"] == "2026-12-01 18:00:00" and rows["eve"]["first_name"] == "Eve"
    q = {(r["notebook"], r["grade_cell"]): r for r in csv.DictReader(ex.questions_csv.open())}
    assert (q["tiny_b", h.WRITTEN_ID]["kind"], q["tiny_b", h.WRITTEN_ID]["needs_grading"]) == ("manual", "2")
    assert {r["kind"] for k, r in q.items() if k[1] != h.WRITTEN_ID} == {"auto"}
    assert float(q["tiny_a", "hinge-hidden"]["pass_rate"]) == pytest.approx(3 / 4, abs=1e-4)
    assert float(q["tiny_b", "softmax-hidden"]["pass_rate"]) == pytest.approx(2 / 4, abs=1e-4)
    per = [r for r in csv.DictReader(ex.question_scores_csv.open()) if r["grade_cell"] == h.WRITTEN_ID]
    assert {r["student"]: r["status"] for r in per} == {
        "ada": "pending",
        "bob": "graded",
        "cyd": "pending",
        "eve": "graded",
    }
    assert ex.pending == ["ada", "cyd"]
    with ex.canvas_csv.open() as fh:
        canvas = list(csv.reader(fh))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "linear_classifiers"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "8"]
    by_sis = {r[2]: r for r in canvas[2:]}
    assert by_sis["bob"] == ["Babbage, Charles", "1001", "bob", "bob@uni.example", "", "0"]
    assert by_sis["ada"][5] == "" and by_sis["cyd"][5] == ""  # pending: nothing sent to the LMS yet
    assert by_sis["eve"][5] == "2.7"
    assert ex.histogram_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _ta_grades(course, student, points, comment):
    """What Formgrader does when a TA types a score and a comment: set the manual score, clear the flag."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        g = gb.find_grade(h.WRITTEN_ID, "tiny_b", h.ASSIGNMENT, student)
        g.manual_score = points
        g.needs_manual_grade = False
        c = gb.find_comment(h.WRITTEN_ID, "tiny_b", h.ASSIGNMENT, student)
        c.manual_comment = comment
        gb.db.commit()


@pytest.mark.slow
def test_after_the_ta_grades_export_and_feedback_carry_it_and_the_late_policy_covers_it(course, tmp_path):
    course, _ = course
    _ta_grades(course, "ada", 2.0, "Right: $ab=ba$.")
    _ta_grades(course, "cyd", 1.0, "Half right.")
    ex = api.export(course_dir=course, out_dir=tmp_path, format="canvas")
    rows = _rows(ex.grades_csv)
    assert rows["ada"]["status"] == "final" and float(rows["ada"]["score"]) == 8.0
    assert rows["ada"]["summary"] == "8/8 (autograded 6/6 · written 2/2)"
    assert float(rows["cyd"]["score"]) == pytest.approx(
        7.0 * 0.75
    )  # the 25 % cap now covers the written point
    assert ex.pending == []
    canvas = {r[2]: r[5] for r in list(csv.reader(ex.canvas_csv.open()))[2:]}
    assert canvas == {"ada": "8", "bob": "0", "cyd": "5.25", "eve": "2.7"}
    api.feedback(course_dir=course, students=["ada"])
    text = _visible_text(course / "feedback" / "ada" / h.ASSIGNMENT / "tiny_b.html")
    assert "awaiting a TA" not in text and "Score: 2.0 / 2.0" in text
    assert "tiny_b — 5/5 (autograded 3/3 · written 2/2)" in text and "Right:" in text
    # a stricter policy, set after grading, is applied by the next export
    api.late_policy(course_dir=course, per_day=0.10, max_fraction=0.25, zero_after_days=2)
    rows = _rows(api.export(course_dir=course, out_dir=tmp_path).grades_csv)
    assert [float(rows[s]["score"]) for s in ("ada", "cyd", "eve")] == [8.0, 0.0, 2.7]


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
    assert hidden.source == "# hidden tests for hinge_loss\n# hidden test"
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
        "hinge-visible": "this cell did not run: too slow",
        "hinge-hidden": "this cell did not run: too slow",
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('File "/tmp/grader-lib/cs231n_lite/vis.py", line 3', 'File "cs231n_lite/vis.py", line 3'),
        ("cwd /tmp/work", "cwd …/work"),
        (
            "\x1b[0;32m/srv/course/autograder/grading.py\x1b[0m:12",
            "\x1b[0;32mautograder/grading.py\x1b[0m:12",
        ),
        (
            "see https://www.cs.toronto.edu/~kriz/cifar.html or 3/4",
            "see https://www.cs.toronto.edu/~kriz/cifar.html or 3/4",
        ),
        ("home /home/ta/.cache/x.npz done", "home …/x.npz done"),
    ],
)
def test_redact_paths(text, expected):
    assert redact_paths(text) == expected


def test_math_to_mathml_keeps_code_and_dollars_that_are_not_maths():
    out = math_to_mathml("Loss $L_i = \\max(0, s_j)$ and $$\\frac{a}{b}$$, costs $5 and `x = $y$`.")
    assert out.count("<math ") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "costs $5" in out and "`x = $y$`" in out
    assert math_to_mathml("\\(x^2\\)").startswith("<math ")


def test_check_titles():
    line = 'from autograder import checks; checks.check("svm_loss_naive", svm_loss_naive, cases="visible")'
    assert (
        check_title(f"a\n### BEGIN HIDDEN TESTS\n{line}\n", "svm-naive-visible")
        == "svm_loss_naive (visible cases)"
    )
    assert check_title('checks.check("softmax", softmax)', "x") == "softmax (hidden cases)"
    assert check_title("assert f(1) == 1", "svm-naive-hidden") == "svm naive (hidden tests)"
