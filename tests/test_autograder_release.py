"""Release with real nbgrader: generate_assignment, the student bundle (folder + zip) and the leak scan."""

from __future__ import annotations

import json
import shutil
import zipfile

import autograder_helpers as h
import pytest

from autograder import api
from autograder.release import scan_bundle, secret_blocks


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("release")
    src = h.write_source(tmp / "src")
    return api.release(course_dir=tmp / "course", source=src), src


def test_release_result_and_gradebook(released):
    rel, _ = released
    assert rel.notebooks == ["tiny_a", "tiny_b"]
    assert rel.max_score == 6.0
    assert rel.assignment == "linear_classifiers"
    assert (rel.course_dir / "nbgrader_config.py").read_text().count("autograder: db_url") == 1
    with api._course.gradebook(f"sqlite:///{rel.course_dir / 'gradebook.db'}") as gb:
        assert gb.find_assignment("linear_classifiers").max_score == 6.0


def test_bundle_contents(released, repo_root):
    rel, _ = released
    names = sorted(p.name for p in rel.bundle_dir.iterdir())
    assert names == ["README.md", "cs231n_lite", "requirements.txt", "tiny_a.ipynb", "tiny_b.ipynb"]
    pkg = rel.bundle_dir / "cs231n_lite"
    assert not (pkg / "reference").exists()
    expected = sorted(p.name for p in (repo_root / "cs231n_lite").glob("*.py"))
    assert sorted(p.name for p in pkg.glob("*.py")) == expected
    req = (rel.bundle_dir / "requirements.txt").read_text()
    assert "numpy" in req and "nbgrader==" in req and "pytest" not in req and "ruff" not in req
    released_nb = json.loads((rel.bundle_dir / "tiny_a.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in released_nb["cells"])
    assert "raise NotImplementedError()" in text
    assert h.SOLUTION_LINES[0] not in text and h.HIDDEN_A not in text


def test_zip_matches_folder(released):
    rel, _ = released
    with zipfile.ZipFile(rel.bundle_zip) as zf:
        zipped = sorted(n.split("/", 1)[1] for n in zf.namelist())
    on_disk = sorted(str(p.relative_to(rel.bundle_dir)) for p in rel.bundle_dir.rglob("*") if p.is_file())
    assert zipped == on_disk


def test_scan_is_clean_then_finds_each_planted_leak(released, repo_root, tmp_path):
    rel, src = released
    ref = repo_root / "cs231n_lite" / "reference"
    assert scan_bundle(rel.bundle_dir, source_dir=src, reference_dir=ref) == []
    plants = {
        "hidden line": ("tiny_b.ipynb", h.HIDDEN_B),
        "solution line": ("tiny_a.ipynb", "    " + h.SOLUTION_LINES[0]),
        "marker": ("README.md", "### BEGIN SOLUTION"),
        "reference file": ("cs231n_lite/helpers.py", (ref / "linear_svm.py").read_text()),
    }
    for what, (rel_path, text) in plants.items():
        bundle = tmp_path / what.replace(" ", "_")
        shutil.copytree(rel.bundle_dir, bundle)
        target = bundle / rel_path
        if target.suffix == ".ipynb":
            nb = json.loads(target.read_text())
            nb["cells"][-1]["source"] = text
            target.write_text(json.dumps(nb))
        else:
            target.write_text(text)
        leaks = scan_bundle(bundle, source_dir=src, reference_dir=ref)
        assert leaks, what
        assert all(rel_path in leak for leak in leaks), leaks


def test_planted_reference_copy_fails_the_release(tmp_path, repo_root):
    fake_repo = h.copy_repo_subset(repo_root, tmp_path / "repo")
    shutil.copy2(
        fake_repo / "cs231n_lite" / "reference" / "softmax.py", fake_repo / "cs231n_lite" / "oops.py"
    )
    src = h.write_source(tmp_path / "src")
    with pytest.raises(api.AutograderError, match="leak scan FAILED") as info:
        api.release(course_dir=tmp_path / "course", source=src, repo=fake_repo)
    assert "cs231n_lite/oops.py" in str(info.value)
    assert "python -m autograder release" in str(info.value)
    assert not (tmp_path / "course" / "student_bundle" / "cs231n_lite_linear_classifiers.zip").exists()


def test_missing_source_names_the_option(tmp_path):
    with pytest.raises(api.AutograderError, match="--source"):
        api.release(course_dir=tmp_path / "c", source=tmp_path)


def test_secret_blocks_splits_markers():
    sec, pub = secret_blocks("x = 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS\ny = 2")
    assert sec == ["assert f(2) == 4"] and pub == ["x = 1", "y = 2"]


@pytest.mark.slow
def test_release_of_the_course_notebooks_is_clean(tmp_path, repo_root):
    rel = api.release(course_dir=tmp_path / "course")
    assert rel.notebooks == sorted(p.stem for p in (repo_root / "notebooks").glob("*.ipynb"))
    assert rel.max_score > 0 and rel.bundle_zip.exists()


def test_db_url_is_stored_in_the_course_config_and_reused(tmp_path):
    from autograder import course as _course

    url = f"sqlite:///{tmp_path / 'elsewhere' / 'grades.sqlite'}"
    (tmp_path / "elsewhere").mkdir()
    cdir = tmp_path / "course"
    api.release(course_dir=cdir, source=h.write_source(tmp_path / "src"), db_url=url)
    assert (tmp_path / "elsewhere" / "grades.sqlite").exists()
    assert not (cdir / "gradebook.db").exists()
    assert _course.resolve_db_url(cdir, None) == url
    assert _course.require_release(cdir, url, h.ASSIGNMENT) == ["tiny_a", "tiny_b"]


def test_bundle_runs_without_the_reference_in_a_clean_environment(released):
    """A student's Python has numpy & co. but not this repository: the bundle's package is used, no reference."""
    import subprocess
    import sys
    import sysconfig

    rel, _ = released
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(rel.bundle_dir)!r}, {sysconfig.get_paths()['purelib']!r}]\n"
        "import numpy as np, cs231n_lite\n"
        "print(cs231n_lite.__file__)\n"
        "try:\n"
        "    import cs231n_lite.reference\n"
        "    print('reference importable')\n"
        "except ImportError:\n"
        "    print('no reference')\n"
        "from cs231n_lite.classifiers import LinearSVM\n"
        "try:\n"
        "    LinearSVM().train(np.zeros((4, 3), np.float32), np.zeros(4, int), num_iters=1)\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    # -S: no site processing, so no .pth / editable finder of a development install leaks the repository in.
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=rel.bundle_dir
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == str(rel.bundle_dir / "cs231n_lite" / "__init__.py")
    assert lines[1] == "no reference"
    assert lines[2].startswith("MissingReferenceError") and "loss_fn=" in lines[2]


