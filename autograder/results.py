"""Result objects returned by :mod:`autograder.api` (plain dataclasses, printable as tables).

Examples
--------
>>> from autograder.results import GradeRow
>>> GradeRow(student="ada", notebook="02_svm", status="ok", score=3.0, max_score=4.0).fraction
0.75
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AutograderError",
    "ReleaseResult",
    "CollectResult",
    "GradeRow",
    "GradeResult",
    "FeedbackResult",
    "ExportResult",
    "DemoResult",
    "STATUSES",
]

#: Every status a graded notebook can end with.
STATUSES = (
    "ok",  # executed to the end (tests may still fail: that is the score)
    "timeout",  # wall-clock or per-cell time limit hit
    "kernel_died",  # the kernel process died (segfault, os._exit, killed)
    "memory",  # MemoryError or address-space limit
    "output_limit",  # more output than the grader keeps
    "missing_notebook",  # the student did not submit this notebook
    "invalid_notebook",  # not a readable notebook
    "tampered",  # nbgrader metadata changed (points, grade ids, cells...): repaired and graded; message names cells
    "error",  # anything else (the message says what)
)


class AutograderError(RuntimeError):
    """An instructor-facing error: the message says what was expected, what was found, and what to run next."""


@dataclass
class ReleaseResult:
    """What :func:`autograder.api.release` produced."""

    course_dir: Path
    assignment: str
    notebooks: list[str]
    release_dir: Path
    bundle_dir: Path
    bundle_zip: Path
    max_score: float
    leaks: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"released {self.assignment!r}: {len(self.notebooks)} notebooks, max score {self.max_score:g}\n"
            f"  student bundle: {self.bundle_dir}\n  zip: {self.bundle_zip}\n  leak scan: clean"
        )


@dataclass
class CollectResult:
    """Submissions placed in ``<course>/submitted/<student>/<assignment>/``."""

    course_dir: Path
    assignment: str
    students: list[str]
    timestamps: dict[str, str | None]
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"collected {len(self.students)} submissions of {self.assignment!r}"]
        lines += [f"  {s:<24} {self.timestamps.get(s) or '(no timestamp)'}" for s in self.students]
        lines += [f"  skipped: {s}" for s in self.skipped]
        return "\n".join(lines)


@dataclass
class GradeRow:
    """One (student, notebook) outcome. `score` comes from the gradebook after nbgrader's own autograde."""

    student: str
    notebook: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    error: str = ""
    seconds: float = 0.0

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@dataclass
class GradeResult:
    """All rows of one grading run plus how it ran."""

    course_dir: Path
    assignment: str
    rows: list[GradeRow]
    workers: int
    sandboxed: bool
    seconds: float
    gradebook_seconds: float = 0.0  # time spent in phase 2 (nbgrader autograde, the single gradebook writer)

    def totals(self) -> dict[str, tuple[float, float]]:
        """Return ``{student: (score, max_score)}`` summed over notebooks."""
        out: dict[str, tuple[float, float]] = {}
        for r in self.rows:
            s, m = out.get(r.student, (0.0, 0.0))
            out[r.student] = (s + r.score, m + r.max_score)
        return out

    def table(self) -> str:
        """Return the grade table as aligned text."""
        head = f"{'student':<22} {'notebook':<24} {'status':<16} {'score':>11} {'secs':>6}  error"
        lines = [head, "-" * len(head)]
        for r in sorted(self.rows, key=lambda r: (r.student, r.notebook)):
            err = r.error.replace("\n", " ")[:60]
            lines.append(
                f"{r.student:<22} {r.notebook:<24} {r.status:<16} {r.score:>5g}/{r.max_score:<5g} "
                f"{r.seconds:>6.1f}  {err}"
            )
        lines.append("-" * len(head))
        for student, (s, m) in sorted(self.totals().items()):
            lines.append(f"{student:<22} {'TOTAL':<24} {'':<16} {s:>5g}/{m:<5g}")
        mode = "sandboxed (bwrap)" if self.sandboxed else "UNSANDBOXED"
        lines.append(f"{len(self.rows)} notebooks, {self.workers} workers, {mode}, {self.seconds:.1f} s")
        lines.append(
            "max scores include the manually graded written answers: they count 0 until a TA grades them "
            "(JupyterLab > Nbgrader > Formgrader)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


@dataclass
class FeedbackResult:
    """Per-student feedback HTML files (hidden-test source replaced)."""

    course_dir: Path
    assignment: str
    files: dict[str, list[Path]]

    def __str__(self) -> str:
        n = sum(len(v) for v in self.files.values())
        return f"wrote {n} feedback files for {len(self.files)} students under {self.course_dir / 'feedback'}"


@dataclass
class ExportResult:
    """Grades CSV, per-question statistics CSV and a histogram PNG."""

    grades_csv: Path
    questions_csv: Path
    histogram_png: Path
    students: int
    questions: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"exported {self.students} students\n  grades: {self.grades_csv}\n"
            f"  per-question: {self.questions_csv}\n  histogram: {self.histogram_png}"
        )


@dataclass
class DemoResult:
    """Everything the demo made."""

    workdir: Path
    release: ReleaseResult
    grade: GradeResult
    feedback: FeedbackResult
    export: ExportResult
