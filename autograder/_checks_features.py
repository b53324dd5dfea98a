"""Trusted check of notebook 05's TODO ``color_histogram_hsv`` (hue histogram of a batch of images).

Self-contained: the cases (inputs + expected answers from :mod:`cs231n_lite.reference.features`), the
verdict on one returned value, and hints for the classic mistakes.  It is split so that a judge can run
the student's function anywhere (in-process for the instructor's self-test, or in a sandboxed kernel
that only receives the inputs) and decide outside it:

- :func:`build_cases` ``(kind) -> list of Case`` -- ``kind`` is ``"visible"`` (the cases behind the visible
  test cell) or ``"hidden"``; every input is plain numpy arrays and numbers;
- :func:`judge` ``(case, returned) -> None | str`` -- ``None`` if right, else the message for the student;
- :func:`check` ``(func, *, cases="hidden")`` -- both, in-process: raises ``AssertionError`` on the first
  failing case.

Inputs never put a pixel's hue within 1e-4 bin widths of a bin edge, so every correct implementation
(``np.histogram``, ``np.digitize``, ``floor``; float32 or float64) gets exactly the reference's counts;
the tolerance (1e-6 absolute) only absorbs float32 division.

Examples
--------
>>> import numpy as np
>>> def color_histogram_hsv(images, nbin=10, xmin=0, xmax=255, normalized=True):
...     from matplotlib.colors import rgb_to_hsv
...     hue = rgb_to_hsv(images / xmax)[..., 0] * xmax  # scaled to the pixel range
...     edges = np.linspace(xmin, xmax, nbin + 1)
...     rows = [np.histogram(h, bins=edges)[0] for h in hue]
...     counts = np.array(rows, dtype=float)
...     return counts / counts.sum(axis=1, keepdims=True) if normalized else counts
>>> check(color_histogram_hsv, cases="hidden")
>>> def not_normalized(images, nbin=10, xmin=0, xmax=255, normalized=True):
...     return color_histogram_hsv(images, nbin, xmin, xmax, normalized=False)
>>> check(not_normalized, cases="visible")
Traceback (most recent call last):
...
AssertionError: color_histogram_hsv returned the wrong histogram on case 'the 2x3 image of the visible test' ...
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["NAME", "Case", "build_cases", "judge", "check", "run"]

NAME = "color_histogram_hsv"
KINDS = ("visible", "hidden")
ATOL = 1e-6

#: the 2x3 image of the visible test cell: red, orange, green / blue, purple, grey
VISIBLE_IMAGE = np.array(
    [[[255, 0, 0], [255, 128, 0], [0, 255, 0]], [[0, 0, 255], [128, 0, 255], [90, 90, 90]]], dtype=np.uint8
)


@dataclass
class Case:
    """One call ``color_histogram_hsv(images, **options)`` and its expected answer.

    Attributes
    ----------
    where : str
        How the student's message names the case.
    images : array of shape (N, H, W, 3)
    options : dict
        ``nbin``, ``xmin``, ``xmax``, ``normalized`` (only those differing from the defaults are passed).
    expected : float64 array of shape (N, nbin)
    """

    where: str
    images: np.ndarray
    options: dict = field(default_factory=dict)
    expected: np.ndarray | None = None

    def full_options(self) -> dict:
        return {"nbin": 10, "xmin": 0, "xmax": 255, "normalized": True, **self.options}


# ------------------------------------------------------------------------------------------------ inputs
def _channels(images, xmax):
    """(hue, saturation, value) of every pixel, each float64 array of shape (N, P), on the [0, xmax] scale."""
    px = images.reshape(images.shape[0], -1, 3).astype(np.float64) / xmax
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    vmax = px.max(axis=-1)
    delta = vmax - px.min(axis=-1)
    safe = np.where(delta > 0, delta, 1.0)
    h = np.where(r == vmax, (g - b) / safe, np.where(g == vmax, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0.0)
    s = np.where(vmax > 0, delta / np.where(vmax > 0, vmax, 1.0), 0.0)
    return h * xmax, s * xmax, vmax * xmax


def _away_from_edges(images, nbin, xmin, xmax):
    """Turn into grey (hue 0) every pixel whose hue lies within 1e-4 bin widths of a bin edge.

    Grey pixels themselves (hue exactly 0) stay: every implementation puts them in the first bin.
    """
    hue = _channels(images, xmax)[0]
    t = (hue - xmin) / (xmax - xmin) * nbin
    near = (np.abs(t - np.round(t)) < 1e-4) & (hue != 0)
    out = images.copy()
    flat = out.reshape(out.shape[0], -1, 3)
    flat[near] = flat[near][:, :1]
    return out


def _random_images(rng, n, h, w, *, saturated=False):
    """uint8 images of shape (n, h, w, 3) from generator ``rng``: random colours, 10 % grey pixels."""
    images = rng.integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)
    grey = rng.random((n, h, w)) < 0.1
    images[grey] = images[grey][:, :1]
    if saturated:  # pure and mixed primaries: two channels often tie at the maximum
        images = (rng.integers(0, 3, size=(n, h, w, 3)) * 127.5).astype(np.uint8)
    return images


def _fixed_rng(*parts):
    """The default generator of the cases: seeded by the case's name (public, reproducible)."""
    key = "|".join(str(p) for p in (NAME, *parts)).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def build_cases(kind="hidden", *, rng=None):
    """The cases of one kind, with their expected answers.

    Parameters
    ----------
    kind : {"visible", "hidden"}
    rng : callable or None, keyword-only
        ``rng(*parts) -> numpy.random.Generator`` for the hidden inputs (a judge passes one seeded by the
        course's secret); None: generators seeded from the case names (reproducible). The visible cases
        never use it.

    Examples
    --------
    >>> [c.where for c in build_cases("visible")]
    ['the 2x3 image of the visible test', 'a batch of 5 random 8x8 images']
    >>> build_cases("hidden")[0].expected.shape
    (20, 10)
    """
    if kind not in KINDS:
        raise ValueError(f"cases must be one of {KINDS}; got {kind!r}.")
    if kind == "visible":
        specs = [
            ("the 2x3 image of the visible test", VISIBLE_IMAGE[None], {}),
            ("a batch of 5 random 8x8 images", _random_images(_fixed_rng("visible", 1), 5, 8, 8), {}),
        ]
    else:
        r = rng or _fixed_rng
        specs = [
            ("20 random 32x32 images", _random_images(r("hidden", 1), 20, 32, 32), {}),
            ("nbin=7", _random_images(r("hidden", 2), 6, 10, 10), {"nbin": 7}),
            (
                "normalized=False, nbin=12 (pixel counts)",
                _random_images(r("hidden", 3), 5, 9, 9),
                {"nbin": 12, "normalized": False},
            ),
            ("xmin=40 (hues below 40 are not counted)", _random_images(r("hidden", 4), 5, 8, 8), {"xmin": 40}),
            (
                "float images in [0, 1] with xmax=1.0",
                _random_images(r("hidden", 5), 4, 6, 6).astype(np.float64) / 255.0,
                {"xmax": 1.0},
            ),
            ("one 5x9 float64 image", _random_images(r("hidden", 6), 1, 5, 9).astype(np.float64), {"nbin": 5}),
            (
                "saturated colours (ties between channels)",
                _random_images(r("hidden", 7), 4, 8, 8, saturated=True),
                {"nbin": 5},
            ),
        ]
    from cs231n_lite.reference.features import color_histogram_hsv as reference  # trusted side only

    cases = []
    for where, images, options in specs:
        case = Case(where, images, options)
        full = case.full_options()
        case.images = _away_from_edges(images, full["nbin"], full["xmin"], full["xmax"])
        case.expected = reference(case.images, **full)
        cases.append(case)
    return cases


