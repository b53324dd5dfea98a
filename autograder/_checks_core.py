"""Tamper-resistant machinery behind :mod:`autograder.checks` (private; no public API).

Everything a check uses is captured HERE, at import time, into module-private names: builtins,
numpy functions and ufuncs, ``sys`` hooks, the reference implementations.  Student code that later
rebinds ``np.allclose``, ``np.abs``, ``builtins.float``, ``np.testing`` ... cannot change a verdict.

What this module provides to the checks:

- numeric helpers working only on exact ``np.ndarray`` objects through captured ufunc methods;
- :func:`run_student`: calls a student function with stdout/stderr silenced, warnings off, a line /
  C-call counter (to detect loops over examples), and a detector for calls into the reference
  (by code file, plus trap wrappers installed on :mod:`cs231n_lite.reference`);
- namespace guards: numpy / builtins attributes changed by the student are detected and restored;
- :func:`fail`: raise ``AssertionError`` through the captured class.
"""

from __future__ import annotations

import ast as _ast
import builtins as _builtins
import gc as _gc
import inspect as _inspect
import io as _io
import linecache as _linecache
import math as _math
import os as _os
import sys as _sys
import textwrap as _textwrap
import time as _time
import traceback as _traceback
import types as _types
import warnings as _warnings

import numpy as _np
import numpy.linalg as _np_linalg
import numpy.random as _np_random

import cs231n_lite.reference as _reference
import cs231n_lite.reference.extra as _reference_extra

# ---------------------------------------------------------------------------------------------------------------
# captured builtins (never looked up through the builtins module again)
# ---------------------------------------------------------------------------------------------------------------
_float = float
_int = int
_bool = bool
_str = str
_tuple = tuple
_list = list
_dict = dict
_set = set
_frozenset = frozenset
_type = type
_isinstance = isinstance
_len = len
_range = range
_min = min
_max = max
_abs_builtin = abs
_id = id
_repr = repr
_callable = callable
_getattr = getattr
_enumerate = enumerate
_sorted = sorted
_object = object
_AssertionError = AssertionError
_Exception = Exception
_BaseException = BaseException
_KeyboardInterrupt = KeyboardInterrupt
_GeneratorExit = GeneratorExit
_NotImplementedError = NotImplementedError

_FunctionType = _types.FunctionType
_MethodType = _types.MethodType
_CodeType = _types.CodeType
_ModuleType = _types.ModuleType

_StringIO = _io.StringIO
_catch_warnings = _warnings.catch_warnings
_simplefilter = _warnings.simplefilter
_perf_counter = _time.perf_counter
_getsourcelines = _inspect.getsourcelines
_ast_parse = _ast.parse
_ast_walk = _ast.walk
_dedent = _textwrap.dedent
_getline = _linecache.getline
_isfinite_math = _math.isfinite

_sys_modules = _sys.modules
_settrace = _sys.settrace
_gettrace = _sys.gettrace
_setprofile = _sys.setprofile
_getprofile = _sys.getprofile

# ---------------------------------------------------------------------------------------------------------------
# captured numpy
# ---------------------------------------------------------------------------------------------------------------
ndarray = _np.ndarray
_asarray = _np.asarray
_zeros = _np.zeros
_arange = _np.arange
_errstate = _np.errstate
_default_rng = _np_random.default_rng
float64 = _np.float64
float32 = _np.float32
int64 = _np.int64
F64 = _np.dtype(_np.float64)
F32 = _np.dtype(_np.float32)
_FLOAT_SCALAR_TYPES = (_np.float16, _np.float32, _np.float64, _np.longdouble)
_INT_SCALAR_TYPES = (_np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.uint16, _np.uint32, _np.uint64)

absolute = _np.absolute
add = _np.add
subtract = _np.subtract
multiply = _np.multiply
divide = _np.divide
maximum = _np.maximum
equal = _np.equal
isfinite = _np.isfinite
isnan = _np.isnan
logical_and = _np.logical_and
logical_or = _np.logical_or
sin = _np.sin
matmul = _np.matmul
_unravel_index = _np.unravel_index

