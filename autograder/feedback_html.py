"""Feedback HTML polish: named test entries, "awaiting a TA", the score split, offline maths, no host paths.

nbgrader preprocessors added to ``GenerateFeedback.preprocessors`` by :func:`autograder.reporting.feedback`, and
the template ``templates/cs231n_feedback`` (nbgrader's feedback template with those pieces shown):

* :class:`FeedbackDetails` (first, while the hidden block is still there): names each test entry after the check
  its hidden line calls (``checks.check("svm_loss_naive", ...)`` -> ``svm_loss_naive (hidden cases)``), else after
  its grade id; marks written answers nbgrader still flags ``needs_manual_grade`` as pending (the template prints
  "awaiting a TA"); puts the notebook's ``autograded x/y · written answers pending (n points)`` in the heading.
* :class:`RedactPaths`: absolute paths in outputs (tracebacks, prints) become ``cs231n_lite/...`` or ``…/name``,
  so neither the grader's nor the sandbox's folders appear.
* :class:`MathToMathML`: ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` in markdown cells and TA comments become
  MathML with ``latex2mathml``, which browsers render natively: no MathJax, no network.

Examples
--------
>>> redact_paths('File "/tmp/grader-lib/cs231n_lite/vis.py", line 3; data in /srv/course/.autograder/data')
'File "cs231n_lite/vis.py", line 3; data in …/data'
>>> "<math" in math_to_mathml("loss $L_i$ and `$not maths$`") and "`$not maths$`" in math_to_mathml("`$not maths$`")
True
>>> check_title('x\\n### BEGIN HIDDEN TESTS\\nfrom autograder import checks; checks.check("softmax", softmax, cases="visible")', "g")
'softmax (visible cases)'
"""

from __future__ import annotations

import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

__all__ = [
    "FeedbackDetails",
    "RedactPaths",
    "MathToMathML",
    "TEMPLATE_DIR",
    "TEMPLATE_NAME",
    "redact_paths",
    "redact_host_paths",
    "math_to_mathml",
    "check_title",
]

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "cs231n_feedback"

CHECK_LINE = re.compile(r"checks\.check\(\s*[\"'](?P<fn>\w+)[\"'](?P<rest>[^\n]*)")
CASES = re.compile(r"cases\s*=\s*[\"'](?P<cases>\w+)[\"']")
ANSI = re.compile(r"(\x1b\[[0-9;]*[A-Za-z])")
ABS_PATH = re.compile(r"(?<![\w.~:/\\-])/(?:[\w.+@~-]+/)+[\w.+@~-]*")
KEEP_FROM = ("cs231n_lite", "autograder")


def check_title(source: str, grade_id: str) -> str:
    """The test entry's name: the check its hidden line calls, else its grade id made readable."""
    m = CHECK_LINE.search(source or "")
    if m:
        cases = CASES.search(m["rest"])
        return f"{m['fn']} ({cases['cases'] if cases else 'hidden'} cases)"
    words = grade_id.replace("_", " ").replace("-", " ").split()
    if words and words[-1] in ("visible", "hidden"):
        return f"{' '.join(words[:-1]) or grade_id} ({words[-1]} tests)"
    return " ".join(words) or grade_id


def _redact_one(match: re.Match) -> str:
    path = match.group(0)
    parts = [p for p in path.split("/") if p]
    for i, p in enumerate(parts):
        if p in KEEP_FROM and i < len(parts) - 1:
            return "/".join(parts[i:]) + ("/" if path.endswith("/") else "")
    last = parts[-1] if parts else ""
    return f"…/{last}" if last else "…/"


def redact_paths(text: str) -> str:
    """Replace absolute file-system paths in `text` (ANSI colour codes kept)."""
    pieces = ANSI.split(text)
    return "".join(p if ANSI.fullmatch(p) else ABS_PATH.sub(_redact_one, p) for p in pieces)


_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\\((?P<i2>.+?)\\\)|(?<![\\$\w])\$(?!\s)(?P<i1>[^$\n]+?)(?<![\s\\])\$(?!\w)",
    re.S,
)


