"""The one edge validator for the loss functions of the course pack.

Every loss has the signature ``loss(W, X, y, reg) -> (loss, dW)`` with

- ``W``: weights, array of shape (D, C) (D input dimensions, C classes);
- ``X``: data, array of shape (N, D) (N examples);
- ``y``: labels, array of shape (N,) with whole-number values in ``[0, C)``;
- ``reg``: regularization strength, a finite real number ``>= 0``.

Dtypes combine the way numpy combines them: ``W`` and ``X`` may be any real numeric dtypes (float32 W with
float64 X, integer or uint8 images, ...); both are brought to ``np.result_type(W, X)``, or float64 when that is
not a floating type (float16 is widened to float32).  Labels may be any integer dtype, or floats holding whole
numbers.  Errors are kept for what is truly wrong: shapes that do not fit, labels that are not whole numbers or
out of range, boolean labels (a mask, not class indices), complex or non-numeric data, a non-finite ``W``.

:func:`check_loss_inputs` runs in O(N + D*C) time (one pass over the labels and the weights; the data itself is
never scanned) so that it can run on every minibatch of an SGD loop.  A non-finite ``X`` is found when it makes
the loss non-finite: :func:`explain_nonfinite` then names the first bad entry.  Errors name what was expected,
what was found, and what to do next.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_loss_inputs",
    "check_features",
    "compute_dtype",
    "grad_dtype",
    "explain_nonfinite",
    "finish_loss",
]


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


def _check_real(name: str, arr: np.ndarray, shape_hint: str) -> None:
    if arr.dtype.kind not in "fiu":
        what = {"c": "complex", "b": "boolean"}.get(arr.dtype.kind, "non-numeric")
        raise TypeError(
            f"{name} must be a real numeric array of shape {shape_hint} (floats or integers); got {what} "
            f"dtype {arr.dtype}. Convert it first, e.g. {name} = np.asarray({name}, dtype=np.float64)."
        )


def compute_dtype(*dtypes) -> np.dtype:
    """The floating dtype numpy arithmetic on these arrays would use (float64 when no float is involved).

    Examples
    --------
    >>> import numpy as np
    >>> compute_dtype(np.float32, np.float64), compute_dtype(np.float32, np.uint8), compute_dtype(np.int64)
    (dtype('float64'), dtype('float32'), dtype('float64'))
    """
    dt = np.result_type(*dtypes)
    if dt.kind != "f":
        return np.dtype(np.float64)
    if dt.itemsize < 4:
        return np.dtype(np.float32)
    return dt


def grad_dtype(W_in, W: np.ndarray) -> np.dtype:
    """dW's dtype: the caller's ``W`` dtype when it is float32/64 (so ``W -= lr * dW`` keeps it), else W.dtype.

    Examples
    --------
    >>> import numpy as np
    >>> grad_dtype(np.zeros(2, np.float32), np.zeros(2)), grad_dtype([0, 1], np.zeros(2))
    (dtype('float32'), dtype('float64'))
    """
    dt = getattr(W_in, "dtype", None)
    return dt if dt is not None and dt.kind == "f" and dt.itemsize >= 4 else W.dtype


def explain_nonfinite(W, X) -> None:
    """Raise ValueError naming the first nan/inf entry of ``X`` or ``W``; return quietly when both are finite.

    Call it when a loss came out non-finite: with finite inputs that is the computation's own overflow.

    Examples
    --------
    >>> import numpy as np
    >>> explain_nonfinite(np.zeros((2, 2)), np.array([[1.0, np.nan]]))
    Traceback (most recent call last):
    ...
    ValueError: X must hold finite numbers (an array of shape (N, D)); got 1 nan/inf entries, the first at X[0, 1] ...
    """
    for name, arr, hint in (("X", X, "(N, D)"), ("W", W, "(D, C)")):
        arr = np.asarray(arr)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))
            first = tuple(int(i) for i in bad[0])
            raise ValueError(
                f"{name} must hold finite numbers (an array of shape {hint}); got {len(bad)} nan/inf entries, "
                f"the first at {name}[{', '.join(map(str, first))}] = {arr[first]}. Check how it was computed "
                "(a division by zero? an image that failed to load? a learning rate that made W blow up?)."
            )


def check_features(W, X) -> tuple[np.ndarray, np.ndarray]:
    """Check a weight matrix and a data matrix against each other (no labels needed).

    Parameters
    ----------
    W : array of shape (D, C)
        Real numeric weights.
    X : array of shape (N, D)
        Real numeric data; its dtype may differ from W's (numpy combines them).

    Returns
    -------
    (W, X) : tuple of numpy arrays, never copied when they already are arrays.

    Examples
    --------
    >>> import numpy as np
    >>> W, X = check_features(np.zeros((4, 3)), np.ones((2, 4), dtype=np.uint8))
    >>> X.shape
    (2, 4)
    """
    W = _as_array("W", W, "(D, C)")
    X = _as_array("X", X, "(N, D)")
    _check_real("W", W, "(D, C)")
    _check_real("X", X, "(N, D)")
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
    """Validate the inputs of a loss function ``loss(W, X, y, reg)`` and bring them to one floating dtype.

    Cheap: shape and dtype checks plus one O(N) pass over ``y`` and one O(D*C) pass over ``W``.

    Parameters
    ----------
    W : array of shape (D, C)
        Weights, any real numeric dtype; finite.
    X : array of shape (N, D)
        Data, any real numeric dtype.
    y : array of shape (N,)
        Labels in ``[0, C)``: integers, or floats holding whole numbers.
    reg : float
        Regularization strength, finite and ``>= 0``.

    Returns
    -------
    (W, X, y, reg)
        ``W`` and ``X`` in their common floating dtype (:func:`compute_dtype`; not copied when already in it),
        ``y`` as integers (int64 when converted from floats), ``reg`` as a Python float.

    Raises
    ------
    TypeError
        Complex, boolean or non-numeric arrays; boolean labels; a non-number ``reg``.
    ValueError
        Wrong shapes, labels that are not whole numbers or out of range, a non-finite ``W``, negative or
        non-finite ``reg``.

    Examples
    --------
    >>> import numpy as np
    >>> W, X, y, reg = check_loss_inputs(np.zeros((4, 3), np.float32), np.ones((2, 4)), np.array([0., 2.]), 0.1)
    >>> W.dtype, X.dtype, y.dtype, reg
    (dtype('float64'), dtype('float64'), dtype('int64'), 0.1)
    >>> check_loss_inputs(np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 3]), 0.1)
    Traceback (most recent call last):
    ...
    ValueError: labels y must be integers in [0, 3) (C = 3 classes, the columns of W); got max 3 ...
    """
    W, X = check_features(W, X)
    dtype = compute_dtype(W.dtype, X.dtype)
    if W.dtype != dtype:
        W = W.astype(dtype)
    if X.dtype != dtype:
        X = X.astype(dtype)
    y = _as_array("y", y, "(N,)")
    N = X.shape[0]
    C = W.shape[1]
    if y.dtype.kind not in "iuf":
        mask = " (a boolean array is a mask, not class indices)" if y.dtype.kind == "b" else ""
        raise TypeError(
            f"labels y must be an array of shape ({N},) of class indices (integers); got dtype {y.dtype}{mask}. "
            "Convert it with y = y.astype(np.int64)."
        )
    if y.ndim != 1 or y.shape[0] != N:
        raise ValueError(
            f"labels y must be an array of shape ({N},) (one label per row of X); got shape {y.shape}."
            + (" Use y.ravel()." if y.size == N else "")
        )
    if N == 0:
        raise ValueError("X has no rows: expected at least one example, got X of shape (0, D).")
    if y.dtype.kind == "f":
        whole = np.isfinite(y) & (y == np.round(y))
        if not whole.all():
            i = int(np.argmin(whole))
            raise ValueError(
                f"labels y must be whole numbers (class indices in [0, {C})); got y[{i}] = {y[i]!r}. "
                "Labels stored as floats are fine when they hold whole numbers."
            )
        y = y.astype(np.int64)
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
    if not np.isfinite(W).all():
        explain_nonfinite(W, X[:0])
    return W, X, y, reg


def finish_loss(loss, dW, W_in, W: np.ndarray, X: np.ndarray):
    """Return ``(loss, dW)`` with dW in :func:`grad_dtype`; a non-finite loss from bad data raises instead.

    ``W_in`` is what the caller passed, ``W`` and ``X`` what :func:`check_loss_inputs` returned.
    """
    if not np.isfinite(loss):
        explain_nonfinite(W, X)
    return loss, np.asarray(dW).astype(grad_dtype(W_in, W), copy=False)
