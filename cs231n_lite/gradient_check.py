"""Numerical gradients and relative errors for checking analytic gradients (CS231n's call forms).

The centered difference ``(f(x + h) - f(x - h)) / (2h)`` has error O(h^2), far smaller than the
one-sided difference's O(h).  ``f`` is called with the SAME array ``x`` after one entry has been
nudged in place; the entry is always put back exactly afterwards, even if ``f`` raises.

The four functions take CS231n's arguments in CS231n's order, with CS231n's defaults:

- ``eval_numerical_gradient(f, x, verbose=True, h=0.00001)`` -- prints ``ix grad[ix]`` per entry when
  `verbose`;
- ``eval_numerical_gradient_array(f, x, df, h=1e-5)`` -- for array-valued ``f``, the gradient of
  ``sum(f(x) * df)``;
- ``grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5)`` -- prints CS231n's line per check;
- ``rel_error(x, y)``.

Differences from the CS231n starter code, all additions:

- ``grad_check_sparse`` also RETURNS the relative errors (float64 array of shape (num_checks,)), draws the
  entries from numpy's global RNG (so ``np.random.seed`` makes it repeatable; CS231n used Python's
  ``random``), and takes keyword-only ``seed=`` (a private ``default_rng(seed)``, global RNG untouched) and
  ``verbose=``;
- ``f`` may return a ``(loss, grad)`` tuple (its first item is used), so a loss function can be passed
  without a ``lambda ...: ...[0]``;
- bad input gets a clear error: an integer ``x`` (it cannot be nudged), ``h <= 0`` (the classic
  positional ``False`` in the ``h`` slot), an ``analytic_grad`` of the wrong shape, arrays of different
  shapes in ``rel_error`` (CS231n broadcasts them silently);
- relative errors divide by ``max(1e-8, |a| + |b|)``, so two zeros give 0 instead of nan.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["eval_numerical_gradient", "eval_numerical_gradient_array", "grad_check_sparse", "rel_error"]


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


def _check_h(h) -> float:
    if isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Real) or not np.isfinite(h) or h <= 0:
        raise ValueError(
            f"h must be a small positive step such as 1e-5; got h={h!r}. The order is "
            "eval_numerical_gradient(f, x, verbose=True, h=1e-5): pass verbose=False by name."
        )
    return float(h)


def _nudged(f, x: np.ndarray, ix: tuple, h: float, read=_scalar):
    """``(read(f(x + h e_ix)), read(f(x - h e_ix)))``; entry ``ix`` of ``x`` is restored exactly."""
    old = x[ix].copy()
    try:
        x[ix] = old + h
        plus = read(f(x))
        x[ix] = old - h
        minus = read(f(x))
    finally:
        x[ix] = old  # exact restore, even when f raises
    return plus, minus


def eval_numerical_gradient(f, x, verbose=True, h=0.00001):
    """Numerical gradient of a scalar function ``f`` at ``x`` by centered differences (CS231n's signature).

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` (a ``(loss, grad)`` tuple is also accepted; its first item is used).
    x : ndarray of floats, any shape
        Point at which to differentiate; modified temporarily, restored exactly on return.
    verbose : bool
        Print ``ix grad[ix]`` for every entry, as CS231n does (its default; pass ``verbose=False`` to be quiet).
    h : float
        Step size (1e-5 suits float64; use ~1e-2 for float32 arrays).

    Returns
    -------
    grad : float64 array of x's shape

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0])
    >>> np.round(eval_numerical_gradient(lambda v: np.sum(v ** 2), x, verbose=False), 6)
    array([ 2., -4.])
    >>> g = eval_numerical_gradient(lambda v: float(np.sum(v)), np.zeros(2))
    (0,) 1.0
    (1,) 1.0
    """
    x = _check_x(x)
    h = _check_h(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        plus, minus = _nudged(f, x, ix, h)
        grad[ix] = (plus - minus) / (2.0 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of an ARRAY-valued ``f`` contracted with an upstream gradient ``df`` (CS231n's form).

    Returns ``d/dx sum(f(x) * df)``: what a layer's backward pass should return for upstream gradient `df`.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of ``df``'s shape.
    x : ndarray of floats
        Restored exactly.
    df : array
        Upstream gradient, the shape of ``f(x)``.
    h : float
        Step size.

    Returns
    -------
    grad : float64 array of x's shape

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> x = np.array([[1.0, -1.0]])
    >>> np.round(eval_numerical_gradient_array(lambda v: v @ W, x, np.ones((1, 2))), 6)  # df @ W.T
    array([[3., 7.]])
    """
    x = _check_x(x)
    h = _check_h(h)
    df = np.asarray(df, dtype=np.float64)
    grad = np.zeros(x.shape, dtype=np.float64)

    def read(out):
        out = np.array(out, dtype=np.float64)  # a copy: f may return a view of x or a reused buffer
        if out.shape != df.shape:
            raise ValueError(f"f(x) must have df's shape {df.shape}; got {out.shape}.")
        return out

    for ix in np.ndindex(*x.shape):
        plus, minus = _nudged(f, x, ix, h, read)
        grad[ix] = np.sum((plus - minus) * df) / (2.0 * h)
    return grad


def rel_error(x, y):
    """Largest elementwise relative error ``|x - y| / max(1e-8, |x| + |y|)`` (CS231n's helper).

    Returns 0.0 when both are zero (no division by zero).

    Examples
    --------
    >>> rel_error(0.0, 0.0)
    0.0
    >>> round(rel_error([1.0, 2.0], [1.0, 2.2]), 4)  # 0.2 / 4.2
    0.0476
    """
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape; got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, *, seed=None, verbose=True):
    """Compare an analytic gradient with centered differences at a few random entries of ``x``.

    CS231n's signature and printout (``numerical: ... analytic: ..., relative error: ...`` per check), and the
    relative errors are returned as well.

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
    seed : int or None, keyword-only
        None (default): entries come from numpy's global RNG, as ``np.random.randint`` would draw them (so
        ``np.random.seed(0)`` before the call repeats a check, and two calls check different entries).
        An int: a private ``np.random.default_rng(seed)``, leaving the global RNG alone.
    verbose : bool, keyword-only
        Print one line per check (default, as CS231n).

    Returns
    -------
    errors : float64 array of shape (num_checks,)
        Relative error of each checked entry; values below ~1e-7 mean the gradient is right.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> errs = grad_check_sparse(lambda v: np.sum(v ** 3), x, 3 * x ** 2, num_checks=2, seed=0)  # doctest: +ELLIPSIS
    numerical: 48.000000 analytic: 48.000000, relative error: ...
    numerical: 27.000000 analytic: 27.000000, relative error: ...
    >>> errs.shape, bool(errs.max() < 1e-7)
    ((2,), True)
    """
    x = _check_x(x)
    h = _check_h(h)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad must have x's shape {x.shape}; got {analytic_grad.shape}. "
            f"Pass the gradient with respect to x (e.g. dW for x = W)."
        )
    if x.size == 0:
        raise ValueError("x is empty: nothing to check.")
    if seed is None:
        draw = np.random.randint  # the global RNG, which np.random.seed controls
    else:
        draw = np.random.default_rng(seed).integers
    errors = np.empty(int(num_checks), dtype=np.float64)
    for k in range(int(num_checks)):
        ix = tuple(int(draw(n)) for n in x.shape)
        plus, minus = _nudged(f, x, ix, h)
        numerical = (plus - minus) / (2.0 * h)
        analytic = float(analytic_grad[ix])
        errors[k] = rel_error(numerical, analytic)
        if verbose:
            print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {errors[k]:e}")
    return errors
