"""LinearClassifier / LinearSVM / Softmax: training, prediction, persistence, the student-bundle path."""

from __future__ import annotations

import doctest
import subprocess
import sys

import numpy as np
import pytest

from cs231n_lite import classifiers
from cs231n_lite.classifiers import LinearClassifier, LinearSVM, MissingReferenceError, Softmax
from cs231n_lite.reference import softmax_loss_vectorized, svm_loss_naive, svm_loss_vectorized


def blobs(N=300, C=3, D=4, *, seed=0, dtype=np.float32, sep=4.0):
    """C well-separated Gaussian blobs with a bias column (last)."""
    rng = np.random.default_rng(seed)
    centers = sep * rng.standard_normal((C, D))
    y = rng.integers(0, C, size=N)
    X = centers[y] + rng.standard_normal((N, D))
    X = np.hstack([X, np.ones((N, 1))]).astype(dtype)
    return X, y


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_learns_separable_toy_problem(cls, dtype):
    X, y = blobs(dtype=dtype)
    model = cls()
    losses = model.train(X, y, learning_rate=0.05, reg=1e-4, num_iters=300, batch_size=50)
    assert len(losses) == 300 and all(isinstance(v, float) for v in losses)
    assert np.mean(losses[-20:]) < 0.25 * losses[0]
    assert model.W.shape == (5, 3) and model.W.dtype == dtype
    pred = model.predict(X)
    assert pred.shape == (300,) and pred.dtype == np.int64
    assert np.mean(pred == y) >= 0.97


def test_initial_loss_and_init_scale():
    X, y = blobs(N=2000, C=10, D=20, seed=1, sep=0.0)
    X[:, :-1] *= 0.01
    losses = LinearSVM().train(X, y, learning_rate=1e-12, reg=0.0, num_iters=1, batch_size=2000)
    assert losses[0] == pytest.approx(9.0, abs=0.01)  # C - 1 for tiny scores
    losses = Softmax().train(X, y, learning_rate=1e-12, reg=0.0, num_iters=1, batch_size=2000)
    assert losses[0] == pytest.approx(np.log(10), abs=0.01)


def test_w_init_is_seeded_small_randn():
    X, y = blobs()
    a, b, c = LinearSVM(), LinearSVM(), LinearSVM()
    a.train(X, y, learning_rate=1e-3, num_iters=0, seed=0)
    b.train(X, y, learning_rate=1e-3, num_iters=0, seed=0)
    c.train(X, y, learning_rate=1e-3, num_iters=0, seed=1)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)
    expected = (0.001 * np.random.default_rng(0).standard_normal((5, 3))).astype(np.float32)
    np.testing.assert_array_equal(a.W, expected)


def test_training_is_deterministic_and_matches_a_plain_sgd_loop():
    X, y = blobs(N=100, dtype=np.float64)
    lr, reg, iters, bs = 1e-2, 1e-3, 20, 16
    model = LinearSVM()
    losses = model.train(X, y, learning_rate=lr, reg=reg, num_iters=iters, batch_size=bs, seed=3)
    # The documented procedure: W from rng, then all indices from the same rng, sampled with replacement.
    rng = np.random.default_rng(3)
    W = 0.001 * rng.standard_normal((5, 3))
    idx = rng.integers(0, 100, size=(iters, bs))
    expected = []
    for it in range(iters):
        loss, dW = svm_loss_naive(W, X[idx[it]], y[idx[it]], reg)
        expected.append(float(loss))
        W = W - lr * dW
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    np.testing.assert_allclose(model.W, W, rtol=1e-9, atol=1e-12)


def test_custom_loss_fn_is_used_and_second_train_continues():
    calls = []

    def my_loss(W, X, y, reg):
        calls.append(X.shape)
        return svm_loss_vectorized(W, X, y, reg)

    X, y = blobs()
    model = LinearClassifier(loss_fn=my_loss)
    model.train(X, y, learning_rate=0.01, num_iters=5, batch_size=7)
    assert calls == [(7, 5)] * 5
    W1 = model.W.copy()
    model.train(X, y, learning_rate=0.01, num_iters=3, batch_size=7, seed=1)
    assert len(calls) == 8 and not np.array_equal(W1, model.W)


