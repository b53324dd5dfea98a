"""Figures: content of each plot, no pyplot state, Agg rendering, clear errors."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from cs231n_lite import vis
from cs231n_lite.optim import SearchResults
from cs231n_lite.reference import svm_loss_vectorized
from cs231n_lite.vis import (
    loss_slice_1d,
    loss_slice_2d,
    plot_loss,
    plot_search_results,
    show_samples,
    show_weights,
)

CLASSES = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before  # nothing registered with pyplot, nothing to close


def render(fig):
    """Draw with Agg and return the RGBA buffer (proves the figure renders headless)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def test_show_samples_grid_and_images():
    y = np.repeat(np.arange(10), 8)
    X = np.zeros((80, 32, 32, 3), dtype=np.uint8)
    X[:] = (y * 20)[:, None, None, None]  # each class has its own gray level
    fig = show_samples(X, y, CLASSES, samples_per_class=7)
    assert isinstance(fig, Figure) and len(fig.axes) == 70
    # axes are row-major: row r, column c -> axes[r * 10 + c]
    assert [fig.axes[c].get_title() for c in range(10)] == CLASSES
    for c in range(10):
        for r in range(7):
            img = fig.axes[r * 10 + c].images[0].get_array()
            assert img.shape == (32, 32, 3) and np.all(np.asarray(img) == 20 * c)


def test_show_samples_handles_few_examples_and_float_images():
    X = np.full((3, 32, 32, 3), 300.0)
    y = np.array([0, 0, 1])
    fig = show_samples(X, y, ["a", "b", "c"], samples_per_class=2)
    imgs = [len(ax.images) for ax in fig.axes]
    assert imgs == [1, 1, 0, 1, 0, 0]  # class a: 2 images, b: 1, c: none
    assert np.asarray(fig.axes[0].images[0].get_array()).max() == 255
    assert render(fig).shape[2] == 4


@pytest.mark.parametrize(
    "X, y, text",
    [
        (np.zeros((4, 3072), np.uint8), np.zeros(4, int), "X.reshape(-1, 32, 32, 3)"),
        (np.zeros((4, 32, 32, 3), np.uint8), np.zeros(3, int), "y must be an array of shape (4,)"),
        (np.zeros((4, 32, 32, 3), np.uint8), np.array([0, 1, 2, 10]), "labels must be in [0, 10)"),
    ],
)
def test_show_samples_errors(X, y, text):
    with pytest.raises(ValueError) as info:
        show_samples(X, y, CLASSES)
    assert text in str(info.value)


@pytest.mark.parametrize("D", [3072, 3073])
def test_show_weights_templates(D):
    W = np.zeros((D, 10))
    W[:3072, 3] = 1.0  # class "cat" is all-high, everything else at the minimum
    if D == 3073:
        W[3072, :] = 100.0  # the bias row must be dropped, not used for scaling
    fig = show_weights(W, CLASSES)
    assert len(fig.axes) == 10 and [ax.get_title() for ax in fig.axes] == CLASSES
    cat = np.asarray(fig.axes[3].images[0].get_array())
    dog = np.asarray(fig.axes[5].images[0].get_array())
    assert cat.shape == (32, 32, 3) and np.all(cat == 255) and np.all(dog == 0)
    render(fig)


def test_show_weights_reshape_order_matches_cifar_rows():
    # rows of W follow X's layout: image.reshape(-1) of an (32, 32, 3) array
    ramp = np.arange(32 * 32 * 3, dtype=np.float64).reshape(32, 32, 3)
    blue = np.zeros((32, 32, 3))
    blue[..., 2] = ramp.max()
    W = np.stack([ramp.reshape(-1), blue.reshape(-1)], axis=1)
    fig = show_weights(W, ["ramp", "blue"])
    up = np.asarray(fig.axes[0].images[0].get_array()).astype(float)
    assert up[0, 0, 0] == 0 and up[31, 31, 2] == 255
    assert up[0, 31, 0] < up[31, 0, 0]  # row-major: going down a row moves further than across
    b = np.asarray(fig.axes[1].images[0].get_array())
    assert np.all(b[..., 2] == 255) and np.all(b[..., :2] == 0)  # the last axis is the RGB channel


def test_show_weights_errors_and_constant_W():
    with pytest.raises(ValueError, match=r"shape \(3073, C\).*got \(100, 10\)"):
        show_weights(np.zeros((100, 10)), CLASSES)
    with pytest.raises(ValueError, match="class_names must hold 10 names"):
        show_weights(np.zeros((3073, 10)), CLASSES[:3])
    fig = show_weights(np.zeros((3073, 10)), CLASSES)  # no division by zero
    assert np.all(np.asarray(fig.axes[0].images[0].get_array()) == 0)


