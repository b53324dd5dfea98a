"""Parallel, sandboxed autograding on top of nbgrader's own Autograde (one gradebook writer).

Phase 1 (N worker threads, each driving one sandbox at a time): per (student, notebook) the trusted parent applies
nbgrader's sanitize preprocessors (``Autograde.sanitize_preprocessors``: clear outputs, restore the instructor's
test cells from the gradebook, ...; gradebook read-only, main thread). Then :func:`grade_submission` (one student,
one sandbox) sends each notebook WITHOUT its hidden blocks to :mod:`autograder._runner` inside
:mod:`autograder.sandbox`; the kernel gets only the student bundle's ``cs231n_lite`` (no reference) and a small
call server. :mod:`autograder.judge` decides every grade cell in THIS process: it sends inputs, receives the
student functions' return values as data, compares them with the reference and writes the verdict into the
cell's outputs. Nothing that runs in the sandbox can decide a point.

Phase 2 (the main thread only, as soon as all notebooks of a student are back): nbgrader's real ``Autograde``
converter with ``Execute`` replaced by :class:`autograder.preprocessors.ReplayExecute`, so nbgrader itself
sanitizes, applies ``LimitOutput``, ``SaveAutoGrades`` and ``AssignLatePenalties`` and writes the gradebook. One
writer means no "database is locked" and no lost grade, with any SQLAlchemy URL. Scores are read back from the
gradebook, so the returned rows ARE the record. Plain ``nbgrader autograde`` and Formgrader run the same
:func:`grade_submission` through :class:`autograder.preprocessors.TrustedExecute` (the course's config).

Examples
--------
>>> from autograder.grading import default_workers
>>> default_workers() >= 1
True
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from autograder import course as _course
from autograder import sandbox, sessions, tamper, wire
from autograder.results import AutograderError, GradeResult

__all__ = ["GradeOptions", "grade", "grade_submission", "default_workers", "prepare_data", "staged_files"]

RUNNER = Path(__file__).with_name("_runner.py")
WIRE = Path(__file__).with_name("wire.py")
KERNEL_HELPER = Path(__file__).with_name("_kernel.py")
SANDBOX_RUNNER = "/grader/runner.py"
SANDBOX_WIRE = "/grader/grader_wire.py"
WARM = Path(__file__).with_name("_warm.py")  # warm kernels: one zygote per sandbox, bound next to the runner
SANDBOX_WARM = "/grader/_warm.py"
LIB_DIR = "/tmp/grader-lib"
#: The CPU rlimit of a kept sandbox is that of a submission of this many notebooks (each kernel is a new process
#: with its own count; the runner's own use over :data:`autograder.sessions.MAX_JOBS` jobs stays far below it).
SESSION_NOTEBOOKS = 8


def default_workers() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class GradeOptions:
    """Per-notebook limits (see :class:`autograder.sandbox.Limits` for the process limits)."""

    cell_timeout: int = 30
    notebook_timeout: float = 180.0
    call_timeout: float = 10.0
    memory_bytes: int = 2048 * sandbox.MiB
    max_processes: int = 128
    max_cell_output: int = 200_000
    max_total_output: int = 5_000_000
    warm: bool = True  # fork each notebook's kernel from a pre-imported zygote (autograder/_warm.py)
    reuse_sandbox: bool = True  # a worker slot's sandbox serves its next submissions too (autograder/sessions.py)

    def limits(self) -> sandbox.Limits:
        return sandbox.Limits(
            wall_seconds=self.notebook_timeout + 30,
            cpu_seconds=int(self.notebook_timeout * 2 + 60),
            memory_bytes=self.memory_bytes,
            max_processes=self.max_processes,
            max_output_bytes=max(4 * self.max_total_output, 16 * sandbox.MiB),
        )


def staged_files(repo: Path) -> dict[str, str]:
    """Return {relative path: text} staged into the kernel's import path: the student bundle's ``cs231n_lite``
    (WITHOUT ``cs231n_lite/reference``) and the kernel-side call server with its wire format. No check, no
    reference, no expected answer."""
    files: dict[str, str] = {}
    pkg = repo / "cs231n_lite"
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(repo)
        if "__pycache__" not in rel.parts and "reference" not in rel.parts:
            files[str(rel)] = path.read_text()
    files["grader_wire.py"] = WIRE.read_text()
    files["grader_kernel.py"] = KERNEL_HELPER.read_text()
    return files


def prepare_data(state: Path, *, repo: Path | None = None) -> Path:
    """Generate the synthetic data set and its caches once in ``<state>/data``; return that folder.

    The folder is bound READ-ONLY into every sandbox, so everything the notebooks' grading mode would cache
    (array cache, the mean image for the grading-mode training size) is written here first. Regenerated when
    ``cs231n_lite/datasets.py`` or ``session.py`` change.
    """
    import hashlib

    repo = repo or _course.REPO
    data = state / "data"
    marker = data / ".grader-ready"
    h = hashlib.sha256(b"matplotlib font list in mpl/")  # see prepare_font_cache
    for name in ("datasets.py", "session.py"):
        f = repo / "cs231n_lite" / name
        h.update(f.read_bytes() if f.exists() else b"-")
    stamp = h.hexdigest()[:16]
    if marker.exists() and marker.read_text().strip() == stamp:
        return data
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "CS231N_LITE_DATASET": "synthetic",
        "CS231N_LITE_DATA_DIR": str(data),
        "NBGRADER_EXECUTION": "autograde",
        "PYTHONPATH": str(repo),
    }
    code = (
        "from cs231n_lite import datasets\n"
        "try:\n"
        "    from cs231n_lite.session import SIZES\n"
        "    sizes = [SIZES['grading']]\n"
        "except Exception:\n"
        "    sizes = []\n"
        "for kw in sizes + [dict(num_training=100, num_validation=10, num_test=10, num_dev=10)]:\n"
        "    datasets.get_cifar10_data(**kw)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=str(repo), timeout=600
    )
    if proc.returncode != 0:
        raise AutograderError(
            f"could not generate the synthetic data set in {data}: {proc.stderr.strip()[-500:]}\n"
            f"try `CS231N_LITE_DATA_DIR={data} python -m cs231n_lite.datasets synthetic`."
        )
    try:
        prepare_font_cache(data / MPL_SEED)
    except AutograderError as exc:  # only speed is at stake: each sandbox's zygote then builds the list itself
        import warnings

        warnings.warn(str(exc), RuntimeWarning, stacklevel=2)
    marker.write_text(stamp + "\n")
    return data


#: Folder of the prepared data holding matplotlib's font list (``AUTOGRADER_MPL_SEED`` in the sandbox).
MPL_SEED = "mpl"


def prepare_font_cache(folder: Path) -> Path:
    """Write matplotlib's font list (``fontlist-v*.json``) into `folder`, built as a sandbox would build it.

    Every new sandbox starts with an empty ``MPLCONFIGDIR``, so its warm-kernel zygote would rebuild the font list
    (scan the system fonts with ``fc-list``, parse every AFM file: ~0.25 core-s) before its first kernel; with this
    list bound read-only next to the data set it copies the list instead (:func:`autograder._warm.serve`). Built
    with ``HOME`` inside `folder`, so no font from the grader's home (hidden in the sandbox) is listed; a list
    naming a font the sandbox cannot open makes matplotlib rebuild it, as it would have anyway.
    """
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "MPLCONFIGDIR": str(folder),
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
    }
    proc = subprocess.run(
        [sys.executable, "-I", "-c", "import matplotlib.font_manager"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 or not list(folder.glob("fontlist-v*.json")):
        raise AutograderError(
            f"could not build matplotlib's font list in {folder}: {proc.stderr.strip()[-500:]}\n"
            f"try `MPLCONFIGDIR={folder} python -c 'import matplotlib.font_manager'`."
        )
    return folder


def _sandbox_env(data_dir: Path, *, isolated: bool = True) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": LIB_DIR,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/mpl",
        "AUTOGRADER_MPL_SEED": str(data_dir / MPL_SEED),  # the zygote copies the font list from here
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NBGRADER_EXECUTION": "autograde",
        "CS231N_LITE_DATASET": "synthetic",
        "CS231N_LITE_DATA_DIR": str(data_dir),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "AUTOGRADER_ISOLATED": "1" if isolated else "0",
    }


class Sanitizer:
    """nbgrader's sanitize preprocessors (``Autograde.sanitize_preprocessors`` of the course, else nbgrader's
    defaults), resolved once and applied to each notebook exactly as nbgrader's ``Autograde`` converter applies
    them (gradebook read-only).

    With ``cells`` (an :class:`autograder.preprocessors.InstructorCells` snapshot of the gradebook, made once per
    batch) nbgrader's ``OverwriteCells`` / ``OverwriteKernelspec`` / ``CheckCellMetadata`` are replaced by their
    cached subclasses, which run nbgrader's own per-cell code on the same values (and check a cell's metadata
    once per batch). ``skip`` names classes to leave out: the batch grader passes
    :class:`autograder.tamper.RepairTampering` because it has just applied :func:`autograder.tamper.inspect` itself
    (which RepairTampering would only repeat on the repaired notebook, finding nothing).
    """

    def __init__(self, *, config, db_url: str, assignment: str, cells=None, skip=()):
        from nbgrader.converters.autograde import Autograde
        from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells, OverwriteKernelspec
        from traitlets.utils.importstring import import_item

        from autograder import preprocessors as _pp

        names = (
            config.get("Autograde", {}).get("sanitize_preprocessors")
            or Autograde.class_traits()["sanitize_preprocessors"].default()
        )
        classes = [import_item(c) if isinstance(c, str) else c for c in names]  # the config names them as strings
        cached = {
            OverwriteCells: _pp.CachedOverwriteCells,
            OverwriteKernelspec: _pp.CachedOverwriteKernelspec,
            CheckCellMetadata: _pp.CachedCheckCellMetadata,
        }
        self.classes = [c for c in classes if c not in tuple(skip)]
        self._make = []
        for cls in self.classes:
            if cells is not None and cls in cached:
                self._make.append(lambda c=cached[cls]: c(config=config, cells=cells))
            else:
                self._make.append(lambda c=cls: c(config=config))
        self.db_url, self.assignment = db_url, assignment

    def __call__(self, nb, *, student: str, notebook: str):
        resources = {
            "nbgrader": {
                "student": student,
                "assignment": self.assignment,
                "notebook": notebook,
                "db_url": self.db_url,
            },
            "unique_key": notebook,
        }
        for make in self._make:
            nb, resources = make()(nb, resources)
        return nb


def _sanitize(nb, *, student: str, assignment: str, notebook: str, db_url: str, config):
    """Apply nbgrader's sanitize preprocessors exactly as its Autograde converter does (gradebook read-only)."""
    return Sanitizer(config=config, db_url=db_url, assignment=assignment)(nb, student=student, notebook=notebook)


