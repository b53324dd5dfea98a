"""Collect submissions into ``<course>/submitted/<student>/<assignment>/`` from what LMSs really produce.

The layout of `source` (a folder or a ``.zip``; one wrapping top folder is looked through) is detected:

==============  =============================================================================================
``exchange``    nbgrader's exchange inbound: ``<student>+<assignment>+<timestamp>[+<random>]/*.ipynb`` (the
                exchange root, ``<root>/<course>/inbound`` or the inbound folder itself); latest one wins
``moodle``      Moodle's "Download all submissions": ``<Full Name>_<id>_assignsubmission_file_/<file>`` (in folders)
                or ``<Full Name>_<id>_assignsubmission_file_<file>``
``canvas``      Canvas's submissions zip: ``<name>[_late]_<user id>_<submission id>_<file>`` (``lovelaceada_late_
                1234_5678_02_svm-1.ipynb``; the ``-1`` of a resubmission is dropped, the highest one wins)
``zip_collect`` nbgrader ``zip_collect`` file names: ``<student>_<YYYYmmddTHHMMSS>_<notebook>.ipynb`` (or your
                ``--pattern``, a regexp with the named groups ``student_id``, ``file_id`` and ``timestamp``)
``folders``     one folder per student: ``<student>/*.ipynb`` or ``<student>/<assignment>/*.ipynb`` (e.g. another
                course's ``submitted/``), with an optional ``timestamp.txt``
==============  =============================================================================================

Each layout is a :class:`nbgrader.plugins.FileNameCollectorPlugin` (``CanvasCollector``, ``MoodleCollector``,
``ExchangeCollector``, ``FolderCollector``), so plain ``nbgrader zip_collect --collector
autograder.collect.CanvasCollector`` understands the same names. Timestamps: the exchange and ``zip_collect`` names
and ``timestamp.txt`` carry one; for Canvas and Moodle downloads the time of each file inside the zip (UTC) is used.
Each is written to nbgrader's ``timestamp.txt``, which its late-penalty step reads.

Notebooks renamed by students or browsers (``02_svm (1).ipynb``, ``02_SVM.ipynb``, ``02_svm-1.ipynb``) are matched
to the assignment's notebooks and reported. LMS students are matched to the roster (``python -m autograder
roster``) by ``lms_user_id``, id or name; students not on the roster are reported by name.

Examples
--------
>>> match_notebook("02_svm (1).ipynb", ["01_scores_and_losses", "02_svm"])
('02_svm', 'renamed')
>>> CanvasCollector().collect("/dl/lovelaceada_late_1234_5678_02_svm-1.ipynb")["file_id"]
'02_svm.ipynb'
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

from autograder import course as _course
from autograder import roster as _roster
from autograder._layouts import LAYOUTS
from autograder.results import AutograderError, CollectResult

__all__ = [
    "collect",
    "match_notebook",
    "detect_layout",
    "LAYOUTS",
    "DEFAULT_PATTERN",
    "CanvasCollector",
    "MoodleCollector",
    "ExchangeCollector",
    "FolderCollector",
]

DEFAULT_PATTERN = r".*/(?P<student_id>[A-Za-z0-9.-]+)_(?P<timestamp>\d{8}T\d{6}Z?)_(?P<file_id>[^/]+\.ipynb)$"
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
CANVAS = re.compile(
    r"^(?P<name>[a-z0-9]+?)(?P<late>_late)?_(?P<user_id>\d+)_(?P<submission_id>\d+)_(?P<file>.+)$", re.I
)
MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
MOODLE_FILE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_file_(?P<file>.+)$")  # "not in folders"
EXCHANGE = re.compile(r"^(?P<student>[^+/]+)\+(?P<assignment>[^+/]+)\+(?P<timestamp>[^+/]+)(?:\+[^/]*)?$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)(?:-(?P<n>\d+))?(?P<ext>\.[A-Za-z0-9]+)$")
COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\d+)?|\s+copy(\s*\d+)?|-\d+)$", re.I)
SKIP_PARTS = ("__MACOSX", ".ipynb_checkpoints")

#: name -> one-line description (the error for an unrecognised layout lists these)


# ---------------------------------------------------------------------------------------------- collector plugins


def _utc(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


class CanvasCollector(FileNameCollectorPlugin):
    """Canvas's "Download Submissions" names: ``<name>[_late]_<user id>_<submission id>_<file>``.

    ``student_id`` is the Canvas user id; ``name`` (Canvas's ``lastfirst``), ``late`` and ``attempt`` (the
    resubmission suffix ``-N`` of the file name, 0 for none) are returned too.
    """

    def collect(self, submitted_file: str) -> dict | None:
        base = os.path.basename(submitted_file)
        m = CANVAS.match(base)
        if not m or os.path.splitext(base)[1] not in self.valid_ext:
            return None
        r = RESUBMISSION.match(m["file"])
        file_id, attempt = (r["stem"] + r["ext"], int(r["n"] or 0)) if r else (m["file"], 0)
        return {
            "student_id": m["user_id"],
            "file_id": file_id,
            "name": m["name"],
            "lms_user_id": m["user_id"],
            "late": bool(m["late"]),
            "attempt": attempt,
        }


class MoodleCollector(FileNameCollectorPlugin):
    """Moodle's "Download all submissions": ``<Full Name>_<participant id>_assignsubmission_file_/<file>`` (or,
    without "Download submissions in folders", ``<Full Name>_<participant id>_assignsubmission_file_<file>``)."""

    def collect(self, submitted_file: str) -> dict | None:
        p = Path(submitted_file)
        if p.suffix not in self.valid_ext:
            return None
        flat = MOODLE_FILE.match(p.name)
        if flat and not any(MOODLE.match(f.name) for f in p.parents):
            return {
                "student_id": _slug(flat["name"]),
                "file_id": flat["file"],
                "name": flat["name"],
                "lms_user_id": flat["id"],
                "attempt": 0,
            }
        for folder in p.parents:
            m = MOODLE.match(folder.name)
            if m:
                return {
                    "student_id": _slug(m["name"]),
                    "file_id": p.name,
                    "name": m["name"],
                    "lms_user_id": m["id"],
                    "attempt": 0,
                }
        return None


class ExchangeCollector(FileNameCollectorPlugin):
    """nbgrader's exchange inbound folders ``<student>+<assignment>+<timestamp>[+<random>]/<file>``."""

    def collect(self, submitted_file: str) -> dict | None:
        p = Path(submitted_file)
        if p.suffix not in self.valid_ext:
            return None
        for folder in p.parents:
            m = EXCHANGE.match(folder.name)
            if m:
                from nbgrader.utils import parse_utc

                try:
                    ts = parse_utc(m["timestamp"])
                except (ValueError, OverflowError):
                    ts = None
                return {
                    "student_id": m["student"],
                    "file_id": str(p.relative_to(folder)),
                    "timestamp": _utc(ts) if ts else None,
                    "assignment": m["assignment"],
                    "attempt": ts.timestamp() if ts else 0,
                }
        return None


