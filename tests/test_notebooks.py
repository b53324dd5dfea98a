"""The nbgrader SOURCE notebooks: structure and metadata (fast), and released versions run (slow).

Fast tests read the committed .ipynb files; slow tests strip them with nbgrader's ClearSolutions /
ClearHiddenTests preprocessors (what ``nbgrader generate_assignment`` does to the cells) and execute
them with a real kernel in grading mode on the synthetic data.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NAMES = ["01_scores_and_losses", "02_svm", "03_softmax", "04_optimization", "05_features"]

#: contract: the student TODO functions of each notebook
TODOS = {
    "01_scores_and_losses": ["hinge_loss", "softmax", "cross_entropy_loss"],
    "02_svm": ["svm_loss_naive", "svm_loss_vectorized", "train_sgd"],
    "03_softmax": ["softmax_loss_naive", "softmax_loss_vectorized"],
    "04_optimization": ["numerical_gradient"],
    "05_features": ["color_histogram_hsv"],
}
#: lecture numbers that must be printed by a `# NBVAL_CHECK_OUTPUT` cell (stored outputs)
LECTURE_NUMBERS = {
    "01_scores_and_losses": [
        "[-2. 16.]",
        "2.9, 0.0, 12.9",
        "= 5.27",
        "24.53, 164.02, 0.18",
        "0.13, 0.87, 0.00",
        "= 2.04",
        "log(10) = 2.303",
        "= 4.6052 = -ln(0.01)",
        "hinge loss         = 1.58",
        "-ln(0.353) = 1.04",
        "-log10(0.353) = 0.452",
        "-> prefers w2",
        "mean loss with tiny scores = 9.00",
        "[20.0, 9.0, 9.0]",
    ],
    "02_svm": ["numerical 0.55, analytic 1"],
    # Georgia Tech CS 4644's worked numerical gradient
    "04_optimization": [
        "dW[0] = (1.25322 - 1.25347) / 0.0001 = -2.5\n",
        "dW[1] = (1.25353 - 1.25347) / 0.0001 = 0.6\n",
        "dW[2] = (1.25347 - 1.25347) / 0.0001 = 0\n",
        "gradient dW = [-2.5, 0.6, 0, ...]",
    ],
}
HIDDEN_CALL = re.compile(
    r'^from autograder import checks; checks\.check\("(\w+)", (\w+), cases="(visible|hidden)"\)$'
)
CHECK = "# NBVAL_CHECK_OUTPUT"
ASSIGNMENT = "linear_classifiers"


def load(name: str):
    return nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)


def nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_the_four_notebooks_exist():
    found = sorted(p.stem for p in NB_DIR.glob("*.ipynb"))
    assert found == NAMES


def test_every_notebook_is_built_from_one_source():
    """No hand-made .ipynb and no unbuilt source (files starting with _ are drafts the build skips)."""
    sources = sorted(p.stem for p in (NB_DIR / "src").glob("*.py") if not p.name.startswith("_"))
    assert sources == NAMES


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def test_grade_ids_points_and_schema(name):
    nb = load(name)
    ids = []
    for cell in nb.cells:
        meta = nbg(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta.get("grade_id", "")), meta
        ids.append(meta["grade_id"])
        if meta.get("solution"):
            assert not meta.get("locked"), f"{meta['grade_id']}: solution cells must be editable"
        if meta.get("grade"):
            assert isinstance(meta.get("points"), (int, float)) and meta["points"] > 0, meta["grade_id"]
            assert meta.get("solution") or meta.get("locked"), (
                f"{meta['grade_id']}: test cells must be locked"
            )
    assert len(ids) == len(set(ids)), f"duplicate grade ids in {name}: {ids}"


def test_solution_markers_only_in_solution_cells(name):
    for cell in load(name).cells:
        src = cell.source
        n_begin, n_end = src.count("### BEGIN SOLUTION"), src.count("### END SOLUTION")
        assert n_begin == n_end, cell.source[:80]
        if n_begin:
            assert nbg(cell).get("solution"), f"solution markers outside a solution cell: {src[:80]!r}"
        if nbg(cell).get("solution"):
            assert n_begin >= 1, f"{nbg(cell)['grade_id']}: a solution cell needs ### BEGIN SOLUTION"
        if "### BEGIN HIDDEN TESTS" in src:
            meta = nbg(cell)
            assert meta.get("grade") and meta.get("locked") and not meta.get("solution"), meta


def test_hidden_tests_are_the_one_line_contract_call(name):
    seen = []
    for cell in load(name).cells:
        if "### BEGIN HIDDEN TESTS" not in cell.source:
            continue
        body = cell.source.split("### BEGIN HIDDEN TESTS\n", 1)[1].split("### END HIDDEN TESTS", 1)[0]
        lines = body.strip("\n").split("\n")
        assert len(lines) == 1, f"hidden test body must be one line, got {lines}"
        m = HIDDEN_CALL.match(lines[0])
        assert m and m.group(1) == m.group(2), lines[0]
        seen.append((m.group(1), m.group(3)))
    # every autograded test cell ends with the trusted grade line: the visible one, then the hidden one
    assert seen == [(fn, cases) for fn in TODOS[name] for cases in ("visible", "hidden")]


def test_every_todo_has_solution_visible_and_hidden_cells_in_order(name):
    cells = load(name).cells
    for fn in TODOS[name]:
        defs = [i for i, c in enumerate(cells) if nbg(c).get("solution") and f"def {fn}(" in c.source]
        assert len(defs) == 1, f"{fn}: expected one solution cell defining it, found {defs}"
        i = defs[0]
        visible, hidden = cells[i + 1], cells[i + 2]
        assert (
            nbg(visible).get("grade") and f'checks.check("{fn}", {fn}, cases="visible")' in visible.source
        ), f"{fn}: visible test after TODO"
        assert f"{fn}(" in visible.source and "testing." in visible.source + cells[i + 1].source
        assert f'checks.check("{fn}"' in hidden.source, f"{fn}: hidden test right after the visible test"


def test_manually_graded_answers(name):
    answers = [c for c in load(name).cells if c.cell_type == "markdown" and nbg(c).get("solution")]
    for cell in answers:
        meta = nbg(cell)
        assert meta["grade"] and meta["points"] > 0
        assert cell.source.startswith("### BEGIN SOLUTION\n") and cell.source.endswith("\n### END SOLUTION")
        assert len(cell.source) > 80, f"{meta['grade_id']}: model answer too short"
    assert answers, f"{name} has no written question"


def test_no_reference_import(name):
    for cell in load(name).cells:
        assert "reference" not in re.sub(r"#.*", "", cell.source) or cell.cell_type == "markdown", (
            cell.source[:120]
        )


def test_kernel_and_stored_outputs_from_ci_configuration(name):
    nb = load(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    banner = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert f"[cs231n-lite] {name}: data = synthetic" in banner and "practice sizes" in banner, banner
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (
                f"stored error in {name}: {out.get('ename')} {out.get('evalue')}"
            )


def test_lecture_numbers_printed_by_checked_cells(name):
    text = ""
    for cell in load(name).cells:
        if cell.cell_type == "code" and cell.source.startswith(CHECK):
            outs = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
            assert outs, f"checked cell has no stored output: {cell.source[:80]!r}"
            text += "".join(outs)
    for number in LECTURE_NUMBERS.get(name, []):
        assert number in text, f"{name}: no NBVAL_CHECK_OUTPUT cell prints {number!r}"


@functools.cache
def _builder():
    """notebooks/_build.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("notebooks_build", NB_DIR / "_build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up while the class is created
    spec.loader.exec_module(build)
    return build


def test_built_notebook_matches_its_source(name):
    diffs = _builder().drift(NB_DIR / "src" / f"{name}.py", NB_DIR / f"{name}.ipynb")
    assert not diffs, "run `python notebooks/_build.py`:\n" + "\n".join(diffs)


def test_build_check_command_reports_drift(tmp_path):
    import shutil
    import subprocess

    src, out = tmp_path / "src", tmp_path
    shutil.copytree(NB_DIR / "src", src)
    for n in NAMES:
        shutil.copy(NB_DIR / f"{n}.ipynb", out / f"{n}.ipynb")
    cmd = [sys.executable, str(NB_DIR / "_build.py"), "--check", "--src", str(src)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    text = (src / "03_softmax.py").read_text()
    (src / "03_softmax.py").write_text(text.replace("**Done.** Next:", "**Done!** Next:", 1))
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert bad.returncode == 1
    last = len(load("03_softmax").cells)  # the "Done" cell is the last one (cells count from 1)
    assert f"03_softmax.ipynb cell {last}: source differs from 03_softmax.py" in bad.stderr, bad.stderr
    assert "run `python notebooks/_build.py`" in bad.stderr


def test_svm_paste_cell_of_04_is_the_02_solution():
    """04 asks students to paste their svm_loss_vectorized: the instructor copy is 02's solution, verbatim."""

    def solution(nb_name, grade_id):
        cell = next(c for c in load(nb_name).cells if nbg(c).get("grade_id") == grade_id)
        return cell.source.split("### BEGIN SOLUTION", 1)[1]

    assert solution("04_optimization", "svm-paste") == solution("02_svm", "svm-vectorized")
    assert solution("05_features", "svm-paste") == solution("02_svm", "svm-vectorized")


def test_sources_survive_opening_and_saving_in_jupyterlab(tmp_path):
    """Jupytext pairing (notebooks/jupytext.toml): JupyterLab's contents manager opens a source or its built
    notebook as one notebook, and saving writes the source back byte for byte (markers included)."""
    import shutil

    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    shutil.copytree(NB_DIR / "src", tmp_path / "src")
    shutil.copy(NB_DIR / "jupytext.toml", tmp_path)
    for n in NAMES:
        shutil.copy(NB_DIR / f"{n}.ipynb", tmp_path)
    cm = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(tmp_path))
    for n in NAMES:
        before = (tmp_path / "src" / f"{n}.py").read_text()
        for opened in (f"src/{n}.py", f"{n}.ipynb"):
            model = cm.get(opened)
            assert model["type"] == "notebook" and len(model["content"].cells) == len(load(n).cells)
            cm.save(model, opened)
            assert (tmp_path / "src" / f"{n}.py").read_text() == before, f"saving {opened} rewrote the source"


# ------------------------------------------------------------------------------------ the build's errors
GOOD = """# %% [markdown]
# # A tiny notebook

# %%
import numpy as np

# %% todo id="double"
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% visible id="double-visible" points=1
assert double(2) == 4
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")
### END HIDDEN TESTS

# %% hidden id="double-hidden" points=2
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="hidden")
### END HIDDEN TESTS

# %% answer [markdown] id="q-why" points=1
# ### BEGIN SOLUTION
# Because.
# ### END SOLUTION
"""


def _build_text(tmp_path, text):
    return _builder().build(_write(tmp_path, text))


def test_build_maps_roles_to_nbgrader_metadata(tmp_path):
    nb = _build_text(tmp_path, GOOD)
    got = [(c.cell_type, c.id, nbg(c)) for c in nb.cells]
    flags = [
        (m.get("grade"), m.get("solution"), m.get("locked"), m.get("points")) if m else None
        for _, _, m in got
    ]
    assert [t for t, _, _ in got] == ["markdown", "code", "code", "code", "code", "markdown"]
    assert [i for _, i, _ in got][2:] == ["double", "double-visible", "double-hidden", "q-why"]
    assert all(re.fullmatch(r"c[0-9a-f]{10}", i) for _, i, _ in got[:2])
    # plain cells' ids digest their content: inserting a cell leaves the other ids alone
    again = _build_text(tmp_path, GOOD.replace("# %%\nimport numpy", "# %%\nx = 1\n\n# %%\nimport numpy", 1))
    assert [c.id for c in again.cells if c.id != again.cells[1].id] == [c.id for c in nb.cells]
    assert flags == [
        None,
        None,
        (False, True, False, None),
        (True, False, True, 1),
        (True, False, True, 2),
        (True, True, False, 1),
    ]
    assert nb.cells[5].source == "### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert nb.cells[2].source.startswith("def double(x):\n    ### BEGIN SOLUTION")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'id="double-hidden"',
            'id="double"',
            "cell 5 ('# %% hidden id=\"double\" points=2'): duplicate grade id 'double' (first used by cell 3)",
        ),
        (
            'id="double-visible" points=1',
            'id="double-visible"',
            "cell 4 ('# %% visible id=\"double-visible\"'): a graded visible cell needs points=",
        ),
        (
            'id="q-why" points=1',
            'id="q-why"',
            "cell 6 ('# %% answer [markdown] id=\"q-why\"'): a graded answer cell needs points=",
        ),
        (
            "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            "    return 2 * x",
            "cell 3 ('# %% todo id=\"double\"'): a todo cell needs its solution between",
        ),
        (
            "# ### BEGIN SOLUTION\n# Because.\n# ### END SOLUTION",
            "# Because.",
            "cell 6 ('# %% answer [markdown] id=\"q-why\" points=1'): a answer cell needs its solution",
        ),
        ("    ### END SOLUTION\n", "", "solution markers unbalanced"),
        (
            "# %%\nimport numpy as np",
            "# %%\n### BEGIN SOLUTION\nimport numpy as np\n### END SOLUTION",
            "cell 2 ('# %%'): solution markers in a cell without the todo/answer role",
        ),
        (
            'checks.check("hinge_loss", hinge_loss, cases="hidden")',
            'checks.check("hinge_loss", hinge_loss, cases="hidden")\nprint("more")',
            "cell 5 ('# %% hidden id=\"double-hidden\" points=2'): the hidden block holds exactly one line",
        ),
        (
            'checks.check("hinge_loss", hinge_loss, cases="hidden")',
            'checks.check("double", double, cases="hidden")',
            "'double' is not a check of the trusted judge",
        ),
        (
            'checks.check("hinge_loss", hinge_loss, cases="hidden")',
            'checks.check("hinge_loss", softmax, cases="hidden")',
            "pass the function named 'hinge_loss'",
        ),
        (
            'checks.check("hinge_loss", hinge_loss, cases="hidden")',
            'checks.check("hinge_loss", hinge_loss, cases="visible")',
            'a hidden cell checks cases="hidden", not cases="visible"',
        ),
        (
            "### END HIDDEN TESTS\n\n# %% answer",
            '### END HIDDEN TESTS\nprint("after")\n\n# %% answer',
            "the hidden block must be the end of the cell",
        ),
        (
            '# %% hidden id="double-hidden" points=2\n### BEGIN HIDDEN TESTS\nfrom autograder import checks; checks.check("hinge_loss", hinge_loss, cases="hidden")\n### END HIDDEN TESTS',
            '# %% hidden id="double-hidden" points=2\nassert True',
            "cell 5 ('# %% hidden id=\"double-hidden\" points=2'): a hidden cell ends with exactly one hidden block, found 0",
        ),
        (
            "# %%\nimport numpy as np",
            "# %%\n### BEGIN HIDDEN TESTS\nimport numpy as np\n### END HIDDEN TESTS",
            "hidden-test markers outside a visible/hidden test cell",
        ),
        (
            'assert double(2) == 4\n### BEGIN HIDDEN TESTS\n'
            'from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")\n'
            "### END HIDDEN TESTS",
            "assert double(2) == 4",
            "cell 4 ('# %% visible id=\"double-visible\" points=1'): a visible cell ends with exactly one "
            "hidden block, found 0",
        ),
        (
            'checks.check("hinge_loss", hinge_loss, cases="hidden")',
            'checks.check("hinge_loss", hinge_loss)',
            'the hidden block holds exactly one line `from autograder import checks; checks.check("<fn>", <fn>, '
            'cases="hidden")`',
        ),
        (
            '# %% todo id="double"',
            '# %% solution id="double"',
            "unknown role 'solution'; expected one of todo, visible, hidden, answer",
        ),
        ('# %% todo id="double"', "# %% todo id=double", "option values are JSON"),
        ('# %% todo id="double"', '# %% todo id="double" point=1', "unknown option(s) ['point']"),
        ('# %% todo id="double"', '# %% todo id="double" points=1', "a todo cell is not graded itself"),
        ('# %% answer [markdown] id="q-why"', '# %% answer id="q-why"', "a answer cell is a markdown cell"),
    ],
)
def test_build_rejects_authoring_errors_naming_file_and_cell(tmp_path, old, new, message):
    assert old in GOOD
    build = _builder()
    with pytest.raises(build.SourceError) as err:
        _build_text(tmp_path, GOOD.replace(old, new, 1))
    assert "09_tiny.py:" in str(err.value) and message in str(err.value), str(err.value)


