"""Course directory layout, nbgrader configuration and gradebook access.

Layout (nbgrader's own): ``<course>/source/<assignment>/`` (instructor notebooks with solutions and hidden tests),
``release/``, ``submitted/<student>/<assignment>/``, ``autograded/``, ``feedback/``, ``gradebook.db`` (default
database), ``nbgrader_config.py`` (written from :data:`CONFIG_TEMPLATE` on release; edit it freely), and
``.autograder/`` (grader state: executed notebooks, the synthetic data set used in the sandbox).

The database is any SQLAlchemy URL: argument ``db_url`` > ``c.CourseDirectory.db_url`` in the course's
``nbgrader_config.py`` > ``sqlite:///<course>/gradebook.db``.

Examples
--------
>>> from autograder.course import default_db_url
>>> default_db_url("/srv/course")
'sqlite:////srv/course/gradebook.db'
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from autograder.results import AutograderError

__all__ = [
    "REPO",
    "DEFAULT_COURSE_DIR",
    "ASSIGNMENT",
    "CONFIG_TEMPLATE",
    "resolve_course_dir",
    "default_db_url",
    "resolve_db_url",
    "write_config",
    "load_config",
    "coursedir",
    "gradebook",
    "require_release",
    "state_dir",
    "ensure_secret",
    "TRUSTED_BLOCK",
]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_COURSE_DIR = REPO / "build" / "course"
ASSIGNMENT = "linear_classifiers"
COURSE_ID = "cs231n_lite"

CONFIG_TEMPLATE = """\
# nbgrader configuration for the cs231n-lite course directory.
# Written by `python -m autograder release`; keep your edits (release only rewrites the marked lines).
c = get_config()  # noqa: F821

c.CourseDirectory.root = {root!r}  # autograder: root
c.CourseDirectory.db_url = {db_url!r}  # autograder: db_url
c.CourseDirectory.course_id = "cs231n_lite"

# Released stubs: the contract says `raise NotImplementedError()`.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Output kept in graded notebooks (the sandbox runner also caps characters per cell).
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# Late penalties use timestamp.txt (kept by `python -m autograder collect`) and the assignment's due date
# (`python -m autograder release --due "2026-12-01 17:00:00 UTC"`). Example: one point per late hour:
# c.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin"
# c.LateSubmissionPlugin.penalty_method = "zero"

{trusted}"""

TRUSTED_BLOCK = """\
# Trusted grading (autograder: trusted grading). Plain `nbgrader autograde` and Formgrader's autograde button run
# the same sandbox and trusted judge as `python -m autograder grade`: TrustedExecute replaces nbgrader's Execute.
# Without bubblewrap it refuses; set c.TrustedExecute.allow_unsandboxed = True only for TRUSTED notebooks.
import sys as _sys  # noqa: E402
if {repo!r} not in _sys.path:
    _sys.path.insert(0, {repo!r})  # autograder: repo
