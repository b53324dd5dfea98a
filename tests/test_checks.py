"""Tests for autograder.checks: the trusted checks pass correct code and fail broken code helpfully.

These run the checks IN-PROCESS (:func:`autograder.checks.check`, the instructor/nbval path); the values still go
through the same wire encoding as in grading, so a returned float subclass or array subclass is seen exactly as
the trusted judge sees it. The sandboxed path is tested in tests/test_judge.py. The correct implementations below
are written independently of the reference, the way a student would write them (loops in the naive ones).
"""

from __future__ import annotations

import linecache
import textwrap

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


def good_color_histogram_hsv(images, nbin=10, xmin=0, xmax=255, normalized=True):
    from matplotlib.colors import rgb_to_hsv

    edges = np.linspace(xmin, xmax, nbin + 1)
    rows = [np.histogram(rgb_to_hsv(im / xmax)[..., 0] * xmax, bins=edges)[0] for im in images]
    hist = np.array(rows, dtype=float)
    return hist / np.maximum(hist.sum(axis=1, keepdims=True), 1) if normalized else hist


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
    "color_histogram_hsv": good_color_histogram_hsv,
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
        "color_histogram_hsv",
    )


@pytest.mark.parametrize("name", checks.NAMES)
def test_check_passes_on_the_reference_itself(name, capfd):
    from cs231n_lite import reference
    from cs231n_lite.reference import extra

    ref = getattr(reference, name, None) or getattr(extra, name)
    for cases in checks.CASE_SETS:
        assert checks.check(name, ref, cases=cases) is None
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", checks.NAMES)
def test_check_passes_on_independent_correct_code(name, capfd):
    expect_pass(capfd, name, GOOD[name])


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

    expect_fail(
        capfd, "svm_loss_vectorized", student, "must not loop over the examples", "a for loop", "for i in"
    )


def test_vectorized_that_is_the_naive_function(capfd):
    expect_fail(capfd, "softmax_loss_vectorized", good_softmax_loss_naive, "must not loop over the examples")


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
            "a list comprehension",
            "rows = [X[i] @ W for i in range(N)]",
        )
    finally:
        linecache.cache.pop(filename, None)


def test_vectorized_using_np_vectorize(capfd):
    def student(W, X, y, reg):
        loss, dW = good_svm_loss_vectorized(W, X, y, reg)
        one = np.vectorize(lambda v: v)
        return one(loss).item(), dW

    expect_fail(capfd, "svm_loss_vectorized", student, "np.vectorize calls Python code once per element")


def test_vectorized_that_is_slow(capfd):
    import time

    def student(W, X, y, reg):
        if X.shape[0] >= 2000:
            time.sleep(0.2)
        return good_svm_loss_vectorized(W, X, y, reg)

    expect_fail(capfd, "svm_loss_vectorized", student, "is too slow", "N=2000", "timed by the grader")


