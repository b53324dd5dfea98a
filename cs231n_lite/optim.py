"""Optimization strategies of the CS231n optimization notes, each with an evaluation budget.

Every strategy takes a loss ``loss_fn(W, X, y, reg) -> (loss, dW)`` (a function returning only the
loss also works for the two searches) and a budget ``num_evals`` = number of calls of ``loss_fn``,
so strategies can be compared at equal loss evaluations:

- :func:`random_search` -- try ``num_evals`` random ``W``, keep the best (notes: ~15.5% accuracy);
- :func:`random_local_search` -- perturb the best ``W`` so far, keep improvements (~21.4%);
- :func:`gradient_descent` -- full-batch steps ``W -= learning_rate * dW``;
- :func:`sgd` -- minibatch steps (examples sampled with replacement);
- both take ``momentum=mu``: "GD with momentum", the step rule the notes name next
  (``v = mu * v - learning_rate * dW; W += v``, ``v`` starting at 0; ``mu = 0`` is the plain rule);
- :func:`step_size_sweep` -- one gradient, many step sizes: the loss after each step;
- :func:`lr_reg_search` -- train a classifier for every (learning rate, reg) pair, pick by val accuracy.

Shapes: ``W`` array of shape (D, C), ``X`` array of shape (N, D), ``y`` array of shape (N,).
"""

from __future__ import annotations

import contextlib
import itertools
import numbers
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_features, check_loss_inputs

__all__ = [
    "OptimResult",
    "SearchResults",
    "accuracy",
    "random_search",
    "random_local_search",
    "gradient_descent",
    "sgd",
    "step_size_sweep",
    "lr_reg_search",
    "DEFAULT_STEP_SIZES",
]

#: minibatches of at least this many bytes are gathered ahead in a helper thread (see _run_sgd)
_PREFETCH_BYTES = 1 << 18

#: the notes' sweep: 1e-10, 1e-9, ..., 1e-1
DEFAULT_STEP_SIZES = tuple(10.0**k for k in range(-10, 0))


@dataclass
class OptimResult:
    """Outcome of one optimization run.

    Attributes
    ----------
    W : array of shape (D, C)
        Final (gradient methods) or best (searches) weights.
    loss : float
        ``history[-1]``: the best loss found (searches) or the last evaluated loss (gradient methods).
    history : list of float
        One entry per loss evaluation: the best loss so far (searches), or the loss at the weights
        before each update (gradient methods; for :func:`sgd` it is the minibatch loss).
    num_evals : int
        Number of ``loss_fn`` calls spent (the budget).
    num_examples : int
        Total number of examples passed to ``loss_fn`` (N per full-batch call, batch_size per SGD step).
    method : str
        Name of the strategy.
    """

    W: np.ndarray
    loss: float
    history: list = field(repr=False)
    num_evals: int
    num_examples: int
    method: str


