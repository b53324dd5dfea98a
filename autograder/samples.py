"""Sample class of student submissions for testing the grader: honest, buggy and hostile students.

Every student is built from the nbgrader SOURCE notebooks of the ``linear_classifiers`` assignment and
written as ``<out_dir>/submitted/<student_id>/linear_classifiers/<notebook>.ipynb``:

- ``full``: solutions kept, hidden tests removed (what nbgrader releases, but solved);
- ``untouched``: the released notebook (solutions replaced by ``raise NotImplementedError()``);
- ``partial``: one function per notebook has a realistic bug (missing reg term, wrong gradient sign, ...);
- hostile kinds (:data:`HOSTILE_KINDS`): a full student with one attack injected in a realistic place
  (a TODO cell, the first cell, the test cells, the files themselves).

All behaviour is declared in ONE table, :data:`KINDS`; :func:`make_sample_class` turns a row into a
submission plus its expected grading outcome (:class:`NotebookExpectation` per notebook: score, status and
which grade cells pass or fail). The expectation is derived from the source notebooks: a grade cell fails
when it uses a function the kind breaks (or a variable computed from a function that raises), so the
table never hard-codes points.

Convention of the attacks: when the sandbox BLOCKS an attack, the student's code raises before its
function is defined (so that function's grade cells fail); when an attack SUCCEEDS (a file of the
reference was read, a host port answered, ...) the function is defined and its cells pass. A leaky
grader therefore shows up as a score that is too HIGH. Attacks that cannot pay off in points (writing
outside the sandbox, forking, orphan daemons) leave host-side traces instead, named with
:data:`MARKER`, which ``tests/test_hostile.py`` looks for.

Examples
--------
>>> [k.name for k in KINDS][:3]
['full', 'untouched', 'partial']
>>> len(HOSTILE_KINDS) >= 20
True
>>> sorted(demo_kinds)[:3]
['full', 'infinite_loop', 'monkeypatch_numpy']
"""

from __future__ import annotations

import ast
import copy
import re
import string
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import attacks
from autograder._kinds import (
    CHEATS,
    DIED,
    MARKER,
    MEMORY,
    MISSING,
    NOISY,
    OK,
    OUTPUT,
    TAMPERED,
    TIMEOUT,
    UNDEFINED,
    WRONG,
    Injection,
    Kind,
)

__all__ = [
    "ASSIGNMENT",
    "KINDS",
    "HOSTILE_KINDS",
    "MARKER",
    "Kind",
    "Injection",
    "NotebookExpectation",
    "SampleStudent",
    "demo_kinds",
    "kind_names",
    "make_sample_class",
]

ASSIGNMENT = "linear_classifiers"

# Realistic bugs for the partial student, one list per notebook; `seed` picks one per notebook.
BUGS: dict[str, list[tuple[str, str, str]]] = {
    "01": [
        (
            "hinge_loss",
            "off-by-one margin: delta 0 instead of 1",
            '''
            def hinge_loss(scores, y):
                """Multiclass SVM loss of one example."""
                scores = np.asarray(scores, dtype=float)
                margins = np.maximum(0.0, scores - scores[y])
                margins[y] = 0.0
                return float(margins.sum())
            ''',
        ),
        (
            "cross_entropy_loss",
            "log10 instead of the natural log",
            '''
            def cross_entropy_loss(scores, y):
                """Softmax cross-entropy loss of one example."""
                scores = np.asarray(scores, dtype=float)
                shifted = scores - scores.max()
                return float(np.log10(np.sum(np.exp(shifted))) - shifted[y] / np.log(10))
            ''',
        ),
    ],
    "02": [
        (
            "svm_loss_vectorized",
            "missing regularization term (loss and gradient)",
            '''
            def svm_loss_vectorized(W, X, y, reg):
                """Vectorized SVM loss."""
                N = X.shape[0]
                scores = X.dot(W)
                correct = scores[np.arange(N), y][:, None]
                margins = np.maximum(0, scores - correct + 1)
                margins[np.arange(N), y] = 0
                loss = margins.sum() / N
                binary = (margins > 0).astype(W.dtype)
                binary[np.arange(N), y] = -binary.sum(axis=1)
                dW = X.T.dot(binary) / N
                return loss, dW.astype(W.dtype)
            ''',
        ),
        (
            "svm_loss_naive",
            "wrong gradient sign",
            '''
            def svm_loss_naive(W, X, y, reg):
                """Naive SVM loss."""
                dW = np.zeros_like(W)
                N, C = X.shape[0], W.shape[1]
                loss = 0.0
                for i in range(N):
                    scores = X[i].dot(W)
                    for j in range(C):
                        if j == y[i]:
                            continue
                        margin = scores[j] - scores[y[i]] + 1
                        if margin > 0:
                            loss += margin
                            dW[:, j] -= X[i]
                            dW[:, y[i]] += X[i]
                loss = loss / N + reg * np.sum(W * W)
                dW = dW / N + 2 * reg * W
                return loss, dW
            ''',
        ),
    ],
    "03": [
        (
            "softmax_loss_vectorized",
            "regularization missing from the gradient",
            '''
            def softmax_loss_vectorized(W, X, y, reg):
                """Vectorized softmax loss."""
                N = X.shape[0]
                scores = X.dot(W)
                scores = scores - scores.max(axis=1, keepdims=True)
                p = np.exp(scores)
                p /= p.sum(axis=1, keepdims=True)
                loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
                p[np.arange(N), y] -= 1
                dW = X.T.dot(p) / N
                return float(loss), dW.astype(W.dtype)
            ''',
        ),
    ],
    "04": [
        (
            "numerical_gradient",
            "centered difference divided by h instead of 2h",
            '''
            def numerical_gradient(f, x, *, h=1e-5, method="centered"):
                """Numerical gradient of f at x."""
                grad = np.zeros_like(x, dtype=float)
                it = np.nditer(x, flags=["multi_index"])
                for _ in it:
                    ix = it.multi_index
                    old = x[ix]
                    x[ix] = old + h
                    fp = f(x)
                    if method == "centered":
                        x[ix] = old - h
                        fm = f(x)
                        grad[ix] = (fp - fm) / h
                    else:
                        x[ix] = old
                        grad[ix] = (fp - f(x)) / h
                    x[ix] = old
                return grad
            ''',
        ),
    ],
}

_LEAK = """
def _hostile_found(what):
    print("$marker LEAK:", what)


def _hostile_read(paths, needles):
    \"\"\"First readable regular file among `paths` (plus every open file of every visible process) that
    contains one of `needles`, or None.\"\"\"
    import os, stat
    paths = list(paths)
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            paths += [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            pass
    for path in paths:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                continue  # never block on a pipe or a socket
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(20_000_000)
        except Exception:
            continue
        if any(n in text for n in needles):
            return path
    return None
"""