_ERRSTATE_KW = {"all": "ignore"}

# ---------------------------------------------------------------------------------------------------------------
# failures
# ---------------------------------------------------------------------------------------------------------------


def fail(message: str):
    """Raise ``AssertionError(message)`` through the captured class (``from None``: no chained noise)."""
    __tracebackhide__ = True
    raise _AssertionError(message) from None


# ---------------------------------------------------------------------------------------------------------------
# numeric helpers (exact ndarrays only)
# ---------------------------------------------------------------------------------------------------------------


def is_exact_array(value) -> bool:
    return _type(value) is ndarray


def amax(arr) -> float:
    """Largest entry of a non-empty float ndarray as a Python float (NaN propagates)."""
    return _float(maximum.reduce(arr, axis=None))


def all_true(arr) -> bool:
    return _bool(logical_and.reduce(arr, axis=None))


def all_finite(arr) -> bool:
    if arr.size == 0:
        return True
    return all_true(isfinite(arr))


def arrays_identical(a, b) -> bool:
    """Same shape, dtype and bytes-equal values (NaN equals NaN)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.size == 0:
        return True
    same = logical_or(equal(a, b), logical_and(isnan(a), isnan(b))) if a.dtype.kind in "fc" else equal(a, b)
    return all_true(same)


def max_abs(arr) -> float:
    if arr.size == 0:
        return 0.0
    return amax(absolute(arr))


def rel_error(got, expected, *, floor=1e-8) -> float:
    """``max|got - expected| / max(max|expected|, floor)`` for float arrays or Python floats.

    Scale-relative (normalized by the largest expected entry), so entries that are ~0 in the
    expected answer do not blow the error up through roundoff.
    """
    g = _asarray(got, dtype=F64)
    e = _asarray(expected, dtype=F64)
    diff = max_abs(subtract(g, e))
    scale = _max(max_abs(e), floor)
    return diff / scale


def as_float(value):
    """Coerce a returned scalar to a Python float WITHOUT calling any student-defined method.

    Accepts exact ``float``/``int``, exact numpy floating/integer scalar types, and exact 0-d or
    size-1 ndarrays of a real dtype.  Returns ``(float_value, None)`` or ``(None, reason)``.
    """
    t = _type(value)
    if t is _float or t is _int:
        return _float(value), None
    if t in _FLOAT_SCALAR_TYPES or t in _INT_SCALAR_TYPES:
        return _float(value), None
    if t is ndarray:
        if value.dtype.kind not in "fiu":
            return None, f"a numpy array of dtype {value.dtype}"
        if value.size != 1:
            return None, f"a numpy array of shape {value.shape} (expected a single number)"
        return _float(value.reshape(-1)[0].item()), None
    if t is _bool or t is _np.bool_:
        return None, "a bool"
    return None, f"an object of type {type_name(value)}"


def type_name(value) -> str:
    t = _type(value)
    module = _getattr(t, "__module__", "")
    name = _getattr(t, "__qualname__", _getattr(t, "__name__", "?"))
    if module in ("builtins", None, ""):
        return _str(name)
    if module.startswith("numpy"):
        return f"numpy.{name}"
    return f"{module}.{name}"


def fmt_num(x) -> str:
    return f"{x:.10g}"


def fmt_array(arr, *, limit=8) -> str:
    """Short human rendering of an exact ndarray (no numpy printing machinery involved)."""
    flat = arr.reshape(-1)
    n = flat.size
    shown = flat[: _min(n, limit)].tolist()
    body = ", ".join(f"{v:.6g}" if _isinstance(v, _float) else _repr(v) for v in shown)
    more = f", ... ({n} values)" if n > limit else ""
    return f"[{body}{more}]"


def worst_entry(got, expected) -> str:
    """Text naming the entry with the largest absolute difference (got vs expected)."""
    g = _asarray(got, dtype=F64)
    e = _asarray(expected, dtype=F64)
    d = absolute(subtract(g, e)).reshape(-1)
    if d.size == 0:
        return ""
    k = _int(d.argmax())
    index = _tuple(_int(i) for i in _unravel_index(k, e.shape))
    idx = index[0] if _len(index) == 1 else index
    return (
        f"largest difference at index {idx}: got {fmt_num(g.reshape(-1)[k].item())}, "
        f"expected {fmt_num(e.reshape(-1)[k].item())}"
    )


# ---------------------------------------------------------------------------------------------------------------
# reference: private originals, trap wrappers, code files
# ---------------------------------------------------------------------------------------------------------------

REF = {}  # public name -> private original function (what the checks call)
_REF_IDS = _set()  # ids of reference functions, traps and modules
_REF_CODES = _set()  # code objects of every reference function (nested ones included)
_REF_FILES = _set()  # source file names of the reference modules
_ACTIVE = [False]  # True while a student function runs (traps record only then)
_TRAPPED = []  # reference names called while _ACTIVE


def _walk_codes(code):
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        for const in c.co_consts:
            if _type(const) is _CodeType:
                stack.append(const)


def _make_trap(original, public_name):
    def trap(*args, **kwargs):
        if _ACTIVE[0]:
            _TRAPPED.append(public_name)
        return original(*args, **kwargs)

    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(trap, attr, _getattr(original, attr))
    trap.__dict__.update(original.__dict__)
    trap.__wrapped__ = original  # keeps inspect.signature/getsource working for other tools
    return trap


def _install_traps():
    modules = [m for name, m in _sorted(_sys_modules.items()) if name.startswith("cs231n_lite.reference")]
    traps = {}
    trap_ids = _set()
    for module in modules:
        _REF_IDS.add(_id(module))
        file = _getattr(module, "__file__", None)
        if file:
            _REF_FILES.add(file)
        for name, obj in _list(vars(module).items()):
            if _type(obj) is not _FunctionType or _id(obj) in trap_ids:
                continue
            if not _getattr(obj, "__module__", "").startswith("cs231n_lite.reference"):
                continue
            for code in _walk_codes(obj.__code__):
                _REF_CODES.add(code)
                _REF_FILES.add(code.co_filename)
            _REF_IDS.add(_id(obj))
            if name.startswith("_"):
                continue
            if name not in REF:
                REF[name] = obj
            trap = traps.get(_id(obj))
            if trap is None:
                trap = _make_trap(obj, name)
                traps[_id(obj)] = trap
                trap_ids.add(_id(trap))
                _REF_IDS.add(_id(trap))
            setattr(module, name, trap)


_install_traps()
for _name in ("train_sgd", "numerical_gradient"):
    if _name not in REF:  # pragma: no cover - extra.py always defines both
        REF[_name] = _getattr(_reference_extra, _name)

# Solution-providing helpers that ship with the package; using them inside the named TODO is not allowed.
_PKG_DIR = _reference.__file__.rsplit("reference", 1)[0]
_SELF_DIR = __file__.rsplit("_checks_core", 1)[0]
EXTRA_FORBIDDEN_FILES = {
    "numerical_gradient": (_PKG_DIR + "gradient_check.py",),
    "train_sgd": (_PKG_DIR + "optim.py", _PKG_DIR + "classifiers.py"),
}

# ---------------------------------------------------------------------------------------------------------------
# static scan of a student function for reference use
# ---------------------------------------------------------------------------------------------------------------


def unwrap_callable(func):
    """The plain Python function behind ``func`` (bound methods, functools.partial), or None."""
    seen = 0
    while seen < 5:
        seen += 1
        t = _type(func)
        if t is _FunctionType:
            return func
        if t is _MethodType:
            func = func.__func__
            continue
        inner = _getattr(func, "func", None) if t.__name__ == "partial" else None
        if inner is None:
            return None
        func = inner
    return None


def is_reference_object(obj) -> bool:
    if _id(obj) in _REF_IDS:
        return True
    fn = unwrap_callable(obj)
    return fn is not None and (_id(fn) in _REF_IDS or fn.__code__ in _REF_CODES)


def static_reference_uses(func) -> list:
    """Names/strings in ``func``'s code that point at :mod:`cs231n_lite.reference`."""
    fn = unwrap_callable(func)
    if fn is None:
        return []
    hits = []
    doc = fn.__doc__
    globals_ = fn.__globals__
    for code in _walk_codes(fn.__code__):
        if code in _REF_CODES:
            hits.append(f"code of {code.co_name}")
        for name in code.co_names:
            if name in globals_:  # a global the function reads: is it reference code?
                if is_reference_object(globals_[name]):
                    hits.append(name)
            elif name == "reference" or "cs231n_lite.reference" in name:  # attribute or import path
                hits.append(name)
        for const in code.co_consts:
            if _type(const) is _str and const is not doc and "cs231n_lite.reference" in const:
                hits.append(_repr(const))
    for cell in fn.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:
            continue
        if is_reference_object(content):
            hits.append("a closure variable")
    for value in _list(fn.__defaults__ or ()) + _list((fn.__kwdefaults__ or {}).values()):
        if is_reference_object(value):
            hits.append("a default argument")
    out = []
    for h in hits:
        if h not in out:
            out.append(h)
    return out


