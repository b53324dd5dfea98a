"""The linear-classifier playground: CS231n's interactive web demo, inside a notebook.

Nine 2-D points of three classes, a weight matrix ``W`` of shape (3, 2) and a bias ``b`` of shape
(3,), the scores ``s = W x + b`` of every point, its loss under one of four losses, the decision
regions (the class with the highest score wins) and each class's zero-score line
``W[c] . x + b[c] = 0`` with an arrow towards its positive side.  Gradient steps move ``W`` and
``b`` downhill.

Shapes (names used throughout): N points, D = 2 input dimensions, C classes.

- ``X``: array of shape (N, 2) -- the points;
- ``y``: integer array of shape (N,) with values in ``[0, C)``;
- ``W``: array of shape (C, 2) -- row ``c`` is class ``c``'s weight vector (the normal of its
  zero-score line); note this is the lecture's ``s = W x + b`` layout, the transpose of the
  course's ``(D, C)`` matrices: the course's bias-trick matrix is ``np.vstack([W.T, b])``;
- ``b``: array of shape (C,);
- scores: array of shape (N, C), ``X @ W.T + b``.

Losses (per point ``i`` with scores ``s`` and label ``y_i``; ``LOSSES`` maps the keys to names):

- ``"svm"`` (Weston & Watkins 1999, the course's multiclass SVM): ``sum_{j != y_i} max(0, s_j - s_{y_i} + 1)``
- ``"ova"`` (one-vs-all): ``sum_{j != y_i} max(0, 1 + s_j) + max(0, 1 - s_{y_i})``
- ``"structured"`` (structured SVM, Crammer & Singer): ``max(0, max_{j != y_i} s_j - s_{y_i} + 1)``
- ``"softmax"`` (cross-entropy): ``-log(exp(s_{y_i}) / sum_j exp(s_j))``

Total: ``L = (1/N) sum_i L_i + reg * np.sum(W * W)`` -- the course's convention: no factor 1/2
(gradient ``2 * reg * W``) and the bias is not regularized.

Two ways to show it (:func:`playground` picks one, see :func:`display_mode`):

- **widget** -- ipywidgets sliders for every entry of ``W`` and ``b``, the loss, ``reg`` and
  the step size, buttons for one step, many steps, repeated steps (▶), re-randomize and reset, a live table of the
  per-point losses, and an ipympl canvas redrawn in place;
- **static** -- one matplotlib :class:`~matplotlib.figure.Figure` (plot + loss table).  Used in
  grading (``NBGRADER_EXECUTION`` set), in headless runs (``MPLBACKEND=Agg``, as nbval/CI run)
  and outside a Jupyter kernel; it never imports ipywidgets or ipympl.

Everything here is plain numpy; nothing needs :mod:`cs231n_lite.reference`.

Examples
--------
>>> r = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm", reg=0.0)
>>> r.losses.shape, round(float(r.losses[0]), 2)
((9,), 0.3)
>>> W, b, history = gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="softmax", reg=0.1,
...                               step_size=0.1, num_steps=5)
>>> bool(history[-1] < history[0])
True
"""

from __future__ import annotations

import html
import numbers
import os
import sys
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import ListedColormap, to_hex, to_rgb
from matplotlib.figure import Figure

__all__ = [
    "LOSSES",
    "DEMO_X",
    "DEMO_Y",
    "DEMO_W",
    "DEMO_B",
    "LossReport",
    "point_losses",
    "evaluate",
    "gradient_step",
    "random_parameters",
    "display_mode",
    "PlaygroundFigure",
    "plot_playground",
    "Playground",
    "playground",
]

#: loss key -> name shown in the playground
LOSSES = {
    "svm": "Weston–Watkins multiclass SVM",
    "ova": "one-vs-all SVM",
    "structured": "structured SVM",
    "softmax": "softmax (cross-entropy)",
}

#: the demo's data: 3 points per class, array of shape (9, 2), and labels of shape (9,)
DEMO_X = np.array(
    [
        [0.5, 0.4],
        [0.8, 0.3],
        [0.3, 0.8],
        [-0.4, 0.3],
        [-0.3, 0.7],
        [-0.7, 0.2],
        [0.7, -0.4],
        [0.5, -0.6],
        [-0.4, -0.5],
    ]
)
DEMO_Y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
#: the demo's starting parameters: W of shape (3, 2), b of shape (3,)
DEMO_W = np.array([[1.0, 2.0], [2.0, -4.0], [3.0, -1.0]])
DEMO_B = np.array([0.0, 0.5, -0.5])

