"""Benchmark grading on Dask: engines on one machine, scheduler overhead, and a wall-time estimate for a MOOC.

Run: ``.venv/bin/python bench/bench_cluster.py [--students 40] [--noop 300] [--workdir build/bench-cluster]``

In ONE run:

1. a class of ``--students`` (full / partial / untouched, cycled; real notebooks, sandboxed) graded three ways:
   the embedded default (in-process LocalCluster, one thread per core), two local Dask worker *processes*
   (``LocalCluster(processes=True)`` passed as ``scheduler=``), and one worker; wall time, ratios, identical
   scores; the client's CPU per submission (sanitizing + nbgrader's gradebook phase: the serial part);
2. scheduler overhead: ``--noop`` no-op tasks streamed the way :func:`autograder.cluster.grade` streams
   submissions (one in flight per worker thread, ``as_completed``), on the in-process cluster, on worker
   processes, and the same through a plain ``ThreadPoolExecutor`` (today's pool) for comparison;
3. from these, the estimated wall time of 5,000 submissions on 1, 8 and 64 worker cores:
   ``max(N * worker core-s / cores, N * client s) + N * overhead`` (the client is the one gradebook writer).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_grading import make_class, measure, run_metered  # noqa: E402


def noop(i):
    return i


def stream(submit, results, n: int, window: int) -> float:
    """Seconds per task when `n` no-op tasks are kept `window` in flight (submit one as each one finishes)."""
    t0 = time.monotonic()
    pending = 0
    it = iter(range(n))
    for i in it:
        submit(i)
        pending += 1
        if pending >= window:
            break
    for _ in results():
        pending -= 1
        nxt = next(it, None)
        if nxt is not None:
            submit(nxt)
            pending += 1
        if pending == 0:
            break
    return (time.monotonic() - t0) / n


def dask_overhead(client, n: int, window: int) -> float:
    from distributed import as_completed

    ac = as_completed(loop=client.loop)

    def submit(i):
        ac.add(client.submit(noop, i, pure=False))

    return stream(submit, lambda: ac, n, window)


def pool_overhead(n: int, window: int) -> float:
    with cf.ThreadPoolExecutor(window) as pool:
        done: list = []
        futs = set()

        def submit(i):
            futs.add(pool.submit(noop, i))

        def results():
            while futs:
                finished, _ = cf.wait(futs, return_when=cf.FIRST_COMPLETED)
                for f in finished:
                    futs.discard(f)
                    done.append(f.result())
                    yield f

        return stream(submit, results, n, window)


def notebook_scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, "cs231n_lite") as gb:
        return {
            (sub.student_id, nb.name): float(nb.score)
            for sub in gb.find_assignment("linear_classifiers").submissions
            for nb in sub.notebooks
        }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--noop", type=int, default=300)
    ap.add_argument("--workdir", default=str(REPO / "build" / "bench-cluster"))
    ap.add_argument("--skip-class", action="store_true", help="only the scheduler overhead")
    args = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    from autograder import api, samples

    wd = Path(args.workdir).resolve()
    if wd.exists():
        shutil.rmtree(wd)
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    cores = len(os.sched_getaffinity(0))

    # ---- 2. scheduler overhead (first: cheap, and the estimate needs it)
    with LocalCluster(n_workers=1, threads_per_worker=cores, processes=False, dashboard_address=None) as lc:
        with Client(lc, set_as_default=False) as c:
            inproc = dask_overhead(c, args.noop, cores)
    t = time.monotonic()
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        start_procs = time.monotonic() - t
        with Client(lc, set_as_default=False) as c:
            procs = dask_overhead(c, args.noop, cores)
    pool = pool_overhead(args.noop, cores)
    print(
        f"[2] {args.noop} no-op tasks, {cores} in flight: in-process LocalCluster {1000 * inproc:.2f} ms/task, "
        f"{cores} worker processes {1000 * procs:.2f} ms/task (cluster start {start_procs:.1f} s), "
        f"ThreadPoolExecutor {1000 * pool:.3f} ms/task; load {os.getloadavg()[0]:.1f}"
    )
    if args.skip_class:
        return 0

    # ---- 1. one class, three engines
    course = wd / "course"
    api.release(course_dir=course)
    names = make_class(samples, course, wd / "staging", args.students, ["full", "partial", "untouched"])
    api.collect(course_dir=course, source=wd / "staging" / "class")
    quiet: list[str] = []
    runs = {}
    db = f"sqlite:///{course / 'gradebook.db'}"

    def embedded():
        return api.grade(course_dir=course, force=True, echo=quiet.append)

    def two_processes():
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
            with Client(lc, set_as_default=False) as client:
                return api.grade(course_dir=course, scheduler=client, force=True, echo=quiet.append)

    n = len(names)
    for label, fn in (
        (f"embedded default ({cores} threads)", embedded),
        ("2 Dask worker processes", two_processes),
    ):
        wall, _, res = measure(fn)
        runs[label] = (wall, notebook_scores(db), res)
        print(
            f"[1] {n} submissions, {label}: {wall:.1f} s = {60 * n / wall:.1f} submissions/min; client CPU "
            f"(sanitize + gradebook) {res.client_cpu_seconds / n:.2f} s/submission; non-ok rows "
            f"{sum(r.status != 'ok' for r in res.rows)}; load {os.getloadavg()[0]:.1f}"
        )
    cmd = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        "--course-dir",
        str(course),
        "--workers",
        "1",
        "--force",
    ]
    wall, cpu, proc, how = run_metered(cmd, env={**os.environ, "PYTHONPATH": str(REPO)})
    runs["1 worker"] = (wall, notebook_scores(db), None)
    print(
        f"[1] {n} submissions, 1 worker (CLI): {wall:.1f} s = {60 * n / wall:.1f} submissions/min; "
        f"{cpu / n:.2f} core-s per submission [{how}]; load {os.getloadavg()[0]:.1f}"
    )
    labels = list(runs)
    one = runs["1 worker"][0]
    for label in labels[:2]:
        print(f"    {label} vs 1 worker: {one / runs[label][0]:.2f}x")
    print(f"    2 worker processes vs embedded: {runs[labels[0]][0] / runs[labels[1]][0]:.2f}x")
    same = runs[labels[0]][1] == runs[labels[1]][1] == runs[labels[2]][1]
    print(f"    identical scores in all three: {same}")

    # ---- 3. estimate for 5,000
    worker_core_s = cpu / n  # everything, one worker: what one core spends per submission
    client_s = runs[labels[0]][2].client_cpu_seconds / n
    print(
        f"\n[3] per submission: {worker_core_s:.2f} core-s in all, of which the client's serial part (sanitize + "
        f"nbgrader gradebook phase) {client_s:.2f} s; scheduler overhead {1000 * procs:.1f} ms/task"
    )
    print("    estimated wall time for 5,000 submissions (this class's mix), client on its own core:")
    for k in (1, 8, 64):
        work = 5000 * (worker_core_s - client_s) / k
        serial = 5000 * client_s
        total = max(work, serial) + 5000 * procs
        bound = "client-bound" if serial > work else "worker-bound"
        print(f"      {k:>3} worker cores: {total / 3600:6.2f} h = {total / 60:6.0f} min  ({bound})")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
