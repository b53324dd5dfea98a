"""Trusted checks for the student TODO functions of the ``linear_classifiers`` assignment.

Every autograded test cell of the notebooks ends with one hidden line (the grade-cell convention)::

    from autograder import checks; checks.check("svm_loss_naive", svm_loss_naive, cases="hidden")

In GRADING this line is never executed in the student's kernel: :mod:`autograder.judge` parses it from the cell
source nbgrader restored from the gradebook, and runs :func:`run_check` in the trusted process with a
:class:`autograder.judge.RemoteCaller`: the inputs are sent into the sandbox, the student's function runs there,
its RETURN VALUES come back as data (:mod:`autograder.wire`) and are compared here with the reference, which
never leaves this process. In the instructor's source notebook (nbval) the same line runs :func:`check`
in-process on the function object (a self-test of the notebook and of the checks).

``cases="visible"`` re-derives the visible cell's point on public inputs (the lecture's examples and inputs drawn
from a public seed); ``cases="hidden"`` uses inputs drawn from the course's secret seed (created at release in
``<course>/.autograder/secret``), so two courses see different inputs and a regrade sees the same ones.

What a check verifies: values against :mod:`cs231n_lite.reference` (relative error 1e-6 for float64, 1e-4 for
float32); return types, shapes and dtypes; finite outputs; inputs not modified; stability at scores of +-1e4;
for the vectorized losses (hidden cases) the source has no per-example Python loop
(:mod:`autograder.structure`) and the function is at least 5x faster than the reference naive loops, both timed
by the trusted side around the call on inputs it draws at that moment.

Examples
--------
>>> from autograder import checks
>>> def numerical_gradient(f, x, *, h=1e-5, method="centered"):
...     return x * 0.0  # wrong on purpose
>>> checks.check("numerical_gradient", numerical_gradient, cases="visible")
Traceback (most recent call last):
...
AssertionError: numerical_gradient returned the wrong gradient on case 'a vector, default h and method' ...
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from autograder import _checks_features, wire

__all__ = ["NAMES", "CASE_SETS", "Call", "Callback", "Fail", "LocalCaller", "Verdict", "check", "run_check"]

NAMES = (
    "hinge_loss",
    "softmax",
    "cross_entropy_loss",
    "svm_loss_naive",
    "svm_loss_vectorized",
    "train_sgd",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "numerical_gradient",
    "color_histogram_hsv",
)
CASE_SETS = ("visible", "hidden")
PUBLIC_SEED = "public"
F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
TOL = {F64: 1e-6, F32: 1e-4}
LN10 = math.log(10.0)
CALL_TIMEOUT = 10.0
SPEED_N, SPEED_D, SPEED_C, SPEED_MIN_RATIO = 2000, 20, 10, 5.0
SPEED_BASELINE_MAX_AGE = 120.0  # seconds a timing of the naive loops is reused for (see _speed_baseline)
_TIMING_LOCK = threading.Lock()  # one reference timing at a time in this process
_BASELINES: dict[tuple, tuple[float, float, float]] = {}  # key -> (best seconds, monotonic time, load average)


def _ref(name):
    from cs231n_lite import reference
    from cs231n_lite.reference import extra

    return getattr(reference, name, None) or getattr(extra, name)


# ---------------------------------------------------------------------------------------------------------------
# calls: what the trusted side learns from one call of the student's function
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Call:
    """Outcome of one call. ``status``: ok / raised / missing / not_callable / timeout / kernel_died /
    interrupted / unsendable / protocol. ``digests``: fingerprints of the arguments AFTER the call."""

    status: str
    value: object = None
    error: dict = field(default_factory=dict)
    seconds: float = 0.0
    digests: list = field(default_factory=list)


class Callback:
    """A trusted function handed to the student's function as an argument (``loss_fn``, ``f``).

    Remotely it runs HERE whenever the student's code calls it in the sandbox; ``fn`` raises ``TypeError`` or
    ``ValueError`` for bad arguments, which the student's code sees as that exception.
    """

    def __init__(self, fn, name: str):
        self.fn, self.name = fn, name


class LocalCaller:
    """Calls a function object in this process (instructor runs, nbval); values go through the same wire
    encoding as in grading, so both judge exactly the same data."""

    def __init__(self, func):
        self.func = func

    def call(self, name, args, kwargs=None, *, timeout=CALL_TIMEOUT) -> Call:
        def wrap(value):
            if isinstance(value, Callback):
                cb = value

                def proxy(*a, **kw):
                    blobs: list = []
                    tree = wire.encode([list(a), kw], blobs)
                    a2, kw2 = wire.decode(tree, blobs)
                    out = cb.fn(*a2, **kw2)
                    blobs = []
                    return wire.decode(wire.encode(out, blobs), blobs)

                proxy.__name__ = cb.name
                return proxy
            return value

        args = [wrap(a) for a in args]
        kwargs = {k: wrap(v) for k, v in (kwargs or {}).items()}
        if not callable(self.func):
            return Call("not_callable", error={"type": wire._type_name(self.func), "message": ""})
        start = time.perf_counter()
        try:
            value = self.func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the student's exception is the result
            seconds = time.perf_counter() - start
            return Call(
                "raised", error={"type": type(exc).__name__, "message": str(exc)[:2000]}, seconds=seconds
            )
        seconds = time.perf_counter() - start
        blobs: list = []
        try:
            value = wire.decode(wire.encode(value, blobs), blobs)
        except wire.WireError as exc:
            return Call("unsendable", error={"type": "WireError", "message": str(exc)}, seconds=seconds)
        digests = [wire.digest(a) for a in args] + [wire.digest(kwargs[k]) for k in sorted(kwargs)]
        return Call("ok", value=value, seconds=seconds, digests=digests)


# ---------------------------------------------------------------------------------------------------------------
# verdicts and failures
# ---------------------------------------------------------------------------------------------------------------


class Fail(Exception):
    """A failed check: ``message`` for the student, ``status`` for the grade row (failed unless the call itself
    timed out, crashed the kernel, ...)."""

    def __init__(self, message: str, status: str = "failed"):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Verdict:
    """The trusted decision for one grade cell."""

    name: str
    cases: str
    passed: bool
    message: str
    status: str = "ok"
    seconds: float = 0.0


class _Ctx:
    def __init__(self, name, caller, cases, seed, program, timeout):
        self.name, self.caller, self.cases, self.seed = name, caller, cases, seed
        self.program, self.timeout = program, timeout

    def rng(self, *parts) -> np.random.Generator:
        key = "|".join(str(p) for p in (self.seed, self.name, *parts)).encode()
        return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))

    def invoke(self, where, args, kwargs=None, *, unchanged=()) -> Call:
        """Call the student's function; turn every non-``ok`` outcome into a :class:`Fail`."""
        before = {pos: wire.digest(args[pos]) for pos, _ in unchanged}
        out = self.caller.call(self.name, list(args), dict(kwargs or {}), timeout=self.timeout)
        name = self.name
        if out.status == "ok":
            for pos, label in unchanged:
                if pos < len(out.digests) and out.digests[pos] != before[pos]:
                    raise Fail(
                        f"{name} modified its input {label} in place on {where}. Work on a copy (e.g. "
                        f"`{label} = {label}.copy()` or `{label} - m` instead of `{label} -= m`) so the caller's "
                        f"array stays unchanged."
                    )
            return out
        err = out.error or {}
        etype, emsg, eline = err.get("type", "Error"), err.get("message", ""), err.get("where", "")
        if out.status == "raised":
            if etype == "NotImplementedError":
                raise Fail(
                    f"{name} raised NotImplementedError on {where}: replace `raise NotImplementedError()` in the "
                    f"TODO cell with your implementation and re-run that cell."
                )
            at = f"\n    (raised at {eline})" if eline else ""
            raise Fail(f"{name} raised an exception on {where}:\n  {etype}: {emsg}{at}")
        if out.status == "missing":
            raise Fail(
                f"{name} is not defined when this cell runs: run the cell that defines `def {name}(...)` first.",
            )
        if out.status == "not_callable":
            raise Fail(f"{name}: expected a function, got {etype}. Define it with `def {name}(...)`.")
        if out.status == "timeout":
            raise Fail(f"{name} did not return within {self.timeout:g} s on {where}.", status="timeout")
        if out.status == "kernel_died":
            raise Fail(
                f"{name}: the kernel died or stopped answering on {where} ({emsg}).", status="kernel_died"
            )
        if out.status == "interrupted":
            raise Fail(f"{name} was interrupted on {where}.", status="timeout")
        if out.status == "unsendable":
            raise Fail(f"{name} returned a value the grader cannot read on {where}: {emsg}")
        raise Fail(
            f"{name}: the sandbox sent no usable result on {where} ({out.status}: {emsg}).", status="error"
        )