def schema_error(nb) -> str:
    """The error nbconvert's exporter raises for `nb` after a preprocessor (``nbformat.validate(nb,
    relax_add_props=True)``), "" when valid; `nb` is not modified (validate repairs cell ids in place)."""
    import copy

    import nbformat

    ids = [c.get("id") for c in nb.get("cells", [])]
    target = nb if None not in ids and len(set(ids)) == len(ids) else copy.deepcopy(nb)
    try:
        nbformat.validate(target, relax_add_props=True)
    except nbformat.ValidationError as exc:
        return str(exc).splitlines()[0][:300] or "invalid notebook"
    return ""


def _job_limits(options: GradeOptions, n_notebooks: int) -> sandbox.Limits:
    limits = options.limits()
    return dataclasses.replace(
        limits,
        wall_seconds=limits.wall_seconds * max(1, n_notebooks),
        cpu_seconds=int(limits.cpu_seconds * max(1, n_notebooks)),
    )


def grade_submission(job: dict) -> dict:
    """Run and judge ONE student's notebooks in one sandbox (the unit of work; picklable for Dask).

    Parameters
    ----------
    job : dict
        ``student`` (str), ``notebooks`` (list of ``{"name": str, "notebook": dict}``, sanitized by nbgrader),
        ``secret`` (the course secret, :func:`autograder.course.ensure_secret`), ``data_dir`` (the prepared data
        set, :func:`prepare_data`), ``repo`` (where ``cs231n_lite`` comes from), and optionally ``options`` (a
        dict of :class:`GradeOptions` fields), ``slot`` (worker number: the sandbox uid when root),
        ``hide`` (host paths to hide in the sandbox), ``allow_unsandboxed`` (bool).

    Returns
    -------
    dict
        ``{"student": str, "sandboxed": bool, "results": {name: {"status", "error", "seconds", "notebook",
        "verdicts"}}}``; ``notebook`` is the graded notebook as a dict (grade cells carry the trusted verdicts),
        or None when nothing ran. Never raises for anything the submission does.

    Examples
    --------
    >>> grade_submission({"student": "s", "notebooks": [], "secret": "x", "data_dir": "/tmp", "repo": "."})
    {'student': 's', 'sandboxed': False, 'results': {}}
    """
    from autograder import judge

    student = job["student"]
    items = list(job.get("notebooks", []))
    out = {"student": student, "sandboxed": False, "results": {}}
    if not items:
        return out
    options = GradeOptions(**(job.get("options") or {}))
    repo = Path(job.get("repo") or _course.REPO).resolve()
    data_dir = Path(job["data_dir"])
    isolated = sandbox.find_bwrap() is not None
    env = _sandbox_env(data_dir, isolated=isolated)
    binds = [(RUNNER, SANDBOX_RUNNER), (WIRE, SANDBOX_WIRE), (WARM, SANDBOX_WARM), (data_dir, data_dir)]
    hide = [repo, _course.REPO, Path.home(), *[Path(h) for h in job.get("hide", [])]]
    files = staged_files(repo)
    runner_job = {
        "cell_timeout": options.cell_timeout,
        "deadline": options.notebook_timeout,
        "startup_timeout": 60,
        "max_cell_output": options.max_cell_output,
        "max_total_output": options.max_total_output,
        "lib_dir": LIB_DIR,
        "work_dir": "/tmp/work",
        "warm": options.warm,
    }
    t0 = time.monotonic()
    argv = [sys.executable, "-I", SANDBOX_RUNNER if isolated else str(RUNNER)]
    session_limits = _job_limits(options, SESSION_NOTEBOOKS)
    slot = int(job.get("slot", 0))
    allow = bool(job.get("allow_unsandboxed", False))
    key = (tuple(argv), tuple((str(a), str(b)) for a, b in binds), tuple(map(str, hide)),
           tuple(sorted(env.items())), session_limits, slot, allow)

    def start():
        return sandbox.start(
            argv, limits=session_limits, ro_binds=binds, hide=hide, env=env, slot=slot, allow_unsandboxed=allow
        )

    try:
        sess = sessions.acquire(slot, key, start) if options.reuse_sandbox else sessions.Session(slot, key, start(), 1)
    except Exception as exc:  # noqa: BLE001 - e.g. SandboxUnavailable: every notebook gets the reason
        for item in items:
            out["results"][item["name"]] = {
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": 0.0,
                "notebook": None,
                "verdicts": {},
            }
        return out
    proc = sess.proc
    proc.rearm(_job_limits(options, len(items)).wall_seconds)
    out["sandboxed"] = proc.sandboxed
    out["sandbox_job"] = sess.jobs  # 1: a fresh sandbox; n: its n-th submission
    import nbformat

    broken = None
    reusable = False
    try:
        for item in items:
            nb = nbformat.from_dict(item["notebook"])
            if broken is not None:
                res = judge._finish(
                    nb, None, judge.grade_cells(nb), {}, broken[0], broken[1], time.monotonic()
                )
            else:
                try:
                    res = judge.judge_notebook(
                        proc,
                        nb,
                        job=runner_job,
                        files=files,
                        secret=str(job["secret"]),
                        call_timeout=options.call_timeout,
                    )
                except judge._Broken as exc:
                    res, broken = exc.result, (exc.status, exc.error)
            res["notebook"] = dict(res["notebook"])
            out["results"][item["name"]] = res
        if broken is None and proc.sandboxed and options.reuse_sandbox:
            reusable, out["sandbox_reset"] = _reset(proc)
    finally:
        sessions.release(sess, reusable=reusable)
    for res in out["results"].values():
        res["seconds"] = float(res.get("seconds") or (time.monotonic() - t0))
    return out


