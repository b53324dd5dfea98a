"""Hidden checks for the student TODO functions of the ``linear_classifiers`` assignment.

Every hidden test cell of the notebooks is exactly one line::

    from autograder import checks; checks.check("svm_loss_naive", svm_loss_naive)

:func:`check` returns ``None`` when the student's function is right and raises ``AssertionError``
with a helpful message (which input, expected vs got, max relative error, a hint) otherwise.  A
check never writes to stderr (nbgrader scores any cell with stderr output as zero).

Grading-sandbox protocol: the grader imports this module into the kernel BEFORE any student cell
runs and then hides the files.  Everything is therefore done at import time: the reference
implementations are imported, every numpy/builtin function used is captured into private names,
and all inputs with their expected answers are precomputed from fixed seeds.  After import the
checks read no files and import nothing.

What each check verifies (fixed seeds, float32 and float64 inputs):

- values against :mod:`cs231n_lite.reference` (relative error 1e-6 for float64, 1e-4 for float32);
- return types, shapes and dtypes; finite outputs; inputs not modified;
- numerical stability at scores of +-1e4 (softmax, cross-entropy, softmax losses);
- the vectorized losses: no Python loop over the N examples (the number of executed Python lines
  and C calls must not grow with N) and at least 5x faster than the naive loops (N=500);
- no calls into the reference (static scan of the code plus a run-time tracer; the public reference
  functions are also replaced by recording wrappers), no peeking at the grader's frames, no
  tampering with numpy/builtins (restored if found).

Inside an IPython kernel the import also registers a ``pre_run_cell`` hook that puts this module
back into ``sys.modules``/``autograder.checks`` (and restores ``builtins.__import__``) before every
cell, and the module refuses attribute assignment, so a student cell cannot swap the checks out.
:func:`self_test` runs a check on the reference itself (instructor sanity check).

Examples
--------
>>> from autograder import checks
>>> checks.preload()
True
>>> def numerical_gradient(f, x, *, h=1e-5, method="centered"):
...     return x * 0.0  # wrong on purpose
>>> checks.check("numerical_gradient", numerical_gradient)
Traceback (most recent call last):
...
AssertionError: numerical_gradient returned the wrong gradient on case 'a vector, default h and method' ...
"""

from __future__ import annotations

import math as _math_mod
import sys as _sys_mod
import types as _types_mod

import numpy as _np_mod

from . import _checks_core as _c

__all__ = ["check", "preload", "self_test", "NAMES"]

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
)

# captured locally as well (module globals are looked up at call time)
_fail = _c.fail
_run = _c.run_student
_ref_call = _c.call_reference
_as_float = _c.as_float
_rel = _c.rel_error
_exact = _c.is_exact_array
_fmt = _c.fmt_num
_fmt_arr = _c.fmt_array
_REF = _c.REF
_F64 = _c.F64
_F32 = _c.F32
_ndarray = _c.ndarray
_type = type
_str = str
_len = len
_float = float
_int = int
_list = list
_tuple = tuple
_range = range
_enumerate = enumerate
_isinstance = isinstance
_callable = callable
_min = min
_max = max
_ValueError = ValueError
_TypeError = TypeError
_sqrt = _math_mod.sqrt
_LN10 = _math_mod.log(10.0)

TOL = {_F64: 1e-6, _F32: 1e-4}
_SELF_TEST = [False]  # True only inside self_test(): the reference itself is then allowed

# ---------------------------------------------------------------------------------------------------------------
# shared failure reporting
# ---------------------------------------------------------------------------------------------------------------


def _prelude(name, func):
    """Reject non-callables and (statically) anything that points at the reference."""
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    if not _callable(func):
        _fail(
            f"{name}: expected a function, got {_c.type_name(func)}. Run the cell that defines "
            f"`def {name}(...)` first, then re-run this cell."
        )
    if _SELF_TEST[0]:
        return
    if _c.is_reference_object(func):
        _fail(f"{name} is the reference implementation itself; write your own {name} in the TODO cell.")
    peeks = _c.static_peeking(func)
    if peeks:
        _fail(
            f"{name} reaches into the autograder or the caller's frames ({', '.join(peeks)}). Your function "
            f"must compute its answer from its arguments only."
        )
    hits = _c.static_reference_uses(func)
    if hits:
        _fail(
            f"{name} refers to cs231n_lite.reference ({', '.join(hits)}); the reference implementation is "
            f"not available to you. Implement {name} yourself (numpy only)."
        )


def _after_call(name, func, out, where):
    """Common verdicts on one guarded call: exceptions, reference calls, tampering, hooks."""
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    if out.reference_calls and not _SELF_TEST[0]:
        _fail(
            f"{name} calls the reference implementation ({', '.join(out.reference_calls)}) on {where}. "
            f"Implement {name} yourself, without the course's solution code."
        )
    if out.peeks and not _SELF_TEST[0]:
        _fail(
            f"{name} inspected the caller's frames or the garbage collector ({', '.join(out.peeks)}) on {where}. "
            f"Your function must compute its answer from its arguments only."
        )
    if out.tampered:
        _fail(
            f"{name} modified {', '.join(out.tampered)} while running on {where} (now restored). "
            f"Your function must not replace numpy or Python functions."
        )
    if out.hooks_lost:
        _fail(f"{name} changed sys.settrace / sys.setprofile while running on {where}; remove that code.")
    if out.error is not None:
        err = out.error
        if _isinstance(err, _c._NotImplementedError):
            _fail(
                f"{name} raised NotImplementedError on {where}: replace `raise NotImplementedError()` in the "
                f"TODO cell with your implementation and re-run that cell."
            )
        _fail(f"{name} raised an exception on {where}:\n  {_c.error_summary(out, func)}")