# ---------------------------------------------------------------------------------------------------------------
# namespace guard: numpy / builtins attributes the student replaced
# ---------------------------------------------------------------------------------------------------------------

_GUARDED = (
    ("builtins", _builtins.__dict__),
    ("np", _np.__dict__),
    ("np.random", _np_random.__dict__),
    ("np.linalg", _np_linalg.__dict__),
    ("math", _math.__dict__),
)
_IMPORT_SNAPSHOT = [(label, ns, _dict(ns)) for label, ns in _GUARDED]


def _guarded_now():
    out = _list(_GUARDED)
    testing = _sys_modules.get("numpy.testing")
    if testing is not None:
        out.append(("np.testing", testing.__dict__))
    return out


def snapshot_namespaces():
    return [(label, ns, _dict(ns)) for label, ns in _guarded_now()]


def restore_namespaces(snapshot) -> list:
    """Undo every change to a pre-existing key since ``snapshot``; return the changed names."""
    changed = []
    for label, ns, saved in snapshot:
        for key, value in saved.items():
            current = ns.get(key, _SENTINEL)
            if current is value:
                continue
            if label in ("np", "np.random", "np.linalg") and _type(current) is _ModuleType:
                continue
            changed.append(f"{label}.{key}")
            ns[key] = value
    return changed