def grade(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    students: list[str] | None = None,
    workers: int | None = None,
    db_url: str | None = None,
    options: GradeOptions | None = None,
    allow_unsandboxed: bool = False,
    repo: str | os.PathLike | None = None,
    progress=None,
    scheduler=None,
    force: bool = False,
    show_progress: bool = False,
    echo=None,
) -> GradeResult:
    """Autograde submissions in sandboxes, one Dask task (:func:`grade_submission`) per submission; nbgrader
    writes the gradebook. The batch runs on :mod:`autograder.cluster` (an embedded LocalCluster, or a Dask
    scheduler); see there.

    Parameters
    ----------
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``); must hold a release and collected submissions.
    assignment : str
        Assignment id.
    students : list of str, optional
        Only these students (default: everyone under ``submitted/``); named students are always regraded.
    workers : int, optional
        Parallel sandboxes of the embedded cluster (default: number of cores).
    db_url : str, optional
        SQLAlchemy URL of the gradebook (default from the course config / ``gradebook.db``).
    options : GradeOptions, optional
        Time, memory, process and output limits per notebook.
    allow_unsandboxed : bool
        Grade without bubblewrap (rlimits only, loud warning). Otherwise a missing bwrap is an error.
    repo : path, optional
        Where ``cs231n_lite`` is staged from (default: this checkout; workers use their own checkout).
    progress : callable, optional
        Called with each finished :class:`GradeRow`.
    scheduler : None, str or distributed.Client
        ``"tcp://HOST:PORT"`` of a Dask scheduler (or a Client) to grade on an existing cluster.
    force : bool
        Regrade everyone (default: resume, skipping submissions already graded with the same files and code).
    show_progress : bool
        Show a tqdm progress bar on stderr.
    echo : callable, optional
        Where notices (dashboard address, refused workers, resume) go; default stderr.

    Returns
    -------
    GradeResult
        One row per (student, notebook), scores read back from the gradebook.
    """
    from autograder import cluster

    return cluster.grade(
        course_dir=course_dir,
        assignment=assignment,
        students=students,
        workers=workers,
        db_url=db_url,
        options=options,
        allow_unsandboxed=allow_unsandboxed,
        repo=repo,
        progress=progress,
        scheduler=scheduler,
        force=force,
        show_progress=show_progress,
        echo=echo,
    )


