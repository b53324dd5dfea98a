"""Tests for autograder.checks: the hidden checks pass correct code and fail broken code helpfully.

Every case also asserts that the check wrote nothing to stderr (nbgrader scores a cell with stderr
output as zero).  The correct implementations below are written independently of the reference,
the way a student would write them (loops in the naive ones, cs231n style).
"""

from __future__ import annotations

import builtins
import importlib
import linecache
import shutil
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from autograder import checks

REPO_ROOT = checks.__file__.rsplit("/autograder/", 1)[0]

# ---------------------------------------------------------------------------------------------------------------
# independent correct implementations
# ---------------------------------------------------------------------------------------------------------------


def good_hinge_loss(scores, y):
    loss = 0.0
    for j in range(len(scores)):
        if j == y:
            continue
        loss += max(0.0, scores[j] - scores[y] + 1.0)
    return loss


def good_softmax(scores):
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def good_cross_entropy_loss(scores, y):
    shifted = scores - np.max(scores)
    return float(np.log(np.sum(np.exp(shifted))) - shifted[y])


def good_svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape, dtype=W.dtype)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def good_svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW.astype(W.dtype)


def good_softmax_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    for i in range(num_train):
        f = X[i].dot(W)
        f = f - np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def good_softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    f = X @ W
    f = f - f.max(axis=1, keepdims=True)
    p = np.exp(f)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(p[np.arange(num_train), y])) / num_train + reg * np.sum(W * W)
    p[np.arange(num_train), y] -= 1
    dW = X.T @ p / num_train + 2 * reg * W
    return loss, dW


def good_train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], size=batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        W = W - learning_rate * dW
        loss_history.append(float(loss))
    return W, loss_history


