"""Build the nbgrader SOURCE notebooks from their jupytext sources.

Each notebook is authored as one jupytext percent-format file, ``notebooks/src/<name>.py``; this script
turns it into ``notebooks/<name>.ipynb`` with nbgrader cell metadata, executed in the CI configuration
(``CS231N_LITE_DATASET=synthetic``, ``NBGRADER_EXECUTION`` unset) so that ``pytest --nbval-lax`` compares
the cells whose first line is ``# NBVAL_CHECK_OUTPUT``.

Cell markers (the role is the jupytext cell title, the options are jupytext cell metadata: JSON values)::

    # %%                                            plain code
    # %% [markdown]                                 plain markdown (lines commented with "# ")
    # %% todo id="svm-naive"                        solution cell: code between ### BEGIN/END SOLUTION
    # %% visible id="svm-naive-visible" points=1    graded test a student can run
    # %% hidden id="svm-naive-hidden" points=2      graded hidden test
    # %% answer [markdown] id="q-kink" points=1     written answer: model answer between the solution markers

Every ``visible`` and ``hidden`` cell ends with exactly one hidden block holding the one trusted line
(TEAM.md convention #1, README "Authoring")::

    ### BEGIN HIDDEN TESTS
    from autograder import checks; checks.check("<fn>", <fn>, cases="hidden")
    ### END HIDDEN TESTS

Usage (from the repo root)::

    python notebooks/_build.py            # build and execute every notebook (writes notebooks/*.ipynb)
    python notebooks/_build.py 02         # only notebooks whose name starts with 02
    python notebooks/_build.py --check    # fail (exit 1) if a built notebook differs from its source
    python notebooks/_build.py --no-execute   # build without outputs (nbval then has nothing to compare)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = HERE / "src"

ROLES = ("todo", "visible", "hidden", "answer")
#: nbgrader schema-3 flags of each role: (grade, solution, locked, cell type)
ROLE_FLAGS = {
    "todo": (False, True, False, "code"),
    "visible": (True, False, True, "code"),
    "hidden": (True, False, True, "code"),
    "answer": (True, True, False, "markdown"),
}
OPTIONS = ("id", "points")
#: jupytext's own bookkeeping keys (blank lines between cells); not an author's option
JUPYTEXT_KEYS = ("lines_to_next_cell",)
GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
TRUSTED_LINE = re.compile(
    r'from autograder import checks; checks\.check\("(?P<name>\w+)", (?P<arg>\w+)'
    r', cases="(?P<cases>visible|hidden)"\)'
)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class SourceError(ValueError):
    """An authoring error in a notebook source; the message names the file, the cell and the fix."""


@dataclass(frozen=True)
class Where:
    """Where a cell is: file, cell number (1-based) and its marker line, for error messages."""

    path: Path
    number: int
    line: int | None
    marker: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        at = f"{shown}:{self.line}" if self.line else str(shown)
        return f"{at}: cell {self.number} ({self.marker!r})"


def _markers(text: str) -> list[tuple[int, str]]:
    """Line number and text of every ``# %%`` marker (only to point error messages at a line)."""
    return [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.startswith("# %%")]


