"""autograder.tamper on the real release notebooks: every metadata tampering is found, named and repaired, and
nbgrader's own sanitize step then runs on the repaired notebook without the errors it gives on the raw one."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import samples, tamper

NOTEBOOKS = samples.Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def release_and_full():
    src = nbformat.read(NOTEBOOKS / "01_scores_and_losses.ipynb", as_version=4)
    rel = samples._release(src)
    return rel, samples._full(src, rel)


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _grade_meta(nb):
    return {
        c.metadata["nbgrader"]["grade_id"]: (c.cell_type, c.metadata["nbgrader"].get("points"))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def test_untampered_notebooks_are_ok_and_unchanged(release_and_full):
    rel, full = release_and_full
    for nb in (rel, full):
        report = tamper.inspect(nb, rel, notebook="01")
        assert (report.status, report.message, report.findings) == ("ok", "", [])
        assert report.notebook == nb and report.notebook is not nb


def test_changed_points_are_named_and_restored(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    i = _index(nb, "hinge-loss-hidden")
    nb.cells[i].metadata.nbgrader.points = 100
    report = tamper.inspect(nb, rel, notebook="01_scores_and_losses")
    assert report.status == "tampered"
    assert [(f.kind, f.cell, f.grade_id) for f in report.findings] == [
        ("points_changed", i, "hinge-loss-hidden")
    ]
    assert report.message == (
        f"01_scores_and_losses: cell {i} (hinge-loss-hidden): points changed from 2 to 100 (restored)"
    )
    assert _grade_meta(report.notebook) == _grade_meta(rel)
    assert full.cells[i].metadata.nbgrader.points == 2  # the input is not modified


def test_duplicated_grade_id_keeps_the_first_and_drops_the_copies(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    i = _index(nb, "softmax-hidden")
    forged = copy.deepcopy(nb.cells[i])
    forged.source = "pass  # always passes"
    nb.cells.insert(3, forged)  # an edited copy ABOVE the real one, and one at the end
    nb.cells.append(copy.deepcopy(forged))
    report = tamper.inspect(nb, rel)
    kinds = [(f.kind, f.cell) for f in report.findings]
    assert kinds == [("duplicate_grade_id", 3), ("duplicate_grade_id", len(nb.cells) - 1)]
    assert f"cell {i + 1} kept" in report.message  # the untouched original, at its place after the TODO cell
    assert [c.source for c in report.notebook.cells] == [c.source for c in full.cells]
    assert _grade_meta(report.notebook) == _grade_meta(rel)


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (lambda m: m.update(grade=False), "grade_removed"),
        (lambda m: m.update(solution=True, locked=False), "made_solution"),
        (lambda m: m.update(grade_id="my-own-id"), "unknown_grade_id"),
    ],
)
def test_grade_cell_turned_into_something_else(release_and_full, edit, kind):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    i = _index(nb, "cross-entropy-hidden")
    edit(nb.cells[i].metadata.nbgrader)
    report = tamper.inspect(nb, rel, notebook="01")
    assert report.status == "tampered"
    assert kind in [f.kind for f in report.findings]
    assert all(f.cell == i for f in report.findings if f.kind == kind)
    # whatever was done, the release's grade cells with their points are back
    assert _grade_meta(report.notebook) == _grade_meta(rel)


def test_stripped_metadata_is_recognised_by_the_unchanged_source(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    i = _index(nb, "softmax-visible")
    del nb.cells[i].metadata["nbgrader"]
    report = tamper.inspect(nb, rel)
    assert [(f.kind, f.cell, f.grade_id) for f in report.findings] == [
        ("metadata_removed", i, "softmax-visible")
    ]
    assert report.notebook.cells[i].metadata.nbgrader == rel.cells[i].metadata.nbgrader


def test_deleted_grade_cells_are_put_back_in_release_order(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    gone = ["cross-entropy-visible", "cross-entropy-hidden", "q-car-score"]
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in gone]
    report = tamper.inspect(nb, rel, notebook="01")
    assert sorted(f.grade_id for f in report.findings) == sorted(gone)
    assert {f.kind for f in report.findings} == {"deleted_grade_cell"}
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in report.notebook.cells]
    want = [c.metadata.get("nbgrader", {}).get("grade_id") for c in rel.cells]
    assert [g for g in ids if g] == [g for g in want if g]
    assert "was deleted (put back from the release)" in report.message


def test_kernelspec_and_cell_type_and_locked_source(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    nb.metadata.kernelspec = {"name": "evil", "display_name": "Evil", "language": "python"}
    i = _index(nb, "hinge-loss-visible")
    nb.cells[i].source = "pass"
    j = _index(nb, "q-min-max")
    nb.cells[j] = nbformat.v4.new_code_cell("print('answer')", metadata=nb.cells[j].metadata)
    report = tamper.inspect(nb, rel, notebook="01")
    got = {(f.kind, f.cell) for f in report.findings}
    assert got == {("kernelspec_changed", None), ("source_changed", i), ("cell_type_changed", j)}
    assert report.notebook.metadata.kernelspec == rel.metadata.kernelspec
    assert report.notebook.cells[j].cell_type == "markdown"
    assert "kernelspec 'evil' instead of 'python3'" in report.message


def test_execute_result_above_the_points_is_removed_from_an_executed_notebook(release_and_full):
    rel, full = release_and_full
    nb = copy.deepcopy(full)
    i, k = _index(nb, "hinge-loss-hidden"), _index(nb, "softmax-hidden")
    nb.cells[i].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1000000.0"}, execution_count=1)
    ]
    nb.cells[k].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=2),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong", traceback=[]),
    ]
    report = tamper.check_outputs(nb, rel, notebook="01")
    assert [(f.kind, f.cell) for f in report.findings] == [("output_above_max", i)]
    assert "execute_result 1e+06 above the cell's 2 points" in report.message
    # no execute_result can decide a point: the in-range one before an error is gone too, the error stays
    assert report.notebook.cells[i].outputs == []
    assert [o.output_type for o in report.notebook.cells[k].outputs] == ["error"]


def test_repaired_notebook_passes_nbgrader_sanitize_where_the_raw_one_fails(tmp_path):
    """With the real gradebook: nbgrader's own sanitize on a duplicated grade_id fails with SchemaTooOldError;
    after inspect() it runs and every grade cell is there with its release points."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.nbgraderformat import SchemaTooOldError

    from autograder import api
    from autograder import course as _course
    from autograder.grading import _sanitize

    course = tmp_path / "course"
    rel = api.release(course_dir=course)
    release_nb = nbformat.read(rel.release_dir / "01_scores_and_losses.ipynb", as_version=4)
    src = nbformat.read(course / "source" / rel.assignment / "01_scores_and_losses.ipynb", as_version=4)
    nb = samples._full(src, release_nb)
    i = _index(nb, "hinge-loss-hidden")
    dup = copy.deepcopy(nb.cells[i])
    dup.metadata.nbgrader.points = 50
    nb.cells.append(dup)  # a copy pasted at the end with 50 points
    url = _course.resolve_db_url(course, None)
    _, cfg = _course.coursedir(course, url)
    kw = dict(
        student="s1", assignment=rel.assignment, notebook="01_scores_and_losses", db_url=url, config=cfg
    )
    defaults = Autograde.class_traits()["sanitize_preprocessors"].default()
    resources = {
        "nbgrader": {
            "student": "s1",
            "assignment": rel.assignment,
            "notebook": "01_scores_and_losses",
            "db_url": url,
        },
        "unique_key": "01_scores_and_losses",
    }
    with pytest.raises(SchemaTooOldError):  # nbgrader alone: the misleading error the issue reports
        raw = copy.deepcopy(nb)
        for cls in defaults:
            raw, _ = cls(config=cfg)(raw, dict(resources))
    report = tamper.inspect(nb, release_nb, notebook="01_scores_and_losses")
    fixed = _sanitize(report.notebook, **kw)
    assert [f.kind for f in report.findings] == ["duplicate_grade_id"]
    assert _grade_meta(fixed) == _grade_meta(release_nb)
    # plain `nbgrader autograde`: the course's nbgrader_config.py puts RepairTampering first
    names = cfg.Autograde.sanitize_preprocessors
    assert names[0] == "autograder.tamper.RepairTampering"
    assert "autograder.tamper.StripGradeOutputs" in cfg.Autograde.autograde_preprocessors
    assert _grade_meta(_sanitize(copy.deepcopy(nb), **kw)) == _grade_meta(release_nb)
