"""Grade a class on Dask distributed: one task per submission, the client is the one gradebook writer.

Engine
------
Every submission (all notebooks of one student) is ONE Dask task, :func:`run_submission`: on a worker it runs
the student's notebooks in one bubblewrap sandbox on THAT worker's machine and returns the executed notebooks and
their statuses (plain data). Nothing is decided there that the client does not check again: the client writes the
executed notebooks to ``<course>/.autograder/executed`` and runs nbgrader's own ``Autograde`` converter
(``Execute`` replaced by :class:`autograder.preprocessors.ReplayExecute`), which writes the gradebook. Results
stream back with :func:`distributed.as_completed`; as many submissions are in flight as there are worker
threads (plus one sanitized ahead on the client), so the client's memory does not grow with the class, and a
worker that dies takes only the submission it was running with it.

* ``scheduler=None`` (default): an embedded in-process :class:`distributed.LocalCluster` with one thread per
  core (``processes=False``: each thread only drives a sandbox subprocess, so worker processes would add start-up
  and pickling for nothing -- see ``bench/bench_cluster.py``).
* ``scheduler="tcp://HOST:PORT"``: an existing cluster (``dask scheduler`` + ``dask worker`` on each machine,
  dask-jobqueue, dask-kubernetes ...). A :class:`distributed.Client` is used as is and left open.

Workers are checked before a submission is sent (:class:`GraderCheck`, a worker plugin, plus a probe of the
workers present at start): a worker without a working bubblewrap, or with a different version of the course code
(:func:`code_hash` of ``cs231n_lite`` + ``autograder``), logs the reason, closes itself and grades nothing; a task
that still lands there asks to be rescheduled.

Nothing lost
------------
* A worker that dies mid-task: the scheduler reruns its tasks elsewhere (same input, same scores).
* A submission whose task was on more than ``distributed.scheduler.allowed-failures`` dying workers gets status
  ``worker_killed`` (score 0, a message), not retried forever.
* The client writes ``<course>/.autograder/graded/<student>.json`` (a fingerprint of the submitted files and the
  grader code) after nbgrader has written that student's grades. Ctrl-C / SIGTERM: the student being written is
  finished, then the batch stops; the next ``grade`` skips every student whose fingerprint matches and whose
  submission is in the gradebook (``force=True`` / ``--force`` regrades all; naming ``students`` regrades those).

Examples
--------
>>> from autograder import cluster
>>> len(cluster.code_hash()) == 16
True
>>> cluster.check_worker(cluster.code_hash(), allow_unsandboxed=True)
''
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import io
import json
import logging
import os
import queue
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from distributed import WorkerPlugin

from autograder import course as _course
from autograder import grading as _grading
from autograder import sandbox, sessions, tamper
from autograder.results import AutograderError, GradeResult, GradeRow

__all__ = [
    "GraderCheck",
    "SubmissionJob",
    "check_worker",
    "code_hash",
    "grade",
    "run_submission",
    "KILLED_STATUS",
]

logger = logging.getLogger("autograder.cluster")

PLUGIN_NAME = "cs231n-lite-grader-check"
TASK_PREFIX = "grade"
KILLED_STATUS = "worker_killed"
CODE_PACKAGES = ("cs231n_lite", "autograder")
GRADED_DIR = "graded"
EMBEDDED_DASHBOARD_MIN = 20  # the embedded cluster serves a dashboard for batches larger than this


# ----------------------------------------------------------------------------------------------- worker checks
def code_hash(repo: str | os.PathLike | None = None) -> str:
    """SHA-256 (16 hex digits) of every ``*.py`` of ``cs231n_lite`` and ``autograder`` under `repo`.

    Two machines grade alike only if they run the same course code: the client compares this with each worker's.
    """
    root = Path(repo) if repo else _course.REPO
    h = hashlib.sha256()
    for pkg in CODE_PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def check_worker(expected_hash: str, *, allow_unsandboxed: bool = False) -> str:
    """Return "" when this process may grade, else why not (one sentence that names the fix)."""
    here = code_hash()
    if here != expected_hash:
        return (
            f"course code differs from the client's (expected code hash {expected_hash}, this worker has {here} "
            f"in {_course.REPO}): install the same checkout of cs231n-lite on this machine and restart "
            "`dask worker` from it"
        )
    if not allow_unsandboxed and sandbox.find_bwrap() is None:
        return (
            "bubblewrap (bwrap) is missing or cannot create namespaces on this worker, so student code cannot be "
            "sandboxed here: run `apt-get install bubblewrap` on this machine and restart `dask worker`"
        )
    return ""


def _probe(expected_hash: str, allow_unsandboxed: bool) -> str:
    return check_worker(expected_hash, allow_unsandboxed=allow_unsandboxed)


class GraderCheck(WorkerPlugin):
    """Dask worker plugin: a worker that fails :func:`check_worker` logs the reason and closes itself.

    Registered by :func:`grade` on the cluster, so it also runs on workers that join later; ``refusal`` is the
    reason, "" on a good worker.
    """

    name = PLUGIN_NAME

    def __init__(self, expected_hash: str, allow_unsandboxed: bool = False):
        self.expected_hash = expected_hash
        self.allow_unsandboxed = allow_unsandboxed
        self.refusal = ""

    def setup(self, worker) -> None:
        self.refusal = check_worker(self.expected_hash, allow_unsandboxed=self.allow_unsandboxed)
        if not self.refusal:
            return
        logger.error("cs231n-lite grader: worker %s REFUSES to grade: %s", worker.address, self.refusal)
        print(
            f"cs231n-lite grader: this worker refuses to grade: {self.refusal}", file=sys.stderr, flush=True
        )
        if getattr(worker, "address", None) != "inproc":
            worker.loop.add_callback(worker.close, nanny=True, reason=f"grader-refused: {self.refusal}")

    def teardown(self, worker) -> None:
        return None


def _worker_refusal() -> str | None:
    """The refusal recorded on the current Dask worker by :class:`GraderCheck` (None outside a worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    plugin = worker.plugins.get(PLUGIN_NAME)
    return getattr(plugin, "refusal", "") if plugin is not None else None


# ------------------------------------------------------------------------------------- the per-submission task
@dataclass(frozen=True)
class SubmissionJob:
    """Everything a worker needs to run and judge one student's notebooks (picklable).

    ``items`` is ``[{"name": notebook name, "notebook": sanitized nbformat dict}, ...]``; ``secret`` the course's
    hidden-input seed (:func:`autograder.course.ensure_secret`; workers are trusted machines, it never enters a
    sandbox). ``data_dir`` is the client's prepared data set: used when it exists on the worker with the same
    stamp, else the worker prepares its own in ``$AUTOGRADER_WORKER_CACHE`` (default
    ``<tmp>/cs231n-lite-grader-<uid>``).
    """

    student: str
    items: list
    options: _grading.GradeOptions
    expected_hash: str
    secret: str
    allow_unsandboxed: bool = False
    data_dir: str | None = None
    hide: tuple = ()


_DATA: dict[str | None, Path] = {}
_SLOTS: queue.LifoQueue = queue.LifoQueue()  # LIFO: a freed slot (and its kept sandbox) is reused first
for _i in reversed(range(64)):  # one sandbox uid per concurrently running task of this process (when root)
    _SLOTS.put(_i)
_LOCK = threading.Lock()


def _worker_cache() -> Path:
    base = os.environ.get("AUTOGRADER_WORKER_CACHE") or os.path.join(
        tempfile.gettempdir(), f"cs231n-lite-grader-{os.getuid()}"
    )
    path = Path(base) / code_hash()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _data_dir(job: SubmissionJob) -> Path:
    """The client's data set when this machine has it ready, else one prepared here (locked: one per machine)."""
    with _LOCK:
        if job.data_dir in _DATA:
            return _DATA[job.data_dir]
        d = Path(job.data_dir) if job.data_dir else None
        if d is None or not (d / ".grader-ready").is_file():
            cache = _worker_cache()
            with open(cache / ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                d = _grading.prepare_data(cache, repo=_course.REPO)
        _DATA[job.data_dir] = d
        return d


def run_submission(job: SubmissionJob) -> dict:
    """Run and judge all notebooks of one submission in one sandbox on this machine (a Dask task).

    Calls :func:`autograder.grading.grade_submission` with this worker's own checkout and data set. Returns
    ``{"student", "results": {notebook: {"status", "error", "notebook", "seconds"}}, "host", "seconds"}``; a
    notebook without a result gets status ``error``. Raises :class:`distributed.Reschedule` on a worker that
    refused to grade (:class:`GraderCheck`).
    """
    refusal = _worker_refusal()
    if refusal:
        from distributed import Reschedule

        raise Reschedule()
    t0 = time.monotonic()
    slot = _SLOTS.get()
    try:
        out = _grading.grade_submission(
            {
                "student": job.student,
                "notebooks": job.items,
                "secret": job.secret,
                "data_dir": str(_data_dir(job)),
                "repo": str(_course.REPO),
                "options": dataclasses.asdict(job.options),
                "slot": slot,
                "hide": list(job.hide),
                "allow_unsandboxed": job.allow_unsandboxed,
            }
        )
        results = out.get("results", {})
        why = "the sandbox returned no result for this notebook"
    except Exception as exc:  # noqa: BLE001 - a failing submission is a result row, never a crashed batch
        results, why = {}, f"{type(exc).__name__}: {exc}"
    finally:
        _SLOTS.put(slot)
    seconds = time.monotonic() - t0
    final = {}
    for item in job.items:
        r = results.get(item["name"]) or {"status": "error", "error": why}
        final[item["name"]] = {
            "status": r.get("status", "error"),
            "error": r.get("error", ""),
            "notebook": r.get("notebook"),
            "seconds": float(r.get("seconds") or seconds),
        }
    return {"student": job.student, "results": final, "host": os.uname().nodename, "seconds": seconds}


# --------------------------------------------------------------------------------------------- resume markers
def _fingerprint(folder: Path, grader: str) -> str:
    h = hashlib.sha256(grader.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _write_marker(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _already_graded(state: Path, url: str, assignment: str, students, fingerprints, notebooks):
    """{student: [GradeRow]} of the students whose marker matches and whose grades are in the gradebook."""
    from nbgrader.api import MissingEntry

    done = {}
    candidates = {}
    for s in students:
        try:
            m = json.loads((state / GRADED_DIR / f"{s}.json").read_text())
        except (OSError, ValueError):
            continue
        if m.get("fingerprint") == fingerprints[s] and m.get("db_url") == url:
            candidates[s] = m
    if not candidates:
        return done
    with _course.gradebook(url) as gb:
        for s, m in candidates.items():
            rows = []
            try:
                for name in notebooks:
                    meta = m["rows"][name]
                    try:
                        sub = gb.find_submission_notebook(name, assignment, s)
                        score, max_score = float(sub.score), float(sub.max_score)
                    except MissingEntry:
                        if meta["status"] != "missing_notebook":
                            raise
                        score, max_score = 0.0, _grading._max_score(gb, assignment, name)
                    rows.append(
                        GradeRow(s, name, meta["status"], score, max_score, meta["error"], meta["seconds"])
                    )
            except (MissingEntry, KeyError):
                continue
            done[s] = rows
    return done


# ------------------------------------------------------------------------------------------------- signals
class _Interrupts:
    """SIGINT/SIGTERM -> KeyboardInterrupt, deferred while one student's grades are being written."""

    def __init__(self):
        self.critical = False
        self.pending: int | None = None
        self.saved: dict[int, object] = {}

    def _handler(self, signum, frame):
        if self.critical:
            self.pending = signum
            return
        raise KeyboardInterrupt(f"signal {signum}")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, old in self.saved.items():
            signal.signal(sig, old)
        return False

    @contextlib.contextmanager
    def writing(self):
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise KeyboardInterrupt(f"signal {signum}")


# ------------------------------------------------------------------------------------------------ the client
@contextlib.contextmanager
def _client(scheduler, threads: int, echo, *, dashboard: bool = True):
    """Yield a connected :class:`distributed.Client` (embedded LocalCluster when `scheduler` is None).

    The embedded cluster's dashboard (bokeh: ~1-2 s of CPU to start) is only started when `dashboard` is true.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler, False
        return
    if scheduler is None:
        quiet = {
            "distributed.scheduler.allowed-failures": 3,
            "logging.distributed": "error",
            # the worker's statistical profiler and a fast system monitor cost ~1/3 of an idle cluster's CPU
            "distributed.worker.profile.enabled": False,
            "distributed.admin.system-monitor.interval": "2s",
            # the event-loop health tick (20 ms) and the worker memory monitor (100 ms) cost another ~0.02 core-s
            # per second of grading in this process (measured idle: 0.025 -> 0.005 core-s/s with both at 1 s); a
            # blocked loop is still reported, memory still watched, just sampled less often
            "distributed.admin.tick.interval": "1s",
            "distributed.worker.memory.monitor-interval": "1s",
        }
        with dask.config.set(quiet):
            cluster = LocalCluster(
                n_workers=1,
                threads_per_worker=threads,
                processes=False,
                dashboard_address=":0" if dashboard else None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster, set_as_default=False)
        try:
            yield client, True
        finally:
            client.close()
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except OSError as exc:
        raise AutograderError(
            f"could not connect to the Dask scheduler at {scheduler} ({exc}): start one with `dask scheduler` "
            "(it prints its tcp:// address) and workers with `dask worker tcp://HOST:8786`, or drop --scheduler "
            "to grade on this machine"
        ) from None
    try:
        yield client, False
    finally:
        client.close()


def _check_workers(client, expected: str, allow_unsandboxed: bool, echo) -> int:
    """Register :class:`GraderCheck`, probe the present workers; return the number of worker threads that grade."""
    deadline = time.monotonic() + 60
    while not client.scheduler_info().get("workers"):
        if time.monotonic() > deadline:
            raise AutograderError(
                "the Dask scheduler has no workers after 60 s: start some with `dask worker tcp://HOST:PORT` "
                "(from the same checkout of cs231n-lite, with bubblewrap installed)"
            )
        time.sleep(0.5)
    try:
        probes = client.run(_probe, expected, allow_unsandboxed)
        client.register_plugin(GraderCheck(expected, allow_unsandboxed), name=PLUGIN_NAME)
    except (ImportError, AttributeError) as exc:
        raise AutograderError(
            f"a Dask worker cannot import the grader ({type(exc).__name__}: {exc}): start `dask worker` from a "
            "checkout of cs231n-lite with it on PYTHONPATH (`cd cs231n-lite && PYTHONPATH=$PWD dask worker "
            "tcp://HOST:PORT`)"
        ) from None
    bad = {w: why for w, why in probes.items() if why}
    for w, why in bad.items():
        echo(f"[grade] worker {w} refused: {why}")
    nthreads = client.nthreads()
    good = sum(n for w, n in nthreads.items() if w not in bad)
    if not good:
        reasons = "; ".join(f"{w}: {why}" for w, why in bad.items())
        raise AutograderError(f"no Dask worker may grade (nothing was graded): {reasons}")
    return good


def _fail_row_meta(error: str) -> dict:
    return {"status": KILLED_STATUS, "error": error, "notebook": None, "seconds": 0.0}


def grade(
    *,
    course_dir: str | os.PathLike | None = None,
    assignment: str = _course.ASSIGNMENT,
    students: list[str] | None = None,
    workers: int | None = None,
    db_url: str | None = None,
    options: _grading.GradeOptions | None = None,
    allow_unsandboxed: bool = False,
    repo: str | os.PathLike | None = None,
    progress=None,
    scheduler=None,
    force: bool = False,
    show_progress: bool = False,
    echo=None,
) -> GradeResult:
    """Autograde submissions as Dask tasks; nbgrader (on the client) writes the gradebook. See the module docstring.

    Parameters are those of :func:`autograder.grading.grade` plus:

    scheduler : None, str or distributed.Client
        None: an embedded LocalCluster with `workers` threads; ``"tcp://HOST:PORT"``: that scheduler; a Client:
        used as is (not closed).
    force : bool
        Regrade every submission (default: skip those already graded with the same files and grader code;
        students named in `students` are always regraded).
    show_progress : bool
        A tqdm bar on stderr (students done, ok/failed, ETA).
    echo : callable, optional
        Where one-line notices go (dashboard address, refused workers); default stderr.
    """
    import nbformat

    echo = echo or (lambda msg: print(msg, file=sys.stderr, flush=True))
    t0 = time.monotonic()
    cdir = _course.resolve_course_dir(course_dir)
    url = _course.resolve_db_url(cdir, db_url)
    if scheduler is None and sandbox.find_bwrap() is None and not allow_unsandboxed:
        raise AutograderError(
            "bubblewrap (bwrap) is not available, so student code cannot be sandboxed; install it "
            "(`apt-get install bubblewrap`) or, for trusted notebooks only, pass --allow-unsandboxed."
        )
    notebooks = _course.require_release(cdir, url, assignment)
    options = options or _grading.GradeOptions()
    threads = int(workers or _grading.default_workers())
    if threads < 1:
        raise AutograderError(f"workers must be >= 1, got {threads}")
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
    if repo and Path(repo).resolve() != _course.REPO:
        raise AutograderError(
            f"repo={repo} differs from the grader's own checkout {_course.REPO}: run the grader from that checkout "
            "(workers stage the course code of the checkout they run from)"
        )

    state = _course.state_dir(cdir)
    executed_root = state / "executed"
    expected = code_hash()
    fingerprints = {s: _fingerprint(submitted / s / assignment, expected) for s in found}
    rows: dict[tuple[str, str], GradeRow] = {}
    tampered: dict[tuple[str, str], str] = {}  # tamper.inspect's message per (student, notebook)
    resumed = (
        {} if (force or students) else _already_graded(state, url, assignment, found, fingerprints, notebooks)
    )
    for s, srows in resumed.items():
        for r in srows:
            rows[s, r.notebook] = r
    todo = [s for s in found if s not in resumed]
    if resumed:
        echo(
            f"[grade] {len(resumed)} submissions already graded (kept); grading {len(todo)} (--force regrades all)"
        )
    data_dir = _grading.prepare_data(state, repo=_course.REPO) if todo else None
    secret = _course.ensure_secret(cdir)
    _, cfg = _course.coursedir(cdir, url)
    sandboxed = allow_unsandboxed is False or sandbox.find_bwrap() is not None

    client_cpu = [0.0]

    def prepare(student: str) -> list[dict]:
        c0 = time.thread_time()
        try:
            return _prepare(student)
        finally:
            client_cpu[0] += time.thread_time() - c0

    # For the whole batch (the release does not change while it is graded): the released notebooks tamper.inspect
    # compares with, and the instructor's cells nbgrader's OverwriteCells / OverwriteKernelspec read.
    from autograder.preprocessors import SANITIZED_SUFFIX, InstructorCells, sanitized_record

    releases: dict[str, object] = {}
    sanitize = _grading.Sanitizer(
        config=cfg,
        db_url=url,
        assignment=assignment,
        cells=InstructorCells(url, _course.COURSE_ID),
        skip=(tamper.RepairTampering,),  # tamper.inspect just below is what it would do
    )

    def _release(name: str):
        if name not in releases:
            releases[name] = tamper.release_notebook(cfg, assignment, name)
        return releases[name]

    def _prepare(student: str) -> list[dict]:
        items = []
        for name in notebooks:
            path = submitted / student / assignment / f"{name}.ipynb"
            if not path.exists():
                rows[student, name] = GradeRow(
                    student, name, "missing_notebook", error=f"{path.name} not submitted"
                )
                continue
            try:
                raw = path.read_bytes()
                # nbformat.read(path), keeping the bytes: decoded as its open(path, encoding="utf8") reads them
                text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf8").read()
                nb = nbformat.reads(text, as_version=4)
            except Exception as exc:  # noqa: BLE001 - a bad file is a row, not a crashed batch
                msg = f"not a readable notebook: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                rows[student, name] = GradeRow(student, name, "invalid_notebook", error=msg)
                continue
            try:  # tampered nbgrader metadata: repaired and named before nbgrader's own sanitize step
                report = tamper.inspect(nb, _release(name), notebook=name)
                nb, tampered[student, name] = report.notebook, report.message
                invalid = _grading.schema_error(nb)  # where nbgrader's own sanitize pass would stop
                nb = sanitize(nb, student=student, notebook=name)
            except Exception as exc:  # noqa: BLE001
                msg = f"nbgrader could not sanitize it: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                rows[student, name] = GradeRow(student, name, "invalid_notebook", error=msg)
                continue
            base = executed_root / student  # phase 2 hands nbgrader this notebook (ReplaySanitized)
            base.mkdir(parents=True, exist_ok=True)
            _grading._write_atomic(base / f"{name}{SANITIZED_SUFFIX}", sanitized_record(nb, raw, invalid))
            items.append({"name": name, "notebook": nb})
        return items

    def record(student: str, results: dict) -> None:
        base = executed_root / student
        base.mkdir(parents=True, exist_ok=True)
        for name, out in results.items():
            nb_path = base / f"{name}.ipynb"
            if out.get("notebook"):
                _grading._write_atomic(nb_path, nbformat.writes(nbformat.from_dict(out["notebook"])))
            else:
                nb_path.unlink(missing_ok=True)
            meta = {"status": out["status"], "error": out["error"], "seconds": out["seconds"]}
            if tampered.get((student, name)):
                meta["error"] = "; ".join(m for m in (tampered[student, name], meta["error"]) if m)
                meta["status"] = "tampered" if meta["status"] == "ok" else meta["status"]
            _grading._write_atomic(base / f"{name}.json", json.dumps(meta))
            rows[student, name] = GradeRow(
                student, name, meta["status"], error=meta["error"], seconds=meta["seconds"]
            )

    counts = {"ok": 0, "failed": 0}
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(found), initial=len(resumed), unit="student", desc="grading", file=sys.stderr)

    phase2 = 0.0

    def finish(student: str) -> None:
        nonlocal phase2
        t2, c0 = time.monotonic(), time.thread_time()
        _grading._phase2(cdir, url, assignment, student, notebooks, rows, executed_root, progress)
        phase2 += time.monotonic() - t2
        client_cpu[0] += time.thread_time() - c0
        srows = [rows[student, n] for n in notebooks]
        _write_marker(
            state / GRADED_DIR / f"{student}.json",
            {
                "fingerprint": fingerprints[student],
                "db_url": url,
                "rows": {
                    r.notebook: {"status": r.status, "error": r.error, "seconds": r.seconds} for r in srows
                },
            },
        )
        ok = all(r.status in ("ok", "missing_notebook") for r in srows)
        counts["ok" if ok else "failed"] += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(ok=counts["ok"], failed=counts["failed"], refresh=False)
            for r in srows:
                if r.status != "ok":
                    bar.write(f"  {r.student}/{r.notebook}: {r.status} {r.error[:100]}")

    interrupts = _Interrupts()
    nworkers = threads
    try:
        with interrupts:
            for student in todo:  # a fresh result folder for everyone about to be graded
                import shutil

                shutil.rmtree(executed_root / student, ignore_errors=True)
            if todo:
                from autograder.preprocessors import shared_gradebook

                with shared_gradebook(url):  # phase 2 (main thread) writes every student through one session
                    nworkers = _dispatch(
                        todo=todo,
                        prepare=prepare,
                        record=record,
                        finish=finish,
                        interrupts=interrupts,
                        scheduler=scheduler,
                        threads=threads,
                        expected=expected,
                        options=options,
                        allow_unsandboxed=allow_unsandboxed,
                        data_dir=data_dir,
                        cdir=cdir,
                        secret=secret,
                        echo=echo,
                    )
    except KeyboardInterrupt:
        done = sum(1 for s in found if all((s, n) in rows for n in notebooks))
        echo(
            f"\n[grade] interrupted: {counts['ok'] + counts['failed']} submissions graded in this run are kept "
            f"in the gradebook; run the same `python -m autograder grade` again to grade the remaining "
            f"{len(found) - done}"
        )
        raise
    finally:
        if bar is not None:
            bar.close()
        if scheduler is None:  # the embedded cluster's slots kept their sandboxes for the next submission
            sessions.close_all()
    ordered = [rows[s, n] for s in found for n in notebooks]
    sandboxed = sandbox.find_bwrap() is not None if scheduler is None else not allow_unsandboxed
    return GradeResult(
        cdir,
        assignment,
        ordered,
        nworkers,
        sandboxed,
        time.monotonic() - t0,
        phase2,
        client_cpu_seconds=client_cpu[0],
        resumed=len(resumed),
    )


def _dispatch(
    *,
    todo,
    prepare,
    record,
    finish,
    interrupts,
    scheduler,
    threads,
    expected,
    options,
    allow_unsandboxed,
    data_dir,
    cdir,
    secret,
    echo,
) -> int:
    """Stream submissions through the cluster; return the number of worker threads used."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    dashboard = len(todo) > EMBEDDED_DASHBOARD_MIN
    with _client(scheduler, threads, echo, dashboard=dashboard) as (
        client,
        embedded,
    ):
        # the scheduler's HTTP server (health, metrics) always runs and is listed as "dashboard"; the embedded
        # cluster only mounts the bokeh dashboard when asked to
        listed = client.scheduler_info().get("services", {}).get("dashboard")
        link = client.dashboard_link if listed and (dashboard or not embedded) else ""
        if link:
            echo(f"[grade] Dask dashboard: {link}")
        capacity = threads if embedded else _check_workers(client, expected, allow_unsandboxed, echo)
        if embedded:
            client.register_plugin(GraderCheck(expected, allow_unsandboxed), name=PLUGIN_NAME)
        pending = iter(todo)
        run_id = os.urandom(6).hex()
        inflight = {}
        ready: list[SubmissionJob] = []  # one sanitized job ahead, so a freed worker thread gets work at once
        ac = as_completed(loop=client.loop)

        def next_job() -> SubmissionJob | None:
            if ready:
                return ready.pop()
            for student in pending:
                items = prepare(student)
                if not items:  # nothing to run: straight to nbgrader
                    with interrupts.writing():
                        finish(student)
                    continue
                return SubmissionJob(
                    secret=secret,
                    student=student,
                    items=items,
                    options=options,
                    expected_hash=expected,
                    allow_unsandboxed=allow_unsandboxed,
                    data_dir=str(data_dir) if data_dir else None,
                    hide=(str(cdir),),
                )
            return None

        def submit_next() -> bool:
            job = next_job()
            if job is None:
                return False
            fut = client.submit(run_submission, job, key=(TASK_PREFIX, job.student, run_id), pure=False)
            inflight[fut.key] = (job.student, [it["name"] for it in job.items], fut)
            ac.add(fut)
            return True

        try:
            while len(inflight) < capacity and submit_next():
                pass
            prefetch = next_job()
            if prefetch is not None:
                ready.append(prefetch)
            for fut in ac:
                student, names, _ = inflight.pop(fut.key)
                try:
                    out = fut.result()
                    results = out["results"]
                except KilledWorker as exc:
                    msg = (
                        f"this submission was running on {exc.allowed_failures + 1} Dask workers that died; it was "
                        f"not retried again (allowed-failures={exc.allowed_failures}): look at it by hand or grade "
                        f"it alone with `python -m autograder grade --student {student}`"
                    )
                    results = {name: _fail_row_meta(msg) for name in names}
                except Exception as exc:  # noqa: BLE001 - a failing task is a result row
                    msg = f"grading task failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                    results = {
                        name: {"status": "error", "error": msg, "notebook": None, "seconds": 0.0}
                        for name in names
                    }
                fut.release()
                if not embedded:
                    capacity = max(1, sum(client.nthreads().values()))
                while len(inflight) < capacity and submit_next():
                    pass
                with interrupts.writing():
                    record(student, results)
                    finish(student)
                if not ready and len(inflight) >= capacity:
                    prefetch = next_job()
                    if prefetch is not None:
                        ready.append(prefetch)
        except BaseException:
            client.cancel([f for _, _, f in inflight.values()])
            raise
        return capacity
