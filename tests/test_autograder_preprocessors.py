"""The batch grader's shortcuts through nbgrader's sanitize step, against nbgrader's own code on the real release.

One module fixture releases the real assignment into a temporary course (real SQLite gradebook) and writes
sample students of :mod:`autograder.samples` (full, untouched, partial, every metadata tampering, edited tests,
deleted cells). The tests check that the cached sanitize of phase 1 (:class:`autograder.grading.Sanitizer` with
:class:`autograder.preprocessors.InstructorCells`) gives exactly the notebook nbgrader's own preprocessors give
with a gradebook session each, and that :class:`autograder.preprocessors.ReplaySanitized` hands nbgrader that
notebook only while the submitted file is the one phase 1 read.
"""

from __future__ import annotations

import json
import logging

import nbformat
import pytest

from autograder import course as _course
from autograder import grading, samples, tamper
from autograder.preprocessors import (
    SANITIZED_SUFFIX,
    InstructorCells,
    ReplaySanitized,
    sanitized_record,
)

A = "linear_classifiers"
KINDS = [
    "full",
    "untouched",
    "partial",
    "edited_tests",
    "deleted_cells",
    *[k for k in samples.kind_names() if k.startswith("tamper_")],
]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder import api

    tmp = tmp_path_factory.mktemp("sanitize")
    cdir = tmp / "course"
    api.release(course_dir=cdir)
    samples.make_sample_class(
        source_dir=cdir / "source" / A, out_dir=cdir, kinds=KINDS, course_dir=cdir, companions="full"
    )
    url = _course.resolve_db_url(cdir, None)
    _, cfg = _course.coursedir(cdir, url)
    with _course.gradebook(url) as gb:
        notebooks = sorted(nb.name for nb in gb.find_assignment(A).notebooks)
    return {"dir": cdir, "url": url, "cfg": cfg, "notebooks": notebooks}


def _submitted(course, student, name):
    return course["dir"] / "submitted" / student / A / f"{name}.ipynb"


def test_instructor_cells_answer_what_the_gradebook_answers(course):
    from nbgrader.api import Gradebook, MissingEntry

    cells = InstructorCells(course["url"], _course.COURSE_ID)
    with Gradebook(course["url"], _course.COURSE_ID) as gb:
        n_source = 0
        for name in course["notebooks"]:
            nb = gb.find_notebook(name, A)
            assert cells.notebook(name, A).kernelspec == nb.kernelspec
            for c in nb.source_cells:
                got = cells.find_source_cell(c.name, name, A)
                assert (got.cell_type, got.locked, got.source, got.checksum) == (
                    c.cell_type,
                    c.locked,
                    c.source,
                    c.checksum,
                )
                n_source += 1
            for c in [*nb.grade_cells, *nb.task_cells]:
                want = gb.find_graded_cell(c.name, name, A).max_score
                assert cells.find_graded_cell(c.name, name, A).max_score == want
    assert n_source > 20
    with pytest.raises(MissingEntry, match="No such source cell"):
        cells.find_source_cell("no-such-cell", course["notebooks"][0], A)
    with pytest.raises(MissingEntry, match="No such grade cell"):
        cells.find_graded_cell("no-such-cell", course["notebooks"][0], A)
    with pytest.raises(MissingEntry):
        cells.notebook("no_such_notebook", A)
    assert cells.loaded() == sorted((n, A) for n in course["notebooks"])  # one read per notebook


def test_cached_sanitize_gives_nbgraders_notebook_for_every_sample(course):
    """What reaches the sandbox: inspect + the cached Sanitizer (RepairTampering skipped) == inspect + nbgrader's
    own preprocessors with RepairTampering and a gradebook session each (the code before the cache)."""
    cells = InstructorCells(course["url"], _course.COURSE_ID)
    sanitize = grading.Sanitizer(
        config=course["cfg"], db_url=course["url"], assignment=A, cells=cells, skip=(tamper.RepairTampering,)
    )
    assert tamper.RepairTampering not in sanitize.classes and len(sanitize.classes) == 5
    compared = tampered = 0
    for student in KINDS:
        for name in course["notebooks"]:
            path = _submitted(course, student, name)
            if not path.exists():
                continue
            nb = nbformat.read(str(path), as_version=4)
            report = tamper.inspect(nb, tamper.release_notebook(course["cfg"], A, name), notebook=name)
            tampered += bool(report.findings)
            want = grading._sanitize(
                report.notebook,
                student=student,
                assignment=A,
                notebook=name,
                db_url=course["url"],
                config=course["cfg"],
            )
            got = sanitize(report.notebook, student=student, notebook=name)
            assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True), (student, name)
            compared += 1
    assert compared >= 5 * len(KINDS) - 3 and tampered >= 10
    assert len(cells.loaded()) == len(course["notebooks"])


def _replay(course, tmp_path, student, name, caplog):
    cfg = course["cfg"]
    resources = {
        "nbgrader": {"student": student, "assignment": A, "notebook": name, "db_url": course["url"]},
        "unique_key": name,
    }
    raw = nbformat.read(str(_submitted(course, student, name)), as_version=4)
    pp = ReplaySanitized(config=cfg, executed_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING):
        out, _ = pp(raw, resources)
    return out


