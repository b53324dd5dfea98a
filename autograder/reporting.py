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
from pathlib import Path

from autograder import course as _course
from autograder.results import AutograderError, ExportResult, FeedbackResult

__all__ = ["feedback", "export", "question_stats"]


def feedback(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    students: list[str] | None = None,
    db_url: str | None = None,
) -> FeedbackResult:
    """Write ``<course>/feedback/<student>/<assignment>/<notebook>.html`` with nbgrader's generate_feedback.

    Hidden-test cells keep their outcome and error message, but their hidden source (and any traceback or output
    quoting it) is replaced before rendering (:class:`autograder.preprocessors.HideHiddenTests`).
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades
    from nbgrader.utils import capture_log
    from traitlets.config import Config

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
    extra = Config()
    extra.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
    extra.HTMLExporter.template_name = "feedback"
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


def export(
    *,
    course_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    db_url: str | None = None,
) -> ExportResult:
    """Write ``grades.csv`` (one row per student), ``questions.csv`` and ``histogram.png`` from the gradebook.

    ``grades.csv`` columns: student, timestamp, seconds_late, late_penalty, score (after penalty), max_score,
    percent, then one column per notebook. ``questions.csv``: notebook, grade cell, kind (``auto`` for test cells,
    ``manual`` for written answers), needs_grading (answers a TA has not graded yet; they count 0 until then),
    max_score, n, mean, mean_fraction, pass_rate.
    """
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    notebooks = _course.require_release(cdir, url, assignment)
    out = Path(out_dir).resolve() if out_dir else cdir / "export"
    out.mkdir(parents=True, exist_ok=True)
    rows, per_q, max_q, manual, pending = [], [], {}, set(), {}
    with _course.gradebook(url) as gb:
        a = gb.find_assignment(assignment)
        for nb in a.notebooks:
            for gc in nb.grade_cells:
                max_q[f"{nb.name}:{gc.name}"] = float(gc.max_score)
        subs = sorted(a.submissions, key=lambda s: s.student.id)
        if not subs:
            raise AutograderError(
                f"no graded submissions in {url}: did you run `python -m autograder grade`?"
            )
        for sub in subs:
            by_nb = {n.name: float(n.score) for n in sub.notebooks}
            penalty = float(sub.late_submission_penalty or 0.0)
            score = float(sub.score) - penalty
            rows.append(
                {
                    "student": sub.student.id,
                    "timestamp": sub.timestamp.isoformat(" ") if sub.timestamp else "",
                    "seconds_late": float(sub.total_seconds_late or 0.0),
                    "late_penalty": penalty,
                    "score": score,
                    "max_score": float(sub.max_score),
                    "percent": 100.0 * score / float(sub.max_score) if sub.max_score else 0.0,
                    **{nb: by_nb.get(nb, 0.0) for nb in notebooks},
                }
            )
            q = {}
            for n in sub.notebooks:
                for g in n.grades:
                    key = f"{n.name}:{g.name}"
                    q[key] = float(g.score)
                    if g.auto_score is None:  # nbgrader leaves written answers to a TA
                        manual.add(key)
                    pending[key] = pending.get(key, 0) + int(bool(g.needs_manual_grade))
            per_q.append(q)
    grades_csv = out / "grades.csv"
    with grades_csv.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    stats = question_stats(per_q, max_q)
    questions_csv = out / "questions.csv"
    with questions_csv.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
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
            ]
        )
        for s in stats:
            nb, cell = s["question"].split(":", 1)
            w.writerow(
                [
                    nb,
                    cell,
                    "manual" if s["question"] in manual else "auto",
                    pending.get(s["question"], 0),
                    f"{s['max_score']:g}",
                    s["n"],
                    f"{s['mean']:.4f}",
                    f"{s['mean_fraction']:.4f}",
                    f"{s['pass_rate']:.4f}",
                ]
            )
    png = out / "histogram.png"
    _histogram([r["percent"] for r in rows], png, assignment)
    return ExportResult(grades_csv, questions_csv, png, len(rows), stats)


def _histogram(percents: list[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(percents, bins=[i * 10 for i in range(11)], edgecolor="black")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("students")
    ax.set_title(f"{title}: {len(percents)} students")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