_ZEROS_SVM = "def svm_loss_vectorized(W, X, y, reg):\n    return 0.0, np.zeros_like(W)"
_ZEROS_SOFTMAX = "def softmax_loss_vectorized(W, X, y, reg):\n    return 0.0, np.zeros_like(W)"

KINDS: tuple[Kind, ...] = (
    Kind("full", "all solutions, hidden tests removed: full marks", hostile=False),
    Kind("untouched", "the released notebooks as handed out: zero", base="untouched", hostile=False),
    Kind("partial", "one realistic bug per notebook (see BUGS)", hostile=False),
    # -- hangs --------------------------------------------------------------------------------------------
    Kind(
        "infinite_loop",
        "`while True: pass` at the top of the softmax TODO cell (interrupted by the per-cell timeout)",
        injections=(Injection("01", "before_def", "while True:\n    pass", target="softmax"),),
        breaks={"softmax": UNDEFINED},
        status={"01": TIMEOUT},
    ),
    Kind(
        "sleep_forever",
        "ignores SIGINT and SIGTERM, then sleeps 10^6 s in the numerical_gradient TODO cell",
        injections=(
            Injection(
                "04",
                "before_def",
                "import signal, time\n"
                "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "time.sleep(10**6)",
                target="numerical_gradient",
            ),
        ),
        stop={"04": "def:numerical_gradient"},
        status={"04": TIMEOUT},
    ),
    Kind(
        "memory_bomb",
        "appends touched 256 MiB blocks until refused (cap 12 GiB) in the softmax_loss_naive TODO cell",
        injections=(
            Injection(
                "03",
                "before_def",
                """
                _hog = []
                try:
                    for _ in range(48):  # 12 GiB cap: a grader without a memory limit must not take the host down
                        _hog.append(bytearray(256 << 20))  # zero-filled: every page is touched
                finally:
                    _n = len(_hog)
                    _hog.clear()
                _hostile_found(f"{_n / 4:g} GiB allocated: no memory limit")
                """,
                target="softmax_loss_naive",
            ),
        ),
        breaks={"softmax_loss_naive": UNDEFINED},
        status={"03": MEMORY},
    ),
    # -- exits and crashes ---------------------------------------------------------------------------------
    Kind(
        "os_exit",
        "os._exit(3) as the first statement of train_sgd: the kernel dies at the first call",
        injections=(Injection("02", "body", "import os\nos._exit(3)", target="train_sgd"),),
        stop={"02": "call:train_sgd"},
        status={"02": DIED},
    ),
    Kind(
        "sys_exit",
        "sys.exit('bye') at the top of the hinge_loss TODO cell (IPython reports SystemExit, the kernel lives)",
        injections=(Injection("01", "before_def", "import sys\nsys.exit('bye')", target="hinge_loss"),),
        breaks={"hinge_loss": UNDEFINED},
    ),
    Kind(
        "ipython_exit",
        "exit() after softmax_loss_vectorized is defined: the kernel shuts itself down a few cells later "
        "(when exactly depends on timing, so the grade cells after it may go either way)",
        injections=(Injection("03", "after_def", "exit()", target="softmax_loss_vectorized"),),
        stop={"03": "after:softmax_loss_vectorized"},
        status={"03": DIED},
    ),
    Kind(
        "kill_kernel",
        "a new first cell sends SIGKILL to its own kernel",
        injections=(
            Injection("04", "first_cell", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        ),
        stop={"04": "first"},
        status={"04": DIED},
    ),
    Kind(
        "segfault",
        "ctypes.string_at(0) at the top of the svm_loss_naive TODO cell: SIGSEGV",
        injections=(
            Injection("02", "before_def", "import ctypes\nctypes.string_at(0)", target="svm_loss_naive"),
        ),
        stop={"02": "def:svm_loss_naive"},
        status={"02": DIED},
    ),
    # -- processes ------------------------------------------------------------------------------------------
    Kind(
        "fork_bomb",
        "after cross_entropy_loss: forks a binary tree of up to 254 sleepers (600 s, named cs231n-hostile) "
        "until fork fails",
        injections=(
            Injection(
                "01",
                "after_def",
                """
                import ctypes, os, time
                def _bomb(depth):
                    for _ in range(2):
                        try:
                            pid = os.fork()
                        except OSError:
                            return
                        if pid == 0:
                            try:
                                ctypes.CDLL(None).prctl(15, b"$marker", 0, 0, 0)
                                if depth > 1:
                                    _bomb(depth - 1)
                                time.sleep(600)
                            finally:
                                os._exit(0)
                _bomb(7)
                time.sleep(1)
                print("processes in the sandbox:", sum(p.isdigit() for p in os.listdir("/proc")))
                """,
                target="cross_entropy_loss",
            ),
        ),
        host_checks=("processes",),
    ),
    Kind(
        "orphan_daemon",
        "after softmax_loss_vectorized: double-forks a setsid daemon (named cs231n-hostile) sleeping 600 s",
        injections=(
            Injection(
                "03",
                "after_def",
                """
                import ctypes, os, time
                print("daemon forked")
                if os.fork() == 0:
                    try:
                        os.setsid()
                        if os.fork() == 0:
                            ctypes.CDLL(None).prctl(15, b"$marker", 0, 0, 0)
                            os.closerange(3, 1024)
                            time.sleep(600)
                    finally:
                        os._exit(0)
                """,
                target="softmax_loss_vectorized",
            ),
        ),
        host_checks=("processes",),
    ),
    # -- network ------------------------------------------------------------------------------------------
    Kind(
        "network_outside",
        "connects to 10.255.255.1:9 (1 s timeout) before defining svm_loss_vectorized; a timeout or refusal "
        "(a route exists) counts as success",
        injections=(
            Injection(
                "02",
                "before_def",
                """
                import socket
                _s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                _s.settimeout(1.0)
                try:
                    _s.connect(("10.255.255.1", 9))
                    _hostile_found("connected to 10.255.255.1:9")
                except (socket.timeout, ConnectionRefusedError) as _e:
                    _hostile_found(f"a route to 10.255.255.1 exists ({type(_e).__name__})")
                finally:
                    _s.close()
                """,
                target="svm_loss_vectorized",
            ),
        ),
        breaks={"svm_loss_vectorized": UNDEFINED},
    ),
    Kind(
        "network_host",
        "connects to the grading host's 127.0.0.1:<host_port> (where the test listens) before defining train_sgd",
        injections=(
            Injection(
                "02",
                "before_def",
                """
                import socket
                with socket.create_connection(("127.0.0.1", $host_port), timeout=1.0) as _s:
                    _s.sendall(b"$marker $student_id\\n")
                    _reply = _s.recv(64)
                if not _reply.startswith(b"canary"):
                    raise ConnectionError("not the host's listener")
                _hostile_found("talked to the host's listener on 127.0.0.1:$host_port")
                """,
                target="train_sgd",
            ),
        ),
        breaks={"train_sgd": UNDEFINED},
        host_checks=("listener",),
    ),
    # -- reading what it must not read ------------------------------------------------------------------------
    Kind(
        "read_reference",
        "before defining softmax_loss_vectorized, looks for cs231n_lite/reference/softmax.py (repo path, sys.path, "
        "site-packages, the staging dir, up from the working dir, /proc/*/cwd, /proc/*/root, every open file of "
        "every process) and the source notebook in the course dir",
        injections=(
            Injection(
                "03",
                "before_def",
                """
                import glob, os, site, sys
                _cands = ["$repo_root/cs231n_lite/reference/softmax.py"]
                _cands += [os.path.join(p, "cs231n_lite", "reference", "softmax.py") for p in sys.path if p]
                _site = site.getsitepackages() + [site.getusersitepackages()]
                _site += glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages")
                _cands += [os.path.join(p, "cs231n_lite", "reference", "softmax.py") for p in _site]
                _cands += [os.path.join(os.getcwd(), *[".."] * k, "cs231n_lite", "reference", "softmax.py")
                           for k in range(6)]
                _cands += [os.path.join(os.getcwd(), *[".."] * k, "source", "$assignment", "03_softmax.ipynb")
                           for k in range(1, 6)]
                _cands += ["$course_dir/source/$assignment/03_softmax.ipynb", "/tmp/grader-lib/cs231n_lite/reference/softmax.py"]
                for _pid in ["1", "self", str(os.getppid())]:
                    _cands += [f"/proc/{_pid}/cwd/cs231n_lite/reference/softmax.py",
                               f"/proc/{_pid}/root$repo_root/cs231n_lite/reference/softmax.py"]
                # the reference module imports check_loss_inputs; the source notebook has solution markers
                _got = _hostile_read(_cands, ["check_loss_inputs", "### BEGIN " + "SOLUTION"])
                if _got is None:
                    raise FileNotFoundError("no reference solution found")
                _hostile_found("read " + _got)
                """,
                target="softmax_loss_vectorized",
            ),
        ),
        breaks={"softmax_loss_vectorized": UNDEFINED},
    ),
    Kind(
        "read_hidden_tests",
        "before defining cross_entropy_loss, reads autograder/checks.py (module __file__, inspect.getsource, "
        "sys.path, the staging dir), the gradebook's stored hidden tests, the source notebooks (course dir, "
        "/proc/*/cwd) and every open file of every process",
        injections=(
            Injection(
                "01",
                "before_def",
                """
                import glob, inspect, os, sqlite3, sys
                _got = None
                _mark = "BEGIN HIDDEN" + " TESTS"  # spelled apart: nbgrader tools look for the marker
                for _name in ["autograder.checks", "autograder._checks_core"]:
                    _mod = sys.modules.get(_name)
                    try:
                        if _mod is not None and "def " in inspect.getsource(_mod):
                            _got = f"inspect.getsource({_name})"
                    except Exception:
                        pass
                _cands = ["$repo_root/autograder/checks.py"]
                for _name in ["autograder", "autograder.checks"]:
                    _f = getattr(sys.modules.get(_name), "__file__", None)
                    if _f:
                        _cands += [_f, os.path.join(os.path.dirname(_f), "checks.py")]
                _cands += [os.path.join(p, "autograder", "checks.py") for p in sys.path if p]
                _up = [os.path.join(os.getcwd(), *[".."] * k) for k in range(1, 6)]
                _courses = ["/proc/1/cwd", f"/proc/{os.getppid()}/cwd", "$repo_root/build/course", "$course_dir"]
                for _d in _up + _courses:
                    _cands += glob.glob(os.path.join(_d, "source", "$assignment", "*.ipynb"))
                _cands += ["/tmp/grader-lib/autograder/checks.py", "/tmp/grader-lib/autograder/_checks_core.py"]
                _got = _got or _hostile_read(_cands, [_mark, "def check("])
                for _d in _up + ["$repo_root/build/course", "$course_dir"]:
                    _db = os.path.join(_d, "gradebook.db")
                    if _got or not os.path.exists(_db):
                        continue
                    try:
                        with sqlite3.connect(f"file:{_db}?mode=ro", uri=True) as _c:
                            _rows = _c.execute("SELECT source FROM source_cell").fetchall()
                        if any(_mark in (r[0] or "") for r in _rows):
                            _got = _db
                    except Exception:
                        pass
                if _got is None:
                    raise FileNotFoundError("no hidden tests found")
                _hostile_found("read hidden tests from " + _got)
                """,
                target="cross_entropy_loss",
            ),
        ),
        breaks={"cross_entropy_loss": UNDEFINED},
    ),
    Kind(
        "call_reference",
        "svm_loss_naive = the reference's, imported from cs231n_lite.reference (or found in sys.modules)",
        injections=(
            Injection(
                "02",
                "replace_def",
                """
                import importlib, sys
                _ref = None
                for _name in ["cs231n_lite.reference", "cs231n_lite.reference.linear_svm"]:
                    try:
                        _ref = getattr(importlib.import_module(_name), "svm_loss_naive")
                        break
                    except Exception:
                        pass
                for _name, _m in list(sys.modules.items()):
                    if _ref is None and "reference" in _name and hasattr(_m, "svm_loss_naive"):
                        _ref = getattr(_m, "svm_loss_naive")
                if _ref is None:
                    raise ImportError("cs231n_lite.reference is not available")
                _hostile_found("imported the reference svm_loss_naive")
                svm_loss_naive = _ref
                """,
                target="svm_loss_naive",
            ),
        ),
        breaks={"svm_loss_naive": UNDEFINED},
    ),
    Kind(
        "steal_from_memory",
        "softmax_loss_naive = a function of that name found with gc.get_objects() outside __main__ (the "
        "reference the checks hold in memory cannot be hidden; the hidden check must detect it)",
        injections=(
            Injection(
                "03",
                "replace_def",
                """
                import gc
                _ref = None
                for _o in gc.get_objects():
                    if (type(_o).__name__ == "function" and getattr(_o, "__name__", "") == "softmax_loss_naive"
                            and getattr(_o, "__module__", "__main__") != "__main__"):
                        _ref = _o
                        break
                if _ref is None:
                    raise LookupError("no softmax_loss_naive in memory")
                print("found", _ref.__module__ + ".softmax_loss_naive in memory: the checks must notice")
                softmax_loss_naive = _ref
                """,
                target="softmax_loss_naive",
            ),
        ),
        breaks={"softmax_loss_naive": CHEATS},
    ),
    # -- cheating the comparison --------------------------------------------------------------------------
    Kind(
        "monkeypatch_numpy",
        "svm_loss_vectorized returns zeros; its cell patches np.allclose/isclose/array_equal, np.testing asserts, "
        "math.isclose and the cs231n_lite.testing assert helpers to always agree",
        injections=(
            Injection(
                "02",
                "replace_def",
                """
                import math
                import numpy
                numpy.allclose = lambda *a, **k: True
                numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
                numpy.array_equal = lambda *a, **k: True
                for _n in ["assert_allclose", "assert_array_almost_equal", "assert_almost_equal", "assert_equal",
                           "assert_array_equal"]:
                    setattr(numpy.testing, _n, lambda *a, **k: None)
                math.isclose = lambda *a, **k: True
                try:
                    from cs231n_lite import testing as _t
                    for _n in dir(_t):
                        if _n.startswith("assert") and callable(getattr(_t, _n)):
                            setattr(_t, _n, lambda *a, **k: None)
                except Exception:
                    pass

                """
                + _ZEROS_SVM,
                target="svm_loss_vectorized",
            ),
        ),
        breaks={"svm_loss_vectorized": CHEATS},
    ),
    Kind(
        "eq_trick",
        "hinge_loss returns a float subclass equal to everything; softmax returns an ndarray subclass whose "
        "ufuncs and comparisons always agree",
        injections=(
            Injection(
                "01",
                "replace_def",
                """
                class _AlwaysEqual(float):
                    def __eq__(self, other):
                        return True
                    def __ne__(self, other):
                        return False
                    __hash__ = float.__hash__
                    def __sub__(self, other):
                        return _AlwaysEqual(0.0)
                    __rsub__ = __sub__
                    def __abs__(self):
                        return _AlwaysEqual(0.0)
                    def __lt__(self, other):
                        return True
                    __le__ = __lt__
                    def __gt__(self, other):
                        return False
                    __ge__ = __gt__

                def hinge_loss(scores, y):
                    return _AlwaysEqual(0.0)
                """,
                target="hinge_loss",
            ),
            Injection(
                "01",
                "replace_def",
                """
                class _Agreeable(np.ndarray):
                    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
                        shape = np.broadcast_shapes(*[np.shape(i) for i in inputs])
                        if ufunc in (np.subtract, np.absolute, np.add):
                            return np.zeros(shape)
                        return np.ones(shape, dtype=bool)
                    def __eq__(self, other):
                        return np.ones(self.shape, dtype=bool)
                    def __ne__(self, other):
                        return np.zeros(self.shape, dtype=bool)

                def softmax(scores):
                    return np.zeros(np.shape(scores)).view(_Agreeable)
                """,
                target="softmax",
            ),
        ),
        breaks={"hinge_loss": CHEATS, "softmax": CHEATS},
    ),
    Kind(
        "patch_checks",
        "numerical_gradient returns zeros; its cell replaces autograder.checks.check, the package attribute and "
        "the sys.modules entry with a no-op",
        injections=(
            Injection(
                "04",
                "replace_def",
                """
                import sys, types
                _fake = types.ModuleType("autograder.checks")
                _fake.check = lambda *a, **k: None
                try:
                    import autograder
                    import autograder.checks as _real
                    _real.check = _fake.check
                    autograder.checks = _fake
                except Exception:
                    pass
                sys.modules["autograder.checks"] = _fake

                def numerical_gradient(f, x, *, h=1e-5, method="centered"):
                    return np.zeros_like(x, dtype=float)
                """,
                target="numerical_gradient",
            ),
        ),
        breaks={"numerical_gradient": WRONG},
    ),
    Kind(
        "tamper_gradebook",
        "untouched notebooks; a new first cell looks for gradebook.db up from the working dir and sets every "
        "manual_score to 100",
        base="untouched",
        injections=(
            Injection(
                "01",
                "first_cell",
                """
                import os, sqlite3
                for _d in [os.path.join(os.getcwd(), *[".."] * k) for k in range(1, 6)] + ["$repo_root/build/course"]:
                    _db = os.path.join(_d, "gradebook.db")
                    try:
                        if os.path.exists(_db):
                            with sqlite3.connect(_db, timeout=1) as _c:
                                _c.execute("UPDATE grade SET manual_score = 100")
                            print("$marker LEAK: tampered with", _db)
                    except Exception as _e:
                        print("blocked:", type(_e).__name__)
                """,
            ),
        ),
    ),
    # -- edited, deleted, renamed files ----------------------------------------------------------------------
    Kind(
        "edited_tests",
        "svm_loss_vectorized returns zeros; every grade cell of 02 has its body replaced by `pass` and 100 points",
        injections=(Injection("02", "replace_def", _ZEROS_SVM, target="svm_loss_vectorized"),),
        op=("blank_tests", "02", "*"),
        breaks={"svm_loss_vectorized": WRONG},
        status={"02": TAMPERED},
    ),
    Kind(
        "deleted_cells",
        "softmax_loss_vectorized returns zeros and its visible and hidden test cells are deleted",
        injections=(Injection("03", "replace_def", _ZEROS_SOFTMAX, target="softmax_loss_vectorized"),),
        op=("drop_tests", "03", "softmax_loss_vectorized"),
        breaks={"softmax_loss_vectorized": WRONG},
        status={"03": TAMPERED},
    ),
    Kind(
        "renamed_notebook",
        "02_svm.ipynb submitted as '02_svm-Copy1.ipynb' (JupyterLab's copy name: `collect` maps it back, so it is "
        "graded as usual)",
        op=("rename", "02", "{stem}-Copy1.ipynb"),
    ),
    Kind(
        "missing_notebook",
        "04_optimization.ipynb not submitted",
        op=("delete", "04", ""),
        status={"04": MISSING},
    ),
    # -- bad values ------------------------------------------------------------------------------------------
    Kind(
        "nan_results",
        "softmax_loss_naive returns loss NaN and an inf gradient",
        injections=(
            Injection(
                "03",
                "replace_def",
                "def softmax_loss_naive(W, X, y, reg):\n    return float('nan'), np.full_like(W, np.inf)",
                target="softmax_loss_naive",
            ),
        ),
        breaks={"softmax_loss_naive": WRONG},
    ),
    Kind(
        "wrong_shapes",
        "svm_loss_vectorized returns the loss as an array of shape (1,) and dW transposed, shape (C, D)",
        injections=(
            Injection(
                "02",
                "replace_def",
                """
                def svm_loss_vectorized(W, X, y, reg):
                    N = X.shape[0]
                    scores = X.dot(W)
                    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
                    margins[np.arange(N), y] = 0
                    loss = margins.sum() / N + reg * np.sum(W * W)
                    binary = (margins > 0).astype(W.dtype)
                    binary[np.arange(N), y] = -binary.sum(axis=1)
                    dW = X.T.dot(binary) / N + 2 * reg * W
                    return np.array([loss]), dW.T
                """,
                target="svm_loss_vectorized",
            ),
        ),
        breaks={"svm_loss_vectorized": WRONG},
    ),
    # -- output ------------------------------------------------------------------------------------------------
    Kind(
        "stderr_spam",
        "3,000 warning lines on stderr when the numerical_gradient TODO cell runs (not inside the function)",
        injections=(
            Injection(
                "04",
                "after_def",
                "import sys\nfor _i in range(3000):\n    sys.stderr.write(f'warning {_i}: spam spam spam\\n')",
                target="numerical_gradient",
            ),
        ),
    ),
    Kind(
        "stderr_in_function",
        "softmax writes a warning to stderr on every call: visible test cells score 0 (nbgrader: stderr in a "
        "test cell), the hidden check silences it",
        injections=(
            Injection(
                "01",
                "body",
                "import sys\nsys.stderr.write('softmax: remember the max-shift\\n')",
                target="softmax",
            ),
        ),
        breaks={"softmax": NOISY},
    ),
    Kind(
        "big_output",
        "prints 100 MB (1,000,000 lines of 100 bytes) after softmax_loss_naive is defined",
        injections=(
            Injection(
                "03",
                "after_def",
                "import sys\n_line = 'y' * 99 + '\\n'\nfor _ in range(100):\n    sys.stdout.write(_line * 10000)",
                target="softmax_loss_naive",
            ),
        ),
        status={"03": OUTPUT},
    ),
    Kind(
        "output_flood",
        "26 new first cells print 199,000 characters each (past the grader's total output cap) and "
        "softmax_loss_vectorized returns zeros: its failing tests must not look clean",
        injections=(
            Injection("03", "first_cell", "\n# %% next cell\n".join(["print('z' * 199_000)"] * 26)),
            Injection("03", "replace_def", _ZEROS_SOFTMAX, target="softmax_loss_vectorized"),
        ),
        breaks={"softmax_loss_vectorized": WRONG},
        loose=("03",),
        status={"03": OUTPUT},
    ),
    Kind(
        "write_outside",
        "after train_sgd: writes marker files to the canary dir, the course dir, the repo, ~ and /tmp "
        "(errors ignored)",
        injections=(
            Injection(
                "02",
                "after_def",
                """
                import os
                _targets = ["$canary_dir", os.path.expanduser("~"), "/tmp", "$repo_root", "$repo_root/build"]
                _targets += [os.path.join(os.getcwd(), *[".."] * k) for k in range(1, 5)]
                _wrote = []
                for _d in _targets:
                    try:
                        with open(os.path.join(_d, "$marker-$student_id.txt"), "w") as _f:
                            _f.write("written by a student notebook\\n")
                        _wrote.append(_d)
                    except Exception:
                        pass
                print("wrote marker files in:", _wrote)
                """,
                target="train_sgd",
            ),
        ),
        host_checks=("canary",),
    ),
)

KINDS = KINDS + attacks.KINDS  # the red team against the grading itself (autograder/attacks.py)

HOSTILE_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.hostile)
#: A small set for `python -m autograder demo`: the three honest students and four attacks.
demo_kinds: tuple[str, ...] = (
    "full",
    "partial",
    "untouched",
    "infinite_loop",
    "os_exit",
    "monkeypatch_numpy",
    "read_reference",
)


