"""Linear classifiers ``scores = X @ W`` trained by minibatch SGD (CS231n style).

``LinearSVM`` and ``Softmax`` use the reference losses by default; pass ``loss_fn=`` to train with
your own ``loss(W, X, y, reg) -> (loss, dW)`` (the student bundle has no reference, so there
``loss_fn`` is required).  Shapes: ``W`` array of shape (D, C), ``X`` array of shape (N, D).

Examples
--------
>>> import numpy as np
>>> from cs231n_lite.classifiers import Softmax
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(-2, 1, (50, 2)), rng.normal(2, 1, (50, 2))])
>>> X = np.hstack([X, np.ones((100, 1))])  # bias trick
>>> y = np.repeat([0, 1], 50)
>>> clf = Softmax()
>>> losses = clf.train(X, y, learning_rate=0.5, reg=1e-3, num_iters=100, batch_size=20)
>>> losses[-1] < losses[0], float(np.mean(clf.predict(X) == y)) > 0.95
(True, True)
"""

from __future__ import annotations

import importlib
import numbers
import warnings
from pathlib import Path

import numpy as np

from ._validation import check_features, check_loss_inputs
from .optim import _run_sgd

__all__ = ["LinearClassifier", "LinearSVM", "Softmax", "MissingReferenceError"]


class MissingReferenceError(ImportError):
    """The built-in reference losses are absent (student bundle): pass ``loss_fn=`` instead."""


def _check_positive(name, value, *, integer, allow_zero=False):
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, (bool, np.bool_)) or not ok_type:
        kind = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {kind}; got {type(value).__name__} {value!r}.")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {name}={value!r}.")
    return int(value) if integer else float(value)


