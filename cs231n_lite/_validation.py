"""The one edge validator for the loss functions of the course pack.

Every loss has the signature ``loss(W, X, y, reg) -> (loss, dW)`` with

- ``W``: weights, array of shape (D, C) (D input dimensions, C classes), float32 or float64;
- ``X``: data, array of shape (N, D) (N examples), same dtype as ``W``;
- ``y``: labels, integer array of shape (N,) with values in ``[0, C)``;
- ``reg``: regularization strength, a finite real number ``>= 0``.

:func:`check_loss_inputs` checks all of that in O(N) time (one pass over the labels; the data
itself is never scanned) so that it can run on every minibatch of an SGD loop.  Errors name
what was expected, what was found, and what to do next.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_loss_inputs", "check_features"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_array(name: str, value, shape_hint: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a numpy array of shape {shape_hint}; got {type(value).__name__}.")
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be a numpy array of shape {shape_hint}; got {type(value).__name__} that numpy "
            f"cannot convert ({exc})."
        ) from None


def _check_float(name: str, arr: np.ndarray, shape_hint: str) -> None:
    if arr.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{name} must be a float32 or float64 array of shape {shape_hint}; got dtype {arr.dtype}. "
            f"Convert it first, e.g. {name} = {name}.astype(np.float32)."
        )


def check_features(W, X) -> tuple[np.ndarray, np.ndarray]:
    """Check a weight matrix and a data matrix against each other (no labels needed).

    Parameters
    ----------
    W : array of shape (D, C)
        Float32 or float64 weights.
    X : array of shape (N, D)
        Float32 or float64 data; its dtype may differ from ``W`` here (prediction only).

    Returns
    -------
    (W, X) : tuple of numpy arrays, never copied when they already are arrays.

    Examples
    --------
    >>> import numpy as np
    >>> W, X = check_features(np.zeros((4, 3)), np.ones((2, 4)))
    >>> X.shape
    (2, 4)
    """
    W = _as_array("W", W, "(D, C)")
    X = _as_array("X", X, "(N, D)")
    _check_float("W", W, "(D, C)")
    _check_float("X", X, "(N, D)")
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D, an array of shape (D, C); got shape {W.shape}.")
    if X.ndim != 2:
        hint = " Use X.reshape(len(X), -1) to flatten images." if X.ndim > 2 else ""
        raise ValueError(f"X must be 2-D, an array of shape (N, D); got shape {X.shape}.{hint}")
    D, C = W.shape
    if X.shape[1] != D:
        raise ValueError(
            f"X has {X.shape[1]} columns but W has {D} rows: expected X of shape (N, {D}) for W of shape "
            f"({D}, {C}); got X of shape {X.shape}. Did you forget (or apply twice) the bias trick?"
        )
    return W, X


def check_loss_inputs(W, X, y, reg) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Validate the inputs of a loss function ``loss(W, X, y, reg)``.

    Cheap: shape and dtype checks plus one O(N) pass over ``y`` for the label range.

    Parameters
    ----------
    W : array of shape (D, C)
        Weights, float32 or float64.
    X : array of shape (N, D)
        Data, same dtype as ``W``.
    y : array of shape (N,)
        Integer labels in ``[0, C)``.
    reg : float
        Regularization strength, finite and ``>= 0``.

    Returns
    -------
    (W, X, y, reg) : the inputs as numpy arrays (not copied) and ``reg`` as a Python float.

    Raises
    ------
    TypeError
        Wrong types or dtypes (including W and X of different float dtypes).
    ValueError
        Wrong shapes, labels out of range, negative or non-finite ``reg``.

    Examples
    --------
    >>> import numpy as np
    >>> W, X, y, reg = check_loss_inputs(np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 2]), 0.1)
    >>> reg
    0.1
    >>> check_loss_inputs(np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 3]), 0.1)
    Traceback (most recent call last):
    ...
    ValueError: labels y must be integers in [0, 3) (C = 3 classes, the columns of W); got max 3 ...
    """
    W, X = check_features(W, X)
    if W.dtype != X.dtype:
        raise TypeError(
            f"W and X must have the same dtype; got W {W.dtype} and X {X.dtype}. "
            f"Cast X with X = X.astype(W.dtype) (or W with W = W.astype(X.dtype))."
        )
    y = _as_array("y", y, "(N,)")
    N = X.shape[0]
    C = W.shape[1]
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(
            f"labels y must be an integer array of shape ({N},); got dtype {y.dtype}. "
            f"Convert it with y = y.astype(np.int64)."
        )
    if y.ndim != 1 or y.shape[0] != N:
        raise ValueError(
            f"labels y must be an array of shape ({N},) (one label per row of X); got shape {y.shape}."
            + (" Use y.ravel()." if y.size == N else "")
        )
    if N == 0:
        raise ValueError("X has no rows: expected at least one example, got X of shape (0, D).")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= C:
        bad = hi if hi >= C else lo
        which = "max" if hi >= C else "min"
        raise ValueError(
            f"labels y must be integers in [0, {C}) (C = {C} classes, the columns of W); got {which} {bad} "
            f"(labels span [{lo}, {hi}]). Check that W has one column per class: W.shape = {W.shape}."
        )
    if isinstance(reg, (bool, np.bool_)) or not isinstance(reg, numbers.Real):
        raise TypeError(f"reg must be a real number >= 0, e.g. reg=1e-3; got {type(reg).__name__} {reg!r}.")
    reg = float(reg)
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"reg must be a finite number >= 0, e.g. reg=1e-3; got reg={reg!r}.")
    return W, X, y, reg