def _convert(tex: str, display: str) -> str | None:
    import latex2mathml.converter

    try:
        return latex2mathml.converter.convert(tex.strip(), display=display)
    except Exception:  # noqa: BLE001 - unsupported LaTeX stays as written
        return None


def math_to_mathml(markdown: str) -> str:
    """Return `markdown` with its TeX maths replaced by MathML (code spans and blocks untouched)."""
    out = []
    for piece in _CODE.split(markdown):
        if _CODE.fullmatch(piece):
            out.append(piece)
            continue

        def repl(m: re.Match) -> str:
            tex, display = (
                (m["d1"] or m["d2"], "block") if (m["d1"] or m["d2"]) else (m["i1"] or m["i2"], "inline")
            )
            mml = _convert(tex, display)
            return mml if mml is not None else m.group(0)

        out.append(_MATH.sub(repl, piece))
    return "".join(out)


def _redact_output(out) -> None:
    if "text" in out:
        out["text"] = redact_paths(out["text"])
    if out.get("output_type") == "error":
        out["evalue"] = redact_paths(out.get("evalue", ""))
        out["traceback"] = [redact_paths(t) for t in out.get("traceback", [])]
    for key in ("text/plain", "text/html", "text/markdown"):
        if key in out.get("data", {}):
            val = out["data"][key]
            out["data"][key] = redact_paths("".join(val) if isinstance(val, list) else val)


def redact_host_paths(text: str, prefixes: list[str]) -> str:
    """Like :func:`redact_paths`, but only for paths under one of `prefixes` (used on cell sources).

    >>> redact_host_paths('p = "/srv/course/x.ipynb"; q = "/usr/share/dict"', ["/srv/course"])
    'p = "…/x.ipynb"; q = "/usr/share/dict"'
    """
    prefixes = [p.rstrip("/") for p in prefixes if p and p != "/"]

    def one(m: re.Match) -> str:
        path = m.group(0)
        if any(path == p or path.startswith(p + "/") for p in prefixes):
            return _redact_one(m)
        return path

    return ABS_PATH.sub(one, text)


class RedactPaths(NbGraderPreprocessor):
    """Strip absolute paths from every output (see :func:`redact_paths`), and the grader's own folders
    (`host_paths`) from cell sources too."""

    host_paths = List(
        Unicode(), help="folders of the grading host never to show, even in a cell's source"
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            _redact_output(out)
        if self.host_paths:
            cell.source = redact_host_paths(cell.source, self.host_paths)
        return cell, resources


class MathToMathML(NbGraderPreprocessor):
    """TeX in markdown cells and in TA comments -> MathML (see :func:`math_to_mathml`)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = math_to_mathml(cell.source)
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("comment"):
            nbg["comment"] = math_to_mathml(nbg["comment"])
        return cell, resources


class FeedbackDetails(NbGraderPreprocessor):
    """Titles, pending written answers and the notebook's score split (see the module docstring)."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        from autograder import scores

        info = resources["nbgrader"]
        pending: set[str] = set()
        with Gradebook(info["db_url"]) as gb:
            try:
                sub_nb = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            except MissingEntry:
                sub_nb = None
            if sub_nb is not None:
                kinds = scores.cell_kinds(sub_nb.notebook)
                pending = {
                    g.name for g in sub_nb.grades if kinds.get(g.name) == "manual" and g.needs_manual_grade
                }
                st = scores.standings(gb, info["assignment"]).get(info["student"])
                part = st.notebooks.get(info["notebook"]) if st else None
                if part is not None:
                    resources["autograder"] = {"summary": part.summary(), "final": part.final}
        for cell in nb.cells:
            nbg = cell.metadata.get("nbgrader", {})
            if not nbg.get("grade"):
                continue
            gid = nbg.get("grade_id", "")
            if nbg.get("solution") or cell.cell_type == "markdown":
                title = "Written answer" if cell.cell_type == "markdown" else "Coding free-response"
            else:
                title = check_title(cell.source, gid)
            cell.metadata["autograder"] = {"title": title, "pending": gid in pending}
        return nb, resources