def _type_name(value) -> str:
    if isinstance(value, wire.Other):
        return value.type_name
    return wire._type_name(value)


def _fmt(x) -> str:
    return f"{x:.10g}"


def _fmt_arr(arr, *, limit=8) -> str:
    flat = np.asarray(arr).reshape(-1)
    body = ", ".join(f"{v:.6g}" if isinstance(v, float) else repr(v) for v in flat[:limit].tolist())
    more = f", ... ({flat.size} values)" if flat.size > limit else ""
    return f"[{body}{more}]"


def _rel(got, expected, *, floor=1e-8) -> float:
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        return float("inf")
    if e.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        diff = float(np.max(np.abs(g - e)))
    return diff / max(float(np.max(np.abs(e))), floor)


def _worst(got, expected) -> str:
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    d = np.abs(g - e).reshape(-1)
    k = int(np.nanargmax(d)) if np.isfinite(d).any() else 0
    idx = tuple(int(i) for i in np.unravel_index(k, e.shape))
    idx = idx[0] if len(idx) == 1 else idx
    return (
        f"largest difference at index {idx}: got {_fmt(g.reshape(-1)[k])}, expected {_fmt(e.reshape(-1)[k])}"
    )


_STABILITY_HINT = {
    "softmax": " Subtract the maximum of each row before np.exp: scores - np.max(scores, axis=-1, keepdims=True).",
    "cross_entropy_loss": " Subtract max(scores) before np.exp so large scores cannot overflow.",
    "softmax_loss_naive": " Subtract the max score of each example before np.exp (scores -= np.max(scores)).",
    "softmax_loss_vectorized": " Subtract the row maximum before np.exp: s - s.max(axis=1, keepdims=True).",
}