# ------------------------------------------------------------------------------------------------ verdicts
def _hist(values, nbin, xmin, xmax, *, normalized, by="counted"):
    """Row histograms of ``values`` (N, P) over [xmin, xmax]; ``by`` = counted pixels or all pixels."""
    edges = np.linspace(xmin, xmax, nbin + 1)
    rows = np.array([np.histogram(v, bins=edges)[0] for v in values], dtype=np.float64)
    if not normalized:
        return rows
    denom = rows.sum(axis=1, keepdims=True) if by == "counted" else np.full((len(rows), 1), values.shape[1], float)
    return np.divide(rows, denom, out=np.zeros_like(rows), where=denom > 0)


def _hints(case, got):
    """(answer of a known mistake, explanation) pairs for this case."""
    o = case.full_options()
    nbin, xmin, xmax, normalized = o["nbin"], o["xmin"], o["xmax"], o["normalized"]
    h, s, v = _channels(case.images, xmax)
    width = (xmax - xmin) / nbin
    out = [
        (
            _hist(h, nbin, xmin, xmax, normalized=not normalized),
            "each row must be divided by its number of counted pixels when normalized=True (so it sums to 1), "
            "and left as pixel counts when normalized=False."
            if normalized
            else "normalized=False asks for pixel counts; you normalized the rows anyway.",
        ),
        (
            _hist(h / xmax, nbin, xmin, xmax, normalized=normalized),
            "rgb_to_hsv returns the hue in [0, 1); put it on the pixel scale first (multiply by xmax), as the "
            "bins span [xmin, xmax].",
        ),
        (
            _hist(s, nbin, xmin, xmax, normalized=normalized),
            "you binned the saturation; the hue is channel 0 of rgb_to_hsv's output (hsv[..., 0]).",
        ),
        (
            _hist(v, nbin, xmin, xmax, normalized=normalized),
            "you binned the value (brightness); the hue is channel 0 of rgb_to_hsv's output (hsv[..., 0]).",
        ),
    ]
    if normalized:
        out.append(
            (
                case.expected / width,
                "np.histogram(..., density=True) divides by the bin width too; multiply by np.diff(bins) "
                "(or divide the counts by the number of counted pixels yourself).",
            )
        )
        if xmin > 0:
            out.append(
                (
                    _hist(h, nbin, xmin, xmax, normalized=True, by="all"),
                    "divide by the number of pixels that fell in a bin, not by all pixels (hues below xmin "
                    "are not counted).",
                )
            )
    if xmax != 255:
        scaled = h / xmax * 255
        out.append(
            (
                _hist(scaled, nbin, xmin, xmax, normalized=normalized),
                "scale the hue by xmax (the pixel scale of this call), not by a fixed 255.",
            )
        )
    if case.images.shape[0] > 1:
        pooled = _hist(h.reshape(1, -1), nbin, xmin, xmax, normalized=normalized)
        out.append(
            (
                np.repeat(pooled, case.images.shape[0], axis=0),
                "every row is the histogram of the whole batch; compute one histogram per image "
                "(loop over images, or offset each image's bin indices).",
            )
        )
    return out


