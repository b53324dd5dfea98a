"""nbgrader preprocessors used by the grader (importing this module imports nbgrader).

* :class:`TrustedExecute` replaces nbgrader's ``Execute`` for plain ``nbgrader autograde`` and Formgrader (the
  course's ``nbgrader_config.py`` lists it): it runs the notebook in the sandbox and decides every grade cell with
  the trusted judge, exactly like ``python -m autograder grade`` (:func:`autograder.grading.grade_submission`).
  Without bubblewrap it refuses unless ``c.TrustedExecute.allow_unsandboxed = True``.
* :class:`ReplayExecute` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``: instead of running
  the notebook in the grader's own process tree, it takes the outputs of the SANDBOXED run (phase 1 of
  :func:`autograder.grading.grade`) from ``<executed_dir>/<student>/<notebook>.ipynb``. It copies outputs only
  when every cell's type and source match the sanitized submission, and gives every grade cell that did not run an
  error output (so nbgrader's ``SaveAutoGrades`` scores it 0, never full marks).
* :class:`HideHiddenTests` runs first in ``GenerateFeedback.preprocessors``: in every test cell it replaces the
  lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` with ``# hidden test``, and in error
  outputs of those cells replaces the traceback (which quotes the failing source line) by ``ename: evalue``, so the
  outcome and message stay and the hidden source never reaches the HTML (nbgrader issue #917).
* :class:`ReplaySanitized` is the only sanitize preprocessor of ``python -m autograder grade``'s phase 2: phase 1
  (:class:`autograder.grading.Sanitizer`, the same nbgrader preprocessors on the same file, in this trusted
  process) already sanitized the submission, so it hands nbgrader that notebook instead of sanitizing it a second
  time -- and sanitizes it now, nbgrader's way, when the submitted file is not the one phase 1 read.
* :class:`InstructorCells`, :class:`CachedOverwriteCells` and :class:`CachedOverwriteKernelspec`: nbgrader's
  ``OverwriteCells`` / ``OverwriteKernelspec`` reading the instructor's cells from a snapshot of the gradebook
  taken once per batch (they are the same for every student) instead of one query per cell.
* :class:`SharedSaveAutoGrades`: nbgrader's ``SaveAutoGrades`` writing through one gradebook session for the
  whole batch (:func:`shared_gradebook`) instead of a new engine per notebook.

Examples
--------
>>> from autograder.preprocessors import hide_hidden_source
>>> hide_hidden_source("assert f(1) == 1\\n### BEGIN HIDDEN TESTS\\nassert f(2) == 4\\n### END HIDDEN TESTS")
'assert f(1) == 1\\n# hidden test'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import (
    CheckCellMetadata,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from traitlets import Any, Bool, Float, Integer, List, Unicode

__all__ = [
    "TrustedExecute",
    "ReplayExecute",
    "ReplaySanitized",
    "InstructorCells",
    "CachedOverwriteCells",
    "CachedOverwriteKernelspec",
    "CachedCheckCellMetadata",
    "SharedSaveAutoGrades",
    "shared_gradebook",
    "sanitized_record",
    "SANITIZED_SUFFIX",
    "HideHiddenTests",
    "hide_hidden_source",
    "BEGIN_HIDDEN",
    "END_HIDDEN",
]

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
HIDDEN_PLACEHOLDER = "# hidden test"


def _is_grade_cell(cell) -> bool:
    md = cell.get("metadata", {}).get("nbgrader", {})
    return bool(md.get("grade")) and cell.get("cell_type") == "code"


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.from_dict(
        {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
    )


class TrustedExecute(NbGraderPreprocessor):
    """Sandboxed execution + trusted judge for one notebook inside nbgrader's own ``Autograde`` converter."""

    allow_unsandboxed = Bool(
        False,
        help="Grade without bubblewrap (rlimits only). Only for TRUSTED notebooks, e.g. your own solution.",
    ).tag(config=True)
    cell_timeout = Integer(30, help="Seconds per cell in the sandbox").tag(config=True)
    notebook_timeout = Float(180.0, help="Seconds for the whole notebook in the sandbox").tag(config=True)
    call_timeout = Float(10.0, help="Seconds per call of a student function by the trusted judge").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        from autograder import course, grading, sandbox
        from autograder.results import AutograderError

        info = resources["nbgrader"]
        root = Path(self.config.get("CourseDirectory", {}).get("root") or os.getcwd()).resolve()
        if sandbox.find_bwrap() is None and not self.allow_unsandboxed:
            raise AutograderError(
                "bubblewrap (bwrap) is not available, so student code cannot be sandboxed; install it "
                "(`apt-get install bubblewrap`) or, for trusted notebooks only, set "
                "`c.TrustedExecute.allow_unsandboxed = True` in nbgrader_config.py."
            )
        state = course.state_dir(root)
        data_dir = grading.prepare_data(state)
        options = grading.GradeOptions(
            cell_timeout=self.cell_timeout,
            notebook_timeout=self.notebook_timeout,
            call_timeout=self.call_timeout,
        )
        import dataclasses

        out = grading.grade_submission(
            {
                "student": info["student"],
                "notebooks": [{"name": info["notebook"], "notebook": nb}],
                "secret": course.ensure_secret(root),
                "data_dir": str(data_dir),
                "repo": str(course.REPO),
                "options": dataclasses.asdict(options),
                "hide": [str(root)],
                "allow_unsandboxed": self.allow_unsandboxed,
            }
        )
        res = out["results"][info["notebook"]]
        graded = nbformat.from_dict(res["notebook"])
        for mine, done in zip(nb.cells, graded.cells, strict=True):
            if mine.cell_type == "code":
                mine.outputs = done.get("outputs", [])
                mine.execution_count = done.get("execution_count")
        resources.setdefault("autograder", {})[info["notebook"]] = {
            "status": res["status"],
            "error": res["error"],
        }
        if res["status"] != "ok":
            self.log.warning("%s/%s: %s (%s)", info["student"], info["notebook"], res["status"], res["error"])
        return nb, resources