def accuracy(W, X, y) -> float:
    """Fraction of rows of ``X`` whose highest score ``X @ W`` is the label ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> accuracy(np.eye(2), np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    W, X = check_features(W, X)
    return float(np.mean(np.argmax(X @ W, axis=1) == np.asarray(y)))


def _budget(num_evals) -> int:
    if (
        isinstance(num_evals, (bool, np.bool_))
        or not isinstance(num_evals, numbers.Integral)
        or num_evals < 1
    ):
        raise ValueError(
            f"num_evals must be an integer >= 1 (the number of loss evaluations); got {num_evals!r}."
        )
    return int(num_evals)


def _positive(name, value) -> float:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0; got {name}={value!r}.")
    return float(value)


def _momentum(value) -> float:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise ValueError(
            f"momentum must be a number in [0, 1) (0: plain gradient steps, 0.9 is common); got {value!r}."
        )
    return float(value)


class _Velocity:
    """The momentum update ``v = mu * v - learning_rate * dW; W += v`` (``v`` starts at 0), in place."""

    def __init__(self, W, momentum):
        self.mu = momentum
        self.v = np.zeros_like(W)

    def step(self, W, dW, learning_rate):
        self.v *= self.mu
        self.v -= learning_rate * np.asarray(dW)
        W += self.v


def _kernel(loss_fn):
    """The unchecked kernel of a reference loss (inputs are validated once per run), else loss_fn."""
    return getattr(loss_fn, "unchecked", None) or loss_fn


def _loss_value(out) -> float:
    return float(out[0] if isinstance(out, tuple) else out)


def random_search(loss_fn, X, y, *, num_classes=None, num_evals=1000, scale=1e-4, reg=0.0, seed=0):
    """Strategy #1: evaluate ``num_evals`` random weight matrices ``scale * randn(D, C)``, keep the best.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W, X, y, reg) -> (loss, dW)`` or ``-> loss``.
    X : array of shape (N, D)
    y : array of shape (N,)
    num_classes : int or None, keyword-only
        C; default ``y.max() + 1``.
    num_evals : int, keyword-only
        Budget: number of random ``W`` tried.
    scale : float, keyword-only
        Standard deviation of the random weights (the notes use 1e-4 on raw pixels).
    reg : float, keyword-only
    seed : int, keyword-only

    Returns
    -------
    OptimResult
        ``W`` is the best matrix; ``history[i]`` the best loss after ``i + 1`` evaluations.

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.reference import svm_loss_vectorized
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4)); y = rng.integers(0, 3, 50)
    >>> res = random_search(svm_loss_vectorized, X, y, num_evals=20, scale=1.0)
    >>> res.num_evals, len(res.history), res.loss == min(res.history)
    (20, 20, True)
    """
    num_evals = _budget(num_evals)
    scale = _positive("scale", scale)
    y_arr = np.asarray(y)
    C = int(num_classes) if num_classes is not None else int(y_arr.max()) + 1
    X_arr = np.asarray(X)
    D = X_arr.shape[1] if X_arr.ndim == 2 else 1
    dtype = X_arr.dtype if X_arr.dtype in (np.float32, np.float64) else np.float64
    rng = np.random.default_rng(seed)
    W_try = np.empty((D, C), dtype=dtype)
    _, X, y, reg = check_loss_inputs(W_try, X_arr, y_arr, reg)
    f = _kernel(loss_fn)
    best_W, best_loss, history = None, np.inf, []
    for _ in range(num_evals):
        W_try = (scale * rng.standard_normal((D, C))).astype(dtype)
        loss = _loss_value(f(W_try, X, y, reg))
        if loss < best_loss:
            best_W, best_loss = W_try, loss
        history.append(best_loss)
    if best_W is None:  # every loss was nan
        best_W = W_try
    return OptimResult(best_W, float(best_loss), history, num_evals, num_evals * X.shape[0], "random_search")


def random_local_search(loss_fn, W, X, y, *, num_evals=1000, step_size=1e-4, reg=0.0, seed=0):
    """Strategy #2: from ``W``, try ``W_best + step_size * randn``; keep it when the loss drops.

    The first evaluation is the starting point itself, so ``num_evals - 1`` perturbations are tried.
    ``W`` is not modified.

    Returns
    -------
    OptimResult
        ``history[i]`` is the best loss after ``i + 1`` evaluations (non-increasing).

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.reference import softmax_loss_vectorized
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4)); y = rng.integers(0, 3, 50)
    >>> res = random_local_search(softmax_loss_vectorized, np.zeros((4, 3)), X, y, num_evals=50, step_size=0.1)
    >>> res.history[-1] < res.history[0]
    True
    """
    num_evals = _budget(num_evals)
    step_size = _positive("step_size", step_size)
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    f = _kernel(loss_fn)
    rng = np.random.default_rng(seed)
    best_W = W.copy()
    best_loss = _loss_value(f(best_W, X, y, reg))
    history = [best_loss]
    for _ in range(num_evals - 1):
        W_try = best_W + (step_size * rng.standard_normal(W.shape)).astype(W.dtype)
        loss = _loss_value(f(W_try, X, y, reg))
        if loss < best_loss:
            best_W, best_loss = W_try, loss
        history.append(best_loss)
    return OptimResult(
        best_W, float(best_loss), history, num_evals, num_evals * X.shape[0], "random_local_search"
    )


def gradient_descent(loss_fn, W, X, y, *, learning_rate, num_evals=100, reg=0.0, momentum=0.0):
    """Strategy #3, full batch: ``num_evals`` steps ``W -= learning_rate * dW`` on all of ``X``.

    ``W`` is not modified (a copy is updated).  With ``momentum=mu > 0`` each step is
    ``v = mu * v - learning_rate * dW; W += v`` ("GD with momentum", ``v`` starting at 0): the
    velocity keeps moving along directions where successive gradients agree and damps the ones
    where they alternate, which speeds up narrow valleys.

    Returns
    -------
    OptimResult
        ``history[i]`` is the loss before step ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.reference import softmax_loss_vectorized
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4)); y = rng.integers(0, 3, 50)
    >>> res = gradient_descent(softmax_loss_vectorized, np.zeros((4, 3)), X, y, learning_rate=0.5, num_evals=30)
    >>> round(res.history[0], 4), res.loss < res.history[0]  # starts at log(3)
    (1.0986, True)
    >>> fast = gradient_descent(softmax_loss_vectorized, np.zeros((4, 3)), X, y, learning_rate=0.5,
    ...                         num_evals=30, momentum=0.5)
    >>> fast.method, fast.loss < res.loss
    ('gradient_descent_momentum', True)
    """
    num_evals = _budget(num_evals)
    learning_rate = _positive("learning_rate", learning_rate)
    momentum = _momentum(momentum)
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    f = _kernel(loss_fn)
    W = W.copy()
    velocity = _Velocity(W, momentum) if momentum else None
    history = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(num_evals):
            loss, dW = f(W, X, y, reg)
            history.append(float(loss))
            if velocity is None:
                W -= learning_rate * np.asarray(dW)
            else:
                velocity.step(W, dW, learning_rate)
    method = "gradient_descent_momentum" if momentum else "gradient_descent"
    return OptimResult(W, history[-1], history, num_evals, num_evals * X.shape[0], method)


def _spare_core() -> bool:
    """True when the BLAS thread pools leave a core idle (asks threadpoolctl; False without it)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(blas, default=0) < (os.cpu_count() or 1)