def test_build_command_refuses_a_bad_source_and_writes_nothing(tmp_path):
    import subprocess

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "09_tiny.py").write_text(GOOD.replace('id="double-hidden"', 'id="double"'))
    run = subprocess.run(
        [sys.executable, str(NB_DIR / "_build.py"), "--no-execute", "--src", str(tmp_path / "src")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 2 and "duplicate grade id 'double'" in run.stderr, run.stderr
    assert not list(tmp_path.glob("*.ipynb"))


# ------------------------------------------------------------------------------------ released (slow)
def release(nb):
    """Strip solutions and hidden tests the way nbgrader generate_assignment does."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb, resources = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, resources)
    return nb


BLOCK_REFERENCE = (
    "import sys\n"
    "sys.modules['cs231n_lite.reference'] = None  # the student bundle ships without the reference\n"
)


def execute(nb, env: dict, *, allow_errors: bool = True):
    from nbclient import NotebookClient

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(NB_DIR)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def errors(nb):
    return [
        (i, o)
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


GRADING_ENV = {"CS231N_LITE_DATASET": "synthetic", "NBGRADER_EXECUTION": "validate"}


@pytest.mark.slow
@pytest.mark.parametrize("nb_name", NAMES)
def test_released_notebook_fails_only_at_todos(nb_name, tmp_path):
    nb = release(load(nb_name))
    sources = [c.source for c in nb.cells]
    assert not any("### BEGIN SOLUTION" in s or "### BEGIN HIDDEN TESTS" in s for s in sources)
    nb.cells.insert(0, nbformat.v4.new_code_cell(BLOCK_REFERENCE))
    nb = execute(nb, GRADING_ENV)
    nb.cells.pop(0)
    found = errors(nb)
    for i, out in found:
        cell = nb.cells[i]
        meta = nbg(cell)
        todo_cell = bool(meta.get("solution") or meta.get("grade"))
        if out["ename"] == "NotImplementedError":
            assert todo_cell, (
                f"{nb_name} cell {i}: NotImplementedError outside a TODO/test cell:\n{cell.source[:300]}"
            )
        else:
            assert out["ename"] == "TodoNotFinishedError" and "finish TODO `" in out["evalue"], (
                f"{nb_name} cell {i}: unexpected {out['ename']}: {out['evalue']}\n{cell.source[:300]}"
            )
    # every TODO shows up: its visible test cell fails with NotImplementedError
    # (TodoNotFinishedError when the test needs an earlier TODO too, e.g. vectorized vs naive)
    failing = {i for i, o in found if o["ename"] in ("NotImplementedError", "TodoNotFinishedError")}
    for fn in TODOS[nb_name]:
        i = next(k for k, c in enumerate(nb.cells) if nbg(c).get("solution") and f"def {fn}(" in c.source)
        assert i + 1 in failing, f"{nb_name}: visible test of {fn} should fail until the TODO is done"


def _checks_available() -> bool:
    try:
        return importlib.util.find_spec("autograder.checks") is not None
    except ImportError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("nb_name", NAMES)
def test_source_notebook_runs_clean_in_grading_mode(nb_name):
    if not _checks_available():
        pytest.skip("autograder.checks not written yet")
    nb = execute(load(nb_name), {**GRADING_ENV, "NBGRADER_EXECUTION": "autograde"})
    found = errors(nb)
    assert not found, [(i, o["ename"], o["evalue"][:300]) for i, o in found]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-m", "slow or not slow", "-q"]))


@pytest.mark.slow
def test_without_cifar10_the_notebook_stops_with_fetch_instructions(tmp_path):
    nb = release(load("02_svm"))
    saved = os.environ.pop("CS231N_LITE_DATASET", None)
    try:
        nb = execute(nb, {"CS231N_LITE_DATA_DIR": str(tmp_path)}, allow_errors=True)
    finally:
        if saved is not None:
            os.environ["CS231N_LITE_DATASET"] = saved
    banner = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "CIFAR-10 NOT FOUND" in banner, banner
    i, first = errors(nb)[0]
    assert "S.load_data()" in nb.cells[i].source and first["ename"] == "DataNotFoundError", (
        i,
        first["ename"],
    )
    assert (
        "cs231n_lite.datasets fetch" in first["evalue"] and "CS231N_LITE_DATASET=synthetic" in first["evalue"]
    )


# ------------------------------------------------------------------------------------ authoring (slow)
#: What README "Authoring" tells a course author to add: a TODO, its visible test and its hidden test.
#: (`softmax` is a check the trusted judge already has, so no registration is needed for this TODO.)
AUTHOR_CELLS = '''# %% [markdown]
# ### TODO `softmax` (warm-up)
# `softmax(scores)` for scores of shape (C,) or (N, C): probabilities along the last axis, max-shifted.

# %% todo id="softmax-warmup"
def softmax(scores):
    """Probabilities along the last axis of an array of shape (C,) or (N, C)."""
    ### BEGIN SOLUTION
    e = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
    ### END SOLUTION

# %% visible id="softmax-warmup-visible" points=1
testing.assert_close(softmax(np.array([0.0, 0.0])), [0.5, 0.5], name="softmax([0, 0])")
testing.assert_close(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5], name="softmax([1000, 1000])",
                     hint="Subtract the max before np.exp.")
print("softmax: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax", softmax, cases="visible")
### END HIDDEN TESTS

# %% hidden id="softmax-warmup-hidden" points=2
# Hidden tests: the grader checks `softmax` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax", softmax, cases="hidden")
### END HIDDEN TESTS

'''
AUTHOR_ANCHOR = "# %% [markdown]\n# ## 1. The loss with loops"


@pytest.mark.slow
def test_author_adds_a_todo_releases_and_grades_it(tmp_path):
    """README "Authoring" done once: edit a copy of a source, build, release (leak scan), grade two students."""
    from nbgrader.api import Gradebook

    from autograder import api

    build = _builder()
    src, built = tmp_path / "src", tmp_path / "notebooks"
    src.mkdir()
    text = (NB_DIR / "src" / "03_softmax.py").read_text()
    assert text.count(AUTHOR_ANCHOR) == 1
    (src / "03_softmax.py").write_text(text.replace(AUTHOR_ANCHOR, AUTHOR_CELLS + AUTHOR_ANCHOR))

    assert build.main(["--src", str(src), "--out", str(built)]) == 0
    nb = nbformat.read(built / "03_softmax.ipynb", as_version=4)
    by_id = {nbg(c).get("grade_id"): c for c in nb.cells if nbg(c)}
    assert nbg(by_id["softmax-warmup"])["solution"] and not nbg(by_id["softmax-warmup"])["grade"]
    assert [nbg(by_id[g])["points"] for g in ("softmax-warmup-visible", "softmax-warmup-hidden")] == [1, 2]
    assert "softmax: visible tests passed" in "".join(
        o.get("text", "") for o in by_id["softmax-warmup-visible"].outputs
    )
    assert not errors(nb), errors(nb)

    course = tmp_path / "course"
    released = api.release(course_dir=course, source=built)
    assert released.leaks == [] and released.notebooks == ["03_softmax"]
    student_nb = nbformat.read(released.release_dir / "03_softmax.ipynb", as_version=4)
    stub = next(c for c in student_nb.cells if nbg(c).get("grade_id") == "softmax-warmup")
    assert "raise NotImplementedError" in stub.source and "np.exp" not in stub.source
    assert not any("BEGIN HIDDEN" in c.source for c in student_nb.cells)

    solution = by_id["softmax-warmup"].source
    for student, cell_source in [("ada", solution), ("bob", None)]:
        sub = nbformat.read(released.release_dir / "03_softmax.ipynb", as_version=4)
        if cell_source:
            next(c for c in sub.cells if nbg(c).get("grade_id") == "softmax-warmup").source = cell_source
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(sub, tmp_path / "class" / student / "03_softmax.ipynb")
    api.collect(course_dir=course, source=tmp_path / "class")
    result = api.grade(course_dir=course, workers=1)
    assert {r.student: r.status for r in result.rows} == {"ada": "ok", "bob": "ok"}, result.table()

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cs231n_lite") as gb:

        def score(grade_id, student):
            return float(gb.find_grade(grade_id, "03_softmax", ASSIGNMENT, student).score)

        assert [score(g, "ada") for g in ("softmax-warmup-visible", "softmax-warmup-hidden")] == [1.0, 2.0]
        assert [score(g, "bob") for g in ("softmax-warmup-visible", "softmax-warmup-hidden")] == [0.0, 0.0]
        # ada solved only the new TODO: the notebook's own TODOs still score 0 for her
        assert score("softmax-naive-hidden", "ada") == 0.0
    rows = {r.student: r for r in result.rows}
    assert rows["ada"].score == 3.0 and rows["bob"].score == 0.0, result.table()


def test_intro_says_how_points_are_earned_and_the_cells_agree(name):
    """Issue 8 (4): each notebook's intro says how points are earned; the points it states are the cells' points."""
    import jupytext

    intro = load(name).cells[0].source
    assert "**How points are earned.**" in intro and "1 for\nthe visible test, 2 for the hidden test" in intro
    assert "nothing evaluated in your notebook decides a point" in intro and "1 point each" in intro
    stated = {"visible": 1, "hidden": 2, "answer": 1}
    cells = jupytext.read(NB_DIR / "src" / f"{name}.py").cells
    graded = [(c.metadata["title"], c.metadata["points"]) for c in cells if c.metadata.get("title") in stated]
    assert graded and all(points == stated[role] for role, points in graded), graded


def _readme_block(marker: str) -> str:
    """The fenced python block of README.md that contains `marker` (its code, dedented)."""
    import textwrap

    text = (ROOT / "README.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        if marker in block:
            return textwrap.dedent(block)
    raise AssertionError(f"README.md has no python block with {marker!r}")


def test_readme_authoring_check_registers_and_judges(monkeypatch, tmp_path):
    """README "Authoring" step 3, run as written: the new check judges right and wrong answers in-process,
    and once registered the builder accepts TODO cells that name it (it refused them before)."""
    import numpy as np

    from autograder import checks

    namespace = {"np": np, "Fail": checks.Fail}
    exec(_readme_block("def _check_l1_penalty"), namespace)
    monkeypatch.setattr(checks, "NAMES", (*checks.NAMES, "l1_penalty"))
    monkeypatch.setitem(checks._CHECKS, "l1_penalty", namespace["_check_l1_penalty"])

    def l1_penalty(W):
        return float(np.abs(W).sum())

    def l1_wrong(W):  # forgets the absolute value
        return float(W.sum())

    for cases in ("visible", "hidden"):
        assert checks.check("l1_penalty", l1_penalty, cases=cases) is None
        with pytest.raises(AssertionError, match="l1_penalty returned"):
            checks.check("l1_penalty", l1_wrong, cases=cases)

    src = GOOD.replace('"hinge_loss", hinge_loss', '"l1_penalty", l1_penalty')
    build = _builder()
    with pytest.raises(build.SourceError, match="'l1_penalty' is not a check of the trusted judge"):
        build.build(_write(tmp_path, src), names=tuple(n for n in checks.NAMES if n != "l1_penalty"))
    nb = build.build(_write(tmp_path, src), names=checks.NAMES)
    assert sum('checks.check("l1_penalty", l1_penalty' in c.source for c in nb.cells) == 2


def _write(tmp_path, text):
    path = tmp_path / "src" / "09_tiny.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path