# Tampered nbgrader metadata (points, grade ids, deleted cells, kernelspec...) is compared with the release,
# repaired and logged before nbgrader's own sanitize steps; no execute_result decides a point.
c.Autograde.sanitize_preprocessors = [
    "autograder.tamper.RepairTampering",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.TrustedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.tamper.StripGradeOutputs",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.TrustedExecute.allow_unsandboxed = False
"""


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin/`` on PATH: nbgrader runs the ``alembic`` command when it creates a gradebook,
    which fails with FileNotFoundError when the virtualenv is used without being activated."""
    venv_bin = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if venv_bin not in parts:
        os.environ["PATH"] = os.pathsep.join([venv_bin, *[p for p in parts if p]])


def resolve_course_dir(course_dir: str | os.PathLike | None) -> Path:
    """Return the absolute course directory (default ``<repo>/build/course``)."""
    return Path(course_dir).expanduser().resolve() if course_dir else DEFAULT_COURSE_DIR


def default_db_url(course_dir: str | os.PathLike) -> str:
    """Return ``sqlite:///<course>/gradebook.db``."""
    return f"sqlite:///{Path(course_dir) / 'gradebook.db'}"


def state_dir(course_dir: Path) -> Path:
    """Return (and create) ``<course>/.autograder``."""
    d = Path(course_dir) / ".autograder"
    d.mkdir(parents=True, exist_ok=True)
    return d


def load_config(course_dir: Path):
    """Return the traitlets Config from ``<course>/nbgrader_config.py`` (empty Config when absent)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course_dir) / "nbgrader_config.py"
    if not path.exists():
        return Config()
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def resolve_db_url(course_dir: Path, db_url: str | None) -> str:
    """Return `db_url` > the course config's ``CourseDirectory.db_url`` > the default SQLite file."""
    if db_url:
        return db_url
    cfg = load_config(course_dir)
    url = cfg.get("CourseDirectory", {}).get("db_url")
    return url or default_db_url(course_dir)


def write_config(course_dir: Path, db_url: str) -> Path:
    """Write ``nbgrader_config.py`` from :data:`CONFIG_TEMPLATE`, or update its root/db_url lines if it exists."""
    path = Path(course_dir) / "nbgrader_config.py"
    trusted = TRUSTED_BLOCK.format(repo=str(REPO))
    if not path.exists():
        path.write_text(CONFIG_TEMPLATE.format(root=str(course_dir), db_url=db_url, trusted=trusted))
        return path
    lines = []
    for line in path.read_text().splitlines():
        if line.endswith("# autograder: root"):
            line = f"c.CourseDirectory.root = {str(course_dir)!r}  # autograder: root"
        elif line.endswith("# autograder: db_url"):
            line = f"c.CourseDirectory.db_url = {db_url!r}  # autograder: db_url"
        elif line.endswith("# autograder: repo"):
            line = f"    _sys.path.insert(0, {str(REPO)!r})  # autograder: repo"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if "(autograder: trusted grading)" not in text:  # a config written before trusted grading existed
        text += "\n" + trusted
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def ensure_secret(course_dir: Path) -> str:
    """Return the course's secret seed, creating ``<course>/.autograder/secret`` (mode 0600) on first use.

    Hidden inputs are drawn from it on the trusted side only: it is never bound into a sandbox (the course
    folder is hidden there), so a student cannot know the hidden inputs in advance; the same secret gives the
    same inputs on every regrade. Created at release; delete it only together with every grade.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> ensure_secret(d) == ensure_secret(d) and len(ensure_secret(d)) == 64
    True
    """
    import secrets

    path = state_dir(Path(course_dir)) / "secret"
    if path.exists():
        value = path.read_text().strip()
        if len(value) < 32:
            raise AutograderError(
                f"the course secret {path} is damaged (expected 64 hex characters, found {len(value)}); restore "
                f"it from a backup: regrading with a new secret changes every hidden input."
            )
        return value
    value = secrets.token_hex(32)
    tmp = path.with_name(".secret.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    os.replace(tmp, path)
    return value


def nbgrader_config(course_dir: Path, db_url: str, extra=None):
    """Return the course Config with root/db_url forced and `extra` (a Config) merged on top."""
    cfg = load_config(course_dir)
    cfg.CourseDirectory.root = str(course_dir)
    cfg.CourseDirectory.db_url = db_url
    cfg.CourseDirectory.course_id = COURSE_ID
    if extra is not None:
        cfg.merge(extra)
    return cfg


def coursedir(course_dir: Path, db_url: str, extra=None):
    """Return an nbgrader ``CourseDirectory`` for `course_dir` (and its Config)."""
    from nbgrader.coursedir import CourseDirectory

    cfg = nbgrader_config(course_dir, db_url, extra)
    return CourseDirectory(config=cfg), cfg


@contextlib.contextmanager
def gradebook(db_url: str, course_id: str = COURSE_ID):
    """Open nbgrader's Gradebook (a context manager that closes the session)."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    with Gradebook(db_url, course_id) as gb:
        yield gb


def require_release(course_dir: Path, db_url: str, assignment: str) -> list[str]:
    """Return the assignment's notebook names; raise AutograderError naming `release` when there is none."""
    source = course_dir / "source" / assignment
    hint = (
        f"no release found in {course_dir} (expected {source} and assignment {assignment!r} in the gradebook "
        f"{db_url}): did you run `python -m autograder release --course-dir {course_dir}`?"
    )
    if not source.is_dir():
        raise AutograderError(hint)
    from nbgrader.api import MissingEntry

    try:
        with gradebook(db_url) as gb:
            return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
    except MissingEntry:
        raise AutograderError(hint) from None