def test_custom_loss_returning_float64_grad_for_float32_W():
    X, y = blobs(dtype=np.float32)

    def loss64(W, X, y, reg):
        loss, dW = svm_loss_vectorized(W.astype(np.float64), X.astype(np.float64), y, reg)
        return loss, dW

    model = LinearSVM(loss_fn=loss64)
    model.train(X, y, learning_rate=0.01, num_iters=5)
    assert model.W.dtype == np.float32


def test_inputs_not_mutated_by_train_and_predict():
    X, y = blobs()
    X0, y0 = X.copy(), y.copy()
    model = Softmax()
    model.train(X, y, learning_rate=0.1, reg=1e-3, num_iters=10)
    model.predict(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_base_class_without_loss_says_what_to_use():
    with pytest.raises(TypeError, match=r"Use LinearSVM\(\) or Softmax\(\), pass your own .* or subclass it"):
        LinearClassifier().train(*blobs(), learning_rate=1e-3)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        LinearSVM(loss_fn="svm")


def test_student_bundle_without_reference_asks_for_loss_fn(monkeypatch):
    monkeypatch.setitem(sys.modules, "cs231n_lite.reference", None)  # import now raises ImportError
    X, y = blobs()
    with pytest.raises(MissingReferenceError) as info:
        LinearSVM().train(X, y, learning_rate=1e-3)
    msg = str(info.value)
    assert "not part of the student bundle" in msg and "LinearSVM(loss_fn=svm_loss_vectorized)" in msg
    with pytest.raises(MissingReferenceError, match=r"Softmax\(loss_fn=softmax_loss_vectorized\)"):
        Softmax().train(X, y, learning_rate=1e-3)
    assert isinstance(info.value, ImportError)
    # ...while a student-supplied loss works without the reference
    model = LinearSVM(loss_fn=lambda W, X, y, reg: (0.0, np.zeros_like(W)))
    assert model.train(X, y, learning_rate=1e-3, num_iters=2) == [0.0, 0.0]


def test_no_eager_import_of_reference(repo_root):
    code = (
        "import sys, cs231n_lite, cs231n_lite.classifiers, cs231n_lite.gradient_check, cs231n_lite._validation, "
        "cs231n_lite.optim, cs231n_lite.vis, cs231n_lite.testing, cs231n_lite.datasets, cs231n_lite.session; "
        "print(any(m.startswith(('cs231n_lite.reference', 'pooch')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be finite and > 0; got learning_rate=0.0"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate must be finite"),
        ({"num_iters": -1}, ValueError, "num_iters must be finite and >= 0"),
        ({"num_iters": 1.5}, TypeError, "num_iters must be an integer"),
        ({"batch_size": 0}, ValueError, "batch_size must be finite and > 0"),
        ({"reg": -1.0}, ValueError, "reg must be a finite number >= 0"),
    ],
)
def test_bad_hyperparameters(kwargs, exc, text):
    X, y = blobs()
    with pytest.raises(exc, match=None) as info:
        LinearSVM().train(X, y, **kwargs)
    assert text in str(info.value)


def test_bad_data_gets_the_validator_message():
    X, y = blobs()
    with pytest.raises(ValueError, match=r"labels y must be whole numbers"):
        LinearSVM().train(X, y + 0.5, learning_rate=1e-3)
    with pytest.raises(TypeError, match=r"X must be a real numeric array"):
        LinearSVM().train(X.astype(np.complex64), y, learning_rate=1e-3)
    model = LinearSVM()
    model.train(X, y, learning_rate=1e-3, num_iters=1)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 5\)"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError, match=r"labels y must be integers in \[0, 3\)"):
        model.train(X, y + 1, learning_rate=1e-3, num_iters=1)


