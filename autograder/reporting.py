"""Feedback HTML (hidden-test source removed) and exports (grades CSV, per-question statistics, histogram).

Examples
--------
>>> from autograder.reporting import question_stats
>>> question_stats([{"q": 1.0}, {"q": 0.0}], {"q": 1.0})[0]["pass_rate"]
0.5
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from autograder import course as _course
from autograder.results import AutograderError, ExportResult, FeedbackResult

__all__ = ["feedback", "export", "question_stats", "EXPORT_FORMATS"]


def feedback(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    students: list[str] | None = None,
    db_url: str | None = None,
) -> FeedbackResult:
    """Write ``<course>/feedback/<student>/<assignment>/<notebook>.html`` with nbgrader's generate_feedback.

    Hidden-test cells keep their outcome and error message, but their hidden source (and any traceback or output
    quoting it) is replaced before rendering (:class:`autograder.preprocessors.HideHiddenTests`). Test entries are
    named after their check, written answers nobody graded yet say "awaiting a TA", the heading shows the
    autograded / written split, maths is MathML (offline) and no absolute path remains
    (:mod:`autograder.feedback_html`). The late policy is re-applied first, from the current scores.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades
    from nbgrader.utils import capture_log
    from traitlets.config import Config

    from autograder import late
    from autograder.feedback_html import (
        TEMPLATE_DIR,
        TEMPLATE_NAME,
        FeedbackDetails,
        MathToMathML,
        RedactPaths,
    )
    from autograder.preprocessors import HideHiddenTests

    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    _course.require_release(cdir, url, assignment)
    graded = sorted(p.parent.name for p in (cdir / "autograded").glob(f"*/{assignment}"))
    if students:
        graded = [s for s in graded if s in set(students)]
    if not graded:
        raise AutograderError(
            f"no autograded submissions in {cdir / 'autograded'}: did you run `python -m autograder grade`?"
        )
    late.apply_late_penalties(cdir, url, assignment)  # from the current scores, written answers included
    import nbgrader

    extra = Config()
    extra.GenerateFeedback.preprocessors = [
        FeedbackDetails,  # first: reads the check names from the hidden blocks
        HideHiddenTests,
        GetGrades,
        RedactPaths,
        MathToMathML,
        CSSHTMLHeaderPreprocessor,
    ]
    extra.RedactPaths.host_paths = sorted(
        {
            str(cdir),
            str(_course.REPO),
            str(Path.home()),
            sys.prefix,
            sys.base_prefix,
            "/tmp/grader-lib",
            "/tmp/work",
            "/proc",
        }
    )
    extra.HTMLExporter.template_name = TEMPLATE_NAME
    extra.HTMLExporter.extra_template_basedirs = [
        str(TEMPLATE_DIR),
        str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
    ]
    files: dict[str, list[Path]] = {}
    for student in graded:
        cd, cfg = _course.coursedir(cdir, url, extra)
        cd.assignment_id = assignment
        cd.student_id = student
        app = GenerateFeedback(coursedir=cd, config=cfg)
        app.force = True
        res = capture_log(app)
        if not res.get("success"):
            tail = (res.get("error") or res.get("log") or "").strip().splitlines()[-1:]
            raise AutograderError(f"nbgrader generate_feedback failed for {student}: {tail}")
        files[student] = sorted((cdir / "feedback" / student / assignment).glob("*.html"))
    return FeedbackResult(cdir, assignment, files)


def question_stats(scores: list[dict[str, float]], max_scores: dict[str, float]) -> list[dict]:
    """Per question: n, mean score, mean fraction and pass rate (share of students with full marks)."""
    out = []
    for q, max_score in max_scores.items():
        vals = [s.get(q, 0.0) for s in scores]
        n = len(vals)
        mean = sum(vals) / n if n else 0.0
        out.append(
            {
                "question": q,
                "max_score": max_score,
                "n": n,
                "mean": mean,
                "mean_fraction": mean / max_score if max_score else 0.0,
                "pass_rate": sum(1 for v in vals if max_score and v >= max_score - 1e-9) / n if n else 0.0,
            }
        )
    return out