#: class colours (red, green, blue as in the web demo; more classes take matplotlib's cycle)
COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")

#: matplotlib backends that mean "no screen, no widgets" (nbval/CI set MPLBACKEND=Agg)
HEADLESS_BACKENDS = ("agg", "pdf", "ps", "svg", "pgf", "cairo", "template")

#: env variable that forces a mode outside grading: "static" or "widget"
MODE_ENV = "CS231N_LITE_PLAYGROUND"


# -- inputs ---------------------------------------------------------------------------------------


def _check(W, b, X, y, *, loss: str, reg=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate once at the edge; return float64 W, b, X and int y."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}; got {loss!r}.")
    if isinstance(reg, (bool, np.bool_)) or not isinstance(reg, numbers.Real) or not (0 <= reg < np.inf):
        raise ValueError(f"reg must be a finite real number >= 0; got {reg!r}.")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"X must be an array of shape (N, 2) (N >= 1 points in the plane); got shape {X.shape}. "
            f"Use DEMO_X for the demo's nine points."
        )
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != 2 or W.shape[0] < 2:
        raise ValueError(
            f"W must be an array of shape (C, 2) with C >= 2 classes (row c = class c's weights, the "
            f"lecture's s = W x + b); got shape {W.shape}. A course matrix of shape (2, C) is W.T."
        )
    C = W.shape[0]
    b = np.asarray(b, dtype=np.float64)
    if b.shape != (C,):
        raise ValueError(f"b must be an array of shape ({C},) (one bias per row of W); got shape {b.shape}.")
    y_arr = np.asarray(y)
    if y_arr.shape != (X.shape[0],) or not np.issubdtype(y_arr.dtype, np.integer):
        raise ValueError(
            f"y must be an integer array of shape ({X.shape[0]},) (one label per point); got shape "
            f"{y_arr.shape}, dtype {y_arr.dtype}."
        )
    if y_arr.min() < 0 or y_arr.max() >= C:
        raise ValueError(
            f"labels must be in [0, {C}) for W with {C} rows; got [{y_arr.min()}, {y_arr.max()}]."
        )
    if not (np.isfinite(W).all() and np.isfinite(b).all() and np.isfinite(X).all()):
        raise ValueError("W, b and X must be finite (no NaN or inf); re-randomize or reset the parameters.")
    return W, b, X, y_arr.astype(np.intp)


# -- losses ---------------------------------------------------------------------------------------


def _point_losses(scores: np.ndarray, y: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Unchecked kernel of :func:`point_losses`."""
    N, C = scores.shape
    rows = np.arange(N)
    correct = scores[rows, y]
    if loss == "svm":
        margins = np.maximum(0.0, scores - correct[:, None] + 1.0)
        margins[rows, y] = 0.0
        losses = margins.sum(axis=1)
        dscores = (margins > 0).astype(np.float64)
        dscores[rows, y] = -dscores.sum(axis=1)
    elif loss == "ova":
        wrong = np.maximum(0.0, 1.0 + scores)
        wrong[rows, y] = 0.0
        right = np.maximum(0.0, 1.0 - correct)
        losses = wrong.sum(axis=1) + right
        dscores = (wrong > 0).astype(np.float64)
        dscores[rows, y] = -(right > 0).astype(np.float64)
    elif loss == "structured":
        others = scores.copy()
        others[rows, y] = -np.inf
        rival = others.argmax(axis=1)
        losses = np.maximum(0.0, others[rows, rival] - correct + 1.0)
        dscores = np.zeros_like(scores)
        on = losses > 0
        dscores[rows[on], rival[on]] = 1.0
        dscores[rows[on], y[on]] = -1.0
    else:  # softmax
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_total = np.log(np.exp(shifted).sum(axis=1))
        losses = log_total - shifted[rows, y]
        dscores = np.exp(shifted - log_total[:, None])
        dscores[rows, y] -= 1.0
    return losses, dscores


def point_losses(scores, y, *, loss="svm"):
    """Loss of every point and its gradient with respect to the scores.

    Parameters
    ----------
    scores : array of shape (N, C)
        Class scores of N points.
    y : array of shape (N,)
        Integer labels in ``[0, C)``.
    loss : {"svm", "ova", "structured", "softmax"}, keyword-only
        See the module docstring for the formulas.

    Returns
    -------
    losses : array of shape (N,)
        ``L_i`` of every point.
    dscores : array of shape (N, C)
        ``d L_i / d scores[i]`` (a subgradient at the hinges' kinks; for ``"structured"`` ties
        between rival classes go to the lowest index).

    Examples
    --------
    The lecture's cat image (scores cat 3.2, car 5.1, frog -1.7; correct class cat):

    >>> import numpy as np
    >>> losses, _ = point_losses(np.array([[3.2, 5.1, -1.7]]), np.array([0]), loss="svm")
    >>> round(float(losses[0]), 2)
    2.9
    >>> losses, _ = point_losses(np.array([[3.2, 5.1, -1.7]]), np.array([0]), loss="structured")
    >>> round(float(losses[0]), 2)  # only the worst rival counts: max(0, 5.1 - 3.2 + 1)
    2.9
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}; got {loss!r}.")
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    if s.ndim != 2 or s.shape[1] < 2 or y.shape != (s.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"scores must be an array of shape (N, C) with C >= 2 and y an integer array of shape (N,); got "
            f"scores of shape {s.shape} and y of shape {y.shape}, dtype {y.dtype}."
        )
    if y.size and (y.min() < 0 or y.max() >= s.shape[1]):
        raise ValueError(f"labels must be in [0, {s.shape[1]}); got [{y.min()}, {y.max()}].")
    return _point_losses(s, y.astype(np.intp), loss)


