"""Collect submissions into ``<course>/submitted/<student>/<assignment>/`` keeping submission timestamps.

Accepted sources:

* a folder of student folders: ``<source>/<student>/*.ipynb`` or ``<source>/<student>/<assignment>/*.ipynb``
  (e.g. another course's ``submitted/``; an optional ``timestamp.txt`` per student is kept;
  nbgrader reads it for late penalties);
* an LMS download: a ``.zip`` file, or a folder of flat files, whose names match `pattern` (a regular expression
  with named groups ``student_id``, ``file_id`` and optionally ``timestamp``), handed to nbgrader's
  ``zip_collect`` (which writes ``timestamp.txt`` from the file names).

Default pattern: ``<student>_<YYYYmmddTHHMMSS>_<notebook>.ipynb``, e.g. ``ada_20261201T170000_02_svm.ipynb``.

Examples
--------
>>> import re
>>> from autograder.collect import DEFAULT_PATTERN
>>> re.match(DEFAULT_PATTERN, "/x/ada_20261201T170000_02_svm.ipynb").group("student_id", "file_id")
('ada', '02_svm.ipynb')
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

from autograder import course as _course
from autograder.results import AutograderError, CollectResult

__all__ = ["collect", "DEFAULT_PATTERN"]

DEFAULT_PATTERN = r".*/(?P<student_id>[A-Za-z0-9.-]+)_(?P<timestamp>\d{8}T\d{6}Z?)_(?P<file_id>[^/]+\.ipynb)$"
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _student_folders(source: Path, assignment: str) -> list[tuple[str, Path]]:
    """Return (student id, folder holding the notebooks) for ``<student>/*.ipynb`` or ``<student>/<assignment>/``."""
    out = []
    for p in sorted(source.iterdir()):
        if not p.is_dir():
            continue
        inner = p / assignment
        if inner.is_dir() and any(inner.glob("*.ipynb")):
            out.append((p.name, inner))
        elif any(p.glob("*.ipynb")):
            out.append((p.name, p))
    return out


def collect(
    *,
    course_dir: str | os.PathLike | None = None,
    source: str | os.PathLike,
    assignment: str = _course.ASSIGNMENT,
    pattern: str = DEFAULT_PATTERN,
    db_url: str | None = None,
) -> CollectResult:
    """Copy submissions from `source` (folder of student folders, LMS zip, or folder of LMS files).

    Parameters
    ----------
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``); must hold a release.
    source : path
        Folder or ``.zip`` (see module docstring).
    assignment : str
        Assignment id.
    pattern : str
        Regular expression for LMS file names (named groups ``student_id``, ``file_id``, optional ``timestamp``);
        it is matched against the absolute path of each extracted file.
    db_url : str, optional
        Gradebook URL (only used to check that a release exists).

    Returns
    -------
    CollectResult
    """
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    _course.require_release(cdir, url, assignment)
    src = Path(source).expanduser().resolve()
    if not src.exists():
        raise AutograderError(
            f"submission source {src} does not exist: expected a folder or an LMS .zip file."
        )
    submitted = cdir / "submitted"
    if src.is_dir() and _student_folders(src, assignment):
        students, stamps, skipped = [], {}, []
        for sid, folder in _student_folders(src, assignment):
            if not STUDENT_ID.match(sid):
                skipped.append(f"{folder}: not a valid student id")
                continue
            dest = submitted / sid / assignment
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for f in sorted(folder.iterdir()):
                if f.is_file() and (f.suffix == ".ipynb" or f.name == "timestamp.txt"):
                    shutil.copy2(f, dest / f.name)
            students.append(sid)
            ts = dest / "timestamp.txt"
            stamps[sid] = ts.read_text().strip() if ts.exists() else None
        return CollectResult(cdir, assignment, students, stamps, skipped)
    return _zip_collect(cdir, url, src, assignment, pattern)


def _zip_collect(cdir: Path, url: str, src: Path, assignment: str, pattern: str) -> CollectResult:
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from traitlets.config import Config

    if src.is_file() and not zipfile.is_zipfile(src):
        raise AutograderError(f"{src} is neither a folder nor a zip file: expected an LMS download (.zip).")
    archive = cdir / "downloaded" / assignment / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    archive.mkdir(parents=True)
    if src.is_file():
        shutil.copy2(src, archive / src.name)
    else:
        for f in sorted(src.iterdir()):
            if f.is_file():
                shutil.copy2(f, archive / f.name)
    before = {p.parent.name: p for p in (cdir / "submitted").glob(f"*/{assignment}")}
    extra = Config()
    extra.FileNameCollectorPlugin.named_regexp = pattern
    extra.ZipCollectApp.force = True
    extra.ZipCollectApp.strict = False
    _, cfg = _course.coursedir(cdir, url, extra)
    cfg.CourseDirectory.assignment_id = assignment
    app = ZipCollectApp(config=cfg)
    app.initialize([])
    app.coursedir.assignment_id = assignment
    try:
        app.start()
    except SystemExit as exc:
        raise AutograderError(
            f"nbgrader zip_collect failed on {src} (exit {exc.code}); check --pattern."
        ) from None
    after = sorted(p.parent.name for p in (cdir / "submitted").glob(f"*/{assignment}"))
    students = [s for s in after if s not in before or _newer(cdir, s, assignment, archive)]
    if not students:
        raise AutograderError(
            f"no file in {src} matched the pattern {pattern!r} (named groups student_id, file_id, timestamp): "
            "pass `--pattern` to `python -m autograder collect`."
        )
    stamps = {}
    for s in students:
        ts = cdir / "submitted" / s / assignment / "timestamp.txt"
        stamps[s] = ts.read_text().strip() if ts.exists() else None
    return CollectResult(cdir, assignment, students, stamps)


def _newer(cdir: Path, student: str, assignment: str, archive: Path) -> bool:
    folder = cdir / "submitted" / student / assignment
    return any(f.stat().st_mtime >= archive.stat().st_mtime for f in folder.iterdir())
