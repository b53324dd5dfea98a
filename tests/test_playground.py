"""cs231n_lite.playground: the four 2-D losses, their gradients, gradient steps, static mode and the widget."""

from __future__ import annotations

import doctest
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from cs231n_lite import playground as pg
from cs231n_lite.playground import (
    DEMO_B,
    DEMO_W,
    DEMO_X,
    DEMO_Y,
    LOSSES,
    evaluate,
    gradient_step,
    point_losses,
)

REPO = Path(__file__).resolve().parents[1]

# Scores of the demo's first point x = (0.5, 0.4), label 0, under DEMO_W / DEMO_B, by hand:
#   s0 = 1*0.5 + 2*0.4 + 0    =  1.3
#   s1 = 2*0.5 - 4*0.4 + 0.5  = -0.1
#   s2 = 3*0.5 - 1*0.4 - 0.5  =  0.6
HAND_SCORES = (1.3, -0.1, 0.6)
HAND_LOSSES = {
    "svm": max(0, -0.1 - 1.3 + 1) + max(0, 0.6 - 1.3 + 1),  # 0 + 0.3
    "ova": max(0, 1 - 0.1) + max(0, 1 + 0.6) + max(0, 1 - 1.3),  # 0.9 + 1.6 + 0
    "structured": max(0, max(-0.1, 0.6) - 1.3 + 1),  # 0.3
    "softmax": math.log(math.exp(1.3) + math.exp(-0.1) + math.exp(0.6)) - 1.3,
}
#: sum of DEMO_W squared: 1 + 4 + 4 + 16 + 9 + 1
DEMO_W_SQUARED = 35.0


def test_demo_scores_by_hand():
    r = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm")
    np.testing.assert_allclose(r.scores[0], HAND_SCORES, atol=1e-12)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_first_point_loss_by_hand(loss):
    r = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss=loss, reg=0.0)
    assert r.losses[0] == pytest.approx(HAND_LOSSES[loss], abs=1e-12)


def test_hand_values_are_distinct_numbers():
    assert HAND_LOSSES["svm"] == pytest.approx(0.3)
    assert HAND_LOSSES["ova"] == pytest.approx(2.5)
    assert HAND_LOSSES["softmax"] == pytest.approx(0.5557, abs=1e-4)


def test_lecture_cat_image_all_losses():
    # scores cat 3.2, car 5.1, frog -1.7; correct class cat (lecture 3)
    s, y = np.array([[3.2, 5.1, -1.7]]), np.array([0])
    expected = {
        "svm": 2.9 + 0.0,  # max(0, 5.1-3.2+1) + max(0, -1.7-3.2+1)
        "structured": 2.9,  # only the worst rival, car
        "ova": 6.1 + 0.0 + 0.0,  # max(0, 1+5.1) + max(0, 1-1.7) + max(0, 1-3.2)
        "softmax": math.log(math.exp(3.2) + math.exp(5.1) + math.exp(-1.7)) - 3.2,  # lecture: 2.04
    }
    for loss, value in expected.items():
        losses, _ = point_losses(s, y, loss=loss)
        assert losses[0] == pytest.approx(value, abs=1e-12), loss
    assert expected["softmax"] == pytest.approx(2.04, abs=0.005)


def _loop_loss(s, y, loss):
    """One point's loss straight from the formulas in the module docstring (plain Python loops)."""
    others = [j for j in range(len(s)) if j != y]
    if loss == "svm":
        return sum(max(0.0, s[j] - s[y] + 1) for j in others)
    if loss == "ova":
        return sum(max(0.0, 1 + s[j]) for j in others) + max(0.0, 1 - s[y])
    if loss == "structured":
        return max(0.0, max(s[j] for j in others) - s[y] + 1)
    return math.log(sum(math.exp(v) for v in s)) - s[y]


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_vectorized_matches_loops(loss):
    rng = np.random.default_rng(5)
    scores = rng.normal(scale=2.0, size=(40, 4))
    y = rng.integers(0, 4, size=40)
    losses, _ = point_losses(scores, y, loss=loss)
    expected = [_loop_loss(list(scores[i]), int(y[i]), loss) for i in range(40)]
    np.testing.assert_allclose(losses, expected, rtol=1e-12, atol=1e-12)
    assert 0 < np.count_nonzero(losses) < 40 or loss in ("softmax", "ova")  # both sides of the hinge seen


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_total_is_mean_plus_reg_without_bias(loss):
    r = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss=loss, reg=0.1)
    assert r.reg_loss == pytest.approx(0.1 * DEMO_W_SQUARED)
    assert r.data_loss == pytest.approx(r.losses.mean())
    assert r.loss == pytest.approx(r.data_loss + 3.5)
    r_big_b = evaluate(DEMO_W, DEMO_B + 100.0, DEMO_X, DEMO_Y, loss=loss, reg=0.1)
    assert r_big_b.reg_loss == pytest.approx(r.reg_loss)  # b is not regularized