@dataclass(frozen=True)
class LossReport:
    """Everything the playground shows for one ``(W, b)``.

    Attributes
    ----------
    scores : array of shape (N, C)
    losses : array of shape (N,)
        Per-point losses ``L_i``.
    data_loss : float
        ``mean(losses)``.
    reg_loss : float
        ``reg * np.sum(W * W)``.
    loss : float
        ``data_loss + reg_loss``.
    dW : array of shape (C, 2)
    db : array of shape (C,)
    """

    scores: np.ndarray
    losses: np.ndarray
    data_loss: float
    reg_loss: float
    loss: float
    dW: np.ndarray
    db: np.ndarray


def _evaluate(W, b, X, y, loss: str, reg: float) -> LossReport:
    """Unchecked kernel of :func:`evaluate`."""
    scores = X @ W.T + b
    losses, dscores = _point_losses(scores, y, loss)
    N = X.shape[0]
    data_loss = float(losses.mean())
    reg_loss = float(reg * np.sum(W * W))
    dW = dscores.T @ X / N + 2.0 * reg * W
    db = dscores.sum(axis=0) / N
    return LossReport(scores, losses, data_loss, reg_loss, data_loss + reg_loss, dW, db)


def evaluate(W, b, X, y, *, loss="svm", reg=0.0) -> LossReport:
    """Scores, per-point losses, total loss and its gradient for the playground's classifier.

    Parameters
    ----------
    W : array of shape (C, 2)
    b : array of shape (C,)
    X : array of shape (N, 2)
    y : array of shape (N,)
    loss : {"svm", "ova", "structured", "softmax"}, keyword-only
    reg : float, keyword-only
        Regularization strength λ; adds ``reg * np.sum(W * W)`` (``b`` is not regularized).

    Returns
    -------
    LossReport

    Examples
    --------
    >>> r = evaluate(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="ova", reg=0.1)
    >>> round(float(r.losses[0]), 2), round(r.reg_loss, 2)  # 0.9 + 1.6 + 0; 0.1 * 35
    (2.5, 3.5)
    """
    W, b, X, y = _check(W, b, X, y, loss=loss, reg=reg)
    return _evaluate(W, b, X, y, loss, float(reg))


def _check_step_size(step_size) -> None:
    if (
        isinstance(step_size, (bool, np.bool_))
        or not isinstance(step_size, numbers.Real)
        or not (0 < step_size < np.inf)
    ):
        raise ValueError(f"step_size must be a finite real number > 0; got {step_size!r}.")


