"""The trusted check of notebook 05's TODO color_histogram_hsv: right answers pass, classic mistakes get their hint."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.colors import rgb_to_hsv

from autograder import _checks_features as cf
from cs231n_lite.reference.features import color_histogram_hsv as reference


def cs231n_style(images, nbin=10, xmin=0, xmax=255, normalized=True):
    """CS231n's recipe, one image at a time: rgb_to_hsv * xmax, np.histogram(density) * bin widths."""
    bins = np.linspace(xmin, xmax, nbin + 1)
    rows = []
    for im in images:
        hue = rgb_to_hsv(im / xmax)[..., 0] * xmax
        hist, edges = np.histogram(hue, bins=bins, density=normalized)
        rows.append(hist * np.diff(edges) if normalized else hist)
    return np.array(rows)


def vectorized_float32(images, nbin=10, xmin=0, xmax=255, normalized=True):
    """Whole batch at once, float32 hue, floor() binning, np.add.at counting."""
    hue = rgb_to_hsv(images.astype(np.float32) / np.float32(xmax))[..., 0] * np.float32(xmax)
    hue = hue.reshape(len(images), -1)
    idx = np.floor((hue - xmin) / (xmax - xmin) * nbin).astype(int)
    inside = (hue >= xmin) & (hue <= xmax)
    idx = np.clip(idx, 0, nbin - 1)
    counts = np.zeros((len(images), nbin), dtype=np.float32)
    rows = np.broadcast_to(np.arange(len(images))[:, None], idx.shape)
    np.add.at(counts, (rows[inside], idx[inside]), 1)
    if normalized:
        counts /= counts.sum(axis=1, keepdims=True)
    return counts


@pytest.mark.parametrize("kind", ["visible", "hidden"])
@pytest.mark.parametrize("func", [reference, cs231n_style, vectorized_float32])
def test_correct_implementations_pass(func, kind):
    cf.check(func, cases=kind)


def test_cases_are_fixed_and_expected_from_the_reference():
    a, b = cf.build_cases("hidden"), cf.build_cases("hidden")
    assert len(a) == 7 and len(cf.build_cases("visible")) == 2
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.images, y.images)
        np.testing.assert_array_equal(x.expected, reference(x.images, **x.full_options()))
    visible = cf.build_cases("visible")[0]
    np.testing.assert_allclose(visible.expected, [[3, 0, 0, 1, 0, 0, 1, 1, 0, 0]] / np.float64(6))
    with pytest.raises(ValueError, match="cases must be one of"):
        cf.build_cases("secret")


def _mistake(kind):
    def func(images, nbin=10, xmin=0, xmax=255, normalized=True):
        hsv = rgb_to_hsv(images / xmax) * xmax
        channel = {"saturation": 1, "value": 2}.get(kind, 0)
        values = hsv[..., channel].reshape(len(images), -1)
        if kind == "unscaled":
            values = values / xmax
        if kind == "fixed255":
            values = values / xmax * 255
        edges = np.linspace(xmin, xmax, nbin + (0 if kind == "linspace" else 1))
        if kind == "pooled":
            one = np.histogram(values, bins=edges)[0].astype(float)
            rows = np.repeat(one[None], len(images), axis=0)
        else:
            rows = np.array([np.histogram(v, bins=edges)[0] for v in values], dtype=float)
        if kind == "density":
            return np.array([np.histogram(v, bins=edges, density=True)[0] for v in values])
        if kind == "all_pixels" and normalized:
            return rows / values.shape[1]
        if kind == "transposed":
            rows = rows.T
        if (normalized and kind != "counts") or kind == "always_normalized":
            rows = rows / rows.sum(axis=-1 if kind != "transposed" else 0, keepdims=True)
        return rows

    func.__name__ = f"color_histogram_hsv_{kind}"
    return func


@pytest.mark.parametrize(
    "kind, cases, words",
    [
        ("counts", "visible", "divided by its number of counted pixels"),
        ("always_normalized", "hidden", "normalized=False asks for pixel counts"),
        ("unscaled", "visible", "multiply by xmax"),
        ("saturation", "visible", "you binned the saturation"),
        ("value", "visible", "you binned the value"),
        ("density", "visible", "density=True) divides by the bin width too"),
        ("linspace", "visible", "nbin + 1 edges"),
        ("pooled", "visible", "histogram of the whole batch"),
        ("transposed", "visible", "you returned the transpose"),
        ("fixed255", "hidden", "not by a fixed 255"),
        ("all_pixels", "hidden", "not by all pixels"),
    ],
)
def test_classic_mistakes_fail_with_their_hint(kind, cases, words):
    with pytest.raises(AssertionError) as info:
        cf.check(_mistake(kind), cases=cases)
    message = str(info.value)
    assert message.startswith("color_histogram_hsv ")
    assert words in message, message