def _fmt_row(row):
    return "[" + ", ".join(f"{x:.4g}" for x in row) + "]"


def judge(case, returned):
    """Decide one case: ``None`` when ``returned`` is right, else a message naming the case and a hint.

    Examples
    --------
    >>> case = build_cases("visible")[0]
    >>> judge(case, case.expected) is None
    True
    >>> print(judge(case, case.expected[:, :9]))
    color_histogram_hsv returned an array of shape (1, 9) on case 'the 2x3 image of the visible test'; expected shape (1, 10) (one row per image, nbin=10 columns). Hint: np.linspace(xmin, xmax, nbin + 1) gives the nbin + 1 edges of nbin bins.
    """
    where = f"case '{case.where}'"
    N, nbin = case.expected.shape
    if not isinstance(returned, np.ndarray):
        try:
            returned = np.asarray(returned, dtype=np.float64)
        except (TypeError, ValueError):
            return f"{NAME} must return a numpy array of shape ({N}, {nbin}); on {where} it returned {type(returned).__name__}."
    if returned.shape != (N, nbin):
        hint = ""
        if returned.shape == (nbin, N) and N != nbin:
            hint = " Hint: rows are images and columns are bins; you returned the transpose."
        elif returned.ndim == 2 and returned.shape[0] == N and returned.shape[1] in (nbin - 1, nbin + 1):
            hint = " Hint: np.linspace(xmin, xmax, nbin + 1) gives the nbin + 1 edges of nbin bins."
        elif returned.shape == (nbin,):
            hint = " Hint: that is one histogram; return one row per image (for N images: shape (N, nbin))."
        return (
            f"{NAME} returned an array of shape {returned.shape} on {where}; expected shape ({N}, {nbin}) "
            f"(one row per image, nbin={nbin} columns).{hint}"
        )
    if returned.dtype == np.bool_ or not np.issubdtype(returned.dtype, np.number):
        return f"{NAME} returned dtype {returned.dtype} on {where}; expected numbers (float)."
    got = returned.astype(np.float64)
    if not np.all(np.isfinite(got)):
        return f"{NAME} returned nan or inf on {where} (a division by zero?)."
    err = np.abs(got - case.expected)
    if err.max() <= ATOL:
        return None
    i, j = np.unravel_index(np.argmax(err), err.shape)
    hint = ""
    best = err.max()
    for answer, text in _hints(case, got):
        off = np.abs(got - answer).max() if answer.shape == got.shape else np.inf
        if off <= ATOL and off < best:
            hint, best = f"\n  Hint: {text}", off
    return (
        f"{NAME} returned the wrong histogram on {where} (options {case.full_options()}):\n"
        f"  image {i}: got {_fmt_row(got[i])}\n  expected  {_fmt_row(case.expected[i])}\n"
        f"  (worst entry: bin {j}, got {got[i, j]:.6g}, expected {case.expected[i, j]:.6g}){hint}"
    )


