"""Command line: ``python -m autograder {release,roster,collect,grade,late-policy,feedback,export,demo} [options]``.

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
    p = argparse.ArgumentParser(
        prog="python -m autograder",
        description="cs231n-lite's TA tooling on top of nbgrader. A course, in order: release (hand out the "
        "student bundle) -> roster -> late-policy -> collect (Canvas / Moodle / exchange / folders) -> grade -> "
        "written answers in Formgrader (JupyterLab > Nbgrader) -> feedback -> export (--format canvas). "
        'README.md, "Running a real course", walks through it; every verb has --help.',
        epilog="exit codes: 0 ok; 1 some notebook did not end ok (see the table); 2 an error that names the next "
        "command; 3 bubblewrap missing",
    )
    sub = p.add_subparsers(dest="verb", required=True)

    def common(sp, *, course=True):
        if course:
            sp.add_argument("--course-dir", help="nbgrader course directory (default <repo>/build/course)")
            sp.add_argument(
                "--db-url", help="SQLAlchemy URL of the gradebook (default sqlite in the course dir)"
            )
        sp.add_argument(
            "--assignment", default="linear_classifiers", help="assignment id (default linear_classifiers)"
        )
        return sp

    r = common(
        sub.add_parser(
            "release",
            help="generate the student version + the student bundle zip to hand out, with a leak scan",
            description="nbgrader generate_assignment into <course>/release/, then the student bundle "
            "<course>/student_bundle/cs231n_lite_<assignment>.zip (released notebooks, cs231n_lite without the "
            "reference, requirements.txt with nbgrader for the Validate button, a README) after a leak scan. "
            "Upload the zip to your LMS.",
        )
    )
    r.add_argument("--source", help="folder of nbgrader source notebooks (default <repo>/notebooks)")
    r.add_argument("--due", help='due date for late penalties, e.g. "2026-12-01 17:00:00 UTC"')

    ro = common(
        sub.add_parser(
            "roster",
            help="import students (CSV: id, first_name, last_name, email[, lms_user_id]) into the gradebook",
            description="Import or update students from a CSV file in nbgrader's format (columns id, first_name, "
            "last_name, email; optional lms_user_id = the Canvas/Moodle user id). Re-importing updates, never "
            "duplicates. Formgrader then shows names; collect reports students who are not on the roster.",
        )
    )
    ro.add_argument("csv", help="roster CSV file")

    from autograder._layouts import LAYOUTS  # not autograder.collect: --help without importing nbgrader

    layouts = "\n".join(f"  {k:<12} {v.split(': ', 1)[1]}" for k, v in LAYOUTS.items())
    c = common(
        sub.add_parser(
            "collect",
            help="collect submissions from a folder or an LMS zip (Canvas, Moodle, nbgrader exchange, folders)",
            description=f"Copy submissions into <course>/submitted/, detecting the layout of --source:\n{layouts}\n"
            "Timestamps are kept (timestamp.txt; for Canvas/Moodle zips the time of each file in the zip).\n"
            "Renamed notebooks are matched and reported; students missing from the roster are reported by name.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    c.add_argument("--source", required=True, help="folder or .zip as downloaded from the LMS")
    c.add_argument(
        "--pattern",
        help="exotic names only: regexp on each file's path with named groups student_id, file_id (and timestamp)",
    )

    g = common(
        sub.add_parser(
            "grade",
            help="autograde in parallel sandboxes (written answers then wait for a TA in Formgrader)",
            description="Run every collected submission in its own bubblewrap sandbox, then nbgrader autograde "
            "writes the gradebook (late policy applied). The table shows per student 'autograded x/27 · written "
            "answers pending (13 points)' until a TA grades the written answers in Formgrader "
            "(cd <course> && jupyter lab, then Nbgrader > Formgrader).",
        )
    )
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
    g.add_argument(
        "--no-reuse-sandbox",
        dest="reuse_sandbox",
        action="store_false",
        help="a new sandbox for every submission (default: a worker slot's sandbox, reset, serves its next ones)",
    )

    lp = common(
        sub.add_parser(
            "late-policy",
            help="set the course's late penalty (nbgrader late-penalty plugin), e.g. --per-day 10 --cap 50",
            description="Write the late policy into the course's nbgrader_config.py "
            "(c.AssignLatePenalties.plugin_class = autograder.late.LatePolicy). grade applies it from the collected "
            "timestamps and the due date; feedback and export re-apply it once written answers are graded. "
            "Days are started days (1 minute late = 1 day). With no option: no penalty.",
        )
    )
    lp.add_argument(
        "--per-day", type=float, default=0.0, help="percent of the score per started day late (e.g. 10)"
    )
    lp.add_argument("--cap", type=float, default=100.0, help="at most this percent in total (default 100)")
    lp.add_argument("--zero-after-days", type=float, default=0.0, help="more than N days late scores zero")
    lp.add_argument(
        "--grace-minutes", type=float, default=0.0, help="minutes after the due date that are not late"
    )
    lp.add_argument("--due", help='assignment due date, e.g. "2026-12-01 17:00:00 UTC"')

    f = common(
        sub.add_parser(
            "feedback",
            help="per-student feedback HTML (hidden tests hidden, written answers 'awaiting a TA' until graded)",
            description="Write <course>/feedback/<student>/<assignment>/<notebook>.html: the score split, each test "
            "named after its check with its outcome but not its hidden source, the TA's points and comments, "
            "'awaiting a TA' on answers not graded yet, maths as MathML (offline), no host paths. The late policy "
            "is re-applied first from the current scores.",
        )
    )
    f.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")

    e = common(
        sub.add_parser(
            "export",
            help="grades.csv, question_scores.csv, questions.csv, histogram.png; --format canvas adds canvas.csv",
            description="Export grades from the gradebook. csv (default): grades.csv (one row per student, with the "
            "autograded / written / pending split and the late penalty), question_scores.csv (student x grade "
            "cell), questions.csv (statistics per grade cell), histogram.png. canvas: also canvas.csv, Canvas's "
            "gradebook import format (Student, ID, SIS User ID, SIS Login ID, Section, one assignment column, "
            "points); students whose written answers are still pending get an empty cell.",
        )
    )
    e.add_argument("--out-dir", help="output folder (default <course>/export)")
    e.add_argument("--format", choices=("csv", "canvas"), default="csv", help="csv (default) or canvas")
    e.add_argument(
        "--canvas-column",
        help='Canvas assignment column, e.g. "Linear classifiers (12345)" (default: assignment id)',
    )

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
        elif args.verb == "roster":
            print(api.roster(path=args.csv, course_dir=common["course_dir"], db_url=common["db_url"]))
        elif args.verb == "collect":
            extra = {"pattern": args.pattern} if args.pattern else {}
            print(api.collect(source=args.source, **extra, **common))
        elif args.verb == "grade":
            opts = api.GradeOptions(
                cell_timeout=args.cell_timeout,
                notebook_timeout=args.notebook_timeout,
                memory_bytes=args.memory_mb * 1024 * 1024,
                warm=args.warm,
                reuse_sandbox=args.reuse_sandbox,
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
        elif args.verb == "late-policy":
            print(
                api.late_policy(
                    per_day=args.per_day / 100.0,
                    max_fraction=args.cap / 100.0,
                    zero_after_days=args.zero_after_days,
                    grace_minutes=args.grace_minutes,
                    due=args.due,
                    **common,
                )
            )
        elif args.verb == "export":
            print(
                api.export(
                    out_dir=args.out_dir, format=args.format, canvas_column=args.canvas_column, **common
                )
            )
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
