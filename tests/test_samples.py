"""Fast tests of autograder.samples: every kind gives a valid notebook holding its injection, with the
expected outcome derived correctly (no kernel is started; tests/test_hostile.py grades them for real)."""

from __future__ import annotations

import string
import textwrap

import nbformat
import numpy as np
import pytest

from autograder import samples

REPO_NOTEBOOKS = samples.Path(__file__).resolve().parents[1] / "notebooks"
ASSIGNMENT = samples.ASSIGNMENT


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("class")
    students = samples.make_sample_class(
        source_dir=REPO_NOTEBOOKS, out_dir=out, host_port=23456, canary_dir=out / "canary", repo_root="/repo"
    )
    return out, {s.student_id: s for s in students}


def _read(out, student, name):
    return nbformat.read(out / "submitted" / student / ASSIGNMENT / name, as_version=4)


def _sources():
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(REPO_NOTEBOOKS.glob("[0-9]*.ipynb"))}


def _fingerprint(code: str) -> str:
    """The longest line of an injection after templating: it must appear verbatim in the notebook."""
    ctx = {
        "host_port": 23456,
        "canary_dir": "CANARY",
        "course_dir": "CANARY",
        "repo_root": "/repo",
        "student_id": "X",
        "marker": samples.MARKER,
        "assignment": ASSIGNMENT,
    }
    text = string.Template(textwrap.dedent(code)).safe_substitute(ctx)
    return max((ln.strip() for ln in text.splitlines() if "CANARY" not in ln and "X" not in ln), key=len)


def test_table_has_every_required_kind():
    names = samples.kind_names()
    assert len(names) == len(set(names))
    assert len(samples.HOSTILE_KINDS) >= 20
    assert names[:3] == ["full", "untouched", "partial"]
    assert set(samples.demo_kinds) <= set(names)
    assert {"full", "partial", "untouched"} <= set(samples.demo_kinds)
    assert 3 <= len(set(samples.demo_kinds) & set(samples.HOSTILE_KINDS)) <= 5


def test_every_kind_writes_valid_notebooks_with_its_injection(made):
    out, students = made
    assert set(students) == set(samples.kind_names())
    for kind in samples.KINDS:
        student = students[kind.name]
        assert student.files, kind.name
        text = {}
        for path in student.files:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
            assert path.parent == out / "submitted" / kind.name / ASSIGNMENT
            text[path.name[:2]] = "\n".join(c.source for c in nb.cells)
            if not (kind.op and kind.op[0] == "add_output"):
                assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path
            assert "BEGIN HIDDEN TESTS" not in text[path.name[:2]], path
        for inj in kind.injections:
            assert _fingerprint(inj.code) in text[inj.notebook], (kind.name, inj.notebook)


def test_full_keeps_solutions_and_metadata_untouched_is_the_release(made):
    out, _ = made
    for name, src in _sources().items():
        full = _read(out, "full", name)
        untouched = _read(out, "untouched", name)
        assert len(full.cells) == len(untouched.cells) == len(src.cells)
        n_solution = 0
        for s, f, u in zip(src.cells, full.cells, untouched.cells, strict=True):
            meta = s.metadata.get("nbgrader")
            if meta is None:
                assert f.source == u.source == s.source
                continue
            for key in ("grade", "solution", "grade_id", "points", "schema_version"):
                assert f.metadata.nbgrader.get(key) == u.metadata.nbgrader.get(key) == meta.get(key)
            assert f.metadata.nbgrader["checksum"] == u.metadata.nbgrader["checksum"]
            if meta.get("solution") and s.cell_type == "code":
                n_solution += 1
                assert "raise NotImplementedError()" in u.source
                assert "### BEGIN SOLUTION" not in f.source and "NotImplementedError" not in f.source
                body = [ln for ln in s.source.splitlines() if "SOLUTION" not in ln]
                assert f.source.splitlines() == body
            if meta.get("grade") and not meta.get("solution"):
                assert meta["locked"] and f.metadata.nbgrader["locked"]
        assert n_solution >= 1, name