def test_plot_loss_draws_history():
    hist = [2.3, 2.0, float("nan"), 1.5]
    fig = plot_loss(hist, title="SVM")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), hist)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2, 3])
    assert ax.get_title() == "SVM" and ax.get_xlabel() == "Iteration number"
    render(fig)


def test_plot_search_results_maps():
    rows = []
    for lr in (1e-7, 5e-7):
        for reg in (2.5e4, 5e4):
            rows.append({"learning_rate": lr, "reg": reg, "train_acc": lr * 1e6, "val_acc": reg / 1e5})
    rows = rows[:3]  # (5e-7, 5e4) not tried
    results = SearchResults(rows, rows[1], None)
    for arg in (results, rows):
        fig = plot_search_results(arg)
        train_ax, val_ax = fig.axes[0], fig.axes[1]  # the two colorbars come after
        grid = np.ma.filled(train_ax.images[0].get_array(), np.nan)
        np.testing.assert_allclose(grid, [[0.1, 0.1], [0.5, np.nan]])
        vgrid = np.ma.filled(val_ax.images[0].get_array(), np.nan)
        np.testing.assert_allclose(vgrid, [[0.25, 0.5], [0.25, np.nan]])
        assert [t.get_text() for t in val_ax.texts] == ["0.250", "0.500", "0.250"]
        best = val_ax.patches[0]
        assert best.get_xy() == (0.5, -0.5)  # column reg=5e4, row lr=1e-7
        assert [t.get_text() for t in val_ax.get_xticklabels()] == ["2e+04", "5e+04"]
        render(fig)
    with pytest.raises(ValueError, match="missing"):
        plot_search_results([{"learning_rate": 1.0}])
    with pytest.raises(ValueError, match="results is empty"):
        plot_search_results([])


def test_loss_slices_match_direct_evaluation():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 5)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    W = rng.standard_normal((5, 3)).astype(np.float32)
    W1, W2 = rng.standard_normal((2, 5, 3))

    def L(w):
        return svm_loss_vectorized(w, X, y, 0.0)  # float32 reference: W stays float32

    a = np.linspace(-2, 2, 9)
    fig = loss_slice_1d(L, W, W1, a)
    got = fig.axes[0].lines[0].get_ydata()
    expected = [float(L(W + np.float32(v) * W1.astype(np.float32))[0]) for v in a]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), a)
    b = np.linspace(-1, 1, 5)
    fig2 = loss_slice_2d(L, W, W1, W2, a, b)
    grid = np.asarray(fig2.axes[0].images[0].get_array())
    assert grid.shape == (5, 9)
    assert grid[4, 0] == pytest.approx(float(L(W + (-2.0 * W1 + 1.0 * W2).astype(np.float32))[0]), rel=1e-5)
    assert fig2.axes[0].images[0].get_extent() == [-2.0, 2.0, -1.0, 1.0]
    render(fig2)


def test_loss_slice_svm_is_piecewise_linear_and_convex():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 4))
    y = rng.integers(0, 3, 20)
    W, W1 = rng.standard_normal((2, 4, 3))
    a = np.linspace(-3, 3, 61)
    vals = loss_slice_1d(lambda w: svm_loss_vectorized(w, X, y, 0.0), W, W1, a).axes[0].lines[0].get_ydata()
    assert np.all(np.diff(vals, 2) >= -1e-9)  # convex along any line


def test_loss_slice_default_grids_and_shape_errors():
    f = lambda w: float(np.sum(w))  # noqa: E731
    assert len(loss_slice_1d(f, np.zeros((2, 2)), np.ones((2, 2))).axes[0].lines[0].get_xdata()) == 41
    assert np.asarray(
        loss_slice_2d(f, np.zeros((2, 2)), np.ones((2, 2)), np.ones((2, 2))).axes[0].images[0].get_array()
    ).shape == (31, 31)
    with pytest.raises(ValueError, match=r"W2 must have W's shape \(2, 2\)"):
        loss_slice_2d(f, np.zeros((2, 2)), np.ones((2, 2)), np.ones(4))


def test_vis_never_imports_pyplot(repo_root, tmp_path):
    code = (
        "import sys, numpy as np, cs231n_lite.vis as v; v.plot_loss([1.0, 0.5]).savefig(sys.argv[1]); "
        "v.show_weights(np.zeros((3073, 2)), ['a', 'b']); print('matplotlib.pyplot' in sys.modules)"
    )
    png = tmp_path / "plot_loss.png"
    env = {**os.environ, "MPLBACKEND": ""}
    env.pop("MPLBACKEND")
    out = subprocess.run(
        [sys.executable, "-c", code, str(png)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert out.stdout.strip() == "False" and out.stderr == ""
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_docstring_examples_run():
    result = doctest.testmod(vis)
    assert result.failed == 0 and result.attempted > 0
