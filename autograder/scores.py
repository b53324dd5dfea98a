"""Where each student stands: the autograded part, the written answers (graded by a TA or pending), late penalty.

Read from nbgrader's gradebook, which stays the record. A grade cell is *manual* when it is a markdown cell or a
solution cell (nbgrader's "written answer" / "coding free-response"), *auto* otherwise -- the kind comes from the
cell, never from the scores. A manual cell nbgrader still flags ``needs_manual_grade`` is *pending*: it counts 0
until a TA grades it in Formgrader, and every report says so instead of showing a misleading total.

Examples
--------
>>> s = Standing("ada", auto_score=20, auto_max=27, manual_score=0, manual_max=13, pending_points=13, pending_cells=13)
>>> s.summary()
'autograded 20/27 · written answers pending (13 points)'
>>> Standing("ada", auto_score=27, auto_max=27, manual_score=11, manual_max=13).summary()
'38/40 (autograded 27/27 · written 11/13)'
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Standing", "Part", "standings", "cell_kinds"]


def _g(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass
class Part:
    """Scores of one notebook (or of a whole submission)."""

    auto_score: float = 0.0
    auto_max: float = 0.0
    manual_score: float = 0.0
    manual_max: float = 0.0
    pending_points: float = 0.0  # max score of the written answers still waiting for a TA
    pending_cells: int = 0
    late_penalty: float = 0.0

    @property
    def score(self) -> float:
        """Auto + manual - late penalty (pending answers count 0)."""
        return self.auto_score + self.manual_score - self.late_penalty

    @property
    def max_score(self) -> float:
        return self.auto_max + self.manual_max

    @property
    def final(self) -> bool:
        return self.pending_cells == 0

    def summary(self) -> str:
        """``autograded x/27 · written answers pending (13 points)`` until graded, then the final total."""
        late = f" − late penalty {_g(self.late_penalty)}" if self.late_penalty else ""
        if self.final:
            if not self.manual_max:
                return f"{_g(self.score)}/{_g(self.max_score)}" + (
                    f" (autograded {_g(self.auto_score)}{late})" if late else ""
                )
            return (
                f"{_g(self.score)}/{_g(self.max_score)} (autograded {_g(self.auto_score)}/{_g(self.auto_max)} · "
                f"written {_g(self.manual_score)}/{_g(self.manual_max)}{late})"
            )
        text = f"autograded {_g(self.auto_score)}/{_g(self.auto_max)}"
        graded_max = self.manual_max - self.pending_points
        if graded_max > 0:
            text += f" · written {_g(self.manual_score)}/{_g(graded_max)} graded"
            return text + f" · {_g(self.pending_points)} points pending{late}"
        return text + f" · written answers pending ({_g(self.pending_points)} points){late}"


@dataclass(init=False)
class Standing(Part):
    """One student's submission of the assignment."""

    student: str = ""
    name: str = ""
    email: str = ""
    lms_user_id: str = ""
    timestamp: str = ""
    seconds_late: float = 0.0
    notebooks: dict[str, Part] = field(default_factory=dict)

    def __init__(self, student: str, **kw):
        nbs = kw.pop("notebooks", None) or {}
        meta = {
            k: kw.pop(k) for k in ("name", "email", "lms_user_id", "timestamp", "seconds_late") if k in kw
        }
        Part.__init__(self, **kw)
        self.student = student
        self.name = meta.get("name", "")
        self.email = meta.get("email", "")
        self.lms_user_id = meta.get("lms_user_id", "")
        self.timestamp = meta.get("timestamp", "")
        self.seconds_late = meta.get("seconds_late", 0.0)
        self.notebooks = nbs


def cell_kinds(notebook) -> dict[str, str]:
    """``{grade cell name: "auto" | "manual"}`` of a gradebook notebook, from the cells themselves."""
    solutions = {c.name for c in notebook.solution_cells}
    return {
        gc.name: "manual" if (gc.cell_type == "markdown" or gc.name in solutions) else "auto"
        for gc in notebook.grade_cells
    }


def standings(gb, assignment: str) -> dict[str, Standing]:
    """``{student id: Standing}`` for every submission of `assignment` in the open Gradebook `gb`."""
    a = gb.find_assignment(assignment)
    kinds = {nb.name: cell_kinds(nb) for nb in a.notebooks}
    maxes = {nb.name: {gc.name: float(gc.max_score) for gc in nb.grade_cells} for nb in a.notebooks}
    out: dict[str, Standing] = {}
    for sub in a.submissions:
        st = sub.student
        name = " ".join(p for p in (st.first_name, st.last_name) if p)
        s = Standing(
            st.id,
            name=name,
            email=st.email or "",
            lms_user_id=st.lms_user_id or "",
            timestamp=sub.timestamp.isoformat(" ") if sub.timestamp else "",
            seconds_late=float(sub.total_seconds_late or 0.0),
        )
        for snb in sub.notebooks:
            part = Part(late_penalty=float(snb.late_submission_penalty or 0.0))
            k = kinds.get(snb.name, {})
            for g in snb.grades:
                mx = maxes.get(snb.name, {}).get(g.name, float(g.max_score or 0.0))
                score = float(g.score or 0.0)
                if k.get(g.name) == "manual":
                    part.manual_max += mx
                    if g.needs_manual_grade:
                        part.pending_points += mx
                        part.pending_cells += 1
                    else:
                        part.manual_score += score
                else:
                    part.auto_max += mx
                    part.auto_score += score
            s.notebooks[snb.name] = part
            for f in (
                "auto_score",
                "auto_max",
                "manual_score",
                "manual_max",
                "pending_points",
                "late_penalty",
            ):
                setattr(s, f, getattr(s, f) + getattr(part, f))
            s.pending_cells += part.pending_cells
        out[st.id] = s
    return out