def _as_float(value):
    t = type(value)
    if t is float or t is int:
        return float(value), None
    if isinstance(value, (np.floating, np.integer)) and not isinstance(value, np.bool_):
        return float(value), None
    if t is np.ndarray:
        if value.dtype.kind not in "fiu":
            return None, f"a numpy array of dtype {value.dtype}"
        if value.size != 1:
            return None, f"a numpy array of shape {value.shape} (expected a single number)"
        return float(value.reshape(-1)[0]), None
    if t is bool or isinstance(value, np.bool_):
        return None, "a bool"
    return None, f"an object of type {_type_name(value)}"


def _scalar(name, what, value, where) -> float:
    x, reason = _as_float(value)
    if reason is not None:
        raise Fail(
            f"{name} must return {what} as a number (a Python float or numpy float scalar); on {where} it "
            f"returned {reason}. Use e.g. `{what} = float(...)` or `np.sum(...)`."
        )
    if not math.isfinite(x):
        raise Fail(f"{name} returned a non-finite {what} ({x!r}) on {where}.{_STABILITY_HINT.get(name, '')}")
    return x


def _array_out(name, what, value, where, *, shape, dtype, like):
    if type(value) is not np.ndarray:
        raise Fail(
            f"{name} must return {what} as a numpy ndarray; on {where} it returned {_type_name(value)}. "
            f"Build it with numpy, e.g. `{what} = np.zeros_like({like})`."
        )
    if value.shape != tuple(shape):
        raise Fail(
            f"{name} returned {what} of shape {value.shape} on {where}; expected shape {tuple(shape)} "
            f"(the same as {like})."
        )
    if value.dtype != dtype:
        raise Fail(
            f"{name} returned {what} of dtype {value.dtype} on {where}; expected dtype {dtype} (the same as "
            f"{like}). Allocate with np.zeros_like({like}) and avoid changing the dtype."
        )
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        raise Fail(f"{name} returned {what} containing NaN or inf on {where}.{_STABILITY_HINT.get(name, '')}")
    return value


def _pair(name, value, where, names):
    a, b = names
    if type(value) in (tuple, list) and len(value) == 2:
        return value[0], value[1]
    size = f" of length {len(value)}" if type(value) in (tuple, list) else ""
    raise Fail(
        f"{name} must return a pair ({a}, {b}); on {where} it returned {_type_name(value)}{size}. "
        f"End your function with `return {a}, {b}`."
    )


def _hint(got, candidates, expected, tol) -> str:
    """The hint of the known mistake whose answer is closest to ``got`` (if it explains ``got``)."""
    off = _rel(got, expected)
    best, best_err = "", off
    for value, text in candidates:
        err = _rel(got, value)
        if (err <= tol or err <= 0.1 * off) and err < best_err:
            best, best_err = f"\n  Hint: {text}", err
    return best


def _value_fail(name, what, where, got, expected, tol, hint=""):
    err = _rel(got, expected)
    if np.ndim(expected) and np.size(expected) > 1:
        detail = f"max relative error {err:.3g} (tolerance {tol:g}); {_worst(got, expected)}"
    else:
        detail = f"got {_fmt(float(got))}, expected {_fmt(float(expected))} (relative error {err:.3g}, tolerance {tol:g})"
    raise Fail(f"{name} returned the wrong {what} on {where}:\n  {detail}{hint}")


def _quiet_ref(fn, *args, **kwargs):
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# one-example functions
# ---------------------------------------------------------------------------------------------------------------

LECTURE_SCORES = np.array(
    [[3.2, 1.3, 2.2], [5.1, 4.9, 2.5], [-1.7, 2.0, -3.1]]
)  # columns: cat, car, frog images


def _score_inputs(ctx):
    """[(label, scores, y)] for hinge_loss / cross_entropy_loss."""
    if ctx.cases == "visible":
        out = [
            (f"the lecture's {c} image", LECTURE_SCORES[:, i].copy(), i)
            for i, c in enumerate(["cat", "car", "frog"])
        ]
        out.append(("all scores equal, C=10", np.zeros(10), 3))
        return out
    r = ctx.rng("inputs")
    return [
        ("random scores", r.standard_normal(10) * 2.0, int(r.integers(0, 10))),
        ("float32 scores", (r.standard_normal(4) * 1.5).astype(np.float32), np.int64(r.integers(0, 4))),
        ("correct class wins by a margin", np.array([0.5, 3.0, 1.2, -1.0]) + r.standard_normal(4) * 0.1, 1),
        ("scores of magnitude 1e3", r.standard_normal(5) * 1e3, int(r.integers(0, 5))),
        ("large scores around +1e4", 1e4 + r.standard_normal(6) * 3.0, int(r.integers(0, 6))),
        ("scores around -1e4", -1e4 + r.standard_normal(6) * 3.0, int(r.integers(0, 6))),
    ]