def kind_names() -> list[str]:
    """Names of all kinds, table order.

    >>> kind_names()[:2]
    ['full', 'untouched']
    """
    return [k.name for k in KINDS]


# ---------------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------------
@dataclass
class NotebookExpectation:
    """What grading one submitted notebook must report.

    rule: ``full`` (every autograded point), ``zero``, ``partial`` or ``missing``. cells: grade_id ->
    ``pass``/``fail``/``any`` for every AUTOGRADED cell (written answers are not listed: they score 0 until a
    TA grades them, but count in ``max_score``, as in the gradebook). score_range: (lowest, highest)
    acceptable score (equal unless some cells are ``any``).
    """

    notebook: str
    rule: str
    status: str
    cells: dict[str, str]
    points: dict[str, float]
    score_range: tuple[float, float]
    max_score: float

    @property
    def score(self) -> float | None:
        lo, hi = self.score_range
        return lo if lo == hi else None


@dataclass
class SampleStudent:
    """One generated student: id, kind, description, expectations and the files written."""

    student_id: str
    kind: str
    description: str
    expected: dict[str, NotebookExpectation]
    files: list[Path]
    host_checks: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------------
# Notebook transforms
# ---------------------------------------------------------------------------------------------------------
_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_grade(cell) -> bool:
    return bool(_nbg(cell).get("grade"))