class _Sentinel:
    pass


_SENTINEL = _Sentinel()


def pristine_numpy_enter():
    """Temporarily put back the import-time numpy/builtins objects; returns an undo record."""
    undo = []
    for _label, ns, saved in _IMPORT_SNAPSHOT:
        for key, value in saved.items():
            current = ns.get(key, _SENTINEL)
            if current is not value and _type(current) is not _ModuleType:
                undo.append((ns, key, current))
                ns[key] = value
    return undo


def pristine_numpy_exit(undo):
    for ns, key, current in undo:
        if current is _SENTINEL:
            ns.pop(key, None)
        else:
            ns[key] = current


# ---------------------------------------------------------------------------------------------------------------
# running student code
# ---------------------------------------------------------------------------------------------------------------

_STEPS = [0]  # Python line events + C calls while tracing
_FORBIDDEN_HITS = []  # code names from forbidden files called while tracing
_FORBIDDEN_NOW = [_frozenset()]


def _local_tracer(frame, event, arg):
    if event == "line":
        _STEPS[0] += 1
    return _local_tracer


def _global_tracer(frame, event, arg):
    code = frame.f_code
    if code.co_filename in _FORBIDDEN_NOW[0] or code in _REF_CODES:
        _FORBIDDEN_HITS.append(code.co_qualname if _getattr(code, "co_qualname", None) else code.co_name)
    elif code in _PEEK_CODES:
        caller = frame.f_back
        if caller is not None and is_user_file(caller.f_code.co_filename):
            _PEEK_HITS.append(_PEEK_CODES[code])
    return _local_tracer


