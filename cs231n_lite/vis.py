"""Figures for the linear-classifier notebooks.

Every function builds a :class:`matplotlib.figure.Figure` directly (no pyplot state, works with the
Agg backend and in headless grading) and returns it; nothing calls ``plt.show()``.  In Jupyter a
returned figure is displayed once when it is the last expression of a cell; elsewhere use
``fig.savefig("name.png")``.

Examples
--------
>>> fig = plot_loss([2.3, 1.9, 1.7, 1.6])
>>> fig.axes[0].get_ylabel()
'Loss'
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "show_samples",
    "show_weights",
    "plot_loss",
    "plot_search_results",
    "loss_slice_1d",
    "loss_slice_2d",
]


def _loss_value(out) -> float:
    return float(out[0] if isinstance(out, tuple) else out)


def show_samples(X, y, class_names, samples_per_class=7, *, seed=0):
    """Grid of example images: one column per class, ``samples_per_class`` rows.

    Parameters
    ----------
    X : array of shape (N, 32, 32, 3)
        Images, uint8 (floats are clipped to [0, 255]).
    y : array of shape (N,)
        Integer labels in ``[0, C)``.
    class_names : sequence of str
        C names, e.g. the CIFAR-10 ``plane, car, bird, ...``.
    samples_per_class : int
    seed : int, keyword-only
        Seed of the random choice of images per class.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((20, 32, 32, 3), dtype=np.uint8); y = np.arange(20) % 2
    >>> fig = show_samples(X, y, ["a", "b"], samples_per_class=3)
    >>> len(fig.axes)
    6
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 4 or X.shape[-1] != 3:
        raise ValueError(
            f"X must be images, an array of shape (N, H, W, 3) such as (N, 32, 32, 3); got shape {X.shape}. "
            f"Flattened rows can be reshaped with X.reshape(-1, 32, 32, 3)."
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must be an array of shape ({X.shape[0]},) (one label per image); got {y.shape}.")
    C = len(class_names)
    if y.size and (y.min() < 0 or y.max() >= C):
        raise ValueError(
            f"labels must be in [0, {C}) for {C} class_names; got labels in [{y.min()}, {y.max()}]."
        )
    if X.dtype != np.uint8:
        X = np.clip(X, 0, 255).astype(np.uint8)
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(1.2 * C, 1.2 * samples_per_class))
    axes = fig.subplots(samples_per_class, C, squeeze=False)
    for c, name in enumerate(class_names):
        idxs = np.flatnonzero(y == c)
        chosen = rng.choice(idxs, size=min(samples_per_class, idxs.size), replace=False) if idxs.size else []
        for r in range(samples_per_class):
            ax = axes[r, c]
            ax.axis("off")
            if r < len(chosen):
                ax.imshow(X[chosen[r]])
            if r == 0:
                ax.set_title(str(name), fontsize=9)
    return fig