def _check_scalar_fn(ctx):
    name = ctx.name
    ref = _ref(name)
    inputs = _score_inputs(ctx)
    if name == "hinge_loss":
        inputs = [c for c in inputs if "1e4" not in c[0]]
    for label, s, y in inputs:
        exp = float(_quiet_ref(ref, s.copy(), y))
        s64 = s.astype(np.float64)
        if name == "hinge_loss":
            wrong = np.maximum(0.0, s64 - s64[int(y)] + 1.0)
            hints = [
                (
                    float(wrong.sum()),
                    "skip the correct class (j == y): its margin s_y - s_y + 1 = 1 must not be counted.",
                ),
                (
                    float((s64 - s64[int(y)] + 1.0).sum() - 1.0),
                    "clamp every margin at zero: max(0, s_j - s_y + 1).",
                ),
            ]
        else:
            hints = [
                (exp / LN10, "use the natural logarithm np.log (not np.log10)."),
                (-exp, "the loss is MINUS the log-probability of the correct class."),
            ]
        shown = f"scores={_fmt_arr(s)}" if ctx.cases == "visible" else f"scores of shape {s.shape}"
        where = f"case '{label}' ({shown} of dtype {s.dtype}, y={int(y)})"
        tol = TOL[s.dtype]
        out = ctx.invoke(where, (s, y), unchanged=[(0, "scores")])
        got = _scalar(name, "loss", out.value, where)
        if _rel(got, exp) > tol:
            _value_fail(name, "loss", where, got, exp, tol, _hint(got, hints, exp, tol))


def _check_softmax(ctx):
    name = "softmax"
    ref = _ref(name)
    if ctx.cases == "visible":
        inputs = [
            ("the lecture's cat image", LECTURE_SCORES[:, 0].copy()),
            ("the lecture's three images as a batch", LECTURE_SCORES.T.copy()),
        ]
    else:
        r = ctx.rng("inputs")
        m = r.standard_normal((3, 5))
        m[0] += 1e4
        m[1] -= 1e4
        inputs = [
            ("one example, random", r.standard_normal(10) * 2.0),
            ("a batch of 6 examples", r.standard_normal((6, 4)) * 2.0),
            ("float32 batch", (r.standard_normal((5, 3)) * 2.0).astype(np.float32)),
            (
                "one example with scores +-1e4",
                np.array([1e4, 1e4 - 1.0, -1e4, 0.0]) + r.standard_normal(4) * 0.1,
            ),
            ("rows near +1e4, -1e4 and 0", m),
            ("a (2, 3, 4) stack of score tables", r.standard_normal((2, 3, 4))),
        ]
    for label, s in inputs:
        exp = _quiet_ref(ref, s.copy())
        hints = []
        if s.ndim >= 2:
            with np.errstate(all="ignore"):
                e = np.exp(s - s.max(axis=0, keepdims=True))
                hints.append(
                    (e / e.sum(axis=0, keepdims=True), "normalize along the LAST axis (axis=-1), per row.")
                )
                g = np.exp(s - s.max())
                hints.append(
                    (
                        g / g.sum(),
                        "each row (last axis) must sum to 1 on its own: use axis=-1, keepdims=True.",
                    )
                )
        values = f": {_fmt_arr(s, limit=6)}" if ctx.cases == "visible" else ""  # hidden inputs stay hidden
        where = f"case '{label}' (scores of shape {s.shape}, dtype {s.dtype}{values})"
        tol = 1e-5 if s.dtype == F32 else 1e-6
        out = ctx.invoke(where, (s,), unchanged=[(0, "scores")])
        probs = _array_out(
            name, "probabilities", out.value, where, shape=s.shape, dtype=s.dtype, like="scores"
        )
        if _rel(probs, exp) > tol:
            _value_fail(name, "probabilities", where, probs, exp, tol, _hint(probs, hints, exp, tol))


# ---------------------------------------------------------------------------------------------------------------
# losses over a batch
# ---------------------------------------------------------------------------------------------------------------

_LOSS_SPECS = (  # label, N, D, C, reg, dtype, bias shift
    ("small random batch", 9, 11, 4, 0.3, np.float64, 0.0),
    ("no regularization", 7, 6, 3, 0.0, np.float64, 0.0),
    ("float32 inputs", 12, 20, 5, 0.1, np.float32, 0.0),
    ("a single example", 1, 5, 3, 0.05, np.float64, 0.0),
    ("CIFAR-like shape", 40, 33, 10, 2.5, np.float64, 0.0),
)
_STABLE_SPECS = (
    ("scores shifted by +1e4", 8, 6, 4, 0.0, np.float64, 1e4),
    ("scores shifted by -1e4", 8, 6, 4, 0.0, np.float64, -1e4),
)
_VISIBLE_SPECS = (
    ("a dev-set-like batch", 20, 11, 10, 0.0, np.float64, 0.0),
    ("a dev-set-like batch with reg=50", 20, 11, 10, 50.0, np.float64, 0.0),
    ("float32 inputs", 12, 20, 5, 0.0, np.float32, 0.0),
)


