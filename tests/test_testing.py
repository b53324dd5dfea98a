"""cs231n_lite.testing: the visible-test helpers and the TODO guard."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_lite import testing


def test_assert_close_passes_and_fails_with_message():
    testing.assert_close(5.2667, 5.2667, name="loss")
    testing.assert_close([0.13, 0.87], [0.13, 0.87], name="p")
    with pytest.raises(
        AssertionError, match=r"loss: expected 5.27, got 5.3 \(largest difference 0.03\). hint!"
    ):
        testing.assert_close(5.3, 5.27, name="loss", hint="hint!")
    with pytest.raises(AssertionError, match=r"forget `return`"):
        testing.assert_close(None, 1.0, name="loss")
    with pytest.raises(AssertionError, match=r"expected shape \(3,\), got shape \(2,\)"):
        testing.assert_close([1.0, 2.0], [1.0, 2.0, 3.0], name="s")
    with pytest.raises(AssertionError, match=r"single number, got an array of shape \(1,\)"):
        testing.assert_close(np.array([2.9]), 2.9, name="hinge")
    with pytest.raises(AssertionError, match=r"non-finite"):
        testing.assert_close([np.nan, 1.0], [0.5, 0.5], name="softmax")
    with pytest.raises(AssertionError, match=r"at index \(1,\)"):
        testing.assert_close([1.0, 2.0], [1.0, 2.5], name="s")
    with pytest.raises(AssertionError, match=r"expected a number/array"):
        testing.assert_close("abc", 1.0, name="s")


def _svm(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    m[np.arange(N), y] = 0
    mask = (m > 0).astype(float)
    mask[np.arange(N), y] = -mask.sum(1)
    return float(m.sum() / N + reg * np.sum(W * W)), X.T @ mask / N + 2 * reg * W


def test_assert_gradient_accepts_right_and_rejects_wrong_gradients():
    rng = np.random.default_rng(0)
    W, X, y = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
    assert testing.assert_gradient(_svm, W, X, y, 0.3, name="svm") < 1e-7

    def no_reg_grad(W, X, y, reg):
        loss, dW = _svm(W, X, y, reg)
        return loss, dW - 2 * reg * W

    with pytest.raises(AssertionError, match=r"svm: analytic gradient disagrees .* relative error"):
        testing.assert_gradient(no_reg_grad, W, X, y, 0.3, name="svm")
    with pytest.raises(AssertionError, match=r"tuple \(loss, dW\)"):
        testing.assert_gradient(lambda W, X, y, reg: 1.0, W, X, y, 0.0, name="f")
    with pytest.raises(AssertionError, match=r"shape of W"):
        testing.assert_gradient(lambda W, X, y, reg: (1.0, None), W, X, y, 0.0, name="f")
    W_before = W.copy()
    testing.assert_gradient(_svm, W, X, y, 0.0, name="svm")
    assert np.array_equal(W, W_before)


def test_assert_same_loss():
    rng = np.random.default_rng(1)
    W, X, y = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
    testing.assert_same_loss(_svm, _svm, W, X, y, 0.1)

    def off_by_reg(W, X, y, reg):
        loss, dW = _svm(W, X, y, reg)
        return loss, dW + 1.0

    with pytest.raises(AssertionError, match=r"dW of vectorized differs from naive"):
        testing.assert_same_loss(_svm, off_by_reg, W, X, y, 0.1)
    with pytest.raises(AssertionError, match=r"loss of vectorized vs naive"):
        testing.assert_same_loss(_svm, lambda *a: (_svm(*a)[0] + 1, _svm(*a)[1]), W, X, y, 0.1)


def test_require_names_the_todo_and_cell():
    def svm_loss_naive(W, X, y, reg):
        raise NotImplementedError()

    with pytest.raises(
        testing.TodoNotFinishedError, match=r"finish TODO `svm_loss_naive` \(cell 'svm-naive' in 02_svm\)"
    ):
        testing.require(svm_loss_naive)
    assert issubclass(testing.TodoNotFinishedError, NotImplementedError)


def test_require_passes_for_working_and_buggy_functions():
    def hinge_loss(scores, y):
        return 0.0

    def train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
        return loss_fn(W, X, y, reg)

    def numerical_gradient(f, x, *, h=1e-5, method="centered"):
        raise ZeroDivisionError("student bug: reported by the real call, not by require")

    testing.require(hinge_loss, train_sgd, numerical_gradient)


def test_require_rejects_unknown_functions():
    def helper():
        pass

    with pytest.raises(ValueError, match=r"knows the TODO functions"):
        testing.require(helper)


def test_every_contract_todo_is_known():
    assert set(testing.TODOS) == {
        "hinge_loss",
        "softmax",
        "cross_entropy_loss",
        "svm_loss_naive",
        "svm_loss_vectorized",
        "train_sgd",
        "softmax_loss_naive",
        "softmax_loss_vectorized",
        "numerical_gradient",
        "color_histogram_hsv",
    }
