"""Numerical gradients, sparse checks and relative errors."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from cs231n_lite import gradient_check
from cs231n_lite.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_centered_difference_is_exact_for_quadratics():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    grad = eval_numerical_gradient(lambda v: np.sum(v**2) + 3 * v[0, 1], x, verbose=False)
    expected = 2 * x
    expected[0, 1] += 3
    np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=1e-8)
    assert grad.dtype == np.float64 and grad.shape == x.shape


def test_centered_beats_one_sided_difference_on_a_cubic():
    # d/dx x^3 at 1 is 3; centered error = h^2 = 1e-4 for h = 1e-2, one-sided error ~ 3h = 3e-2
    x = np.array([1.0])
    grad = eval_numerical_gradient(lambda v: float(v[0] ** 3), x, verbose=False, h=1e-2)
    assert grad[0] == pytest.approx(3.0 + 1e-4, abs=1e-10)


def test_accepts_loss_grad_tuples():
    x = np.array([2.0])
    grad = eval_numerical_gradient(lambda v: (float(v[0] ** 2), None), x, verbose=False)
    assert grad[0] == pytest.approx(4.0, abs=1e-8)


def test_x_restored_exactly_bit_for_bit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)) * 1e3 + 0.1  # values where x + h - h != x in floating point
    before = x.copy()
    eval_numerical_gradient(lambda v: float(np.sum(np.sin(v))), x, h=1e-5)
    np.testing.assert_array_equal(x, before)
    grad_check_sparse(lambda v: float(np.sum(np.sin(v))), x, np.cos(x), num_checks=20)
    np.testing.assert_array_equal(x, before)


def test_x_restored_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 2:  # fail on the x - h evaluation, after x + h was written
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        eval_numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[0][0] == pytest.approx(1.0 + 1e-5)  # f really saw the nudged array


def test_f_sees_the_same_array_object():
    x = np.zeros(2)
    seen = set()
    eval_numerical_gradient(lambda v: seen.add(id(v)) or 0.0, x)
    assert seen == {id(x)}


def test_grad_check_sparse_returns_rel_errors():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    errs = grad_check_sparse(lambda v: float(np.sum(v**3)), x, 3 * x**2, num_checks=7, seed=1)
    assert errs.shape == (7,) and errs.dtype == np.float64
    assert errs.max() < 1e-8
    bad = grad_check_sparse(lambda v: float(np.sum(v**3)), x, 2 * x**2, num_checks=7, seed=1)
    np.testing.assert_allclose(bad, 0.2, atol=1e-6)  # |3 - 2| / (3 + 2) for every entry


def test_grad_check_sparse_seed_is_deterministic_and_quiet_on_request(capsys):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    wrong = 2 * x + np.arange(12).reshape(3, 4)  # error differs per entry
    a = grad_check_sparse(f, x, wrong, num_checks=5, seed=3, verbose=False)
    assert capsys.readouterr().out == ""
    b = grad_check_sparse(f, x, wrong, num_checks=5, seed=3)  # CS231n's default: one line per check
    np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert out.count("relative error") == 5 and "numerical:" in out and "analytic:" in out


def test_grad_check_sparse_prints_cs231n_lines_and_returns_the_same_errors(capsys):
    x = np.arange(1.0, 7.0).reshape(2, 3)
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    errors = grad_check_sparse(f, x, 2 * x + 1.0, 4, 1e-5, seed=0)  # CS231n's positional order
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    for line, err in zip(lines, errors, strict=True):
        numerical, analytic = float(line.split()[1]), float(line.split()[3].rstrip(","))
        assert line == f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {err:e}"
        assert analytic == pytest.approx(numerical + 1.0, abs=1e-5)  # 2x + 1 vs the true 2x
        assert err == pytest.approx(1.0 / (2 * numerical + 1.0), rel=1e-6)


def test_grad_check_sparse_follows_np_random_seed():
    """CS231n code seeds numpy's global RNG once; repeated checks must then test NEW entries, reproducibly."""
    x = np.arange(1.0, 401.0).reshape(20, 20)
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    wrong = 2 * x + np.arange(400).reshape(20, 20)  # the error identifies the entry
    np.random.seed(231)
    first = grad_check_sparse(f, x, wrong, verbose=False)
    second = grad_check_sparse(f, x, wrong, verbose=False)
    assert not np.allclose(first, second)  # "with regularization" re-check looks at other entries
    np.random.seed(231)
    np.testing.assert_array_equal(grad_check_sparse(f, x, wrong, verbose=False), first)
    np.testing.assert_array_equal(grad_check_sparse(f, x, wrong, verbose=False), second)
    # an explicit seed uses a private generator and leaves the global stream where it was
    np.random.seed(5)
    expected_next = np.random.rand()
    np.random.seed(5)
    grad_check_sparse(f, x, wrong, seed=1, verbose=False)
    assert np.random.rand() == expected_next