def check(func, *, cases="hidden"):
    """Run ``func`` on the cases of one kind in this process; raise ``AssertionError`` at the first wrong one.

    The inputs are passed as copies and checked afterwards, so a function that modifies its input fails.
    """
    __tracebackhide__ = True
    if not callable(func):
        raise AssertionError(
            f"{NAME}: expected a function, got {type(func).__name__}. Run the cell that defines "
            f"`def {NAME}(...)` first, then re-run this cell."
        )
    for case in build_cases(cases):
        images = case.images.copy()
        try:
            returned = func(images, **case.options)
        except NotImplementedError:
            raise AssertionError(
                f"{NAME} raised NotImplementedError on case '{case.where}': replace `raise NotImplementedError()` "
                "in the TODO cell with your implementation and re-run that cell."
            ) from None
        except Exception as exc:
            raise AssertionError(
                f"{NAME} raised {type(exc).__name__} on case '{case.where}' (images of shape {images.shape}, "
                f"dtype {images.dtype}, options {case.full_options()}): {exc}"
            ) from None
        if not np.array_equal(images, case.images):
            raise AssertionError(
                f"{NAME} modified its input images in place on case '{case.where}'; work on a copy "
                "(e.g. images / xmax makes a new array)."
            )
        message = judge(case, returned)
        if message is not None:
            raise AssertionError(message)


def run(ctx):
    """The registry entry for the trusted judge of :mod:`autograder.checks` (``_CHECKS[NAME] = run``).

    ``ctx`` is the judge's per-check context: ``ctx.cases`` ("visible" / "hidden"), ``ctx.rng(*parts)`` (a
    generator seeded by the course secret for hidden cases) and ``ctx.invoke(where, args, kwargs, *,
    unchanged)`` (calls the student's function wherever it runs and returns its outcome, raising the
    judge's failure for exceptions, timeouts and modified inputs).  A wrong answer raises the judge's
    ``Fail`` with :func:`judge`'s message.
    """
    from autograder.checks import Fail

    rng = ctx.rng if ctx.cases == "hidden" else None
    for case in build_cases(ctx.cases, rng=rng):
        out = ctx.invoke(f"case '{case.where}'", [case.images], dict(case.options), unchanged=[(0, "images")])
        message = judge(case, out.value)
        if message is not None:
            raise Fail(message)