def good_numerical_gradient(f, x, *, h=1e-5, method="centered"):
    grad = np.zeros_like(x)
    fx = f(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        if method == "centered":
            x[ix] = old - h
            fxmh = f(x)
            grad[ix] = (fxph - fxmh) / (2 * h)
        else:
            grad[ix] = (fxph - fx) / h
        x[ix] = old
        it.iternext()
    return grad


GOOD = {
    "hinge_loss": good_hinge_loss,
    "softmax": good_softmax,
    "cross_entropy_loss": good_cross_entropy_loss,
    "svm_loss_naive": good_svm_loss_naive,
    "svm_loss_vectorized": good_svm_loss_vectorized,
    "train_sgd": good_train_sgd,
    "softmax_loss_naive": good_softmax_loss_naive,
    "softmax_loss_vectorized": good_softmax_loss_vectorized,
    "numerical_gradient": good_numerical_gradient,
}


def expect_fail(capfd, name, func, *fragments):
    """Run the check, require AssertionError containing every fragment, and no stderr output."""
    with pytest.raises(AssertionError) as info:
        checks.check(name, func)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"missing {fragment!r} in:\n{message}"
    captured = capfd.readouterr()
    assert captured.err == ""
    return message


def expect_pass(capfd, name, func):
    assert checks.check(name, func) is None
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------------------------------------------------------
# passing
# ---------------------------------------------------------------------------------------------------------------


def test_names_cover_the_contract_todo_table():
    assert checks.NAMES == (
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
    assert checks.preload() is True


@pytest.mark.parametrize("name", checks.NAMES)
def test_check_passes_on_the_reference_itself(name, capfd):
    assert checks.self_test(name) is None
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", checks.NAMES)
def test_check_passes_on_independent_correct_code(name, capfd):
    expect_pass(capfd, name, GOOD[name])


def test_passing_the_reference_is_rejected(capfd):
    from cs231n_lite import reference

    expect_fail(capfd, "svm_loss_naive", reference.svm_loss_naive, "is the reference implementation itself")


@pytest.mark.parametrize("name", ["svm_loss_vectorized", "softmax_loss_naive"])
def test_function_that_calls_the_reference_fails(name, capfd):
    from cs231n_lite import reference

    ref = getattr(reference, name)

    def student(W, X, y, reg):
        return ref(W, X, y, reg)

    expect_fail(capfd, name, student, "refers to cs231n_lite.reference")


def test_hidden_reference_call_is_caught_at_run_time(capfd):
    def student(W, X, y, reg):
        module = importlib.import_module(".".join(["cs231n_lite", "refer" + "ence"]))  # not a constant
        fn = getattr(module, "svm_loss_" + "naive")
        return getattr(fn, "__wrap" + "ped__", fn)(W, X, y, reg)  # even the unwrapped original is caught

    expect_fail(capfd, "svm_loss_naive", student, "calls the reference implementation", "svm_loss_naive")


def test_reference_import_via_extra_module_is_caught(capfd):
    def student(loss_fn, W, X, y, **kwargs):
        module = importlib.import_module(".".join(["cs231n_lite", "reference", "extra"]))
        return module.train_sgd(loss_fn, W, X, y, **kwargs)

    expect_fail(capfd, "train_sgd", student, "calls the reference implementation")


def test_a_students_own_global_named_reference_is_fine(capfd):
    namespace = {"np": np, "reference": {"scale": 1.0}, "good": good_softmax}
    exec("def student(scores):\n    return good(scores) * reference['scale']\n", namespace)
    expect_pass(capfd, "softmax", namespace["student"])


# ---------------------------------------------------------------------------------------------------------------
# wrong values, with hints
# ---------------------------------------------------------------------------------------------------------------


def test_wrong_loss_names_the_case_and_the_error(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_naive(W, X, y, reg)
        return loss * 1.01, dW

    msg = expect_fail(
        capfd, "svm_loss_naive", student, "wrong loss", "case 'small random batch'", "relative error"
    )
    assert "N=9, D=11, C=4, reg=0.3" in msg


def test_svm_not_skipping_the_correct_class_gets_a_hint(capfd):
    def student(scores, y):
        return float(np.sum(np.maximum(0, scores - scores[y] + 1)))

    expect_fail(capfd, "hinge_loss", student, "wrong loss", "skip the correct class")


def test_wrong_gradient(capfd):
    def student(W, X, y, reg):
        loss, dW = good_softmax_loss_vectorized(W, X, y, reg)
        return loss, dW * 0.5

    expect_fail(capfd, "softmax_loss_vectorized", student, "wrong gradient dW", "largest difference at index")


def test_missing_regularization_term(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_vectorized(W, X, y, 0.0)
        return loss, dW

    expect_fail(capfd, "svm_loss_vectorized", student, "wrong loss", "regularization term is missing")


def test_half_regularization_gradient(capfd):
    def student(W, X, y, reg):
        loss, dW = good_softmax_loss_naive(W, X, y, reg)
        return loss, dW - reg * W

    expect_fail(capfd, "softmax_loss_naive", student, "wrong gradient dW", "2 * reg * W")


def test_log10_cross_entropy(capfd):
    def student(scores, y):
        shifted = scores - np.max(scores)
        p = np.exp(shifted) / np.sum(np.exp(shifted))
        return float(-np.log10(p[y]))

    expect_fail(capfd, "cross_entropy_loss", student, "natural logarithm")


def test_softmax_over_the_wrong_axis(capfd):
    def student(scores):
        e = np.exp(scores - np.max(scores, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True)

    expect_fail(capfd, "softmax", student, "wrong probabilities", "LAST axis")


# ---------------------------------------------------------------------------------------------------------------
# types, shapes, dtypes, finiteness, mutation
# ---------------------------------------------------------------------------------------------------------------


def test_float32_gradient_for_float64_input(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_naive(W, X, y, reg)
        return loss, dW.astype(np.float32)

    expect_fail(capfd, "svm_loss_naive", student, "dW of dtype float32", "expected dtype float64")


def test_float64_probabilities_for_float32_scores(capfd):
    def student(scores):
        return good_softmax(scores.astype(np.float64))

    expect_fail(capfd, "softmax", student, "dtype float64", "expected dtype float32", "float32 batch")


def test_wrong_gradient_shape(capfd):
    def student(W, X, y, reg):
        loss, dW = good_softmax_loss_naive(W, X, y, reg)
        return loss, dW.T

    expect_fail(capfd, "softmax_loss_naive", student, "dW of shape (4, 11)", "expected shape (11, 4)")


def test_wrong_return_structure(capfd):
    def student(W, X, y, reg):
        return good_svm_loss_naive(W, X, y, reg)[0]

    expect_fail(capfd, "svm_loss_naive", student, "must return a pair (loss, dW)")


def test_nan_from_unshifted_softmax(capfd):
    def student(scores):
        e = np.exp(scores)
        return e / np.sum(e, axis=-1, keepdims=True)

    expect_fail(capfd, "softmax", student, "NaN or inf", "+-1e4", "Subtract the maximum")


def test_inf_from_unshifted_softmax_loss(capfd):
    def student(W, X, y, reg):
        s = X @ W
        p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.mean(np.log(p[np.arange(n), y])) + reg * np.sum(W * W)
        p[np.arange(n), y] -= 1
        return loss, X.T @ p / n + 2 * reg * W

    expect_fail(capfd, "softmax_loss_vectorized", student, "non-finite loss", "+1e4", "row maximum")


def test_nan_loss_value(capfd):
    def student(scores, y):
        return float("nan")

    expect_fail(capfd, "hinge_loss", student, "non-finite loss (nan)")


def test_mutated_input_scores(capfd):
    def student(scores):
        scores -= np.max(scores, axis=-1, keepdims=True)
        e = np.exp(scores)
        return e / np.sum(e, axis=-1, keepdims=True)

    expect_fail(capfd, "softmax", student, "modified its input scores in place")


def test_mutated_input_X(capfd):
    def student(W, X, y, reg):
        X *= 1.0000001
        return good_svm_loss_vectorized(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "modified its input X in place")


def test_train_sgd_updating_W_in_place(capfd):
    def student(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
        rng = np.random.default_rng(seed)
        history = []
        for _ in range(num_iters):
            idx = rng.choice(X.shape[0], size=batch_size, replace=True)
            loss, dW = loss_fn(W, X[idx], y[idx], reg)
            W -= learning_rate * dW
            history.append(float(loss))
        return W, history

    expect_fail(capfd, "train_sgd", student, "modified its input W in place")


def test_train_sgd_wrong_sampling(capfd):
    def student(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
        history = []
        for _ in range(num_iters):
            idx = np.random.default_rng(seed).choice(X.shape[0], size=batch_size, replace=True)  # re-seeded
            loss, dW = loss_fn(W, X[idx], y[idx], reg)
            W = W - learning_rate * dW
            history.append(float(loss))
        return W, history

    expect_fail(capfd, "train_sgd", student, "wrong minibatch at iteration 1", "ONCE before the loop")


def test_train_sgd_history_must_be_a_list(capfd):
    def student(*args, **kwargs):
        W, history = good_train_sgd(*args, **kwargs)
        return W, np.array(history)

    expect_fail(capfd, "train_sgd", student, "loss_history as a list of floats")


def test_numerical_gradient_not_restoring_x(capfd):
    def student(f, x, *, h=1e-5, method="centered"):
        grad = good_numerical_gradient(f, x, h=h, method=method)
        x[0] += h
        return grad

    expect_fail(capfd, "numerical_gradient", student, "did not restore x")


def test_numerical_gradient_ignoring_method(capfd):
    def student(f, x, *, h=1e-5, method="centered"):
        return good_numerical_gradient(f, x, h=h, method="centered")

    expect_fail(capfd, "numerical_gradient", student, "method='forward' was requested")


# ---------------------------------------------------------------------------------------------------------------
# loops in vectorized code
# ---------------------------------------------------------------------------------------------------------------


def test_vectorized_with_loop_over_examples(capfd):
    def student(W, X, y, reg):  # correct values, but through a per-example loop
        return good_svm_loss_naive(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "still loops over the examples", "N=10", "N=50")


def test_vectorized_that_is_the_naive_function(capfd):
    expect_fail(capfd, "softmax_loss_vectorized", good_softmax_loss_naive, "still loops over the examples")


def test_vectorized_with_comprehension_over_rows_in_a_notebook_cell(capfd):
    """A function defined in an IPython cell: the message quotes the loop line from linecache."""
    source = textwrap.dedent(
        """
        def student(W, X, y, reg):
            N = X.shape[0]
            rows = [X[i] @ W for i in range(N)]
            s = np.array(rows)
            s = s - s.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
            p[np.arange(N), y] -= 1
            return loss, X.T @ p / N + 2 * reg * W
        """
    )
    filename = "<ipython-input-7-0123456789ab>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    try:
        exec(compile(source, filename, "exec"), namespace)
        expect_fail(
            capfd,
            "softmax_loss_vectorized",
            namespace["student"],
            "still loops",
            "rows = [X[i] @ W for i in range(N)]",
        )
    finally:
        linecache.cache.pop(filename, None)


def test_vectorized_using_np_vectorize(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_vectorized(W, X, y, reg)
        one = np.vectorize(lambda v: v)
        return one(loss).item(), dW

    expect_fail(capfd, "svm_loss_vectorized", student, "uses vectorize")


def test_vectorized_that_is_slow(capfd):
    import time

    def student(W, X, y, reg):
        if X.shape[0] >= 500:
            time.sleep(0.1)
        return good_svm_loss_vectorized(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "is too slow", "N=500")


# ---------------------------------------------------------------------------------------------------------------
# tricks
# ---------------------------------------------------------------------------------------------------------------


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0

    __hash__ = float.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)


def test_loss_whose_eq_is_always_true(capfd):
    def student(scores, y):
        return LyingFloat(123.0)

    expect_fail(capfd, "hinge_loss", student, "as a number", "LyingFloat")


def test_gradient_array_subclass_is_rejected(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_vectorized(W, X, y, reg)
        return float(loss), (dW * 0).view(LyingArray)

    expect_fail(capfd, "svm_loss_vectorized", student, "as a numpy ndarray", "(a subclass)")


def test_monkeypatched_allclose_left_in_place(capfd):
    original = np.allclose

    def student(W, X, y, reg):
        np.allclose = lambda *a, **k: True
        loss, dW = good_softmax_loss_vectorized(W, X, y, reg)
        return loss, dW

    try:
        expect_fail(capfd, "softmax_loss_vectorized", student, "modified np.allclose")
        assert np.allclose is original  # restored by the check
    finally:
        np.allclose = original


def test_numpy_and_builtins_patched_before_the_check_do_not_fool_it(capfd, monkeypatch):
    """Patching np.allclose/np.abs/np.testing/builtins in an earlier cell cannot make wrong code pass."""
    real_assertion_error = AssertionError
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: np.zeros_like(x))
    monkeypatch.setattr(np, "max", lambda *a, **k: 0.0)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(builtins, "float", lambda *a: 0.0)
    monkeypatch.setattr(builtins, "isinstance", lambda *a: True)
    monkeypatch.setattr(builtins, "AssertionError", type("FakeAssertionError", (Exception,), {}))
    try:
        checks.check("svm_loss_naive", lambda W, X, y, reg: (0.0, np.zeros_like(W)))
    except BaseException as exc:  # noqa: B036 - whatever is raised is inspected below
        raised = exc
    else:
        raised = None
    monkeypatch.undo()
    assert type(raised) is real_assertion_error
    assert "wrong loss" in str(raised)
    assert capfd.readouterr().err == ""


def test_reading_the_expected_answer_from_the_callers_frame(capfd):
    def student(W, X, y, reg):
        frame = sys._getframe(2)
        case = frame.f_locals["case"]
        return case.loss, case.dW.astype(W.dtype)

    expect_fail(
        capfd, "svm_loss_naive", student, "reaches into the autograder or the caller's frames", "f_locals"
    )


def test_frame_peeking_hidden_from_the_code_is_caught_at_run_time(capfd):
    def student(W, X, y, reg):
        getter = getattr(sys, "".join(["_get", "frame"]))
        getattr(getter(0), "".join(["f_", "back"]))
        return good_svm_loss_vectorized(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "inspected the caller's frames", "sys._getframe")


def test_reading_the_autograder_module_is_rejected(capfd):
    namespace = {"np": np, "grader": checks}
    exec("def student(scores):\n    return grader.NAMES and scores\n", namespace)
    expect_fail(capfd, "softmax", namespace["student"], "reaches into the autograder", "grader")


def test_function_that_raises(capfd):
    def student(W, X, y, reg):
        return {}["missing"]

    expect_fail(capfd, "softmax_loss_naive", student, "raised an exception", "KeyError", "'missing'")


def test_not_implemented_yet(capfd):
    def student(scores, y):
        raise NotImplementedError()

    expect_fail(capfd, "cross_entropy_loss", student, "raised NotImplementedError", "TODO cell")


def test_student_output_to_stderr_and_warnings_are_swallowed(capfd):
    import os

    def student(scores):
        print("debugging", file=sys.stderr)
        print("low level", file=sys.__stderr__)
        os.write(2, b"file descriptor 2\n")
        warnings.warn("careful", RuntimeWarning, stacklevel=1)
        np.log(np.zeros(1))  # divide-by-zero RuntimeWarning
        return good_softmax(scores)

    expect_pass(capfd, "softmax", student)


def test_disabling_the_tracer_is_reported(capfd):
    def student(W, X, y, reg):
        sys.settrace(None)
        return good_svm_loss_vectorized(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "changed sys.settrace")


def test_not_callable_and_unknown_name(capfd):
    expect_fail(capfd, "softmax", None, "expected a function")
    with pytest.raises(ValueError, match="unknown check 'svm'"):
        checks.check("svm", good_softmax)


def test_module_is_read_only():
    with pytest.raises(AttributeError, match="read-only"):
        checks.check = lambda name, func: None
    assert checks.check.__name__ == "check"


# ---------------------------------------------------------------------------------------------------------------
# grading-sandbox protocol: everything in memory after import
# ---------------------------------------------------------------------------------------------------------------

SANDBOX_SCRIPT = textwrap.dedent(
    """
    import builtins, io, os, shutil, sys
    import autograder.checks as checks  # the grader's preload, before any student code
    checks.preload()
    root, tests_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, tests_dir)
    import test_checks  # the "student" cells: correct implementations defined before the files vanish

    shutil.rmtree(os.path.join(root, "cs231n_lite"))  # the course files are gone ...
    shutil.rmtree(os.path.join(root, "autograder"))

    def no_files(*args, **kwargs):
        raise PermissionError("file access is blocked in the sandbox")

    builtins.open = io.open = no_files  # ... nothing can be read ...

    class NoImports:
        def find_spec(self, name, path=None, target=None):
            if name.startswith(("cs231n_lite", "autograder")):
                raise ImportError("imports of the course package are blocked: " + name)
            return None

    sys.meta_path.insert(0, NoImports())  # ... and nothing of the course can be imported again
    for mod in [m for m in sys.modules if m.startswith("cs231n_lite") and "reference" not in m]:
        del sys.modules[mod]

    def wrong_svm(W, X, y, reg):
        loss, dW = test_checks.good_svm_loss_naive(W, X, y, reg)
        return loss + 1, dW

    for name in checks.NAMES:
        checks.check(name, test_checks.GOOD[name])
    try:
        checks.check("svm_loss_naive", wrong_svm)
    except AssertionError as exc:
        assert "wrong loss" in str(exc), exc
    else:
        raise SystemExit("wrong code passed")
    print("SANDBOX-OK")
    """
)


def test_checks_work_after_the_files_are_deleted(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    shutil.copytree(
        f"{REPO_ROOT}/cs231n_lite", root / "cs231n_lite", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        f"{REPO_ROOT}/autograder", root / "autograder", ignore=shutil.ignore_patterns("__pycache__")
    )
    script = tmp_path / "sandbox.py"
    script.write_text(SANDBOX_SCRIPT, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, str(script), str(root), f"{REPO_ROOT}/tests"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "SANDBOX-OK"
    assert proc.stderr == ""


def test_import_is_light():
    code = (
        "import sys, time; t = time.perf_counter(); import autograder.checks; "
        "print(round(time.perf_counter() - t, 3), 'matplotlib' in sys.modules, 'nbgrader' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    seconds, mpl, nbg = proc.stdout.split()
    assert (mpl, nbg) == ("False", "False")
    assert proc.stderr == ""


NOTEBOOK_CELLS = [
    "import autograder.checks; autograder.checks.preload()",  # the grader's preload
    "import numpy as np\n"
    "def svm_loss_vectorized(W, X, y, reg):\n"
    "    N = X.shape[0]\n"
    "    s = X @ W\n"
    "    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)\n"
    "    m[np.arange(N), y] = 0\n"
    "    b = (m > 0).astype(W.dtype)\n"
    "    b[np.arange(N), y] = -b.sum(axis=1)\n"
    "    return m.sum() / N + reg * np.sum(W * W), X.T @ b / N + 2 * reg * W",
    'from autograder import checks; checks.check("svm_loss_vectorized", svm_loss_vectorized)',
    "def softmax(scores):\n"
    "    import sys, warnings\n"
    "    print('debug', file=sys.stderr); warnings.warn('noisy')\n"
    "    return np.stack([np.exp(r - r.max()) / np.exp(r - r.max()).sum() for r in scores.reshape(-1, scores.shape[-1])]).reshape(scores.shape)",
    'from autograder import checks; checks.check("softmax", softmax)',
    "def softmax_loss_vectorized(W, X, y, reg):\n"
    "    rows = [X[i] @ W for i in range(X.shape[0])]\n"
    "    return 0.0, np.zeros_like(W)",
    'from autograder import checks; checks.check("softmax_loss_vectorized", softmax_loss_vectorized)',
    # a student cell that swaps the checks module out everywhere it can, then defines a wrong function
    "import sys, types, builtins, autograder\n"
    "fake = types.ModuleType('autograder.checks'); fake.check = lambda *a, **k: None\n"
    "autograder.checks = fake; sys.modules['autograder.checks'] = fake\n"
    "real_import = builtins.__import__\n"
    "builtins.__import__ = lambda name, *a, **k: fake if name == 'autograder' else real_import(name, *a, **k)\n"
    "def numerical_gradient(f, x, *, h=1e-5, method='centered'):\n"
    "    return np.zeros_like(x)",
    'from autograder import checks; checks.check("numerical_gradient", numerical_gradient)',
]


@pytest.mark.slow
def test_hidden_cells_in_a_real_kernel():
    """The exact hidden-cell form in an IPython kernel: passes stay silent, failures are errors, no stderr."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, cwd=REPO_ROOT
    ).execute()
    outputs = [cell.outputs for cell in nb.cells]
    assert all(o.get("name") != "stderr" for cell_outputs in outputs for o in cell_outputs)
    assert outputs[2] == [] and outputs[4] == []  # passing checks print nothing
    (error,) = outputs[6]
    assert error.output_type == "error" and error.ename == "AssertionError"
    assert "wrong loss" in error.evalue
    (error,) = outputs[8]  # the swapped-out module is put back before the hidden cell runs
    assert error.output_type == "error" and error.ename == "AssertionError"
    assert "numerical_gradient returned the wrong gradient" in error.evalue


# ---------------------------------------------------------------------------------------------------------------
# cs231n_lite.reference.extra (the reference the train_sgd / numerical_gradient checks compare against)
# ---------------------------------------------------------------------------------------------------------------


def test_reference_numerical_gradient_matches_analytic_and_restores_x():
    from cs231n_lite.reference.extra import numerical_gradient

    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    before = x.copy()
    f = lambda v: float(np.sum(np.sin(v)) + 0.5 * np.sum(v * v))  # noqa: E731
    grad = numerical_gradient(f, x)
    np.testing.assert_allclose(grad, np.cos(before) + before, rtol=1e-8)
    forward = numerical_gradient(f, x, h=1e-3, method="forward")
    assert 1e-5 < np.max(np.abs(forward - grad)) < 1e-3  # O(h) error of forward differences
    np.testing.assert_array_equal(x, before)

    def boom(v):
        raise RuntimeError("f failed")

    with pytest.raises(RuntimeError):
        numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(ValueError, match="'centered' or 'forward'"):
        numerical_gradient(f, x, method="backward")


def test_reference_train_sgd_follows_the_sampling_rule_and_keeps_W():
    from cs231n_lite.reference.extra import train_sgd

    seen = []

    def loss_fn(W, X, y, reg):
        seen.append(X[:, 0].astype(int).tolist())
        return float(np.sum(W)), np.ones_like(W)

    W = np.zeros((2, 3))
    X = np.c_[np.arange(7.0), np.ones(7)]
    W_new, history = train_sgd(
        loss_fn, W, X, np.zeros(7, dtype=int), learning_rate=0.5, reg=0.0, num_iters=3, batch_size=4, seed=9
    )
    rng = np.random.default_rng(9)
    assert seen == [rng.choice(7, size=4, replace=True).tolist() for _ in range(3)]
    assert history == [0.0, -3.0, -6.0]
    np.testing.assert_array_equal(W_new, np.full((2, 3), -1.5))
    np.testing.assert_array_equal(W, np.zeros((2, 3)))


def test_trap_wrappers_are_transparent():
    import inspect

    from cs231n_lite import reference
    from cs231n_lite.reference import linear_svm

    assert reference.svm_loss_vectorized is linear_svm.svm_loss_vectorized
    assert list(inspect.signature(reference.svm_loss_naive).parameters) == ["W", "X", "y", "reg"]
    assert "for i in range(N)" in inspect.getsource(reference.svm_loss_naive)
    W, X, y = np.eye(3), np.array([[3.2, 5.1, -1.7]]), np.array([0])
    assert round(float(reference.svm_loss_naive(W, X, y, 0.0)[0]), 2) == 2.9