def trusted_checks() -> tuple[str, ...]:
    """Names the trusted judge can check (``autograder.checks.NAMES``) -- read at build time."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from autograder import checks

    return tuple(checks.NAMES)


def _check_solution_markers(src: str, where: Where, *, role: str | None) -> None:
    begins, ends = src.count(BEGIN_SOLUTION), src.count(END_SOLUTION)
    if role in ("todo", "answer"):
        if not begins:
            raise SourceError(
                f"{where}: a {role} cell needs its solution between {BEGIN_SOLUTION!r} and {END_SOLUTION!r} "
                "(the released notebook replaces it with `raise NotImplementedError()`/'YOUR ANSWER HERE')"
            )
        order = re.findall(f"{BEGIN_SOLUTION}|{END_SOLUTION}", src)
        if begins != ends or order != [BEGIN_SOLUTION, END_SOLUTION] * begins:
            raise SourceError(f"{where}: solution markers unbalanced: found {order}")
    elif begins or ends:
        raise SourceError(
            f"{where}: solution markers in a cell without the todo/answer role; mark it "
            '`# %% todo id="..."` or remove the markers'
        )


def _check_hidden_block(src: str, where: Where, *, role: str | None, names: tuple[str, ...]) -> str | None:
    """Validate the hidden-test convention; return the checked function's name (or None)."""
    n_begin, n_end = src.count(BEGIN_HIDDEN), src.count(END_HIDDEN)
    if role not in ("visible", "hidden"):
        if n_begin or n_end:
            raise SourceError(f"{where}: hidden-test markers outside a visible/hidden test cell")
        return None
    example = f'from autograder import checks; checks.check("<fn>", <fn>, cases="{role}")'
    if n_begin != 1 or n_end != 1:
        raise SourceError(
            f"{where}: a {role} cell ends with exactly one hidden block, found {n_begin} {BEGIN_HIDDEN!r} "
            f"and {n_end} {END_HIDDEN!r}; expected:\n{BEGIN_HIDDEN}\n{example}\n{END_HIDDEN}"
        )
    head, rest = src.split(BEGIN_HIDDEN + "\n", 1) if BEGIN_HIDDEN + "\n" in src else (src, "")
    body, sep, tail = rest.partition(END_HIDDEN)
    if not sep or tail.strip():
        raise SourceError(f"{where}: the hidden block must be the end of the cell (nothing after {END_HIDDEN!r})")
    lines = body.strip("\n").split("\n")
    m = TRUSTED_LINE.fullmatch(lines[0]) if len(lines) == 1 else None
    if m is None:
        raise SourceError(
            f"{where}: the hidden block holds exactly one line `{example}`; found {len(lines)} line(s): "
            f"{body.strip()[:200]!r}"
        )
    name = m["name"]
    if m["arg"] != name:
        raise SourceError(f"{where}: checks.check({name!r}, {m['arg']}): pass the function named {name!r}")
    if name not in names:
        raise SourceError(
            f"{where}: {name!r} is not a check of the trusted judge (autograder.checks.NAMES: "
            f"{', '.join(names)}); register it there first (README 'Authoring')"
        )
    if m["cases"] != role:
        raise SourceError(f'{where}: a {role} cell checks cases="{role}", not cases="{m["cases"]}"')
    return name


def _plain_id(cell, taken: dict, number: int) -> str:
    """A stable cell id for an ungraded cell: a digest of its type and source (inserting a cell elsewhere
    changes no other id, so diffs of the built notebooks stay small); ``-2``, ``-3`` ... for repeats."""
    base = "c" + hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:10]
    cid, k = base, 1
    while cid in taken:
        k += 1
        cid = f"{base}-{k}"
    taken[cid] = number
    return cid


