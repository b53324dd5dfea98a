"""Checks for the notebooks' VISIBLE test cells (these ship to students).

Every helper raises :class:`AssertionError` with a message that says what was expected, what was
found, and a hint; on success it returns quietly (or returns the measured number). Nothing here
knows the solutions: expected values are numbers from the lecture that the visible test passes in, or
properties (a numerical gradient, two implementations agreeing).

Hints name the bug that actually happened.  :func:`diagnose_loss_grad` compares a loss function's
``(loss, dW)`` with the expected values at ``reg = 0`` and at ``reg > 0`` and recognises the classic
mistakes from the shape of the difference: a missing, halved or sign-flipped regularization term, a
transposed or sign-flipped ``dW``, a forgotten division by N, a missing correct-class term (the
difference lies exactly in the columns ``dW[:, y[i]]``), an overflowing softmax; otherwise it lists the
entries that differ most.  :func:`check_loss_grad`, :func:`assert_gradient` and :func:`assert_same_loss`
all report through it.

:func:`require` guards cells that cannot run before an earlier TODO is done: it raises
:class:`TodoNotFinishedError` naming the TODO and its cell instead of a confusing traceback.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "TODOS",
    "TodoNotFinishedError",
    "assert_close",
    "assert_gradient",
    "assert_same_loss",
    "check_loss_grad",
    "diagnose_loss_grad",
    "require",
]


class TodoNotFinishedError(NotImplementedError):
    """A cell needs a TODO function that still raises ``NotImplementedError``."""


def _loss_probe():
    W = np.zeros((4, 3))
    X = np.arange(8.0).reshape(2, 4)
    return (W, X, np.array([0, 2]), 0.0), {}


def _sgd_probe():
    def zero_loss(W, X, y, reg):
        return 0.0, np.zeros_like(W)

    (W, X, y, _), _ = _loss_probe()
    return (zero_loss, W, X, y), {"learning_rate": 0.1, "reg": 0.0, "num_iters": 1, "batch_size": 1}


#: TODO function name -> (where it is written, tiny call that reaches the student's code)
TODOS = {
    "hinge_loss": ("cell 'hinge-loss' in 01_scores_and_losses", lambda: ((np.array([1.0, 2.0, 0.5]), 0), {})),
    "softmax": ("cell 'softmax' in 01_scores_and_losses", lambda: ((np.array([1.0, 2.0, 0.5]),), {})),
    "cross_entropy_loss": (
        "cell 'cross-entropy' in 01_scores_and_losses",
        lambda: ((np.array([1.0, 2.0, 0.5]), 0), {}),
    ),
    "svm_loss_naive": ("cell 'svm-naive' in 02_svm", _loss_probe),
    "svm_loss_vectorized": (
        "cell 'svm-vectorized' in 02_svm; in 04_optimization and 05_features paste your version into cell 'svm-paste'",
        _loss_probe,
    ),
    "train_sgd": ("cell 'train-sgd' in 02_svm", _sgd_probe),
    "softmax_loss_naive": ("cell 'softmax-naive' in 03_softmax", _loss_probe),
    "softmax_loss_vectorized": ("cell 'softmax-vectorized' in 03_softmax", _loss_probe),
    "numerical_gradient": (
        "cell 'numerical-gradient' in 04_optimization",
        lambda: ((lambda x: float(np.sum(x * x)), np.ones(2)), {}),
    ),
    "color_histogram_hsv": (
        "cell 'color-hist' in 05_features",
        lambda: ((np.zeros((1, 2, 2, 3), np.uint8),), {}),
    ),
}


def require(*funcs) -> None:
    """Stop with a clear message when a needed TODO function is not written yet.

    Each function is called once on a tiny input; if it raises ``NotImplementedError`` (the
    released stub), :class:`TodoNotFinishedError` names the TODO and its cell. Any other error is
    left for the real call to report.

    Examples
    --------
    >>> def hinge_loss(scores, y):
    ...     raise NotImplementedError()
    >>> require(hinge_loss)
    Traceback (most recent call last):
    ...
    cs231n_lite.testing.TodoNotFinishedError: finish TODO `hinge_loss` (cell 'hinge-loss' in 01_scores_and_losses) first: this cell needs it, and it still raises NotImplementedError.
    """
    for func in funcs:
        name = getattr(func, "__name__", repr(func))
        if name not in TODOS:
            raise ValueError(f"require() knows the TODO functions {sorted(TODOS)}; got {name!r}.")
        where, probe = TODOS[name]
        args, kwargs = probe()
        try:
            func(*args, **kwargs)
        except NotImplementedError:
            raise TodoNotFinishedError(
                f"finish TODO `{name}` ({where}) first: this cell needs it, and it still raises "
                "NotImplementedError."
            ) from None
        except Exception:  # a bug in the student's code: the real call below reports it
            pass


def _fmt(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):.6g}" if np.issubdtype(arr.dtype, np.number) else repr(value)
    return np.array2string(arr, precision=4, threshold=12, suppress_small=True)


def assert_close(
    actual,
    expected,
    *,
    name: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str = "",
    mistakes: dict | None = None,
) -> None:
    """Assert that ``actual`` matches ``expected`` in shape and value.

    Parameters
    ----------
    actual, expected : number or array
    name : str, keyword-only
        What is compared, used in the message (e.g. ``"hinge_loss(cat column)"``).
    rtol, atol : float, keyword-only
        Tolerances as in :func:`numpy.allclose`.
    hint : str, keyword-only
        Appended to the failure message when no known mistake matches.
    mistakes : dict, keyword-only
        ``{explanation: value that mistake produces}`` (or a predicate ``f(actual) -> bool`` instead of the value):
        when ``actual`` matches one of them (same tolerances), its explanation is the hint -- the bug that
        actually happened, not a general advice.

    Examples
    --------
    >>> assert_close(2.9000001, 2.9, name="loss")
    >>> assert_close([1.0, 2.0], [1.0, 2.5], name="scores")
    Traceback (most recent call last):
    ...
    AssertionError: scores: expected [1.  2.5], got [1. 2.] (largest difference 0.5 at index (1,)).
    >>> assert_close(3.9, 2.9, name="hinge", hint="Sum over the wrong classes.",
    ...              mistakes={"The correct class was counted too (it adds max(0, 0 + 1) = 1).": 2.9 + 1})
    Traceback (most recent call last):
    ...
    AssertionError: hinge: expected 2.9, got 3.9 (largest difference 1). The correct class was counted too (it adds max(0, 0 + 1) = 1).
    """
    for explanation, value in (mistakes or {}).items():
        try:
            hit = bool(value(actual)) if callable(value) else _close(actual, value, rtol=rtol, atol=atol)
            if hit and not _close(actual, expected, rtol=rtol, atol=atol):
                hint = explanation
                break
        except (TypeError, ValueError):
            continue
    tail = f" {hint}" if hint else ""
    if actual is None:
        raise AssertionError(f"{name}: expected {_fmt(expected)}, got None — did you forget `return`?{tail}")
    exp = np.asarray(expected, dtype=float)
    try:
        act = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name}: expected a number/array like {_fmt(expected)}, got {actual!r}.{tail}"
        ) from None
    if exp.ndim == 0 and act.size == 1 and act.ndim > 0:
        raise AssertionError(
            f"{name}: expected a single number, got an array of shape {act.shape}; return a float "
            f"(e.g. float(loss)).{tail}"
        )
    if act.shape != exp.shape:
        raise AssertionError(f"{name}: expected shape {exp.shape}, got shape {act.shape}.{tail}")
    if not np.all(np.isfinite(act)):
        raise AssertionError(
            f"{name}: got non-finite values {_fmt(act)} (overflow? subtract the max first).{tail}"
        )
    if not np.allclose(act, exp, rtol=rtol, atol=atol):
        diff = np.abs(act - exp)
        where = (
            ""
            if exp.ndim == 0
            else f" at index {tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))}"
        )
        raise AssertionError(
            f"{name}: expected {_fmt(exp)}, got {_fmt(act)} (largest difference {diff.max():.3g}{where}).{tail}"
        )


def _rel_error(a: float, b: float) -> float:
    return abs(a - b) / max(1e-12, abs(a) + abs(b))


# ------------------------------------------------------------------------------------------------ diagnosis


def _close(got, exp, *, rtol: float, atol: float) -> bool:
    got, exp = np.asarray(got, dtype=float), np.asarray(exp, dtype=float)
    return got.shape == exp.shape and bool(np.allclose(got, exp, rtol=rtol, atol=atol))


def _factor(got: np.ndarray, ref: np.ndarray, *, rtol: float, atol: float) -> float | None:
    """k such that got ~= k * ref (least squares, then checked elementwise), or None."""
    got, ref = np.asarray(got, dtype=float).ravel(), np.asarray(ref, dtype=float).ravel()
    denom = float(ref @ ref)
    if got.shape != ref.shape or denom == 0.0:
        return None
    k = float(got @ ref) / denom
    return k if np.allclose(got, k * ref, rtol=rtol, atol=atol) else None


def _near(k: float | None, target: float) -> bool:
    return k is not None and abs(k - target) <= 1e-3 * max(1.0, abs(target))


def _entries(got: np.ndarray, exp: np.ndarray, *, limit: int = 4) -> str:
    """The distinct entries that differ most: 'dW[d, c] (input d, class c): expected e, got g'."""
    diff = np.abs(np.asarray(got, dtype=float) - np.asarray(exp, dtype=float))
    order = np.argsort(diff, axis=None, kind="stable")[::-1][:limit]
    lines = []
    for flat in order:
        if diff.flat[flat] == 0:
            break
        d, c = np.unravel_index(int(flat), diff.shape)
        lines.append(
            f"  dW[{d}, {c}] (input dimension {d}, class {c}): expected {float(exp[d, c]):.6g}, "
            f"got {float(got[d, c]):.6g}"
        )
    return "\n".join(lines)


def _correct_class_part(diff: np.ndarray, X: np.ndarray, y: np.ndarray, *, rtol: float, atol: float):
    """Coefficients a with diff ~= sum_i a_i * outer(X[i], e_{y[i]}) (the correct-class columns), or None."""
    D, C = diff.shape
    basis = np.zeros((D * C, len(y)))
    for i, (x, c) in enumerate(zip(X, y, strict=True)):
        B = np.zeros((D, C))
        B[:, int(c)] = x
        basis[:, i] = B.ravel()
    if not basis.any():
        return None
    a, *_ = np.linalg.lstsq(basis, diff.ravel(), rcond=None)
    if not np.allclose(basis @ a, diff.ravel(), rtol=rtol, atol=atol):
        return None
    return a


def _data_hint(got_loss, got_dW, exp_loss, exp_dW, X, y, *, rtol, atol) -> tuple[str, str]:
    """(what is wrong, hint) for the reg = 0 part."""
    N = len(y)
    loss_ok = _close(got_loss, exp_loss, rtol=rtol, atol=atol)
    dW_ok = _close(got_dW, exp_dW, rtol=rtol, atol=atol)
    k_loss = _factor(got_loss, exp_loss, rtol=rtol, atol=atol)
    k_dW = _factor(got_dW, exp_dW, rtol=rtol, atol=atol)
    what = (
        f"with reg = 0 the loss is {float(got_loss):.6g} (expected {float(exp_loss):.6g})"
        if not loss_ok
        else "with reg = 0 the loss is right"
    )
    what += "" if dW_ok else ", and dW differs" if not loss_ok else " but dW differs"
    if N > 1 and _near(k_dW, N) or (dW_ok and N > 1 and _near(k_loss, N)):
        return what, (
            f"the loss and dW are N = {N} times too large: divide the sum over the examples by N "
            "(loss /= num_train, dW /= num_train) before adding the regularization."
        )
    if N > 1 and _near(k_dW, 1.0 / N):
        return what, f"dW is N = {N} times too small: it is divided by N twice."
    if _near(k_dW, -1.0):
        return what, (
            "dW has the wrong sign: it is -dL/dW. dW[d, c] must be the derivative of the loss with respect "
            "to W[d, c], so that SGD's W -= learning_rate * dW goes downhill."
        )
    if np.shape(exp_dW)[0] == np.shape(exp_dW)[1] and _close(
        got_dW, np.asarray(exp_dW).T, rtol=rtol, atol=atol
    ):
        return what, (
            "dW is transposed: dW[d, c] is the derivative with respect to W[d, c] (row d = input dimension, "
            "column c = class), the layout of W (D, C). X.T @ dscores has that shape; dscores.T @ X is its "
            "transpose."
        )
    if not dW_ok:
        a = _correct_class_part(
            np.asarray(got_dW, float) - np.asarray(exp_dW, float), X, y, rtol=rtol, atol=atol
        )
        if a is not None:
            sign = "missing" if np.mean(a) > 0 else "counted with the wrong sign or twice"
            return what, (
                f"only the correct-class columns dW[:, y[i]] differ: the correct class's own term is {sign}. "
                "Each example also moves W[:, y[i]]: for the SVM subtract X[i] once per class with a positive "
                "margin; for softmax the correct class gets (p_y - 1) * X[i]."
            )
        if not np.any(got_dW):
            return what, "dW is all zeros: the gradient is never added up (dW[:, j] += ... for each example)."
        if k_dW is not None:
            return what, f"dW is {k_dW:.4g} times the expected one: check the factors in the gradient."
        return what, "the entries of dW that differ most:\n" + _entries(got_dW, exp_dW)
    return what, (
        f"dW is right but the loss is off by {float(got_loss) - float(exp_loss):+.6g}: check the loss value itself "
        "(each example's loss, summed and averaged over N)."
    )


def _reg_hint(part: str, got_delta, exp_delta, N: int, *, rtol, atol) -> str:
    """Hint for the regularization part of the loss ('loss') or of the gradient ('dW')."""
    term = "reg * np.sum(W * W)" if part == "loss" else "2 * reg * W"
    subject = "the loss" if part == "loss" else "dW"
    k = _factor(got_delta, exp_delta, rtol=rtol, atol=atol)
    if _near(k, 0.0) or not np.any(np.asarray(got_delta)):
        return f"{subject} has no regularization term: add {term}."
    if _near(k, 0.5):
        if part == "loss":
            return (
                "the loss adds 0.5 * reg * np.sum(W * W); this course's loss is reg * np.sum(W * W) (no 1/2), "
                "whose gradient is 2 * reg * W."
            )
        return "dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W."
    if _near(k, -1.0):
        return f"the regularization term of {subject} has the wrong sign: add {term}, do not subtract it."
    if N > 1 and _near(k, 1.0 / N):
        return f"the regularization term of {subject} is divided by N = {N}: only the data term is averaged."
    if _near(k, 2.0):
        return f"the regularization term of {subject} is added twice (or doubled): add {term} once."
    if k is not None:
        return f"the regularization term of {subject} is {k:.4g} times {term}."
    return f"the regularization part of {subject} is not {term}."


def diagnose_loss_grad(
    name: str,
    W,
    X,
    y,
    reg: float,
    got0: tuple,
    got_reg: tuple,
    exp0: tuple,
    exp_reg: tuple,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> str | None:
    """Explain how ``(loss, dW)`` pairs differ from the expected ones; None when they match.

    Parameters
    ----------
    name : str
        Shown in the message.
    W, X, y : arrays of shape (D, C), (N, D), (N,)
        The inputs of the four calls.
    reg : float
        The regularization strength of `got_reg` / `exp_reg` (> 0).
    got0, got_reg, exp0, exp_reg : tuples (loss, dW)
        What the function returned at reg = 0 and at `reg`, and what was expected.

    Returns
    -------
    str or None
        ``"<name>: <what differs>.\\nHint: <the bug this pattern means>"``.

    Examples
    --------
    >>> import numpy as np
    >>> W, X, y = np.eye(2), np.eye(2), np.array([0, 1])
    >>> exp0 = (0.5, np.array([[-0.25, 0.25], [0.25, -0.25]]))
    >>> exp1 = (exp0[0] + 0.1 * 2, exp0[1] + 0.2 * W)
    >>> got1 = (exp1[0], exp0[1] + 0.1 * W)             # dW adds reg * W instead of 2 * reg * W
    >>> print(diagnose_loss_grad("f", W, X, y, 0.1, exp0, got1, exp0, exp1))
    f: right for reg = 0 but not for reg = 0.1 (dW differs).
    Hint: dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    for label, (loss, dW) in (("reg = 0", got0), (f"reg = {reg:g}", got_reg)):
        if not np.all(np.isfinite(np.asarray(loss, dtype=float))) or not np.all(np.isfinite(dW)):
            scores = np.abs(X @ np.asarray(W, dtype=float)).max()
            if np.isinf(loss) and np.all(np.isfinite(dW)):
                hint = (
                    "the loss is the log of a probability that underflowed to 0: compute -log p_y as "
                    "log(sum_j exp(s_j - max)) - (s_y - max) instead of taking np.log of the probability."
                )
            elif scores > 700:
                hint = (
                    "np.exp overflows for scores above about 709 (here the largest |score| is "
                    f"{scores:.6g}): subtract each row's largest score before exponentiating; softmax is "
                    "unchanged by that shift."
                )
            else:
                hint = "look for a division by zero or a log of 0."
            return f"{name}: the loss or dW is not finite (nan/inf) with {label}.\nHint: {hint}"
    N = len(y)
    if not (
        _close(got0[0], exp0[0], rtol=rtol, atol=atol) and _close(got0[1], exp0[1], rtol=rtol, atol=atol)
    ):
        what, hint = _data_hint(*got0, *exp0, X, y, rtol=rtol, atol=atol)
        return f"{name}: wrong already without regularization: {what}.\nHint: {hint}"
    loss_ok = _close(got_reg[0], exp_reg[0], rtol=rtol, atol=atol)
    dW_ok = _close(got_reg[1], exp_reg[1], rtol=rtol, atol=atol)
    if loss_ok and dW_ok:
        return None
    hints = []
    if not loss_ok:
        hints.append(
            _reg_hint(
                "loss",
                float(got_reg[0]) - float(got0[0]),
                float(exp_reg[0]) - float(exp0[0]),
                N,
                rtol=rtol,
                atol=atol,
            )
        )
    if not dW_ok:
        hints.append(
            _reg_hint(
                "dW",
                np.asarray(got_reg[1], float) - np.asarray(got0[1], float),
                np.asarray(exp_reg[1], float) - np.asarray(exp0[1], float),
                N,
                rtol=rtol,
                atol=atol,
            )
        )
    which = " and ".join(p for p, ok in (("the loss", loss_ok), ("dW", dW_ok)) if not ok)
    verb = "differs" if loss_ok or dW_ok else "differ"
    return f"{name}: right for reg = 0 but not for reg = {reg:g} ({which} {verb}).\nHint: " + "\nHint: ".join(
        hints
    )


