"""A real PostgreSQL gradebook (the ``postgres_url`` fixture of conftest.py starts a throw-away server).

The sample class (real notebooks, honest and hostile students) is graded twice in the same run: into SQLite (the
default) and, through ``python -m autograder grade --db-url``, into PostgreSQL. Scores must be identical cell by
cell; ``export`` and nbgrader's Formgrader (a real Jupyter server's formgrader API) must read them from PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
KINDS = ["full", "untouched"]  # lean: two real submissions graded twice (SQLite, PostgreSQL)
GRADE_ARGS = ["--cell-timeout", "15", "--notebook-timeout", "120"]


def test_server_is_real_postgres(postgres_url):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("select version()")).scalar()
        assert conn.execute(sa.text("select current_database()")).scalar() == "gradebook"
    engine.dispose()
    assert version.startswith("PostgreSQL ")


def _grades(db_url: str, assignment: str) -> dict:
    """{(student, notebook, grade cell): (auto score, max score)} straight from nbgrader's Gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url, "cs231n_lite") as gb:
        for sub in gb.find_assignment(assignment).submissions:
            for nb in sub.notebooks:
                for g in nb.grades:
                    out[sub.student_id, nb.name, g.name] = (g.auto_score, g.max_score)
    return out


def _course(tmp: Path, name: str, db_url: str | None) -> Path:
    from autograder import api, samples

    course = tmp / name
    rel = api.release(course_dir=course, db_url=db_url)
    samples.make_sample_class(
        source_dir=course / "source" / rel.assignment, out_dir=tmp / f"{name}-class", kinds=KINDS
    )
    api.collect(course_dir=course, source=tmp / f"{name}-class" / "submitted", db_url=db_url)
    return course


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_class_in_postgres_matches_sqlite_and_export_formgrader_read_it(postgres_url, tmp_path):
    from browser_helpers import LabServer

    from autograder import api

    sqlite_course = _course(tmp_path, "sqlite", None)
    pg_course = _course(tmp_path, "pg", postgres_url)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = {}
    for name, course, extra in (("sqlite", sqlite_course, []), ("pg", pg_course, ["--db-url", postgres_url])):
        cmd = [sys.executable, "-m", "autograder", "grade", "--course-dir", str(course), *extra, *GRADE_ARGS]
        runs[name] = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
        assert runs[name].returncode in (0, 1), runs[name].stderr[-3000:]
    sqlite = _grades(f"sqlite:///{sqlite_course / 'gradebook.db'}", "linear_classifiers")
    pg = _grades(postgres_url, "linear_classifiers")
    assert len(sqlite) > 4 * len(KINDS) and sorted({k[0] for k in pg}) == sorted(KINDS)
    assert pg == sqlite
    totals = {s: sum(v[0] or 0 for k, v in pg.items() if k[0] == s) for s in KINDS}
    assert totals["full"] > totals["untouched"], totals
    assert not (pg_course / "gradebook.db").exists()  # nothing went to a stray SQLite file

    # export reads the PostgreSQL gradebook (db_url from the course's nbgrader_config.py)
    ex_pg = api.export(course_dir=pg_course, out_dir=tmp_path / "export-pg")
    ex_sqlite = api.export(course_dir=sqlite_course, out_dir=tmp_path / "export-sqlite")
    keep = ("student", "score", "max_score", "percent")
    rows_pg = [{k: r[k] for k in keep} for r in _csv(ex_pg.grades_csv)]
    rows_sqlite = [{k: r[k] for k in keep} for r in _csv(ex_sqlite.grades_csv)]
    assert rows_pg == rows_sqlite and len(rows_pg) == len(KINDS)

    # Formgrader (nbgrader's own server extension) reads it too
    with LabServer(tmp_path / "jupyter", pg_course, cwd=pg_course) as server:
        subs = server.api("/formgrader/api/submissions/linear_classifiers")
    scores = {s["student"]: s["score"] for s in subs}
    assert scores.keys() == set(KINDS)
    for s in KINDS:
        assert scores[s] == pytest.approx(totals[s])