def phase2_config(executed_root: Path, *, shortcuts: bool = True):
    """The Config phase 2 gives nbgrader's ``Autograde`` converter (merged over the course's): its preprocessor
    lists with ``Execute`` replaced by :class:`autograder.preprocessors.ReplayExecute` and what phase 1 already did
    left out (see the comments). ``shortcuts=False``: nbgrader's full lists (RepairTampering + its sanitize
    preprocessors again, CheckCellMetadata last, a validation after every step), for comparison
    (``bench/bench_client.py``)."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )
    from traitlets.config import Config

    from autograder.preprocessors import ReplayExecute, ReplaySanitized, SharedSaveAutoGrades

    def replay(save):
        """nbgrader's autograde list with Execute replaced by the replay of the sandboxed, judged run."""
        return [
            ReplayExecute,
            IgnorePattern,
            ClearMetadataPreprocessor,
            LimitOutput,
            tamper.StripGradeOutputs,
            save,
            AssignLatePenalties,
        ]

    extra = Config()
    if not shortcuts:
        extra.Autograde.sanitize_preprocessors = [
            tamper.RepairTampering,
            *Autograde.class_traits()["sanitize_preprocessors"].default(),
        ]
        extra.Autograde.autograde_preprocessors = [*replay(SaveAutoGrades), CheckCellMetadata]
        extra.ReplayExecute.executed_dir = str(executed_root)
        return extra
    # Sanitize pass: the notebook phase 1 sanitized with these very preprocessors (ReplaySanitized; it runs them
    # again itself only when the submitted file changed since, or nbgrader's pass stops at a schema error).
    extra.Autograde.sanitize_preprocessors = [ReplaySanitized]
    extra.ReplaySanitized.fallback_preprocessors = [
        tamper.RepairTampering,
        *Autograde.class_traits()["sanitize_preprocessors"].default(),
    ]
    extra.ReplaySanitized.executed_dir = str(executed_root)
    # Autograde pass: nbgrader's list with Execute replaced. Its last step, CheckCellMetadata, is left out: it
    # validates the nbgrader metadata, which phase 1's CheckCellMetadata validated on this notebook and which no
    # step of this pass changes (they replace outputs, or read the notebook). SaveAutoGrades writes through the
    # batch's one gradebook session when the caller opened one (autograder.preprocessors.shared_gradebook).
    extra.Autograde.autograde_preprocessors = replay(SharedSaveAutoGrades)
    extra.ReplayExecute.executed_dir = str(executed_root)
    # one nbformat validation after the last preprocessor instead of one after each (ReplayExecute validates what
    # it brings in; see autograder.preprocessors._validate_like_nbconvert)
    extra.Exporter.optimistic_validation = True
    return extra


