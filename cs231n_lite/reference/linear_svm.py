"""Multiclass SVM (hinge) loss: one-example form, naive loops, and vectorized.

For one example with scores ``s`` (array of shape (C,)) and correct class ``y``::

    L_i = sum_{j != y} max(0, s_j - s_y + delta)          (delta = 1)

Full loss over N examples (no 1/2 on the regularizer, so its gradient is ``2 * reg * W``)::

    L = (1/N) * sum_i L_i + reg * np.sum(W * W)
"""

from __future__ import annotations

import numpy as np

from .._validation import check_loss_inputs, explain_nonfinite, finish_loss

__all__ = ["hinge_loss", "svm_loss_naive", "svm_loss_vectorized"]


def _check_one_example(scores, y) -> tuple[np.ndarray, int]:
    s = np.asarray(scores)
    if (
        s.ndim != 1
        or s.size == 0
        or not (np.issubdtype(s.dtype, np.floating) or np.issubdtype(s.dtype, np.integer))
    ):
        raise ValueError(
            f"scores must be a 1-D numeric array of shape (C,) for ONE example; got shape {s.shape}, dtype "
            f"{s.dtype}. For a batch use svm_loss_vectorized / softmax_loss_vectorized."
        )
    if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
        raise TypeError(f"y must be one integer class index; got {type(y).__name__} {y!r}.")
    if not 0 <= y < s.size:
        raise ValueError(
            f"y must be a class index in [0, {s.size}) for scores of shape {s.shape}; got y={y}."
        )
    return s.astype(np.result_type(s.dtype, np.float32), copy=False), int(y)


def hinge_loss(scores, y, *, delta=1.0) -> float:
    """Multiclass SVM loss of ONE example: ``sum_{j != y} max(0, s_j - s_y + delta)``.

    Parameters
    ----------
    scores : array of shape (C,)
        Class scores of one example.
    y : int
        Index of the correct class, in ``[0, C)``.
    delta : float, keyword-only
        Margin (1.0 in the lecture).

    Returns
    -------
    float

    Examples
    --------
    The lecture's cat image (scores cat 3.2, car 5.1, frog -1.7; correct class cat):

    >>> round(hinge_loss([3.2, 5.1, -1.7], 0), 2)
    2.9
    >>> hinge_loss([1.3, 4.9, 2.0], 1)  # the car image is classified with margin: zero loss
    0.0
    """
    s, y = _check_one_example(scores, y)
    margins = np.maximum(0.0, s - s[y] + delta)
    margins[y] = 0.0
    return float(margins.sum())


def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss and gradient with explicit loops over examples and classes.

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
    >>> W = np.eye(3); X = np.array([[3.2, 5.1, -1.7]]); y = np.array([0])
    >>> loss, dW = svm_loss_naive(W, X, y, 0.0)
    >>> round(float(loss), 2)
    2.9
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
        correct_class_score = scores[y[i]]
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= N
    dW /= N
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return finish_loss(dtype(loss), dW, W_in, W, X)


def _svm_loss_vectorized(W, X, y, reg):
    """Unchecked vectorized kernel (inputs already validated by :func:`check_loss_inputs`)."""
    N, C = X.shape[0], W.shape[1]
    margins = X @ W  # (N, C) scores, a fresh C-contiguous array we may overwrite
    flat = margins.reshape(-1)  # view; flat[at] are the correct-class entries
    at = np.arange(0, N * C, C) + y
    margins -= flat[at][:, None]
    margins += 1.0  # delta
    flat[at] = 0.0
    np.maximum(margins, 0.0, out=margins)
    loss = margins.sum() / N
    # d loss / d scores: 1 for every positive margin, minus their count on the correct class; / N.
    coef = np.sign(margins, out=margins)  # margins >= 0 here, so sign is the 0/1 indicator
    flat[at] = -np.einsum("ij->i", coef)  # row sums; einsum is much faster than sum(axis=1) for small C
    coef *= 1.0 / N
    dW = X.T @ coef
    if reg:
        w = W.ravel()
        loss = loss + reg * np.dot(w, w)
        dW += (2.0 * reg) * W
    return W.dtype.type(loss), dW


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss and gradient without Python loops.

    Same inputs, outputs and convention as :func:`svm_loss_naive`.

    Examples
    --------
    The lecture's three images (columns of the score table are examples; labels cat, car, frog):

    >>> import numpy as np
    >>> scores = np.array([[3.2, 1.3, 2.2], [5.1, 4.9, 2.5], [-1.7, 2.0, -3.1]])
    >>> loss, dW = svm_loss_vectorized(np.eye(3), scores.T.copy(), np.array([0, 1, 2]), 0.0)
    >>> round(float(loss), 2)
    5.27
    """
    checked = check_loss_inputs(W, X, y, reg)
    loss, dW = _svm_loss_vectorized(*checked)
    return finish_loss(loss, dW, W, checked[0], checked[1])


# Validated-once callers (LinearClassifier.train) use the unchecked kernel directly.
svm_loss_vectorized.unchecked = _svm_loss_vectorized