def _bias_trick(W, b):
    """Course layout: X_aug of shape (N, 3) and W_aug of shape (3, C) with the bias as last row."""
    return np.hstack([DEMO_X, np.ones((len(DEMO_X), 1))]), np.vstack([W.T, b])


@pytest.mark.parametrize(
    ("loss", "ref_name"), [("svm", "svm_loss_vectorized"), ("softmax", "softmax_loss_vectorized")]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_reference(loss, ref_name, seed):
    reference = pytest.importorskip("cs231n_lite.reference")
    ref = getattr(reference, ref_name)
    W, b = pg.random_parameters(3, seed=seed)
    X_aug, W_aug = _bias_trick(W, b)
    ref_loss, ref_dW = ref(W_aug, X_aug, DEMO_Y, 0.0)
    reg = 0.05
    r = evaluate(W, b, DEMO_X, DEMO_Y, loss=loss, reg=reg)
    assert r.loss == pytest.approx(float(ref_loss) + reg * np.sum(W * W), rel=1e-12)
    np.testing.assert_allclose(r.dW, ref_dW[:2].T + 2 * reg * W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.db, ref_dW[2], rtol=1e-10, atol=1e-12)


def _numerical(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = f()
        x[ix] = old - h
        minus = f()
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("seed", [0, 3, 7])
def test_gradients_numerically(loss, seed):
    rng = np.random.default_rng(seed)
    W, b = pg.random_parameters(3, seed=rng)
    X = rng.uniform(-1, 1, size=(12, 2))
    y = rng.integers(0, 3, size=12)
    reg = 0.2

    def total():
        return evaluate(W, b, X, y, loss=loss, reg=reg).loss

    r = evaluate(W, b, X, y, loss=loss, reg=reg)
    assert np.abs(r.dW).max() > 0.01  # a gradient that is not trivially zero
    np.testing.assert_allclose(r.dW, _numerical(total, W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(r.db, _numerical(total, b), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_step_lowers_the_loss(loss):
    W, b, history = gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss=loss, reg=0.1, step_size=0.05)
    assert len(history) == 2 and history[1] < history[0] - 1e-4
    assert history[1] == pytest.approx(evaluate(W, b, DEMO_X, DEMO_Y, loss=loss, reg=0.1).loss)
    assert not np.shares_memory(W, DEMO_W) and DEMO_W[0, 0] == 1.0  # inputs untouched


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_many_steps_fit_the_demo(loss):
    W, b, history = gradient_step(
        DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss=loss, reg=0.001, step_size=0.1, num_steps=500
    )
    assert history[-1] < 0.5 * history[0]
    if loss == "softmax":  # smooth loss, small steps: never uphill (hinge subgradients may overshoot a kink)
        assert np.all(np.diff(history) <= 1e-12)
    predicted = (DEMO_X @ W.T + b).argmax(axis=1)
    assert (predicted == DEMO_Y).all()


def test_svm_stops_softmax_keeps_pushing():
    """What the first written question is about: once every margin is met the SVM gradient is exactly 0."""
    W, b, _ = gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm", reg=0.0, step_size=0.1, num_steps=300)
    svm = evaluate(W, b, DEMO_X, DEMO_Y, loss="svm", reg=0.0)
    assert svm.loss == 0.0 and not svm.dW.any() and not svm.db.any()
    soft = evaluate(W, b, DEMO_X, DEMO_Y, loss="softmax", reg=0.0)
    assert soft.loss > 0 and np.abs(soft.dW).max() > 1e-3
    W2, b2, history = gradient_step(
        W, b, DEMO_X, DEMO_Y, loss="softmax", reg=0.0, step_size=0.1, num_steps=50
    )
    assert history[-1] < history[0]
    assert np.linalg.norm(W2) > np.linalg.norm(W)  # softmax grows the weights to sharpen probabilities


def test_reg_shrinks_weights():
    """The second question: larger λ keeps W small, so the scores and the regions' boundaries soften."""
    norms = []
    for reg in (0.0, 0.1, 1.0):
        W, _, _ = gradient_step(
            DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="softmax", reg=reg, step_size=0.1, num_steps=400
        )
        norms.append(np.linalg.norm(W))
    assert norms[0] > norms[1] > norms[2]


def test_structured_ties_and_ova_pieces():
    s = np.array([[0.0, 0.5, 0.5], [2.0, -2.0, -2.0]])
    y = np.array([0, 0])
    losses, ds = point_losses(s, y, loss="structured")
    np.testing.assert_allclose(losses, [1.5, 0.0])
    np.testing.assert_allclose(ds, [[-1, 1, 0], [0, 0, 0]])  # tie goes to the lowest index
    losses, ds = point_losses(s, y, loss="ova")
    np.testing.assert_allclose(losses, [1.0 + 1.5 + 1.5, 0.0])
    np.testing.assert_allclose(ds, [[-1, 1, 1], [0, 0, 0]])


def test_softmax_is_stable_for_huge_scores():
    losses, ds = point_losses(np.array([[1e4, -1e4, 0.0]]), np.array([1]), loss="softmax")
    assert losses[0] == pytest.approx(2e4) and np.isfinite(ds).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((9, 3))}, "X must be an array of shape (N, 2)"),
        ({"W": np.zeros((2, 3))}, "W must be an array of shape (C, 2)"),
        ({"b": np.zeros(2)}, "b must be an array of shape (3,)"),
        ({"y": np.arange(9) % 4}, "labels must be in [0, 3)"),
        ({"y": np.zeros(9)}, "y must be an integer array of shape (9,)"),
        ({"loss": "hinge"}, "loss must be one of"),
        ({"reg": -1.0}, "reg must be a finite real number >= 0"),
    ],
)
def test_bad_input_says_what_was_expected(kwargs, message):
    args = {"W": DEMO_W, "b": DEMO_B, "X": DEMO_X, "y": DEMO_Y, "loss": "svm", "reg": 0.1, **kwargs}
    with pytest.raises(ValueError) as err:
        evaluate(args.pop("W"), args.pop("b"), args.pop("X"), args.pop("y"), **args)
    assert message in str(err.value)