def _profiler(frame, event, arg):
    if event == "c_call":
        _STEPS[0] += 1
        if _id(arg) in _PEEK_BUILTINS and is_user_file(frame.f_code.co_filename):
            _PEEK_HITS.append(_PEEK_BUILTINS[_id(arg)])


# ---------------------------------------------------------------------------------------------------------------
# peeking at the grader: frame introspection, gc walks, references to the autograder
# ---------------------------------------------------------------------------------------------------------------

_PEEK_HITS = []
_PEEK_CODES = {
    _inspect.stack.__code__: "inspect.stack",
    _inspect.currentframe.__code__: "inspect.currentframe",
    _inspect.getouterframes.__code__: "inspect.getouterframes",
    _inspect.trace.__code__: "inspect.trace",
    _traceback.extract_stack.__code__: "traceback.extract_stack",
    _traceback.walk_stack.__code__: "traceback.walk_stack",
    _traceback.print_stack.__code__: "traceback.print_stack",
}
_PEEK_BUILTINS = {
    _id(_sys._getframe): "sys._getframe",
    _id(_gc.get_objects): "gc.get_objects",
    _id(_gc.get_referrers): "gc.get_referrers",
    _id(_gc.get_referents): "gc.get_referents",
}
for _fn_name in ("_getframemodulename", "_current_frames"):
    if _getattr(_sys, _fn_name, None) is not None:
        _PEEK_BUILTINS[_id(_getattr(_sys, _fn_name))] = "sys." + _fn_name
_PEEK_NAMES = frozenset(
    (
        "_getframe",
        "currentframe",
        "f_back",
        "f_locals",
        "f_globals",
        "getouterframes",
        "get_referrers",
        "get_referents",
        "get_objects",
        "tb_frame",
        "gi_frame",
        "cr_frame",
        "extract_stack",
        "walk_stack",
        "_current_frames",
    )
)


def _system_prefixes():
    paths = [_sys.prefix, _sys.base_prefix, _sys.exec_prefix, _np.__file__.rsplit("numpy", 1)[0] + "numpy"]
    paths += [_inspect.__file__.rsplit("inspect", 1)[0], _SELF_DIR, _PKG_DIR]
    return _tuple(p for p in paths if p)


_SYSTEM_PREFIXES = _system_prefixes()


def is_user_file(filename) -> bool:
    """True for student code (notebook cells, the student's own files), False for Python/numpy/course code."""
    if filename.startswith("<frozen"):
        return False
    return not filename.startswith(_SYSTEM_PREFIXES)


def _is_autograder_object(obj) -> bool:
    if _isinstance(obj, _ModuleType):
        name = obj.__dict__.get("__name__", "")
        return _type(name) is _str and (name == "autograder" or name.startswith("autograder."))
    if _type(obj) is _FunctionType:
        module = obj.__module__
        return _type(module) is _str and module.startswith("autograder")
    return False


def static_peeking(func) -> list:
    """Names in ``func``'s code that reach into the grader (frames, gc, the autograder package)."""
    fn = unwrap_callable(func)
    if fn is None:
        return []
    hits = []
    globals_ = fn.__globals__
    for code in _walk_codes(fn.__code__):
        for name in code.co_names:
            if name in globals_:
                if _is_autograder_object(globals_[name]):
                    hits.append(name)
            elif name in _PEEK_NAMES or name == "autograder" or name.startswith(("autograder.", "_checks")):
                hits.append(name)
        for const in code.co_consts:
            if (
                _type(const) is _str
                and const is not fn.__doc__
                and ("autograder" in const or const in _PEEK_NAMES)
            ):
                hits.append(_repr(const))
    for cell in fn.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:
            continue
        if _is_autograder_object(content):
            hits.append("a closure variable")
    out = []
    for h in hits:
        if h not in out:
            out.append(h)
    return out


