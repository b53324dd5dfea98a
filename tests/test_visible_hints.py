"""Every classic loss/gradient bug, fed to every visible loss test in the notebook sources: the hint names it.

The visible cells are read from ``notebooks/src/*.py`` (the jupytext sources the notebooks are built from) and
run as a student runs them, with the TODO function replaced by a student-style implementation that has
exactly one bug.  A correct implementation must pass every cell; each bug must make the cell fail with the
hint that names that bug (not a generic "expected ..., got ...").
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite import testing
from cs231n_lite.reference import softmax_loss_naive as ref_softmax_naive
from cs231n_lite.reference import softmax_loss_vectorized as ref_softmax
from cs231n_lite.reference import svm_loss_naive as ref_svm_naive
from cs231n_lite.reference import svm_loss_vectorized as ref_svm

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "notebooks" / "src"

#: visible cell id -> (notebook source, TODO function it tests, loss kind, the trusted naive twin it may use)
CELLS = {
    "svm-naive-visible": ("02_svm.py", "svm_loss_naive", "svm", None),
    "svm-vectorized-visible": ("02_svm.py", "svm_loss_vectorized", "svm", ("svm_loss_naive", ref_svm_naive)),
    "softmax-naive-visible": ("03_softmax.py", "softmax_loss_naive", "softmax", None),
    "softmax-vectorized-visible": (
        "03_softmax.py",
        "softmax_loss_vectorized",
        "softmax",
        ("softmax_loss_naive", ref_softmax_naive),
    ),
}

#: bug -> (loss kinds it applies to, text the hint must contain)
BUGS = {
    "missing reg": (("svm", "softmax"), "has no regularization term: add reg * np.sum(W * W)"),
    "1/2 reg in dW": (("svm", "softmax"), "dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W"),
    "1/2 reg everywhere": (("svm", "softmax"), "the loss adds 0.5 * reg * np.sum(W * W); this course's loss is"),
    "transposed dW": (("svm", "softmax"), "dW is transposed"),
    "wrong sign": (("svm", "softmax"), "dW has the wrong sign"),
    "forgot to divide by N": (("svm", "softmax"), "the loss and dW are N = 3 times too large"),
    "forgot the correct class": (("svm", "softmax"), "only the correct-class columns dW[:, y[i]] differ"),
    "unstable softmax": (("softmax",), "np.exp overflows for scores above about 709"),
    "log of underflowed p": (("softmax",), "the log of a probability that underflowed to 0"),
}


def student_loss(kind: str, bug: str | None):
    """A vectorized student-style loss(W, X, y, reg) -> (loss, dW) with exactly one bug (None: correct)."""

    def loss_fn(W, X, y, reg):
        W64, X64, y = np.asarray(W, np.float64), np.asarray(X, np.float64), np.asarray(y)
        N, rows = X64.shape[0], np.arange(X64.shape[0])
        s = X64 @ W64
        if kind == "svm":
            margins = np.maximum(0, s - s[rows, y][:, None] + 1)
            margins[rows, y] = 0
            data = margins.sum()
            coef = (margins > 0).astype(float)
            if bug != "forgot the correct class":
                coef[rows, y] = -coef.sum(axis=1)
        else:
            if bug != "unstable softmax":
                s = s - s.max(axis=1, keepdims=True)
            if bug == "log of underflowed p":
                with np.errstate(divide="ignore", under="ignore"):
                    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
                    data_log_p = -np.log(p[rows, y]).sum()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                e = np.exp(s)
                total = e.sum(axis=1)
                p = e / total[:, None]
                data = (np.log(total) - s[rows, y]).sum()  # log-sum-exp: no log of an underflowed p
            if bug == "log of underflowed p":
                data = data_log_p
            coef = p.copy()
            if bug != "forgot the correct class":
                coef[rows, y] -= 1
        dW = X64.T @ coef
        if bug != "forgot to divide by N":
            data, dW = data / N, dW / N
        loss_factor = {"missing reg": 0.0, "1/2 reg everywhere": 0.5}.get(bug, 1.0)
        grad_factor = {"missing reg": 0.0, "1/2 reg in dW": 1.0, "1/2 reg everywhere": 1.0}.get(bug, 2.0)
        loss = data + loss_factor * reg * np.sum(W64 * W64)
        dW = dW + grad_factor * reg * W64
        if bug == "wrong sign":
            dW = -dW
        if bug == "transposed dW":
            dW = dW.T
        return float(loss), dW.astype(np.asarray(W).dtype)

    return loss_fn


def _visible_source(notebook: str, cell_id: str) -> str:
    """The visible cell's code as the built notebook holds it (via the notebooks' own builder), hidden block cut."""
    spec = importlib.util.spec_from_file_location("notebooks_build", REPO / "notebooks" / "_build.py")
    build = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up while the class is created
    spec.loader.exec_module(build)
    nb = build.build(SRC / notebook)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
            return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source, flags=re.S)
    raise AssertionError(f"no visible cell {cell_id!r} in {notebook}")


@pytest.fixture(scope="module")
def sources():
    return {cid: _visible_source(nb, cid) for cid, (nb, *_rest) in CELLS.items()}


@pytest.fixture(scope="module")
def dev_data():
    """What the notebooks' X_dev / y_dev look like: float32 rows of 3072 pixels (mean-subtracted) + bias."""
    rng = np.random.default_rng(0)
    X = rng.normal(0.0, 60.0, size=(40, 3072)).astype(np.float32)
    return np.hstack([X, np.ones((40, 1), np.float32)]), rng.integers(0, 10, size=40)


