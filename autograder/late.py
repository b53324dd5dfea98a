"""Late policy: a per-course setting applied by nbgrader's own late-penalty step (``AssignLatePenalties``).

:class:`LatePolicy` is an :class:`nbgrader.plugins.LateSubmissionPlugin`; the course's ``nbgrader_config.py`` names
it (``c.AssignLatePenalties.plugin_class = "autograder.late.LatePolicy"``), so both ``python -m autograder grade``
and a TA's plain ``nbgrader autograde`` apply it, from the submission time nbgrader read from ``timestamp.txt``
(kept by ``collect``) and the assignment's due date (``release --due`` or ``late-policy --due``).

* ``per_day``: fraction of the score taken per day late or part of a day (0.10 = 10 %/day);
* ``max_fraction``: cap on that fraction (0.5 = never more than half the score);
* ``zero_after_days``: more than this many days late scores zero (0 = never);
* ``grace_minutes``: minutes after the due date that do not count.

nbgrader stores the penalty per notebook when it autogrades, i.e. before a TA grades the written answers.
:func:`apply_late_penalties` runs the same ``AssignLatePenalties`` step again from the current scores; ``feedback``
and ``export`` call it, so a percentage penalty also covers the manually graded points.

Examples
--------
>>> LatePolicy(per_day=0.1, max_fraction=0.5).fraction(3600)
0.1
>>> LatePolicy(per_day=0.1, max_fraction=0.25).fraction(3 * 86400)
0.25
>>> LatePolicy(per_day=0.1, zero_after_days=2).fraction(3 * 86400)
1.0
>>> LatePolicy(per_day=0.1).late_submission_penalty("ada", 30.0, 0)
0.0
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

from autograder import course as _course
from autograder.results import AutograderError

__all__ = ["LatePolicy", "apply_late_penalties", "set_late_policy", "LatePolicyResult", "DAY"]

DAY = 86400.0
BEGIN = "# >>> autograder late policy (written by `python -m autograder late-policy`; edit or rerun it)"
END = "# <<< autograder late policy"


class LatePolicy(LateSubmissionPlugin):
    """Per-day percentage penalty with a cap, and/or zero after N days (see the module docstring)."""

    per_day = Float(0.0, help="fraction of the score taken per (started) day late, e.g. 0.1").tag(config=True)
    max_fraction = Float(1.0, help="cap on the fraction taken, e.g. 0.5").tag(config=True)
    zero_after_days = Float(0.0, help="more than this many days late scores zero (0 = never)").tag(
        config=True
    )
    grace_minutes = Float(0.0, help="minutes after the due date that are not late").tag(config=True)

    def days_late(self, total_seconds_late: float) -> int:
        """Started days late after the grace period (1 s late = day 1)."""
        late = max(0.0, float(total_seconds_late) - 60.0 * self.grace_minutes)
        return math.ceil(late / DAY - 1e-9) if late > 0 else 0

    def fraction(self, total_seconds_late: float) -> float:
        """Fraction of the score this lateness costs (0..1)."""
        days = self.days_late(total_seconds_late)
        if days == 0:
            return 0.0
        late = max(0.0, float(total_seconds_late) - 60.0 * self.grace_minutes)
        if self.zero_after_days and late > self.zero_after_days * DAY:
            return 1.0
        return round(min(1.0, self.max_fraction, self.per_day * days), 10)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        frac = self.fraction(total_seconds_late)
        self.log.info(
            "late policy: %s is %.0f s late (%d started days): penalty %.0f %% of %s",
            student_id,
            total_seconds_late,
            self.days_late(total_seconds_late),
            100 * frac,
            score,
        )
        return round(float(score) * frac, 6)


def apply_late_penalties(course_dir: Path, db_url: str, assignment: str) -> int:
    """Re-run nbgrader's ``AssignLatePenalties`` on every submitted notebook from its CURRENT score.

    Returns the number of notebooks updated. Does nothing for notebooks that are not late.
    """
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties

    cfg = _course.nbgrader_config(course_dir, db_url)
    n = 0
    with _course.gradebook(db_url) as gb:
        subs = [
            (s.student.id, [nb.name for nb in s.notebooks])
            for s in gb.find_assignment(assignment).submissions
            if s.total_seconds_late > 0
        ]
    for student, notebooks in subs:
        for name in notebooks:
            pp = AssignLatePenalties(config=cfg)
            res = {
                "nbgrader": {"notebook": name, "assignment": assignment, "student": student, "db_url": db_url}
            }
            pp.preprocess(nbformat.v4.new_notebook(), res)
            n += 1
    return n


@dataclass
class LatePolicyResult:
    config: Path
    policy: dict
    due: str | None

    def __str__(self) -> str:
        if not self.policy:
            text = "late policy: none (late submissions are not penalised)"
        else:
            p = self.policy
            parts = []
            if p.get("per_day"):
                parts.append(f"{100 * p['per_day']:g} % per started day late")
                if p.get("max_fraction", 1.0) < 1.0:
                    parts.append(f"at most {100 * p['max_fraction']:g} %")
            if p.get("zero_after_days"):
                parts.append(f"zero after {p['zero_after_days']:g} days")
            if p.get("grace_minutes"):
                parts.append(f"{p['grace_minutes']:g} min grace")
            text = "late policy: " + ", ".join(parts)
        due = f"\n  due date: {self.due}" if self.due else ""
        return (
            f"{text}{due}\n  written to {self.config}\n"
            "  applied by `python -m autograder grade` (and plain `nbgrader autograde`); feedback/export re-apply it"
        )


def set_late_policy(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    per_day: float = 0.0,
    max_fraction: float = 1.0,
    zero_after_days: float = 0.0,
    grace_minutes: float = 0.0,
    due: str | None = None,
    db_url: str | None = None,
) -> LatePolicyResult:
    """Write the course's late policy into ``nbgrader_config.py`` (and the assignment's due date, if given).

    Fractions are 0..1 (``per_day=0.1`` is 10 % per day). All zero = no penalty.
    """
    for name, val in (("per_day", per_day), ("max_fraction", max_fraction)):
        if not 0.0 <= val <= 1.0:
            raise AutograderError(
                f"{name} must be a fraction between 0 and 1 (e.g. 0.1 for 10 %), got {val}: "
                "`python -m autograder late-policy --per-day 10 --cap 50` takes percentages."
            )
    if zero_after_days < 0 or grace_minutes < 0:
        raise AutograderError(f"days and minutes must be >= 0, got {zero_after_days} and {grace_minutes}")
    cdir = _course.resolve_course_dir(course_dir)
    cfg_path = cdir / "nbgrader_config.py"
    if not cfg_path.exists():
        raise AutograderError(
            f"no {cfg_path}: did you run `python -m autograder release --course-dir {cdir}` first?"
        )
    url = _course.resolve_db_url(cdir, db_url)
    policy = {
        k: v
        for k, v in (
            ("per_day", per_day),
            ("max_fraction", max_fraction),
            ("zero_after_days", zero_after_days),
            ("grace_minutes", grace_minutes),
        )
        if v != (1.0 if k == "max_fraction" else 0.0)
    }
    active = bool(per_day or zero_after_days)
    lines = [BEGIN]
    if active:
        lines.append('c.AssignLatePenalties.plugin_class = "autograder.late.LatePolicy"')
        lines += [f"c.LatePolicy.{k} = {v!r}" for k, v in policy.items()]
    else:
        lines.append("# no late penalty")
    lines.append(END)
    text = cfg_path.read_text()
    block = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    text = block.sub("", text).rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    tmp = cfg_path.with_suffix(".py.tmp")
    tmp.write_text(text)
    compile(text, str(cfg_path), "exec")  # verify before replacing
    tmp.replace(cfg_path)
    if due:
        from nbgrader.utils import parse_utc

        try:
            parse_utc(due)
        except (ValueError, OverflowError):
            raise AutograderError(
                f'due date {due!r} is not a date: expected e.g. "2026-12-01 17:00:00 UTC"'
            ) from None
        with _course.gradebook(url) as gb:
            gb.update_or_create_assignment(assignment, duedate=due)
    with _course.gradebook(url) as gb:
        try:
            d = gb.find_assignment(assignment).duedate
        except Exception:  # noqa: BLE001 - no assignment yet
            d = None
    return LatePolicyResult(cfg_path, policy if active else {}, f"{d} UTC" if d else None)
