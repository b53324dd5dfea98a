"""Reference losses: lecture numbers, naive == vectorized, gradients, validation, dtypes, stability."""

from __future__ import annotations

import doctest
import importlib
import math
import sys
import warnings

import numpy as np
import pytest

from cs231n_lite._validation import check_loss_inputs
from cs231n_lite.gradient_check import eval_numerical_gradient, grad_check_sparse, rel_error
from cs231n_lite.reference import (
    cross_entropy_loss,
    hinge_loss,
    softmax,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)

LOSSES = [svm_loss_naive, svm_loss_vectorized, softmax_loss_naive, softmax_loss_vectorized]
PAIRS = [(svm_loss_naive, svm_loss_vectorized), (softmax_loss_naive, softmax_loss_vectorized)]

# The lecture's score table: rows are classes (cat, car, frog), columns are examples.
LECTURE_SCORES = np.array([[3.2, 1.3, 2.2], [5.1, 4.9, 2.5], [-1.7, 2.0, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])  # cat image, car image, frog image


def lecture_problem():
    """W = I and X = scores.T reproduce the score table exactly: X @ W == scores.T."""
    return np.eye(3), LECTURE_SCORES.T.copy(), LECTURE_LABELS.copy()


def random_problem(N=40, D=15, C=5, *, seed=0, dtype=np.float64, scale=1e-2):
    rng = np.random.default_rng(seed)
    W = (scale * rng.standard_normal((D, C))).astype(dtype)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, size=N)
    return W, X, y


# ---------------------------------------------------------------- lecture's worked numbers


def test_hinge_loss_per_example_matches_lecture():
    losses = [hinge_loss(LECTURE_SCORES[:, i], int(LECTURE_LABELS[i])) for i in range(3)]
    assert losses == pytest.approx([2.9, 0.0, 12.9], abs=1e-12)
    assert np.mean(losses) == pytest.approx(5.2667, abs=1e-4)


@pytest.mark.parametrize("loss_fn", [svm_loss_naive, svm_loss_vectorized])
def test_svm_full_loss_matches_lecture(loss_fn):
    W, X, y = lecture_problem()
    loss, dW = loss_fn(W, X, y, 0.0)
    assert float(loss) == pytest.approx((2.9 + 0 + 12.9) / 3, abs=1e-12)
    assert round(float(loss), 2) == 5.27


def test_hinge_loss_delta_keyword():
    # car image with delta = 0: all margins negative already
    assert hinge_loss([1.3, 4.9, 2.0], 1, delta=0.0) == 0.0
    # delta = 3: max(0, 1.3-4.9+3) + max(0, 2.0-4.9+3) = 0 + 0.1
    assert hinge_loss([1.3, 4.9, 2.0], 1, delta=3.0) == pytest.approx(0.1)


def test_doubling_W_keeps_zero_hinge_loss():
    car = np.array([1.3, 4.9, 2.0])
    assert hinge_loss(car, 1) == 0.0
    assert hinge_loss(2 * car, 1) == 0.0  # 2.6 / 9.8 / 4.0
    W, X, y = lecture_problem()
    x_car, y_car = X[1:2], y[1:2]
    assert float(svm_loss_vectorized(W, x_car, y_car, 0.0)[0]) == 0.0
    assert float(svm_loss_vectorized(2 * W, x_car, y_car, 0.0)[0]) == 0.0
    np.testing.assert_allclose(x_car @ (2 * W), [[2.6, 9.8, 4.0]])


def test_softmax_of_cat_scores_matches_lecture():
    s = np.array([3.2, 5.1, -1.7])
    np.testing.assert_allclose(np.exp(s), [24.5, 164.0, 0.18], atol=0.05)
    p = softmax(s)
    np.testing.assert_allclose(p, [0.13, 0.87, 0.00], atol=0.005)
    assert p.sum() == pytest.approx(1.0)
    assert cross_entropy_loss(s, 0) == pytest.approx(-math.log(p[0]))
    assert round(cross_entropy_loss(s, 0), 2) == 2.04


@pytest.mark.parametrize("loss_fn", [softmax_loss_naive, softmax_loss_vectorized])
def test_softmax_loss_on_cat_example_matches_lecture(loss_fn):
    W, X, y = lecture_problem()
    loss, _ = loss_fn(W, X[:1], y[:1], 0.0)
    assert round(float(loss), 2) == 2.04


def test_svm_vs_softmax_slide_example():
    s = np.array([-2.85, 0.86, 0.28])
    assert hinge_loss(s, 2) == pytest.approx(1.58, abs=1e-12)
    ce = cross_entropy_loss(s, 2)
    assert round(ce, 2) == 1.04  # natural log
    p = softmax(s)[2]
    assert round(p, 3) == 0.353
    assert -math.log10(p) == pytest.approx(0.452, abs=1e-3)  # the slide's 0.452 is the base-10 log