def show_weights(W, class_names):
    """Each class's weights as a 32x32x3 image ("template"), rescaled to [0, 255] over all of ``W``.

    Parameters
    ----------
    W : array of shape (3073, C) or (3072, C)
        Learned weights; with the bias trick the last row (bias) is dropped.
    class_names : sequence of C str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = show_weights(np.random.default_rng(0).standard_normal((3073, 10)), list("abcdefghij"))
    >>> len(fig.axes), fig.axes[0].images[0].get_array().shape
    (10, (32, 32, 3))
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] not in (3072, 3073):
        raise ValueError(
            f"W must be an array of shape (3073, C) (bias trick) or (3072, C) for 32x32x3 images; got {W.shape}."
        )
    C = W.shape[1]
    if len(class_names) != C:
        raise ValueError(f"class_names must hold {C} names (one per column of W); got {len(class_names)}.")
    w = W[:3072].reshape(32, 32, 3, C)
    lo, hi = w.min(), w.max()
    span = hi - lo if hi > lo else 1.0
    ncols = min(C, 5)
    nrows = math.ceil(C / ncols)
    fig = Figure(figsize=(2.0 * ncols, 2.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < C:
            img = (255.0 * (w[..., i] - lo) / span).astype(np.uint8)
            ax.imshow(img)
            ax.set_title(str(class_names[i]), fontsize=9)
    return fig


def plot_loss(history, *, title="Training loss", xlabel="Iteration number", ylabel="Loss"):
    """Line plot of a loss history (e.g. the list returned by ``LinearClassifier.train``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = np.asarray(history, dtype=np.float64).ravel()
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    ax.plot(np.arange(values.size), values, lw=1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig


def plot_search_results(results):
    """Train and validation accuracy maps over the learning-rate x regularization grid.

    Parameters
    ----------
    results : SearchResults or list of dict
        The result of :func:`cs231n_lite.optim.lr_reg_search` (or its ``rows``): dicts with keys
        ``learning_rate``, ``reg``, ``train_acc``, ``val_acc``.

    Returns
    -------
    matplotlib.figure.Figure
        Two heat maps (rows: learning rates, columns: regs, both ascending); pairs not tried are
        blank; the best validation cell is outlined.

    Examples
    --------
    >>> rows = [{"learning_rate": lr, "reg": r, "train_acc": 0.3, "val_acc": 0.2 + lr * 1e6}
    ...         for lr in (1e-7, 5e-7) for r in (1e4, 5e4)]
    >>> fig = plot_search_results(rows)
    >>> fig.axes[1].get_title()
    'validation accuracy'
    """
    rows = getattr(results, "rows", results)
    rows = list(rows)
    if not rows:
        raise ValueError("results is empty: run lr_reg_search(...) first and pass its result.")
    missing = {"learning_rate", "reg", "train_acc", "val_acc"} - set(rows[0])
    if missing:
        raise ValueError(
            f"each row needs keys learning_rate, reg, train_acc, val_acc; missing {sorted(missing)}."
        )
    lrs = sorted({r["learning_rate"] for r in rows})
    regs = sorted({r["reg"] for r in rows})
    grids = {key: np.full((len(lrs), len(regs)), np.nan) for key in ("train_acc", "val_acc")}
    for r in rows:
        i, j = lrs.index(r["learning_rate"]), regs.index(r["reg"])
        for key, grid in grids.items():
            grid[i, j] = r[key]
    best_i, best_j = np.unravel_index(np.nanargmax(grids["val_acc"]), grids["val_acc"].shape)
    fig = Figure(figsize=(5.5 * 2, 0.5 * len(lrs) + 3), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = [("train_acc", "training accuracy"), ("val_acc", "validation accuracy")]
    for ax, (key, title) in zip(axes, panels, strict=True):
        grid = grids[key]
        im = ax.imshow(grid, origin="lower", cmap="viridis", aspect="auto")
        fig.colorbar(im, ax=ax, shrink=0.8)
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=8, color="w")
        ax.add_patch(_outline(best_j, best_i))
        ax.set_xticks(range(len(regs)), [f"{v:.0e}" for v in regs], rotation=45)
        ax.set_yticks(range(len(lrs)), [f"{v:.0e}" for v in lrs])
        ax.set_xlabel("regularization strength")
        ax.set_ylabel("learning rate")
        ax.set_title(title)
    return fig


def _outline(x, y):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="red", lw=2)


def _check_directions(W, *directions):
    """W and the directions as arrays of W's float dtype (float32 stays float32 for float32 data)."""
    W = np.asarray(W)
    if not np.issubdtype(W.dtype, np.floating):
        W = W.astype(np.float64)
    out = []
    for k, D in enumerate(directions, start=1):
        D = np.asarray(D).astype(W.dtype, copy=False)
        if D.shape != W.shape:
            raise ValueError(
                f"W{k} must have W's shape {W.shape} (a direction in weight space); got {D.shape}."
            )
        out.append(D)
    return W, out


def loss_slice_1d(loss_fn, W, W1, a_values=None):
    """Plot ``L(W + a * W1)`` along a line through weight space (the optimization notes' 1-D slice).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W) -> float`` (or ``-> (loss, dW)``), e.g.
        ``lambda w: svm_loss_vectorized(w, X_dev, y_dev, 0.0)``.
    W : array of shape (D, C)
        Center of the slice.
    W1 : array of shape (D, C)
        Direction.
    a_values : 1-D array, optional
        Grid of ``a``; default ``np.linspace(-1, 1, 41)``.

    Returns
    -------
    matplotlib.figure.Figure
        One line; ``fig.axes[0].lines[0].get_ydata()`` holds the losses.

    Examples
    --------
    >>> import numpy as np
    >>> fig = loss_slice_1d(lambda w: float(np.sum(w ** 2)), np.zeros((2, 2)), np.ones((2, 2)), [-1, 0, 1])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [4.0, 0.0, 4.0]
    """
    W, (W1,) = _check_directions(W, W1)
    a_values = np.linspace(-1, 1, 41) if a_values is None else np.asarray(a_values, dtype=np.float64)
    losses = np.array([_loss_value(loss_fn(W + float(a) * W1)) for a in a_values])
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(a_values, losses, marker=".")
    ax.set_xlabel("a")
    ax.set_ylabel("L(W + a W1)")
    ax.set_title("Loss along one direction")
    ax.grid(True, alpha=0.3)
    return fig


def loss_slice_2d(loss_fn, W, W1, W2, a_values=None, b_values=None):
    """Heat map of ``L(W + a * W1 + b * W2)`` over a plane through weight space.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W) -> float`` (or ``-> (loss, dW)``).
    W, W1, W2 : arrays of shape (D, C)
        Center and the two directions.
    a_values, b_values : 1-D arrays, optional
        Grids (default ``np.linspace(-1, 1, 31)`` each); ``a`` runs along x, ``b`` along y.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0].images[0].get_array()`` holds the losses, shape ``(len(b_values), len(a_values))``.

    Examples
    --------
    >>> import numpy as np
    >>> W1, W2 = np.eye(2), np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> fig = loss_slice_2d(lambda w: float(np.sum(w ** 2)), np.zeros((2, 2)), W1, W2, [0, 1], [0, 1, 2])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[0.0, 2.0], [1.0, 3.0], [4.0, 6.0]]
    """
    W, (W1, W2) = _check_directions(W, W1, W2)
    a_values = np.linspace(-1, 1, 31) if a_values is None else np.asarray(a_values, dtype=np.float64)
    b_values = np.linspace(-1, 1, 31) if b_values is None else np.asarray(b_values, dtype=np.float64)
    losses = np.array(
        [[_loss_value(loss_fn(W + float(a) * W1 + float(b) * W2)) for a in a_values] for b in b_values]
    )
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    extent = (a_values[0], a_values[-1], b_values[0], b_values[-1])
    im = ax.imshow(losses, origin="lower", extent=extent, aspect="auto", cmap="jet")
    fig.colorbar(im, ax=ax, label="L(W + a W1 + b W2)")
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.set_title("Loss over a plane")
    return fig