def test_replay_sanitized_uses_the_record_only_for_the_same_file(course, tmp_path, caplog):
    student, name = "tamper_points", course["notebooks"][2]  # 03_softmax: a cell worth 100 points
    path = _submitted(course, student, name)
    raw = path.read_bytes()
    marker = nbformat.from_dict(json.loads(raw))
    marker.metadata["phase1"] = "recorded"  # tells the record from a fresh sanitize
    base = tmp_path / student
    base.mkdir()
    (base / f"{name}{SANITIZED_SUFFIX}").write_text(sanitized_record(marker, raw))
    assert _replay(course, tmp_path, student, name, caplog).metadata["phase1"] == "recorded"

    # the file changed since phase 1: nbgrader's sanitize preprocessors run now (RepairTampering first)
    path.write_bytes(raw + b"\n")
    try:
        fresh = _replay(course, tmp_path, student, name, caplog)
    finally:
        path.write_bytes(raw)
    assert "phase1" not in fresh.metadata
    assert "changed since the sandboxed run" in caplog.text
    nb = nbformat.read(str(path), as_version=4)
    report = tamper.inspect(nb, tamper.release_notebook(course["cfg"], A, name), notebook=name)
    assert report.findings  # points were tampered with: the fresh sanitize repaired them
    want = grading._sanitize(
        report.notebook, student=student, assignment=A, notebook=name, db_url=course["url"], config=course["cfg"]
    )
    assert json.dumps(fresh, sort_keys=True) == json.dumps(want, sort_keys=True)

    # no record at all: the same fresh sanitize
    (base / f"{name}{SANITIZED_SUFFIX}").unlink()
    assert json.dumps(_replay(course, tmp_path, student, name, caplog), sort_keys=True) == json.dumps(
        want, sort_keys=True
    )


def test_a_schema_error_stops_the_sanitize_pass_where_nbgrader_stops(course, tmp_path, caplog):
    """An output without its text in the submitted file: nbconvert's validation after RepairTampering raises
    (ClearOutput would have removed it later); phase 1 records the error and ReplaySanitized raises it too."""
    student, name = "full", course["notebooks"][0]
    nb = nbformat.read(str(_submitted(course, student, name)), as_version=4)
    assert grading.schema_error(nb) == ""
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout"})]
    before = json.dumps(nb, sort_keys=True)
    error = grading.schema_error(nb)
    assert error and json.dumps(nb, sort_keys=True) == before  # named, notebook untouched
    path = _submitted(course, student, name)
    raw = path.read_bytes()
    try:
        path.write_text(json.dumps(nb))  # nbformat.writes refuses it
        (tmp_path / student).mkdir()
        record = sanitized_record(nb, path.read_bytes(), error)
        (tmp_path / student / f"{name}{SANITIZED_SUFFIX}").write_text(record)
        with pytest.raises(nbformat.ValidationError):
            _replay(course, tmp_path, student, name, caplog)
    finally:
        path.write_bytes(raw)
    assert "Notebook is invalid after preprocessor" in caplog.text and "RepairTampering" in caplog.text


def test_cached_metadata_check_still_refuses_what_nbgrader_refuses(course, monkeypatch):
    """Metadata seen valid once is not re-checked; anything else goes through nbgrader's validator and fails
    with nbgrader's error (a grade cell without points, an empty grade_id), even for an id seen before."""
    from nbgrader.nbgraderformat import ValidationError
    from nbgrader.preprocessors import CheckCellMetadata

    from autograder.preprocessors import CachedCheckCellMetadata

    cells = InstructorCells(course["url"], _course.COURSE_ID)
    check = CachedCheckCellMetadata(config=course["cfg"], cells=cells)
    name = course["notebooks"][0]
    nb = nbformat.read(str(_submitted(course, "full", name)), as_version=4)
    check(nb, {})
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(cells.valid_metadata) >= len(graded) > 3
    calls = []
    real = CheckCellMetadata.preprocess

    def spy(self, notebook, resources):
        calls.append(len(notebook.cells))
        return real(self, notebook, resources)

    monkeypatch.setattr(CheckCellMetadata, "preprocess", spy)
    check(nb, {})  # every cell with nbgrader metadata is known now
    assert calls[-1] == sum("nbgrader" not in c.metadata for c in nb.cells)
    for edit in ({"points": None}, {"grade_id": ""}):
        bad = nbformat.from_dict(json.loads(json.dumps(nb)))
        target = next(c for c in bad.cells if c.metadata.get("nbgrader", {}).get("grade"))
        for k, v in edit.items():
            if v is None:
                del target.metadata.nbgrader[k]
            else:
                target.metadata.nbgrader[k] = v
        with pytest.raises(ValidationError):
            check(bad, {})
        with pytest.raises(ValidationError):  # nbgrader's own says the same
            CheckCellMetadata(config=course["cfg"])(bad, {})