class ReplayExecute(NbGraderPreprocessor):
    """Fill the notebook with the outputs of the sandboxed execution (see module docstring)."""

    executed_dir = Unicode(
        "", help="Folder with <student>/<notebook>.ipynb (+ .json status) from phase 1"
    ).tag(config=True)

    def _load(self, student: str, notebook: str):
        base = Path(self.executed_dir) / student
        meta = {"status": "error", "error": "the sandboxed run left no result (grade again)"}
        try:
            meta = json.loads((base / f"{notebook}.json").read_text())
        except (OSError, ValueError):
            pass
        try:
            executed = nbformat.read(str(base / f"{notebook}.ipynb"), as_version=4)
        except (OSError, ValueError, nbformat.reader.NotJSONError):
            executed = None
        return executed, meta

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        executed, meta = self._load(info["student"], info["notebook"])
        reason = meta.get("error") or meta.get("status", "error")
        if executed is not None:
            same = len(executed.cells) == len(nb.cells) and all(
                a.cell_type == b.cell_type and a.source == b.source
                for a, b in zip(executed.cells, nb.cells, strict=True)
            )
            if not same:
                executed, reason = (
                    None,
                    "executed notebook does not match the sanitized submission (grade again)",
                )
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if executed is not None:
                ran = executed.cells[i]
                cell.outputs = ran.get("outputs", [])
                cell.execution_count = ran.get("execution_count")
            failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if _is_grade_cell(cell) and cell.execution_count is None and not failed:
                cell.outputs = list(cell.get("outputs", [])) + [
                    _error_output("NotExecuted", f"this cell did not run: {reason}")
                ]
        if getattr(self.parent, "optimistic_validation", False):
            _validate_like_nbconvert(nb, self)
        return nb, resources


def _validate_like_nbconvert(nb, preprocessor) -> None:
    """What nbconvert's exporter does after every preprocessor unless ``optimistic_validation`` is on: validate,
    log, re-raise (``nbconvert.exporters.Exporter._validate_preprocessor``).

    Phase 2 turns ``optimistic_validation`` on (one validation after the last preprocessor) and calls this once
    after :class:`ReplayExecute`, the only step of the autograde pass that brings in new content (the outputs):
    the steps after it only remove or shorten outputs (IgnorePattern, LimitOutput, StripGradeOutputs) or read the
    notebook (SaveAutoGrades, AssignLatePenalties), so a notebook valid after ReplayExecute stays valid after each
    of them, and a notebook fails exactly when it failed with a validation after every step.
    """
    try:
        nbformat.validate(nb, relax_add_props=True)
    except nbformat.ValidationError:
        preprocessor.log.error("Notebook is invalid after preprocessor %s", preprocessor)
        raise