class FolderCollector(FileNameCollectorPlugin):
    """``<student>/<file>`` or ``<student>/<assignment>/<file>`` (the folder above the notebook names the student)."""

    assignment = Unicode(_course.ASSIGNMENT, help="assignment folder name to look through").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        p = Path(submitted_file)
        if p.suffix not in self.valid_ext or len(p.parts) < 2:
            return None
        student = p.parent.name
        if p.parent.name == self.assignment and len(p.parts) >= 3:
            student = p.parent.parent.name
        return {"student_id": student, "file_id": p.name, "attempt": 0}


class PatternCollector(FileNameCollectorPlugin):
    """nbgrader's own regexp collector (``named_regexp``) matched against the whole path."""

    def collect(self, submitted_file: str) -> dict | None:
        if Path(submitted_file).suffix not in self.valid_ext:
            return None
        m = re.match(self.named_regexp, submitted_file)
        if not m:
            return None
        info = m.groupdict()
        if info.get("timestamp"):
            from nbgrader.utils import parse_utc

            info["timestamp"] = _utc(parse_utc(info["timestamp"]))
        info.setdefault("attempt", 0)
        return info


# ---------------------------------------------------------------------------------------------- notebook names


def _slug(name: str) -> str:
    """A student id from a full name: ``"Ada Lovelace" -> "ada_lovelace"``."""
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "student"


