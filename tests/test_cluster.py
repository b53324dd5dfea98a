"""Grading on Dask distributed: a real `dask scheduler` and `dask worker` processes on 127.0.0.1, real sandboxes.

One module fixture releases the tiny assignment (tests/autograder_helpers.py) and collects a class of nine,
hostile students included. ``test_interrupted_local_run_resumes`` grades it on this machine (embedded cluster),
sends SIGTERM to the grader halfway and resumes; ``test_scheduler_run_survives_killed_workers`` grades the same
class through ``--scheduler`` on two workers while killing workers under it, and compares with the local run.
Every process started here is stopped (process groups killed) pass or fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import autograder_helpers as h
import pytest

REPO = Path(__file__).resolve().parents[1]
VICTIM = "a0victim"  # submitted first; the test kills every worker that runs it until the scheduler gives up
SOLVED = {"tiny_a": "solved", "tiny_b": "solved"}
GOOD_HINGE = """\
import numpy as np
def hinge_loss(scores, y):
    m = np.maximum(0.0, np.asarray(scores, dtype=float) - scores[y] + 1.0)
    m[y] = 0.0
    return float(m.sum())
"""
SLOW_HINGE = "import time\ntime.sleep(3)\n" + GOOD_HINGE  # the victim runs long enough to be caught each time
SLOW_SOFTMAX = "import time\ntime.sleep(3)\nimport numpy as np\ndef softmax(s):\n    e = np.exp(s - np.max(s, axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)"
KINDS = {
    VICTIM: {"tiny_a": SLOW_HINGE, "tiny_b": SLOW_SOFTMAX},
    "ada": SOLVED,
    "bob": {},
    "cyd": {"tiny_a": "solved", "tiny_b": "missing"},
    "dan": {"tiny_a": "invalid", "tiny_b": "solved"},
    "die": {"tiny_a": "def hinge_loss(scores, y):\n    import os\n    os._exit(3)", "tiny_b": "solved"},
    "tim": {"tiny_a": "import time\ntime.sleep(120)\n" + GOOD_HINGE, "tiny_b": "solved"},
    "mem": {"tiny_a": "x = bytearray(8 * 1024**3)\n" + GOOD_HINGE, "tiny_b": "solved"},
    "zed": {
        "tiny_a": GOOD_HINGE,
        "tiny_b": "import numpy as np\ndef softmax(s):\n    return np.ones_like(s)",
    },
}
EXPECTED = {  # student: {notebook: (score, status)} in an undisturbed run
    VICTIM: {"tiny_a": (3.0, "ok"), "tiny_b": (3.0, "ok")},
    "ada": {"tiny_a": (3.0, "ok"), "tiny_b": (3.0, "ok")},
    "bob": {"tiny_a": (0.0, "ok"), "tiny_b": (0.0, "ok")},
    "cyd": {"tiny_a": (3.0, "ok"), "tiny_b": (0.0, "missing_notebook")},
    "dan": {"tiny_a": (0.0, "invalid_notebook"), "tiny_b": (3.0, "ok")},
    "die": {"tiny_a": (0.0, "kernel_died"), "tiny_b": (3.0, "ok")},
    "tim": {"tiny_a": (0.0, "timeout"), "tiny_b": (3.0, "ok")},
    "mem": {"tiny_a": (0.0, "memory"), "tiny_b": (3.0, "ok")},
    "zed": {"tiny_a": (3.0, "ok"), "tiny_b": (0.0, "ok")},
}
GRADE_ARGS = ["--cell-timeout", "4", "--notebook-timeout", "40"]


def _env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Processes started by a test, each in its own process group; stop() kills every group, pass or fail."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
        )
        proc.log_path = self.logs / f"{name}.log"
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def tiny_class(tmp_path_factory):
    from autograder import api

    tmp = tmp_path_factory.mktemp("cluster")
    course = tmp / "course"
    api.release(course_dir=course, source=h.write_source(tmp / "src"))
    h.make_class(course, tmp / "class", {k: v for k, v in KINDS.items()})
    api.collect(course_dir=course, source=tmp / "class")
    return {"tmp": tmp, "course": course, "class": tmp / "class"}


def _fresh_course(tiny_class, name: str) -> Path:
    """A copy of the released course with the collected class and an empty gradebook (release state only)."""
    from autograder import api

    dest = tiny_class["tmp"] / name
    api.release(course_dir=dest, source=tiny_class["tmp"] / "src")
    api.collect(course_dir=dest, source=tiny_class["class"])
    return dest


def _scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(db_url, "cs231n_lite") as gb:
        for s in KINDS:
            for name in ("tiny_a", "tiny_b"):
                try:
                    out[s, name] = float(gb.find_submission_notebook(name, h.ASSIGNMENT, s).score)
                except MissingEntry:
                    out[s, name] = None
    return out


def _table(result) -> dict:
    return {(r.student, r.notebook): (r.score, r.status) for r in result.rows}


@pytest.fixture(scope="module")
def local_run(tiny_class):
    """Grade on this machine with `python -m autograder grade`, SIGTERM it halfway, resume; return what happened."""
    from autograder import api

    course = _fresh_course(tiny_class, "local")
    markers = course / ".autograder" / "graded"
    procs = Processes(tiny_class["tmp"])
    try:
        cmd = [sys.executable, "-m", "autograder", "grade", "--course-dir", str(course), "--workers", "2"]
        proc = procs.start("local-grade", cmd + GRADE_ARGS, _env())
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if markers.is_dir() and len(list(markers.glob("*.json"))) >= 3:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the first run finished before it could be interrupted"
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
        first_log = proc.log_path.read_text()
        kept = sorted(p.stem for p in markers.glob("*.json"))
        kept_scores = _scores(f"sqlite:///{course / 'gradebook.db'}")
        notices: list[str] = []
        resumed = api.grade(
            course_dir=course,
            workers=2,
            options=api.GradeOptions(cell_timeout=4, notebook_timeout=40),
            echo=notices.append,
        )
    finally:
        procs.stop()
    return {
        "course": course,
        "rc": rc,
        "log": first_log,
        "kept": kept,
        "kept_scores": kept_scores,
        "resumed": resumed,
        "notices": notices,
    }


@pytest.mark.slow
def test_interrupted_local_run_resumes(local_run):
    assert local_run["rc"] == 130, local_run["log"][-2000:]
    assert "interrupted" in local_run["log"] and "run the same" in local_run["log"]
    kept = local_run["kept"]
    assert 3 <= len(kept) < len(KINDS), kept
    # what was written before the signal is in the gradebook, the rest is not
    for (student, _), score in local_run["kept_scores"].items():
        if student in kept:
            assert score is not None
    assert any(local_run["kept_scores"][s, "tiny_a"] is None for s in KINDS if s not in kept)
    assert f"{len(kept)} submissions already graded (kept); grading {len(KINDS) - len(kept)}" in " ".join(
        local_run["notices"]
    )
    want = {(s, n): v for s, nbs in EXPECTED.items() for n, v in nbs.items()}
    got = {k: v for k, v in _table(local_run["resumed"]).items() if k[0] in EXPECTED}
    assert got == want, local_run["resumed"].table()
    # the gradebook agrees with the returned rows, and a resumed student was not graded twice
    db = _scores(f"sqlite:///{local_run['course'] / 'gradebook.db'}")
    assert {k: v[0] for k, v in got.items()} == {k: db[k] for k in got}


def _dask(*args) -> list[str]:
    return [str(Path(sys.executable).parent / "dask"), *args]


def _student_of(key) -> str:
    return key[1] if isinstance(key, tuple | list) else str(key).split("'")[3]


@pytest.mark.slow
def test_scheduler_run_survives_killed_workers(tiny_class, local_run):
    from distributed import Client

    course = _fresh_course(tiny_class, "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tiny_class["tmp"]
    procs = Processes(logs)
    # a task on 2 dead workers is given up (KilledWorker); at most one task per worker thread at a time
    env = _env(
        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1",
        DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0",
    )
    kills: list[tuple[str, str]] = []
    try:
        procs.start(
            "scheduler", _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-show"), env
        )
        worker_args = ["--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60"]
        for i in range(2):
            procs.start(
                f"worker{i}",
                _dask(
                    "worker",
                    address,
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(logs / f"w{i}"),
                    *worker_args,
                ),
                env,
            )
        # a third worker without a working bubblewrap must refuse and close itself, grading nothing
        bad = procs.start(
            "worker-nobwrap",
            _dask(
                "worker", address, "--name", "nobwrap", "--local-directory", str(logs / "wb"), *worker_args
            ),
            {**env, "AUTOGRADER_BWRAP": "/bin/false"},
        )
        with Client(address, timeout="60s") as watcher:
            watcher.wait_for_workers(3, timeout=120)
            stop = threading.Event()

            def killer() -> None:
                """Kill the worker running the victim (alone) until the scheduler gives it up (at most twice), and
                once the worker running the first other student seen (whichever it is: a fixed name may already be
                graded on a loaded machine)."""
                todo = {VICTIM: 2}  # allowed-failures=1: the second dead worker gives the victim up
                other = [1]  # one kill left for a non-victim student
                while not stop.is_set() and (any(todo.values()) or other[0]):
                    try:
                        proc = watcher.processing()
                        pids = watcher.run(os.getpid, on_error="ignore")
                    except Exception:  # noqa: BLE001 - a worker is restarting
                        time.sleep(0.2)
                        continue
                    for addr, keys in proc.items():
                        running = [_student_of(k) for k in keys]
                        if len(running) == 1 and running[0] != VICTIM and other[0] and addr in pids:
                            todo[running[0]] = 1
                            other[0] = 0
                        if len(running) == 1 and todo.get(running[0]) and addr in pids:
                            time.sleep(0.5)  # let its sandbox start
                            os.kill(pids[addr], signal.SIGKILL)
                            kills.append((running[0], addr))
                            todo[running[0]] -= 1
                            break
                    time.sleep(0.1)

            thread = threading.Thread(target=killer, daemon=True)
            thread.start()
            cmd = [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                "--course-dir",
                str(course),
                "--scheduler",
                address,
            ]
            run = subprocess.run(
                cmd + GRADE_ARGS, env=_env(), capture_output=True, text=True, timeout=400, cwd=REPO
            )
            stop.set()
            thread.join(timeout=10)
        bad.wait(timeout=30)
    finally:
        procs.stop()
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]  # some notebooks did not end ok (hostile + the victim)
    assert "Dask dashboard: http://" in out
    killed = [s for s, _ in kills]
    # allowed-failures=1: the victim is given up after its second dead worker (the scheduler may also count a
    # worker that died while the victim was assigned to it, so one direct kill can be enough)
    assert 1 <= killed.count(VICTIM) <= 2 and len(killed) - killed.count(VICTIM) == 1, (kills, out[-3000:])
    # the worker without bubblewrap said why and left; nothing was graded there
    bad_log = bad.log_path.read_text()
    assert "refuses to grade" in bad_log and "apt-get install bubblewrap" in bad_log, bad_log[-2000:]
    assert bad.returncode is not None
    assert "refused: bubblewrap" in out or "nobwrap" not in out
    local = _scores(f"sqlite:///{local_run['course'] / 'gradebook.db'}")
    remote = _scores(f"sqlite:///{course / 'gradebook.db'}")
    same = {k: v for k, v in local.items() if k[0] != VICTIM}
    assert {k: remote[k] for k in same} == same, out[-3000:]
    assert remote[VICTIM, "tiny_a"] == remote[VICTIM, "tiny_b"] == 0.0
    victim_rows = [line for line in out.splitlines() if line.startswith(VICTIM) and "TOTAL" not in line]
    assert len(victim_rows) == 2 and all("worker_killed" in line for line in victim_rows), out[-3000:]
    meta = json.loads((course / ".autograder" / "graded" / f"{VICTIM}.json").read_text())
    assert meta["rows"]["tiny_a"]["status"] == "worker_killed"
    assert "allowed-failures=1" in meta["rows"]["tiny_a"]["error"]
    shutil.rmtree(logs / "w0", ignore_errors=True)


# ------------------------------------------------------------------------------------ fast: the pieces alone
def test_code_hash_names_a_different_checkout_and_missing_bwrap(tmp_path, monkeypatch):
    from autograder import cluster, sandbox

    copy = h.copy_repo_subset(REPO, tmp_path / "other")
    assert cluster.code_hash(str(copy)) == cluster.code_hash()
    with open(copy / "cs231n_lite" / "session.py", "a") as fh:
        fh.write("\n# a TA's local edit\n")
    other = cluster.code_hash(str(copy))
    assert other != cluster.code_hash()
    why = cluster.check_worker(other, allow_unsandboxed=True)
    assert f"expected code hash {other}" in why and "same checkout" in why
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    why = cluster.check_worker(cluster.code_hash())
    assert "apt-get install bubblewrap" in why
    assert cluster.check_worker(cluster.code_hash(), allow_unsandboxed=True) == ""


def test_fingerprint_follows_the_submitted_files_and_the_grader(tmp_path):
    from autograder import cluster

    sub = tmp_path / "ada"
    sub.mkdir()
    (sub / "tiny_a.ipynb").write_text("{}")
    first = cluster._fingerprint(sub, "code-1")
    assert cluster._fingerprint(sub, "code-1") == first
    assert cluster._fingerprint(sub, "code-2") != first  # another grader version: regrade
    (sub / "tiny_a.ipynb").write_text("{ }")
    assert cluster._fingerprint(sub, "code-1") != first  # a resubmission: regrade


def test_signal_while_writing_is_deferred_to_the_end_of_the_student(tmp_path):
    from autograder import cluster

    written = []
    with cluster._Interrupts() as intr:
        with pytest.raises(KeyboardInterrupt):
            with intr.writing():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
                written.append("whole student")  # still runs: the signal waits for the end of the block
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    assert written == ["whole student"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
