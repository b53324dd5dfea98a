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

import concurrent.futures as cf
import dataclasses
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from autograder import course as _course
from autograder import sandbox, tamper, wire
from autograder.results import AutograderError, GradeResult, GradeRow

__all__ = ["GradeOptions", "grade", "grade_submission", "default_workers", "prepare_data", "staged_files"]

RUNNER = Path(__file__).with_name("_runner.py")
WIRE = Path(__file__).with_name("wire.py")
KERNEL_HELPER = Path(__file__).with_name("_kernel.py")
SANDBOX_RUNNER = "/grader/runner.py"
SANDBOX_WIRE = "/grader/grader_wire.py"
LIB_DIR = "/tmp/grader-lib"


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
    h = hashlib.sha256()
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
    marker.write_text(stamp + "\n")
    return data


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


def _sanitize(nb, *, student: str, assignment: str, notebook: str, db_url: str, config):
    """Apply nbgrader's sanitize preprocessors exactly as its Autograde converter does (gradebook read-only)."""
    from nbgrader.converters.autograde import Autograde

    resources = {
        "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url},
        "unique_key": notebook,
    }
    classes = (
        config.get("Autograde", {}).get("sanitize_preprocessors")
        or Autograde.class_traits()["sanitize_preprocessors"].default()
    )
    from traitlets.utils.importstring import import_item

    for cls in classes:  # the course's nbgrader_config.py names them as strings
        pp = (import_item(cls) if isinstance(cls, str) else cls)(config=config)
        nb, resources = pp(nb, resources)
    return nb


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
    binds = [(RUNNER, SANDBOX_RUNNER), (WIRE, SANDBOX_WIRE), (data_dir, data_dir)]
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
    }
    t0 = time.monotonic()
    try:
        proc = sandbox.start(
            [sys.executable, "-I", SANDBOX_RUNNER if isolated else str(RUNNER)],
            limits=_job_limits(options, len(items)),
            ro_binds=binds,
            hide=hide,
            env=env,
            slot=int(job.get("slot", 0)),
            allow_unsandboxed=bool(job.get("allow_unsandboxed", False)),
        )
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
    out["sandboxed"] = proc.sandboxed
    import nbformat

    broken = None
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
        try:
            wire.write_frame(proc.stdin, {"op": "bye"})
        except OSError:
            pass
    finally:
        _close(proc)
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
) -> GradeResult:
    """Autograde submissions in parallel sandboxes; nbgrader writes the gradebook (see module docstring).

    Parameters
    ----------
    course_dir : path, optional
        Course directory (default ``<repo>/build/course``); must hold a release and collected submissions.
    assignment : str
        Assignment id.
    students : list of str, optional
        Only these students (default: everyone under ``submitted/``).
    workers : int, optional
        Parallel sandboxes (default: number of cores).
    db_url : str, optional
        SQLAlchemy URL of the gradebook (default from the course config / ``gradebook.db``).
    options : GradeOptions, optional
        Time, memory, process and output limits per notebook.
    allow_unsandboxed : bool
        Grade without bubblewrap (rlimits only, loud warning). Otherwise a missing bwrap is an error.
    repo : path, optional
        Where ``cs231n_lite`` and ``autograder/checks.py`` are staged from (default: this checkout).
    progress : callable, optional
        Called with each finished :class:`GradeRow`.

    Returns
    -------
    GradeResult
        One row per (student, notebook), scores read back from the gradebook.
    """
    import nbformat

    t0 = time.monotonic()
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    if sandbox.find_bwrap() is None and not allow_unsandboxed:
        raise AutograderError(
            "bubblewrap (bwrap) is not available, so student code cannot be sandboxed; install it "
            "(`apt-get install bubblewrap`) or, for trusted notebooks only, pass --allow-unsandboxed."
        )
    notebooks = _course.require_release(cdir, url, assignment)
    options = options or GradeOptions()
    workers = int(workers or default_workers())
    if workers < 1:
        raise AutograderError(f"workers must be >= 1, got {workers}")
    submitted = cdir / "submitted"
    found = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if students:
        missing = sorted(set(students) - set(found))
        if missing:
            raise AutograderError(
                f"no submission for {missing} in {submitted}: did you run `python -m autograder collect`?"
            )
        found = [s for s in found if s in set(students)]
    if not found:
        raise AutograderError(
            f"no submissions found in {submitted}/<student>/{assignment}: did you run "
            f"`python -m autograder collect --course-dir {cdir} --source <folder or zip>`?"
        )

    state = _course.state_dir(cdir)
    executed_root = state / "executed"
    repo_path = Path(repo).resolve() if repo else _course.REPO
    data_dir = prepare_data(state, repo=repo_path)
    secret = _course.ensure_secret(cdir)
    _, cfg = _course.coursedir(cdir, url)

    # ---- phase 1a: sanitize in the trusted parent (main thread, gradebook read-only), student by student
    rows: dict[tuple[str, str], GradeRow] = {}
    tampered: dict[tuple[str, str], str] = {}

    def _prepare(student: str) -> list[dict]:
        shutil.rmtree(executed_root / student, ignore_errors=True)
        (executed_root / student).mkdir(parents=True, exist_ok=True)
        items = []
        for name in notebooks:
            path = submitted / student / assignment / f"{name}.ipynb"
            if not path.exists():
                rows[student, name] = GradeRow(
                    student, name, "missing_notebook", error=f"{path.name} not submitted"
                )
                continue
            try:
                nb = nbformat.read(str(path), as_version=4)
            except Exception as exc:  # noqa: BLE001 - a bad file is a row, not a crashed batch
                msg = f"not a readable notebook: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                rows[student, name] = GradeRow(student, name, "invalid_notebook", error=msg)
                continue
            try:  # tampered nbgrader metadata: repaired and named before nbgrader's own sanitize step
                report = tamper.inspect(nb, tamper.release_notebook(cfg, assignment, name), notebook=name)
                nb, tampered[student, name] = report.notebook, report.message
                nb = _sanitize(
                    nb, student=student, assignment=assignment, notebook=name, db_url=url, config=cfg
                )
            except Exception as exc:  # noqa: BLE001
                msg = f"nbgrader could not sanitize it: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                rows[student, name] = GradeRow(student, name, "invalid_notebook", error=msg)
                continue
            items.append({"name": name, "notebook": nb})
        return items

    common = {
        "secret": secret,
        "data_dir": str(data_dir),
        "repo": str(repo_path),
        "options": dataclasses.asdict(options),
        "hide": [str(cdir)],
        "allow_unsandboxed": allow_unsandboxed,
    }

    # ---- phase 1b (parallel, one sandbox per student: a fresh kernel and a wiped /tmp per notebook)
    # ---- phase 2 (main thread only, one student at a time, as soon as its sandbox is done)
    slot_pool: queue.Queue = queue.Queue()
    for i in range(workers):
        slot_pool.put(i)
    sandboxed = sandbox.find_bwrap() is not None
    lock = threading.Lock()

    def _task(student: str, items: list[dict]) -> str:
        t = time.monotonic()
        slot = slot_pool.get()
        fallback = {"status": "error", "error": "the sandbox returned no result for this notebook"}
        try:
            out = grade_submission({**common, "student": student, "notebooks": items, "slot": slot})
            results = out["results"]
        except Exception as exc:  # noqa: BLE001
            results = {}
            fallback = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            slot_pool.put(slot)
        base = executed_root / student
        for item in items:
            name = item["name"]
            res = results.get(name) or fallback
            if res.get("notebook"):
                _write_atomic(base / f"{name}.ipynb", nbformat.writes(nbformat.from_dict(res["notebook"])))
            seconds = float(res.get("seconds") or (time.monotonic() - t))
            meta = {"status": res.get("status", "error"), "error": res.get("error", ""), "seconds": seconds}
            if tampered.get((student, name)):
                meta["error"] = "; ".join(m for m in (tampered[student, name], meta["error"]) if m)
                meta["status"] = "tampered" if meta["status"] == "ok" else meta["status"]
            _write_atomic(base / f"{name}.json", json.dumps(meta))
            with lock:
                rows[student, name] = GradeRow(
                    student, name, meta["status"], error=meta["error"], seconds=seconds
                )
        return student

    phase2 = 0.0
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade") as pool:
        futures, nothing_to_run = [], []
        for student in found:  # workers start on the first student while the next ones are sanitized
            items = _prepare(student)
            if items:
                futures.append(pool.submit(_task, student, items))
            else:
                nothing_to_run.append(student)
        for student in nothing_to_run:
            t2 = time.monotonic()
            _phase2(cdir, url, assignment, student, notebooks, rows, executed_root, progress)
            phase2 += time.monotonic() - t2
        for fut in cf.as_completed(futures):
            student = fut.result()
            t2 = time.monotonic()
            _phase2(cdir, url, assignment, student, notebooks, rows, executed_root, progress)
            phase2 += time.monotonic() - t2

    ordered = [rows[s, n] for s in found for n in notebooks]
    return GradeResult(cdir, assignment, ordered, workers, sandboxed, time.monotonic() - t0, phase2)


def _phase2(
    cdir: Path, url: str, assignment: str, student: str, notebooks: list[str], rows, executed_root, progress
):
    """nbgrader's own autograde for one student, Execute replaced by ReplayExecute; then read scores back."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )
    from nbgrader.utils import capture_log
    from traitlets.config import Config

    from autograder.preprocessors import ReplayExecute

    extra = Config()
    extra.Autograde.sanitize_preprocessors = [
        tamper.RepairTampering,
        *Autograde.class_traits()["sanitize_preprocessors"].default(),
    ]
    extra.Autograde.autograde_preprocessors = [
        ReplayExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        tamper.StripGradeOutputs,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    extra.ReplayExecute.executed_dir = str(executed_root)
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
    from nbgrader.api import MissingEntry

    with _course.gradebook(url) as gb:
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


def _close(proc, timeout: float = 10.0) -> None:
    """End a sandbox started with :func:`autograder.sandbox.start`: close its stdin, wait, kill what is left."""
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _max_score(gb, assignment: str, name: str) -> float:
    try:
        return float(gb.find_notebook(name, assignment).max_score)
    except Exception:  # noqa: BLE001
        return 0.0