def gradient_step(W, b, X, y, *, loss="svm", reg=0.0, step_size=0.1, num_steps=1):
    """Take ``num_steps`` full-batch gradient-descent steps ``W -= step_size * dW``, ``b -= step_size * db``.

    Parameters
    ----------
    W : array of shape (C, 2)
    b : array of shape (C,)
    X : array of shape (N, 2)
    y : array of shape (N,)
    loss, reg : keyword-only
        As in :func:`evaluate`.
    step_size : float, keyword-only
        Learning rate, > 0.
    num_steps : int, keyword-only
        Number of steps, >= 1.

    Returns
    -------
    W_new : array of shape (C, 2)
    b_new : array of shape (C,)
        New arrays; the inputs are not modified.
    history : list of float
        ``num_steps + 1`` total losses: before the first step and after each one.

    Examples
    --------
    >>> W, b, history = gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss="svm", reg=0.1, step_size=0.05)
    >>> len(history), bool(history[1] < history[0])
    (2, True)
    """
    W, b, X, y = _check(W, b, X, y, loss=loss, reg=reg)
    _check_step_size(step_size)
    if (
        isinstance(num_steps, (bool, np.bool_))
        or not isinstance(num_steps, numbers.Integral)
        or num_steps < 1
    ):
        raise ValueError(f"num_steps must be an integer >= 1; got {num_steps!r}.")
    W, b = W.copy(), b.copy()
    report = _evaluate(W, b, X, y, loss, float(reg))
    history = [report.loss]
    for _ in range(int(num_steps)):
        W -= step_size * report.dW
        b -= step_size * report.db
        report = _evaluate(W, b, X, y, loss, float(reg))
        history.append(report.loss)
    return W, b, history


def random_parameters(num_classes=3, *, seed=None):
    """Random ``W`` (entries uniform in [-3, 3]) and ``b`` (uniform in [-1, 1]), as the demo's "randomize".

    Parameters
    ----------
    num_classes : int
        C.
    seed : int or numpy Generator, keyword-only
        ``np.random.default_rng(seed)``; None draws fresh entropy.

    Returns
    -------
    W : array of shape (C, 2)
    b : array of shape (C,)

    Examples
    --------
    >>> W, b = random_parameters(3, seed=0)
    >>> W.shape, b.shape, bool(np.abs(W).max() <= 3)
    ((3, 2), (3,), True)
    """
    rng = np.random.default_rng(seed)
    return rng.uniform(-3.0, 3.0, size=(num_classes, 2)), rng.uniform(-1.0, 1.0, size=num_classes)


# -- mode ------------------------------------------------------------------------------------------