def test_nan_in_the_data_is_named_instead_of_divergence():
    X, y = blobs(dtype=np.float64)
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"X must hold finite numbers .* the first at X\[7, 2\] = nan"):
        LinearSVM().train(X, y, learning_rate=1e-3, num_iters=5)


def test_predict_before_train():
    with pytest.raises(RuntimeError, match=r"call .train\(X, y\) or .load\(path\) first"):
        Softmax().predict(np.zeros((2, 3)))


def test_divergence_stops_training_with_one_warning():
    X, y = blobs(dtype=np.float64)
    with pytest.warns(RuntimeWarning, match=r"training diverged.*Lower learning_rate") as record:
        losses = LinearSVM().train(X, y, learning_rate=1.0, reg=1e3, num_iters=200)
    assert len(record) == 1
    assert len(losses) == 200 and np.isnan(losses[-1])
    first_nan = int(np.argmax(np.isnan(losses)))
    assert 0 < first_nan < 200 and np.isfinite(losses[:first_nan]).all()


def test_verbose_prints_cs231n_lines_every_100_iterations(capsys):
    X, y = blobs(dtype=np.float64)
    losses = LinearSVM().train(X, y, 1e-3, 1e-5, 250, 50, True)  # every argument positional, CS231n order
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"iteration {i} / 250: loss {losses[i]:f}" for i in (0, 100, 200)]
    LinearSVM().train(X, y, learning_rate=1e-3, num_iters=5)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["model", "softmax.npy", "svm.npz"])
def test_save_load_round_trip(tmp_path, cls, dtype, name):
    X, y = blobs(dtype=dtype)
    model = cls()
    model.train(X, y, learning_rate=0.05, reg=1e-3, num_iters=20)
    path = model.save(tmp_path / name)
    assert path == tmp_path / name and path.is_file()  # exactly the name given
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temp file left
    loaded = LinearClassifier.load(path)
    assert type(loaded) is cls and loaded.W.dtype == dtype
    np.testing.assert_array_equal(loaded.W, model.W)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert type(cls.load(path)) is cls
    # CS231n's form: load into an existing instance
    fresh = cls()
    assert fresh.load(path) is fresh
    np.testing.assert_array_equal(fresh.W, model.W)
    np.testing.assert_array_equal(np.load(path)["W"], model.W)  # plain numpy can read it too


def test_load_missing_or_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no saved model at .*nothing.npy.*model.save"):
        Softmax().load(tmp_path / "nothing.npy")
    np.save(tmp_path / "w.npy", np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not a model saved by LinearClassifier.save"):
        Softmax.load(tmp_path / "w.npy")


def test_load_refuses_the_other_class_and_keeps_loss_fn(tmp_path):
    X, y = blobs()
    model = Softmax()
    model.train(X, y, learning_rate=0.05, reg=1e-3, num_iters=2)
    path = model.save(tmp_path / "sm.npz")
    with pytest.raises(
        TypeError, match=r"holds a Softmax, not a LinearSVM: load it with Softmax.load\(path\)"
    ):
        LinearSVM.load(path)
    loaded = Softmax.load(path, loss_fn=softmax_loss_vectorized)
    assert loaded.loss_fn is softmax_loss_vectorized
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a model saved by LinearClassifier.save"):
        LinearClassifier.load(tmp_path / "other.npz")


def test_loss_method_and_repr():
    X, y = blobs(dtype=np.float64)
    model = LinearSVM()
    with pytest.raises(RuntimeError, match="call .train"):
        model.loss(X, y, 0.0)
    model.train(X, y, learning_rate=1e-3, num_iters=1)
    loss, dW = model.loss(X, y, 0.1)
    ref = svm_loss_vectorized(model.W, X, y, 0.1)
    assert float(loss) == float(ref[0])
    assert "LinearSVM(loss_fn=reference, W shape=(5, 3))" == repr(model)


def test_docstring_examples_run():
    result = doctest.testmod(classifiers)
    assert result.failed == 0 and result.attempted > 0