def _run_sgd(kernel, W, X, y, reg, learning_rate, indices, *, fresh_grad, bar=None, momentum=0.0):
    """The SGD inner loop shared with :class:`cs231n_lite.classifiers.LinearClassifier`.

    Updates ``W`` in place (with ``momentum > 0`` through a velocity, see :func:`gradient_descent`).  ``indices`` is an int array of shape (num_iters, batch_size).  With
    ``fresh_grad`` the kernel's dW is a new array that may be scaled in place.  Returns
    ``(losses, diverged_at)``: float64 array of shape (num_iters,) (nan after a divergence) and the
    step at which the loss stopped being finite (or None).

    When BLAS leaves a core free (:func:`_spare_core`), minibatches of at least ``_PREFETCH_BYTES``
    are gathered one step ahead by a helper thread into the other of two buffers (``np.take``
    releases the GIL), overlapping the next gather with this step's GEMMs; the thread is joined on
    every exit.  Results are identical either way.  (With every core running BLAS the overlap only
    adds contention: measured ~7% slower on 2 cores with 2 BLAS threads, ~22% faster with 1.)
    """
    num_iters, batch_size = indices.shape
    X_bufs = [np.empty((batch_size, X.shape[1]), dtype=X.dtype) for _ in range(2)]
    y_bufs = [np.empty(batch_size, dtype=y.dtype) for _ in range(2)]

    def gather(it):  # into buffer it % 2: the step reading it (it - 2) is done
        np.take(X, indices[it], axis=0, out=X_bufs[it % 2], mode="clip")
        np.take(y, indices[it], out=y_bufs[it % 2], mode="clip")

    prefetch = num_iters > 1 and X_bufs[0].nbytes >= _PREFETCH_BYTES and _spare_core()
    losses = np.full(num_iters, np.nan)
    diverged_at = None
    velocity = _Velocity(W, momentum) if momentum else None
    with (
        ThreadPoolExecutor(max_workers=1) if prefetch else contextlib.nullcontext() as pool,
        np.errstate(over="ignore", invalid="ignore"),
    ):
        pending = None
        for it in range(num_iters):
            if pending is None:
                gather(it)
            else:
                pending.result()
            pending = pool.submit(gather, it + 1) if pool is not None and it + 1 < num_iters else None
            loss, dW = kernel(W, X_bufs[it % 2], y_bufs[it % 2], reg)
            if not np.isfinite(loss):
                diverged_at = it
                break
            losses[it] = loss
            if velocity is not None:
                velocity.step(W, dW, learning_rate)
            elif fresh_grad:
                dW *= learning_rate
                W -= dW
            else:
                W -= learning_rate * np.asarray(dW)
            if bar is not None:
                bar.update(1)
                if it % 100 == 0 or it == num_iters - 1:
                    bar.set_postfix(loss=f"{losses[it]:.4f}", refresh=False)
    return losses, diverged_at