def test_softmax_along_last_axis_of_batch():
    batch = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0]])
    p = softmax(batch)
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(p[0], softmax(batch[0]))
    np.testing.assert_allclose(softmax(np.array([1, 2, 3])), softmax(np.array([1.0, 2.0, 3.0])))


@pytest.mark.parametrize("C", [3, 10])
def test_loss_at_initialization(C):
    W, X, y = random_problem(N=500, D=50, C=C, seed=1, scale=1e-4)
    svm_loss, _ = svm_loss_vectorized(W, X, y, 0.0)
    sm_loss, _ = softmax_loss_vectorized(W, X, y, 0.0)
    assert float(svm_loss) == pytest.approx(C - 1, abs=0.01)
    assert float(sm_loss) == pytest.approx(math.log(C), abs=0.01)


# ---------------------------------------------------------------- naive == vectorized, gradients


@pytest.mark.parametrize("naive, vectorized", PAIRS)
@pytest.mark.parametrize("reg", [0.0, 1e3])
def test_naive_equals_vectorized(naive, vectorized, reg):
    W, X, y = random_problem(N=60, D=20, C=7, seed=2, scale=1.0)
    loss_n, dW_n = naive(W, X, y, reg)
    loss_v, dW_v = vectorized(W, X, y, reg)
    assert abs(float(loss_n) - float(loss_v)) <= 1e-10 * max(1.0, abs(float(loss_n)))
    assert np.max(np.abs(dW_n - dW_v)) <= 1e-10 * max(1.0, np.max(np.abs(dW_n)))


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 5.0])
def test_analytic_gradient_matches_numerical(loss_fn, reg):
    # Scores spread over a few units: few hinge kinks within h of a margin.
    W, X, y = random_problem(N=30, D=8, C=4, seed=3, scale=1.0)
    _, dW = loss_fn(W, X, y, reg)
    num = eval_numerical_gradient(lambda w: float(loss_fn(w, X, y, reg)[0]), W.copy())
    assert rel_error(num, dW) < 1e-7
    errs = grad_check_sparse(lambda w: loss_fn(w, X, y, reg)[0], W.copy(), dW, num_checks=10, seed=4)
    assert errs.max() < 1e-7


def test_reg_term_has_no_half():
    W, X, y = random_problem(seed=5)
    for loss_fn in LOSSES:
        l0, g0 = loss_fn(W, X, y, 0.0)
        l1, g1 = loss_fn(W, X, y, 2.5)
        assert float(l1 - l0) == pytest.approx(2.5 * np.sum(W * W), rel=1e-10)
        np.testing.assert_allclose(g1 - g0, 2 * 2.5 * W, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_inputs_not_mutated(loss_fn):
    W, X, y = random_problem(seed=6)
    W0, X0, y0 = W.copy(), X.copy(), y.copy()
    loss_fn(W, X, y, 1.0)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_float32_path_keeps_dtype(loss_fn):
    W64, X64, y = random_problem(seed=7, scale=1.0)
    W, X = W64.astype(np.float32), X64.astype(np.float32)
    loss, dW = loss_fn(W, X, y, 0.5)
    assert isinstance(loss, np.float32)
    assert dW.dtype == np.float32 and dW.shape == W.shape
    loss64, dW64 = loss_fn(W.astype(np.float64), X.astype(np.float64), y, 0.5)
    assert float(loss) == pytest.approx(float(loss64), rel=1e-5)
    np.testing.assert_allclose(dW, dW64, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_returns_numpy_scalar_and_gradient_of_W_shape(loss_fn):
    W, X, y = random_problem(seed=8)
    loss, dW = loss_fn(W, X, y, 0.1)
    assert np.ndim(loss) == 0 and isinstance(loss, np.float64)
    assert dW.shape == W.shape and dW.dtype == W.dtype
    assert dW is not W


@pytest.mark.parametrize("loss_fn", [softmax_loss_naive, softmax_loss_vectorized])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_stable_at_huge_scores(loss_fn, dtype):
    W = np.eye(3, dtype=dtype)
    X = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=dtype)
    y = np.array([1, 1])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        loss, dW = loss_fn(W, X[:1], y[:1], 0.0)
        loss2, dW2 = loss_fn(W, X, y, 0.0)
    assert float(loss) == 2e4
    assert float(loss2) == 1e4  # mean of 2e4 and 0
    assert np.isfinite(dW).all() and np.isfinite(dW2).all()
    # probs (1, 0, 0) minus one-hot(1) -> dscores (1, -1, 0); dW = x^T dscores
    np.testing.assert_allclose(dW, np.outer(X[0], [1.0, -1.0, 0.0]))


def test_single_example_forms_stable_at_huge_scores():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert cross_entropy_loss([1e4, -1e4, 0.0], 1) == 2e4
        np.testing.assert_array_equal(softmax(np.array([1e4, -1e4, 0.0])), [1.0, 0.0, 0.0])
        assert hinge_loss([1e4, -1e4, 0.0], 1) == pytest.approx(2e4 + 1 + 1e4 + 1)


# ---------------------------------------------------------------- validation


def _base():
    return np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 2]), 0.1


