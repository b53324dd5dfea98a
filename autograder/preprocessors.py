"""nbgrader preprocessors used by the grader (importing this module imports nbgrader).

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
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["ReplayExecute", "HideHiddenTests", "hide_hidden_source", "BEGIN_HIDDEN", "END_HIDDEN"]

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
