"""Reference solutions of the two non-loss TODO functions: ``train_sgd`` and ``numerical_gradient``.

Like the rest of :mod:`cs231n_lite.reference` this module is NOT shipped to students; the hidden
checks in :mod:`autograder.checks` compare student code against it.

Examples
--------
>>> import numpy as np
>>> def quadratic(W, X, y, reg):  # a toy loss: reg * sum(W**2), gradient 2 * reg * W
...     return reg * float(np.sum(W * W)), 2 * reg * W
>>> W_new, history = train_sgd(quadratic, np.ones((2, 2)), np.zeros((5, 2)), np.zeros(5, dtype=int),
...                            learning_rate=0.25, reg=1.0, num_iters=2, batch_size=3)
>>> W_new
array([[0.25, 0.25],
       [0.25, 0.25]])
>>> history
[4.0, 1.0]
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["train_sgd", "numerical_gradient"]


def _check_count(name: str, value, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
    """Minibatch stochastic gradient descent with the course's exact sampling rule.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, X_batch, y_batch, reg) -> (loss, dW)``, e.g. ``svm_loss_vectorized``.
    W : array of shape (D, C)
        Initial weights; never modified.
    X : array of shape (N, D)
        Training data.
    y : array of shape (N,)
        Integer labels.
    learning_rate, reg : float, keyword-only
        Step size and regularization strength (passed through to ``loss_fn``).
    num_iters, batch_size : int, keyword-only
        Number of updates and examples per minibatch (sampled WITH replacement).
    seed : int, keyword-only
        Seed of ``rng = np.random.default_rng(seed)``; each iteration draws
        ``idx = rng.choice(N, size=batch_size, replace=True)``.

    Returns
    -------
    W_new : array of shape (D, C)
        A new array (``W - learning_rate * dW`` after ``num_iters`` updates).
    loss_history : list of float
        ``float(loss)`` of every iteration, in order.

    Examples
    --------
    >>> import numpy as np
    >>> def half_norm(W, X, y, reg):
    ...     return 0.5 * float(np.sum(W * W)), W
    >>> W_new, history = train_sgd(half_norm, np.full((1, 1), 2.0), np.zeros((3, 1)), np.zeros(3, dtype=int),
    ...                            learning_rate=0.5, reg=0.0, num_iters=3, batch_size=2)
    >>> float(W_new[0, 0]), history
    (0.25, [2.0, 0.5, 0.125])
    """
    num_iters = _check_count("num_iters", num_iters, 0)
    batch_size = _check_count("batch_size", batch_size, 1)
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1 or X.shape[0] == 0 or y.shape[:1] != X.shape[:1]:
        raise ValueError(
            f"X must be an array of shape (N, D) with N >= 1 and y an array of shape (N,); got X of shape "
            f"{X.shape} and y of shape {y.shape}."
        )
    N = X.shape[0]
    rng = np.random.default_rng(seed)
    W = np.array(W, copy=True)
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(N, size=batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        W = W - learning_rate * dW
        loss_history.append(float(loss))
    return W, loss_history


def numerical_gradient(f, x, *, h=1e-5, method="centered"):
    """Numerical gradient of a scalar function by finite differences, one entry of ``x`` at a time.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : float array of any shape
        The point; each entry is nudged in place and restored exactly (even if ``f`` raises).
    h : float, keyword-only
        Step size.
    method : {"centered", "forward"}, keyword-only
        ``(f(x + h) - f(x - h)) / (2h)`` (error O(h^2)) or ``(f(x + h) - f(x)) / h`` (error O(h)).

    Returns
    -------
    grad : array like ``x`` (same shape and dtype)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0])
    >>> g = numerical_gradient(lambda v: float(np.sum(v ** 2)), x)
    >>> np.round(g, 6), x
    (array([ 2., -4.]), array([ 1., -2.]))
    >>> np.round(numerical_gradient(lambda v: float(np.sum(v ** 2)), x, h=1e-3, method="forward"), 3)
    array([ 2.001, -3.999])
    """
    if method not in ("centered", "forward"):
        raise ValueError(f"method must be 'centered' or 'forward'; got {method!r}.")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must be a floating numpy array (it is nudged in place); got "
            f"{f'dtype {x.dtype}' if isinstance(x, np.ndarray) else type(x).__name__}. "
            f"Use x = x.astype(np.float64)."
        )
    grad = np.zeros_like(x)
    f_x = float(f(x)) if method == "forward" else None
    for ix in np.ndindex(x.shape):
        old = x[ix].copy()
        try:
            x[ix] = old + h
            f_plus = float(f(x))
            if method == "centered":
                x[ix] = old - h
                grad[ix] = (f_plus - float(f(x))) / (2.0 * h)
            else:
                grad[ix] = (f_plus - f_x) / h
        finally:
            x[ix] = old
    return grad
