"""Checks for the notebooks' VISIBLE test cells (these ship to students).

Every helper raises :class:`AssertionError` with a message that says what was expected, what was
found, and a hint; on success it returns quietly (or returns the measured number). Nothing here
knows the solutions: expected values are numbers from the lecture or properties (a numerical
gradient, two implementations agreeing).

:func:`require` guards cells that cannot run before an earlier TODO is done: it raises
:class:`TodoNotFinishedError` naming the TODO and its cell instead of a confusing traceback.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "TODOS",
    "TodoNotFinishedError",
    "assert_close",
    "assert_gradient",
    "assert_same_loss",
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
    "color_histogram_hsv": ("cell 'color-hist' in 05_features", lambda: ((np.zeros((1, 2, 2, 3), np.uint8),), {})),
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
    actual, expected, *, name: str, rtol: float = 1e-5, atol: float = 1e-8, hint: str = ""
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
        Appended to the failure message.

    Examples
    --------
    >>> assert_close(2.9000001, 2.9, name="loss")
    >>> assert_close([1.0, 2.0], [1.0, 2.5], name="scores")
    Traceback (most recent call last):
    ...
    AssertionError: scores: expected [1.  2.5], got [1. 2.] (largest difference 0.5 at index (1,)).
    """
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
    """Compare the analytic gradient of ``loss_fn`` with centered differences at random entries.

    ``loss_fn(W, X, y, reg) -> (loss, dW)``. Works in float64 on copies. Returns the largest
    relative error; raises ``AssertionError`` if it exceeds ``tol``.

    Examples
    --------
    >>> def l2(W, X, y, reg):
    ...     return reg * np.sum(W * W), 2 * reg * W
    >>> assert_gradient(l2, np.ones((3, 2)), np.ones((1, 3)), np.array([0]), 0.5, name="l2") < 1e-8
    True
    """
    W = np.array(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    out = loss_fn(W.copy(), X, y, reg)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError(f"{name}: must return a tuple (loss, dW); got {type(out).__name__}.")
    loss, dW = out
    if dW is None or np.shape(dW) != W.shape:
        raise AssertionError(f"{name}: dW must have the shape of W {W.shape}; got {np.shape(dW)}.")
    if not isinstance(loss, numbers.Real) and np.ndim(loss) != 0:
        raise AssertionError(f"{name}: loss must be a single number; got shape {np.shape(loss)}.")
    dW = np.asarray(dW, dtype=np.float64)
    rng = np.random.default_rng(seed)
    worst, report = 0.0, []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in W.shape)
        old = W[ix]
        W[ix] = old + h
        plus = float(loss_fn(W, X, y, reg)[0])
        W[ix] = old - h
        minus = float(loss_fn(W, X, y, reg)[0])
        W[ix] = old
        numeric = (plus - minus) / (2 * h)
        err = _rel_error(numeric, float(dW[ix]))
        worst = max(worst, err)
        report.append(
            f"  W{list(ix)}: numerical {numeric:.6g}, analytic {dW[ix]:.6g}, relative error {err:.2e}"
        )
    if worst > tol:
        raise AssertionError(
            f"{name}: analytic gradient disagrees with the numerical one (largest relative error {worst:.2e} > "
            f"{tol:.0e}):\n" + "\n".join(report) + "\nCheck the dW update for the correct class (row y[i])."
        )
    return worst


def assert_same_loss(fn_a, fn_b, W, X, y, reg, *, names=("naive", "vectorized"), rtol: float = 1e-6) -> None:
    """Assert that two loss functions agree on the loss and on dW (Frobenius relative difference).

    Examples
    --------
    >>> def a(W, X, y, reg):
    ...     return float(np.sum(W)), np.ones_like(W)
    >>> assert_same_loss(a, a, np.ones((2, 2)), np.ones((1, 2)), np.array([0]), 0.0)
    """
    la, ga = fn_a(W, X, y, reg)
    lb, gb = fn_b(W, X, y, reg)
    assert_close(lb, la, name=f"loss of {names[1]} vs {names[0]}", rtol=rtol, atol=1e-8)
    if np.shape(ga) != np.shape(gb):
        raise AssertionError(f"dW shapes differ: {names[0]} {np.shape(ga)}, {names[1]} {np.shape(gb)}.")
    diff = float(np.linalg.norm(np.asarray(ga, float) - np.asarray(gb, float)))
    scale = max(1e-12, float(np.linalg.norm(np.asarray(ga, float))))
    if diff / scale > max(rtol, 1e-5):
        raise AssertionError(
            f"dW of {names[1]} differs from {names[0]}: |difference| = {diff:.3g} ({diff / scale:.1e} of |dW|). "
            "Compare the margin mask / probabilities the two versions use."
        )