def run_cell(source: str, cell_id: str, fn, dev_data) -> str:
    """Run a visible cell with `fn` as its TODO; return what it printed, raise what it raised."""
    _, todo, _, twin = CELLS[cell_id]
    X_dev, y_dev = dev_data
    ns = {"np": np, "testing": testing, "require": testing.require, "X_dev": X_dev, "y_dev": y_dev, todo: fn}
    if twin is not None:
        ns[twin[0]] = twin[1]
    exec(compile(source, f"<{cell_id}>", "exec"), ns)


def test_student_style_twin_is_right_when_bug_free():
    rng = np.random.default_rng(1)
    W, X, y = rng.standard_normal((6, 4)), rng.standard_normal((9, 6)), rng.integers(0, 4, 9)
    for kind, ref in (("svm", ref_svm), ("softmax", ref_softmax)):
        loss, dW = student_loss(kind, None)(W, X, y, 0.3)
        want_loss, want_dW = ref(W, X, y, 0.3)
        assert loss == pytest.approx(float(want_loss), rel=1e-12)
        np.testing.assert_allclose(dW, want_dW, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell_id", list(CELLS))
def test_correct_implementations_pass_every_visible_cell(cell_id, sources, dev_data, capsys):
    kind = CELLS[cell_id][2]
    for fn in (student_loss(kind, None), {"svm": ref_svm, "softmax": ref_softmax}[kind]):
        run_cell(sources[cell_id], cell_id, fn, dev_data)
        assert "visible tests passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("cell_id", "bug"),
    [(cell, bug) for cell, (_, _, kind, _) in CELLS.items() for bug, (kinds, _) in BUGS.items() if kind in kinds],
)
def test_each_classic_bug_gets_its_own_hint(cell_id, bug, sources, dev_data):
    hint, kind = BUGS[bug][1], CELLS[cell_id][2]
    with pytest.raises(AssertionError) as err:
        run_cell(sources[cell_id], cell_id, student_loss(kind, bug), dev_data)
    message = str(err.value)
    assert hint in message, f"{cell_id} with {bug!r} said:\n{message}"
    assert "Hint:" in message
    if bug.startswith(("missing reg", "1/2 reg")):
        assert "right for reg = 0 but not for reg" in message  # with vs without regularization
    elif bug not in ("unstable softmax", "log of underflowed p"):
        assert "wrong already without regularization" in message