def _loss_inputs(r, N, D, C, dtype):
    """Random (W, X, y) with a bias column whose SVM margins all stay >= 1e-3 away from 0."""
    for _ in range(100):
        X = r.standard_normal((N, D))
        X[:, -1] = 1.0
        W = r.standard_normal((D, C)) * (1.5 / math.sqrt(D))
        y = r.integers(0, C, size=N).astype(np.int64)
        X, W = X.astype(dtype), W.astype(dtype)
        s = X.astype(np.float64) @ W.astype(np.float64)
        margins = s - s[np.arange(N), y][:, None] + 1.0
        margins[np.arange(N), y] = 10.0
        if np.abs(margins).min() > 1e-3:
            return W, X, y
    raise RuntimeError("could not draw SVM inputs away from hinge kinks")  # pragma: no cover


def _loss_cases(ctx, kind):
    if ctx.cases == "visible":
        specs = _VISIBLE_SPECS
        yield (
            "the lecture's table (W = scores, X = identity)",
            LECTURE_SCORES.T.copy(),
            np.eye(3),
            np.arange(3),
            0.0,
        )
    else:
        specs = _LOSS_SPECS + (_STABLE_SPECS if kind == "softmax" else ())
    for label, N, D, C, reg, dtype, shift in specs:
        W, X, y = _loss_inputs(ctx.rng("loss", label), N, D, C, dtype)
        if shift:
            W[-1, :] += shift  # the bias row: every score moves by `shift`, the loss does not change
        yield (f"{label}' (N={N}, D={D}, C={C}, reg={reg}, {np.dtype(dtype).name} inputs", W, X, y, reg)


def _check_loss_fn(ctx, kind):
    name = ctx.name
    vectorized = _ref(f"{kind}_loss_vectorized")
    for label, W, X, y, reg in _loss_cases(ctx, kind):
        where = f"case '{label})"
        W64, X64 = W.astype(np.float64), X.astype(np.float64)
        loss, dW = _quiet_ref(vectorized, W64, X64, y, reg)
        data_loss, data_dW = _quiet_ref(vectorized, W64, X64, y, 0.0)
        loss, data_loss, N = float(loss), float(data_loss), X.shape[0]
        reg_term = reg * float(np.sum(W64 * W64))
        lh = [
            (data_loss, "the regularization term is missing: add reg * np.sum(W * W) to the loss."),
            (
                data_loss + 0.5 * reg_term,
                "this course's regularization has no 1/2: loss += reg * np.sum(W * W).",
            ),
            (N * data_loss + reg_term, "average the data loss over the N examples (divide the sum by N)."),
            (data_loss / LN10 + reg_term, "use the natural logarithm np.log (not np.log10)."),
        ]
        if kind == "svm":
            lh.append(
                (
                    data_loss + 1.0 + reg_term,
                    "skip the correct class j == y[i]: it adds delta = 1 per example.",
                )
            )
        dh = [
            (data_dW, "the gradient of the regularization term is missing: dW += 2 * reg * W."),
            (data_dW + reg * W64, "the gradient of reg * np.sum(W * W) is 2 * reg * W (not reg * W)."),
            (N * data_dW + 2 * reg * W64, "divide the data gradient by N (average over the examples)."),
            (-data_dW + 2 * reg * W64, "the data gradient has the wrong sign."),
        ]
        tol = TOL[W.dtype]
        out = ctx.invoke(where, (W, X, y, reg), unchanged=[(0, "W"), (1, "X"), (2, "y")])
        got_loss, got_dW = _pair(name, out.value, where, ("loss", "dW"))
        got_loss = _scalar(name, "loss", got_loss, where)
        got_dW = _array_out(name, "dW", got_dW, where, shape=W.shape, dtype=W.dtype, like="W")
        if _rel(got_loss, loss) > tol:
            _value_fail(name, "loss", where, got_loss, loss, tol, _hint(got_loss, lh, loss, tol))
        if _rel(got_dW, dW) > tol:
            _value_fail(name, "gradient dW", where, got_dW, dW, tol, _hint(got_dW, dh, dW, tol))


def _check_vectorized(ctx, kind):
    if ctx.cases == "hidden":
        findings = ctx.program.findings(ctx.name) if ctx.program is not None else []
        if findings:
            raise Fail(
                f"{ctx.name} must not loop over the examples in Python (the grader reads your source):\n    "
                + "\n    ".join(findings[:8])
                + "\n  Hint: compute all scores at once with X @ W and use fancy indexing like s[np.arange(N), y]."
            )
    _check_loss_fn(ctx, kind)
    if ctx.cases == "hidden":
        _check_speed(ctx, kind)


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        return 0.0


def _speed_baseline(key: tuple) -> float | None:
    """The cached time of the reference naive loops for `key` = (kind, N, D, C), or None to time them now.

    Grading a batch times the same reference loops on inputs of the same shape for every student (their time
    does not depend on the values), so the best of the last timing is kept in THIS trusted process and reused for
    the first attempt of later checks. It is timed again when it is older than :data:`SPEED_BASELINE_MAX_AGE`
    seconds or when the machine's load has clearly changed since (1-minute load average off by more than
    ``0.5 + 25%``): a busier machine slows the student's timed calls, and the reference must be timed under the
    same conditions. The second attempt of a check always times the reference again, interleaved with the
    student's calls, exactly as without the cache, so a stale baseline can cost a retry, never a verdict the
    fresh timing would not give.

    The student cannot influence the baseline: the loops are the trusted reference, run here on inputs the grader
    drew, never in the sandbox; the cache holds only the grader's own clock readings.
    """
    entry = _BASELINES.get(key)
    if entry is None:
        return None
    seconds, at, load = entry
    if time.monotonic() - at > SPEED_BASELINE_MAX_AGE or abs(_load() - load) > 0.5 + 0.25 * load:
        return None
    return seconds