def _nb_key(stem: str) -> str:
    stem = stem.strip()
    while True:
        new = COPY_SUFFIX.sub("", stem)
        if new == stem:
            break
        stem = new
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")


def match_notebook(filename: str, notebooks: list[str]) -> tuple[str | None, str]:
    """Map a submitted file name to one of the assignment's notebook names.

    Returns ``(name, how)`` with `how` ``"exact"``, ``"renamed"`` (case, copy suffixes such as ``" (1)"`` or
    ``"-1"``, punctuation, or a unique leading number such as ``02_``), or ``(None, "unknown")``.
    """
    stem = Path(filename).name
    stem = stem[: -len(".ipynb")] if stem.endswith(".ipynb") else stem
    if stem in notebooks:
        return stem, "exact"
    key = _nb_key(stem)
    keys = {_nb_key(n): n for n in notebooks}
    if key in keys:
        return keys[key], "renamed"
    num = re.match(r"^(\d+)", key)
    if num:
        same = [n for n in notebooks if re.match(rf"^0*{int(num[1])}(?!\d)", n)]
        if len(same) == 1:
            return same[0], "renamed"
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.75)
    if close:
        return keys[close[0]], "renamed"
    return None, "unknown"


# ---------------------------------------------------------------------------------------------- reading the source


def _safe_extract(zpath: Path, dest: Path) -> None:
    """Extract `zpath` into `dest`, refusing paths that leave it; keep each entry's time as its mtime."""
    with zipfile.ZipFile(zpath) as zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if not parts or ".." in parts or name.startswith("/") or any(s in parts for s in SKIP_PARTS):
                continue
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as fin, open(target, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            stamp = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc).timestamp()
            os.utime(target, (stamp, stamp))


def _wrappers(folder: Path) -> list[Path]:
    """`folder` and the wrapper folders inside it that each hold exactly one folder and no files."""
    chain = [folder]
    while True:
        kids = [k for k in chain[-1].iterdir() if k.name not in SKIP_PARTS and not k.name.startswith(".")]
        if (
            len(kids) != 1
            or not kids[0].is_dir()
            or MOODLE.match(kids[0].name)
            or EXCHANGE.match(kids[0].name)
        ):
            return chain
        chain.append(kids[0])


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(s in p.parts for s in SKIP_PARTS) and not p.name.startswith(".")
    )


def _nested_zips(root: Path) -> None:
    """A student who uploaded a .zip of notebooks: extract it next to itself (same name without .zip)."""
    for z in [p for p in _files(root) if p.suffix.lower() == ".zip" and zipfile.is_zipfile(p)]:
        tmp = Path(tempfile.mkdtemp(dir=z.parent))
        _safe_extract(z, tmp)
        canvas = CANVAS.match(z.name)
        for f in _files(tmp):
            if f.suffix == ".ipynb":
                # a Canvas prefix stays on the name: <name>_<user id>_<submission id>_<notebook>
                prefix = z.name[: canvas.start("file")] if canvas else ""
                dest = z.parent / (prefix + f.name)
                shutil.move(str(f), dest)
                os.utime(dest, (z.stat().st_mtime, z.stat().st_mtime))
        shutil.rmtree(tmp)
        z.unlink()