def _check_unchanged(name, where, pairs):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    for arg, now, before in pairs:
        if not _c.arrays_identical(now, before):
            _fail(
                f"{name} modified its input {arg} in place on {where}. Work on a copy "
                f"(e.g. `{arg} = {arg}.copy()` or `{arg} - m` instead of `{arg} -= m`) so the caller's "
                f"array stays unchanged."
            )


def _pair(name, value, where, names):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    a, b = names
    if _isinstance(value, _tuple):
        n = _tuple.__len__(value)
        if n == 2:
            return _tuple.__getitem__(value, 0), _tuple.__getitem__(value, 1)
    elif _type(value) is _list and _list.__len__(value) == 2:
        return _list.__getitem__(value, 0), _list.__getitem__(value, 1)
    _fail(
        f"{name} must return a pair ({a}, {b}); on {where} it returned {_c.type_name(value)}"
        + (f" of length {_tuple.__len__(value)}" if _isinstance(value, _tuple) else "")
        + (f" of length {_list.__len__(value)}" if _type(value) is _list else "")
        + f". End your function with `return {a}, {b}`."
    )


def _scalar(name, what, value, where):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    x, reason = _as_float(value)
    if reason is not None:
        _fail(
            f"{name} must return {what} as a number (a Python float or numpy float scalar); on {where} it "
            f"returned {reason}. Use e.g. `{what} = float(...)` or `np.sum(...)`."
        )
    if not _c._isfinite_math(x):
        _fail(f"{name} returned a non-finite {what} ({x!r}) on {where}.{_STABILITY_HINT.get(name, '')}")
    return x


def _array_out(name, what, value, where, *, shape, dtype, like):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    if not _exact(value):
        extra = " (a subclass)" if _isinstance(value, _ndarray) else ""
        _fail(
            f"{name} must return {what} as a numpy ndarray; on {where} it returned "
            f"{_c.type_name(value)}{extra}. Build it with numpy, e.g. `{what} = np.zeros_like({like})`."
        )
    if value.shape != shape:
        _fail(
            f"{name} returned {what} of shape {value.shape} on {where}; expected shape {shape} "
            f"(the same as {like})."
        )
    if value.dtype != dtype:
        _fail(
            f"{name} returned {what} of dtype {value.dtype} on {where}; expected dtype {dtype} (the same as "
            f"{like}). Allocate with np.zeros_like({like}) and avoid changing the dtype."
        )
    if not _c.all_finite(value):
        _fail(f"{name} returned {what} containing NaN or inf on {where}.{_STABILITY_HINT.get(name, '')}")
    return value


_STABILITY_HINT = {
    "softmax": " Subtract the maximum of each row before np.exp: scores - np.max(scores, axis=-1, keepdims=True).",
    "cross_entropy_loss": " Subtract max(scores) before np.exp so large scores cannot overflow.",
    "softmax_loss_naive": " Subtract the max score of each example before np.exp (scores -= np.max(scores)).",
    "softmax_loss_vectorized": " Subtract the row maximum before np.exp: s - s.max(axis=1, keepdims=True).",
}


def _first_hint(got, candidates, expected, tol):
    """The hint of the known mistake whose answer is closest to ``got`` (if it explains ``got``)."""
    off = _rel(got, expected)
    best, best_err = "", off
    for value, text in candidates:
        err = _rel(got, value)
        if (err <= tol or err <= 0.1 * off) and err < best_err:
            best, best_err = f"\n  Hint: {text}", err
    return best


def _value_fail(name, what, where, got, expected, tol, hint=""):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    err = _rel(got, expected)
    if _exact(expected) and expected.size > 1:
        detail = f"max relative error {err:.3g} (tolerance {tol:g}); {_c.worst_entry(got, expected)}"
    else:
        detail = f"got {_fmt(got)}, expected {_fmt(expected)} (relative error {err:.3g}, tolerance {tol:g})"
    _fail(f"{name} returned the wrong {what} on {where}:\n  {detail}{hint}")


# ---------------------------------------------------------------------------------------------------------------
# import-time cases for the one-example functions
# ---------------------------------------------------------------------------------------------------------------


class _Case:
    __slots__ = ("where", "args", "expected", "extra", "tol")

    def __init__(self, where, args, expected, extra=None, tol=1e-6):
        self.where = where
        self.args = args
        self.expected = expected
        self.extra = extra
        self.tol = tol


def _vec(values, dtype):
    return _np_mod.array(values, dtype=dtype)


