"""Tampered notebooks: compare a submission with the trusted release, report per cell what changed, repair it.

A student controls every byte of the notebook they hand in, including the nbgrader metadata that says which cells
are graded and how many points they are worth. nbgrader's own sanitize step (``OverwriteCells``, ``DeduplicateIds``,
``OverwriteKernelspec``) repairs some of that silently and turns the rest into misleading errors (a duplicated
``grade_id`` ends as ``SchemaTooOldError`` and a zero; an ``execute_result`` above a cell's points aborts
``autograde`` half-way). This module runs on the TRUSTED side, before nbgrader's sanitize step:

1. :func:`inspect` compares the submitted notebook with the release (the notebook the student was given, from the
   course's ``release/`` folder: nbgrader metadata, points, checksums, kernelspec) and returns a
   :class:`TamperReport`: the repaired notebook, one :class:`Finding` per change (kind, cell, grade_id, message),
   and the notebook's ``status`` (``ok`` or ``tampered``) with a one-line ``message`` naming the cells;
2. :func:`check_outputs` does the same for an EXECUTED notebook: an ``execute_result`` in an autograded cell never
   decides a point (nbgrader would read it as partial credit, or abort when it is above the cell's points), so
   they are removed, and the ones above the cell's points are reported as tampering.

Repairs keep every untampered cell gradable: the release's nbgrader metadata is restored on every grade cell
found by ``grade_id`` (or, when the metadata was stripped, by an unchanged locked source), duplicates are dropped
(the copy whose source is still the release's is kept, else the first: the edited copy is the forgery), grade cells that were deleted are put back
from the release (so the function they test is still graded, as nbgrader's ``add_missing_cells`` would), cells
claiming an id the release does not have lose their nbgrader metadata, and the release's kernelspec is restored.
Nothing is written: the caller gets a new notebook object and the original is untouched.

The same two steps exist as nbgrader preprocessors, so a TA's plain ``nbgrader autograde`` runs them too
(``nbgrader_config.py``): :class:`RepairTampering` first in ``Autograde.sanitize_preprocessors`` and
:class:`StripGradeOutputs` right before ``SaveAutoGrades`` in ``Autograde.autograde_preprocessors``.

Examples
--------
>>> import nbformat
>>> from nbformat.v4 import new_code_cell, new_notebook
>>> def graded(gid, points, src="assert f(1) == 2"):
...     meta = {"grade": True, "grade_id": gid, "points": points, "locked": True, "solution": False,
...             "schema_version": 3}
...     return new_code_cell(src, metadata={"nbgrader": meta})
>>> release = new_notebook(cells=[new_code_cell("def f(x):\\n    return 2 * x"), graded("f-test", 2)])
>>> submitted = new_notebook(cells=[release.cells[0], graded("f-test", 100), graded("f-test", 100)])
>>> report = inspect(submitted, release, notebook="01_demo")
>>> report.status, [f.kind for f in report.findings]
('tampered', ['points_changed', 'duplicate_grade_id'])
>>> print(report.message)
01_demo: cell 1 (f-test): points changed from 2 to 100 (restored); cell 2 (f-test): duplicate of grade_id 'f-test' (dropped; cell 1 kept)
>>> [c.metadata["nbgrader"]["points"] for c in report.notebook.cells if "nbgrader" in c.metadata]
[2]
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = [
    "Finding",
    "TamperReport",
    "inspect",
    "check_outputs",
    "release_notebook",
    "RepairTampering",
    "StripGradeOutputs",
    "KINDS",
]

#: Every kind of change :func:`inspect` and :func:`check_outputs` report, with what the repair does.
KINDS = {
    "duplicate_grade_id": "another cell with the same grade_id: dropped (kept: the copy whose source is the "
    "release's, else the first)",
    "points_changed": "a grade cell's points differ from the release: restored",
    "grade_removed": "a grade cell's `grade` flag was cleared: restored",
    "made_solution": "an autograded test cell was turned into a solution (answer) cell: restored",
    "made_grade": "a solution cell was turned into a graded cell: restored",
    "metadata_removed": "a grade cell lost its nbgrader metadata (found by its unchanged source): restored",
    "grade_id_changed": "a release cell's grade_id was renamed: restored",
    "cell_type_changed": "a grade cell changed between code and markdown: restored",
    "source_changed": "a read-only cell's source was edited: nbgrader restores it from the release",
    "deleted_grade_cell": "a grade cell of the release is missing: put back from the release",
    "unknown_grade_id": "a cell claims a grade_id the release does not have: its nbgrader metadata is removed",
    "kernelspec_changed": "the notebook's kernelspec differs from the release: restored",
    "output_above_max": "an execute_result in a grade cell is a number above its points: removed",
}


@dataclass(frozen=True)
class Finding:
    """One tampered cell (or the notebook, ``cell is None``).

    kind: a key of :data:`KINDS`; cell: index in the SUBMITTED notebook (for ``deleted_grade_cell``: the index
    where the release cell was put back); grade_id: the nbgrader id concerned; message: what changed, for the TA.
    """

    kind: str
    cell: int | None
    grade_id: str
    message: str

    def __str__(self) -> str:
        where = "notebook" if self.cell is None else f"cell {self.cell}"
        gid = f" ({self.grade_id})" if self.grade_id else ""
        return f"{where}{gid}: {self.message}"


@dataclass
class TamperReport:
    """What :func:`inspect` / :func:`check_outputs` found; ``notebook`` is the repaired copy to grade."""

    notebook: object
    findings: list[Finding] = field(default_factory=list)
    name: str = ""

    @property
    def status(self) -> str:
        """``tampered`` when anything was found, else ``ok``."""
        return "tampered" if self.findings else "ok"

    @property
    def message(self) -> str:
        """One line for the grade table: the notebook, then every finding naming its cell ("" when clean)."""
        if not self.findings:
            return ""
        body = "; ".join(str(f) for f in self.findings)
        return f"{self.name}: {body}" if self.name else body

    def __add__(self, other: TamperReport) -> TamperReport:
        return TamperReport(other.notebook, [*self.findings, *other.findings], self.name or other.name)


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------
def _nbg(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _gid(cell) -> str | None:
    gid = _nbg(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _flag(cell, name: str) -> bool:
    return bool(_nbg(cell).get(name, False))


def _points(cell) -> float | None:
    try:
        return float(_nbg(cell).get("points"))
    except (TypeError, ValueError):
        return None


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else repr(x)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _autograded(cell) -> bool:
    """An autograded test cell: graded, not an answer, code."""
    return _flag(cell, "grade") and not _flag(cell, "solution") and cell.get("cell_type") == "code"


def _restore(cell, ref) -> None:
    """Give `cell` the release cell's nbgrader metadata and cell type (its source stays: nbgrader restores the
    source of locked cells from the gradebook by checksum, and the student's answer in solution cells)."""
    cell.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(_nbg(ref))
    for key in ("editable", "deletable"):
        if key in ref.get("metadata", {}):
            cell["metadata"][key] = ref["metadata"][key]
    if cell.get("cell_type") != ref.get("cell_type"):
        cell["cell_type"] = ref["cell_type"]
        if ref["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _fresh_copy(ref):
    cell = copy.deepcopy(ref)
    if cell.get("cell_type") == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


# ---------------------------------------------------------------------------------------------------------
# the two entry points
# ---------------------------------------------------------------------------------------------------------
def inspect(submitted, release, *, notebook: str = "") -> TamperReport:
    """Compare a submitted notebook with its release; return the repaired copy and what was changed, per cell.

    Call it on the trusted side on the notebook as read from ``submitted/``, BEFORE nbgrader's sanitize
    preprocessors, and grade ``report.notebook``; give the notebook ``report.status`` (``tampered`` or ``ok``)
    and ``report.message``.

    Parameters
    ----------
    submitted : nbformat.NotebookNode
        The notebook the student handed in (not modified).
    release : nbformat.NotebookNode
        The same notebook as released (``<course>/release/<assignment>/<name>.ipynb``): the trusted nbgrader
        metadata, points and kernelspec.
    notebook : str
        Its name, used in ``report.message``.

    Returns
    -------
    TamperReport
        ``notebook`` (repaired copy), ``findings`` (in cell order; deleted cells last), ``status``, ``message``.
    """
    nb = copy.deepcopy(submitted)
    findings: list[Finding] = []
    ref_cells = list(release.get("cells", []))
    ref_by_id = {}
    for c in ref_cells:  # every release cell with an id: grade, solution, locked and task cells
        if _gid(c) and _gid(c) not in ref_by_id:
            ref_by_id[_gid(c)] = c
    order = [_gid(c) for c in ref_cells if _gid(c)]
    # sources of the release's locked grade cells, to recognise one whose metadata was stripped
    by_source = {}
    for gid, ref in ref_by_id.items():
        if _flag(ref, "grade") and _flag(ref, "locked"):
            by_source.setdefault(_source(ref), gid)

    # which copy of a duplicated id is kept: the one whose source is the release's (the forgery is the edited
    # copy, wherever it was pasted), else the first
    keeper: dict[str, int] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        gid = _gid(cell)
        if gid is None or gid not in ref_by_id:
            continue
        if gid not in keeper or (
            _source(cell) == _source(ref_by_id[gid])
            and _source(nb["cells"][keeper[gid]]) != _source(ref_by_id[gid])
        ):
            keeper[gid] = index
    seen: set[str] = set()
    kept = []
    for index, cell in enumerate(nb.get("cells", [])):
        gid = _gid(cell)
        if gid is not None and gid in keeper and keeper[gid] != index:
            msg = f"duplicate of grade_id {gid!r} (dropped; cell {keeper[gid]} kept)"
            findings.append(Finding("duplicate_grade_id", index, gid, msg))
            continue
        stripped = not (_flag(cell, "grade") or _flag(cell, "solution"))
        if gid is None and stripped and cell.get("cell_type") in ("code", "markdown"):
            lost = by_source.get(_source(cell))
            if lost is not None and lost not in seen and not _any_has_id(nb, lost):
                findings.append(
                    Finding("metadata_removed", index, lost, "nbgrader metadata removed (restored)")
                )
                _restore(cell, ref_by_id[lost])
                gid = lost
        if gid is None:
            if _nbg(cell).get("grade") or _nbg(cell).get("solution"):  # graded without an id: not gradable
                findings.append(
                    Finding(
                        "unknown_grade_id", index, "", "graded cell without a grade_id (metadata removed)"
                    )
                )
                cell["metadata"].pop("nbgrader", None)
            kept.append(cell)
            continue
        if gid in seen:  # a duplicate of an id the release does not have either
            findings.append(
                Finding("duplicate_grade_id", index, gid, f"duplicate of grade_id {gid!r} (dropped)")
            )
            continue
        ref = ref_by_id.get(gid)
        if ref is None:
            findings.append(
                Finding(
                    "unknown_grade_id",
                    index,
                    gid,
                    f"grade_id {gid!r} is not in the release (metadata removed)",
                )
            )
            cell["metadata"].pop("nbgrader", None)
            kept.append(cell)
            continue
        seen.add(gid)
        findings += _compare(index, gid, cell, ref)
        _restore(cell, ref)
        kept.append(cell)

    # grade cells of the release that are gone: put them back after the cell that preceded them in the release
    missing = [g for g in order if g not in seen and _flag(ref_by_id[g], "grade")]
    for gid in missing:
        ref = ref_by_id[gid]
        at = _insert_at(kept, order, gid)
        kept.insert(at, _fresh_copy(ref))
        seen.add(gid)
        findings.append(
            Finding(
                "deleted_grade_cell", at, gid, f"grade cell {gid!r} was deleted (put back from the release)"
            )
        )
    nb["cells"] = kept

    ref_ks = release.get("metadata", {}).get("kernelspec")
    got_ks = nb.get("metadata", {}).get("kernelspec")
    if ref_ks is not None and got_ks != ref_ks:
        got_name = (got_ks or {}).get("name") if isinstance(got_ks, dict) else got_ks
        findings.append(
            Finding(
                "kernelspec_changed",
                None,
                "",
                f"kernelspec {got_name!r} instead of {ref_ks.get('name')!r} (restored)",
            )
        )
        nb.setdefault("metadata", {})["kernelspec"] = copy.deepcopy(ref_ks)

    for index, cell in enumerate(nb["cells"]):  # outputs handed in cannot decide points either
        findings += _output_findings(index, cell, strip=False)
    findings.sort(key=lambda f: (f.kind == "deleted_grade_cell", f.kind == "kernelspec_changed", f.cell or 0))
    return TamperReport(nb, findings, notebook)


def check_outputs(executed, release=None, *, notebook: str = "") -> TamperReport:
    """Remove every ``execute_result`` from the autograded cells of an EXECUTED notebook; report those above
    the cell's points.

    nbgrader reads a number in a grade cell's first ``execute_result`` as the cell's score and aborts
    ``autograde`` (notebook half-written) when it is above the cell's points; student code can write one with
    a replaced ``displayhook``. Call this on the trusted side before nbgrader's ``SaveAutoGrades``. `release`
    (optional) gives the trusted points; without it the executed notebook's (already restored) metadata is used.
    """
    nb = copy.deepcopy(executed)
    ref_points = {}
    if release is not None:
        ref_points = {_gid(c): _points(c) for c in release.get("cells", []) if _gid(c)}
    findings = []
    for index, cell in enumerate(nb.get("cells", [])):
        findings += _output_findings(index, cell, strip=True, max_points=ref_points.get(_gid(cell)))
    return TamperReport(nb, findings, notebook)


# ---------------------------------------------------------------------------------------------------------
def _any_has_id(nb, gid: str) -> bool:
    return any(_gid(c) == gid for c in nb.get("cells", []))


def _compare(index: int, gid: str, cell, ref) -> list[Finding]:
    out = []
    got_grade, ref_grade = _flag(cell, "grade"), _flag(ref, "grade")
    got_sol, ref_sol = _flag(cell, "solution"), _flag(ref, "solution")
    if ref_grade and not got_grade:
        out.append(Finding("grade_removed", index, gid, "no longer marked as graded (restored)"))
    if got_sol and not ref_sol:
        what = "an autograded test cell" if ref_grade else "a read-only cell"
        out.append(Finding("made_solution", index, gid, f"{what} turned into a solution cell (restored)"))
    if got_grade and not ref_grade:
        out.append(Finding("made_grade", index, gid, "a solution cell marked as graded (restored)"))
    if ref_grade and got_grade:
        got_pts, ref_pts = _points(cell), _points(ref)
        if got_pts != ref_pts:
            out.append(
                Finding(
                    "points_changed",
                    index,
                    gid,
                    f"points changed from {_fmt(ref_pts)} to {_fmt(got_pts)} (restored)",
                )
            )
    if cell.get("cell_type") != ref.get("cell_type"):
        out.append(
            Finding(
                "cell_type_changed",
                index,
                gid,
                f"{ref.get('cell_type')} cell turned into {cell.get('cell_type')} (restored)",
            )
        )
    if _flag(ref, "locked") and not ref_sol and _source(cell) != _source(ref):
        out.append(
            Finding("source_changed", index, gid, "read-only source edited (restored from the release)")
        )
    return out


def _insert_at(cells: list, order: list[str], gid: str) -> int:
    """Index after the last kept cell whose id comes before `gid` in the release order (0 if none)."""
    before = set(order[: order.index(gid)])
    at = 0
    for i, cell in enumerate(cells):
        if _gid(cell) in before:
            at = i + 1
    return at


def _number(output) -> float | None:
    text = output.get("data", {}).get("text/plain")
    if isinstance(text, list):
        text = "".join(text)
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) or math.isinf(value) else None


