"""Benchmark the grader's trusted client work per submission: phase 1 sanitize + phase 2 (nbgrader writing the
gradebook), with phase 2's shortcuts against nbgrader's full preprocessor lists, in one run.

Run: ``.venv/bin/python bench/bench_client.py [--students 8] [--workdir build/bench-client]``

A class of ``--students`` submissions of the real five notebooks (full, partial, untouched and three metadata
tamperings, cycled) is released, collected and graded ONCE (sandboxed, 1 worker) so every side replays the same
sandboxed results. Then, alternating twice on fresh copies of that graded course:

* **before**: phase 1 as nbgrader's sanitize preprocessors with a gradebook session each (``grading._sanitize``:
  RepairTampering after ``tamper.inspect``, OverwriteCells querying per cell) and phase 2 with nbgrader's full lists
  (``grading.phase2_config(shortcuts=False)``: the second sanitize pass, the last CheckCellMetadata, a validation
  after every step, a new gradebook engine per SaveAutoGrades);
* **after**: what ``python -m autograder grade`` does now (``grading.Sanitizer`` with one gradebook snapshot per batch,
  ``phase2_config()`` with :class:`autograder.preprocessors.ReplaySanitized` and one shared gradebook session).

It prints this process's CPU seconds per submission for each side (best of the two rounds), the ratio, and whether
the gradebooks (every grade, comment, score and late penalty) and autograded notebooks of both sides are identical.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

KINDS = ("full", "partial", "untouched", "tamper_points", "tamper_duplicate_id", "tamper_deleted_restored")
A = "linear_classifiers"


def _graded_course(workdir: Path, n: int) -> Path:
    from autograder import api, samples

    if workdir.exists():
        shutil.rmtree(workdir)
    course = workdir / "course"
    api.release(course_dir=course)
    staging = workdir / "staging"
    made = samples.make_sample_class(source_dir=course / "source" / A, out_dir=staging, kinds=list(KINDS))
    for i in range(n):
        kind = made[i % len(made)].student_id
        shutil.copytree(staging / "submitted" / kind / A, workdir / "class" / f"s{i:03d}_{kind}")
    api.collect(course_dir=course, source=workdir / "class")
    api.grade(course_dir=course, workers=1, options=api.GradeOptions(cell_timeout=30, notebook_timeout=180))
    return course


def _copy(course: Path, dest: Path) -> str:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(course, dest)
    cfg = dest / "nbgrader_config.py"
    cfg.write_text(cfg.read_text().replace(str(course), str(dest)))
    shutil.rmtree(dest / "autograded", ignore_errors=True)
    return f"sqlite:///{dest / 'gradebook.db'}"


def _side(course: Path, dest: Path, *, after: bool) -> tuple[float, int, list, dict]:
    """(CPU seconds of phase 1 sanitize + phase 2 for the class, students, gradebook dump, autograded files)."""
    import nbformat

    from autograder import course as _course
    from autograder import grading, tamper
    from autograder.preprocessors import InstructorCells, shared_gradebook
    from autograder.results import GradeRow

    url = _copy(course, dest)
    executed = dest / ".autograder" / "executed"
    _, cfg = _course.coursedir(dest, url)
    with _course.gradebook(url) as gb:
        notebooks = sorted(nb.name for nb in gb.find_assignment(A).notebooks)
    rows = {}
    for marker in sorted((dest / ".autograder" / "graded").glob("*.json")):
        for name, r in json.loads(marker.read_text())["rows"].items():
            rows[marker.stem, name] = GradeRow(marker.stem, name, r["status"], error=r["error"])
    students = sorted({s for s, _ in rows})
    t0 = time.process_time()
    if after:
        sanitize = grading.Sanitizer(
            config=cfg, db_url=url, assignment=A, cells=InstructorCells(url, _course.COURSE_ID),
            skip=(tamper.RepairTampering,),
        )
    releases = {}
    with shared_gradebook(url) if after else contextlib.nullcontext():
        for s in students:
            for name in notebooks:  # phase 1's trusted sanitize (what prepare does per notebook)
                path = dest / "submitted" / s / A / f"{name}.ipynb"
                if not path.exists():
                    continue
                nb = nbformat.read(str(path), as_version=4)
                if name not in releases:
                    releases[name] = tamper.release_notebook(cfg, A, name)
                nb = tamper.inspect(nb, releases[name], notebook=name).notebook
                if after:
                    sanitize(nb, student=s, notebook=name)
                else:
                    grading._sanitize(nb, student=s, assignment=A, notebook=name, db_url=url, config=cfg)
            extra = grading.phase2_config(executed, shortcuts=after)
            grading._phase2(dest, url, A, s, notebooks, rows, executed, None, extra=extra)
    cpu = time.process_time() - t0
    dump = []
    with _course.gradebook(url) as gb:
        for sub in gb.find_assignment(A).submissions:
            dump.append(("submission", sub.student.id, sub.late_submission_penalty))
            for n in sub.notebooks:
                dump.append(("notebook", sub.student.id, n.name, n.score, n.needs_manual_grade))
                dump += [("grade", sub.student.id, n.name, g.name, g.auto_score, g.needs_manual_grade) for g in n.grades]
                dump += [("comment", sub.student.id, n.name, c.name, c.auto_comment) for c in n.comments]
    files = {
        str(p.relative_to(dest)): p.read_text().replace(str(dest), "COURSE")
        for p in sorted((dest / "autograded").rglob("*.ipynb"))
    }
    return cpu, len(students), sorted(dump, key=repr), files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=8)
    ap.add_argument("--workdir", default=str(REPO / "build" / "bench-client"))
    args = ap.parse_args(argv)
    workdir = Path(args.workdir).resolve()
    print(f"load average before: {os.getloadavg()}")
    course = _graded_course(workdir, args.students)
    best = {}
    results = {}
    for _ in range(2):
        for after in (False, True):
            cpu, n, dump, files = _side(course, workdir / ("after" if after else "before"), after=after)
            best[after] = min(best.get(after, float("inf")), cpu / n)
            results[after] = (dump, files)
    same_gradebook = results[False][0] == results[True][0]
    same_files = results[False][1] == results[True][1]
    print(f"client work (phase 1 sanitize + phase 2), {args.students} submissions, CPU s per submission:")
    print(f"  before (nbgrader's full lists, a gradebook session per step): {best[False]:.3f}")
    print(f"  after  (this checkout: phase-1 snapshot, ReplaySanitized, one session): {best[True]:.3f}")
    print(f"  ratio before / after: {best[False] / best[True]:.2f}x")
    print(f"  identical gradebook rows: {same_gradebook} ({len(results[True][0])} rows); identical autograded "
          f"notebooks: {same_files} ({len(results[True][1])} files)")
    print(f"load average after: {os.getloadavg()}")
    return 0 if same_gradebook and same_files else 1


if __name__ == "__main__":
    sys.exit(main())