def display_mode() -> str:
    """``"static"`` or ``"widget"``: how :func:`playground` shows itself in this process.

    Decided in this order:

    1. env ``NBGRADER_EXECUTION`` set (nbgrader validate/autograde): ``"static"``, always;
    2. env ``CS231N_LITE_PLAYGROUND`` = ``static`` or ``widget``: that;
    3. env ``MPLBACKEND`` names a headless backend (``Agg``; nbval and CI set it): ``"static"``;
    4. not inside a Jupyter kernel (plain Python, a test): ``"static"``;
    5. otherwise ``"widget"``.

    Examples
    --------
    >>> display_mode()  # doctests run outside a kernel
    'static'
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return "static"
    forced = os.environ.get(MODE_ENV, "").strip().lower()
    if forced:
        if forced not in ("static", "widget"):
            raise ValueError(
                f"{MODE_ENV} must be 'static' or 'widget'; found {forced!r}. Run `unset {MODE_ENV}` to let the "
                f"playground choose."
            )
        return forced
    backend = os.environ.get("MPLBACKEND", "").strip().lower()
    if backend in HEADLESS_BACKENDS:
        return "static"
    ipython = sys.modules.get("IPython")  # never imported here: a kernel has it loaded already
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return "static"
    return "widget"


# -- drawing ---------------------------------------------------------------------------------------


def _colors(C: int) -> list[tuple[float, float, float]]:
    return [to_rgb(COLORS[c % len(COLORS)]) for c in range(C)]


class _Drawing:
    """The plot's artists on one Axes, created once and updated in place by :meth:`update`."""

    def __init__(self, ax, X, y, num_classes: int, *, resolution: int = 160):
        self.ax = ax
        self.C = num_classes
        lim = 1.3 * max(1.0, float(np.abs(X).max()))
        self.lim = lim
        grid = np.linspace(-lim, lim, resolution)
        gx, gy = np.meshgrid(grid, grid)
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.shape = gx.shape
        colors = _colors(num_classes)
        light = [tuple(0.6 + 0.4 * ch for ch in col) for col in colors]
        self.regions = ax.imshow(
            np.zeros(self.shape),
            origin="lower",
            extent=(-lim, lim, -lim, lim),
            cmap=ListedColormap(light),
            vmin=-0.5,
            vmax=num_classes - 0.5,
            interpolation="nearest",
            zorder=0,
        )
        self.lines = [
            ax.plot([], [], color=col, lw=2, zorder=2, label=f"s{c} = 0")[0] for c, col in enumerate(colors)
        ]
        self.arrows = ax.quiver(
            np.zeros(num_classes),
            np.zeros(num_classes),
            np.zeros(num_classes),
            np.zeros(num_classes),
            color=colors,
            angles="xy",
            scale_units="xy",
            scale=1,
            width=0.008,
            zorder=3,
        )
        ax.scatter(
            X[:, 0], X[:, 1], c=[colors[k] for k in y], s=70, edgecolors="black", linewidths=1.2, zorder=4
        )
        for i, (px, py) in enumerate(X):
            ax.annotate(str(i), (px, py), xytext=(6, 5), textcoords="offset points", fontsize=8, zorder=5)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.axhline(0, color="0.6", lw=0.5, zorder=1)
        ax.axvline(0, color="0.6", lw=0.5, zorder=1)
        ax.set_xlabel("x₀")
        ax.set_ylabel("x₁")

    def update(self, W: np.ndarray, b: np.ndarray, report: LossReport, loss: str) -> None:
        region = (self.grid @ W.T + b).argmax(axis=1).reshape(self.shape)
        self.regions.set_data(region)
        span = 4 * self.lim
        offsets, arrows = np.zeros((self.C, 2)), np.zeros((self.C, 2))
        for c, line in enumerate(self.lines):
            w = W[c]
            norm2 = float(w @ w)
            if norm2 < 1e-12:  # no line: the score is the constant b[c]
                line.set_data([], [])
                continue
            foot = -b[c] * w / norm2  # the point of the line closest to the origin
            along = np.array([-w[1], w[0]]) / np.sqrt(norm2)
            ends = foot + np.outer([-span, span], along)
            line.set_data(ends[:, 0], ends[:, 1])
            offsets[c] = foot
            arrows[c] = 0.25 * self.lim * w / np.sqrt(norm2)
        self.arrows.set_offsets(offsets)
        self.arrows.set_UVC(arrows[:, 0], arrows[:, 1])
        self.ax.set_title(
            f"{LOSSES[loss]}\ntotal loss {report.loss:.4f} = data {report.data_loss:.4f} + reg {report.reg_loss:.4f}",
            fontsize=10,
        )


def _table_rows(X, y, report: LossReport) -> tuple[list[str], list[list[str]]]:
    C = report.scores.shape[1]
    header = ["i", "x₀", "x₁", "y"] + [f"s{c}" for c in range(C)] + ["Lᵢ"]
    rows = [
        [str(i), f"{X[i, 0]:.2f}", f"{X[i, 1]:.2f}", str(int(y[i]))]
        + [f"{v:.2f}" for v in report.scores[i]]
        + [f"{report.losses[i]:.3f}"]
        for i in range(X.shape[0])
    ]
    return header, rows


class PlaygroundFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that shows itself as a PNG in any kernel.

    A figure made without pyplot is only drawn by IPython once pyplot's inline backend is active;
    this one carries its own ``_repr_png_``, so the static playground is a picture in nbval, in
    grading and in the stored notebook outputs whatever the matplotlib backend.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()


def plot_playground(W=None, b=None, X=None, y=None, *, loss="svm", reg=0.1) -> PlaygroundFigure:
    """The playground as one static figure: regions, zero-score lines, points, and the per-point loss table.

    Parameters
    ----------
    W : array of shape (C, 2), optional
        Default :data:`DEMO_W`.
    b : array of shape (C,), optional
        Default :data:`DEMO_B`.
    X : array of shape (N, 2), optional
        Default :data:`DEMO_X`.
    y : array of shape (N,), optional
        Default :data:`DEMO_Y`.
    loss, reg : keyword-only
        As in :func:`evaluate`.

    Returns
    -------
    PlaygroundFigure
        A matplotlib Figure; ``fig.axes[0]`` the plane (``images[0]`` holds the winning class per grid cell),
        ``fig.axes[1]`` the table.

    Examples
    --------
    >>> fig = plot_playground(loss="softmax", reg=0.0)
    >>> sorted(set(fig.axes[0].images[0].get_array().ravel().tolist()))
    [0, 1, 2]
    """
    W = DEMO_W if W is None else W
    b = DEMO_B if b is None else b
    X = DEMO_X if X is None else X
    y = DEMO_Y if y is None else y
    W, b, X, y = _check(W, b, X, y, loss=loss, reg=reg)
    report = _evaluate(W, b, X, y, loss, float(reg))
    fig = PlaygroundFigure(
        figsize=(11, 5), dpi=80
    )  # fixed axes: a layout engine would double the drawing time
    ax_plot = fig.add_axes((0.06, 0.1, 0.4, 0.78))
    ax_table = fig.add_axes((0.5, 0.04, 0.48, 0.84))
    drawing = _Drawing(ax_plot, X, y, W.shape[0])
    drawing.update(W, b, report, loss)
    header, rows = _table_rows(X, y, report)
    ax_table.axis("off")
    table = ax_table.table(cellText=rows, colLabels=header, loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.3)
    ax_table.set_title(f"per-point losses (λ = {reg:g}; bias not regularized)", fontsize=10)
    return fig