@pytest.mark.parametrize(
    ("bug", "hint"),
    [
        ("1/2 reg in dW", "dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W"),
        ("missing reg", "dW has no regularization term; add 2 * reg * W"),
        ("wrong sign", "dW has the wrong sign"),
        ("forgot to divide by N", "dW is N = 7 times the derivative of your loss"),
    ],
)
def test_numerical_gradient_check_names_the_bug_and_lists_distinct_entries(bug, hint):
    """The numerical check only sees dW against the student's own loss: gradient-only bugs it can name."""
    rng = np.random.default_rng(1)
    W, X, y = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
    right = student_loss("svm", None)
    buggy = student_loss("svm", bug)
    if bug == "missing reg":  # the loss keeps its reg term, only dW forgot it

        def buggy(W, X, y, reg):
            loss, dW = right(W, X, y, reg)
            return loss, dW - 2 * reg * np.asarray(W)

    if bug == "forgot to divide by N":  # the loss is averaged, the gradient is not

        def buggy(W, X, y, reg):
            loss, dW = right(W, X, y, 0.0)
            return loss + reg * np.sum(W * W), dW * len(y) + 2 * reg * W
    with pytest.raises(AssertionError) as err:
        testing.assert_gradient(buggy, W, X, y, 0.3, name="svm_loss_naive gradient, reg=0.3")
    message = str(err.value)
    assert hint in message, message
    entries = re.findall(r"W\[(\d+), (\d+)\]", message)
    assert len(entries) == 10 and len(set(entries)) == 10  # ten distinct entries, none twice
    assert "class y[i]" not in message and "row y[i]" not in message


# ----------------------------------------------------------------------------- notebook 01: one-example forms

S_TABLE = np.array([[3.2, 1.3, 2.2], [5.1, 4.9, 2.5], [-1.7, 2.0, -3.1]])


def hinge(bug):
    def hinge_loss(scores, y):
        s = np.asarray(scores, dtype=float)
        margins = s - s[y] + (0.0 if bug == "no delta" else 1.0)
        if bug != "no max":
            margins = np.maximum(0.0, margins)
        if bug != "counted the correct class":
            margins[y] = 0.0
        return float(margins.sum())

    return hinge_loss


def soft(bug):
    def softmax(scores):
        s = np.asarray(scores, dtype=float)
        if bug == "normalized the scores":
            return s / s.sum(axis=-1, keepdims=True)
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        if bug == "no normalization":
            return np.exp(s)
        if bug == "axis 0":
            return e / e.sum(axis=0, keepdims=True)
        if bug == "no keepdims":
            return e / e.sum(axis=-1)
        return (e / e.sum(axis=-1, keepdims=True)).astype(np.asarray(scores).dtype)

    return softmax


def xent(bug):
    def cross_entropy_loss(scores, y):
        s = np.asarray(scores, dtype=float)
        shifted = s - s.max()
        log_p = shifted - np.log(np.exp(shifted).sum())
        if bug == "log10":
            return float(-log_p[y] / np.log(10))
        if bug == "sign":
            return float(log_p[y])
        if bug == "predicted class":
            return float(-log_p[int(np.argmax(s))])
        return float(-log_p[y])

    return cross_entropy_loss


ONE_EXAMPLE = {
    "hinge-loss-visible": ("hinge_loss", hinge, {
        "counted the correct class": "The correct class was counted too",
        "no max": "The max(0, ...) is missing",
        "no delta": "The margin delta = 1 is missing",
    }),
    "softmax-visible": ("softmax", soft, {
        "no normalization": "These are exp(scores)",
        "normalized the scores": "These are scores / sum(scores)",
        "axis 0": "Each COLUMN sums to 1: you normalized along axis 0",
        "no keepdims": "Normalize along the LAST axis (axis=-1, keepdims=True)",  # the cell's general hint
    }),
    "cross-entropy-visible": ("cross_entropy_loss", xent, {
        "log10": "That is log10",
        "sign": "The sign is flipped",
        "predicted class": "not of the correct class y",
    }),
}


def _run_one_example(cell_id, fn):
    todo = ONE_EXAMPLE[cell_id][0]
    source = _visible_source("01_scores_and_losses.py", cell_id)
    ns = {"np": np, "testing": testing, "S_table": S_TABLE, "y_table": np.array([0, 1, 2]),
          "classes": ["cat", "car", "frog"], todo: fn}
    exec(compile(source, f"<{cell_id}>", "exec"), ns)


@pytest.mark.parametrize("cell_id", list(ONE_EXAMPLE))
def test_correct_one_example_forms_pass(cell_id, capsys):
    _run_one_example(cell_id, ONE_EXAMPLE[cell_id][1](None))
    assert "visible tests passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("cell_id", "bug"), [(cell, bug) for cell, (_, _, bugs) in ONE_EXAMPLE.items() for bug in bugs]
)
def test_one_example_slips_get_their_own_hint(cell_id, bug):
    _, make, bugs = ONE_EXAMPLE[cell_id]
    with pytest.raises(AssertionError) as err:
        _run_one_example(cell_id, make(bug))
    assert bugs[bug] in str(err.value), str(err.value)