SANITIZED_SUFFIX = ".sanitized.json"


def sanitized_record(nb, submitted: bytes, schema_error: str = "") -> str:
    """The JSON text phase 1 writes to ``<executed_dir>/<student>/<notebook>.sanitized.json`` for
    :class:`ReplaySanitized`: the sanitized notebook, the SHA-256 of the submitted file it was made from, and
    the schema error nbgrader's own sanitize pass would have stopped at ("" when none)."""
    return json.dumps(
        {
            "submitted_sha256": hashlib.sha256(submitted).hexdigest(),
            "schema_error": schema_error,
            "notebook": nb,
        }
    )


def _default_sanitizers() -> list:
    from nbgrader.converters.autograde import Autograde

    return ["autograder.tamper.RepairTampering", *Autograde.class_traits()["sanitize_preprocessors"].default()]


class ReplaySanitized(NbGraderPreprocessor):
    """The one sanitize preprocessor of phase 2: the notebook phase 1 sanitized (and sent to the sandbox).

    Phase 1 ran nbgrader's sanitize preprocessors (``fallback_preprocessors``: RepairTampering, ClearOutput,
    DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata) on this very file in this trusted
    process; running them again would give the same notebook (the instructor's cells do not change during a
    batch) at the cost of a gradebook query per cell. So this step loads ``<executed_dir>/<student>/<notebook>``
    ``.sanitized.json`` (see :func:`sanitized_record`) and, when the SHA-256 of the submitted file still matches,
    returns that notebook; nbconvert then validates it, nbgrader writes it and the autograde pass
    (:class:`ReplayExecute`, ``SaveAutoGrades`` ...) runs on it as before. It runs ``fallback_preprocessors``
    itself, with nbconvert's validation after each, when there is no record, the file changed since phase 1, or
    phase 1 found that nbgrader's sanitize pass stops at a schema error (so the error is nbgrader's own, as it
    was before this step existed).
    """

    executed_dir = Unicode("", help="Folder with <student>/<notebook>.sanitized.json from phase 1").tag(
        config=True
    )
    fallback_preprocessors = List(
        [], help="Sanitize preprocessors run when phase 1's record cannot be used (default: RepairTampering + "
        "nbgrader's Autograde.sanitize_preprocessors)"
    ).tag(config=True)

    def _submitted(self, info) -> bytes | None:
        from nbgrader.coursedir import CourseDirectory

        cd = CourseDirectory(config=self.config)
        path = Path(cd.format_path(cd.submitted_directory, info["student"], info["assignment"]))
        try:
            return (path / f"{info['notebook']}.ipynb").read_bytes()
        except OSError:
            return None

    def _record(self, info):
        path = Path(self.executed_dir) / info["student"] / f"{info['notebook']}{SANITIZED_SUFFIX}"
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        submitted = self._submitted(info)
        if submitted is None or hashlib.sha256(submitted).hexdigest() != rec.get("submitted_sha256"):
            self.log.warning("%s changed since the sandboxed run: sanitizing it again", info["notebook"])
            return None
        if rec.get("schema_error"):
            return None
        return rec

    def preprocess(self, nb, resources):
        rec = self._record(resources["nbgrader"])
        if rec is not None:
            return nbformat.from_dict(rec["notebook"]), resources
        from traitlets.utils.importstring import import_item

        for cls in self.fallback_preprocessors or _default_sanitizers():
            pp = (import_item(cls) if isinstance(cls, str) else cls)(config=self.config, parent=self.parent)
            nb, resources = pp(nb, resources)
            _validate_like_nbconvert(nb, pp)
        return nb, resources