# -- widget ---------------------------------------------------------------------------------------


def _html_table(X, y, report: LossReport, colors) -> str:
    header, rows = _table_rows(X, y, report)
    head = "".join(f"<th style='padding:2px 8px'>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        color = to_hex(colors[int(y[i])])
        cells = "".join(
            f"<td style='padding:2px 8px;text-align:right'>{html.escape(v)}</td>" for v in row[:-1]
        )
        zero = report.losses[i] == 0
        style = "color:#888" if zero else "font-weight:bold"
        cells += f"<td class='playground-Li' style='padding:2px 8px;text-align:right;{style}'>{row[-1]}</td>"
        body.append(f"<tr style='border-left:4px solid {color}'>{cells}</tr>")
    return (
        "<table class='playground-table' style='border-collapse:collapse;font-family:monospace'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


class Playground:
    """The interactive playground (ipywidgets + an ipympl canvas); display it as a cell's last expression.

    Create it with :func:`playground`.  State: ``W`` (array of shape (C, 2)), ``b`` (array of shape
    (C,)), ``loss``, ``reg``, ``step_size``; :meth:`step` and :meth:`randomize` are what the buttons
    call, :attr:`report` the current :class:`LossReport`.

    Importing ipywidgets and ipympl happens here, never in static mode.
    """

    def __init__(self, W, b, X, y, *, loss, reg, step_size, seed=None):
        try:
            import ipywidgets as widgets
            from ipympl.backend_nbagg import Canvas, FigureManager
        except ImportError as exc:
            raise ImportError(
                f"the live playground needs ipywidgets and ipympl, but importing {exc.name or 'them'} failed "
                f"({exc}). Run `pip install -r requirements.txt` (or `pip install ipywidgets ipympl`) and restart "
                f"the kernel, or call playground(mode='static') for a picture."
            ) from exc

        self.W, self.b, self.X, self.y = _check(W, b, X, y, loss=loss, reg=reg)
        self.W, self.b = self.W.copy(), self.b.copy()  # sliders write into these: never into the caller's
        self._start = (self.W.copy(), self.b.copy())
        self._rng = np.random.default_rng(seed)
        self._syncing = False
        C = self.W.shape[0]
        self.colors = _colors(C)

        self.figure = Figure(figsize=(5.2, 5.2), layout="constrained")
        self.canvas = Canvas(self.figure)
        self._manager = FigureManager(self.canvas, 0)  # gives the canvas its toolbar
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.resizable = False
        self.drawing = _Drawing(self.figure.add_subplot(), self.X, self.y, C)

        slider = dict(
            min=-6.0,
            max=6.0,
            step=0.01,
            readout_format=".2f",
            continuous_update=True,
            layout=widgets.Layout(width="300px"),
        )
        self.w_sliders = [
            [
                widgets.FloatSlider(value=float(self.W[c, d]), description=f"W[{c},{d}]", **slider)
                for d in range(2)
            ]
            for c in range(C)
        ]
        self.b_sliders = [
            widgets.FloatSlider(value=float(self.b[c]), description=f"b[{c}]", **slider) for c in range(C)
        ]
        self._bind_slots()
        for s in [*sum(self.w_sliders, []), *self.b_sliders]:
            s.add_class("playground-param")
            s.observe(self._on_param, names="value")
        self.loss_picker = widgets.Dropdown(
            options=[(name, key) for key, name in LOSSES.items()],
            value=loss,
            description="loss",
            layout=widgets.Layout(width="300px"),
        )
        self.loss_picker.add_class("playground-loss")
        self.reg_slider = widgets.FloatSlider(
            value=float(reg),
            min=0.0,
            max=max(1.0, float(reg)),
            step=0.001,
            readout_format=".3f",
            description="λ (reg)",
            layout=widgets.Layout(width="300px"),
        )
        self.step_slider = widgets.FloatLogSlider(
            value=float(step_size),
            base=10,
            min=min(-3, int(np.floor(np.log10(step_size)))),
            max=max(0, int(np.ceil(np.log10(step_size)))),
            step=0.05,
            readout_format=".3f",
            description="step size",
            layout=widgets.Layout(width="300px"),
        )
        for control in (self.loss_picker, self.reg_slider):
            control.observe(self._on_setting, names="value")
        self.num_steps = widgets.BoundedIntText(
            value=100, min=1, max=10000, description="steps", layout=widgets.Layout(width="160px")
        )
        self.step_button = widgets.Button(description="step", tooltip="one gradient step")
        self.many_button = widgets.Button(description="many steps", tooltip="take `steps` gradient steps")
        self.random_button = widgets.Button(description="re-randomize", tooltip="random W and b")
        self.reset_button = widgets.Button(description="reset", tooltip="back to the starting W and b")
        self.step_button.on_click(lambda _: self.step(1))
        self.many_button.on_click(lambda _: self.step(self.num_steps.value))
        self.random_button.on_click(lambda _: self.randomize())
        self.reset_button.on_click(lambda _: self.reset())
        # the web demo's "repeated update": the browser ticks the Play widget, each tick is one step
        self.play = widgets.Play(
            value=0,
            min=0,
            max=10**9,
            step=1,
            interval=150,
            description="repeat steps",
            tooltip="one gradient step every 0.15 s",
        )
        self.play.add_class("playground-play")
        self.play.observe(self._on_tick, names="value")
        for name, button in (
            ("step", self.step_button),
            ("many", self.many_button),
            ("randomize", self.random_button),
            ("reset", self.reset_button),
        ):
            button.add_class(f"playground-{name}")

        self.total = widgets.HTML()
        self.total.add_class("playground-total")
        self.table = widgets.HTML()
        self.table.add_class("playground-losses")
        param_boxes = []
        for c in range(C):
            color = to_hex(self.colors[c])
            label = widgets.HTML(f"<b style='color:{color}'>class {c}</b>: s{c} = W[{c}]·x + b[{c}]")
            param_boxes.append(widgets.VBox([label, *self.w_sliders[c], self.b_sliders[c]]))
        controls = widgets.VBox(
            [
                self.loss_picker,
                self.reg_slider,
                self.step_slider,
                widgets.HBox([self.step_button, self.num_steps, self.many_button]),
                widgets.HBox([self.random_button, self.reset_button]),
                widgets.HBox([widgets.Label("repeated steps"), self.play]),
                *param_boxes,
            ]
        )
        self.ui = widgets.VBox([widgets.HBox([self.canvas, controls]), self.total, self.table])
        self.ui.add_class("cs231n-playground")
        self.refresh()

    # -- state ---------------------------------------------------------------------------------------
    @property
    def loss(self) -> str:
        return self.loss_picker.value

    @property
    def reg(self) -> float:
        return float(self.reg_slider.value)

    @property
    def step_size(self) -> float:
        return float(self.step_slider.value)

    def refresh(self) -> None:
        """Recompute the losses from the current state and redraw plot, total and table."""
        self.report = _evaluate(self.W, self.b, self.X, self.y, self.loss, self.reg)
        r = self.report
        self.drawing.update(self.W, self.b, r, self.loss)
        self.total.value = (
            f"<span style='font-size:120%'><b>total loss = <span class='playground-total-value'>{r.loss:.6f}"
            f"</span></b> = data loss {r.data_loss:.6f} + regularization {r.reg_loss:.6f}</span>"
        )
        self.table.value = _html_table(self.X, self.y, r, self.colors)
        self.canvas.draw_idle()

    def set_parameters(self, W, b) -> None:
        """Set ``W`` (array of shape (C, 2)) and ``b`` (array of shape (C,)), move the sliders, redraw."""
        self.W, self.b, _, _ = _check(W, b, self.X, self.y, loss=self.loss, reg=self.reg)
        self.W, self.b = self.W.copy(), self.b.copy()
        self._bind_slots()
        self._syncing = True
        try:
            for c in range(self.W.shape[0]):
                for d in range(2):
                    self._move(self.w_sliders[c][d], self.W[c, d])
                self._move(self.b_sliders[c], self.b[c])
        finally:
            self._syncing = False
        self.refresh()

    def _bind_slots(self) -> None:
        """slider id -> (array, index) of the state entry it shows (rebound whenever W or b is replaced)."""
        self._slots = {
            id(s): (self.W, (c, d)) for c, row in enumerate(self.w_sliders) for d, s in enumerate(row)
        }
        self._slots.update({id(s): (self.b, c) for c, s in enumerate(self.b_sliders)})

    @staticmethod
    def _move(slider, value: float) -> None:
        bound = float(np.ceil(abs(value)))
        if bound > slider.max:  # widen instead of letting the slider clip the state
            slider.max, slider.min = bound, -bound
        slider.value = float(value)

    def step(self, num_steps: int = 1) -> list[float]:
        """Take ``num_steps`` gradient steps with the current loss, λ and step size; returns the loss history."""
        W, b, history = gradient_step(
            self.W,
            self.b,
            self.X,
            self.y,
            loss=self.loss,
            reg=self.reg,
            step_size=self.step_size,
            num_steps=int(num_steps),
        )
        self.set_parameters(W, b)
        return history

    def randomize(self) -> None:
        """Random ``W`` and ``b`` (see :func:`random_parameters`)."""
        self.set_parameters(*random_parameters(self.W.shape[0], seed=self._rng))

    def reset(self) -> None:
        """Back to the starting ``W`` and ``b``."""
        self.set_parameters(*self._start)

    # -- events --------------------------------------------------------------------------------------
    def _on_param(self, change) -> None:
        """A slider moved: take its value into ``W`` or ``b`` -- unless it is only the front end snapping a
        value the kernel set (after a step) to the slider's grid, which must not round the exact state."""
        if self._syncing:
            return
        slider, new = change["owner"], float(change["new"])
        where = self._slots[id(slider)]
        if abs(new - float(where[0][where[1]])) <= 0.5 * slider.step + 1e-12:
            return
        where[0][where[1]] = new
        self.refresh()

    def _on_tick(self, change) -> None:
        if change["new"] > change["old"]:  # the Play widget ticked forward (its reset to 0 is no step)
            self.step(1)

    def _on_setting(self, _change) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)


def playground(W=None, b=None, X=None, y=None, *, loss="svm", reg=0.1, step_size=0.1, seed=None, mode=None):
    """The linear-classifier playground: a live widget in JupyterLab, one static figure elsewhere.

    Parameters
    ----------
    W : array of shape (C, 2), optional
        Starting weights; default :data:`DEMO_W`.
    b : array of shape (C,), optional
        Starting biases; default :data:`DEMO_B`.
    X : array of shape (N, 2), optional
        Points; default :data:`DEMO_X`.
    y : array of shape (N,), optional
        Labels; default :data:`DEMO_Y`.
    loss : {"svm", "ova", "structured", "softmax"}, keyword-only
    reg : float, keyword-only
        λ; default 0.1.
    step_size : float, keyword-only
        Default 0.1.
    seed : int, keyword-only
        Seed of the "re-randomize" button.
    mode : {"static", "widget"}, keyword-only
        Default :func:`display_mode`.  Grading (``NBGRADER_EXECUTION`` set) is static whatever is asked.

    Returns
    -------
    Playground or PlaygroundFigure
        Either displays itself as the last expression of a cell.

    Examples
    --------
    >>> fig = playground(loss="structured")  # outside a kernel: static
    >>> type(fig).__name__, fig._repr_png_()[:4]
    ('PlaygroundFigure', b'\\x89PNG')
    """
    W = DEMO_W if W is None else W
    b = DEMO_B if b is None else b
    X = DEMO_X if X is None else X
    y = DEMO_Y if y is None else y
    chosen = display_mode() if mode is None else mode
    if chosen not in ("static", "widget"):
        raise ValueError(f"mode must be 'static', 'widget' or None (automatic); got {mode!r}.")
    if os.environ.get("NBGRADER_EXECUTION"):
        chosen = "static"
    _check(W, b, X, y, loss=loss, reg=reg)  # the same errors in both modes
    _check_step_size(step_size)
    if chosen == "static":
        return plot_playground(W, b, X, y, loss=loss, reg=reg)
    return Playground(W, b, X, y, loss=loss, reg=reg, step_size=step_size, seed=seed)