class Outcome:
    """What happened during one student call."""

    __slots__ = (
        "value",
        "error",
        "tb",
        "reference_calls",
        "peeks",
        "tampered",
        "hooks_lost",
        "steps",
        "seconds",
    )

    def __init__(self):
        self.value = None
        self.error = None
        self.tb = None
        self.reference_calls = []
        self.peeks = []
        self.tampered = []
        self.hooks_lost = False
        self.steps = 0
        self.seconds = 0.0


try:  # opened once at import: the sandbox may forbid opening files later
    _DEVNULL_FD = _os.open(_os.devnull, _os.O_WRONLY)
except OSError:  # pragma: no cover - no /dev/null: fd-level silencing is skipped
    _DEVNULL_FD = -1
_dup = _os.dup
_dup2 = _os.dup2
_close = _os.close
_ORIG_STDERR = _sys.__stderr__


def _silence_fd2():
    """Point file descriptor 2 at /dev/null (C code, os.write(2, ...), sys.__stderr__); returns the saved fd."""
    if _DEVNULL_FD < 0:
        return -1
    try:
        if _ORIG_STDERR is not None:
            _ORIG_STDERR.flush()
        saved = _dup(2)
    except (OSError, ValueError):
        return -1
    try:
        _dup2(_DEVNULL_FD, 2)
    except OSError:
        _close(saved)
        return -1
    return saved


def _restore_fd2(saved):
    if saved < 0:
        return
    try:
        if _ORIG_STDERR is not None:
            _ORIG_STDERR.flush()  # whatever the student buffered goes to /dev/null, not to a later cell
    except (OSError, ValueError):
        pass
    try:
        _dup2(saved, 2)
    finally:
        _close(saved)


def run_student(func, args, kwargs=None, *, trace=True, extra_forbidden=()):
    """Call ``func(*args, **kwargs)`` under guard; never raises (except KeyboardInterrupt)."""
    out = Outcome()
    snapshot = snapshot_namespaces()
    sink = _StringIO()
    old_out, old_err = _sys.stdout, _sys.stderr
    old_trace, old_prof = _gettrace(), _getprofile()
    _STEPS[0] = 0
    del _FORBIDDEN_HITS[:]
    del _TRAPPED[:]
    del _PEEK_HITS[:]
    _FORBIDDEN_NOW[0] = _frozenset(_list(_REF_FILES) + _list(extra_forbidden))
    _sys.stdout = sink
    _sys.stderr = sink
    saved_fd2 = _silence_fd2()
    _ACTIVE[0] = True
    start = _perf_counter()
    try:
        if trace:
            _setprofile(_profiler)
            _settrace(_global_tracer)
        out.value = func(*args, **(kwargs or {}))
    except (_KeyboardInterrupt, _GeneratorExit):
        raise
    except _BaseException as exc:  # student errors, including SystemExit
        out.error = exc
        out.tb = exc.__traceback__
    finally:
        if trace:
            out.hooks_lost = _gettrace() is not _global_tracer or _getprofile() is not _profiler
        _settrace(old_trace)
        _setprofile(old_prof)
        out.seconds = _perf_counter() - start
        _ACTIVE[0] = False
        _restore_fd2(saved_fd2)
        _sys.stdout = old_out
        _sys.stderr = old_err
        out.steps = _STEPS[0]
        calls = _list(_TRAPPED) + _list(_FORBIDDEN_HITS)
        out.reference_calls = [c for i, c in _enumerate(calls) if c not in calls[:i]]
        out.peeks = [c for i, c in _enumerate(_PEEK_HITS) if c not in _PEEK_HITS[:i]]
        del _FORBIDDEN_HITS[:]
        del _TRAPPED[:]
        del _PEEK_HITS[:]
        out.tampered = restore_namespaces(snapshot)
    return out


