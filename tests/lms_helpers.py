"""Generate LMS downloads of a small class: one student per collect layout and per lateness case.

Every writer takes ``{student: Hand-in}`` and writes the archive exactly as that LMS names things; zip entries carry
the hand-in time (Canvas/Moodle downloads have no time in their file names, so collect reads the entry time).

Due date :data:`DUE` (``2026-12-01 17:00:00 UTC``); :data:`ON_TIME`, :data:`ONE_HOUR_LATE`, :data:`THREE_DAYS_LATE`.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DUE_TEXT = "2026-12-01 17:00:00 UTC"
DUE = dt.datetime(2026, 12, 1, 17, 0, 0)
ON_TIME = DUE - dt.timedelta(hours=1)
ONE_HOUR_LATE = DUE + dt.timedelta(hours=1)
THREE_DAYS_LATE = DUE + dt.timedelta(days=3)


@dataclass
class HandIn:
    """What one student handed in: ``files`` maps the file name AS SUBMITTED to the notebook file to copy."""

    files: dict[str, Path]
    when: dt.datetime = ON_TIME
    name: str = ""  # full name as the LMS shows it
    lms_id: str = ""  # Canvas user id / Moodle participant id
    late: bool = False  # Canvas's `late` marker
    extra: dict[str, bytes] = field(default_factory=dict)


def _entry(zf: zipfile.ZipFile, arcname: str, data: bytes, when: dt.datetime) -> None:
    info = zipfile.ZipInfo(arcname, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def canvas_zip(path: Path, hand_ins: dict[str, HandIn], *, wrapper: str = "") -> Path:
    """Canvas "Download Submissions": ``<lastfirst>[_late]_<user id>_<submission id>_<file>`` (flat)."""
    with zipfile.ZipFile(path, "w") as zf:
        for i, h in enumerate(hand_ins.values()):
            first, last = (h.name.split(" ", 1) + [""])[:2]
            key = (last + first).lower().replace(" ", "").replace("-", "")
            late = "_late" if h.late else ""
            for fname, src in h.files.items():
                _entry(zf, f"{wrapper}{key}{late}_{h.lms_id}_{9000 + i}_{fname}", src.read_bytes(), h.when)
    return path


def moodle_zip(path: Path, hand_ins: dict[str, HandIn]) -> Path:
    """Moodle "Download all submissions": ``<Full Name>_<id>_assignsubmission_file_/<file>``."""
    with zipfile.ZipFile(path, "w") as zf:
        for h in hand_ins.values():
            for fname, src in h.files.items():
                _entry(zf, f"{h.name}_{h.lms_id}_assignsubmission_file_/{fname}", src.read_bytes(), h.when)
    return path


def exchange_dir(root: Path, hand_ins: dict[str, list[HandIn]], *, course: str, assignment: str) -> Path:
    """nbgrader exchange: ``<root>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/<files>``."""
    inbound = root / course / "inbound"
    for student, versions in hand_ins.items():
        for n, h in enumerate(versions):
            stamp = h.when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            d = inbound / f"{student}+{assignment}+{stamp}+rnd{n}"
            d.mkdir(parents=True)
            (d / "timestamp.txt").write_text(stamp)
            for fname, src in h.files.items():
                (d / fname).write_bytes(src.read_bytes())
    return root


def folders_zip(path: Path, hand_ins: dict[str, HandIn], *, top: str = "class") -> Path:
    """A zip of one folder per student (``<top>/<student>/<file>``), with a ``timestamp.txt``."""
    with zipfile.ZipFile(path, "w") as zf:
        for student, h in hand_ins.items():
            for fname, src in h.files.items():
                _entry(zf, f"{top}/{student}/{fname}", src.read_bytes(), h.when)
            _entry(
                zf,
                f"{top}/{student}/timestamp.txt",
                h.when.strftime("%Y-%m-%d %H:%M:%S UTC").encode(),
                h.when,
            )
    return path


def zip_collect_zip(path: Path, hand_ins: dict[str, HandIn]) -> Path:
    """nbgrader zip_collect names: ``<student>_<YYYYmmddTHHMMSS>_<file>``."""
    with zipfile.ZipFile(path, "w") as zf:
        for student, h in hand_ins.items():
            for fname, src in h.files.items():
                _entry(zf, f"{student}_{h.when.strftime('%Y%m%dT%H%M%S')}_{fname}", src.read_bytes(), h.when)
    return path


ROSTER_CSV = """id,first_name,last_name,email,lms_user_id
ada,Ada,Lovelace,ada@uni.example,
bob,Charles,Babbage,bob@uni.example,1001
cyd,Marie,Curie,cyd@uni.example,
dee,Dee,Dee,dee@uni.example,
eve,Eve,Noether,eve@uni.example,
"""
