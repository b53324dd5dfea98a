"""Benchmark the trusted judge against the in-kernel checks it replaced: seconds per full submission.

Run: ``.venv/bin/python bench/bench_trusted.py [--students 3] [--baseline 5567182] [--workdir build/bench-trusted]``

In ONE run, so every side sees the same machine load, the same class of ``--students`` full (correct) submissions of
the four real notebooks is graded:

1. by this checkout's ``python -m autograder grade`` (sandbox + trusted judge), 1 worker;
2. by the BASELINE grader (``autograder/`` from ``git archive`` of ``--baseline``, the in-kernel design) on the SAME
   notebooks and ``cs231n_lite`` (this checkout's, with the trusted grade lines turned back into the old one-line
   hidden calls), 1 worker;
3. by plain serial ``nbgrader autograde`` of the baseline course (unsandboxed, nbgrader's own Execute), for scale.

It prints seconds per submission, the ratio trusted / baseline (target <= 1.25) and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SIDE = r"""
import json, shutil, sys, time
from pathlib import Path
from autograder import api, samples
wd, n, src = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
course = wd / "course"
api.release(course_dir=course, source=src)
made = samples.make_sample_class(source_dir=course / "source" / "linear_classifiers", out_dir=wd / "staging",
                                 kinds=["full"])
base = wd / "staging" / "submitted" / made[0].student_id / "linear_classifiers"
for i in range(n):
    shutil.copytree(base, wd / "class" / f"s{i:02d}")
api.collect(course_dir=course, source=wd / "class")
api.grade(course_dir=course, students=["s00"], workers=1)  # warm-up: data set, caches
t = time.monotonic()
res = api.grade(course_dir=course, workers=1, force=True)  # every student, s00 too (no resume)
secs = time.monotonic() - t
print("RESULT" + json.dumps({"per_submission": secs / n, "totals": {s: v[0] for s, v in res.totals().items()}}))
"""


def _old_convention(text: str) -> str:
    """A notebook with the trusted grade lines rewritten for the in-kernel grader: visible cells lose their hidden
    block, hidden cells call ``checks.check(name, fn)`` without ``cases=``."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        src = cell.get("source", "")
        if 'cases="visible")' in src:
            cell["source"] = src.split("\n### BEGIN HIDDEN TESTS", 1)[0]
        elif ', cases="hidden")' in src:
            cell["source"] = src.replace(', cases="hidden")', ")")
    return nbformat.writes(nb)


def _side(tree: Path, wd: Path, n: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", SIDE, str(wd), str(n), str(tree / "notebooks")],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(tree),
        timeout=3600,
    )
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")]
    if out.returncode != 0 or not line:
        raise SystemExit(f"grading with {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[0][len("RESULT") :])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=3)
    ap.add_argument("--baseline", default="5567182", help="git revision of the in-kernel grader")
    ap.add_argument("--workdir", default=str(REPO / "build" / "bench-trusted"))
    args = ap.parse_args(argv)
    wd = Path(args.workdir).resolve()
    shutil.rmtree(wd, ignore_errors=True)
    wd.mkdir(parents=True)
    old = wd / "baseline-tree"
    old.mkdir()
    archive = wd / "baseline.tar"
    subprocess.run(
        [
            "git",
            "-C",
            str(REPO),
            "archive",
            "-o",
            str(archive),
            args.baseline,
            "cs231n_lite",
            "autograder",
            "notebooks",
            "requirements.txt",
        ],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(old, filter="data")
    # same notebooks and package on both sides: only the grader differs
    shutil.rmtree(old / "cs231n_lite")
    shutil.copytree(REPO / "cs231n_lite", old / "cs231n_lite", ignore=shutil.ignore_patterns("__pycache__"))
    for f in (old / "notebooks").glob("*.ipynb"):
        f.unlink()
    for f in sorted((REPO / "notebooks").glob("0*.ipynb")):
        (old / "notebooks" / f.name).write_text(_old_convention(f.read_text()))
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    new = _side(REPO, wd / "trusted", args.students)
    base = _side(old, wd / "baseline", args.students)
    course = wd / "baseline" / "course"
    env = {
        **os.environ,
        "PYTHONPATH": str(old),
        "CS231N_LITE_DATASET": "synthetic",
        "CS231N_LITE_DATA_DIR": str(course / ".autograder" / "data"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    t = time.monotonic()
    subprocess.run(
        [str(Path(sys.executable).with_name("nbgrader")), "autograde", "linear_classifiers", "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    plain = (time.monotonic() - t) / args.students
    print(
        f"[1] trusted judge (this checkout), 1 worker: {new['per_submission']:.1f} s per submission; totals {new['totals']}"
    )
    print(
        f"[2] baseline {args.baseline} (in-kernel checks), 1 worker: {base['per_submission']:.1f} s per submission; "
        f"totals {base['totals']}"
    )
    print(f"[3] plain serial nbgrader autograde of the baseline (unsandboxed): {plain:.1f} s per submission")
    print(
        f"\nratio trusted / baseline: {new['per_submission'] / base['per_submission']:.2f} (target <= 1.25); "
        f"trusted / plain nbgrader: {new['per_submission'] / plain:.2f}"
    )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