def call_reference(func, *args, **kwargs):
    """Call a private reference original with the import-time numpy namespace in place, silently."""
    undo = pristine_numpy_enter()
    old_out, old_err = _sys.stdout, _sys.stderr
    sink = _StringIO()
    _sys.stdout = sink
    _sys.stderr = sink
    try:
        with _errstate(**_ERRSTATE_KW):
            return func(*args, **kwargs)
    finally:
        _sys.stdout = old_out
        _sys.stderr = old_err
        pristine_numpy_exit(undo)


def error_summary(outcome, func) -> str:
    """``ValueError: msg (at line 12: `x = ...`)`` for a student exception."""
    exc = outcome.error
    try:
        detail = _str(exc)
    except _Exception:  # a student exception whose __str__ fails
        detail = ""
    text = f"{_type(exc).__name__}: {detail}" if detail else _type(exc).__name__
    fn = unwrap_callable(func)
    target = fn.__code__.co_filename if fn is not None else None
    tb = outcome.tb
    where = None
    last = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename not in _REF_FILES and not code.co_filename.startswith(_SELF_DIR):
            last = (code, tb.tb_lineno)
            if code.co_filename == target:
                where = last
        tb = tb.tb_next
    where = where or last
    if where is None:
        return text
    code, lineno = where
    try:
        line = _getline(code.co_filename, lineno).strip()
    except _Exception:
        line = ""
    loc = (
        f"line {lineno} of {code.co_name}" if code.co_filename == target else f"{code.co_name}, line {lineno}"
    )
    return f"{text}\n    (raised at {loc}{': ' + line if line else ''})"


# ---------------------------------------------------------------------------------------------------------------
# loops in source (for messages)
# ---------------------------------------------------------------------------------------------------------------

_LOOP_NODES = (
    _ast.For,
    _ast.AsyncFor,
    _ast.While,
    _ast.ListComp,
    _ast.SetComp,
    _ast.DictComp,
    _ast.GeneratorExp,
)
_LOOP_CALL_NAMES = frozenset(("vectorize", "apply_along_axis", "frompyfunc", "fromiter", "map", "starmap"))


def source_loops(func) -> list:
    """``["line 12: for i in range(num_train):", ...]`` for loops in ``func``'s source (may be empty)."""
    fn = unwrap_callable(func)
    if fn is None:
        return []
    try:
        lines, start = _getsourcelines(fn)
        tree = _ast_parse(_dedent("".join(lines)))
    except _Exception:
        return []
    found = []
    for node in _ast_walk(tree):
        if _isinstance(node, _LOOP_NODES):
            lineno = start + node.lineno - 1 if start else node.lineno
            text = lines[node.lineno - 1].strip() if node.lineno - 1 < _len(lines) else ""
            found.append((lineno, f"line {lineno}: {text}"))
    return [t for _, t in _sorted(found)]


def loop_helpers_used(func) -> list:
    """Names like ``vectorize``/``map`` in ``func``'s code: loops over examples in disguise."""
    fn = unwrap_callable(func)
    if fn is None:
        return []
    hits = []
    for code in _walk_codes(fn.__code__):
        for name in code.co_names:
            if name in _LOOP_CALL_NAMES and name not in hits:
                hits.append(name)
    return hits


def rng(seed):
    return _default_rng(seed)


def now() -> float:
    return _perf_counter()


def quiet():
    """Context manager: numpy floating-point warnings and Python warnings off."""
    return _Quiet()


class _Quiet:
    __slots__ = ("_err", "_warn", "_out", "_errstream")

    def __enter__(self):
        self._err = _errstate(**_ERRSTATE_KW)
        self._err.__enter__()
        self._warn = _catch_warnings(module=_warnings)
        self._warn.__enter__()
        _simplefilter("ignore")
        self._out = _sys.stderr
        return self

    def __exit__(self, *exc):
        _sys.stderr = self._out
        self._warn.__exit__(*exc)
        self._err.__exit__(*exc)
        return False