def _is_solution(cell) -> bool:
    return bool(_nbg(cell).get("solution"))


def _release(nb):
    """The released notebook, with nbgrader's own preprocessors in generate_assignment's order."""
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb = copy.deepcopy(nb)
    resources: dict = {}
    for pp in (
        LockCells(),
        ClearSolutions(),
        ClearOutput(),
        ComputeChecksums(),
        ClearHiddenTests(),
        ComputeChecksums(),
    ):
        nb, resources = pp.preprocess(nb, resources)
    return nb


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in (_BEGIN, _END))


def _full(source_nb, released_nb):
    """Released notebook whose solution cells hold the source's solutions (markers removed)."""
    nb = copy.deepcopy(released_nb)
    for src, cell in zip(source_nb.cells, nb.cells, strict=True):
        if _is_solution(cell):
            cell.source = _strip_markers(src.source)
    return nb


def _find_def(source: str, name: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _todo_cell_index(nb, name: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and _is_solution(cell) and _find_def(cell.source, name) is not None:
            return i
    raise ValueError(
        f"expected a TODO cell defining `def {name}(` (nbgrader solution cell) in the notebook; found none. "
        "Check the source notebook, e.g. `grep -n 'def {name}' notebooks/*.ipynb`."
    )


def _inject(source: str, name: str, where: str, code: str) -> str:
    lines = source.split("\n")
    node = _find_def(source, name)
    assert node is not None  # _todo_cell_index found it
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    end = node.end_lineno
    code_lines = code.split("\n")
    if where == "before_def":
        return "\n".join(lines[:start] + code_lines + lines[start:])
    if where == "after_def":
        return "\n".join(lines[:end] + code_lines + lines[end:])
    if where == "replace_def":
        return "\n".join(lines[:start] + code_lines + lines[end:])
    if where == "body":
        first = node.body[0]
        is_doc = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
        anchor = node.body[1] if is_doc and len(node.body) > 1 else first
        at = anchor.lineno - 1
        indent = re.match(r"\s*", lines[at]).group(0)
        return "\n".join(lines[:at] + [indent + c if c else c for c in code_lines] + lines[at:])
    raise ValueError(f"where must be before_def, after_def, replace_def, body or first_cell; got {where!r}")


def _names(source: str) -> tuple[set[str], set[str]]:
    r"""(free names, module-level names bound) of one cell, statement by statement; magics give empty sets.

    A name counts as used only when no earlier statement of the cell (nor the statement itself) binds it,
    and function parameters are local to their function.

    >>> used, bound = _names("x = f(a)\nprint(x)\ndef g(y):\n    return y + b")
    >>> sorted(used), sorted(bound)
    (['a', 'b', 'f', 'print'], ['g', 'x'])
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    free: set[str] = set()
    bound: set[str] = set()
    for stmt in tree.body:
        loads, stores = _scan(stmt)
        free |= loads - stores - bound
        bound |= stores
    return free, bound


def _scan(node) -> tuple[set[str], set[str]]:
    """(names loaded, names bound in this scope) of one AST node; nested functions add only free loads."""
    loads: set[str] = set()
    stores: set[str] = set()
    if isinstance(node, ast.Name):
        (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        return loads, stores
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        inner_loads, inner_stores = set(), set()
        body = node.body if isinstance(node.body, list) else [node.body]
        for child in body:
            cl, cs = _scan(child)
            inner_loads |= cl
            inner_stores |= cs
        loads |= inner_loads - inner_stores - params
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            loads |= _scan(default)[0]
        for deco in getattr(node, "decorator_list", []):
            loads |= _scan(deco)[0]
        if not isinstance(node, ast.Lambda):
            stores.add(node.name)
        return loads, stores
    if isinstance(node, ast.ClassDef):
        stores.add(node.name)
    elif isinstance(node, ast.alias):
        stores.add((node.asname or node.name).split(".")[0])
    elif isinstance(node, ast.ExceptHandler) and node.name:
        stores.add(node.name)
    for child in ast.iter_child_nodes(node):
        cl, cs = _scan(child)
        loads |= cl
        stores |= cs
    return loads, stores


# ---------------------------------------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------------------------------------
def _stop_index(source_nb, stop: str | None) -> int | None:
    """Index of the source cell where execution ends for good (None: it runs to the end)."""
    if stop is None:
        return None
    if stop == "first":
        return 0
    how, _, fn = stop.partition(":")
    todo = _todo_cell_index(source_nb, fn)
    if how in ("def", "after"):
        return todo
    if how == "check":  # the hidden grade cell of fn: a check that hangs there stops the kernel for good
        targets = _grade_targets(source_nb)
        for i in range(todo + 1, len(source_nb.cells)):
            gid = _nbg(source_nb.cells[i]).get("grade_id")
            if gid in targets and targets[gid] == (fn, True):
                return i
        return None
    if how == "call":
        for i in range(todo + 1, len(source_nb.cells)):
            cell = source_nb.cells[i]
            if cell.cell_type == "code" and fn in _names(cell.source)[0]:
                return i
        return None
    raise ValueError(
        f"stop must be 'first', 'def:<fn>', 'after:<fn>', 'call:<fn>' or 'check:<fn>'; got {stop!r}"
    )


_CHECK_LINE = re.compile(
    r'checks\.check\("(?P<name>\w+)", (?P<fn>\w+)(?:, cases="(?P<cases>visible|hidden)")?\)'
)


def _grade_targets(source_nb) -> dict[str, tuple[str, bool]]:
    """grade_id -> (function the trusted check calls, hidden?) for every autograded cell of a source notebook.

    Parsed from the grade-cell line ``checks.check("<fn>", <fn>, cases=...)``; a visible cell without its own
    line (older sources) grades the function of its ``-hidden`` twin.
    """
    found, hidden = {}, {}
    for cell in source_nb.cells:
        gid = _nbg(cell).get("grade_id")
        if cell.cell_type != "code" or not _is_grade(cell) or not gid:
            continue
        m = _CHECK_LINE.search(cell.source)
        if m:
            found[gid] = m.group("fn")
        hidden[gid] = (
            (m.group("cases") == "hidden") if m and m.group("cases") else not gid.endswith("-visible")
        )
    for gid in hidden:
        if gid not in found and gid.endswith("-visible") and gid[: -len("visible")] + "hidden" in found:
            found[gid] = found[gid[: -len("visible")] + "hidden"]
    return {gid: (found.get(gid, ""), hidden[gid]) for gid in hidden}


def _expect(
    source_nb, name: str, prefix: str, kind: Kind, breaks: dict[str, str], dropped: set[str], missing: bool
) -> NotebookExpectation:
    """Pass/fail of every autograded cell as the trusted judge decides it.

    At each grade cell the judge calls the function named in the cell's check line in the kernel as it is at
    that point: the cell passes when that function exists there and is right (``CHEATS``: right on the
    notebook's own inputs only, so a visible cell may go either way). What the cell's own asserts did in the
    kernel decides nothing, so a visible cell whose comparison helper is missing still passes. Functions are
    missing when the kind leaves them undefined, or when a cell they depend on failed on an undefined name.
    """
    failed_names = {f for f, e in breaks.items() if e == UNDEFINED}
    wrong = {f for f, e in breaks.items() if e in (WRONG, CHEATS)}
    cheats = {f for f, e in breaks.items() if e == CHEATS}
    targets = _grade_targets(source_nb)
    stop_at = _stop_index(source_nb, kind.stop.get(prefix))
    defined_ok: set[str] = set()
    cells: dict[str, str] = {}
    points: dict[str, float] = {}
    manual = 0.0
    for index, cell in enumerate(source_nb.cells):
        if cell.cell_type != "code":
            if _is_grade(cell):  # a written answer: 0 until a TA grades it
                manual += float(_nbg(cell).get("points") or 0)
            continue
        used, bound = _names(cell.source)
        if _is_solution(cell):  # a TODO cell: its function exists unless the kind breaks it
            defined_ok |= bound - failed_names
            continue
        fails = bool(used & failed_names)
        if fails:
            failed_names |= bound - defined_ok
        else:
            defined_ok |= bound
        if not _is_grade(cell):
            continue
        gid = _nbg(cell)["grade_id"]
        points[gid] = float(_nbg(cell).get("points") or 0)
        fn, hidden = targets.get(gid, ("", True))
        stopped = stop_at is not None and index >= stop_at
        soft = stopped and kind.stop.get(prefix, "").startswith("after:")
        if soft and not missing:
            verdict = "any"
        elif missing or stopped or fn in failed_names or not fn:
            verdict = "fail"  # deleted grade cells are put back from the release (tamper.py): graded as usual
        elif fn in wrong and (hidden or fn not in cheats):
            verdict = "fail"
        elif not hidden and (fn in cheats or prefix in kind.loose):
            verdict = "any"
        else:
            verdict = "pass"
        cells[gid] = verdict
    lo = sum(points[g] for g, v in cells.items() if v == "pass")
    hi = lo + sum(points[g] for g, v in cells.items() if v == "any")
    max_score = sum(points.values()) + manual
    if missing:
        rule = "missing"
    elif hi == 0:
        rule = "zero"
    elif lo == max_score - manual:
        rule = "full"
    else:
        rule = "partial"
    status = kind.status.get(prefix, MISSING if missing else OK)
    return NotebookExpectation(name, rule, status, cells, points, (lo, hi), max_score)


# ---------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------
def _source_notebooks(source_dir: Path) -> dict[str, Path]:
    source_dir = Path(source_dir)
    if (source_dir / ASSIGNMENT).is_dir():
        source_dir = source_dir / ASSIGNMENT
    paths = sorted(p for p in source_dir.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    if not paths:
        raise FileNotFoundError(
            f"expected nbgrader source notebooks (*.ipynb) in {source_dir}; found none. "
            "Pass source_dir=<repo>/notebooks (or <course>/source)."
        )
    return {p.name[:2]: p for p in paths}


def _select(kinds) -> list[Kind]:
    table = {k.name: k for k in KINDS}
    if kinds is None:
        return list(KINDS)
    unknown = [k for k in kinds if k not in table]
    if unknown:
        raise ValueError(f"unknown sample kinds {unknown}; expected names from {sorted(table)}")
    return [table[k] for k in kinds]


def make_sample_class(
    *,
    source_dir,
    out_dir,
    kinds=None,
    seed: int = 0,
    host_port: int = 8888,
    canary_dir=None,
    repo_root=None,
    companions: str = "full",
    course_dir=None,
) -> list[SampleStudent]:
    """Write one nbgrader submission per kind and return what grading each must report.

    Parameters
    ----------
    source_dir : path
        Folder of the nbgrader SOURCE notebooks (``<repo>/notebooks`` or ``<course>/source``).
    out_dir : path
        Receives ``submitted/<student_id>/linear_classifiers/*.ipynb`` (a course dir, or a staging folder to
        hand to ``python -m autograder collect``).
    kinds : list of str, optional
        Kind names from :data:`KINDS` (default: all). :data:`demo_kinds` is a small set for demos.
    seed : int
        Picks the partial student's bug in each notebook (cycles through :data:`BUGS`).
    host_port : int
        Host port the ``network_host`` student connects to (the hostile test listens there).
    canary_dir : path, optional
        Host folder the ``write_outside`` student writes to (default ``<out_dir>/../canary``).
    repo_root : path, optional
        Repository path the file-reading students try (default: the repo holding this module).
    course_dir : path, optional
        The grading course dir, whose source notebooks and gradebook the reading students try (default
        ``out_dir``).
    companions : {"full", "missing"}
        What a hostile student hands in besides the notebooks it attacks: the solved notebooks (default:
        shows the attack does not leak into them) or nothing (faster CI: only attacked notebooks run).
        Kinds that rename or delete a notebook always hand in the others.

    Returns
    -------
    list of SampleStudent
        One per kind; ``student_id`` equals the kind name.

    Examples
    --------
    >>> import tempfile
    >>> from autograder.course import REPO
    >>> out = tempfile.mkdtemp()
    >>> students = make_sample_class(source_dir=REPO / "notebooks", out_dir=out, kinds=["full", "segfault"])
    >>> [(s.student_id, s.expected["02_svm"].rule, s.expected["02_svm"].status) for s in students]
    [('full', 'full', 'ok'), ('segfault', 'zero', 'kernel_died')]
    """
    if companions not in ("full", "missing"):
        raise ValueError(f"companions must be 'full' or 'missing'; got {companions!r}")
    sources = _source_notebooks(Path(source_dir))
    out_dir = Path(out_dir)
    canary_dir = Path(canary_dir) if canary_dir is not None else out_dir.parent / "canary"
    repo_root = Path(repo_root) if repo_root is not None else Path(__file__).resolve().parent.parent
    source_nbs, released, full = {}, {}, {}
    for prefix, path in sources.items():
        nb = nbformat.read(path, as_version=4)
        source_nbs[prefix] = nb
        released[prefix] = _release(nb)
        full[prefix] = _full(nb, released[prefix])
    students = []
    for kind in _select(kinds):
        students.append(
            _make_student(
                kind,
                sources,
                source_nbs,
                released,
                full,
                out_dir,
                seed,
                {
                    "host_port": int(host_port),
                    "canary_dir": str(canary_dir),
                    "repo_root": str(repo_root),
                    "course_dir": str(Path(course_dir) if course_dir is not None else out_dir),
                },
                companions,
            )
        )
    return students


def _partial_breaks(source_nbs, seed: int) -> dict[str, list[tuple[str, str, str]]]:
    chosen = {}
    for prefix, nb in source_nbs.items():
        options = [b for b in BUGS.get(prefix, []) if _has_todo(nb, b[0])]
        if options:
            chosen[prefix] = [options[seed % len(options)]]
    return chosen


def _has_todo(nb, name: str) -> bool:
    try:
        _todo_cell_index(nb, name)
    except ValueError:
        return False
    return True


def _make_student(
    kind, sources, source_nbs, released, full, out_dir, seed, context, companions
) -> SampleStudent:
    sid = kind.name
    context = {**context, "student_id": sid, "marker": MARKER, "assignment": ASSIGNMENT}
    nbs = {p: copy.deepcopy(full[p] if kind.base == "full" else released[p]) for p in sources}
    breaks: dict[str, dict[str, str]] = {p: {} for p in sources}
    description = kind.description
    if kind.base == "untouched":  # every TODO function raises NotImplementedError
        for p, nb in source_nbs.items():
            for cell in nb.cells:
                if _is_solution(cell) and cell.cell_type == "code":
                    tree_defs = [n for n in _names(cell.source)[1] if _find_def(cell.source, n) is not None]
                    breaks[p].update(dict.fromkeys(tree_defs, UNDEFINED))
    if kind.name == "partial":
        bugs = _partial_breaks(source_nbs, seed)
        description = "; ".join(f"{fn}: {what}" for items in bugs.values() for fn, what, _ in items)
        for p, items in bugs.items():
            for fn, _what, code in items:
                i = _todo_cell_index(nbs[p], fn)
                nbs[p].cells[i].source = _inject(
                    nbs[p].cells[i].source, fn, "replace_def", textwrap.dedent(code).strip("\n")
                )
                breaks[p][fn] = WRONG
    touched = {inj.notebook for inj in kind.injections} | ({kind.op[1]} if kind.op else set())
    for fn, effect in kind.breaks.items():
        owners = [p for p in sorted(touched) if p in source_nbs and _has_todo(source_nbs[p], fn)]
        if not owners:
            raise ValueError(f"kind {kind.name!r} breaks {fn!r}, but no notebook it touches defines it")
        for p in owners:
            breaks[p][fn] = effect
    for inj in kind.injections:
        if inj.notebook not in nbs:
            raise ValueError(f"kind {kind.name!r} targets notebook {inj.notebook}*; found {sorted(nbs)}")
        code = string.Template(textwrap.dedent(inj.code).strip("\n")).substitute(context)
        nb = nbs[inj.notebook]
        if inj.where == "first_cell":
            new = [nbformat.v4.new_code_cell(c.strip("\n")) for c in code.split("# %% next cell")]
            nb.cells[0:0] = new
        else:
            i = _todo_cell_index(nb, inj.target)
            nb.cells[i].source = _inject(nb.cells[i].source, inj.target, inj.where, code)
    for nb in nbs.values():
        if any("_hostile_found(" in c.source or "_hostile_read(" in c.source for c in nb.cells):
            leak = string.Template(textwrap.dedent(_LEAK).strip("\n")).substitute(context)
            nb.cells.insert(0, nbformat.v4.new_code_cell(leak))
    dropped: dict[str, set[str]] = {p: set() for p in sources}
    names: dict[str, str | None] = {p: sources[p].name for p in sources}
    if kind.op is not None:
        op, prefix, arg = kind.op
        if op in ("blank_tests", "drop_tests"):
            dropped[prefix] = _edit_tests(nbs[prefix], source_nbs[prefix], op, arg)
        elif op in METADATA_OPS:
            _tamper_metadata(nbs[prefix], op, arg)
        elif op == "rename":
            names[prefix] = arg.format(stem=sources[prefix].stem)
        elif op == "delete":
            names[prefix] = None
        else:
            raise ValueError(
                f"op must be blank_tests, drop_tests, rename, delete or one of {sorted(METADATA_OPS)}; "
                f"got {op!r} in {kind.name!r}"
            )
    if kind.hostile and companions == "missing" and not (kind.op and kind.op[0] in ("rename", "delete")):
        names = {p: (n if p in touched else None) for p, n in names.items()}
    expected = {
        sources[p].stem: _expect(
            nb, sources[p].stem, p, kind, breaks[p], dropped[p], missing=names[p] is None
        )
        for p, nb in source_nbs.items()
    }
    dest = Path(out_dir) / "submitted" / sid / ASSIGNMENT
    if dest.exists():
        for old in dest.glob("*.ipynb"):
            old.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for p, nb in nbs.items():
        if names[p] is None:
            continue
        nbformat.validate(nb)
        path = dest / names[p]
        nbformat.write(nb, path)
        files.append(path)
    return SampleStudent(sid, kind.name, description, expected, files, kind.host_checks)


def _edit_tests(nb, source_nb, op: str, fn: str) -> set[str]:
    """Blank (body ``pass``, 100 points) or delete the grade cells that use ``fn`` (``*``: all); return ids."""
    by_id = {_nbg(c).get("grade_id"): c for c in source_nb.cells if _nbg(c).get("grade_id")}
    keep, hit = [], set()
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        src = by_id.get(gid)
        targeted = (
            _is_grade(cell)
            and not _is_solution(cell)
            and src is not None
            and (fn == "*" or fn in _names(src.source)[0])
        )
        if targeted:
            hit.add(gid)
            if op == "drop_tests":
                continue
            cell.source = "pass"
            cell.metadata["nbgrader"]["points"] = 100
        keep.append(cell)
    if not hit:
        raise ValueError(f"{op}: no grade cell uses {fn!r}")
    nb.cells = keep
    return hit if op == "drop_tests" else set()


#: File-level metadata tampering (``Kind.op``), argument syntax in :func:`_tamper_metadata`.
METADATA_OPS = ("dup_cell", "set_meta", "strip_meta", "kernelspec", "add_output", "new_grade_cell")


def _tamper_metadata(nb, op: str, arg: str) -> None:
    """Edit nbgrader metadata the way a student can in any editor.

    ``dup_cell`` (arg ``grade_id``): append a copy of that cell with body ``pass`` and 100 points;
    ``set_meta`` (``grade_id:key=json,...``; key ``source`` sets the cell's source); ``strip_meta``
    (``grade_id``): delete the cell's nbgrader metadata; ``kernelspec`` (kernel name); ``add_output``
    (``grade_id:number``): store an execute_result; ``new_grade_cell`` (``grade_id:points``): append a graded
    code cell with body ``pass``.
    """
    import json

    def cell_of(gid: str):
        for cell in nb.cells:
            if _nbg(cell).get("grade_id") == gid:
                return cell
        raise ValueError(f"{op}: no cell with grade_id {gid!r} in the notebook")

    gid, _, rest = arg.partition(":")
    if op == "dup_cell":
        copy_ = copy.deepcopy(cell_of(gid))
        copy_.source = "pass"
        copy_.metadata["nbgrader"]["points"] = 100
        copy_["id"] = f"{gid}-copy"[-64:]
        nb.cells.append(nbformat.from_dict(copy_))
    elif op == "set_meta":
        cell = cell_of(gid)
        for item in rest.split(","):
            key, _, value = item.partition("=")
            if key == "source":
                cell.source = json.loads(value)
            else:
                cell.metadata["nbgrader"][key] = json.loads(value)
    elif op == "strip_meta":
        del cell_of(gid).metadata["nbgrader"]
    elif op == "kernelspec":
        nb.metadata["kernelspec"] = {"name": gid, "display_name": gid, "language": "python"}
    elif op == "add_output":
        cell = cell_of(gid)
        cell.execution_count = 1
        cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": rest}, execution_count=1)]
    elif op == "new_grade_cell":
        meta = {"grade": True, "grade_id": gid, "points": float(rest), "locked": True, "solution": False}
        nb.cells.append(
            nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {**meta, "schema_version": 3}})
        )
    else:
        raise ValueError(f"op must be one of {METADATA_OPS}; got {op!r}")