def test_the_makefile_pth_line_puts_the_checkout_on_sys_path_but_the_bundle_still_wins(
    released, repo_root, tmp_path
):
    """``make venv`` writes ``<site-packages>/cs231n_lite_checkout.pth`` holding the checkout's path (no editable
    install). Site processing of that line (``site.addsitedir``) makes the repo importable from anywhere, while a
    notebook run from the bundle's folder still imports the bundle's own ``cs231n_lite`` (no reference)."""
    import re
    import subprocess
    import sys

    rel, _ = released
    make = (repo_root / "Makefile").read_text()
    assert "editable_mode" not in make and "pip install -q --no-deps -e" not in make
    assert re.search(r'"cs231n_lite_checkout\.pth"\)\.write_text\("\$\(CURDIR\)\\n"\)', make), (
        "Makefile .pth line"
    )
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "cs231n_lite_checkout.pth").write_text(f"{repo_root}\n")
    code = (
        "import site, sys\n"
        f"site.addsitedir({str(site_dir)!r})\n"
        "import cs231n_lite, importlib.util\n"
        "print(cs231n_lite.__file__)\n"
        "print(importlib.util.find_spec('cs231n_lite.reference') is not None)\n"
    )
    for cwd, pkg, has_ref in (
        (rel.bundle_dir, rel.bundle_dir / "cs231n_lite", "False"),
        (tmp_path, repo_root / "cs231n_lite", "True"),
    ):
        out = subprocess.run(
            [sys.executable, "-S", "-c", code],
            capture_output=True,
            text=True,
            cwd=cwd,
            env={"PATH": "/usr/bin"},
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == [str(pkg / "__init__.py"), has_ref], (cwd, out.stdout)


def _solve(released_nb, source_nb, out):
    """The released notebook with every solution cell replaced by the instructor's (markers dropped)."""
    import nbformat

    rel = nbformat.read(released_nb, as_version=4)
    src = nbformat.read(source_nb, as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in src.cells}
    for c in rel.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            c.source = "\n".join(
                ln for ln in by_id[meta["grade_id"]].source.splitlines() if "SOLUTION" not in ln
            )
    nbformat.write(rel, out)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_student_bundle_validates_in_its_own_fresh_virtualenv(tmp_path):
    """What the student README promises, in a virtualenv made from nothing but the bundle's requirements.txt:
    nbgrader's Validate (lab extension enabled + ``nbgrader validate``) passes a solved notebook and names the
    error of an unsolved one; the bundle's cs231n_lite is the one imported, without the reference."""
    import subprocess
    import sys

    rel = api.release(course_dir=tmp_path / "course")
    bundle = rel.bundle_dir
    venv = tmp_path / "student-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(bundle / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=1000,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "CS231N_LITE_DATASET": "synthetic",
        "CS231N_LITE_DATA_DIR": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
    }

    def run(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True, cwd=bundle, env=env, timeout=300)

    ext = run("jupyter", "labextension", "list")
    assert "@jupyter/nbgrader" in ext.stdout + ext.stderr and "enabled" in ext.stdout + ext.stderr
    imp = run(
        "python",
        "-c",
        "import cs231n_lite, importlib.util as u; print(cs231n_lite.__file__, "
        "u.find_spec('cs231n_lite.reference'), u.find_spec('autograder'))",
    )
    assert imp.stdout.split() == [str(bundle / "cs231n_lite" / "__init__.py"), "None", "None"], imp.stderr
    nb = "01_scores_and_losses.ipynb"
    _solve(bundle / nb, rel.course_dir / "source" / rel.assignment / nb, bundle / nb)
    ok = run("nbgrader", "validate", nb)
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:] + ok.stderr[-2000:]
    bad = run("nbgrader", "validate", "02_svm.ipynb")
    assert "Success!" not in bad.stdout and "NotImplementedError" in bad.stdout, bad.stdout[-2000:]
    readme = (bundle / "README.md").read_text()
    assert (
        "pip install -r requirements.txt" in readme and "nbgrader validate" in readme and "Validate" in readme
    )
