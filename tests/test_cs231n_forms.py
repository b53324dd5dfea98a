"""CS231n-style code, written as a CS231n student or TA writes it, run against cs231n_lite.

Everything here uses CS231n's call forms (positional arguments, np.random.seed, a LinearClassifier subclass
overriding ``loss``, ``load_CIFAR10`` + in-place mean subtraction, ``grad_check_sparse`` printing) and checks
numbers, not just that nothing crashed.
"""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_lite import datasets
from cs231n_lite.classifiers import LinearClassifier, LinearSVM, Softmax
from cs231n_lite.gradient_check import eval_numerical_gradient, grad_check_sparse, rel_error
from cs231n_lite.reference import (
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)


def cs231n_svm_loss_vectorized(W, X, y, reg):
    """The usual student solution, float64 throughout (np.zeros(W.shape))."""
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    binary = (margins > 0).astype(float)
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW


class StudentLinearSVM(LinearClassifier):
    """CS231n's subclass design: the loss is a method using self.W."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def loss(self, X_batch, y_batch, reg):
        self.calls += 1
        return cs231n_svm_loss_vectorized(self.W, X_batch, y_batch, reg)


def cs231n_train_loop(X, y, learning_rate, reg, num_iters, batch_size):
    """CS231n's LinearClassifier.train body, as the starter code's TODOs are usually filled in."""
    num_train, dim = X.shape
    num_classes = np.max(y) + 1
    W = 0.001 * np.random.randn(dim, num_classes)
    loss_history = []
    for _ in range(num_iters):
        idx = np.random.choice(num_train, batch_size)
        loss, grad = cs231n_svm_loss_vectorized(W, X[idx], y[idx], reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """Small GEMMs thousands of times: on a shared 2-core machine extra BLAS threads only wait (as the notebooks)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory):
    """A generated set in the official layout; ROOT is the cifar-10-batches-py folder, as in CS231n."""
    return datasets.make_synthetic_cifar10(tmp_path_factory.mktemp("cifar"), num_train=500, num_test=100)


@pytest.fixture(scope="module")
def cs231n_data(cifar_root):
    """CS231n's preprocessing cell: float64 loader, subsample, reshape, mean subtraction, bias trick."""
    X_train, y_train, X_test, y_test = datasets.load_CIFAR10(cifar_root)
    assert X_train.dtype == np.float64 and X_train.shape == (500, 32, 32, 3)
    assert y_train.dtype.kind == "i" and X_test.shape == (100, 32, 32, 3)
    num_training, num_validation, num_dev = 400, 100, 50
    mask = list(range(num_training, num_training + num_validation))
    X_val, y_val = X_train[mask], y_train[mask]
    mask = list(range(num_training))
    X_train, y_train = X_train[mask], y_train[mask]
    np.random.seed(0)
    mask = np.random.choice(num_training, num_dev, replace=False)
    X_dev, y_dev = X_train[mask], y_train[mask]
    X_train = np.reshape(X_train, (X_train.shape[0], -1))
    X_val = np.reshape(X_val, (X_val.shape[0], -1))
    X_test = np.reshape(X_test, (X_test.shape[0], -1))
    X_dev = np.reshape(X_dev, (X_dev.shape[0], -1))
    mean_image = np.mean(X_train, axis=0)
    X_train -= mean_image  # in place: fails on uint8 images, works on CS231n's floats
    X_val -= mean_image
    X_test -= mean_image
    X_dev -= mean_image
    X_train = np.hstack([X_train, np.ones((X_train.shape[0], 1))])
    X_val = np.hstack([X_val, np.ones((X_val.shape[0], 1))])
    X_dev = np.hstack([X_dev, np.ones((X_dev.shape[0], 1))])
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val, "X_dev": X_dev, "y_dev": y_dev}


def test_load_cifar10_matches_the_uint8_loader_and_the_official_layout(cifar_root):
    Xtr, Ytr, Xte, Yte = datasets.load_CIFAR10(cifar_root)
    raw = datasets.load_cifar10(cifar_root.parent)  # the data folder works too
    np.testing.assert_array_equal(Xtr, raw.X_train.astype(np.float64))
    np.testing.assert_array_equal(Yte, raw.y_test)
    Xb, Yb = datasets.load_CIFAR_batch(cifar_root / "data_batch_1")
    np.testing.assert_array_equal(Xb, Xtr[:100])
    np.testing.assert_array_equal(Yb, Ytr[:100])
    X32 = datasets.load_CIFAR10(cifar_root, dtype=np.float32)[0]
    assert X32.dtype == np.float32
    with pytest.raises(datasets.DataNotFoundError, match="python -m cs231n_lite.datasets fetch"):
        datasets.load_CIFAR10(cifar_root.parent / "nowhere")