class LinearClassifier:
    """A linear classifier with weights ``W`` (array of shape (D, C)) and a pluggable loss.

    Parameters
    ----------
    loss_fn : callable or None, keyword-only
        ``loss_fn(W, X, y, reg) -> (loss, dW)``.  ``None`` uses the subclass's reference loss
        (``LinearSVM``: ``svm_loss_vectorized``, ``Softmax``: ``softmax_loss_vectorized``), imported
        only when first needed.

    Attributes
    ----------
    W : array of shape (D, C) or None
        Weights; created by the first :meth:`train` call (``0.001 * randn``, X's dtype).
    """

    #: name of the function in :mod:`cs231n_lite.reference` used when ``loss_fn`` is None
    _reference_loss: str | None = None

    def __init__(self, *, loss_fn=None):
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be a function loss_fn(W, X, y, reg) -> (loss, dW); got {type(loss_fn).__name__}."
            )
        self.loss_fn = loss_fn
        self.W = None

    def __repr__(self):
        shape = None if self.W is None else self.W.shape
        fn = "reference" if self.loss_fn is None else getattr(self.loss_fn, "__name__", repr(self.loss_fn))
        return f"{type(self).__name__}(loss_fn={fn}, W shape={shape})"

    # ------------------------------------------------------------------ loss
    def _resolve_loss(self):
        if self.loss_fn is not None:
            return self.loss_fn
        name = self._reference_loss
        if name is None:
            raise TypeError(
                "LinearClassifier has no built-in loss. Use LinearSVM() or Softmax(), or pass your own: "
                "LinearClassifier(loss_fn=my_loss) with my_loss(W, X, y, reg) -> (loss, dW)."
            )
        try:
            reference = importlib.import_module("cs231n_lite.reference")
        except ImportError as exc:
            if not (exc.name or "").startswith("cs231n_lite.reference"):
                raise
            raise MissingReferenceError(
                f"{type(self).__name__}() needs a loss function: the built-in reference "
                f"(cs231n_lite.reference.{name}) is not part of the student bundle. Pass the function you "
                f"wrote in the notebook: {type(self).__name__}(loss_fn={name}), where {name}(W, X, y, reg) "
                f"returns (loss, dW)."
            ) from None
        return getattr(reference, name)

    def loss(self, X_batch, y_batch, reg):
        """Loss and gradient of the current ``W`` on a batch: ``loss_fn(self.W, X_batch, y_batch, reg)``."""
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__} has no weights yet: call .train(X, y) first.")
        return self._resolve_loss()(self.W, X_batch, y_batch, reg)

    # ------------------------------------------------------------------ training
    def train(
        self,
        X,
        y,
        learning_rate=1e-7,
        reg=2.5e4,
        num_iters=1500,
        batch_size=200,
        *,
        seed=0,
        verbose=False,
    ):
        """Minibatch SGD: ``num_iters`` steps of ``W -= learning_rate * dW``.

        Each step samples ``batch_size`` examples WITH replacement (all indices are drawn up front
        from ``np.random.default_rng(seed)``).  Inputs are validated once here; the reference
        kernels then run unchecked on each minibatch.

        Parameters
        ----------
        X : array of shape (N, D)
            Training data, float32 or float64 (``W`` is created in this dtype).
        y : array of shape (N,)
            Integer labels in ``[0, C)``; C = ``y.max() + 1`` when ``W`` does not exist yet.
        learning_rate : float
            SGD step size.
        reg : float
            Regularization strength (loss adds ``reg * np.sum(W * W)``).
        num_iters : int
            Number of SGD steps.
        batch_size : int
            Examples per step.
        seed : int, keyword-only
            Seed of the weight initialization and of the minibatch sampling.
        verbose : bool, keyword-only
            Show a tqdm progress bar with the current loss.

        Returns
        -------
        list of float
            The minibatch loss of every step (before the step's update).  If the loss stops being
            finite, training stops, the remaining entries are nan and a RuntimeWarning says so.
        """
        loss_fn = self._resolve_loss()
        learning_rate = _check_positive("learning_rate", learning_rate, integer=False)
        num_iters = _check_positive("num_iters", num_iters, integer=True, allow_zero=True)
        batch_size = _check_positive("batch_size", batch_size, integer=True)
        rng = np.random.default_rng(seed)
        if self.W is None:
            # Provisional W from X and y; check_loss_inputs below gives the clear error if they are bad.
            X = np.asarray(X)
            y = np.asarray(y)
            D = X.shape[1] if X.ndim == 2 else 1
            labels_ok = y.size > 0 and y.dtype != np.bool_ and np.issubdtype(y.dtype, np.integer)
            num_classes = max(int(y.max()) + 1, 1) if labels_ok else 1
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
            W = (0.001 * rng.standard_normal((D, num_classes))).astype(dtype)
        else:
            W = self.W
        W, X, y, reg = check_loss_inputs(W, X, y, reg)
        self.W = W

        unchecked = getattr(loss_fn, "unchecked", None)
        kernel = unchecked if unchecked is not None else loss_fn
        indices = rng.integers(0, X.shape[0], size=(num_iters, batch_size))
        bar = None
        if verbose:
            from tqdm import tqdm

            bar = tqdm(total=num_iters, desc=f"{type(self).__name__} SGD", unit="it")
        try:
            losses, diverged_at = _run_sgd(
                kernel, W, X, y, reg, learning_rate, indices, fresh_grad=unchecked is not None, bar=bar
            )
        finally:
            if bar is not None:
                bar.close()
        if diverged_at is not None:
            warnings.warn(
                f"training diverged: the loss stopped being finite at step {diverged_at}; stopped there "
                f"(remaining losses are nan). Lower learning_rate (now {learning_rate:g}) or reg (now {reg:g}).",
                RuntimeWarning,
                stacklevel=2,
            )
        return losses.tolist()

    # ------------------------------------------------------------------ prediction
    def predict(self, X):
        """Predicted class of each row: ``argmax(X @ W, axis=1)``.

        Parameters
        ----------
        X : array of shape (N, D)

        Returns
        -------
        y_pred : int64 array of shape (N,)
        """
        if self.W is None:
            raise RuntimeError(
                f"{type(self).__name__} has no weights yet: call .train(X, y) or .load(path) first."
            )
        W, X = check_features(self.W, X)
        return np.argmax(X @ W, axis=1).astype(np.int64)

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Save the weights and the class name to an ``.npz`` file; returns the path written."""
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__} has no weights to save: call .train(X, y) first.")
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        np.savez(path, W=self.W, kind=np.array(type(self).__name__))
        return path

    @classmethod
    def load(cls, path, *, loss_fn=None):
        """Load a model written by :meth:`save`; returns an instance of the SAVED class.

        ``LinearClassifier.load`` accepts any saved model; ``LinearSVM.load`` refuses a saved
        ``Softmax`` (and vice versa).  Custom loss functions are not saved: pass ``loss_fn=`` again.
        """
        with np.load(path, allow_pickle=False) as data:
            if "W" not in data or "kind" not in data:
                raise ValueError(
                    f"{path} is not a model saved by LinearClassifier.save (needs arrays W and kind)."
                )
            W = data["W"]
            kind = str(data["kind"])
        klass = _CLASSES.get(kind)
        if klass is None:
            raise ValueError(
                f"{path} holds an unknown model kind {kind!r}; expected one of {sorted(_CLASSES)}."
            )
        if not issubclass(klass, cls):
            raise TypeError(f"{path} holds a {kind}, not a {cls.__name__}: load it with {kind}.load(path).")
        model = klass(loss_fn=loss_fn)
        model.W = W
        return model


class LinearSVM(LinearClassifier):
    """Linear classifier trained with the multiclass SVM (hinge) loss."""

    _reference_loss = "svm_loss_vectorized"


class Softmax(LinearClassifier):
    """Linear classifier trained with the softmax (cross-entropy) loss."""

    _reference_loss = "softmax_loss_vectorized"


_CLASSES = {c.__name__: c for c in (LinearClassifier, LinearSVM, Softmax)}