def test_eval_numerical_gradient_cs231n_forms(capsys):
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    grad = eval_numerical_gradient(f, x)  # CS231n default verbose=True: "ix grad[ix]" per entry
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(")")[0] + ")" for line in lines] == ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]
    assert [float(line.split(")")[1]) for line in lines] == pytest.approx(grad.ravel().tolist())
    quiet = eval_numerical_gradient(f, x, False)  # positional verbose, as CS231n notebooks call it
    assert capsys.readouterr().out == ""
    np.testing.assert_allclose(quiet, 2 * x, rtol=1e-8)
    coarse = eval_numerical_gradient(f, x, False, 0.1)  # positional h after verbose
    np.testing.assert_allclose(coarse, 2 * x, rtol=1e-8)  # exact for a quadratic at any h
    assert eval_numerical_gradient(f, x, verbose=False, h=1e-3).shape == (2, 2)


@pytest.mark.parametrize("h", [0, 0.0, -1e-5, False, float("nan")])
def test_bad_step_names_the_argument_order(h):
    with pytest.raises(ValueError, match=r"h must be a small positive step .* pass verbose=False by name"):
        eval_numerical_gradient(lambda v: 0.0, np.zeros(2), False, h)


def test_eval_numerical_gradient_array_matches_a_layer_backward():
    """CS231n checks a layer's backward pass with eval_numerical_gradient_array(f, x, dout)."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    before = x.copy()
    dx_num = eval_numerical_gradient_array(lambda v: v @ w + b, x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: x @ v + b, w, dout)
    db_num = eval_numerical_gradient_array(lambda v: x @ w + v, b, dout)
    assert rel_error(dx_num, dout @ w.T) < 1e-8
    assert rel_error(dw_num, x.T @ dout) < 1e-8
    assert rel_error(db_num, dout.sum(axis=0)) < 1e-8
    np.testing.assert_array_equal(x, before)
    # ReLU: f returns a view-like fresh array; the helper copies, so plus/minus do not alias
    dx_out = rng.standard_normal(x.shape)
    relu = eval_numerical_gradient_array(lambda v: np.maximum(0, v), x, dx_out)
    np.testing.assert_allclose(relu, dx_out * (x > 0), atol=1e-8)
    # f returning x itself (same buffer, nudged in place) still works because outputs are copied
    ident = eval_numerical_gradient_array(lambda v: v, x, np.ones_like(x))
    np.testing.assert_allclose(ident, np.ones_like(x), rtol=1e-8)
    with pytest.raises(ValueError, match=r"f\(x\) must have df's shape \(2,\); got \(4, 3\)"):
        eval_numerical_gradient_array(lambda v: v @ w, x, np.ones(2))


def test_grad_check_sparse_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"analytic_grad must have x's shape \(2, 2\); got \(4,\)"):
        grad_check_sparse(lambda v: 0.0, np.zeros((2, 2)), np.zeros(4))


def test_integer_x_is_rejected_with_advice():
    with pytest.raises(TypeError, match=r"x = x.astype\(np.float64\)"):
        eval_numerical_gradient(lambda v: 0.0, np.array([1, 2]))


def test_rel_error():
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    assert rel_error(1e-12, 0.0) == pytest.approx(1e-4)  # tiny values are measured against 1e-8
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


def test_docstring_examples_run():
    result = doctest.testmod(gradient_check)
    assert result.failed == 0 and result.attempted > 0
