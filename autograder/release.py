"""Release: ``nbgrader generate_assignment`` + a student bundle (folder + zip) guarded by a leak scan.

The bundle holds the released notebooks, ``cs231n_lite`` WITHOUT ``cs231n_lite/reference``, a student
``requirements.txt`` and a short README. :func:`scan_bundle` fails the release when any of these is in the bundle's
text (notebooks are scanned by cell source and outputs, other files as text):

* the markers ``BEGIN SOLUTION`` / ``END SOLUTION`` / ``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS``;
* a line of a solution block or of a hidden-test block of the source notebooks;
* a reference file's content, or one of its distinctive code lines; a path named ``reference``.

Lines that also appear in the PUBLIC part of the source notebooks (outside solution and hidden blocks, i.e. text
the instructor publishes anyway) are not evidence; see :func:`scan_bundle` for the exact rules.

Examples
--------
>>> from autograder.release import secret_blocks
>>> secret_blocks("a = 1\\n### BEGIN SOLUTION\\nreturn really_secret_value_42\\n### END SOLUTION")
(['return really_secret_value_42'], ['a = 1'])
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

from autograder import course as _course
from autograder.results import AutograderError, ReleaseResult

__all__ = ["release", "scan_bundle", "secret_blocks", "build_bundle", "MIN_LINE", "MARKERS"]

MIN_LINE = 20
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
#: what a student's Python needs (taken, with their pins, from the repo's requirements.txt when listed there):
#: the notebooks' imports, JupyterLab, and nbgrader, whose lab extension is the notebook toolbar's Validate button
STUDENT_PACKAGES = {
    "numpy",
    "matplotlib",
    "pillow",
    "tqdm",
    "pooch",
    "jupyterlab",
    "notebook",
    "ipykernel",
    "nbgrader",
    "scikit-image",  # notebook 05: HOG
    "joblib",  # notebook 05: parallel feature extraction
    "ipywidgets",
    "ipympl",
    "cloudpickle",  # notebook 05: sends the feature functions to the worker processes
}

STUDENT_README = """\
# cs231n-lite: linear classifiers ({assignment})

Work through the notebooks in order: {notebooks}.

1. Install (Python >= 3.10), in this folder:

       python -m venv .venv
       . .venv/bin/activate          # Windows: .venv\\Scripts\\activate
       pip install -r requirements.txt

2. Data: the notebooks use real CIFAR-10 (`python -m cs231n_lite.datasets fetch` downloads and checks 170 MB), or,
   offline, a small generated stand-in: `export CS231N_LITE_DATASET=synthetic` before starting JupyterLab.
3. `jupyter lab`, open `01_...ipynb`, replace every `raise NotImplementedError()` (and every `YOUR ANSWER HERE`)
   with your work, and run the visible test cells after each one: they check the basics. More (hidden) tests run
   when your work is graded; the written answers are graded by a TA.
4. Validate before you hand in: the **Validate** button in the notebook's toolbar (nbgrader's, installed by
   requirements.txt) restarts the kernel, runs the whole notebook and lists every failing test. The same from a
   terminal, in this folder: `nbgrader validate 01_*.ipynb` (one notebook) or `nbgrader validate *.ipynb`.
   Validation runs in grading mode (small data, a few seconds per notebook).
5. Hand in the notebooks only, with their file names unchanged. Do not delete, move or edit the locked test cells.
"""


def _norm(line: str) -> str:
    return " ".join(line.split())


def secret_blocks(source: str) -> tuple[list[str], list[str]]:
    """Split a cell's source into (lines inside solution/hidden blocks, public lines), markers dropped."""
    secret, public, inside = [], [], False
    for line in source.splitlines():
        if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
            inside = False
        elif line.strip():
            (secret if inside else public).append(_norm(line))
    return secret, public