def test_bad_step_arguments():
    with pytest.raises(ValueError, match="step_size must be"):
        gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, step_size=0)
    with pytest.raises(ValueError, match="num_steps must be an integer >= 1"):
        gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, num_steps=0)


# -- mode and static figure -------------------------------------------------------------------------


@pytest.fixture
def clean_mode_env(monkeypatch):
    for var in ("NBGRADER_EXECUTION", pg.MODE_ENV, "MPLBACKEND"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_display_mode_rules(clean_mode_env):
    assert pg.display_mode() == "static"  # pytest is not a kernel
    clean_mode_env.setenv(pg.MODE_ENV, "widget")
    assert pg.display_mode() == "widget"
    clean_mode_env.setenv("NBGRADER_EXECUTION", "autograde")
    assert pg.display_mode() == "static"  # grading wins over everything
    clean_mode_env.delenv("NBGRADER_EXECUTION")
    clean_mode_env.setenv(pg.MODE_ENV, "fancy")
    with pytest.raises(ValueError, match="must be 'static' or 'widget'; found 'fancy'"):
        pg.display_mode()
    clean_mode_env.delenv(pg.MODE_ENV)
    clean_mode_env.setenv("MPLBACKEND", "Agg")
    assert pg.display_mode() == "static"


def test_grading_is_static_even_when_widget_is_asked(clean_mode_env):
    clean_mode_env.setenv("NBGRADER_EXECUTION", "validate")
    fig = pg.playground(mode="widget")
    assert isinstance(fig, Figure)


def test_static_figure_content():
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, -1.0]])
    b = np.array([0.0, 0.0, -0.2])
    fig = pg.plot_playground(W, b, loss="softmax", reg=0.0)
    ax = fig.axes[0]
    regions = ax.images[0].get_array()
    x0 = np.linspace(-1.3, 1.3, regions.shape[1])
    row = regions.shape[0] - 1  # top row (x1 = +1.3): class 2's score -1.5 loses, sign of x0 decides
    assert regions[row, x0 > 0.05].tolist() == [0] * int((x0 > 0.05).sum())
    assert regions[row, x0 < -0.05].tolist() == [1] * int((x0 < -0.05).sum())
    assert 2 in regions[0]  # bottom row: class 2 wins near x0 = 0
    lines = [line for line in ax.lines if line.get_label().endswith(" = 0")]
    assert [line.get_label() for line in lines] == ["s0 = 0", "s1 = 0", "s2 = 0"]
    xs = lines[0].get_xdata()  # class 0's zero-score line is x0 = 0
    np.testing.assert_allclose(xs, [0, 0], atol=1e-12)
    ys = lines[2].get_ydata()  # class 2's: -x1 - 0.2 = 0, i.e. x1 = -0.2
    np.testing.assert_allclose(ys, [-0.2, -0.2], atol=1e-12)
    table = fig.axes[1].tables[0]
    r = evaluate(W, b, DEMO_X, DEMO_Y, loss="softmax")
    last_col = len(table.get_celld()) // (len(DEMO_X) + 1) - 1
    shown = [float(table[i + 1, last_col].get_text().get_text()) for i in range(len(DEMO_X))]
    np.testing.assert_allclose(shown, r.losses, atol=5e-4)
    assert f"total loss {r.loss:.4f}" in ax.get_title()


