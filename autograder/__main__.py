"""Command line: ``python -m autograder {release,collect,grade,feedback,export,demo} [options]``.

Exit codes: 0 success; 1 grading finished but some notebook did not end ``ok`` (see the table); 2 an
instructor-facing error (the message names the next command to run); 3 bubblewrap missing.

Examples
--------
>>> from autograder.__main__ import build_parser
>>> build_parser().parse_args(["grade", "--workers", "2"]).workers
2
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="verb", required=True)

    def common(sp, *, course=True):
        if course:
            sp.add_argument("--course-dir", help="nbgrader course directory (default <repo>/build/course)")
            sp.add_argument(
                "--db-url", help="SQLAlchemy URL of the gradebook (default sqlite in the course dir)"
            )
        sp.add_argument("--assignment", default="linear_classifiers")
        return sp

    r = common(sub.add_parser("release", help="generate the student version + bundle, with a leak scan"))
    r.add_argument("--source", help="folder of nbgrader source notebooks (default <repo>/notebooks)")
    r.add_argument("--due", help='due date for late penalties, e.g. "2026-12-01 17:00:00 UTC"')

    c = common(sub.add_parser("collect", help="collect submissions from a folder or an LMS zip"))
    c.add_argument("--source", required=True, help="folder of <student>/*.ipynb, or an LMS .zip / folder")
    c.add_argument("--pattern", help="regexp for LMS file names (student_id, file_id, timestamp groups)")

    g = common(sub.add_parser("grade", help="autograde in parallel sandboxes"))
    g.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")
    g.add_argument("--workers", type=int, help="parallel sandboxes (default: cores)")
    g.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (default 30)")
    g.add_argument("--notebook-timeout", type=float, default=180, help="seconds per notebook (default 180)")
    g.add_argument(
        "--memory-mb", type=int, default=2048, help="address-space limit per process (default 2048)"
    )
    g.add_argument("--allow-unsandboxed", action="store_true", help="grade without bwrap (TRUSTED code only)")
    g.add_argument(
        "--scheduler",
        help="tcp://HOST:PORT of a Dask scheduler to grade on (default: an embedded cluster on this machine)",
    )
    g.add_argument("--force", action="store_true", help="regrade everyone (default: resume the ungraded)")
    g.add_argument(
        "--no-warm-kernels",
        dest="warm",
        action="store_false",
        help="start every notebook's kernel from scratch (default: fork it from a pre-imported one per sandbox)",
    )

    f = common(sub.add_parser("feedback", help="per-student feedback HTML (hidden tests hidden)"))
    f.add_argument("--student", action="append", dest="students")

    e = common(sub.add_parser("export", help="grades CSV + per-question stats + histogram"))
    e.add_argument("--out-dir", help="output folder (default <course>/export)")

    d = common(
        sub.add_parser("demo", help="release, sample class, grade, feedback, export (offline)"), course=False
    )
    d.add_argument("--workdir", help="output folder (default <repo>/build/demo)")
    d.add_argument("--workers", type=int)
    d.add_argument("--allow-unsandboxed", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from autograder import api
    from autograder.sandbox import SandboxUnavailable

    common = {
        "course_dir": getattr(args, "course_dir", None),
        "db_url": getattr(args, "db_url", None),
        "assignment": args.assignment,
    }
    try:
        if args.verb == "release":
            print(api.release(source=args.source, due=args.due, **common))
        elif args.verb == "collect":
            extra = {"pattern": args.pattern} if args.pattern else {}
            print(api.collect(source=args.source, **extra, **common))
        elif args.verb == "grade":
            opts = api.GradeOptions(
                cell_timeout=args.cell_timeout,
                notebook_timeout=args.notebook_timeout,
                memory_bytes=args.memory_mb * 1024 * 1024,
                warm=args.warm,
            )
            res = api.grade(
                students=args.students,
                workers=args.workers,
                options=opts,
                allow_unsandboxed=args.allow_unsandboxed,
                scheduler=args.scheduler,
                force=args.force,
                show_progress=True,
                **common,
            )
            print(res.table())
            return 0 if all(r.status == "ok" for r in res.rows) else 1
        elif args.verb == "feedback":
            print(api.feedback(students=args.students, **common))
        elif args.verb == "export":
            print(api.export(out_dir=args.out_dir, **common))
        elif args.verb == "demo":
            api.demo(workdir=args.workdir, workers=args.workers, allow_unsandboxed=args.allow_unsandboxed)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except api.AutograderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if "bubblewrap" in str(exc) else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
