"""Instructor API: keyword-only functions returning result dataclasses (the CLI is a thin shim over these).

===========  ========================================================================================
release      nbgrader generate_assignment + student bundle (folder + zip) + leak scan -> ReleaseResult
collect      Canvas / Moodle / nbgrader exchange / zip_collect / folder downloads, auto-detected -> CollectResult
roster       import students (id, first_name, last_name, email[, lms_user_id]) into the gradebook -> RosterResult
grade        parallel sandboxed execution, nbgrader autograde writes the gradebook -> GradeResult
late_policy  per-course late penalty (nbgrader LateSubmissionPlugin) in nbgrader_config.py -> LatePolicyResult
feedback     per-student HTML with hidden-test source removed -> FeedbackResult
export       grades.csv, question_scores.csv, questions.csv, histogram.png (+ canvas.csv) -> ExportResult
demo         all of the above on a sample class, offline -> DemoResult
===========  ========================================================================================

Examples
--------
>>> from autograder import api
>>> sorted(n for n in api.__all__ if not n[0].isupper())
['collect', 'demo', 'export', 'feedback', 'grade', 'late_policy', 'release', 'roster']
"""

from __future__ import annotations

import inspect
import os
import shutil
from pathlib import Path

from autograder import course as _course
from autograder import grading as _grading
from autograder.collect import collect
from autograder.grading import GradeOptions
from autograder.late import LatePolicyResult
from autograder.late import set_late_policy as late_policy
from autograder.release import release
from autograder.reporting import export, feedback
from autograder.results import (
    AutograderError,
    CollectResult,
    DemoResult,
    ExportResult,
    FeedbackResult,
    GradeResult,
    GradeRow,
    ReleaseResult,
)
from autograder.roster import RosterResult
from autograder.roster import import_roster as roster

__all__ = [
    "release",
    "roster",
    "collect",
    "grade",
    "late_policy",
    "feedback",
    "export",
    "demo",
    "GradeOptions",
    "AutograderError",
    "ReleaseResult",
    "RosterResult",
    "LatePolicyResult",
    "CollectResult",
    "GradeResult",
    "GradeRow",
    "FeedbackResult",
    "ExportResult",
    "DemoResult",
]


def grade(**kwargs) -> GradeResult:
    """:func:`autograder.grading.grade`, then each student's auto / written / pending split from the gradebook.

    Same keyword-only arguments; the result's ``standings`` make the grade table say *autograded x/27 · written
    answers pending (13 points)* until a TA has graded the written answers.
    """
    from autograder import scores

    res = _grading.grade(**kwargs)
    url = _course.resolve_db_url(res.course_dir, kwargs.get("db_url"))
    with _course.gradebook(url) as gb:
        st = scores.standings(gb, res.assignment)
    res.standings = {s: st[s] for s in {r.student for r in res.rows} if s in st}
    return res


grade.__signature__ = inspect.signature(_grading.grade)  # keyword-only, as documented there

DEFAULT_DEMO_DIR = _course.REPO / "build" / "demo"
DEMO_KINDS_FALLBACK = ("full", "untouched", "partial", "broken")


def _minimal_class(source_dir: Path, release_dir: Path, submitted: Path, assignment: str) -> list[str]:
    """A four-student class without autograder.samples: full, untouched, partial (half solved), broken."""
    made = []
    plans = {
        "full": lambda i, nb: source_dir / nb,
        "untouched": lambda i, nb: release_dir / nb,
        "partial": lambda i, nb: (source_dir if i % 2 == 0 else release_dir) / nb,
    }
    names = sorted(p.name for p in release_dir.glob("*.ipynb"))
    for student, pick in plans.items():
        dest = submitted / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        for i, nb in enumerate(names):
            shutil.copy2(pick(i, nb), dest / nb)
        made.append(student)
    dest = submitted / "broken" / assignment
    dest.mkdir(parents=True, exist_ok=True)
    for i, nb in enumerate(names):
        if i == 0:
            (dest / nb).write_text("{ this is not a notebook")
        else:
            shutil.copy2(source_dir / nb, dest / nb)
    made.append("broken")
    return made


def _sample_class(source_dir: Path, release_dir: Path, staging: Path, assignment: str) -> list[str]:
    """Use autograder.samples.make_sample_class (demo kinds) when it exists, else :func:`_minimal_class`."""
    try:
        from autograder import samples
    except ImportError:
        samples = None
    if samples is not None and hasattr(samples, "make_sample_class"):
        params = inspect.signature(samples.make_sample_class).parameters
        kw = {"source_dir": source_dir, "out_dir": staging}
        if "kinds" in params and hasattr(samples, "demo_kinds"):
            kw["kinds"] = sorted(samples.demo_kinds)
        students = samples.make_sample_class(**{k: v for k, v in kw.items() if k in params})
        return [getattr(s, "student_id", str(s)) for s in students]
    return _minimal_class(source_dir, release_dir, staging / "submitted", assignment)


def demo(
    *,
    workdir: str | os.PathLike | None = None,
    workers: int | None = None,
    allow_unsandboxed: bool = False,
    options: GradeOptions | None = None,
    echo=print,
) -> DemoResult:
    """Release, make a sample class, grade it in parallel, print the grade table, write feedback and CSV.

    Everything goes to `workdir` (default ``<repo>/build/demo``): ``course/`` (nbgrader course directory),
    ``class/`` (the sample submissions as handed in), ``export/`` (CSV + histogram). Offline.
    """
    wd = Path(workdir).resolve() if workdir else DEFAULT_DEMO_DIR
    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    cdir = wd / "course"
    echo(f"[demo] release into {cdir}")
    rel = release(course_dir=cdir)
    echo(str(rel))
    staging = wd / "class"
    students = _sample_class(cdir / "source" / rel.assignment, rel.release_dir, staging, rel.assignment)
    echo(f"[demo] sample class of {len(students)} students: {', '.join(students)}")
    col = collect(course_dir=cdir, source=staging / "submitted")
    echo(f"[demo] collected {len(col.students)} submissions")
    echo(f"[demo] grading with {workers or 'all'} workers (sandboxed, synthetic data) ...")
    # grading-mode notebooks take a few seconds per cell at most: a short cell limit keeps the demo quick
    options = options or GradeOptions(cell_timeout=15, notebook_timeout=120)
    res = grade(course_dir=cdir, workers=workers, allow_unsandboxed=allow_unsandboxed, options=options)
    echo(res.table())
    fb = feedback(course_dir=cdir)
    echo(str(fb))
    ex = export(course_dir=cdir, out_dir=wd / "export")
    echo(str(ex))
    return DemoResult(wd, rel, res, fb, ex)