def _output_findings(index: int, cell, *, strip: bool, max_points: float | None = None) -> list[Finding]:
    if not _autograded(cell) or not cell.get("outputs"):
        return []
    limit = max_points if max_points is not None else _points(cell)
    out, keep = [], []
    for o in cell["outputs"]:
        if o.get("output_type") != "execute_result":
            keep.append(o)
            continue
        value = _number(o)
        if value is not None and limit is not None and value > limit:
            out.append(
                Finding(
                    "output_above_max",
                    index,
                    _gid(cell) or "",
                    f"execute_result {value:g} above the cell's {limit:g} points (removed)",
                )
            )
    if strip:
        cell["outputs"] = keep
    return out


# ---------------------------------------------------------------------------------------------------------
# nbgrader preprocessors: the same checks inside nbgrader's own Autograde converter
# ---------------------------------------------------------------------------------------------------------
def release_notebook(config, assignment: str, notebook: str):
    """The released notebook ``<root>/<release_directory>/<assignment>/<notebook>.ipynb`` of nbgrader's course
    directory configured by `config`; raises ``FileNotFoundError`` naming ``generate_assignment`` when absent."""
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory(config=config)
    path = Path(cd.format_path(cd.release_directory, ".", assignment)) / f"{notebook}.ipynb"
    if not path.exists():
        raise FileNotFoundError(
            f"expected the released notebook {path} to check the submission against; found none. Did you run "
            f"`nbgrader generate_assignment {assignment}` (or `python -m autograder release`)?"
        )
    return nbformat.read(str(path), as_version=4)


class RepairTampering(NbGraderPreprocessor):
    """First of ``Autograde.sanitize_preprocessors``: :func:`inspect` against the release, grade the repaired
    notebook, log every finding (and keep the report in ``resources["tamper"]``)."""

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        release = release_notebook(self.config, info.get("assignment", ""), info.get("notebook", ""))
        report = inspect(nb, release, notebook=info.get("notebook", ""))
        for finding in report.findings:
            self.log.warning("tampered: %s", finding)
        resources["tamper"] = report
        return report.notebook, resources


class StripGradeOutputs(NbGraderPreprocessor):
    """Right before ``SaveAutoGrades``: :func:`check_outputs` (no ``execute_result`` decides a point, none above
    a cell's points aborts autograde)."""

    def preprocess(self, nb, resources):
        report = check_outputs(nb, notebook=resources.get("nbgrader", {}).get("notebook", ""))
        for finding in report.findings:
            self.log.warning("tampered: %s", finding)
        if "tamper" in resources:
            resources["tamper"] = resources["tamper"] + report
        return report.notebook, resources
