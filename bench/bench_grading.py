"""Benchmark the autograder: seconds per full submission, and class throughput with 2 workers vs 1.

Run: ``.venv/bin/python bench/bench_grading.py [--students 20] [--workdir build/bench]``

Measured in ONE run (so both sides see the same machine load):

1. one full (correct) submission of the real four notebooks, graded alone with 1 worker, in grading mode
   (sandbox, synthetic data): seconds per submission (target <= 15 s);
2. a class of N >= 20 submissions (full / partial / untouched, cycled) graded with 1 worker, then with 2:
   throughput in submissions per minute and the ratio 2 workers / 1 worker (target >= 1.7x on 2 free cores).

The load average is printed before and after: on a shared machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _class(api, samples, course: Path, staging: Path, n: int) -> list[str]:
    made = samples.make_sample_class(
        source_dir=course / "source" / "linear_classifiers",
        out_dir=staging,
        kinds=["full", "partial", "untouched"],
    )
    base = staging / "submitted"
    kinds = [s.student_id for s in made]
    dest = staging / "class"
    names = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        sid = f"s{i:02d}_{kind}"
        shutil.copytree(base / kind / "linear_classifiers", dest / sid)
        names.append(sid)
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--workdir", default=str(REPO / "build" / "bench"))
    args = ap.parse_args(argv)
    from autograder import api, samples

    wd = Path(args.workdir).resolve()
    if wd.exists():
        shutil.rmtree(wd)
    course = wd / "course"
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    api.release(course_dir=course)
    names = _class(api, samples, course, wd / "staging", args.students)
    api.collect(course_dir=course, source=wd / "staging" / "class")
    full = [n for n in names if n.endswith("_full")][0]

    t = time.monotonic()
    one = api.grade(course_dir=course, students=[full], workers=1)
    per_submission = time.monotonic() - t
    nb_secs = {r.notebook: round(r.seconds, 1) for r in one.rows}
    score = sum(r.score for r in one.rows)
    print(
        f"\n[1] one full submission, 1 worker: {per_submission:.1f} s (target <= 15 s); score {score:g}; "
        f"per notebook {nb_secs}; gradebook phase {one.gradebook_seconds:.1f} s"
    )

    runs = {}
    for workers in (1, 2):
        t = time.monotonic()
        res = api.grade(course_dir=course, workers=workers)
        secs = time.monotonic() - t
        runs[workers] = (secs, res)
        bad = [r for r in res.rows if r.status != "ok"]
        print(
            f"[2] {len(names)} submissions, {workers} worker(s): {secs:.1f} s = "
            f"{60 * len(names) / secs:.1f} submissions/min; gradebook phase {res.gradebook_seconds:.1f} s; "
            f"non-ok rows {len(bad)}; load {os.getloadavg()[0]:.1f}"
        )
    s1, r1 = runs[1]
    s2, r2 = runs[2]
    same = {(r.student, r.notebook): r.score for r in r1.rows} == {
        (r.student, r.notebook): r.score for r in r2.rows
    }
    print(f"\nspeedup 2 workers vs 1: {s1 / s2:.2f}x (target >= 1.7x); identical scores: {same}")
    print(f"seconds per full submission: {per_submission:.1f} (target <= 15)")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