def sgd(loss_fn, W, X, y, *, learning_rate, num_evals=100, batch_size=200, reg=0.0, seed=0, momentum=0.0):
    """Strategy #3, minibatch: ``num_evals`` SGD steps on ``batch_size`` examples drawn with replacement.

    ``W`` is not modified (a copy is updated).  Stops early (history padded with nan) if the loss
    stops being finite.  ``momentum=mu > 0``: SGD with momentum, ``v = mu * v - learning_rate * dW;
    W += v`` (see :func:`gradient_descent`); the minibatches are the same as without it (same ``seed``).

    Returns
    -------
    OptimResult
        ``history[i]`` is the minibatch loss before step ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.reference import svm_loss_vectorized
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 4)); y = (X[:, 0] > 0).astype(int)
    >>> res = sgd(svm_loss_vectorized, np.zeros((4, 2)), X, y, learning_rate=0.1, num_evals=100, batch_size=32)
    >>> res.num_examples, accuracy(res.W, X, y) > 0.9
    (3200, True)
    >>> sgd(svm_loss_vectorized, np.zeros((4, 2)), X, y, learning_rate=0.1, num_evals=10, momentum=0.9).method
    'sgd_momentum'
    """
    num_evals = _budget(num_evals)
    learning_rate = _positive("learning_rate", learning_rate)
    momentum = _momentum(momentum)
    if (
        isinstance(batch_size, (bool, np.bool_))
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    W = W.copy()
    kernel = _kernel(loss_fn)
    indices = np.random.default_rng(seed).integers(0, X.shape[0], size=(num_evals, int(batch_size)))
    losses, _ = _run_sgd(
        kernel, W, X, y, reg, learning_rate, indices, fresh_grad=kernel is not loss_fn, momentum=momentum
    )
    history = losses.tolist()
    method = "sgd_momentum" if momentum else "sgd"
    return OptimResult(W, history[-1], history, num_evals, num_evals * int(batch_size), method)


def step_size_sweep(loss_fn, W, X, y, step_sizes=DEFAULT_STEP_SIZES, *, reg=0.0):
    """Compute the gradient once at ``W``, then the loss after one step of each size.

    Costs ``1 + len(step_sizes)`` loss evaluations.

    Returns
    -------
    list of (float, float)
        ``(step_size, loss(W - step_size * dW))`` for each step size, in the given order.

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.reference import softmax_loss_vectorized
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4)); y = rng.integers(0, 3, 50)
    >>> rows = step_size_sweep(softmax_loss_vectorized, np.zeros((4, 3)), X, y, step_sizes=(1e-3, 1e-1, 1e2))
    >>> [step for step, _ in rows]
    [0.001, 0.1, 100.0]
    >>> bool(rows[1][1] < rows[0][1] < np.log(3) < rows[2][1])  # too big a step overshoots
    True
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    steps = [_positive("step size", s) for s in step_sizes]
    f = _kernel(loss_fn)
    _, dW = f(W, X, y, reg)
    dW = np.asarray(dW)
    rows = []
    with np.errstate(over="ignore", invalid="ignore"):
        for step in steps:
            rows.append((step, _loss_value(f(W - step * dW, X, y, reg))))
    return rows


@dataclass
class SearchResults:
    """Table of a learning-rate x regularization search.

    Attributes
    ----------
    rows : list of dict
        One dict per pair with keys ``learning_rate``, ``reg``, ``train_acc``, ``val_acc``,
        ``final_loss`` and ``diverged``, in search order.
    best : dict
        The row with the highest validation accuracy (first one on ties).
    best_model : object
        The classifier trained with the best pair.
    num_evals : int
        Total loss evaluations spent (pairs x (num_iters + anneal_iters)).
    """

    rows: list
    best: dict
    best_model: object = field(repr=False)
    num_evals: int = 0

    def table(self) -> str:
        """The rows as aligned text, best marked with ``*``."""
        lines = [f"{'learning_rate':>13} {'reg':>10} {'train_acc':>9} {'val_acc':>8} {'final_loss':>10}"]
        for r in self.rows:
            mark = " *" if r is self.best else ("  diverged" if r["diverged"] else "")
            lines.append(
                f"{r['learning_rate']:13.2e} {r['reg']:10.2e} {r['train_acc']:9.4f} {r['val_acc']:8.4f} "
                f"{r['final_loss']:10.4f}{mark}"
            )
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def lr_reg_search(
    cls,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    learning_rates,
    regs,
    num_iters=1500,
    batch_size=200,
    seed=0,
    anneal_iters=0,
    anneal_factor=0.1,
    loss_fn=None,
    verbose=False,
):
    """Train ``cls`` for every (learning rate, reg) pair; keep the best by validation accuracy.

    Each pair trains ``num_iters`` SGD steps at its learning rate, then (optionally, a step decay)
    ``anneal_iters`` more steps at ``anneal_factor`` times that rate.

    Parameters
    ----------
    cls : class
        ``LinearSVM``, ``Softmax`` or any class ``cls(loss_fn=...)`` with ``train`` and ``predict``.
    X_train, y_train : arrays of shape (N, D) and (N,)
    X_val, y_val : arrays of shape (M, D) and (M,)
    learning_rates, regs : sequences of float, keyword-only
    num_iters, batch_size, seed : int, keyword-only
        Passed to ``train``.
    anneal_iters : int, keyword-only
        Extra steps at the decayed rate (0: none).  Budget per pair: ``num_iters + anneal_iters``
        loss evaluations.
    anneal_factor : float, keyword-only
        Learning-rate multiplier of the annealing steps.
    loss_fn : callable or None, keyword-only
        Passed to ``cls(loss_fn=...)`` (``None``: the class's reference loss).
    verbose : bool, keyword-only
        Print one line per pair.

    Returns
    -------
    SearchResults

    Examples
    --------
    >>> import numpy as np
    >>> from cs231n_lite.classifiers import Softmax
    >>> rng = np.random.default_rng(0)
    >>> X = np.hstack([rng.standard_normal((200, 3)), np.ones((200, 1))]); y = (X[:, 0] > 0).astype(int)
    >>> res = lr_reg_search(Softmax, X[:150], y[:150], X[150:], y[150:], learning_rates=[1e-6, 1e-1],
    ...                     regs=[1e-3], num_iters=100, batch_size=50)
    >>> len(res.rows), res.best["learning_rate"], res.best["val_acc"] > 0.9
    (2, 0.1, True)
    """
    learning_rates = [float(v) for v in learning_rates]
    regs = [float(v) for v in regs]
    if not learning_rates or not regs:
        raise ValueError(
            "learning_rates and regs must each hold at least one value, e.g. learning_rates=[1e-7]."
        )
    y_train = np.asarray(y_train)
    y_val = np.asarray(y_val)
    rows, models = [], []
    for lr, reg in itertools.product(learning_rates, regs):
        model = cls() if loss_fn is None else cls(loss_fn=loss_fn)  # CS231n subclasses take no loss_fn
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="training diverged", category=RuntimeWarning)
            losses = model.train(
                X_train,
                y_train,
                learning_rate=lr,
                reg=reg,
                num_iters=num_iters,
                batch_size=batch_size,
                seed=seed,
            )
            if anneal_iters and (not losses or np.isfinite(losses[-1])):
                losses += model.train(
                    X_train,
                    y_train,
                    learning_rate=lr * anneal_factor,
                    reg=reg,
                    num_iters=anneal_iters,
                    batch_size=batch_size,
                    seed=seed + 1,
                )
        diverged = bool(losses) and not np.isfinite(losses[-1])
        with np.errstate(over="ignore", invalid="ignore"):
            row = {
                "learning_rate": lr,
                "reg": reg,
                "train_acc": float(np.mean(model.predict(X_train) == y_train)),
                "val_acc": float(np.mean(model.predict(X_val) == y_val)),
                "final_loss": float(losses[-1]) if losses else float("nan"),
                "diverged": diverged,
            }
        if diverged:
            row["train_acc"] = row["val_acc"] = 0.0  # weights are inf/nan: never pick this pair
        rows.append(row)
        models.append(model)
        if verbose:
            print(
                f"lr {lr:e} reg {reg:e} train accuracy: {row['train_acc']:f} val accuracy: {row['val_acc']:f}"
                + ("  (diverged)" if diverged else "")
            )
    best_i = max(range(len(rows)), key=lambda i: rows[i]["val_acc"])
    return SearchResults(rows, rows[best_i], models[best_i], len(rows) * (int(num_iters) + int(anneal_iters)))