EXPORT_FORMATS = ("csv", "canvas")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    """Write via a temp file in the same folder, then move into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)
    return path


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".") if x % 1 else f"{x:g}"


def export(
    *,
    course_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    db_url: str | None = None,
    format: str = "csv",
    canvas_column: str | None = None,
) -> ExportResult:
    """Write grades from the gradebook: the generic CSVs and histogram, plus Canvas's gradebook CSV on request.

    Always written (``format="csv"``):

    * ``grades.csv``: one row per student -- student, first_name, last_name, email, status (``final`` or
      ``written answers pending``), summary (as in the grade table), timestamp, seconds_late, late_penalty,
      auto_score, auto_max, manual_score, manual_max, pending_points, score (after penalty; pending answers count
      0), max_score, percent, then one column per notebook;
    * ``question_scores.csv``: one row per student and grade cell -- student, notebook, grade_cell, kind
      (``auto`` test / ``manual`` written answer, from the cell), status (``auto``, ``graded``, ``pending``), score,
      max_score;
    * ``questions.csv``: per grade cell -- notebook, grade_cell, kind, needs_grading (answers still waiting for a
      TA), max_score, n, mean, mean_fraction, pass_rate;
    * ``histogram.png``: the final percentages, or the autograded percentages while written answers are pending.

    ``format="canvas"`` also writes ``canvas.csv`` in Canvas's gradebook import format: the columns ``Student, ID,
    SIS User ID, SIS Login ID, Section`` and one assignment column (`canvas_column`, default the assignment id;
    use Canvas's own ``"Name (12345)"`` header to update an existing assignment), a ``Points Possible`` row, and
    points after the late penalty. ``ID`` is the roster's ``lms_user_id`` (the Canvas user id), ``SIS User ID`` the
    nbgrader id. Students with written answers still pending get an empty cell and are listed in the result.
    """
    from autograder import late, scores

    if format not in EXPORT_FORMATS:
        raise AutograderError(
            f"unknown export format {format!r}: expected one of {', '.join(EXPORT_FORMATS)}"
        )
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    notebooks = _course.require_release(cdir, url, assignment)
    out = Path(out_dir).resolve() if out_dir else cdir / "export"
    out.mkdir(parents=True, exist_ok=True)
    late.apply_late_penalties(cdir, url, assignment)
    per_q, max_q, kinds, pending, q_rows = [], {}, {}, {}, []
    with _course.gradebook(url) as gb:
        a = gb.find_assignment(assignment)
        for nb in a.notebooks:
            k = scores.cell_kinds(nb)
            for gc in nb.grade_cells:
                key = f"{nb.name}:{gc.name}"
                max_q[key] = float(gc.max_score)
                kinds[key] = k[gc.name]
                pending[key] = 0
        st = scores.standings(gb, assignment)
        if not st:
            raise AutograderError(
                f"no graded submissions in {url}: did you run `python -m autograder grade`?"
            )
        people = {s.id: s for s in gb.students}
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            q = {}
            for n in sub.notebooks:
                for g in n.grades:
                    key = f"{n.name}:{g.name}"
                    kind = kinds.get(key, "auto")
                    is_pending = kind == "manual" and bool(g.needs_manual_grade)
                    q[key] = 0.0 if is_pending else float(g.score or 0.0)
                    pending[key] = pending.get(key, 0) + int(is_pending)
                    status = "auto" if kind == "auto" else ("pending" if is_pending else "graded")
                    q_rows.append(
                        [
                            sub.student.id,
                            n.name,
                            g.name,
                            kind,
                            status,
                            "" if is_pending else _fmt(q[key]),
                            _fmt(max_q.get(key, float(g.max_score or 0))),
                        ]
                    )
            per_q.append(q)
        names = {sid: (people[sid].first_name or "", people[sid].last_name or "") for sid in st}
    rows = []
    for sid, s in sorted(st.items()):
        rows.append(
            [
                sid,
                *names[sid],
                s.email,
                "final" if s.final else "written answers pending",
                s.summary(),
                s.timestamp,
                _fmt(s.seconds_late),
                _fmt(s.late_penalty),
                _fmt(s.auto_score),
                _fmt(s.auto_max),
                _fmt(s.manual_score),
                _fmt(s.manual_max),
                _fmt(s.pending_points),
                _fmt(s.score),
                _fmt(s.max_score),
                f"{100.0 * s.score / s.max_score if s.max_score else 0.0:.2f}",
                *[_fmt(s.notebooks[nb].score) if nb in s.notebooks else "0" for nb in notebooks],
            ]
        )
    grades_csv = _write_csv(
        out / "grades.csv",
        [
            "student",
            "first_name",
            "last_name",
            "email",
            "status",
            "summary",
            "timestamp",
            "seconds_late",
            "late_penalty",
            "auto_score",
            "auto_max",
            "manual_score",
            "manual_max",
            "pending_points",
            "score",
            "max_score",
            "percent",
            *notebooks,
        ],
        rows,
    )
    _write_csv(
        out / "question_scores.csv",
        ["student", "notebook", "grade_cell", "kind", "status", "score", "max_score"],
        q_rows,
    )
    stats = question_stats(per_q, max_q)
    questions_csv = _write_csv(
        out / "questions.csv",
        [
            "notebook",
            "grade_cell",
            "kind",
            "needs_grading",
            "max_score",
            "n",
            "mean",
            "mean_fraction",
            "pass_rate",
        ],
        [
            [
                *s["question"].split(":", 1),
                kinds[s["question"]],
                pending.get(s["question"], 0),
                f"{s['max_score']:g}",
                s["n"],
                f"{s['mean']:.4f}",
                f"{s['mean_fraction']:.4f}",
                f"{s['pass_rate']:.4f}",
            ]
            for s in stats
        ],
    )
    waiting = sorted(sid for sid, s in st.items() if not s.final)
    png = out / "histogram.png"
    if waiting:
        auto = [100.0 * s.auto_score / s.auto_max if s.auto_max else 0.0 for s in st.values()]
        pts = max(s.pending_points for s in st.values())
        _histogram(
            auto,
            png,
            f"{assignment}: autograded part only",
            note=f"written answers pending for {len(waiting)} of {len(st)} students (up to {pts:g} points)",
        )
    else:
        _histogram(
            [100.0 * s.score / s.max_score if s.max_score else 0.0 for s in st.values()], png, assignment
        )
    canvas_csv = None
    if format == "canvas":
        column = canvas_column or assignment
        max_total = max((s.max_score for s in st.values()), default=0.0)
        crow = [["    Points Possible", "", "", "", "", _fmt(max_total)]]
        for sid, s in sorted(
            st.items(), key=lambda kv: (names[kv[0]][1].lower(), names[kv[0]][0].lower(), kv[0])
        ):
            first, last = names[sid]
            display = f"{last}, {first}" if (first or last) else sid
            crow.append([display, s.lms_user_id, sid, s.email, "", _fmt(s.score) if s.final else ""])
        canvas_csv = _write_csv(out / "canvas.csv", [*CANVAS_HEADER, column], crow)
    return ExportResult(
        grades_csv,
        questions_csv,
        png,
        len(rows),
        stats,
        canvas_csv=canvas_csv,
        question_scores_csv=out / "question_scores.csv",
        pending=waiting,
    )


def _histogram(percents: list[float], path: Path, title: str, *, note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(percents, bins=[i * 10 for i in range(11)], edgecolor="black")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("students")
    ax.set_title(f"{title}: {len(percents)} students" + (f"\n{note}" if note else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