class _CountingNaive:
    """The reference naive loss, counting its calls (what the speed check times)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def _counting_reference(monkeypatch, kind):
    real_ref = checks._ref
    naive = _CountingNaive(real_ref(f"{kind}_loss_naive"))
    monkeypatch.setattr(
        checks, "_ref", lambda name: naive if name == f"{kind}_loss_naive" else real_ref(name)
    )
    monkeypatch.setattr(checks, "_BASELINES", {})
    return naive


def _speed_calls(kind, naive):
    """Calls of the naive reference made by the speed check alone (the value check calls it too)."""
    key = (kind, checks.SPEED_N, checks.SPEED_D, checks.SPEED_C)
    return naive.calls, key in checks._BASELINES


def test_speed_baseline_is_timed_once_per_batch_and_again_when_stale(capfd, monkeypatch):
    from cs231n_lite.reference import svm_loss_vectorized

    naive = _counting_reference(monkeypatch, "svm")
    expect_pass(capfd, "svm_loss_vectorized", svm_loss_vectorized)
    first, cached = _speed_calls("svm", naive)
    assert cached and first >= 2
    expect_pass(capfd, "svm_loss_vectorized", svm_loss_vectorized)
    second = naive.calls - first  # the value checks only: the speed check reused the baseline
    naive.calls = 0
    monkeypatch.setattr(checks, "SPEED_BASELINE_MAX_AGE", 0.0)  # stale: timed again
    expect_pass(capfd, "svm_loss_vectorized", svm_loss_vectorized)
    assert naive.calls == second + 2
    assert first == second + 2


def test_speed_baseline_is_timed_again_when_the_load_changed(monkeypatch):
    key = ("svm", checks.SPEED_N, checks.SPEED_D, checks.SPEED_C)
    monkeypatch.setattr(checks, "_BASELINES", {key: (0.05, checks.time.monotonic(), 1.0)})
    monkeypatch.setattr(checks, "_load", lambda: 1.5)
    assert checks._speed_baseline(key) == 0.05  # within 0.5 + 25%: same conditions
    monkeypatch.setattr(checks, "_load", lambda: 2.0)
    assert checks._speed_baseline(key) is None  # clearly busier: time it under the current load
    monkeypatch.setattr(checks, "_load", lambda: 0.0)
    assert checks._speed_baseline(key) is None  # clearly idler too
    assert checks._speed_baseline(("softmax", 1, 2, 3)) is None


def test_a_wrong_cached_baseline_costs_a_retry_never_the_verdict(capfd, monkeypatch):
    """A cached baseline far too fast fails the first attempt; the second times the reference afresh, as
    without the cache: a correct function passes, a slow one still fails (the message quotes the fresh time)."""
    import time

    from cs231n_lite.reference import svm_loss_vectorized

    key = ("svm", checks.SPEED_N, checks.SPEED_D, checks.SPEED_C)
    naive = _counting_reference(monkeypatch, "svm")
    checks._BASELINES[key] = (1e-7, checks.time.monotonic(), checks._load())
    expect_pass(capfd, "svm_loss_vectorized", svm_loss_vectorized)
    assert naive.calls >= 3  # the retry timed the reference three times
    assert checks._BASELINES[key][0] > 1e-3  # ... and the cache holds that fresh time now

    def slow(W, X, y, reg):
        if X.shape[0] >= 2000:
            time.sleep(0.2)
        return good_svm_loss_vectorized(W, X, y, reg)

    checks._BASELINES[key] = (1e-7, checks.time.monotonic(), checks._load())
    message = expect_fail(capfd, "svm_loss_vectorized", slow, "is too slow")
    quoted = float(message.split("versus ")[1].split(" ms")[0]) / 1e3
    assert quoted > 1e-3  # the verdict compares with a real timing, not the cached 1e-7 s


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

    expect_fail(
        capfd, "svm_loss_vectorized", student, "as a numpy ndarray", "LyingArray (a numpy array subclass)"
    )


def test_function_that_raises(capfd):
    def student(W, X, y, reg):
        return {}["missing"]

    expect_fail(capfd, "softmax_loss_naive", student, "raised an exception", "KeyError", "'missing'")


def test_not_implemented_yet(capfd):
    def student(scores, y):
        raise NotImplementedError()

    expect_fail(capfd, "cross_entropy_loss", student, "raised NotImplementedError", "TODO cell")


def test_not_callable_and_unknown_name(capfd):
    expect_fail(capfd, "softmax", None, "expected a function")
    with pytest.raises(ValueError, match="cases must be one of"):
        checks.run_check("softmax", checks.LocalCaller(good_softmax), cases="all")
    with pytest.raises(ValueError, match="unknown check 'svm'"):
        checks.check("svm", good_softmax)


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


# ---------------------------------------------------------------------------------------------------------------
# secret-seeded hidden inputs, visible cases
# ---------------------------------------------------------------------------------------------------------------


class Recorder:
    """A caller that records the inputs it is asked to send (what a sandbox would receive)."""

    def __init__(self, func):
        self.inner, self.inputs = checks.LocalCaller(func), []

    def call(self, name, args, kwargs=None, *, timeout=10.0):
        self.inputs.append([np.asarray(a).copy() for a in args if isinstance(a, np.ndarray)])
        return self.inner.call(name, args, kwargs, timeout=timeout)


def _inputs(seed, cases="hidden", name="svm_loss_naive"):
    rec = Recorder(good_svm_loss_naive)
    assert checks.run_check(name, rec, cases=cases, seed=seed).passed
    return rec.inputs


def test_hidden_inputs_follow_the_course_secret():
    a, a2, b = _inputs("secret-a"), _inputs("secret-a"), _inputs("secret-b")
    assert len(a) == len(b) == 5
    assert all(
        np.array_equal(x, y) for ca, cb in zip(a, a2, strict=True) for x, y in zip(ca, cb, strict=True)
    )
    differ = [not np.array_equal(ca[1], cb[1]) for ca, cb in zip(a, b, strict=True)]
    assert all(differ), differ  # every random X changes with the secret
    # visible cases are public: the same whatever the secret, and not the hidden ones
    va, vb = _inputs("secret-a", "visible"), _inputs("secret-b", "visible")
    assert all(
        np.array_equal(x, y) for ca, cb in zip(va, vb, strict=True) for x, y in zip(ca, cb, strict=True)
    )
    assert not any(ca[1].shape == cb[1].shape and np.array_equal(ca[1], cb[1]) for ca in va for cb in a)


def test_visible_cases_pass_code_that_fails_only_hidden_cases(capfd):
    def student(scores):  # overflows only on the hidden +-1e4 cases
        e = np.exp(scores)
        return e / np.sum(e, axis=-1, keepdims=True)

    assert checks.check("softmax", student, cases="visible") is None
    expect_fail(capfd, "softmax", student, "NaN or inf")


def test_verdict_statuses_for_calls_that_return_nothing():
    class Dead:
        def __init__(self, status):
            self.status = status

        def call(self, name, args, kwargs=None, *, timeout=10.0):
            return checks.Call(self.status, error={"type": "X", "message": "gone"})

    for status, want in [("timeout", "timeout"), ("kernel_died", "kernel_died"), ("protocol", "error")]:
        v = checks.run_check("hinge_loss", Dead(status), cases="hidden", seed="s")
        assert (v.passed, v.status) == (False, want), v
        assert "hinge_loss" in v.message
    v = checks.run_check("hinge_loss", Dead("missing"), cases="visible")
    assert not v.passed and "is not defined when this cell runs" in v.message


def test_feedback_never_contains_hidden_arrays_or_reference_source():
    import inspect

    from cs231n_lite.reference import linear_svm

    def student(W, X, y, reg):
        loss, dW = good_svm_loss_naive(W, X, y, reg)
        return loss, dW + 1.0

    rec = Recorder(student)
    v = checks.run_check("svm_loss_naive", rec, cases="hidden", seed="s")
    assert not v.passed and "largest difference at index" in v.message
    X = rec.inputs[0][1]
    assert f"{X[0, 0]:.6g}" not in v.message and f"{X[0, 0]:.10g}" not in v.message
    ref_lines = [ln.strip() for ln in inspect.getsource(linear_svm).splitlines() if len(ln.strip()) > 30]
    assert not any(ln in v.message for ln in ref_lines)
