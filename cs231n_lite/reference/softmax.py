"""Softmax classifier: softmax function, cross-entropy of one example, naive and vectorized losses.

For one example with scores ``s`` (array of shape (C,)) and correct class ``y``::

    L_i = -log(exp(s_y) / sum_j exp(s_j)) = log(sum_j exp(s_j)) - s_y      (natural log)

Every exponential is taken after subtracting the row maximum, so scores of +-1e4 neither
overflow nor produce NaN.  Full loss (no 1/2 on the regularizer, gradient ``2 * reg * W``)::

    L = (1/N) * sum_i L_i + reg * np.sum(W * W)
"""

from __future__ import annotations

import numpy as np

from .._validation import check_loss_inputs, explain_nonfinite, finish_loss
from .linear_svm import _check_one_example

__all__ = ["softmax", "cross_entropy_loss", "softmax_loss_naive", "softmax_loss_vectorized"]


def softmax(scores):
    """Numerically stable softmax along the last axis.

    Parameters
    ----------
    scores : array of shape (..., C)

    Returns
    -------
    probs : array of shape (..., C), floating; each slice along the last axis sums to 1.

    Examples
    --------
    The lecture's cat image: exp gives 24.5, 164.0, 0.18 and the probabilities 0.13, 0.87, 0.00.

    >>> import numpy as np
    >>> np.round(softmax(np.array([3.2, 5.1, -1.7])), 2)
    array([0.13, 0.87, 0.  ])
    >>> softmax(np.array([1e4, -1e4, 0.0]))
    array([1., 0., 0.])
    """
    s = np.asarray(scores)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError(f"scores must have at least one class along the last axis; got shape {s.shape}.")
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float64)
    shifted = s - s.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def cross_entropy_loss(scores, y) -> float:
    """Softmax cross-entropy loss of ONE example: ``-log(softmax(scores)[y])`` (natural log).

    Computed as ``log(sum_j exp(s_j - m)) - (s_y - m)`` with ``m = max(s)``, so it is exact even
    when ``softmax(scores)[y]`` underflows to 0.

    Parameters
    ----------
    scores : array of shape (C,)
    y : int
        Index of the correct class.

    Returns
    -------
    float

    Examples
    --------
    >>> round(cross_entropy_loss([3.2, 5.1, -1.7], 0), 2)  # lecture: -log(0.13) = 2.04
    2.04
    >>> cross_entropy_loss([1e4, -1e4, 0.0], 1)
    20000.0
    """
    s, y = _check_one_example(scores, y)
    shifted = s - s.max()
    with np.errstate(under="ignore"):
        log_sum = np.log(np.exp(shifted).sum())
    return float(log_sum - shifted[y])


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss and gradient with explicit loops over examples and classes.

    Parameters
    ----------
    W : array of shape (D, C)
        Weights (float32 or float64; other real dtypes are converted, see :mod:`cs231n_lite._validation`).
    X : array of shape (N, D)
        Data; numpy's dtype rules combine it with ``W`` (float32 W with float64 X computes in float64,
        uint8 images with float32 W in float32).
    y : array of shape (N,)
        Labels in ``[0, C)``: integers, or floats holding whole numbers.
    reg : float
        Regularization strength; the loss adds ``reg * np.sum(W * W)`` (no 1/2).

    Returns
    -------
    loss : numpy scalar of the computation dtype (W's dtype when W and X share it)
    dW : array of shape (D, C), W's dtype (float64 when W is not float32/float64)

    Examples
    --------
    >>> import numpy as np
    >>> loss, dW = softmax_loss_naive(np.eye(3), np.array([[3.2, 5.1, -1.7]]), np.array([0]), 0.0)
    >>> round(float(loss), 2)
    2.04
    """
    W_in = W
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    explain_nonfinite(W, X)  # the loops may step around a nan (nan > 0 is False): check the data up front
    dtype = W.dtype.type
    N, C = X.shape[0], W.shape[1]
    dW = np.zeros_like(W)
    loss = dtype(0.0)
    for i in range(N):
        scores = X[i].dot(W)
        scores = scores - scores.max()  # stability: exp of values <= 0 never overflows
        with np.errstate(under="ignore"):
            exp_scores = np.exp(scores)
        total = exp_scores.sum()
        loss += np.log(total) - scores[y[i]]
        for j in range(C):
            p_j = exp_scores[j] / total
            dW[:, j] += (p_j - (j == y[i])) * X[i]
    loss /= N
    dW /= N
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return finish_loss(dtype(loss), dW, W_in, W, X)


def _softmax_loss_vectorized(W, X, y, reg):
    """Unchecked vectorized kernel (inputs already validated by :func:`check_loss_inputs`)."""
    N, C = X.shape[0], W.shape[1]
    s = X @ W  # (N, C) scores, a fresh C-contiguous array we may overwrite
    # Row maxima via a (C, N) copy: reducing over its first axis is ~8x faster than s.max(axis=1).
    s -= np.ascontiguousarray(s.T).max(axis=0)[:, None]
    flat = s.reshape(-1)  # view; flat[at] are the correct-class entries
    at = np.arange(0, N * C, C) + y
    correct_sum = flat[at].sum()
    with np.errstate(under="ignore"):
        np.exp(s, out=s)
    totals = np.einsum("ij->i", s)  # row sums, >= 1 since each row holds exp(0)
    loss = (np.log(totals).sum() - correct_sum) / N
    s *= (1.0 / N / totals)[:, None]  # probabilities / N
    flat[at] -= 1.0 / N
    dW = X.T @ s
    if reg:
        w = W.ravel()
        loss = loss + reg * np.dot(w, w)
        dW += (2.0 * reg) * W
    return W.dtype.type(loss), dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss and gradient without Python loops.

    Same inputs, outputs and convention as :func:`softmax_loss_naive`.

    Examples
    --------
    >>> import numpy as np
    >>> loss, dW = softmax_loss_vectorized(np.eye(3), np.array([[1e4, -1e4, 0.0]]), np.array([1]), 0.0)
    >>> float(loss), bool(np.isfinite(dW).all())
    (20000.0, True)
    """
    checked = check_loss_inputs(W, X, y, reg)
    loss, dW = _softmax_loss_vectorized(*checked)
    return finish_loss(loss, dW, W, checked[0], checked[1])


# Validated-once callers (LinearClassifier.train) use the unchecked kernel directly.
softmax_loss_vectorized.unchecked = _softmax_loss_vectorized