def _call_loss(fn, name: str, W, X, y, reg):
    """Call ``fn`` on copies; check the output form; return (loss as float, dW as float64 array)."""
    W0, X0, y0 = np.array(W), np.array(X), np.array(y)
    out = fn(W0.copy(), X0.copy(), y0.copy(), reg)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError(f"{name}: must return a tuple (loss, dW); got {type(out).__name__}.")
    loss, dW = out
    if dW is None:
        raise AssertionError(f"{name}: dW is None — did you forget to return it?")
    if np.ndim(loss) != 0:
        raise AssertionError(f"{name}: loss must be a single number; got an array of shape {np.shape(loss)}.")
    shape = np.shape(dW)
    if shape != W0.shape:
        hint = (
            " It is W.T's shape: dW[d, c] is the derivative with respect to W[d, c] (row = input dimension, "
            "column = class); X.T @ dscores has W's shape."
            if shape == W0.T.shape
            else ""
        )
        raise AssertionError(f"{name}: dW must have the shape of W {W0.shape}; got {shape}.{hint}")
    return float(loss), np.asarray(dW, dtype=np.float64)


def check_loss_grad(
    loss_fn,
    W,
    X,
    y,
    *,
    expected_loss: float,
    expected_dW,
    name: str,
    reg: float = 0.1,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> None:
    """Check a loss function on a small problem whose answer the visible test knows (e.g. from the lecture).

    ``loss_fn(W, X, y, reg) -> (loss, dW)`` is called with ``reg = 0`` and with `reg`.  The expected values
    for ``reg = 0`` are given; for `reg` they follow from the course's convention
    ``loss + reg * np.sum(W * W)`` and ``dW + 2 * reg * W``.  On a mismatch the AssertionError names what
    differs (with or without regularization, loss or dW, which entries) and the bug that pattern means.

    Parameters
    ----------
    loss_fn : callable
    W : array of shape (D, C)
    X : array of shape (N, D)
    y : array of shape (N,)
    expected_loss : float, keyword-only
        The loss at ``reg = 0``.
    expected_dW : array of shape (D, C), keyword-only
        The gradient at ``reg = 0``.
    name : str, keyword-only
        Shown in the message.
    reg : float, keyword-only
        The regularization strength of the second call (> 0).
    rtol, atol : float, keyword-only
        Tolerances of the comparisons.

    Examples
    --------
    The lecture's three images with X = identity (row i of W is example i's scores):

    >>> import numpy as np
    >>> W = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    >>> def forgot_to_average(W, X, y, reg):
    ...     N = len(y)
    ...     s = X @ W
    ...     m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    ...     m[np.arange(N), y] = 0
    ...     mask = (m > 0).astype(float)
    ...     mask[np.arange(N), y] = -mask.sum(axis=1)
    ...     return m.sum() + reg * np.sum(W * W), X.T @ mask + 2 * reg * W
    >>> check_loss_grad(forgot_to_average, W, np.eye(3), np.array([0, 1, 2]), expected_loss=15.8 / 3,
    ...                 expected_dW=np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3, name="svm")
    Traceback (most recent call last):
    ...
    AssertionError: svm: wrong already without regularization: with reg = 0 the loss is 15.8 (expected 5.26667), and dW differs.
    Hint: the loss and dW are N = 3 times too large: divide the sum over the examples by N (loss /= num_train, dW /= num_train) before adding the regularization.
    """
    W = np.asarray(W, dtype=np.float64)
    exp_dW = np.asarray(expected_dW, dtype=np.float64)
    exp0 = (float(expected_loss), exp_dW)
    exp_reg = (float(expected_loss) + reg * float(np.sum(W * W)), exp_dW + 2 * reg * W)
    got0 = _call_loss(loss_fn, name, W, X, y, 0.0)
    got_reg = _call_loss(loss_fn, name, W, X, y, reg)
    message = diagnose_loss_grad(name, W, X, y, reg, got0, got_reg, exp0, exp_reg, rtol=rtol, atol=atol)
    if message is not None:
        raise AssertionError(message)


def assert_gradient(
    loss_fn,
    W,
    X,
    y,
    reg,
    *,
    name: str,
    num_checks: int = 10,
    h: float = 1e-5,
    tol: float = 1e-5,
    seed: int = 0,
) -> float:
    """Compare the analytic gradient of ``loss_fn`` with centered differences at distinct random entries.

    ``loss_fn(W, X, y, reg) -> (loss, dW)``. Works in float64 on copies. Returns the largest
    relative error; raises ``AssertionError`` if it exceeds ``tol``, with the checked entries and a hint
    chosen from how analytic and numerical values differ (sign, factor, only with regularization, the
    regularization gradient ``reg * W`` instead of ``2 * reg * W``, ...).

    Examples
    --------
    >>> def l2(W, X, y, reg):
    ...     return reg * np.sum(W * W), 2 * reg * W
    >>> assert_gradient(l2, np.ones((3, 2)), np.ones((1, 3)), np.array([0]), 0.5, name="l2") < 1e-8
    True
    """
    W = np.array(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    _, dW = _call_loss(loss_fn, name, W, X, y, reg)
    rng = np.random.default_rng(seed)
    picks = rng.choice(W.size, size=min(int(num_checks), W.size), replace=False)
    entries = [tuple(int(i) for i in np.unravel_index(int(p), W.shape)) for p in picks]

    def numerical(r):
        out = []
        for ix in entries:
            old = W[ix]
            W[ix] = old + h
            plus = float(loss_fn(W.copy(), X, y, r)[0])
            W[ix] = old - h
            minus = float(loss_fn(W.copy(), X, y, r)[0])
            W[ix] = old
            out.append((plus - minus) / (2 * h))
        return np.array(out)

    num = numerical(reg)
    ana = np.array([dW[ix] for ix in entries])
    errs = np.array([_rel_error(n, a) for n, a in zip(num, ana, strict=True)])
    worst = float(errs.max())
    if worst <= tol:
        return worst
    report = "\n".join(
        f"  W[{d}, {c}] (input dimension {d}, class {c}): numerical {n:.6g}, analytic {a:.6g}, relative error {e:.2e}"
        for (d, c), n, a, e in zip(entries, num, ana, errs, strict=True)
    )
    hint = _gradient_hint(loss_fn, W, X, y, reg, entries, num, ana, numerical, tol=tol)
    raise AssertionError(
        f"{name}: analytic gradient disagrees with the numerical one (largest relative error {worst:.2e} > "
        f"{tol:.0e}) at these distinct entries:\n{report}\nHint: {hint}"
    )


def _factor_hint(ana, num, N: int, prefix: str) -> str | None:
    k = _factor(ana, num, rtol=1e-4, atol=1e-7)
    if _near(k, -1.0):
        return (
            f"{prefix}dW has the wrong sign: it is -dL/dW (SGD's W -= learning_rate * dW must go downhill)."
        )
    if N > 1 and _near(k, N):
        return f"{prefix}dW is N = {N} times the derivative of your loss: divide the gradient's data term by N as well."
    if N > 1 and _near(k, 1.0 / N):
        return (
            f"{prefix}dW is 1/N = 1/{N} of the derivative of your loss: is the gradient divided by N twice?"
        )
    if k is not None:
        return f"{prefix}dW is {k:.4g} times the derivative of your loss: check the factors."
    return None


def _gradient_hint(loss_fn, W, X, y, reg, entries, num, ana, numerical, *, tol) -> str:
    N = len(np.asarray(y))
    generic = (
        "the listed entries differ; dW[d, c] must be the derivative of the loss with respect to W[d, c]. "
        "Compare what you add to dW[:, j] for a wrong class j and to dW[:, y[i]] for the correct class."
    )
    if not reg:
        return _factor_hint(ana, num, N, "") or generic
    _, dW0 = _call_loss(loss_fn, "loss", W, X, y, 0.0)
    num0 = numerical(0.0)
    ana0 = np.array([dW0[ix] for ix in entries])
    if max(_rel_error(n, a) for n, a in zip(num0, ana0, strict=True)) > tol:
        return (
            _factor_hint(ana0, num0, N, "wrong already for reg = 0: ")
            or f"wrong already for reg = 0: {generic}"
        )
    Wv = np.array([W[ix] for ix in entries])
    m = _factor(ana - ana0, num - num0, rtol=1e-4, atol=1e-7)
    vs_2regW = _factor(ana - ana0, 2 * reg * Wv, rtol=1e-4, atol=1e-7)
    where = f"right for reg = 0, wrong for reg = {reg:g}: "
    if _near(m, 0.5) or _near(vs_2regW, 0.5):
        return where + "dW adds reg * W, but the derivative of reg * np.sum(W * W) is 2 * reg * W."
    if _near(vs_2regW, 0.0):
        return where + "dW has no regularization term; add 2 * reg * W."
    if _near(m, -1.0):
        return where + "the regularization gradient has the wrong sign."
    return where + (
        "the regularization gradient does not match the regularization term of the loss "
        "(reg * np.sum(W * W) has gradient 2 * reg * W)."
    )


def assert_same_loss(fn_a, fn_b, W, X, y, reg, *, names=("naive", "vectorized"), rtol: float = 1e-6) -> None:
    """Assert that two loss functions agree on the loss and on dW, with a hint naming how they differ.

    ``fn_a`` is the one trusted (e.g. the naive version that passed its checks); both are also called with
    ``reg = 0`` so that the message can say whether the difference is in the data or the regularization term.

    Examples
    --------
    >>> def a(W, X, y, reg):
    ...     return float(np.sum(W)), np.ones_like(W)
    >>> assert_same_loss(a, a, np.ones((2, 2)), np.ones((1, 2)), np.array([0]), 0.0)
    """
    name = f"{names[1]} vs {names[0]}"
    exp_reg = _call_loss(fn_a, names[0], W, X, y, reg)
    got_reg = _call_loss(fn_b, names[1], W, X, y, reg)
    scale = max(1e-12, float(np.abs(exp_reg[1]).max()))
    tol = {"rtol": max(rtol, 1e-5), "atol": 1e-6 * scale}
    if _close(got_reg[0], exp_reg[0], rtol=max(rtol, 1e-6), atol=1e-8) and _close(
        got_reg[1], exp_reg[1], **tol
    ):
        return
    if reg:
        exp0 = _call_loss(fn_a, names[0], W, X, y, 0.0)
        got0 = _call_loss(fn_b, names[1], W, X, y, 0.0)
    else:
        exp0, got0 = exp_reg, got_reg
        reg = 1e-300  # no regularization part to blame: the reg = 0 comparison decides
    message = diagnose_loss_grad(name, W, X, y, reg, got0, got_reg, exp0, exp_reg, **tol)
    raise AssertionError(
        message
        or f"{name}: loss {got_reg[0]:.6g} vs {exp_reg[0]:.6g}; compare the margin mask / probabilities the two use."
    )