def test_visible_cases_miss_what_hidden_ones_catch():
    """Ignoring xmin and xmax is right with the defaults only."""

    def ignores_range(images, nbin=10, xmin=0, xmax=255, normalized=True):
        return reference(images, nbin=nbin, normalized=normalized)

    cf.check(ignores_range, cases="visible")
    with pytest.raises(AssertionError, match="xmin=40"):
        cf.check(ignores_range, cases="hidden")


def test_judge_messages_for_bad_returns():
    case = cf.build_cases("visible")[1]
    assert cf.judge(case, case.expected) is None
    assert cf.judge(case, case.expected.astype(np.float32)) is None
    assert cf.judge(case, case.expected.tolist()) is None  # a list of rows converts
    assert "wrong histogram" in cf.judge(case, np.zeros_like(case.expected))
    assert re.search(r"image \d: got", cf.judge(case, np.zeros_like(case.expected)))
    assert "nan or inf" in cf.judge(case, np.full_like(case.expected, np.nan))
    assert "one histogram; return one row per image" in cf.judge(case, case.expected[0])
    assert "must return a numpy array" in cf.judge(case, object())
    assert "dtype <U" in cf.judge(case, np.full(case.expected.shape, "x"))


def test_errors_in_the_students_function_become_messages():
    def todo(images, nbin=10, xmin=0, xmax=255, normalized=True):
        raise NotImplementedError()

    def crashes(images, nbin=10, xmin=0, xmax=255, normalized=True):
        return rgb_to_hsv(images)  # values up to 255: matplotlib refuses

    def in_place(images, nbin=10, xmin=0, xmax=255, normalized=True):
        out = reference(images, nbin=nbin, xmin=xmin, xmax=xmax, normalized=normalized)
        images[...] = 0
        return out

    with pytest.raises(AssertionError, match="replace `raise NotImplementedError\\(\\)`"):
        cf.check(todo, cases="visible")
    with pytest.raises(AssertionError, match="raised ValueError on case 'the 2x3 image of the visible test'"):
        cf.check(crashes, cases="visible")
    with pytest.raises(AssertionError, match="modified its input images in place"):
        cf.check(in_place, cases="visible")
    with pytest.raises(AssertionError, match="expected a function"):
        cf.check(None, cases="visible")


# ---------------------------------------------------------------------------------------------------- grading
@pytest.mark.slow
def test_notebook_05_graded_by_the_trusted_judge(tmp_path, repo_root):
    """Release notebook 05, grade three students in the sandbox: right, not normalized, TODO left open."""
    import shutil

    import nbformat
    from nbgrader.api import Gradebook

    from autograder import api

    src = tmp_path / "source"
    src.mkdir()
    shutil.copy(repo_root / "notebooks" / "05_features.ipynb", src)
    course = tmp_path / "course"
    released = api.release(course_dir=course, source=src)
    assert released.leaks == [] and released.notebooks == ["05_features"]

    def grade_ids(nb):
        return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}

    source_nb = nbformat.read(src / "05_features.ipynb", as_version=4)
    solution = grade_ids(source_nb)["color-hist"].source
    unnormalized = solution.replace("if normalized:", "if False:")
    assert unnormalized != solution
    svm = grade_ids(source_nb)["svm-paste"].source
    for student, todo in [("ada", solution), ("bob", unnormalized), ("cy", None)]:
        nb = nbformat.read(released.release_dir / "05_features.ipynb", as_version=4)
        cells = grade_ids(nb)
        if todo is not None:
            cells["color-hist"].source = todo
            cells["svm-paste"].source = svm
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "class" / student / "05_features.ipynb")
    api.collect(course_dir=course, source=tmp_path / "class")
    result = api.grade(course_dir=course, workers=1)
    assert {r.student: r.status for r in result.rows} == {"ada": "ok", "bob": "ok", "cy": "ok"}, result.table()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cs231n_lite") as gb:

        def score(student):
            return [
                float(gb.find_grade(g, "05_features", "linear_classifiers", student).score)
                for g in ("color-hist-visible", "color-hist-hidden")
            ]

        assert score("ada") == [1.0, 2.0]
        assert score("bob") == [0.0, 0.0]  # the visible case already shows the missing normalization
        assert score("cy") == [0.0, 0.0]