def _check_speed(ctx, kind):
    """Student's function timed by THIS process around each call (inputs drawn now, sent with the call) against
    the reference naive loops timed in this process (cached for a while: :func:`_speed_baseline`): the student
    can slow neither clock's reference."""
    name = ctx.name
    r = ctx.rng("speed", time.time_ns())  # fresh inputs every time: nothing to precompute
    N, D, C = SPEED_N, SPEED_D, SPEED_C
    X = r.standard_normal((N, D))
    W = r.standard_normal((D, C)) * (1.5 / math.sqrt(D))
    y = r.integers(0, C, size=N)
    naive = _ref(f"{kind}_loss_naive")
    key = (kind, N, D, C)
    where = f"the timing input (N={N}, D={D}, C={C})"
    ratio, t_naive, t_vec = 0.0, 0.0, 0.0
    for attempt in range(2):
        cached = _speed_baseline(key) if attempt == 0 else None
        best_naive = best_vec = float("inf")
        for _ in range(2 + attempt):
            if cached is None:
                with _TIMING_LOCK:
                    start = time.perf_counter()
                    _quiet_ref(naive, W, X, y, 0.1)
                    best_naive = min(best_naive, time.perf_counter() - start)
            for _ in range(2):
                start = time.perf_counter()
                out = ctx.invoke(where, (W, X, y, 0.1))
                best_vec = min(best_vec, time.perf_counter() - start)
                _pair(name, out.value, where, ("loss", "dW"))
        if cached is None:
            _BASELINES[key] = (best_naive, time.monotonic(), _load())
        t_naive, t_vec = (cached if cached is not None else best_naive), best_vec
        ratio = t_naive / max(t_vec, 1e-9)
        if ratio >= SPEED_MIN_RATIO:
            return
    raise Fail(
        f"{name} is too slow: {t_vec * 1e3:.1f} ms on {where} (timed by the grader around the call) versus "
        f"{t_naive * 1e3:.1f} ms for the naive loops, only {ratio:.1f}x faster (need at least "
        f"{SPEED_MIN_RATIO:g}x). Avoid per-example work and huge temporary arrays such as (N, C, D) broadcasts; "
        f"use X @ W and X.T @ coefficients."
    )


# ---------------------------------------------------------------------------------------------------------------
# train_sgd: loss_fn is a trusted callback that logs every minibatch
# ---------------------------------------------------------------------------------------------------------------


class _SgdLoss:
    """loss_fn handed to train_sgd: 0.5 * mean squared error to one-hot targets + reg * sum(W*W); logs calls."""

    def __init__(self, X):
        self.rows = {X[i].astype(np.float64).tobytes(): i for i in range(X.shape[0])}
        self.log = []

    def __call__(self, W, X, y, reg):
        if (
            not all(type(a) is np.ndarray for a in (W, X, y))
            or W.ndim != 2
            or X.ndim != 2
            or X.shape[1] != W.shape[0]
        ):
            raise TypeError(
                "loss_fn(W, X_batch, y_batch, reg) expects numpy arrays W (D, C), X_batch (batch_size, D) and "
                "y_batch (batch_size,); call it as loss_fn(W, X[idx], y[idx], reg)."
            )
        if (
            y.shape != (X.shape[0],)
            or y.dtype.kind not in "iu"
            or (y.size and (y.min() < 0 or y.max() >= W.shape[1]))
        ):
            raise ValueError("y_batch must hold one integer label in [0, C) per row of X_batch (y[idx]).")
        X64 = X.astype(np.float64)
        idx = tuple(self.rows.get(X64[i].tobytes(), -1) for i in range(X.shape[0]))
        self.log.append((idx, W.copy(), reg))
        n = X.shape[0]
        Wd = W.astype(np.float64)
        scores = X64 @ Wd
        target = np.zeros((n, W.shape[1]))
        target[np.arange(n), y] = 1.0
        diff = scores - target
        reg_f, _ = _as_float(reg)
        reg_f = reg_f if reg_f is not None else 0.0
        loss = 0.5 * float(np.sum(diff * diff)) / max(n, 1) + reg_f * float(np.sum(Wd * Wd))
        dW = X64.T @ diff / max(n, 1) + 2.0 * reg_f * Wd
        return np.float64(loss), dW.astype(W.dtype)