def _build_one_example_cases():
    hinge, ce, sm = [], [], []
    r = _c.rng(2024)
    s10 = r.standard_normal(10) * 2.0
    s4 = (r.standard_normal(4) * 1.5).astype(_np_mod.float32)
    s5 = r.standard_normal(5) * 1e3
    hinge_inputs = [
        ("random scores", s10, 3),
        ("float32 scores", s4, _np_mod.int64(2)),
        ("correct class wins by a margin", _vec([0.5, 3.0, 1.2, -1.0], _np_mod.float64), 1),
        ("the lecture's cat image", _vec([3.2, 5.1, -1.7], _np_mod.float64), 0),
        ("scores of magnitude 1e3", s5, 4),
    ]
    for label, s, y in hinge_inputs:
        exp = _REF["hinge_loss"](s.copy(), y)
        s64 = s.astype(_np_mod.float64)
        wrong = _np_mod.maximum(0.0, s64 - s64[int(y)] + 1.0)
        with_y = float(wrong.sum())  # forgot to skip j == y
        no_clamp = float((s64 - s64[int(y)] + 1.0).sum() - 1.0)  # forgot max(0, .)
        hints = [
            (with_y, "skip the correct class (j == y): its margin s_y - s_y + 1 = 1 must not be counted."),
            (no_clamp, "clamp every margin at zero: max(0, s_j - s_y + 1)."),
        ]
        where = f"case '{label}' (scores={_fmt_arr(s)} of dtype {s.dtype}, y={int(y)})"
        hinge.append(_Case(where, (s, y), float(exp), hints, TOL[_np_mod.dtype(s.dtype)]))

    big = _vec([1e4, 1e4 - 2.0, -1e4, 0.0], _np_mod.float64)
    low = -1e4 + r.standard_normal(6) * 3.0
    ce_inputs = [
        ("random scores", s10, 3),
        ("float32 scores", s4, _np_mod.int64(0)),
        ("the lecture's cat image", _vec([3.2, 5.1, -1.7], _np_mod.float64), 0),
        ("large scores around +1e4", big, 1),
        ("scores around +1e4", 1e4 + r.standard_normal(6) * 3.0, 2),
        ("scores around -1e4", low, 5),
    ]
    for label, s, y in ce_inputs:
        exp = _REF["cross_entropy_loss"](s.copy(), y)
        hints = [
            (exp / _LN10, "use the natural logarithm np.log (not np.log10)."),
            (-exp, "the loss is MINUS the log-probability of the correct class."),
        ]
        where = f"case '{label}' (scores={_fmt_arr(s)} of dtype {s.dtype}, y={int(y)})"
        ce.append(_Case(where, (s, y), float(exp), hints, TOL[_np_mod.dtype(s.dtype)]))

    m = r.standard_normal((3, 5))
    m[0] += 1e4
    m[1] -= 1e4
    sm_inputs = [
        ("one example, random", s10),
        ("a batch of 6 examples", r.standard_normal((6, 4)) * 2.0),
        ("float32 batch", (r.standard_normal((5, 3)) * 2.0).astype(_np_mod.float32)),
        ("one example with scores +-1e4", _vec([1e4, 1e4 - 1.0, -1e4, 0.0], _np_mod.float64)),
        ("rows near +1e4, -1e4 and 0", m),
        ("a (2, 3, 4) stack of score tables", r.standard_normal((2, 3, 4))),
    ]
    for label, s in sm_inputs:
        exp = _REF["softmax"](s.copy())
        hints = []
        if s.ndim >= 2:
            e = _np_mod.exp(s - s.max(axis=0, keepdims=True))
            hints.append(
                (e / e.sum(axis=0, keepdims=True), "normalize along the LAST axis (axis=-1), per row.")
            )
            with _np_mod.errstate(all="ignore"):
                g = _np_mod.exp(s - s.max())
                hints.append(
                    (
                        g / g.sum(),
                        "each row (last axis) must sum to 1 on its own: use axis=-1, keepdims=True.",
                    )
                )
        where = f"case '{label}' (scores of shape {s.shape}, dtype {s.dtype}: {_fmt_arr(s, limit=6)})"
        sm.append(_Case(where, (s,), exp, hints, 1e-5 if s.dtype == _F32 else 1e-6))
    return hinge, ce, sm


# ---------------------------------------------------------------------------------------------------------------
# import-time cases for the losses
# ---------------------------------------------------------------------------------------------------------------


class _LossCase:
    __slots__ = ("where", "W", "X", "y", "reg", "tol", "loss", "dW", "loss_hints", "dW_hints")


def _loss_inputs(seed, N, D, C, dtype):
    """Random (W, X, y) with a bias column whose SVM margins all stay >= 1e-3 away from 0."""
    r = _c.rng(seed)
    for _ in range(100):
        X = r.standard_normal((N, D))
        X[:, -1] = 1.0
        W = r.standard_normal((D, C)) * (1.5 / _sqrt(D))
        y = r.integers(0, C, size=N).astype(_np_mod.int64)
        X, W = X.astype(dtype), W.astype(dtype)
        s = X.astype(_np_mod.float64) @ W.astype(_np_mod.float64)
        margins = s - s[_np_mod.arange(N), y][:, None] + 1.0
        margins[_np_mod.arange(N), y] = 10.0
        if _np_mod.abs(margins).min() > 1e-3:
            return W, X, y
    raise RuntimeError("could not draw SVM inputs away from hinge kinks")  # pragma: no cover