def test_hostile_kinds_keep_metadata_except_edited_and_deleted(made):
    out, _ = made
    for kind in samples.KINDS:
        if kind.op and kind.op[0] in ("blank_tests", "drop_tests", "rename", "delete", *samples.METADATA_OPS):
            continue
        for name in _sources():
            full = {
                c.metadata.nbgrader["grade_id"]: c.metadata
                for c in _read(out, "full", name).cells
                if "nbgrader" in c.metadata
            }
            got = {
                c.metadata.nbgrader["grade_id"]: c.metadata
                for c in _read(out, kind.name, name).cells
                if "nbgrader" in c.metadata
            }
            assert got == full, (kind.name, name)


def test_file_operations(made):
    out, students = made
    folder = out / "submitted"
    assert (folder / "renamed_notebook" / ASSIGNMENT / "02_svm-Copy1.ipynb").exists()
    assert not (folder / "renamed_notebook" / ASSIGNMENT / "02_svm.ipynb").exists()
    assert not (folder / "missing_notebook" / ASSIGNMENT / "04_optimization.ipynb").exists()
    assert len(students["missing_notebook"].files) == 4  # 5 notebooks, 04 missing
    edited = _read(out, "edited_tests", "02_svm.ipynb")
    blank = [c for c in edited.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert len(blank) == 6 and all(c.source == "pass" and c.metadata.nbgrader.points == 100 for c in blank)
    deleted = _read(out, "deleted_cells", "03_softmax.ipynb")
    ids = {c.metadata.nbgrader.grade_id for c in deleted.cells if "nbgrader" in c.metadata}
    assert "softmax-vectorized-visible" not in ids and "softmax-vectorized-hidden" not in ids
    assert {"softmax-naive-visible", "softmax-naive-hidden", "softmax-vectorized"} <= ids
    flood = _read(out, "output_flood", "03_softmax.ipynb")
    assert sum(c.source == "print('z' * 199_000)" for c in flood.cells) == 26


def test_expectations_honest_students(made):
    _, students = made
    full, untouched, partial = students["full"], students["untouched"], students["partial"]
    assert {e.rule for e in full.expected.values()} == {"full"}
    assert {e.rule for e in untouched.expected.values()} == {"zero"}
    # written answers included (03: +2 playground questions; 05: 1 + 2 + 2 answers)
    assert [e.max_score for e in full.expected.values()] == [18, 10, 10, 4, 5]
    for exp in full.expected.values():
        assert (
            exp.score == sum(exp.points.values())
            and set(exp.cells.values()) == {"pass"}
            and exp.status == "ok"
        )
    p = partial.expected
    assert (
        p["01_scores_and_losses"].score == 6
        and p["01_scores_and_losses"].cells["hinge-loss-hidden"] == "fail"
    )
    assert p["02_svm"].cells["svm-vectorized-visible"] == "fail" and p["02_svm"].score == 6
    assert p["03_softmax"].score == 3 and p["04_optimization"].score == 0
    assert "missing regularization term" in partial.description


@pytest.mark.parametrize(
    ("kind", "notebook", "score", "status", "failing"),
    [
        ("sys_exit", "01_scores_and_losses", 6, "ok", {"hinge-loss-visible", "hinge-loss-hidden"}),
        ("infinite_loop", "01_scores_and_losses", 6, "timeout", {"softmax-visible", "softmax-hidden"}),
        ("os_exit", "02_svm", 6, "kernel_died", {"train-sgd-visible", "train-sgd-hidden"}),
        ("segfault", "02_svm", 0, "kernel_died", None),
        ("kill_kernel", "04_optimization", 0, "kernel_died", None),
        ("sleep_forever", "04_optimization", 0, "timeout", None),
        (
            "memory_bomb",  # the judge calls softmax_loss_vectorized itself: no need for the missing naive twin
            "03_softmax",
            3,
            "memory",
            {"softmax-naive-visible", "softmax-naive-hidden"},
        ),
        (
            "call_reference",
            "02_svm",
            6,
            "ok",
            {"svm-naive-visible", "svm-naive-hidden"},
        ),
        ("renamed_notebook", "02_svm", 9, "ok", set()),  # `collect` maps the copy name back
        ("missing_notebook", "04_optimization", 0, "missing_notebook", None),
        (
            "deleted_cells",
            "03_softmax",
            3,
            "tampered",
            {"softmax-vectorized-visible", "softmax-vectorized-hidden"},
        ),
        ("stderr_in_function", "01_scores_and_losses", 9, "ok", set()),  # stderr decides nothing
        ("big_output", "03_softmax", 6, "output_limit", set()),
        ("fork_bomb", "01_scores_and_losses", 9, "ok", set()),
    ],
)
def test_expectations_of_hostile_kinds(made, kind, notebook, score, status, failing):
    _, students = made
    student = students[kind]
    exp = student.expected[notebook]
    assert (exp.score, exp.status) == (score, status)
    if failing is None:  # everything fails
        failing = set(exp.cells)
    assert {g for g, v in exp.cells.items() if v == "fail"} == failing
    for other, e in student.expected.items():  # every other notebook is untouched by the attack
        if other != notebook:
            assert (e.rule, e.status) == ("full", "ok"), (kind, other)


def test_cheating_kinds_leave_visible_cells_open_and_hidden_cells_failing(made):
    _, students = made
    eq = students["eq_trick"].expected["01_scores_and_losses"]
    assert eq.score_range == (3, 5) and eq.score is None
    assert eq.cells["hinge-loss-visible"] == "any" and eq.cells["hinge-loss-hidden"] == "fail"
    mp = students["monkeypatch_numpy"].expected["02_svm"]
    assert mp.score_range == (6, 7) and mp.cells["svm-vectorized-hidden"] == "fail"


def test_partial_bugs_are_really_wrong():
    from cs231n_lite import reference

    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3)) * 0.1
    X = rng.standard_normal((7, 5))
    y = rng.integers(0, 3, size=7)
    scores = rng.standard_normal(4)
    for bugs in samples.BUGS.values():
        for fn, what, code in bugs:
            ns = {"np": np}
            exec(textwrap.dedent(code), ns)  # noqa: S102 - our own table
            got = ns[fn]
            if fn in ("hinge_loss", "cross_entropy_loss"):
                ref = getattr(reference, fn)
                assert abs(got(scores, 1) - ref(scores, 1)) > 1e-3, what
            elif fn == "numerical_gradient":
                x = rng.standard_normal(4)
                g = got(lambda v: float(np.sum(v**2)), x.copy())
                assert np.abs(g - 2 * x).max() > 0.5, what
            else:
                ref_loss, ref_dW = getattr(reference, fn)(W, X, y, 0.1)
                loss, dW = got(W, X, y, 0.1)
                assert abs(loss - ref_loss) > 1e-6 or np.abs(dW - ref_dW).max() > 1e-6, what