def detect_layout(root: Path, *, assignment: str, pattern: str | None = None) -> str | None:
    """Return the name of the layout of the folder `root` (see :data:`LAYOUTS`), or None."""
    files = [f for f in _files(root) if f.suffix == ".ipynb"]
    if not files:
        return None
    if pattern is not None:  # the TA's own regexp decides
        return "zip_collect"
    inbound = [root / "inbound", *root.glob("*/inbound")]
    dirs = [d for d in root.iterdir() if d.is_dir()] + [d for i in inbound if i.is_dir() for d in i.iterdir()]
    if any(EXCHANGE.match(d.name) for d in dirs):
        return "exchange"
    if any(MOODLE.match(d.name) for d in root.iterdir() if d.is_dir()):
        return "moodle"
    top_names = [f.name for f in files if f.parent == root]
    if top_names and sum(bool(MOODLE_FILE.match(n)) for n in top_names) >= max(1, len(top_names) // 2):
        return "moodle"
    top = [f for f in files if f.parent == root]
    if top and sum(bool(CANVAS.match(f.name)) for f in top) >= max(1, len(top) // 2):
        return "canvas"
    if top and any(re.match(DEFAULT_PATTERN, str(f)) for f in top):
        return "zip_collect"
    if any(f.parent != root for f in files):
        return "folders"
    return None


def _describe(root: Path, limit: int = 12) -> str:
    items = []
    for p in _files(root)[:limit]:
        items.append(str(p.relative_to(root)))
    more = len(_files(root)) - len(items)
    return "\n    ".join(items + ([f"... and {more} more"] if more > 0 else [])) or "(no files)"


# ---------------------------------------------------------------------------------------------- collect


@dataclass
class _Item:
    student: str
    file: Path
    notebook: str
    how: str
    timestamp: str | None
    attempt: float
    name: str | None = None
    lms_user_id: str | None = None
    late: bool | None = None
    original: str = ""


def _stamp_of(path: Path) -> str:
    return _utc(dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc))


def collect(
    *,
    course_dir: str | os.PathLike | None = None,
    source: str | os.PathLike,
    assignment: str = _course.ASSIGNMENT,
    pattern: str | None = None,
    db_url: str | None = None,
) -> CollectResult:
    """Copy submissions from `source` (folder or ``.zip`` in any layout of :data:`LAYOUTS`) into ``submitted/``.

    Parameters
    ----------
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``); must hold a release.
    source : path
        Folder or ``.zip`` (see module docstring); the layout is detected.
    assignment : str
        Assignment id.
    pattern : str, optional
        Regular expression for exotic file names (named groups ``student_id``, ``file_id``, optional
        ``timestamp``), matched against the absolute path of each extracted file; forces the ``zip_collect`` layout.
    db_url : str, optional
        Gradebook URL (the release check and the roster).

    Returns
    -------
    CollectResult
        Students collected, their timestamps, the layout, renamed notebooks, students missing from the roster,
        and what was skipped (with the reason).
    """
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    notebooks = _course.require_release(cdir, url, assignment)
    src = Path(source).expanduser().resolve()
    if not src.exists():
        raise AutograderError(
            f"submission source {src} does not exist: expected a folder or an LMS .zip file "
            "(`python -m autograder collect --source PATH`)."
        )
    if src.is_file() and not zipfile.is_zipfile(src):
        raise AutograderError(
            f"{src} is neither a folder nor a zip file: expected a folder of submissions or an LMS download (.zip)."
        )
    state = _course.state_dir(cdir)
    with tempfile.TemporaryDirectory(dir=state, prefix="collect-") as tmp:
        tmp = Path(tmp)
        work = tmp / "in"
        if src.is_file():
            work.mkdir()
            _safe_extract(src, work)
        else:
            shutil.copytree(src, work, ignore=shutil.ignore_patterns(*SKIP_PARTS), symlinks=False)
        _nested_zips(work)
        layout, root = None, work
        for cand in reversed(
            _wrappers(work)
        ):  # innermost first: `submissions/<files>` vs `<one student>/<files>`
            layout = detect_layout(cand, assignment=assignment, pattern=pattern)
            if layout is not None:
                root = cand
                break
        if layout is None:
            accepted = "\n    ".join(f"{k:<12} {v}" for k, v in LAYOUTS.items())
            raise AutograderError(
                f"could not recognise the layout of {src}; found:\n    {_describe(root)}\n"
                f"accepted layouts:\n    {accepted}\n"
                "rename the files into one of these layouts, or pass `--pattern REGEXP` (named groups student_id, "
                "file_id, timestamp) to `python -m autograder collect`."
            )
        items, skipped = _parse(root, layout, pattern, assignment, notebooks)
        if not items:
            raise AutograderError(
                f"{src} looks like the {layout!r} layout ({LAYOUTS[layout]}) but no file in it is a notebook of "
                f"{assignment!r} ({', '.join(notebooks)}); found:\n    {_describe(root)}\n"
                + ("skipped:\n    " + "\n    ".join(skipped[:12]) + "\n" if skipped else "")
                + "pass `--pattern` to `python -m autograder collect` for other names."
            )
        unknown, no_roster = _match_roster(items, url)
        chosen, superseded = _choose(items)
        skipped += superseded
        students = _write(cdir, tmp, assignment, chosen)
    by_student = {}
    for it in chosen.values():
        by_student.setdefault(it.student, []).append(it)
    stamps = {}
    for s in students:
        ts = cdir / "submitted" / s / assignment / "timestamp.txt"
        stamps[s] = ts.read_text().strip() if ts.exists() else None
    renamed = sorted(
        f"{it.student}: {it.original} -> {it.notebook}.ipynb" for it in chosen.values() if it.how == "renamed"
    )
    late = sorted(s for s, its in by_student.items() if any(i.late for i in its))
    missing = {s: sorted(set(notebooks) - {i.notebook for i in its}) for s, its in by_student.items()}
    return CollectResult(
        cdir,
        assignment,
        students,
        stamps,
        skipped,
        layout=layout,
        renamed=renamed,
        unknown=unknown,
        no_roster=no_roster,
        lms_late=late,
        missing={s: m for s, m in missing.items() if m},
    )


def _plugin(layout: str, pattern: str | None, assignment: str) -> FileNameCollectorPlugin:
    if layout == "zip_collect":
        return PatternCollector(named_regexp=pattern or DEFAULT_PATTERN)
    if layout == "folders":
        return FolderCollector(assignment=assignment)
    return {"canvas": CanvasCollector, "moodle": MoodleCollector, "exchange": ExchangeCollector}[layout]()


def _parse(root: Path, layout: str, pattern, assignment: str, notebooks: list[str]):
    plugin = _plugin(layout, pattern, assignment)
    items, skipped = [], []
    stamp_files = {}
    for f in _files(root):
        rel = f.relative_to(root)
        if f.name == "timestamp.txt":
            stamp_files[f.parent] = f.read_text().strip()
            continue
        info = plugin.collect(str(f))
        if not info:
            if f.suffix == ".ipynb":
                skipped.append(f"{rel}: not a {layout} name ({LAYOUTS[layout]})")
            continue
        if info.get("assignment") not in (None, assignment):
            skipped.append(f"{rel}: submission of another assignment ({info['assignment']})")
            continue
        nb, how = match_notebook(info["file_id"], notebooks)
        if nb is None:
            skipped.append(
                f"{rel}: {info['file_id']!r} is not a notebook of {assignment} ({', '.join(notebooks)})"
            )
            continue
        sid = info["student_id"]
        ts = info.get("timestamp")
        if ts is None and layout in ("canvas", "moodle"):
            ts = _stamp_of(f)
        items.append(
            _Item(
                student=sid,
                file=f,
                notebook=nb,
                how=how,
                timestamp=ts,
                attempt=float(info.get("attempt") or 0),
                name=info.get("name"),
                lms_user_id=info.get("lms_user_id"),
                late=info.get("late"),
                original=Path(info["file_id"]).name,
            )
        )
    for it in items:  # folder layouts: the student's own timestamp.txt
        if it.timestamp is None:
            for folder in (it.file.parent, it.file.parent.parent):
                if folder in stamp_files:
                    it.timestamp = stamp_files[folder]
                    break
    return items, skipped


def _match_roster(items: list[_Item], url: str) -> tuple[list[str], bool]:
    """Rewrite LMS student keys to roster ids; return (students not on the roster, by name; whether none exists)."""
    people = _roster.roster(url)
    by_id = {p.id: p for p in people}
    by_lms = {p.lms_user_id: p for p in people if p.lms_user_id}
    by_name: dict[str, list] = {}
    for p in people:
        for key in {
            _roster.name_key(f"{p.first_name or ''}{p.last_name or ''}"),
            _roster.name_key(f"{p.last_name or ''}{p.first_name or ''}"),
        }:
            if key:
                by_name.setdefault(key, []).append(p)
    unknown = set()
    for it in items:
        hit = by_lms.get(it.lms_user_id) if it.lms_user_id else None
        hit = hit or by_id.get(it.student)
        if hit is None and it.name:
            cands = by_name.get(_roster.name_key(it.name), [])
            hit = cands[0] if len(cands) == 1 else None
        if hit is not None:
            it.student = hit.id
        elif people:
            unknown.add(f"{it.name or it.student} (collected as {it.student})")
    return sorted(unknown), not people


def _choose(items: list[_Item]) -> tuple[dict[tuple[str, str], _Item], list[str]]:
    """One file per (student, notebook): the highest resubmission / latest timestamp wins."""
    chosen: dict[tuple[str, str], _Item] = {}
    superseded = []
    for it in items:
        key = (it.student, it.notebook)
        old = chosen.get(key)
        if old is None:
            chosen[key] = it
            continue
        newer = (it.attempt, it.timestamp or "", it.how == "exact") > (
            old.attempt,
            old.timestamp or "",
            old.how == "exact",
        )
        win, lose = (it, old) if newer else (old, it)
        chosen[key] = win
        superseded.append(f"{lose.student}: {lose.original} superseded by {win.original}")
    return chosen, superseded


def _write(cdir: Path, tmp: Path, assignment: str, chosen: dict) -> list[str]:
    """Stage each student's folder, verify it, then swap it into ``submitted/`` (old copy removed last)."""
    invalid = [s for s in {s for s, _ in chosen} if not STUDENT_ID.match(s)]
    if invalid:
        raise AutograderError(
            f"student ids {sorted(invalid)} are not usable as folder names: rename those folders, or import a "
            "roster whose ids match (`python -m autograder roster FILE.csv`)."
        )
    stage = tmp / "stage"
    by_student: dict[str, list[_Item]] = {}
    for (s, _), it in chosen.items():
        by_student.setdefault(s, []).append(it)
    for s, its in by_student.items():
        d = stage / s / assignment
        d.mkdir(parents=True)
        for it in its:
            shutil.copy2(it.file, d / f"{it.notebook}.ipynb")
        stamps = [i.timestamp for i in its if i.timestamp]
        if stamps:
            from nbgrader.utils import parse_utc

            (d / "timestamp.txt").write_text(_utc(max(parse_utc(t) for t in stamps)) + "\n")
        if len(list(d.glob("*.ipynb"))) != len(its):  # verify the staged copy before touching submitted/
            raise AutograderError(
                f"staging {s}'s submission in {d} failed; nothing in submitted/ was changed"
            )
    submitted = cdir / "submitted"
    for s in sorted(by_student):
        dest = submitted / s / assignment
        dest.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if dest.exists():
            old = dest.with_name(f".{assignment}.old")
            shutil.rmtree(old, ignore_errors=True)
            dest.rename(old)
        shutil.move(str(stage / s / assignment), dest)
        if old is not None:
            shutil.rmtree(old)
    return sorted(by_student)
