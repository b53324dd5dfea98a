"""The CLI shim: verbs, exit codes, and errors that name the next command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograder.__main__ import build_parser


def run_cli(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_parser_knows_every_verb_and_option():
    p = build_parser()
    a = p.parse_args(
        ["grade", "--workers", "3", "--student", "ada", "--student", "bob", "--db-url", "sqlite://"]
    )
    assert (a.verb, a.workers, a.students, a.db_url) == ("grade", 3, ["ada", "bob"], "sqlite://")
    assert p.parse_args(["demo", "--workdir", "w"]).workdir == "w"
    assert p.parse_args(["collect", "--source", "s.zip"]).source == "s.zip"
    with pytest.raises(SystemExit):
        p.parse_args(["collect"])  # --source is required


def test_grade_without_a_release_exits_2_and_names_release(tmp_path, repo_root):
    r = run_cli("grade", "--course-dir", str(tmp_path / "empty"), cwd=repo_root)
    assert r.returncode == 2
    assert "no release found in" in r.stderr
    assert "did you run `python -m autograder release" in r.stderr


def test_feedback_and_export_without_a_release_exit_2(tmp_path, repo_root):
    for verb in ("feedback", "export"):
        r = run_cli(verb, "--course-dir", str(tmp_path), cwd=repo_root)
        assert r.returncode == 2 and "python -m autograder release" in r.stderr, r.stderr


def test_grade_without_bwrap_exits_3_and_says_how_to_fix(tmp_path, repo_root):
    r = run_cli(
        "grade", "--course-dir", str(tmp_path), env={"AUTOGRADER_BWRAP": "/nonexistent/bwrap"}, cwd=repo_root
    )
    assert r.returncode == 3
    assert "apt-get install bubblewrap" in r.stderr and "--allow-unsandboxed" in r.stderr


def test_no_test_hard_codes_a_path_of_one_machine(repo_root):
    """Tests reach outside the checkout only through documented environment variables (README, "Running a real
    course" > Environment variables), never through a machine's own folders."""
    import re

    banned = re.compile(r"""["'](/work/|/home/\w|/Users/|(\.\./)+shared)""")
    offenders = []
    for path in sorted((repo_root / "tests").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if banned.search(line) and "noqa: machine-path" not in line:
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []
    readme = (repo_root / "README.md").read_text()
    for var in ("CS231N_LITE_DATA_DIR", "CS231N_LITE_CHROMIUM", "AUTOGRADER_BWRAP"):
        assert var in readme, f"{var} is read by the tests but not documented in README.md"


def test_every_verb_has_help_and_the_readme_walks_through_each(repo_root):
    p = build_parser()
    verbs = next(a for a in p._actions if a.dest == "verb").choices
    assert list(verbs) == ["release", "roster", "collect", "grade", "late-policy", "feedback", "export", "demo"]
    readme = (repo_root / "README.md").read_text()
    course = readme[readme.index("## Running a real course") :]
    for verb in verbs:
        text = verbs[verb].format_help()
        assert "--assignment" in text
        if verb != "demo":
            assert f"ag {verb}" in course, f"README 'Running a real course' does not show `ag {verb}`"
    assert "canvas" in verbs["collect"].format_help() and "moodle" in verbs["collect"].format_help()
    assert "--format" in verbs["export"].format_help()
    a = p.parse_args(["late-policy", "--per-day", "10", "--cap", "50", "--zero-after-days", "7"])
    assert (a.per_day, a.cap, a.zero_after_days) == (10.0, 50.0, 7.0)
    assert p.parse_args(["roster", "s.csv"]).csv == "s.csv"
    assert p.parse_args(["export", "--format", "canvas"]).format == "canvas"
    with pytest.raises(SystemExit):
        p.parse_args(["export", "--format", "xlsx"])


def test_roster_and_late_policy_from_the_command_line(tmp_path, repo_root):
    import autograder_helpers as h
    import lms_helpers as lms

    from autograder import api

    course = tmp_path / "course"
    api.release(course_dir=course, source=h.write_source(tmp_path / "src"))
    (tmp_path / "r.csv").write_text(lms.ROSTER_CSV)
    r = run_cli("roster", "--course-dir", str(course), str(tmp_path / "r.csv"), cwd=repo_root)
    assert r.returncode == 0 and "5 added" in r.stdout, r.stderr
    r = run_cli("roster", "--course-dir", str(course), str(tmp_path / "nope.csv"), cwd=repo_root)
    assert r.returncode == 2 and "python -m autograder roster" in r.stderr
    r = run_cli("late-policy", "--course-dir", str(course), "--per-day", "10", "--cap", "30", cwd=repo_root)
    assert r.returncode == 0 and "10 % per started day late, at most 30 %" in r.stdout, r.stderr


VALIDATION_PROBE = """
import json, sys
if sys.argv[1] == "grader":
    import autograder.__main__ as cli
    cli.build_parser()
    from autograder import api, cluster, grading, preprocessors  # everything `grade` imports
import jsonschema, nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

good = new_notebook(cells=[new_markdown_cell("# t", id="md-1"), new_code_cell("x = 1", id="code-1")])
cases = {"good": good}
bad = json.loads(json.dumps(good)); bad["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout"}]
cases["stream_without_text"] = bad
bad = json.loads(json.dumps(good)); bad["cells"][0]["cell_type"] = "kode"
cases["unknown_cell_type"] = bad
bad = json.loads(json.dumps(good)); bad["metadata"]["kernelspec"] = {"name": 3}
cases["kernelspec_not_a_string"] = bad
bad = json.loads(json.dumps(good)); bad["cells"][1]["execution_count"] = "one"
cases["execution_count_text"] = bad
out = {}
for name, nb in cases.items():
    for relax in (False, True):
        try:
            nbformat.validate(nbformat.from_dict(json.loads(json.dumps(nb))), relax_add_props=relax)
            out[f"{name}/{relax}"] = "valid"
        except nbformat.ValidationError as exc:
            out[f"{name}/{relax}"] = str(exc).splitlines()[0]
print(json.dumps({"rfc3987_syntax": sys.modules.get("rfc3987_syntax", "absent") is not None
                  and "rfc3987_syntax" in sys.modules, "results": out}))
"""


def test_the_grader_never_imports_rfc3987_syntax_and_nbformat_validates_the_same(repo_root):
    """autograder/__init__ marks rfc3987_syntax absent (jsonschema builds a Lark grammar when importing it, ~2
    CPU-s): a process importing everything `grade` imports never loads it, and nbformat gives the same verdict
    and message on valid and invalid notebooks as a plain process that does load it."""
    import json

    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    runs = {}
    for who in ("grader", "plain"):
        proc = subprocess.run(
            [sys.executable, "-c", VALIDATION_PROBE, who], capture_output=True, text=True, env=env, timeout=120
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[who] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert runs["grader"]["rfc3987_syntax"] is False
    assert runs["plain"]["rfc3987_syntax"] is True  # jsonschema imports it when nothing blocks it
    assert runs["grader"]["results"] == runs["plain"]["results"]
    verdicts = runs["plain"]["results"]
    assert verdicts["good/False"] == verdicts["good/True"] == "valid"
    assert sum(v != "valid" for v in verdicts.values()) == 8  # every broken notebook is still refused


def test_help_imports_nothing_heavy_and_collect_keeps_its_layouts(repo_root):
    """`python -m autograder --help` (and building the parser) imports neither nbgrader nor Dask: each verb imports
    what it needs when it runs. The collect help still lists every layout collect detects."""
    from autograder.collect import LAYOUTS

    probe = (
        "import sys\nfrom autograder.__main__ import build_parser\nbuild_parser()\n"
        "print(sorted(m for m in ('nbgrader', 'distributed', 'nbformat', 'sqlalchemy') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    text = run_cli("collect", "--help", env=env).stdout
    assert all(name in text for name in LAYOUTS) and len(LAYOUTS) == 5