def test_inject_places_code_where_asked():
    src = 'def f(x):\n    """Doc."""\n    return x\n\ny = 1'
    assert (
        samples._inject(src, "f", "before_def", "A") == 'A\ndef f(x):\n    """Doc."""\n    return x\n\ny = 1'
    )
    assert samples._inject(src, "f", "after_def", "B").splitlines()[3] == "B"
    assert samples._inject(src, "f", "body", "C\nD").splitlines()[2:4] == ["    C", "    D"]
    assert samples._inject(src, "f", "replace_def", "def f(x):\n    return 0") == (
        "def f(x):\n    return 0\n\ny = 1"
    )
    with pytest.raises(ValueError, match="where must be"):
        samples._inject(src, "f", "sideways", "E")


def test_bad_arguments_say_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match="unknown sample kinds"):
        samples.make_sample_class(source_dir=REPO_NOTEBOOKS, out_dir=tmp_path, kinds=["full", "nope"])
    with pytest.raises(FileNotFoundError, match="source notebooks"):
        samples.make_sample_class(source_dir=tmp_path, out_dir=tmp_path)


def _by_id(nb):
    out = {}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            out.setdefault(gid, []).append(c)
    return out


def test_metadata_tampering_kinds_change_exactly_what_they_say(made):
    out, students = made
    dup = _by_id(_read(out, "tamper_duplicate_id", "01_scores_and_losses.ipynb"))["hinge-loss-hidden"]
    assert [c.source for c in dup][1:] == ["pass"] and dup[1].metadata.nbgrader.points == 100
    pts = _by_id(_read(out, "tamper_points", "03_softmax.ipynb"))["softmax-naive-hidden"][0]
    assert pts.metadata.nbgrader.points == 100
    sol = _by_id(_read(out, "tamper_to_solution", "02_svm.ipynb"))["svm-vectorized-hidden"][0]
    assert (sol.metadata.nbgrader.solution, sol.metadata.nbgrader.locked, sol.source) == (True, False, "pass")
    gone = _by_id(_read(out, "tamper_grade_removed", "04_optimization.ipynb"))["numerical-gradient-hidden"][0]
    assert gone.metadata.nbgrader.grade is False
    assert "softmax-visible" not in _by_id(
        _read(out, "tamper_metadata_stripped", "01_scores_and_losses.ipynb")
    )
    res = _by_id(_read(out, "tamper_output_above_max", "03_softmax.ipynb"))["softmax-vectorized-hidden"][0]
    assert [(o.output_type, o.data["text/plain"]) for o in res.outputs] == [("execute_result", "1000000")]
    ks = _read(out, "tamper_kernelspec", "04_optimization.ipynb").metadata.kernelspec
    assert ks["name"] == "evil-kernel"
    bonus = _by_id(_read(out, "tamper_new_grade_cell", "02_svm.ipynb"))["bonus"][0]
    assert bonus.metadata.nbgrader.points == 100 and bonus.source == "pass"
    # the grader restores the release, so the fair score is the full one and only the status says "tampered"
    for kind in ("tamper_points", "tamper_grade_removed", "tamper_kernelspec", "tamper_deleted_restored"):
        prefix = next(k.op[1] for k in samples.KINDS if k.name == kind)
        exp = next(e for n, e in students[kind].expected.items() if n.startswith(prefix))
        assert (exp.rule, exp.status) == ("full", "tampered"), kind


