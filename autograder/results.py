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
    "worker_killed",  # its grading task was on more Dask workers that died than allowed (autograder.cluster)
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
    layout: str = ""
    renamed: list[str] = field(default_factory=list)  # "<student>: <file as submitted> -> <notebook>.ipynb"
    unknown: list[str] = field(default_factory=list)  # students not on the roster, by name
    no_roster: bool = False  # the gradebook has no roster yet
    lms_late: list[str] = field(default_factory=list)  # students the LMS marked late (Canvas's `late`)
    missing: dict[str, list[str]] = field(default_factory=dict)  # student -> notebooks not handed in

    def __str__(self) -> str:
        how = f" ({self.layout} layout)" if self.layout else ""
        lines = [f"collected {len(self.students)} submissions of {self.assignment!r}{how}"]
        for s in self.students:
            marks = []
            if s in self.lms_late:
                marks.append("LMS: late")
            if self.missing.get(s):
                marks.append("missing " + ", ".join(self.missing[s]))
            extra = f"  [{'; '.join(marks)}]" if marks else ""
            lines.append(f"  {s:<24} {self.timestamps.get(s) or '(no timestamp)'}{extra}")
        lines += [f"  renamed: {r}" for r in self.renamed]
        lines += [f"  skipped: {s}" for s in self.skipped]
        if self.unknown:
            lines.append(
                f"  NOT ON THE ROSTER ({len(self.unknown)}): "
                + "; ".join(self.unknown)
                + " -- add them to the roster CSV and run `python -m autograder roster FILE.csv`"
            )
        elif self.no_roster:
            lines.append(
                "  no roster imported yet: `python -m autograder roster FILE.csv` gives Formgrader names"
            )
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
    #: {student: autograder.scores.Standing} read back from the gradebook (auto / written / pending split)
    standings: dict = field(default_factory=dict)
    client_cpu_seconds: float = (
        0.0  # CPU of the client's serial part (sanitizing + phase 2), see autograder.cluster
    )
    resumed: int = 0  # submissions kept from an earlier run (not graded again)

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
            part = (
                self.standings[r.student].notebooks.get(r.notebook) if r.student in self.standings else None
            )
            if part is not None and part.manual_max:
                score = f"{part.auto_score:>5g}/{part.auto_max:<5g}"
                written = (
                    f"written {part.manual_score:g}/{part.manual_max:g}"
                    if part.final
                    else f"+{part.pending_points:g} written pending"
                )
                err = f"{written}; {err}" if err else written
            else:
                score = f"{r.score:>5g}/{r.max_score:<5g}"
            lines.append(f"{r.student:<22} {r.notebook:<24} {r.status:<16} {score} {r.seconds:>6.1f}  {err}")
        lines.append("-" * len(head))
        for student, (s, m) in sorted(self.totals().items()):
            st = self.standings.get(student)
            total = st.summary() if st is not None else f"{s:g}/{m:g}"
            lines.append(f"{student:<22} {'TOTAL':<24} {total}")
        mode = "sandboxed (bwrap)" if self.sandboxed else "UNSANDBOXED"
        lines.append(f"{len(self.rows)} notebooks, {self.workers} workers, {mode}, {self.seconds:.1f} s")
        if any(not st.final for st in self.standings.values()):
            lines.append(
                "scores in the notebook rows are the autograded part; written answers count once a TA grades them "
                "(JupyterLab > Nbgrader > Formgrader, then `python -m autograder export`)"
            )
        elif not self.standings:
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
    canvas_csv: Path | None = None
    question_scores_csv: Path | None = None
    pending: list[str] = field(default_factory=list)  # students whose written answers still wait for a TA

    def __str__(self) -> str:
        lines = [
            f"exported {self.students} students",
            f"  grades: {self.grades_csv}",
            f"  per-question statistics: {self.questions_csv}",
        ]
        if self.question_scores_csv:
            lines.append(f"  per-student per-question: {self.question_scores_csv}")
        if self.canvas_csv:
            lines.append(f"  Canvas gradebook import: {self.canvas_csv}")
        lines.append(f"  histogram: {self.histogram_png}")
        if self.pending:
            lines.append(
                f"  written answers pending for {len(self.pending)} student{'s' if len(self.pending) != 1 else ''} "
                "(grade them in Formgrader, then export "
                f"again): {', '.join(self.pending[:10])}" + (" ..." if len(self.pending) > 10 else "")
            )
        return "\n".join(lines)


@dataclass
class DemoResult:
    """Everything the demo made."""

    workdir: Path
    release: ReleaseResult
    grade: GradeResult
    feedback: FeedbackResult
    export: ExportResult