def _check_train_sgd(ctx):
    name = "train_sgd"
    ref = _ref(name)
    if ctx.cases == "visible":
        specs = (("default seed", 13, 5, 3, np.float64, 0.05, 0.01, 6, 4, None),)
    else:
        r0 = ctx.rng("seeds")
        s = [int(v) for v in r0.integers(0, 1000, size=3)]
        specs = (
            ("default seed", 13, 5, 3, np.float64, 0.05, 0.01, 6, 4, None),
            (f"seed={s[0]}, float32", 9, 4, 3, np.float32, 0.1, 0.0, 5, 3, s[0]),
            (f"batch_size > N, seed={s[1]}", 4, 3, 2, np.float64, 0.2, 0.1, 3, 7, s[1]),
            ("num_iters=0", 6, 3, 2, np.float64, 0.1, 0.1, 0, 2, s[2]),
        )
    for label, N, D, C, dtype, lr, reg, iters, batch, seed in specs:
        r = ctx.rng("sgd", label)
        X = r.standard_normal((N, D)).astype(dtype)
        y = r.integers(0, C, size=N).astype(np.int64)
        W = (0.1 * r.standard_normal((D, C))).astype(dtype)
        kwargs = {"learning_rate": lr, "reg": reg, "num_iters": iters, "batch_size": batch}
        if seed is not None:
            kwargs["seed"] = seed
        sampler = np.random.default_rng(0 if seed is None else seed)
        batches = [tuple(int(i) for i in sampler.choice(N, size=batch, replace=True)) for _ in range(iters)]
        oracle = _SgdLoss(X)
        W_ref, hist_ref = ref(oracle, W.copy(), X.copy(), y.copy(), **kwargs)
        Ws = [w for _, w, _ in oracle.log]
        shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        where = f"case '{label}' (W {W.shape} {W.dtype}, X {X.shape}, {shown})"
        tol = TOL[np.dtype(dtype)]
        student_loss = _SgdLoss(X)
        out = ctx.invoke(
            where,
            (Callback(student_loss, "loss_fn"), W, X, y),
            kwargs,
            unchanged=[(1, "W"), (2, "X"), (3, "y")],
        )
        log = student_loss.log
        if len(log) != iters:
            raise Fail(
                f"{name} called loss_fn {len(log)} times on {where}; expected exactly num_iters = {iters} "
                f"calls (one per iteration)."
            )
        for k, (idx, W_seen, reg_seen) in enumerate(log):
            if idx != batches[k]:
                raise Fail(
                    f"{name} used the wrong minibatch at iteration {k} on {where}: loss_fn received rows "
                    f"{list(idx)}, expected {list(batches[k])}.\n  Hint: create rng = "
                    f"np.random.default_rng(seed) ONCE before the loop, then each iteration "
                    f"idx = rng.choice(N, size=batch_size, replace=True) and pass X[idx], y[idx]."
                )
            reg_value, problem = _as_float(reg_seen)
            if problem is not None or reg_value != reg:
                raise Fail(f"{name} passed reg={reg_seen!r} to loss_fn on {where}; expected reg={reg}.")
            if W_seen.shape != Ws[k].shape or _rel(W_seen, Ws[k]) > tol:
                err = _rel(W_seen, Ws[k])
                raise Fail(
                    f"{name} passed the wrong W to loss_fn at iteration {k} on {where} (max relative error "
                    f"{err:.3g}).\n  Hint: the update is W = W - learning_rate * dW, using the dW that loss_fn "
                    f"returned."
                )
        W_new, history = _pair(name, out.value, where, ("W_new", "loss_history"))
        W_new = _array_out(name, "W_new", W_new, where, shape=W.shape, dtype=W.dtype, like="W")
        if type(history) is not list:
            raise Fail(
                f"{name} must return loss_history as a list of floats; on {where} it returned "
                f"{_type_name(history)}. Start with loss_history = [] and append float(loss)."
            )
        if len(history) != iters:
            raise Fail(
                f"{name} returned {len(history)} losses on {where}; expected one per iteration ({iters})."
            )
        for k in range(iters):
            v = _scalar(name, f"loss_history[{k}]", history[k], where)
            if _rel(v, hist_ref[k]) > tol:
                _value_fail(
                    name,
                    f"loss_history[{k}]",
                    where,
                    v,
                    hist_ref[k],
                    tol,
                    "\n  Hint: append float(loss) for the loss returned by loss_fn in that iteration.",
                )
        if _rel(W_new, W_ref) > tol:
            _value_fail(
                name,
                "W_new",
                where,
                W_new,
                W_ref,
                tol,
                "\n  Hint: return the weights after the LAST update (W - learning_rate * dW).",
            )


# ---------------------------------------------------------------------------------------------------------------
# numerical_gradient: f is a trusted callback
# ---------------------------------------------------------------------------------------------------------------


class _Objective:
    """f(x) = sum(A * sin(x)) + 0.5 * sum(B * x * x); counts its calls."""

    def __init__(self, A, B):
        self.A, self.B, self.calls = A, B, 0

    def __call__(self, x):
        if type(x) is not np.ndarray or x.shape != self.A.shape:
            got = f"shape {x.shape}" if isinstance(x, np.ndarray) else _type_name(x)
            raise ValueError(
                f"f expects the array x itself (shape {self.A.shape}); got {got}. Call f(x) after nudging x[ix]."
            )
        self.calls += 1
        xd = x.astype(np.float64)
        return float(np.sum(self.A * np.sin(xd))) + 0.5 * float(np.sum(self.B * xd * xd))

    def gradient(self, x):
        return self.A * np.cos(x) + self.B * x