def _student_bundle_copy(tmp_path: Path) -> Path:
    """cs231n_lite as the released student bundle ships it: without reference/."""
    root = tmp_path / "bundle"
    shutil.copytree(
        REPO / "cs231n_lite", root / "cs231n_lite", ignore=shutil.ignore_patterns("reference", "__pycache__")
    )
    return root


def test_static_mode_never_imports_widgets(tmp_path):
    """In a fresh interpreter on the student bundle's package, as grading runs it: a PNG figure, and neither
    ipywidgets nor ipympl (nor the reference solutions) loaded."""
    root = _student_bundle_copy(tmp_path)
    code = (
        "import sys\n"
        "from cs231n_lite import playground as pg\n"
        "fig = pg.playground(loss='ova', mode='widget')  # grading wins over the explicit mode\n"
        "open(sys.argv[1], 'wb').write(fig._repr_png_())\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'ipympl', 'widgetsnbextension')\n"
        "             or m.startswith('cs231n_lite.reference'))\n"
        "print(type(fig).__name__, bad)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", pg.MODE_ENV, "MPLBACKEND")}
    env.update(NBGRADER_EXECUTION="autograde", PYTHONPATH=str(root))
    png = tmp_path / "playground.png"
    out = subprocess.run(
        [sys.executable, "-c", code, str(png)], env=env, capture_output=True, text=True, timeout=120, cwd=root
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "PlaygroundFigure []", out.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


KERNEL_CELLS = [
    "import sys\nfrom cs231n_lite.playground import display_mode, playground\nprint(display_mode())",
    "playground()",
    "print(sorted({m.split('.')[0] for m in sys.modules} & {'ipywidgets', 'ipympl'}))",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env_extra", "mode", "mimes"),
    [
        ({}, "widget", {"text/plain", "application/vnd.jupyter.widget-view+json"}),
        ({"MPLBACKEND": "Agg"}, "static", {"text/plain", "image/png"}),
        ({"NBGRADER_EXECUTION": "autograde"}, "static", {"text/plain", "image/png"}),
        ({pg.MODE_ENV: "static"}, "static", {"text/plain", "image/png"}),
    ],
    ids=["jupyter-kernel", "nbval-agg", "grading", "forced-static"],
)
def test_mode_in_a_real_kernel(tmp_path, monkeypatch, env_extra, mode, mimes):
    """A real ipykernel run by nbclient (no widget front end, as nbval and the builder run notebooks)."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    for var in ("NBGRADER_EXECUTION", pg.MODE_ENV, "MPLBACKEND"):
        monkeypatch.delenv(var, raising=False)
    for var, value in {**env_extra, "PYTHONPATH": str(_student_bundle_copy(tmp_path))}.items():
        monkeypatch.setenv(var, value)  # the kernel inherits this process's environment
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in KERNEL_CELLS])
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    first, shown, last = (cell.outputs for cell in nb.cells)
    assert first[0].text.strip() == mode, first
    assert len(shown) == 1 and shown[0].output_type == "execute_result" and set(shown[0].data) == mimes, shown
    assert last[0].text.strip() == ("['ipympl', 'ipywidgets']" if mode == "widget" else "[]"), last


# -- widget (real ipywidgets objects, no front end) -----------------------------------------------


def test_widget_state_and_buttons():
    pytest.importorskip("ipympl")
    p = pg.Playground(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm", reg=0.1, step_size=0.05, seed=0)
    start = p.report.loss
    assert f"{start:.6f}" in p.total.value
    assert p.table.value.count("<tr") == len(DEMO_X) + 1
    p.w_sliders[0][0].value = 2.0  # what a slider drag does
    assert p.W[0, 0] == 2.0 and p.report.loss != pytest.approx(start)
    moved = p.report.loss
    p.step_button.click()
    assert p.report.loss < moved
    assert p.w_sliders[0][0].value == pytest.approx(p.W[0, 0])
    before = p.report.loss
    p.num_steps.value = 50
    p.many_button.click()
    assert p.report.loss < before
    p.loss_picker.value = "softmax"
    assert p.report.loss == pytest.approx(evaluate(p.W, p.b, DEMO_X, DEMO_Y, loss="softmax", reg=0.1).loss)
    p.reg_slider.value = 0.0
    assert p.report.reg_loss == 0.0
    W_before_play, b_before_play = p.W.copy(), p.b.copy()
    before = p.report.loss
    for tick in (1, 2, 3):  # what the Play widget sends while "repeat steps" runs
        p.play.value = tick
    W3, b3, history = gradient_step(
        W_before_play, b_before_play, DEMO_X, DEMO_Y, loss="softmax", reg=0.0, step_size=0.05, num_steps=3
    )
    np.testing.assert_allclose(p.W, W3, rtol=1e-12)
    assert p.report.loss == pytest.approx(history[-1]) and history[-1] < before
    p.play.value = 0  # the Play widget rewinding is no step
    np.testing.assert_allclose(p.W, W3, rtol=1e-12)
    p.random_button.click()
    W_random = p.W.copy()
    np.testing.assert_allclose(W_random, [[s.value for s in row] for row in p.w_sliders])
    p.reset_button.click()
    np.testing.assert_array_equal(p.W, DEMO_W)
    p.set_parameters(DEMO_W * 4, DEMO_B)  # beyond the sliders' range: they widen instead of clipping
    assert p.w_sliders[1][1].value == -16.0 and p.W[1, 1] == -16.0
    np.testing.assert_array_equal(DEMO_W, [[1, 2], [2, -4], [3, -1]])  # the caller's arrays are never written


def test_widget_takes_settings_beyond_the_default_slider_ranges():
    pytest.importorskip("ipympl")
    p = pg.playground(reg=5.0, step_size=3.0, mode="widget")
    assert p.reg == 5.0 and p.step_size == pytest.approx(3.0)
    assert p.report.reg_loss == pytest.approx(5.0 * DEMO_W_SQUARED)
    with pytest.raises(ValueError, match="step_size must be a finite real number > 0"):
        pg.playground(step_size=0.0, mode="widget")


def test_missing_ipympl_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipympl", None)  # `import ipympl...` now raises ImportError
    monkeypatch.delitem(sys.modules, "ipympl.backend_nbagg", raising=False)
    with pytest.raises(ImportError) as err:
        pg.playground(mode="widget")
    assert "pip install -r requirements.txt" in str(err.value) and "mode='static'" in str(err.value)


def test_front_end_snapping_does_not_round_the_state():
    """After a step the browser snaps each slider to its 0.01 grid and sends that back: the exact W must stay."""
    pytest.importorskip("ipympl")
    p = pg.Playground(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="softmax", reg=0.1, step_size=0.01, seed=0)
    history = p.step(1)
    exact_W, exact_b = p.W.copy(), p.b.copy()
    assert not np.allclose(exact_W, np.round(exact_W, 2), atol=1e-9)  # the step left the 0.01 grid
    for row in p.w_sliders:
        for s in row:
            s.value = round(s.value, 2)  # what the front end sends back
    for s in p.b_sliders:
        s.value = round(s.value, 2)
    np.testing.assert_array_equal(p.W, exact_W)
    np.testing.assert_array_equal(p.b, exact_b)
    assert p.report.loss == pytest.approx(history[-1], abs=1e-12)
    p.w_sliders[2][1].value = round(p.W[2, 1], 2) + 0.01  # a real move of one slider step is taken
    assert p.W[2, 1] == pytest.approx(round(exact_W[2, 1], 2) + 0.01)
    np.testing.assert_array_equal(p.W[:2], exact_W[:2])


def test_doctests():
    result = doctest.testmod(pg)
    assert result.attempted >= 10 and result.failed == 0