def test_red_team_covers_every_family_of_the_issue():
    from autograder import attacks

    names = {k.name for k in attacks.KINDS}
    assert len(names) >= 25 and names <= set(samples.HOSTILE_KINDS)
    families = [
        "hook_",
        "input_transformer_",
        "ast_",
        "showtraceback",
        "displayhook_",
        "clear_output",
        "hook_removal",
        "silence_",
        "hidden_sleep",
        "checks_",
        "ref_from_thread",
        "ref_code_object",
        "ref_frame_walk",
        "ref_case_tables",
        "print_reference",
        "fork_memory",
        "loop_map_bound_method",
        "loop_np_vectorize",
        "loop_frompyfunc",
        "loop_apply_along_axis",
        "tamper_duplicate_id",
        "tamper_points",
        "tamper_to_solution",
        "tamper_output_above_max",
        "tamper_kernelspec",
    ]
    missing = [f for f in families if not any(f in n for n in names)]
    assert not missing
    by_effect = {}
    for k in attacks.KINDS:
        for effect in k.breaks.values():
            by_effect.setdefault(effect, []).append(k.name)
    assert {samples.WRONG, samples.CHEATS, samples.UNDEFINED} <= set(by_effect)


# a hidden-only hang stops the kernel at hinge_loss's hidden check: what was judged before stays
HUNG_01 = {
    "hinge-loss-hidden",
    "softmax-visible",
    "softmax-hidden",
    "cross-entropy-visible",
    "cross-entropy-hidden",
}


@pytest.mark.parametrize(
    ("kind", "notebook", "score", "status", "failing"),
    [
        ("hook_post_run_clear", "01_scores_and_losses", 6, "ok", {"softmax-visible", "softmax-hidden"}),
        ("sigint_ignore_hidden_sleep", "01_scores_and_losses", 0, "timeout", HUNG_01),
        (
            "fork_memory",
            "04_optimization",
            0,
            "memory",
            {"numerical-gradient-visible", "numerical-gradient-hidden"},
        ),
        ("loop_map_bound_method", "02_svm", 6, "ok", {"svm-vectorized-hidden"}),
        (
            "tamper_duplicate_id",
            "01_scores_and_losses",
            6,
            "tampered",
            {"hinge-loss-visible", "hinge-loss-hidden"},
        ),
        ("tamper_points", "03_softmax", 6, "tampered", set()),
        ("print_reference_source", "02_svm", 9, "ok", set()),
        ("ref_code_object", "02_svm", 6, "ok", {"svm-naive-visible", "svm-naive-hidden"}),
    ],
)
def test_expectations_of_red_team_kinds(made, kind, notebook, score, status, failing):
    _, students = made
    exp = students[kind].expected[notebook]
    lo, hi = exp.score_range
    assert (lo, exp.status) == (score, status), (exp.score_range, exp.cells)
    assert {g for g, v in exp.cells.items() if v == "fail"} == failing