_LOSS_SPECS = (
    # label, seed, N, D, C, reg, dtype, bias shift
    ("small random batch", 101, 9, 11, 4, 0.3, _np_mod.float64, 0.0),
    ("no regularization", 102, 7, 6, 3, 0.0, _np_mod.float64, 0.0),
    ("float32 inputs", 103, 12, 20, 5, 0.1, _np_mod.float32, 0.0),
    ("a single example", 104, 1, 5, 3, 0.05, _np_mod.float64, 0.0),
    ("CIFAR-like shape", 105, 40, 33, 10, 2.5, _np_mod.float64, 0.0),
)
_STABLE_SPECS = (
    ("scores shifted by +1e4", 106, 8, 6, 4, 0.0, _np_mod.float64, 1e4),
    ("scores shifted by -1e4", 107, 8, 6, 4, 0.0, _np_mod.float64, -1e4),
)


def _build_loss_cases(kind):
    naive = _REF[f"{kind}_loss_naive"]
    vectorized = _REF[f"{kind}_loss_vectorized"]
    specs = _LOSS_SPECS + (_STABLE_SPECS if kind == "softmax" else ())
    cases = []
    for label, seed, N, D, C, reg, dtype, shift in specs:
        W, X, y = _loss_inputs(seed, N, D, C, dtype)
        if shift:
            W[-1, :] += shift  # the bias row: every score moves by `shift`, the loss does not change
        W64, X64 = W.astype(_np_mod.float64), X.astype(_np_mod.float64)
        with _np_mod.errstate(all="ignore"):
            loss, dW = vectorized(W64, X64, y, reg)
            loss_n, dW_n = naive(W64, X64, y, reg)
            data_loss, data_dW = vectorized(W64, X64, y, 0.0)
        if abs(float(loss) - float(loss_n)) > 1e-9 * max(1.0, abs(float(loss))):  # pragma: no cover
            raise RuntimeError(f"reference {kind} naive and vectorized disagree on {label}")
        loss, data_loss = float(loss), float(data_loss)
        reg_term = reg * float(_np_mod.sum(W64 * W64))
        lh = [
            (data_loss, "the regularization term is missing: add reg * np.sum(W * W) to the loss."),
            (
                data_loss + 0.5 * reg_term,
                "this course's regularization has no 1/2: loss += reg * np.sum(W * W).",
            ),
            (N * data_loss + reg_term, "average the data loss over the N examples (divide the sum by N)."),
            (data_loss / _LN10 + reg_term, "use the natural logarithm np.log (not np.log10)."),
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
        case = _LossCase()
        case.where = f"case '{label}' (N={N}, D={D}, C={C}, reg={reg}, {_np_mod.dtype(dtype).name} inputs)"
        case.W, case.X, case.y, case.reg = W, X, y, reg
        case.tol = TOL[_np_mod.dtype(dtype)]
        case.loss, case.dW = loss, dW.astype(_np_mod.float64)
        case.loss_hints, case.dW_hints = lh, dh
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------------------------
# import-time cases for train_sgd
# ---------------------------------------------------------------------------------------------------------------

_SGD_LOG = []  # (row indices, W seen, reg seen) per loss_fn call
_SGD_ROWS = [{}]  # row bytes -> index, for the case being run


def _sgd_loss(W, X, y, reg):
    """The loss_fn handed to train_sgd: 0.5 * mean squared error to one-hot targets + reg * sum(W*W)."""
    if not (_exact(W) and _exact(X) and _exact(y)) or W.ndim != 2 or X.ndim != 2 or X.shape[1] != W.shape[0]:
        raise _TypeError(
            "loss_fn(W, X_batch, y_batch, reg) expects numpy arrays W (D, C), X_batch (batch_size, D) and "
            "y_batch (batch_size,); call it as loss_fn(W, X[idx], y[idx], reg)."
        )
    rows = _SGD_ROWS[0]
    X64 = X.astype(_F64)
    idx = _tuple(rows.get(X64[i].tobytes(), -1) for i in _range(X.shape[0]))
    _SGD_LOG.append((idx, W.copy(), reg))
    n, C = X.shape[0], W.shape[1]
    scores = _c.matmul(X64, W.astype(_F64))
    target = _c._zeros((n, C), dtype=_F64)
    target[_c._arange(n), y] = 1.0
    diff = _c.subtract(scores, target)
    Wd = W.astype(_F64)
    loss = 0.5 * _float(_c.add.reduce(_c.multiply(diff, diff), axis=None)) / n
    loss += _float(reg) * _float(_c.add.reduce(_c.multiply(Wd, Wd), axis=None))
    dW = _c.add(_c.divide(_c.matmul(X.T.astype(_F64), diff), n), _c.multiply(2.0 * _float(reg), Wd))
    return _c.float64(loss), dW.astype(W.dtype)


class _SgdCase:
    __slots__ = ("where", "W", "X", "y", "kwargs", "rows", "W_new", "history", "batches", "Ws", "tol")


def _build_sgd_cases():
    specs = (
        # label, seed_data, N, D, C, dtype, lr, reg, iters, batch, seed (None = omitted)
        ("default seed", 301, 13, 5, 3, _np_mod.float64, 0.05, 0.01, 6, 4, None),
        ("seed=11, float32", 302, 9, 4, 3, _np_mod.float32, 0.1, 0.0, 5, 3, 11),
        ("batch_size > N, seed=5", 303, 4, 3, 2, _np_mod.float64, 0.2, 0.1, 3, 7, 5),
        ("num_iters=0", 304, 6, 3, 2, _np_mod.float64, 0.1, 0.1, 0, 2, 1),
    )
    cases = []
    for label, sd, N, D, C, dtype, lr, reg, iters, batch, seed in specs:
        r = _np_mod.random.default_rng(sd)
        X = r.standard_normal((N, D)).astype(dtype)
        y = r.integers(0, C, size=N).astype(_np_mod.int64)
        W = (0.1 * r.standard_normal((D, C))).astype(dtype)
        kwargs = {"learning_rate": lr, "reg": reg, "num_iters": iters, "batch_size": batch}
        if seed is not None:
            kwargs["seed"] = seed
        sampler = _np_mod.random.default_rng(0 if seed is None else seed)
        batches = [tuple(int(i) for i in sampler.choice(N, size=batch, replace=True)) for _ in range(iters)]
        case = _SgdCase()
        case.rows = {X[i].astype(_np_mod.float64).tobytes(): i for i in range(N)}
        _SGD_ROWS[0] = case.rows
        del _SGD_LOG[:]
        W_new, history = _REF["train_sgd"](_sgd_loss, W.copy(), X.copy(), y.copy(), **kwargs)
        if [b for b, _, _ in _SGD_LOG] != batches:  # pragma: no cover - reference self-check
            raise RuntimeError("reference train_sgd does not follow the sampling rule")
        case.Ws = [w for _, w, _ in _SGD_LOG]
        del _SGD_LOG[:]
        shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        case.where = f"case '{label}' (W {W.shape} {W.dtype}, X {X.shape}, {shown})"
        case.W, case.X, case.y, case.kwargs = W, X, y, kwargs
        case.W_new, case.history, case.batches = W_new.astype(_np_mod.float64), list(history), batches
        case.tol = TOL[_np_mod.dtype(dtype)]
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------------------------
# import-time cases for numerical_gradient
# ---------------------------------------------------------------------------------------------------------------


class _Objective:
    """f(x) = sum(A * sin(x)) + 0.5 * sum(B * x * x); counts its calls."""

    __slots__ = ("A", "B", "calls")

    def __init__(self, A, B):
        self.A, self.B, self.calls = A, B, 0

    def __call__(self, x):
        if not _exact(x) or x.shape != self.A.shape:
            got = f"shape {x.shape}" if _isinstance(x, _ndarray) else _c.type_name(x)
            raise _ValueError(
                f"f expects the array x itself (shape {self.A.shape}); got {got}. Call f(x) after nudging x[ix]."
            )
        self.calls += 1
        xd = x.astype(_F64)
        a = _c.add.reduce(_c.multiply(self.A, _c.sin(xd)), axis=None)
        b = _c.add.reduce(_c.multiply(self.B, _c.multiply(xd, xd)), axis=None)
        return _float(a) + 0.5 * _float(b)

    def gradient(self, x):
        return self.A * _np_mod.cos(x) + self.B * x


class _GradCase:
    __slots__ = ("where", "f", "x", "kwargs", "expected", "hints", "tol")


def _build_grad_cases():
    specs = (
        ("a vector, default h and method", 401, (5,), {}),
        ("a matrix, forward differences", 402, (3, 4), {"method": "forward"}),
        ("a matrix, centered differences with h=1e-2", 403, (2, 3), {"h": 1e-2, "method": "centered"}),
        ("a 3-D array, forward differences with h=1e-3", 404, (2, 2, 2), {"h": 1e-3, "method": "forward"}),
    )
    ng = _REF["numerical_gradient"]
    cases = []
    for label, seed, shape, kwargs in specs:
        r = _np_mod.random.default_rng(seed)
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
        case = _GradCase()
        case.where = f"case '{label}' (x of shape {shape}, kwargs {kwargs})"
        case.f, case.x, case.kwargs, case.expected, case.hints = f, x, kwargs, expected, hints
        case.tol = 1e-6
        cases.append(case)
    return cases


with _np_mod.errstate(all="ignore"):
    _HINGE_CASES, _CE_CASES, _SOFTMAX_CASES = _build_one_example_cases()
    _LOSS_CASES = {"svm": _build_loss_cases("svm"), "softmax": _build_loss_cases("softmax")}
    _SGD_CASES = _build_sgd_cases()
    _GRAD_CASES = _build_grad_cases()

# ---------------------------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------------------------


def _check_scalar_fn(name, func, cases):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    _prelude(name, func)
    for case in cases:
        s, y = case.args
        s_in = s.copy()
        out = _run(func, (s_in, y))
        _after_call(name, func, out, case.where)
        _check_unchanged(name, case.where, (("scores", s_in, s),))
        got = _scalar(name, "loss", out.value, case.where)
        if _rel(got, case.expected) > case.tol:
            hint = _first_hint(got, case.extra, case.expected, case.tol)
            _value_fail(name, "loss", case.where, got, case.expected, case.tol, hint)


def _check_hinge_loss(func):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    _check_scalar_fn("hinge_loss", func, _HINGE_CASES)


def _check_cross_entropy_loss(func):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    _check_scalar_fn("cross_entropy_loss", func, _CE_CASES)


def _check_softmax(func):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    name = "softmax"
    _prelude(name, func)
    for case in _SOFTMAX_CASES:
        (s,) = case.args
        s_in = s.copy()
        out = _run(func, (s_in,))
        _after_call(name, func, out, case.where)
        _check_unchanged(name, case.where, (("scores", s_in, s),))
        probs = _array_out(
            name, "probabilities", out.value, case.where, shape=s.shape, dtype=s.dtype, like="scores"
        )
        if _rel(probs, case.expected) > case.tol:
            hint = _first_hint(probs, case.extra, case.expected, case.tol)
            _value_fail(name, "probabilities", case.where, probs, case.expected, case.tol, hint)


def _check_loss_fn(name, func, kind):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    _prelude(name, func)
    for case in _LOSS_CASES[kind]:
        W, X, y = case.W.copy(), case.X.copy(), case.y.copy()
        out = _run(func, (W, X, y, case.reg))
        _after_call(name, func, out, case.where)
        _check_unchanged(name, case.where, (("W", W, case.W), ("X", X, case.X), ("y", y, case.y)))
        loss, dW = _pair(name, out.value, case.where, ("loss", "dW"))
        loss = _scalar(name, "loss", loss, case.where)
        dW = _array_out(name, "dW", dW, case.where, shape=case.W.shape, dtype=case.W.dtype, like="W")
        if _rel(loss, case.loss) > case.tol:
            hint = _first_hint(loss, case.loss_hints, case.loss, case.tol)
            _value_fail(name, "loss", case.where, loss, case.loss, case.tol, hint)
        if _rel(dW, case.dW) > case.tol:
            hint = _first_hint(dW, case.dW_hints, case.dW, case.tol)
            _value_fail(name, "gradient dW", case.where, dW, case.dW, case.tol, hint)


# loop detection: Python lines + C calls executed must not grow with N
_LOOP_SIZES = (10, 50)
_LOOP_INPUTS = {}
for _kind in ("svm", "softmax"):
    _r = _np_mod.random.default_rng(501)
    _W = _r.standard_normal((6, 3)) * 0.5
    _LOOP_INPUTS[_kind] = [
        (_W, _r.standard_normal((n, 6)), _r.integers(0, 3, size=n).astype(_np_mod.int64)) for n in _LOOP_SIZES
    ]

_SPEED_N, _SPEED_D, _SPEED_C, _SPEED_MIN_RATIO = 500, 200, 10, 5.0


def _check_vectorized(name, func, kind):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    _check_loss_fn(name, func, kind)
    helpers = _c.loop_helpers_used(func)
    if helpers:
        _fail(
            f"{name} uses {', '.join(helpers)}, which calls Python code once per element: that is a loop over "
            f"the examples in disguise. Use whole-array numpy operations (X @ W, fancy indexing, sums)."
        )
    steps = []
    for W, X, y in _LOOP_INPUTS[kind]:
        out = _run(func, (W.copy(), X.copy(), y.copy(), 0.1))
        where = f"a loop-detection input (N={X.shape[0]}, D={X.shape[1]}, C={W.shape[1]})"
        _after_call(name, func, out, where)
        steps.append(out.steps)
    n0, n1 = _LOOP_SIZES
    if steps[1] - steps[0] >= (n1 - n0) // 2:  # any per-example Python work shows up as >= 1 step each
        loops = _c.source_loops(func)
        where = ("\n  Loops in your code:\n    " + "\n    ".join(loops)) if loops else ""
        _fail(
            f"{name} still loops over the examples: it executed {steps[0]} Python steps for N={n0} but "
            f"{steps[1]} for N={n1} (a vectorized loss does the same work in Python whatever N is).{where}\n"
            f"  Hint: compute all scores at once with X @ W and use fancy indexing like s[np.arange(N), y]."
        )
    _check_speed(name, func, kind)


def _check_speed(name, func, kind):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    r = _c.rng(502)
    N, D, C = _SPEED_N, _SPEED_D, _SPEED_C
    X = r.standard_normal((N, D))
    W = r.standard_normal((D, C)) * (1.5 / _sqrt(D))
    y = r.integers(0, C, size=N)
    naive = _REF[f"{kind}_loss_naive"]
    where = f"the timing input (N={N}, D={D}, C={C})"
    ratio, t_naive, t_vec = 0.0, 0.0, 0.0
    for attempt in _range(2):
        best_naive = 1e9
        best_vec = 1e9
        for _rep in _range(2 + attempt):
            start = _c.now()
            _ref_call(naive, W, X, y, 0.1)
            best_naive = _min(best_naive, _c.now() - start)
            for _ in _range(2):
                out = _run(func, (W.copy(), X.copy(), y.copy(), 0.1), trace=False)
                _after_call(name, func, out, where)
                best_vec = _min(best_vec, out.seconds)
            if out.seconds > 20 * best_naive:
                break
        t_naive, t_vec = best_naive, best_vec
        ratio = t_naive / _max(t_vec, 1e-9)
        if ratio >= _SPEED_MIN_RATIO:
            return
    _fail(
        f"{name} is too slow: {t_vec * 1e3:.1f} ms on {where} versus {t_naive * 1e3:.1f} ms for the naive "
        f"loops, only {ratio:.1f}x faster (need at least {_SPEED_MIN_RATIO:g}x). Avoid per-example work and "
        f"huge temporary arrays such as (N, C, D) broadcasts; use X @ W and X.T @ coefficients."
    )


def _check_train_sgd(func):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    name = "train_sgd"
    _prelude(name, func)
    forbidden = _c.EXTRA_FORBIDDEN_FILES["train_sgd"]
    for case in _SGD_CASES:
        W, X, y = case.W.copy(), case.X.copy(), case.y.copy()
        _SGD_ROWS[0] = case.rows
        del _SGD_LOG[:]
        out = _run(func, (_sgd_loss, W, X, y), case.kwargs, extra_forbidden=forbidden)
        log = _list(_SGD_LOG)
        del _SGD_LOG[:]
        _after_call(name, func, out, case.where)
        _check_unchanged(name, case.where, (("W", W, case.W), ("X", X, case.X), ("y", y, case.y)))
        iters = case.kwargs["num_iters"]
        if _len(log) != iters:
            _fail(
                f"{name} called loss_fn {_len(log)} times on {case.where}; expected exactly num_iters = {iters} "
                f"calls (one per iteration)."
            )
        for k, (idx, W_seen, reg_seen) in _enumerate(log):
            if idx != case.batches[k]:
                _fail(
                    f"{name} used the wrong minibatch at iteration {k} on {case.where}: loss_fn received rows "
                    f"{_list(idx)}, expected {_list(case.batches[k])}.\n  Hint: create rng = "
                    f"np.random.default_rng(seed) ONCE before the loop, then each iteration "
                    f"idx = rng.choice(N, size=batch_size, replace=True) and pass X[idx], y[idx]."
                )
            reg_value, reg_problem = _as_float(reg_seen)
            if reg_problem is not None or reg_value != case.kwargs["reg"]:
                _fail(
                    f"{name} passed reg={reg_seen!r} to loss_fn on {case.where}; expected reg={case.kwargs['reg']}."
                )
            if W_seen.shape != case.Ws[k].shape or _rel(W_seen, case.Ws[k]) > case.tol:
                err = _rel(W_seen, case.Ws[k]) if W_seen.shape == case.Ws[k].shape else _float("inf")
                _fail(
                    f"{name} passed the wrong W to loss_fn at iteration {k} on {case.where} (max relative error "
                    f"{err:.3g}).\n"
                    f"  Hint: the update is W = W - learning_rate * dW, using the dW that loss_fn returned."
                )
        W_new, history = _pair(name, out.value, case.where, ("W_new", "loss_history"))
        W_new = _array_out(name, "W_new", W_new, case.where, shape=case.W.shape, dtype=case.W.dtype, like="W")
        if _type(history) is not _list:
            _fail(
                f"{name} must return loss_history as a list of floats; on {case.where} it returned "
                f"{_c.type_name(history)}. Start with loss_history = [] and append float(loss)."
            )
        if _list.__len__(history) != iters:
            _fail(
                f"{name} returned {_list.__len__(history)} losses on {case.where}; expected one per iteration "
                f"({iters})."
            )
        values = []
        for k in _range(iters):
            values.append(_scalar(name, f"loss_history[{k}]", _list.__getitem__(history, k), case.where))
        for k in _range(iters):
            if _rel(values[k], case.history[k]) > case.tol:
                _value_fail(
                    name,
                    f"loss_history[{k}]",
                    case.where,
                    values[k],
                    case.history[k],
                    case.tol,
                    "\n  Hint: append float(loss) for the loss returned by loss_fn in that iteration.",
                )
        if _rel(W_new, case.W_new) > case.tol:
            _value_fail(
                name,
                "W_new",
                case.where,
                W_new,
                case.W_new,
                case.tol,
                "\n  Hint: return the weights after the LAST update (W - learning_rate * dW).",
            )


def _check_numerical_gradient(func):
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    name = "numerical_gradient"
    _prelude(name, func)
    forbidden = _c.EXTRA_FORBIDDEN_FILES["numerical_gradient"]
    for case in _GRAD_CASES:
        x = case.x.copy()
        out = _run(func, (case.f, x), case.kwargs, extra_forbidden=forbidden)
        _after_call(name, func, out, case.where)
        if not _c.arrays_identical(x, case.x):
            _fail(
                f"{name} did not restore x on {case.where}: after the call x differs from before. Save "
                f"old = x[ix] before nudging and put it back with x[ix] = old after evaluating f."
            )
        grad = _array_out(
            name, "grad", out.value, case.where, shape=case.x.shape, dtype=case.x.dtype, like="x"
        )
        if _rel(grad, case.expected) > case.tol:
            hint = _first_hint(grad, case.hints, case.expected, case.tol)
            _value_fail(name, "gradient", case.where, grad, case.expected, case.tol, hint)


_CHECKS = {
    "hinge_loss": _check_hinge_loss,
    "softmax": _check_softmax,
    "cross_entropy_loss": _check_cross_entropy_loss,
    "svm_loss_naive": lambda f: _check_loss_fn("svm_loss_naive", f, "svm"),
    "svm_loss_vectorized": lambda f: _check_vectorized("svm_loss_vectorized", f, "svm"),
    "train_sgd": _check_train_sgd,
    "softmax_loss_naive": lambda f: _check_loss_fn("softmax_loss_naive", f, "softmax"),
    "softmax_loss_vectorized": lambda f: _check_vectorized("softmax_loss_vectorized", f, "softmax"),
    "numerical_gradient": _check_numerical_gradient,
}


def check(name, func):
    """Run the hidden check ``name`` on the student's function ``func``.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`, e.g. ``"svm_loss_naive"``.
    func : callable
        The student's function (defined in the notebook's TODO cell).

    Returns
    -------
    None
        When every case passes.

    Raises
    ------
    AssertionError
        With a message naming the failing input, expected vs got, and a hint.
    ValueError
        When ``name`` is not a known check (an authoring error in the notebook).

    Examples
    --------
    >>> from cs231n_lite.reference.extra import train_sgd as ref_train_sgd
    >>> def train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
    ...     import numpy as np
    ...     rng = np.random.default_rng(seed)
    ...     history = []
    ...     for _ in range(num_iters):
    ...         idx = rng.choice(X.shape[0], size=batch_size, replace=True)
    ...         loss, dW = loss_fn(W, X[idx], y[idx], reg)
    ...         W = W - learning_rate * dW
    ...         history.append(float(loss))
    ...     return W, history
    >>> check("train_sgd", train_sgd) is None
    True
    """
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    if _type(name) is not _str or name not in _CHECKS:
        raise _ValueError(f"unknown check {name!r}; expected one of {', '.join(NAMES)}.")
    with _c.quiet():
        _CHECKS[name](func)


def self_test(name):
    """Run check ``name`` on the reference implementation itself (a sanity check for instructors).

    The cheating detectors (which reject the reference when a student passes it) are switched off
    for this call only.  Returns ``None`` or raises ``AssertionError`` like :func:`check`.

    Examples
    --------
    >>> self_test("softmax") is None
    True
    """
    __tracebackhide__ = True  # IPython and pytest hide this frame: students see the message only
    if _type(name) is not _str or name not in _CHECKS:
        raise _ValueError(f"unknown check {name!r}; expected one of {', '.join(NAMES)}.")
    _SELF_TEST[0] = True
    try:
        with _c.quiet():
            _CHECKS[name](_REF[name])
    finally:
        _SELF_TEST[0] = False


def preload():
    """Confirm the checks are loaded (the grader calls this right after ``import autograder.checks``).

    Returns
    -------
    bool
        Always ``True``; importing this module already captured everything the checks need.

    Examples
    --------
    >>> preload()
    True
    """
    return True


class _SealedModule(_types_mod.ModuleType):
    """Module type that refuses attribute assignment, so ``checks.check = ...`` in a notebook fails."""

    def __setattr__(self, attr, value):
        raise AttributeError(f"autograder.checks is read-only (cannot set {attr!r}).")

    def __delattr__(self, attr):
        raise AttributeError(f"autograder.checks is read-only (cannot delete {attr!r}).")


_SELF_MODULE = _sys_mod.modules[__name__]
_PACKAGE = _sys_mod.modules[__name__.rpartition(".")[0]]
_SYS_MODULES = _sys_mod.modules
_BUILTINS_DICT = _c._builtins.__dict__
_IMPORT = _BUILTINS_DICT["__import__"]


def _rebind(*_ignored):
    """Before every notebook cell: ``from autograder import checks`` resolves to THIS module again.

    Undoes a student cell that replaced ``sys.modules["autograder.checks"]``, the package attribute
    ``autograder.checks`` or ``builtins.__import__`` (registered as an IPython ``pre_run_cell`` hook).
    """
    if _SYS_MODULES.get(__name__) is not _SELF_MODULE:
        _SYS_MODULES[__name__] = _SELF_MODULE
    if _SYS_MODULES.get(_PACKAGE.__name__) is not _PACKAGE:
        _SYS_MODULES[_PACKAGE.__name__] = _PACKAGE
    if _PACKAGE.__dict__.get("checks") is not _SELF_MODULE:
        _PACKAGE.__dict__["checks"] = _SELF_MODULE
    if _BUILTINS_DICT.get("__import__") is not _IMPORT:
        _BUILTINS_DICT["__import__"] = _IMPORT


def _register_cell_hook():
    ipython = _SYS_MODULES.get("IPython")
    if ipython is None:
        return
    try:
        shell = ipython.get_ipython()
        if shell is not None:
            shell.events.register("pre_run_cell", _rebind)
    except Exception:  # not an IPython shell with events: nothing to hook
        return


_register_cell_hook()
_SELF_MODULE.__class__ = _SealedModule
_sys_mod.modules[_c.__name__].__class__ = _SealedModule
