"""Roster: import students into nbgrader's gradebook from a CSV file (nbgrader's own ``db student import`` format).

Columns: ``id`` (required; the nbgrader student id, i.e. the folder name under ``submitted/``), ``first_name``,
``last_name``, ``email`` and, optionally, ``lms_user_id`` (the student's numeric id in Canvas/Moodle, used to match
LMS downloads to roster ids). Other columns are ignored; column names are case-insensitive. Re-importing updates
students in place through :meth:`nbgrader.api.Gradebook.update_or_create_student`, never duplicates them. The whole
file is validated before anything is written.

Examples
--------
>>> rows, problems = parse_roster_text("id,first_name,last_name,email\\nada,Ada,Lovelace,ada@uni.edu\\n")
>>> rows[0]["first_name"], problems
('Ada', [])
>>> parse_roster_text("first_name\\nAda\\n")[1]
["missing column 'id': expected the columns id, first_name, last_name, email (lms_user_id optional), found ['first_name']"]
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course as _course
from autograder.results import AutograderError

__all__ = [
    "FIELDS",
    "RosterResult",
    "import_roster",
    "parse_roster_text",
    "roster",
    "full_name",
    "name_key",
]

FIELDS = ("id", "first_name", "last_name", "email", "lms_user_id")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class RosterResult:
    """What :func:`import_roster` did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    total: int = 0  # students in the gradebook afterwards

    def __str__(self) -> str:
        lines = [
            f"roster: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"{self.total} students in the gradebook"
        ]
        if self.added:
            lines.append("  added: " + ", ".join(self.added))
        if self.updated:
            lines.append("  updated: " + ", ".join(self.updated))
        return "\n".join(lines)


def name_key(text: str | None) -> str:
    """Normalise a person's name for matching: accents dropped, lower case, letters and digits only.

    >>> name_key("Ló Vé-lace, Ada")
    'lovelaceada'
    """
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in text.lower() if ch.isalnum() and ord(ch) < 128)


def full_name(student) -> str:
    """``"First Last"`` of a gradebook student (or its id when it has no name)."""
    name = " ".join(p for p in (student.first_name, student.last_name) if p)
    return name or student.id


def parse_roster_text(text: str) -> tuple[list[dict], list[str]]:
    """Parse roster CSV text; return (rows with the known fields, list of problems). Empty cells become None."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    found = [(c or "").strip() for c in (reader.fieldnames or [])]
    cols = {c.lower(): c for c in found}
    if "id" not in cols:
        return [], [
            "missing column 'id': expected the columns id, first_name, last_name, email (lms_user_id optional), "
            f"found {found}"
        ]
    rows, problems, seen = [], [], {}
    for n, raw in enumerate(reader, start=2):
        raw = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        row = {f: (raw.get(f) or None) for f in FIELDS}
        sid = row["id"]
        if sid is None and not any(row.values()):
            continue  # blank line
        if sid is None:
            problems.append(f"line {n}: empty id")
            continue
        if not STUDENT_ID.match(sid):
            problems.append(
                f"line {n}: id {sid!r} is not a valid student id (letters, digits, '.', '_', '-', '@'; "
                "it becomes a folder name)"
            )
            continue
        if sid in seen:
            problems.append(f"line {n}: id {sid!r} already on line {seen[sid]}")
            continue
        if row["email"] and not EMAIL.match(row["email"]):
            problems.append(f"line {n}: email {row['email']!r} of {sid!r} is not an e-mail address")
            continue
        seen[sid] = n
        rows.append(row)
    if not rows and not problems:
        problems.append("the file has a header but no students")
    return rows, problems


def import_roster(
    *,
    path: str | os.PathLike,
    course_dir: str | os.PathLike | None = None,
    db_url: str | None = None,
) -> RosterResult:
    """Import (or re-import) the students of the CSV file at `path` into the course's gradebook.

    Parameters
    ----------
    path : path
        CSV with columns ``id, first_name, last_name, email`` (``lms_user_id`` optional).
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``).
    db_url : str, optional
        Gradebook URL (default from the course config / ``gradebook.db``).

    Returns
    -------
    RosterResult
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise AutograderError(
            f"roster file {src} not found: expected a CSV file with the columns id, first_name, last_name, email "
            "(e.g. exported from your LMS), then run `python -m autograder roster FILE.csv`."
        )
    rows, problems = parse_roster_text(src.read_text(encoding="utf-8-sig", errors="replace"))
    if problems:
        shown = "\n  ".join(problems[:20])
        raise AutograderError(
            f"roster {src} was not imported ({len(problems)} problems; nothing was written):\n  {shown}\n"
            "fix the file, then run `python -m autograder roster` again."
        )
    cdir = _course.resolve_course_dir(course_dir)
    cdir.mkdir(parents=True, exist_ok=True)
    url = _course.resolve_db_url(cdir, db_url)
    from nbgrader.api import MissingEntry

    res = RosterResult()
    with _course.gradebook(url) as gb:
        for row in rows:
            fields = {k: row[k] for k in FIELDS[1:]}
            try:
                old = gb.find_student(row["id"])
                before = {k: getattr(old, k) for k in fields}
            except MissingEntry:
                before = None
            # a re-import never blanks a field the new file leaves empty
            fields = {k: v for k, v in fields.items() if v is not None}
            gb.update_or_create_student(row["id"], **fields)
            if before is None:
                res.added.append(row["id"])
            elif any(before[k] != v for k, v in fields.items()):
                res.updated.append(row["id"])
            else:
                res.unchanged.append(row["id"])
        res.total = len(gb.students)
    return res


def roster(db_url: str) -> list:
    """Gradebook students who came from a roster (they have a name or an e-mail address)."""
    with _course.gradebook(db_url) as gb:
        out = [s for s in gb.students if s.first_name or s.last_name or s.email]
        for s in out:  # detach plain values before the session closes
            _ = (s.id, s.first_name, s.last_name, s.email, s.lms_user_id)
        return [_Student(s.id, s.first_name, s.last_name, s.email, s.lms_user_id) for s in out]


@dataclass(frozen=True)
class _Student:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None
