"""Optimization strategies: budgets, monotone searches, GD/SGD progress, step-size sweep, lr x reg search."""

from __future__ import annotations

import doctest
import math
import threading

import numpy as np
import pytest

from cs231n_lite import optim
from cs231n_lite.classifiers import LinearSVM, Softmax
from cs231n_lite.optim import (
    DEFAULT_STEP_SIZES,
    OptimResult,
    SearchResults,
    accuracy,
    gradient_descent,
    lr_reg_search,
    random_local_search,
    random_search,
    sgd,
    step_size_sweep,
)
from cs231n_lite.reference import softmax_loss_vectorized, svm_loss_naive, svm_loss_vectorized


def problem(N=400, D=6, C=4, *, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = 3 * rng.standard_normal((C, D))
    y = rng.integers(0, C, size=N)
    X = np.hstack([centers[y] + rng.standard_normal((N, D)), np.ones((N, 1))]).astype(dtype)
    return X, y


def counting(loss_fn):
    calls = []

    def f(W, X, y, reg):
        calls.append(len(X))
        return loss_fn(W, X, y, reg)

    f.calls = calls
    return f


def test_random_search_spends_exact_budget_and_keeps_best():
    X, y = problem()
    f = counting(svm_loss_vectorized)
    res = random_search(f, X, y, num_evals=30, scale=0.1, seed=1)
    assert isinstance(res, OptimResult) and res.method == "random_search"
    assert len(f.calls) == 30 == res.num_evals and res.num_examples == 30 * 400
    assert len(res.history) == 30 and np.all(np.diff(res.history) <= 0)
    assert res.loss == res.history[-1] == pytest.approx(float(svm_loss_vectorized(res.W, X, y, 0.0)[0]))
    assert res.W.shape == (7, 4) and res.W.dtype == np.float64
    # the best of 30 beats a typical random W
    typical = np.median(
        [
            float(svm_loss_vectorized(0.1 * np.random.default_rng(s).standard_normal((7, 4)), X, y, 0)[0])
            for s in range(30)
        ]
    )
    assert res.loss < typical


def test_random_search_accepts_scalar_loss_and_num_classes_and_float32():
    X, y = problem(dtype=np.float32)
    res = random_search(lambda W, X, y, reg: float(np.sum(W)), X, y, num_classes=6, num_evals=5)
    assert res.W.shape == (7, 6) and res.W.dtype == np.float32
    assert res.loss == pytest.approx(float(np.sum(res.W)), rel=1e-5)


def test_random_local_search_improves_and_leaves_W_alone():
    X, y = problem()
    W0 = np.zeros((7, 4))
    f = counting(softmax_loss_vectorized)
    res = random_local_search(f, W0, X, y, num_evals=100, step_size=0.05, seed=2)
    assert len(f.calls) == 100 and len(res.history) == 100
    assert res.history[0] == pytest.approx(math.log(4))  # first evaluation is the start
    assert np.all(np.diff(res.history) <= 0) and res.loss < 0.9 * math.log(4)
    np.testing.assert_array_equal(W0, 0.0)


def test_local_search_beats_random_search_at_equal_budget():
    X, y = problem(seed=3)
    rs = random_search(svm_loss_vectorized, X, y, num_evals=200, scale=0.01, seed=0)
    ls = random_local_search(
        svm_loss_vectorized, np.zeros((7, 4)), X, y, num_evals=200, step_size=0.01, seed=0
    )
    assert ls.loss < rs.loss
    assert accuracy(ls.W, X, y) > accuracy(rs.W, X, y)


def test_gradient_descent_matches_hand_loop():
    X, y = problem()
    W0 = np.zeros((7, 4))
    res = gradient_descent(svm_loss_naive, W0, X, y, learning_rate=0.01, num_evals=5, reg=0.1)
    W = W0.copy()
    hist = []
    for _ in range(5):
        loss, dW = svm_loss_naive(W, X, y, 0.1)
        hist.append(float(loss))
        W = W - 0.01 * dW
    np.testing.assert_allclose(res.history, hist, rtol=1e-12)
    np.testing.assert_allclose(res.W, W, rtol=1e-12)
    assert res.history[0] == pytest.approx(3.0)  # C - 1 at W = 0
    assert res.num_examples == 5 * 400
    np.testing.assert_array_equal(W0, 0.0)


def test_sgd_budget_batches_and_progress():
    X, y = problem()
    f = counting(softmax_loss_vectorized)
    res = sgd(f, np.zeros((7, 4)), X, y, learning_rate=0.05, num_evals=200, batch_size=25, seed=4)
    assert f.calls == [25] * 200 and res.num_examples == 5000
    assert np.mean(res.history[-20:]) < 0.3 * res.history[0]
    assert accuracy(res.W, X, y) > 0.95
    # reference kernel path (unchecked, in-place update) gives the same numbers
    res2 = sgd(
        softmax_loss_vectorized,
        np.zeros((7, 4)),
        X,
        y,
        learning_rate=0.05,
        num_evals=200,
        batch_size=25,
        seed=4,
    )
    np.testing.assert_allclose(res2.history, res.history, rtol=1e-12)
    np.testing.assert_allclose(res2.W, res.W, rtol=1e-12)


def test_gradient_descent_momentum_matches_hand_loop():
    X, y = problem()
    W0 = np.zeros((7, 4))
    res = gradient_descent(svm_loss_naive, W0, X, y, learning_rate=0.01, num_evals=6, reg=0.1, momentum=0.9)
    W, v, hist = W0.copy(), np.zeros_like(W0), []
    for _ in range(6):
        loss, dW = svm_loss_naive(W, X, y, 0.1)
        hist.append(float(loss))
        v = 0.9 * v - 0.01 * dW
        W = W + v
    np.testing.assert_allclose(res.history, hist, rtol=1e-12)
    np.testing.assert_allclose(res.W, W, rtol=1e-12)
    assert res.method == "gradient_descent_momentum" and res.num_evals == 6
    np.testing.assert_array_equal(W0, 0.0)
    plain = gradient_descent(svm_loss_naive, W0, X, y, learning_rate=0.01, num_evals=6, reg=0.1, momentum=0.0)
    assert plain.method == "gradient_descent" and not np.allclose(plain.W, res.W)


@pytest.mark.parametrize("wrap", [False, True], ids=["reference-kernel", "python-loss"])
def test_sgd_momentum_matches_hand_loop_on_the_same_minibatches(wrap):
    X, y = problem(dtype=np.float32)
    W0 = np.zeros((7, 4), np.float32)
    loss_fn = counting(softmax_loss_vectorized) if wrap else softmax_loss_vectorized
    res = sgd(loss_fn, W0, X, y, learning_rate=0.05, num_evals=30, batch_size=16, seed=3, momentum=0.8)
    idx = np.random.default_rng(3).integers(0, len(X), size=(30, 16))
    W, v, hist = W0.copy(), np.zeros_like(W0), []
    for rows in idx:
        loss, dW = softmax_loss_vectorized(W, X[rows], y[rows], 0.0)
        hist.append(float(loss))
        v = 0.8 * v - 0.05 * dW
        W = W + v
    np.testing.assert_allclose(res.history, hist, rtol=1e-5)
    np.testing.assert_allclose(res.W, W, rtol=1e-5, atol=1e-6)
    assert res.method == "sgd_momentum" and res.W.dtype == np.float32


def test_momentum_follows_the_heavy_ball_recurrence_and_crosses_a_narrow_valley_faster():
    """L(W) = sum(a * W^2) / 2 with curvatures 1 and 100: plain GD crawls along the flat direction.

    Per coordinate, GD with momentum is w_{k+1} = (1 + mu - lr a) w_k - mu w_{k-1} (w_{-1} = w_0), so
    the weights after k steps are a 2x2 matrix power: the result must match it exactly.
    """
    a = np.array([[1.0], [100.0]])

    def valley(W, X, y, reg):
        return float(0.5 * np.sum(a * W * W)), a * W

    X, y, W0 = np.zeros((1, 2)), np.zeros(1, dtype=int), np.ones((2, 1))
    lr, mu, k = 0.009, 0.9, 100
    plain = gradient_descent(valley, W0, X, y, learning_rate=lr, num_evals=k)
    heavy = gradient_descent(valley, W0, X, y, learning_rate=lr, num_evals=k, momentum=mu)
    expected = []
    for curvature in a[:, 0]:
        M = np.array([[1 + mu - lr * curvature, -mu], [1.0, 0.0]])
        expected.append((np.linalg.matrix_power(M, k) @ np.ones(2))[0])
    np.testing.assert_allclose(heavy.W[:, 0], expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(plain.W[:, 0], (1 - lr * a[:, 0]) ** k, rtol=1e-9, atol=1e-15)
    final = {name: valley(r.W, X, y, 0.0)[0] for name, r in [("plain", plain), ("momentum", heavy)]}
    assert final["plain"] == pytest.approx(0.5 * (1 - lr) ** (2 * k))  # ~0.082: the flat direction crawls
    assert final["momentum"] < 1e-3 * final["plain"], final


def test_sgd_matches_linear_classifier_train():
    X, y = problem(dtype=np.float32)
    model = LinearSVM()
    losses = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=50, batch_size=30, seed=5)
    rng = np.random.default_rng(5)
    W0 = (0.001 * rng.standard_normal((7, 4))).astype(np.float32)
    # train draws W first, then the indices from the same generator; sgd draws indices from a fresh one
    idx_train = rng.integers(0, 400, size=(50, 30))
    res = sgd(
        svm_loss_vectorized, W0, X, y, learning_rate=1e-2, num_evals=50, batch_size=30, reg=1e-3, seed=5
    )
    idx_sgd = np.random.default_rng(5).integers(0, 400, size=(50, 30))
    assert not np.array_equal(idx_train, idx_sgd)
    assert len(losses) == len(res.history) == 50
    assert res.W.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prefetching_gives_identical_results_and_joins_its_thread(monkeypatch, dtype):
    X, y = problem(dtype=dtype)
    kwargs = dict(learning_rate=1e-2, reg=1e-3, num_iters=60, batch_size=30, seed=7)
    plain = LinearSVM()
    plain_losses = plain.train(X, y, **kwargs)
    threads = threading.active_count()
    monkeypatch.setattr(optim, "_PREFETCH_BYTES", 0)  # gather every minibatch in the helper thread
    monkeypatch.setattr(optim, "_spare_core", lambda: True)
    fetched = LinearSVM()
    assert fetched.train(X, y, **kwargs) == plain_losses
    np.testing.assert_array_equal(fetched.W, plain.W)
    seen = []

    def failing(W, X_batch, y_batch, reg):  # each call sees its own batch, then step 3 raises
        seen.append(y_batch.copy())
        if len(seen) == 3:
            raise ZeroDivisionError("boom")
        return svm_loss_vectorized(W, X_batch, y_batch, reg)

    with pytest.raises(ZeroDivisionError):
        LinearSVM(loss_fn=failing).train(X, y, **kwargs)
    idx = np.random.default_rng(7)
    idx.standard_normal((7, 4))
    idx = idx.integers(0, 400, size=(60, 30))
    np.testing.assert_array_equal(seen, y[idx[:3]])
    assert threading.active_count() == threads


def test_step_size_sweep_reproduces_the_notes_shape():
    X, y = problem(N=300, seed=6)
    W = 0.01 * np.random.default_rng(0).standard_normal((7, 4))
    f = counting(svm_loss_vectorized)
    rows = step_size_sweep(f, W, X, y)
    assert len(f.calls) == 1 + 10
    assert [s for s, _ in rows] == list(DEFAULT_STEP_SIZES)
    assert rows[0][0] == pytest.approx(1e-10) and rows[-1][0] == pytest.approx(1e-1)
    loss0 = float(svm_loss_vectorized(W, X, y, 0.0)[0])
    losses = [v for _, v in rows]
    assert losses[0] == pytest.approx(loss0, rel=1e-6)  # tiny step: nothing changes
    assert min(losses) < 0.8 * loss0  # a good step size helps...
    big = step_size_sweep(svm_loss_vectorized, W, X, y, step_sizes=(1e-1, 1e1, 1e3))
    assert big[2][1] > big[1][1] and big[2][1] > loss0  # ...and too big a step overshoots
    _, dW = svm_loss_vectorized(W, X, y, 0.0)
    assert rows[5][1] == pytest.approx(float(svm_loss_vectorized(W - 1e-5 * dW, X, y, 0.0)[0]))


def test_lr_reg_search_table_and_best():
    X, y = problem(N=500, seed=7, dtype=np.float32)
    res = lr_reg_search(
        Softmax,
        X[:400],
        y[:400],
        X[400:],
        y[400:],
        learning_rates=[1e-6, 1e-2],
        regs=[1e-3, 10.0],
        num_iters=100,
        batch_size=50,
    )
    assert isinstance(res, SearchResults) and res.num_evals == 400
    assert [(r["learning_rate"], r["reg"]) for r in res.rows] == [
        (1e-6, 1e-3),
        (1e-6, 10.0),
        (1e-2, 1e-3),
        (1e-2, 10.0),
    ]
    assert set(res.rows[0]) == {"learning_rate", "reg", "train_acc", "val_acc", "final_loss", "diverged"}
    assert res.best is max(res.rows, key=lambda r: r["val_acc"])
    assert res.best["learning_rate"] == 1e-2 and res.best["val_acc"] >= 0.95
    assert isinstance(res.best_model, Softmax)
    assert accuracy(res.best_model.W, X[400:], y[400:]) == res.best["val_acc"]
    text = res.table()
    assert text.splitlines()[0].split() == ["learning_rate", "reg", "train_acc", "val_acc", "final_loss"]
    assert text.count(" *") == 1 and len(text.splitlines()) == 5


def test_lr_reg_search_survives_diverging_pairs(recwarn, capsys):
    X, y = problem(N=300, seed=8)
    res = lr_reg_search(
        LinearSVM,
        X[:200],
        y[:200],
        X[200:],
        y[200:],
        learning_rates=[1e-2, 10.0],
        regs=[1e3],
        num_iters=100,
        batch_size=50,
        verbose=True,
    )
    diverged = [r for r in res.rows if r["diverged"]]
    assert len(diverged) == 1 and diverged[0]["learning_rate"] == 10.0 and diverged[0]["val_acc"] == 0.0
    assert res.best["learning_rate"] == 1e-2
    assert not [w for w in recwarn if "diverged" in str(w.message)]
    out = capsys.readouterr().out
    assert out.count("val accuracy") == 2 and "(diverged)" in out


def test_lr_reg_search_anneal_is_a_second_train_at_a_lower_rate():
    X, y = problem(N=300, seed=9)
    f = counting(softmax_loss_vectorized)
    res = lr_reg_search(
        Softmax,
        X[:200],
        y[:200],
        X[200:],
        y[200:],
        learning_rates=[1e-2],
        regs=[1e-2],
        num_iters=30,
        batch_size=20,
        anneal_iters=10,
        anneal_factor=0.5,
        loss_fn=f,
    )
    assert len(f.calls) == 40 and res.num_evals == 40
    manual = Softmax()
    manual.train(X[:200], y[:200], learning_rate=1e-2, reg=1e-2, num_iters=30, batch_size=20, seed=0)
    last = manual.train(X[:200], y[:200], learning_rate=5e-3, reg=1e-2, num_iters=10, batch_size=20, seed=1)
    np.testing.assert_allclose(res.best_model.W, manual.W, rtol=1e-6)
    assert res.best["final_loss"] == pytest.approx(last[-1])


def test_lr_reg_search_forwards_loss_fn():
    X, y = problem(N=200)
    f = counting(svm_loss_vectorized)
    lr_reg_search(
        LinearSVM,
        X[:150],
        y[:150],
        X[150:],
        y[150:],
        learning_rates=[1e-2],
        regs=[0.1],
        num_iters=7,
        batch_size=10,
        loss_fn=f,
    )
    assert f.calls == [10] * 7


@pytest.mark.parametrize(
    "call, text",
    [
        (
            lambda X, y: random_search(svm_loss_vectorized, X, y, num_evals=0),
            "num_evals must be an integer >= 1",
        ),
        (
            lambda X, y: random_search(svm_loss_vectorized, X, y, scale=-1.0),
            "scale must be a finite number > 0",
        ),
        (
            lambda X, y: sgd(svm_loss_vectorized, np.zeros((7, 4)), X, y, learning_rate=0.0),
            "learning_rate must be",
        ),
        (
            lambda X, y: sgd(svm_loss_vectorized, np.zeros((7, 4)), X, y, learning_rate=1.0, batch_size=0),
            "batch_size",
        ),
        (
            lambda X, y: gradient_descent(svm_loss_vectorized, np.zeros((6, 4)), X, y, learning_rate=1.0),
            "expected X of shape (N, 6)",
        ),
        (
            lambda X, y: lr_reg_search(LinearSVM, X, y, X, y, learning_rates=[], regs=[1.0]),
            "at least one value",
        ),
        (
            lambda X, y: sgd(svm_loss_vectorized, np.zeros((7, 4)), X, y, learning_rate=1.0, momentum=1.0),
            "momentum must be a number in [0, 1)",
        ),
        (
            lambda X, y: gradient_descent(
                svm_loss_vectorized, np.zeros((7, 4)), X, y, learning_rate=1.0, momentum=-0.5
            ),
            "momentum must be a number in [0, 1) (0: plain gradient steps, 0.9 is common); got -0.5",
        ),
        (
            lambda X, y: sgd(svm_loss_vectorized, np.zeros((7, 4)), X, y, learning_rate=1.0, momentum=True),
            "momentum must be a number",
        ),
    ],
)
def test_bad_arguments(call, text):
    X, y = problem(N=50)
    with pytest.raises((ValueError, TypeError)) as info:
        call(X, y)
    assert text in str(info.value)


def test_accuracy_helper():
    assert accuracy(
        np.eye(2), np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([0, 1, 1])
    ) == pytest.approx(2 / 3)


def test_docstring_examples_run():
    result = doctest.testmod(optim)
    assert result.failed == 0 and result.attempted > 0
