"""The nbgrader SOURCE notebooks: structure and metadata (fast), and released versions run (slow).

Fast tests read the committed .ipynb files; slow tests strip them with nbgrader's ClearSolutions /
ClearHiddenTests preprocessors (what ``nbgrader generate_assignment`` does to the cells) and execute
them with a real kernel in grading mode on the synthetic data.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NAMES = ["01_scores_and_losses", "02_svm", "03_softmax", "04_optimization"]

#: contract: the student TODO functions of each notebook
TODOS = {
    "01_scores_and_losses": ["hinge_loss", "softmax", "cross_entropy_loss"],
    "02_svm": ["svm_loss_naive", "svm_loss_vectorized", "train_sgd"],
    "03_softmax": ["softmax_loss_naive", "softmax_loss_vectorized"],
    "04_optimization": ["numerical_gradient"],
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
}
HIDDEN_CALL = re.compile(
    r'^from autograder import checks; checks\.check\("(\w+)", (\w+), cases="(visible|hidden)"\)$'
)
CHECK = "# NBVAL_CHECK_OUTPUT"


def load(name: str):
    return nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)


def nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_the_four_notebooks_exist():
    found = sorted(p.stem for p in NB_DIR.glob("*.ipynb"))
    assert found == NAMES


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
    assert f"[cs231n-lite] {name}: data = synthetic" in banner and "medium sizes (CI)" in banner, banner
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


def test_build_script_matches_committed_notebooks(name):
    spec = importlib.util.spec_from_file_location("nb_build", NB_DIR / "_build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    fresh = build.NOTEBOOKS[name]().notebook()
    stored = load(name)
    assert [c.source for c in fresh.cells] == [c.source for c in stored.cells], (
        "notebooks/_build.py and the .ipynb differ: run `.venv/bin/python notebooks/_build.py --execute`"
    )
    assert [c.metadata.get("nbgrader") for c in fresh.cells] == [
        c.metadata.get("nbgrader") for c in stored.cells
    ]


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