@pytest.mark.parametrize(
    "change, exc, text",
    [
        ({"W": np.zeros(4)}, ValueError, "W must be 2-D, an array of shape (D, C); got shape (4,)"),
        (
            {"X": np.ones((2, 2, 2))},
            ValueError,
            "X must be 2-D, an array of shape (N, D); got shape (2, 2, 2)",
        ),
        (
            {"X": np.ones((2, 5))},
            ValueError,
            "expected X of shape (N, 4) for W of shape (4, 3); got X of shape (2, 5)",
        ),
        ({"X": np.ones((2, 4), dtype=np.complex128)}, TypeError, "got complex dtype complex128"),
        ({"X": np.array([["a"] * 4] * 2)}, TypeError, "X must be a real numeric array of shape (N, D)"),
        ({"y": np.array([0.0, 2.5])}, ValueError, "labels y must be whole numbers (class indices in [0, 3)); got y[1]"),
        ({"y": np.array([0.0, np.nan])}, ValueError, "must be whole numbers"),
        ({"y": np.array([True, False])}, TypeError, "got dtype bool (a boolean array is a mask, not class indices)"),
        ({"W": np.full((4, 3), np.nan)}, ValueError, "W must hold finite numbers"),
        ({"y": np.array([0, 1, 2])}, ValueError, "labels y must be an array of shape (2,)"),
        ({"y": np.array([[0], [2]])}, ValueError, "Use y.ravel()"),
        (
            {"y": np.array([0, 3])},
            ValueError,
            "labels y must be integers in [0, 3) (C = 3 classes, the columns of W); got max 3",
        ),
        ({"y": np.array([-1, 2])}, ValueError, "got min -1"),
        ({"reg": -1.0}, ValueError, "reg must be a finite number >= 0, e.g. reg=1e-3; got reg=-1.0"),
        ({"reg": float("nan")}, ValueError, "got reg=nan"),
        ({"reg": float("inf")}, ValueError, "got reg=inf"),
        ({"reg": "0.1"}, TypeError, "reg must be a real number >= 0"),
        ({"reg": None}, TypeError, "got NoneType None"),
        ({"X": np.ones((0, 4)), "y": np.array([], dtype=int)}, ValueError, "X has no rows"),
        ({"W": None}, TypeError, "W must be a numpy array of shape (D, C); got NoneType"),
    ],
)
@pytest.mark.parametrize("loss_fn", [check_loss_inputs, *LOSSES])
def test_bad_inputs_give_clear_errors(loss_fn, change, exc, text):
    W, X, y, reg = _base()
    args = {"W": W, "X": X, "y": y, "reg": reg}
    args.update(change)
    with pytest.raises(exc) as info:
        loss_fn(args["W"], args["X"], args["y"], args["reg"])
    assert text in str(info.value)


def test_validation_accepts_lists_ints_and_numpy_scalars():
    W, X, y, reg = check_loss_inputs(np.zeros((4, 3)), np.ones((2, 4)), [0, 2], np.float32(0.5))
    assert isinstance(y, np.ndarray) and reg == 0.5 and isinstance(reg, float)
    assert check_loss_inputs(np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 2], dtype=np.uint8), 0)[3] == 0.0


def test_validation_does_not_copy():
    W, X, y, _ = _base()
    W2, X2, y2, _ = check_loss_inputs(W, X, y, 0.0)
    assert W2 is W and X2 is X and y2 is y


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: hinge_loss([[1.0, 2.0]], 0), ValueError, "1-D numeric array of shape (C,) for ONE example"),
        (lambda: hinge_loss([1.0, 2.0], 2), ValueError, "y must be a class index in [0, 2)"),
        (lambda: cross_entropy_loss([1.0, 2.0], 1.0), TypeError, "y must be one integer class index"),
        (lambda: softmax(np.array(3.0)), ValueError, "at least one class along the last axis"),
    ],
)
def test_single_example_forms_validate(call, exc, text):
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


def test_vectorized_have_unchecked_kernels_that_agree():
    W, X, y = random_problem(seed=9)
    for fn in (svm_loss_vectorized, softmax_loss_vectorized):
        l1, g1 = fn(W, X, y, 0.3)
        l2, g2 = fn.unchecked(W, X, y, 0.3)
        assert float(l1) == float(l2)
        np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize(
    "module",
    [
        "cs231n_lite.reference",
        "cs231n_lite.reference.linear_svm",
        "cs231n_lite.reference.softmax",
        "cs231n_lite._validation",
    ],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    mod = sys.modules[module]  # reference.softmax the module, not the function of the same name
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