def test_mean_subtracted_float64_pipeline_trains_with_positional_calls(cs231n_data):
    d = cs231n_data
    assert abs(float(d["X_train"][:, :-1].mean())) < 1e-9  # the mean really was subtracted
    svm = LinearSVM()
    loss_hist = svm.train(d["X_train"], d["y_train"], 1e-7, 2.5e4, 300, 200, False)
    assert len(loss_hist) == 300 and loss_hist[-1] < loss_hist[0]
    assert svm.W.dtype == np.float64 and svm.W.shape == (3073, 10)
    val_acc = np.mean(d["y_val"] == svm.predict(d["X_val"]))
    assert val_acc > 0.2  # chance is 0.1


def test_cs231n_subclass_loss_is_what_train_calls_and_np_random_seed_reproduces(cs231n_data):
    X, y = cs231n_data["X_train"], cs231n_data["y_train"]
    np.random.seed(231)
    model = StudentLinearSVM()
    losses = model.train(X, y, learning_rate=1e-7, reg=2.5e4, num_iters=120, batch_size=50)
    assert model.calls == 120
    np.random.seed(231)
    W_loop, loop_losses = cs231n_train_loop(X, y, 1e-7, 2.5e4, 120, 50)
    np.testing.assert_allclose(losses, loop_losses, rtol=1e-12)  # the same draws as CS231n's own loop
    np.testing.assert_allclose(model.W, W_loop, rtol=1e-12, atol=1e-15)
    np.random.seed(231)
    again = StudentLinearSVM().train(X, y, 1e-7, 2.5e4, 120, 50)
    assert again == losses
    assert StudentLinearSVM().train(X, y, 1e-7, 2.5e4, 120, 50) != losses  # the global stream moved on
    assert repr(model).startswith("StudentLinearSVM(loss_fn=StudentLinearSVM.loss")


def test_subclass_model_saves_and_loads_both_ways(cs231n_data, tmp_path):
    X, y = cs231n_data["X_train"], cs231n_data["y_train"]
    model = StudentLinearSVM()
    model.train(X, y, 1e-7, 2.5e4, 20)
    model.save(tmp_path / "svm.npy")
    loaded = StudentLinearSVM.load(tmp_path / "svm.npy")
    assert type(loaded) is StudentLinearSVM
    again = StudentLinearSVM()
    again.load(tmp_path / "svm.npy")
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert type(LinearClassifier.load(tmp_path / "svm.npy")) is StudentLinearSVM