def _nbgrader(role: str, grade_id: str, points) -> dict:
    grade, solution, locked, _ = ROLE_FLAGS[role]
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def build(path: Path, *, names: tuple[str, ...] | None = None) -> nbformat.NotebookNode:
    """Read one jupytext source and return the nbgrader source notebook (no outputs).

    Raises :class:`SourceError` naming the file and cell for every authoring error of the convention.
    """
    path = Path(path)
    names = trusted_checks() if names is None else names
    text = path.read_text(encoding="utf-8")
    source = jupytext.reads(text, fmt="py:percent")
    markers = _markers(text)
    if len(markers) != len(source.cells):
        markers = [(None, "")] * len(source.cells)
    cells, ids = [], {}
    for number, (cell, (line, marker)) in enumerate(zip(source.cells, markers, strict=True), 1):
        where = Where(path, number, line, marker)
        meta = {k: v for k, v in cell.metadata.items() if k not in JUPYTEXT_KEYS}
        role = meta.pop("title", None)
        if "incorrectly_encoded_metadata" in meta:
            raise SourceError(
                f"{where}: cannot read {meta['incorrectly_encoded_metadata']!r}: option values are JSON, "
                'e.g. `# %% todo id="svm-naive"` or `points=2`'
            )
        unknown = sorted(set(meta) - set(OPTIONS))
        if role is not None and role not in ROLES:
            raise SourceError(f"{where}: unknown role {role!r}; expected one of {', '.join(ROLES)} (or none)")
        if unknown:
            raise SourceError(f"{where}: unknown option(s) {unknown}; expected only {', '.join(OPTIONS)}")
        _check_solution_markers(cell.source, where, role=role)
        if role is None:
            if meta:
                raise SourceError(f"{where}: {sorted(meta)} given without a role ({', '.join(ROLES)})")
            new = new_code_cell if cell.cell_type == "code" else new_markdown_cell
            cells.append(new(cell.source, id=_plain_id(cell, ids, number)))
            _check_hidden_block(cell.source, where, role=None, names=names)
            continue
        grade, _, _, cell_type = ROLE_FLAGS[role]
        if cell.cell_type != cell_type:
            hint = f'`# %% {role} [markdown] id="..."`' if cell_type == "markdown" else f'`# %% {role} id="..."`'
            raise SourceError(f"{where}: a {role} cell is a {cell_type} cell ({hint})")
        grade_id = meta.get("id")
        if not isinstance(grade_id, str) or not GRADE_ID.fullmatch(grade_id):
            raise SourceError(f'{where}: a {role} cell needs id="<grade id>" (letters, digits, - and _)')
        if grade_id in ids:
            raise SourceError(f"{where}: duplicate grade id {grade_id!r} (first used by cell {ids[grade_id]})")
        ids[grade_id] = number
        points = meta.get("points")
        if grade:
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
                raise SourceError(f"{where}: a graded {role} cell needs points=<number > 0>, found {points!r}")
        elif points is not None:
            raise SourceError(f"{where}: a todo cell is not graded itself (its test cells carry the points)")
        _check_hidden_block(cell.source, where, role=role, names=names)
        new = new_code_cell if cell_type == "code" else new_markdown_cell
        cells.append(new(cell.source, id=grade_id, metadata=_nbgrader(role, grade_id, points)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def drift(source: Path, built: Path) -> list[str]:
    """Differences between what ``source`` builds and the committed ``built`` notebook (outputs ignored)."""
    if not built.exists():
        return [f"{built.name}: missing"]
    fresh, stored = build(source), nbformat.read(built, as_version=4)
    diffs = []
    if len(fresh.cells) != len(stored.cells):
        diffs.append(f"{built.name}: {len(stored.cells)} cells, the source has {len(fresh.cells)}")
    for i, (a, b) in enumerate(zip(fresh.cells, stored.cells, strict=False), 1):
        for key in ("cell_type", "id", "source"):
            if a.get(key) != b.get(key):
                diffs.append(f"{built.name} cell {i}: {key} differs from {source.name}")
        if a.metadata.get("nbgrader") != b.metadata.get("nbgrader"):
            diffs.append(f"{built.name} cell {i}: nbgrader metadata differs from {source.name}")
    return diffs


def execute(nb: nbformat.NotebookNode, cwd: Path) -> float:
    """Execute ``nb`` in place in the CI configuration (synthetic data, not grading); returns seconds."""
    from nbclient import NotebookClient

    saved = dict(os.environ)
    os.environ["CS231N_LITE_DATASET"] = "synthetic"
    os.environ.pop("NBGRADER_EXECUTION", None)
    # no front end here: the playground stores its static picture, not a widget nobody can render
    os.environ["CS231N_LITE_PLAYGROUND"] = "static"
    t0 = time.perf_counter()
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", allow_errors=True, record_timing=False,
            resources={"metadata": {"path": str(cwd)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return time.perf_counter() - t0


def stored_errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {i}: {out['ename']}: {out['evalue'][:300]}"
        for i, cell in enumerate(nb.cells, 1)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write atomically: a temp file next to ``path``, read back and validated, then moved over it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".ipynb", dir=path.parent)
    os.close(fd)
    try:
        nbformat.write(nb, tmp)
        nbformat.validate(nbformat.read(tmp, as_version=4))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sources(src_dir: Path, prefixes: list[str]) -> list[Path]:
    found = sorted(p for p in src_dir.glob("*.py") if not p.name.startswith("_"))
    if not found:
        raise SourceError(f"no notebook sources (*.py) in {src_dir}")
    return [p for p in found if not prefixes or any(p.stem.startswith(x) for x in prefixes)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with one of these")
    ap.add_argument("--src", type=Path, default=SRC, help="folder of the jupytext sources (default notebooks/src)")
    ap.add_argument("--out", type=Path, default=None, help="folder of the built notebooks (default: src/..)")
    ap.add_argument("--check", action="store_true", help="only compare built notebooks with their sources")
    ap.add_argument("--no-execute", action="store_true", help="write notebooks without running them")
    args = ap.parse_args(argv)
    out = args.out or args.src.resolve().parent
    try:
        paths = sources(args.src, args.prefixes)
        if args.check:
            diffs = [d for p in paths for d in drift(p, out / f"{p.stem}.ipynb")]
            for d in diffs:
                print(d, file=sys.stderr)
            if diffs:
                print("built notebooks differ from their sources: run `python notebooks/_build.py`", file=sys.stderr)
            return 1 if diffs else 0
        built = [(p, build(p)) for p in paths]   # validate every source before writing anything
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    for p, nb in built:
        target = out / f"{p.stem}.ipynb"
        msg = f"built {target.name} from {p.name}"
        if not args.no_execute:
            msg += f", executed in {execute(nb, out):.1f} s"
        errs = stored_errors(nb)
        write(nb, target)
        print(msg)
        for e in errs:
            failed = True
            print(f"  ERROR in {target.name} {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
