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

Examples
--------
>>> from autograder.preprocessors import hide_hidden_source
>>> hide_hidden_source("assert f(1) == 1\\n### BEGIN HIDDEN TESTS\\nassert f(2) == 4\\n### END HIDDEN TESTS")
'assert f(1) == 1\\n# hidden test'
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, Unicode

__all__ = [
    "TrustedExecute",
    "ReplayExecute",
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
        return nb, resources


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