def test_softmax_save_writes_exactly_softmax_npy(cs231n_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    softmax = Softmax()
    softmax.train(cs231n_data["X_train"], cs231n_data["y_train"], 1e-7, 2.5e4, 30)
    softmax.save("softmax.npy")
    assert (tmp_path / "softmax.npy").is_file() and not (tmp_path / "softmax.npy.npz").exists()
    other = Softmax()
    other.load("softmax.npy")
    np.testing.assert_array_equal(other.W, softmax.W)


def test_grad_check_sparse_as_cs231n_notebooks_call_it(cs231n_data, capsys):
    X_dev, y_dev = cs231n_data["X_dev"], cs231n_data["y_dev"]
    np.random.seed(1)
    W = np.random.randn(3073, 10) * 0.0001
    loss, grad = svm_loss_naive(W, X_dev, y_dev, 0.0)
    f = lambda w: svm_loss_naive(w, X_dev, y_dev, 0.0)[0]  # noqa: E731
    errors_no_reg = grad_check_sparse(f, W, grad)
    loss, grad = svm_loss_naive(W, X_dev, y_dev, 5e1)
    f = lambda w: svm_loss_naive(w, X_dev, y_dev, 5e1)[0]  # noqa: E731
    errors_reg = grad_check_sparse(f, W, grad)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and all(line.startswith("numerical: ") for line in lines)
    assert np.median(errors_no_reg) < 1e-6 and np.median(errors_reg) < 1e-6  # kinks may spoil one entry
    assert lines[:10] != lines[10:]  # new entries for the second check


def test_eval_numerical_gradient_positional_verbose_false():
    rng = np.random.default_rng(0)
    W, X, y = rng.standard_normal((4, 3)), rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    num = eval_numerical_gradient(lambda w: softmax_loss_naive(w, X, y, 0.1)[0], W, False)
    assert rel_error(num, softmax_loss_vectorized(W, X, y, 0.1)[1]) < 1e-7


@pytest.mark.parametrize("loss_fn", [svm_loss_naive, svm_loss_vectorized, softmax_loss_naive, softmax_loss_vectorized])
def test_losses_upcast_like_numpy(loss_fn):
    """float32 W with float64 X, labels stored as floats, integer images: the float64 answer, no TypeError."""
    rng = np.random.default_rng(3)
    X_u8 = rng.integers(0, 256, size=(20, 12), dtype=np.uint8)
    W64 = 1e-3 * rng.standard_normal((12, 5))
    y = rng.integers(0, 5, size=20)
    want_loss, want_dW = loss_fn(W64, X_u8.astype(np.float64), y, 0.1)

    loss, dW = loss_fn(W64.astype(np.float32), X_u8.astype(np.float64), y, 0.1)  # computed in float64
    assert dW.dtype == np.float32 and dW.shape == (12, 5)  # dW keeps W's dtype for W -= lr * dW
    assert float(loss) == pytest.approx(float(loss_fn(W64.astype(np.float32).astype(np.float64),
                                                      X_u8.astype(np.float64), y, 0.1)[0]), rel=1e-12)

    loss, dW = loss_fn(W64, X_u8.astype(np.float64), y.astype(np.float64), 0.1)  # float-stored labels
    assert float(loss) == float(want_loss)
    np.testing.assert_array_equal(dW, want_dW)

    loss, dW = loss_fn(W64, X_u8, y, 0.1)  # integer images with float64 W
    assert float(loss) == pytest.approx(float(want_loss), rel=1e-12)
    np.testing.assert_allclose(dW, want_dW, rtol=1e-10)
    assert dW.dtype == np.float64

    loss, dW = loss_fn(W64.tolist(), X_u8.astype(np.int32), y.tolist(), 0.1)  # plain lists and int32
    assert float(loss) == pytest.approx(float(want_loss), rel=1e-12)


@pytest.mark.parametrize("loss_fn", [svm_loss_naive, svm_loss_vectorized, softmax_loss_naive, softmax_loss_vectorized])
def test_truly_wrong_inputs_still_get_clear_errors(loss_fn):
    W, X, y = np.zeros((4, 3)), np.ones((2, 4)), np.array([0, 2])
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 4\)"):
        loss_fn(W, np.ones((2, 5)), y, 0.0)
    with pytest.raises(ValueError, match=r"labels y must be integers in \[0, 3\)"):
        loss_fn(W, X, np.array([0, 3]), 0.0)
    with pytest.raises(ValueError, match=r"X must hold finite numbers .* X\[1, 2\] = inf"):
        X_bad = X.copy()
        X_bad[1, 2] = np.inf
        loss_fn(W, X_bad, y, 0.0)


def test_train_widens_float32_weights_for_float64_data(cs231n_data):
    X, y = cs231n_data["X_train"], cs231n_data["y_train"]
    model = Softmax()
    model.train(X.astype(np.float32), y, 1e-7, 2.5e4, 5, seed=0)
    assert model.W.dtype == np.float32
    model.train(X, y, 1e-7, 2.5e4, 5, seed=0)  # numpy would compute X @ W in float64: so does train
    assert model.W.dtype == np.float64
    model.train(X, y.astype(np.float64), 1e-7, 2.5e4, 5, seed=0)  # float-stored labels


def test_lr_reg_search_accepts_a_cs231n_subclass(cs231n_data):
    from cs231n_lite.optim import lr_reg_search

    d = cs231n_data
    res = lr_reg_search(
        StudentLinearSVM, d["X_train"], d["y_train"], d["X_val"], d["y_val"],
        learning_rates=[1e-7], regs=[2.5e4, 5e4], num_iters=30, batch_size=100,
    )
    assert len(res.rows) == 2 and type(res.best_model) is StudentLinearSVM
    assert res.best_model.calls == 30 and 0.0 <= res.best["val_acc"] <= 1.0