def _docstring_lines(text: str) -> set[int]:
    lines: set[int] = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return lines
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _notebook_text(path: Path) -> str:
    """Cell sources and text outputs of a notebook, newline-joined (JSON escapes would hide matches)."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return path.read_text(errors="replace")
    parts = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        parts.append("".join(src) if isinstance(src, list) else src)
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
            for key, val in out.get("data", {}).items():
                if not key.startswith("image/"):
                    parts.append("".join(val) if isinstance(val, list) else str(val))
            parts.extend(out.get("traceback", []))
    parts.append(json.dumps(nb.get("metadata", {})))
    return "\n".join(parts)


def _bundle_texts(bundle_dir: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(bundle_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(bundle_dir))
        if path.suffix == ".ipynb":
            texts[rel] = _notebook_text(path)
        else:
            try:
                texts[rel] = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                texts[rel] = path.read_bytes().decode("latin-1")
    return texts


def _windows(lines: list[str], size: int = 3) -> list[tuple[str, ...]]:
    if len(lines) < size:
        return [tuple(lines)] if lines and sum(map(len, lines)) >= MIN_LINE * 2 else []
    return [tuple(lines[i : i + size]) for i in range(len(lines) - size + 1)]


def scan_bundle(
    bundle_dir: str | os.PathLike, *, source_dir: str | os.PathLike, reference_dir: str | os.PathLike
):
    """Return a list of leaks (human-readable strings) found in `bundle_dir`; empty means clean.

    Evidence: a marker string; a hidden-test line (anywhere); a solution line (in a notebook); three consecutive
    lines (>= 80 characters together, imports and comments ignored) of a solution block or of a reference file's
    code (anywhere, so a copied function is caught in the ``cs231n_lite`` modules without flagging a shared idiom
    such as the three-line finite difference); a whole reference file; a ``reference`` path.

    Parameters
    ----------
    bundle_dir : path
        The student bundle folder.
    source_dir : path
        The instructor source notebooks (with solutions and hidden tests).
    reference_dir : path
        ``cs231n_lite/reference`` (every ``*.py`` in it is secret).
    """
    bundle_dir, source_dir, reference_dir = Path(bundle_dir), Path(source_dir), Path(reference_dir)
    hidden: dict[str, str] = {}  # normalized line -> where it comes from
    solution: dict[str, str] = {}
    windows: dict[tuple[str, ...], str] = {}
    public: set[str] = set()
    for nb_path in sorted(source_dir.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        for i, cell in enumerate(nb.get("cells", [])):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            sec, pub = secret_blocks(src)
            public.update(pub)
            where = f"{nb_path.name} cell {i}"
            target = hidden if "BEGIN HIDDEN TESTS" in src else solution
            for line in sec:
                target.setdefault(line, where)
            for w in _windows(sec):
                windows.setdefault(w, f"{where} (solution block)")
    ref_files = {}
    if reference_dir.is_dir():
        for ref in sorted(reference_dir.rglob("*.py")):
            text = ref.read_text()
            ref_files[ref.name] = text
            doc = _docstring_lines(text)
            code = [_norm(ln) for n, ln in enumerate(text.splitlines(), 1) if n not in doc and _norm(ln)]
            code = [ln for ln in code if not ln.startswith(("#", "import ", "from "))]
            for w in _windows(code):
                windows.setdefault(w, f"reference/{ref.name}")
    hidden = {s: w for s, w in hidden.items() if len(s) >= 8 and s not in public}
    solution = {s: w for s, w in solution.items() if len(s) >= MIN_LINE and s not in public}
    windows = {
        w: where
        for w, where in windows.items()
        if sum(map(len, w)) >= 4 * MIN_LINE and not all(ln in public for ln in w)
    }

    leaks = []
    for rel, text in _bundle_texts(bundle_dir).items():
        if "reference" in Path(rel).parts:
            leaks.append(f"{rel}: a path named 'reference' is in the bundle")
        for marker in MARKERS:
            if marker in text:
                leaks.append(f"{rel}: contains the marker {marker!r}")
        for name, ref_text in ref_files.items():
            if len(ref_text.strip()) >= MIN_LINE and ref_text.strip() in text:
                leaks.append(f"{rel}: contains the whole reference file {name}")
        lines = [_norm(ln) for ln in text.splitlines() if _norm(ln)]
        line_set = set(lines)
        for s, where in hidden.items():
            if s in line_set:
                leaks.append(f"{rel}: contains a hidden-test line from {where}: {s[:80]!r}")
        if rel.endswith(".ipynb"):
            for s, where in solution.items():
                if s in line_set:
                    leaks.append(f"{rel}: contains a solution line from {where}: {s[:80]!r}")
        have = set(_windows(lines))
        for w, where in windows.items():
            if w in have:
                leaks.append(f"{rel}: contains {len(w)} consecutive lines of {where}: {w[0][:60]!r}...")
    return leaks


def _student_requirements(repo: Path) -> str:
    out = ["# cs231n-lite student requirements (Python >= 3.10)"]
    req = repo / "requirements.txt"
    if req.exists():
        for line in req.read_text().splitlines():
            name = re.split(r"[<>=!~\[ ;]", line.strip(), maxsplit=1)[0].lower()
            if name in STUDENT_PACKAGES:
                out.append(line.strip())
    return "\n".join(out) + "\n"


def build_bundle(*, release_dir: Path, repo: Path, bundle_dir: Path, assignment: str) -> Path:
    """Write the student bundle folder; return it (the zip is made after the leak scan)."""
    if bundle_dir.exists():
        shutil.rmtree(bundle_dir)
    bundle_dir.mkdir(parents=True)
    notebooks = sorted(p.name for p in release_dir.glob("*.ipynb"))
    for path in sorted(release_dir.iterdir()):
        if path.is_file():
            shutil.copy2(path, bundle_dir / path.name)
    shutil.copytree(
        repo / "cs231n_lite",
        bundle_dir / "cs231n_lite",
        ignore=lambda d, names: [n for n in names if n in ("reference", "__pycache__") or n.endswith(".pyc")],
    )
    (bundle_dir / "requirements.txt").write_text(_student_requirements(repo))
    (bundle_dir / "README.md").write_text(
        STUDENT_README.format(assignment=assignment, notebooks=", ".join(notebooks) or "(none)")
    )
    return bundle_dir


def _zip(folder: Path, zip_path: Path) -> Path:
    if zip_path.exists():
        zip_path.unlink()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, Path(folder.name) / path.relative_to(folder))
    return zip_path


def release(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    source: str | os.PathLike | None = None,
    db_url: str | None = None,
    due: str | None = None,
    repo: str | os.PathLike | None = None,
) -> ReleaseResult:
    """Generate the student version with nbgrader, build the student bundle, and leak-scan it.

    Parameters
    ----------
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``); created if needed.
    assignment : str
        Assignment id (``linear_classifiers``).
    source : path, optional
        Folder of nbgrader source notebooks (default ``<repo>/notebooks``); its ``*.ipynb`` are copied to
        ``<course>/source/<assignment>/``.
    db_url : str, optional
        SQLAlchemy URL of the gradebook; stored in the course's ``nbgrader_config.py``.
    due : str, optional
        Due date (e.g. ``"2026-12-01 17:00:00 UTC"``) for late penalties.
    repo : path, optional
        Where ``cs231n_lite`` and ``requirements.txt`` come from (default: this checkout).

    Returns
    -------
    ReleaseResult

    Raises
    ------
    AutograderError
        No source notebooks, nbgrader failed, or the leak scan found solution/hidden/reference text.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import capture_log

    cdir = _course.resolve_course_dir(course_dir)
    repo_path = Path(repo).resolve() if repo else _course.REPO
    src = Path(source).resolve() if source else repo_path / "notebooks"
    notebooks = sorted(p for p in src.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise AutograderError(
            f"no source notebooks (*.ipynb) found in {src}: expected the nbgrader source notebooks there; "
            f"pass `--source <folder>` to `python -m autograder release`."
        )
    cdir.mkdir(parents=True, exist_ok=True)
    url = db_url or _course.resolve_db_url(cdir, None)
    _course.write_config(cdir, url)
    _course.ensure_secret(cdir)  # the hidden inputs' seed: created once, at the first release
    dest = cdir / "source" / assignment
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    for nb in notebooks:
        shutil.copy2(nb, dest / nb.name)
    with _course.gradebook(url) as gb:
        gb.update_or_create_assignment(assignment, **({"duedate": due} if due else {}))

    cd, cfg = _course.coursedir(cdir, url)
    cd.assignment_id = assignment
    app = GenerateAssignment(coursedir=cd, config=cfg)
    app.force = True
    app.create_assignment = True
    res = capture_log(app)
    if not res.get("success"):
        tail = (res.get("error") or res.get("log") or "").strip().splitlines()[-3:]
        raise AutograderError(
            f"nbgrader generate_assignment failed for {dest}: {' | '.join(tail)}\n"
            f"fix the source notebooks, then run `python -m autograder release` again."
        )
    release_dir = cdir / "release" / assignment
    bundle_root = cdir / "student_bundle"
    bundle_dir = build_bundle(
        release_dir=release_dir,
        repo=repo_path,
        bundle_dir=bundle_root / f"cs231n_lite_{assignment}",
        assignment=assignment,
    )
    leaks = scan_bundle(bundle_dir, source_dir=dest, reference_dir=repo_path / "cs231n_lite" / "reference")
    zip_path = bundle_root / f"cs231n_lite_{assignment}.zip"
    if leaks:
        if zip_path.exists():
            zip_path.unlink()
        shown = "\n  ".join(leaks[:20])
        raise AutograderError(
            f"leak scan FAILED for {bundle_dir} ({len(leaks)} findings); nothing to hand out:\n  {shown}\n"
            "remove the leaked text (or fix the source notebook's markers), then run "
            "`python -m autograder release` again."
        )
    _zip(bundle_dir, zip_path)
    with _course.gradebook(url) as gb:
        a = gb.find_assignment(assignment)
        max_score = float(a.max_score)
        names = sorted(n.name for n in a.notebooks)
    return ReleaseResult(cdir, assignment, names, release_dir, bundle_dir, zip_path, max_score)
