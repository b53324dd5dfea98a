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
    with pytest.raises(AssertionError, match=r"dW is None"):
        testing.assert_gradient(lambda W, X, y, reg: (1.0, None), W, X, y, 0.0, name="f")
    with pytest.raises(AssertionError, match=r"shape of W \(5, 4\); got \(4, 5\). It is W.T's shape"):
        testing.assert_gradient(lambda W, X, y, reg: (1.0, W.T), W, X, y, 0.0, name="f")
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

    with pytest.raises(AssertionError, match=r"vectorized vs naive: wrong already without regularization") as err:
        testing.assert_same_loss(_svm, off_by_reg, W, X, y, 0.1)
    assert "the entries of dW that differ most" in str(err.value)

    def half_reg(W, X, y, reg):
        loss, dW = _svm(W, X, y, reg)
        return loss, dW - reg * W

    with pytest.raises(AssertionError, match=r"right for reg = 0 but not for reg = 0.1 \(dW differs\)") as err:
        testing.assert_same_loss(_svm, half_reg, W, X, y, 0.1)
    assert "dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W" in str(err.value)
    with pytest.raises(AssertionError, match=r"dW is right but the loss is off by \+1"):
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


def test_check_loss_grad_lecture_table_and_its_diagnoses():
    W = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    X, y = np.eye(3), np.array([0, 1, 2])
    expected = {"expected_loss": 15.8 / 3, "expected_dW": np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3}
    testing.check_loss_grad(_svm, W, X, y, name="svm", **expected)  # right: quiet
    cases = [
        (lambda W, X, y, reg: (_svm(W, X, y, reg)[0], -_svm(W, X, y, reg)[1]), "dW has the wrong sign"),
        (lambda W, X, y, reg: (_svm(W, X, y, reg)[0], _svm(W, X, y, reg)[1].T), "dW is transposed"),
        (lambda W, X, y, reg: (_svm(W, X, y, 0.0)[0] + 2 * reg * np.sum(W * W), _svm(W, X, y, reg)[1]),
         "added twice"),
        (lambda W, X, y, reg: (_svm(W, X, y, 0.0)[0] - reg * np.sum(W * W), _svm(W, X, y, reg)[1]),
         "the regularization term of the loss has the wrong sign"),
        (lambda W, X, y, reg: (_svm(W, X, y, 0.0)[0] + reg * np.sum(W * W) / 3, _svm(W, X, y, reg)[1]),
         "is divided by N = 3"),
        (lambda W, X, y, reg: (_svm(W, X, y, reg)[0], _svm(W, X, y, reg)[1] / 3), "divided by N twice"),
        (lambda W, X, y, reg: (_svm(W, X, y, reg)[0], 2.5 * _svm(W, X, y, reg)[1]), "dW is 2.5 times"),
        (lambda W, X, y, reg: (1.0, np.zeros((3, 3))), "dW is all zeros"),
        (lambda W, X, y, reg: (_svm(W, X, y, reg)[0], _svm(W, X, y, reg)[1] + np.eye(3)[::-1]),
         "the entries of dW that differ most"),
    ]
    for fn, hint in cases:
        with pytest.raises(AssertionError) as err:
            testing.check_loss_grad(fn, W, X, y, name="svm", **expected)
        assert hint in str(err.value), (hint, str(err.value))
    with pytest.raises(AssertionError, match=r"dW must have the shape of W \(3, 3\); got \(2, 3\)"):
        testing.check_loss_grad(lambda W, X, y, reg: (1.0, np.zeros((2, 3))), W, X, y, name="svm", **expected)
    with pytest.raises(AssertionError, match=r"loss must be a single number"):
        testing.check_loss_grad(lambda W, X, y, reg: (np.ones(3), W), W, X, y, name="svm", **expected)


def test_entries_are_distinct_and_named_by_row_and_column():
    W = np.arange(12.0).reshape(4, 3)
    got = W.copy()
    got[2, 1] += 5.0
    got[0, 2] -= 1.0
    text = testing._entries(got, W)
    assert text.splitlines() == [
        "  dW[2, 1] (input dimension 2, class 1): expected 7, got 12",
        "  dW[0, 2] (input dimension 0, class 2): expected 2, got 1",
    ]


def test_testing_docstrings_run():
    import doctest

    result = doctest.testmod(testing, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 6