def _phase2(
    cdir: Path,
    url: str,
    assignment: str,
    student: str,
    notebooks: list[str],
    rows,
    executed_root,
    progress,
    *,
    extra=None,
):
    """nbgrader's own autograde for one student, Execute replaced by ReplayExecute; then read scores back.

    `extra` (a traitlets Config) replaces :func:`phase2_config` (tests give nbgrader's full lists to compare)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.utils import capture_log

    extra = phase2_config(executed_root) if extra is None else extra
    invalid = [n for n in notebooks if rows[student, n].status == "invalid_notebook"]
    targets = (
        ["*"]
        if not invalid
        else [n for n in notebooks if n not in invalid and rows[student, n].status != "missing_notebook"]
    )
    errors = []
    for target in targets:
        cd, cfg = _course.coursedir(cdir, url, extra)
        cd.assignment_id = assignment
        cd.student_id = student
        cd.notebook_id = target
        app = Autograde(coursedir=cd, config=cfg)
        app.force = True
        app.create_student = True
        with warnings.catch_warnings():
            # nbgrader 0.9.6 + SQLAlchemy 2 emit harmless "not in session" SAWarnings on every autograde
            warnings.filterwarnings("ignore", message=".*not in session.*")
            res = capture_log(app)
        if not res.get("success", False):
            errors.append(
                (res.get("error") or res.get("log") or "autograde failed").strip().splitlines()[-1][:300]
            )
    import contextlib

    from nbgrader.api import MissingEntry

    from autograder.preprocessors import _shared

    shared = _shared(url)  # the batch's session (shared_gradebook), else one for this student
    with contextlib.nullcontext(shared) if shared is not None else _course.gradebook(url) as gb:
        for name in notebooks:
            row = rows[student, name]
            try:
                sub = gb.find_submission_notebook(name, assignment, student)
            except MissingEntry:
                if row.status == "ok":
                    row.status = "error"
                row.error = row.error or (errors[0] if errors else "no gradebook entry after autograde")
                row.max_score = _max_score(gb, assignment, name)
                continue
            if name in invalid:  # nbgrader never saw it: zero it the way nbgrader zeroes missing files
                for g in sub.grades:
                    g.auto_score = 0
                    g.needs_manual_grade = False
                gb.db.commit()
            row.score = float(sub.score)
            row.max_score = float(sub.max_score)
            if errors and row.status == "ok":
                row.status, row.error = "error", errors[0]
            if progress is not None:
                progress(row)
        if shared is not None:  # end the read transaction: nothing held (or cached) until the next student
            gb.db.commit()


def _reset(proc) -> tuple[bool, str]:
    """Ask the runner to clear the sandbox for the next submission: (True, "") when it answered clean, else
    (False, why) (see :mod:`autograder.sessions`)."""
    try:
        wire.write_frame(proc.stdin, {"op": "reset"})
        head, _ = wire.read_frame(proc.stdout, max_total=1 << 20)
    except (EOFError, OSError, wire.WireError) as exc:
        return False, f"the runner did not answer the reset: {exc}"
    if head.get("op") == "clean" and head.get("ok") is True:
        return True, ""
    return False, str(head.get("why") or head)[:300]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _max_score(gb, assignment: str, name: str) -> float:
    try:
        return float(gb.find_notebook(name, assignment).max_score)
    except Exception:  # noqa: BLE001
        return 0.0
