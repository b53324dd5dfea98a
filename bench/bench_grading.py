"""Benchmark the autograder's cost per submission against plain serial ``nbgrader autograde``, in one run.

Run: ``.venv/bin/python bench/bench_grading.py [--students 8] [--class-size 20] [--workdir build/bench]``

Measured in ONE run, on the same submissions (full = correct, the real four notebooks, grading mode, synthetic
data), so every side sees the same machine load:

1. **core-seconds per submission** (CPU time of the grader process and every process it started and waited for:
   sandboxes, runners, kernels -- ``getrusage(RUSAGE_SELF + RUSAGE_CHILDREN)``), which a loaded machine inflates
   far less than wall time, plus wall seconds with 1 worker:

   * this grader, sandboxed + trusted, warm kernels, a worker slot's sandbox reused for its next submission
     (the default);
   * the same with a new sandbox for every submission (``--no-reuse-sandbox``);
   * cold kernels and a new sandbox each (``--no-warm-kernels --no-reuse-sandbox``: one interpreter start per
     notebook);
   * plain serial ``nbgrader autograde`` (UNSANDBOXED, its own Execute preprocessor), in a copy of the course.

   Throughput per core = 1 / core-seconds; the ratio nbgrader / ours is the goal's ">= 2x".
2. a mixed class (full / partial / untouched, cycled) with 1 worker then 2: speed-up (target >= 1.7x on 2 free
   cores) and identical scores.

The load average is printed before and after: on a shared machine wall-clock figures are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cpu_seconds() -> float:
    """CPU seconds of this process plus all its waited-for descendants so far (sandboxes are NOT included:
    bubblewrap does not hand its children's usage up; :func:`run_metered` counts them)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(fn):
    """(wall seconds, CPU seconds by rusage, result) of ``fn()``."""
    w0, c0 = time.monotonic(), cpu_seconds()
    out = fn()
    return time.monotonic() - w0, cpu_seconds() - c0, out


def run_metered(cmd: list[str], **kw) -> tuple[float, float, subprocess.CompletedProcess, str]:
    """Run `cmd`; return (wall s, CPU s of it and EVERY descendant, the process, how CPU was counted).

    CPU comes from a fresh cgroup-v1 ``cpuacct`` group when this machine lets us make one (root), which counts
    sandboxed processes too; otherwise from rusage, which misses what runs inside bubblewrap.
    """
    group = CPUACCT / f"bench-{os.getpid()}-{time.monotonic_ns()}"
    try:
        group.mkdir()
    except OSError:
        wall, cpu, proc = measure(lambda: subprocess.run(cmd, capture_output=True, text=True, **kw))
        return wall, cpu, proc, "rusage (sandboxes not counted)"
    try:
        wrapped = ["/bin/sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *cmd]
        t0 = time.monotonic()
        proc = subprocess.run(wrapped, capture_output=True, text=True, **kw)
        wall = time.monotonic() - t0
        cpu = int((group / "cpuacct.usage").read_text()) / 1e9
    finally:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)
    return wall, cpu, proc, "cgroup cpuacct (all descendants, sandboxes included)"


def make_class(samples, course: Path, staging: Path, n: int, kinds) -> list[str]:
    """``n`` submissions cycling through `kinds`, written as a collect-able folder; return the student ids."""
    made = samples.make_sample_class(
        source_dir=course / "source" / "linear_classifiers", out_dir=staging, kinds=list(kinds)
    )
    base = staging / "submitted"
    names = []
    for i in range(n):
        kind = made[i % len(made)].student_id
        sid = f"s{i:03d}_{kind}"
        shutil.copytree(base / kind / "linear_classifiers", staging / "class" / sid)
        names.append(sid)
    return names


def plain_nbgrader(course: Path, data_dir: Path, dest: Path) -> tuple[float, float, dict]:
    """Copy `course` with a config holding only nbgrader's defaults; run serial ``nbgrader autograde``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(course, dest, ignore=shutil.ignore_patterns("autograded", "feedback", ".autograder"))
    db = dest / "gradebook.db"
    (dest / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa\n"
        f"c.CourseDirectory.root = {str(dest)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{db}'\n"
        "c.CourseDirectory.course_id = 'cs231n_lite'\n"
        "c.ExecutePreprocessor.timeout = 120\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CS231N_LITE_DATASET": "synthetic",
        "CS231N_LITE_DATA_DIR": str(data_dir),
        "NBGRADER_EXECUTION": "autograde",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    cmd = [str(Path(sys.executable).parent / "nbgrader"), "autograde", "linear_classifiers", "--force"]
    wall, cpu, proc, _ = run_metered(cmd, cwd=dest, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"plain nbgrader autograde failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, cpu, gradebook_totals(f"sqlite:///{db}")


def gradebook_totals(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, "cs231n_lite") as gb:
        return {s.student_id: float(s.score) for s in gb.find_assignment("linear_classifiers").submissions}


def our_grader(course: Path, extra: list[str]) -> tuple[float, float, dict]:
    """``python -m autograder grade --workers 1 --force`` as a subprocess (it pays its own start, as nbgrader does)."""
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
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    wall, cpu, proc, how = run_metered(cmd + extra, env=env)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"grading failed:\n{proc.stderr[-3000:]}")
    print(f"    (CPU counted by {how})")
    return wall, cpu, gradebook_totals(f"sqlite:///{course / 'gradebook.db'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=8, help="full submissions for the per-core figures (a class, not one student: both graders pay their start-up once)")
    ap.add_argument("--class-size", type=int, default=20, help="mixed class for 1 vs 2 workers (0: skip)")
    ap.add_argument("--workdir", default=str(REPO / "build" / "bench"))
    args = ap.parse_args(argv)
    from autograder import api, grading, samples

    wd = Path(args.workdir).resolve()
    if wd.exists():
        shutil.rmtree(wd)
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    course = wd / "course"
    api.release(course_dir=course)
    full = make_class(samples, course, wd / "staging-full", args.students, ["full"])
    api.collect(course_dir=course, source=wd / "staging-full" / "class")
    data_dir = grading.prepare_data(course / ".autograder")
    n = len(full)
    figures = {}
    variants = (
        ("warm kernels, sandbox reused", []),
        ("warm kernels, new sandbox each", ["--no-reuse-sandbox"]),
        ("cold kernels, new sandbox each", ["--no-warm-kernels", "--no-reuse-sandbox"]),
    )
    for label, extra in variants:
        wall, cpu, scores = our_grader(course, extra)
        figures[label] = (wall / n, cpu / n, scores)
        print(
            f"[1] this grader (sandboxed, trusted), {label}, 1 worker: {cpu / n:.2f} core-s and "
            f"{wall / n:.2f} wall-s per submission; load {os.getloadavg()[0]:.1f}"
        )
    wall, cpu, nb_scores = plain_nbgrader(course, data_dir, wd / "plain-nbgrader")
    figures["nbgrader"] = (wall / n, cpu / n, nb_scores)
    print(
        f"[1] plain serial nbgrader autograde (unsandboxed): {cpu / n:.2f} core-s and {wall / n:.2f} wall-s per "
        f"submission; load {os.getloadavg()[0]:.1f}"
    )
    nb_cpu = figures["nbgrader"][1]
    for label, _ in variants:
        print(
            f"    throughput per core, {label} vs nbgrader: {nb_cpu / figures[label][1]:.2f}x (CPU), "
            f"{figures['nbgrader'][0] / figures[label][0]:.2f}x (wall)"
        )
    same = len({str(sorted(figures[v][2].items())) for v, _ in variants}) == 1
    print(f"    scores identical in all variants: {same}; per student (ours / plain nbgrader): ", end="")
    first = figures[variants[0][0]][2]
    print({s: (first[s], nb_scores.get(s)) for s in sorted(first)})
    quiet: list[str] = []

    if args.class_size:
        course2 = wd / "course-class"
        api.release(course_dir=course2)
        names = make_class(
            samples, course2, wd / "staging-class", args.class_size, ["full", "partial", "untouched"]
        )
        api.collect(course_dir=course2, source=wd / "staging-class" / "class")
        runs = {}
        for workers in (1, 2):
            wall, cpu, res = measure(
                lambda workers=workers: api.grade(
                    course_dir=course2, workers=workers, force=True, echo=quiet.append
                )
            )
            runs[workers] = (wall, res)
            bad = [r for r in res.rows if r.status != "ok"]
            print(
                f"[2] {len(names)} submissions, {workers} worker(s): {wall:.1f} s = {60 * len(names) / wall:.1f} "
                f"submissions/min; {cpu / len(names):.2f} core-s each; non-ok rows {len(bad)}; "
                f"load {os.getloadavg()[0]:.1f}"
            )
        same = {(r.student, r.notebook): r.score for r in runs[1][1].rows} == {
            (r.student, r.notebook): r.score for r in runs[2][1].rows
        }
        print(
            f"    speed-up 2 workers vs 1: {runs[1][0] / runs[2][0]:.2f}x (target >= 1.7x); identical scores: {same}"
        )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
