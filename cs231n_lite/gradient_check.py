"""Numerical gradients and relative errors for checking analytic gradients.

The centered difference ``(f(x + h) - f(x - h)) / (2h)`` has error O(h^2), far smaller than the
one-sided difference's O(h).  ``f`` is called with the SAME array ``x`` after one entry has been
nudged in place; the entry is always put back exactly afterwards, even if ``f`` raises.
"""

from __future__ import annotations

import numpy as np

__all__ = ["eval_numerical_gradient", "grad_check_sparse", "rel_error"]


def _scalar(value) -> float:
    """Accept ``f`` returning a scalar or a ``(loss, grad)`` tuple."""
    if isinstance(value, tuple):
        value = value[0]
    return float(value)


def _check_x(x) -> np.ndarray:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"x must be a floating numpy array (it is nudged in place); got {got}. "
            f"Use x = x.astype(np.float64)."
        )
    return x


def _centered_difference(f, x: np.ndarray, ix: tuple, h: float) -> float:
    old = x[ix].copy()
    try:
        x[ix] = old + h
        f_plus = _scalar(f(x))
        x[ix] = old - h
        f_minus = _scalar(f(x))
    finally:
        x[ix] = old  # exact restore, even when f raises
    return (f_plus - f_minus) / (2.0 * h)


def eval_numerical_gradient(f, x, h=1e-5):
    """Numerical gradient of a scalar function ``f`` at ``x`` by centered differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` (a ``(loss, grad)`` tuple is also accepted; its first item is used).
    x : ndarray of floats, any shape
        Point at which to differentiate; modified temporarily, restored exactly on return.
    h : float
        Step size (1e-5 suits float64; use ~1e-2 for float32 arrays).

    Returns
    -------
    grad : float64 array of x's shape

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0])
    >>> np.round(eval_numerical_gradient(lambda v: np.sum(v ** 2), x), 6)
    array([ 2., -4.])
    """
    x = _check_x(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        grad[ix] = _centered_difference(f, x, ix, h)
    return grad


def rel_error(a, b):
    """Largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    Returns 0.0 when both are zero (no division by zero).

    Examples
    --------
    >>> rel_error(0.0, 0.0)
    0.0
    >>> round(rel_error([1.0, 2.0], [1.0, 2.2]), 4)  # 0.2 / 4.2
    0.0476
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape; got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, *, seed=0, verbose=False):
    """Compare an analytic gradient with centered differences at a few random entries of ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` (or ``(loss, grad)``).
    x : ndarray of floats
        Point of the check; restored exactly.
    analytic_grad : ndarray of x's shape
        The gradient to check.
    num_checks : int
        How many random entries to check (drawn with replacement).
    h : float
        Step of the centered difference.
    seed : int, keyword-only
        Seed of the entry choice.
    verbose : bool, keyword-only
        Print one line per check (numerical, analytic, relative error).

    Returns
    -------
    errors : float64 array of shape (num_checks,)
        Relative error of each checked entry; values below ~1e-7 mean the gradient is right.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> errs = grad_check_sparse(lambda v: np.sum(v ** 3), x, 3 * x ** 2, num_checks=3)
    >>> errs.shape, bool(errs.max() < 1e-7)
    ((3,), True)
    """
    x = _check_x(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad must have x's shape {x.shape}; got {analytic_grad.shape}. "
            f"Pass the gradient with respect to x (e.g. dW for x = W)."
        )
    if x.size == 0:
        raise ValueError("x is empty: nothing to check.")
    rng = np.random.default_rng(seed)
    errors = np.empty(int(num_checks), dtype=np.float64)
    for k in range(int(num_checks)):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        numerical = _centered_difference(f, x, ix, h)
        analytic = float(analytic_grad[ix])
        errors[k] = rel_error(numerical, analytic)
        if verbose:
            print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {errors[k]:e}")
    return errors