def _check_numerical_gradient(ctx):
    name = "numerical_gradient"
    ng = _ref(name)
    specs = [("a vector, default h and method", (5,), {})]
    if ctx.cases == "hidden":
        specs += [
            ("a matrix, forward differences", (3, 4), {"method": "forward"}),
            ("a matrix, centered differences with h=1e-2", (2, 3), {"h": 1e-2, "method": "centered"}),
            ("a 3-D array, forward differences with h=1e-3", (2, 2, 2), {"h": 1e-3, "method": "forward"}),
        ]
    else:
        specs.append(("a matrix, forward differences with h=1e-3", (2, 3), {"h": 1e-3, "method": "forward"}))
    for label, shape, kwargs in specs:
        r = ctx.rng("grad", label)
        f = _Objective(r.standard_normal(shape), r.standard_normal(shape))
        x = r.standard_normal(shape)
        expected = ng(f, x.copy(), **kwargs)
        h = kwargs.get("h", 1e-5)
        method = kwargs.get("method", "centered")
        other = "forward" if method == "centered" else "centered"
        hints = [
            (
                ng(f, x.copy(), h=h, method=other),
                f"method={method!r} was requested but you computed {other} differences.",
            ),
            (ng(f, x.copy(), h=1e-5, method=method), f"use the step h={h} passed in, not a fixed 1e-5."),
            (f.gradient(x), "that is the analytic gradient, not the finite-difference estimate with this h."),
        ]
        where = f"case '{label}' (x of shape {shape}, kwargs {kwargs})"
        x_before = wire.digest(x)
        out = ctx.invoke(where, (Callback(f, "f"), x), kwargs)
        if len(out.digests) > 1 and out.digests[1] != x_before:
            raise Fail(
                f"{name} did not restore x on {where}: after the call x differs from before. Save "
                f"old = x[ix] before nudging and put it back with x[ix] = old after evaluating f."
            )
        grad = _array_out(name, "grad", out.value, where, shape=x.shape, dtype=x.dtype, like="x")
        if _rel(grad, expected) > 1e-6:
            _value_fail(name, "gradient", where, grad, expected, 1e-6, _hint(grad, hints, expected, 1e-6))


_CHECKS = {
    "hinge_loss": _check_scalar_fn,
    "softmax": _check_softmax,
    "cross_entropy_loss": _check_scalar_fn,
    "svm_loss_naive": lambda ctx: _check_loss_fn(ctx, "svm"),
    "svm_loss_vectorized": lambda ctx: _check_vectorized(ctx, "svm"),
    "train_sgd": _check_train_sgd,
    "softmax_loss_naive": lambda ctx: _check_loss_fn(ctx, "softmax"),
    "softmax_loss_vectorized": lambda ctx: _check_vectorized(ctx, "softmax"),
    "numerical_gradient": _check_numerical_gradient,
    "color_histogram_hsv": _checks_features.run,  # notebook 05 (cases, judge and hints live in that module)
}


def run_check(
    name, caller, *, cases="hidden", seed=PUBLIC_SEED, program=None, timeout=CALL_TIMEOUT
) -> Verdict:
    """Run trusted check `name` through `caller`; return the :class:`Verdict` (never raises for student errors).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    caller : LocalCaller or autograder.judge.RemoteCaller
        How the student's function is called.
    cases : {"visible", "hidden"}
        Public inputs (the visible cell's point) or inputs from ``seed``.
    seed : str
        The course secret (hidden cases); visible cases always use the public seed.
    program : autograder.structure.Program, optional
        The submitted source, for the structure check of the vectorized losses.
    """
    if name not in _CHECKS:
        raise ValueError(f"unknown check {name!r}; expected one of {', '.join(NAMES)}.")
    if cases not in CASE_SETS:
        raise ValueError(f"cases must be one of {CASE_SETS}, got {cases!r}.")
    ctx = _Ctx(name, caller, cases, PUBLIC_SEED if cases == "visible" else str(seed), program, timeout)
    t0 = time.monotonic()
    try:
        _CHECKS[name](ctx)
    except Fail as exc:
        return Verdict(name, cases, False, exc.message, exc.status, time.monotonic() - t0)
    n = "public" if cases == "visible" else "hidden"
    return Verdict(name, cases, True, f"{name}: every {n} case passed.", "ok", time.monotonic() - t0)


def check(name, func, *, cases="hidden", seed=None):
    """Run trusted check `name` IN THIS PROCESS on the function object `func` (instructor notebook, nbval).

    Returns None when every case passes; raises ``AssertionError`` with the feedback message otherwise.
    ``seed`` defaults to ``$AUTOGRADER_SECRET`` or ``"instructor"``.

    Examples
    --------
    >>> from cs231n_lite.reference import softmax
    >>> check("softmax", softmax, cases="visible") is None
    True
    """
    from autograder import structure

    if name not in _CHECKS:
        raise ValueError(f"unknown check {name!r}; expected one of {', '.join(NAMES)}.")
    program = (
        structure.from_function(func, name) if cases == "hidden" and name.endswith("_vectorized") else None
    )
    verdict = run_check(
        name,
        LocalCaller(func),
        cases=cases,
        seed=seed or os.environ.get("AUTOGRADER_SECRET", "instructor"),
        program=program,
    )
    if not verdict.passed:
        raise AssertionError(verdict.message)