class InstructorCells:
    """The instructor's side of an assignment as nbgrader's ``OverwriteCells`` / ``OverwriteKernelspec`` read it
    (source cells, points of grade and task cells, kernelspec), read from the gradebook ONCE per notebook.

    It answers the three lookups those preprocessors make (``find_source_cell``, ``find_graded_cell``,
    ``find_notebook(...).kernelspec``) with the same values and the same :class:`nbgrader.api.MissingEntry`, from
    one gradebook session per notebook name instead of two queries per cell and student. Made per grading batch:
    the release does not change while it is graded. Read-only; safe to share between threads.

    Examples
    --------
    >>> cells = InstructorCells("sqlite:////nonexistent/gradebook.db", "cs231n_lite")
    >>> cells.loaded()
    []
    """

    def __init__(self, db_url: str, course_id: str):
        self.db_url = db_url
        self.course_id = course_id
        self._notebooks: dict[tuple[str, str], SimpleNamespace] = {}
        self._lock = threading.Lock()
        self.valid_metadata: set[tuple[str, str]] = set()  # (cell_type, nbgrader metadata JSON) that validated

    def loaded(self) -> list[tuple[str, str]]:
        """(notebook, assignment) pairs read so far."""
        return sorted(self._notebooks)

    def notebook(self, notebook: str, assignment: str) -> SimpleNamespace:
        """``kernelspec`` (JSON text or None), ``source`` {grade_id: cell} and ``graded`` {grade_id: cell}."""
        key = (notebook, assignment)
        with self._lock:
            if key not in self._notebooks:
                from nbgrader.api import Gradebook

                with Gradebook(self.db_url, self.course_id) as gb:
                    nb = gb.find_notebook(notebook, assignment)  # MissingEntry, as OverwriteKernelspec raises
                    source = {
                        c.name: SimpleNamespace(
                            name=c.name, cell_type=c.cell_type, locked=c.locked, source=c.source, checksum=c.checksum
                        )
                        for c in nb.source_cells
                    }
                    graded = {c.name: SimpleNamespace(name=c.name, max_score=c.max_score) for c in nb.task_cells}
                    # find_graded_cell looks for a grade cell first, then a task cell
                    graded.update(
                        {c.name: SimpleNamespace(name=c.name, max_score=c.max_score) for c in nb.grade_cells}
                    )
                    self._notebooks[key] = SimpleNamespace(kernelspec=nb.kernelspec, source=source, graded=graded)
            return self._notebooks[key]

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        try:
            return self.notebook(notebook, assignment).source[name]
        except KeyError:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}") from None

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        try:
            return self.notebook(notebook, assignment).graded[name]
        except KeyError:
            raise MissingEntry(f"No such grade cell: {assignment}/{notebook}/{name}") from None


class CachedOverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` (its ``preprocess_cell``, unchanged) with the instructor's cells from
    :class:`InstructorCells` (``cells``) instead of a gradebook session per notebook. With ``add_missing_cells``
    (which reads whole notebooks from the gradebook) or without ``cells`` it is nbgrader's own."""

    cells = Any(None, allow_none=True, help="an InstructorCells snapshot")

    def preprocess(self, nb, resources):
        if self.cells is None or self.add_missing_cells:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = self.cells
        return super(OverwriteCells, self).preprocess(nb, resources)  # nbgrader's per-cell loop


class CachedOverwriteKernelspec(OverwriteKernelspec):
    """nbgrader's ``OverwriteKernelspec`` with the release's kernelspec from :class:`InstructorCells`."""

    cells = Any(None, allow_none=True, help="an InstructorCells snapshot")

    def preprocess(self, nb, resources):
        if self.cells is None:
            return super().preprocess(nb, resources)
        info = resources["nbgrader"]
        kernelspec = self.cells.notebook(info["notebook"], info["assignment"]).kernelspec
        if kernelspec is not None:
            kernelspec = json.loads(kernelspec)  # a fresh dict per notebook, as nbgrader's
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class CachedCheckCellMetadata(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` that skips cells whose (cell type, nbgrader metadata) already validated in
    this batch (``cells.valid_metadata``): every student hands in the same instructor cells, and nbgrader's
    per-cell check (``jsonschema.validate``, which re-checks the schema itself each time) depends on nothing
    else. Cells not seen yet go through nbgrader's own validator in notebook order, so an invalid one raises the
    same error; a cell whose metadata names another cell type (nbgrader logs a warning) is always checked."""

    cells = Any(None, allow_none=True, help="an InstructorCells snapshot (holds the validated keys)")

    @staticmethod
    def _key(cell):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or meta.get("cell_type", cell.get("cell_type")) != cell.get("cell_type"):
            return None
        return (str(cell.get("cell_type")), json.dumps(meta, sort_keys=True))

    def preprocess(self, nb, resources):
        if self.cells is None:
            return super().preprocess(nb, resources)
        known = self.cells.valid_metadata
        keys = [self._key(c) for c in nb.cells]
        todo = [c for c, k in zip(nb.cells, keys, strict=True) if k is None or k not in known]
        super().preprocess(NotebookNode({**nb, "cells": todo}), resources)  # raises as nbgrader's would
        known.update(k for k in keys if k is not None)
        return nb, resources


_SHARED = threading.local()


@contextlib.contextmanager
def shared_gradebook(db_url: str):
    """Open ONE nbgrader ``Gradebook`` for `db_url` that :class:`SharedSaveAutoGrades` uses in this thread until
    the block ends (then it is closed).

    nbgrader's ``SaveAutoGrades`` opens a new ``Gradebook`` per notebook: a new SQLAlchemy engine (its compiled
    query cache starts empty, so every ``find_grade`` / ``find_comment`` is compiled again), a table check and a
    course check. The batch grader writes every student's grades from one thread, so one session serves them all;
    it commits after every cell exactly as nbgrader's does, so nothing is held between students. Opened like
    nbgrader's (``Gradebook(db_url)``, the default course id).
    """
    from nbgrader.api import Gradebook

    books = getattr(_SHARED, "books", {})
    gb = Gradebook(db_url)
    _SHARED.books = {**books, db_url: gb}
    try:
        yield gb
    finally:
        _SHARED.books = books
        gb.close()


def _shared(db_url: str):
    return getattr(_SHARED, "books", {}).get(db_url)


class SharedSaveAutoGrades(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` (its ``preprocess_cell``, ``_add_score`` and ``_add_comment``, unchanged)
    through the session of :func:`shared_gradebook` when one is open for the notebook's gradebook in this
    thread, else exactly nbgrader's own. A failure rolls the shared session back before it propagates, so the
    next student starts clean (nbgrader's own would have dropped its session)."""

    def preprocess(self, nb, resources):
        gb = _shared(resources["nbgrader"]["db_url"])
        if gb is None:
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = gb
        try:
            return super(SaveAutoGrades, self).preprocess(nb, resources)  # nbgrader's per-cell loop
        except BaseException:
            gb.db.rollback()
            raise


def hide_hidden_source(source: str) -> str:
    """Replace every hidden-test block (markers included) in `source` by one ``# hidden test`` line."""
    out, hiding = [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            hiding = True
            if not out or out[-1] != HIDDEN_PLACEHOLDER:
                out.append(HIDDEN_PLACEHOLDER)
            continue
        if END_HIDDEN in line:
            hiding = False
            continue
        if not hiding:
            out.append(line)
    return "\n".join(out)


def hidden_lines(source: str) -> list[str]:
    """Return the stripped, non-empty lines inside hidden-test blocks of `source`."""
    out, hiding = [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            hiding = True
        elif END_HIDDEN in line:
            hiding = False
        elif hiding and line.strip():
            out.append(line.strip())
    return out


def _redact(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s in text:
            text = text.replace(s, "[hidden test]")
    return text


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden-test source (and tracebacks quoting it) from test cells before feedback rendering.

    Hidden lines are also redacted from EVERY output of the notebook: student code can print the kernel's input
    history (``_ih``) after the hidden tests ran.
    """

    def preprocess(self, nb, resources):
        secrets = {ln for c in nb.cells if c.cell_type == "code" for ln in hidden_lines(c.source)}
        secrets = sorted(
            secrets | {f"### {BEGIN_HIDDEN}", f"### {END_HIDDEN}", BEGIN_HIDDEN, END_HIDDEN},
            key=len,
            reverse=True,
        )
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            hidden_cell = BEGIN_HIDDEN in cell.source
            if hidden_cell:
                cell.source = hide_hidden_source(cell.source)
            for out in cell.get("outputs", []):
                kind = out.get("output_type")
                if kind == "error":
                    if hidden_cell:
                        out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
                    out["traceback"] = [_redact(t, secrets) for t in out.get("traceback", [])]
                    out["evalue"] = _redact(str(out.get("evalue", "")), secrets)
                elif kind == "stream":
                    out["text"] = _redact(out.get("text", ""), secrets)
                elif "data" in out:
                    for key, val in list(out["data"].items()):
                        if isinstance(val, str) and not key.startswith("image/"):
                            out["data"][key] = _redact(val, secrets)
        return nb, resources
