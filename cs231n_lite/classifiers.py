"""Linear classifiers ``scores = X @ W`` trained by minibatch SGD, with CS231n's API.

Shapes: ``W`` array of shape (D, C), ``X`` array of shape (N, D), ``y`` array of shape (N,).

CS231n's call forms work as in its ``linear_classifier.py``:

- ``train(X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False)`` -- positional
  or by name; returns the list of minibatch losses; with `verbose` prints ``iteration i / n: loss x`` every
  100 iterations; without ``seed=`` it draws ``W = 0.001 * np.random.randn(D, C)`` and the minibatches from
  numpy's global RNG, so ``np.random.seed(0)`` makes a run repeatable (and gives the same numbers as the
  CS231n loop with ``np.random.choice(N, batch_size)``);
- ``loss(X_batch, y_batch, reg)`` is what ``train`` calls: override it in a subclass, CS231n's design::

      class LinearSVM(LinearClassifier):
          def loss(self, X_batch, y_batch, reg):
              return svm_loss_vectorized(self.W, X_batch, y_batch, reg)

- ``predict(X)``; ``save(path)`` / ``load(path)``, ``load`` working on an instance (``model.load(path)`` sets
  ``model.W``) and on the class (``Softmax.load(path)`` returns a new model).

This package's additions: ``loss_fn=`` (use your own ``loss(W, X, y, reg) -> (loss, dW)`` without writing a
subclass), ``seed=`` (a private ``np.random.default_rng(seed)``, global RNG untouched), a RuntimeWarning and
nan losses instead of a run of overflows when training diverges, clear errors for bad hyperparameters, and the
reference losses' unchecked kernels: the data is validated once per ``train`` call, not on every step.

Differences that remain, on purpose:

- ``save`` writes numpy's ``.npz`` format (arrays ``W`` and ``kind``, the class name) to exactly the path given,
  whatever its suffix, written to a temp file and renamed; CS231n pickles a dict with ``np.save``, which needs
  ``allow_pickle=True`` to read back -- unsafe for files passed around a class.  ``np.load(path)["W"]`` reads it.
- ``load`` raises ``FileNotFoundError`` for a missing file (CS231n prints "not available" and returns False); on
  success an instance's ``load`` returns the instance (truthy, like CS231n's True).
- When ``W`` exists and ``X`` has a wider dtype (float32 ``W``, float64 ``X``), ``W`` is widened the way numpy
  would compute ``X @ W``; a new ``W`` takes X's floating dtype (float64 for integer images).

Examples
--------
>>> import numpy as np
>>> from cs231n_lite.classifiers import Softmax
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(-2, 1, (50, 2)), rng.normal(2, 1, (50, 2))])
>>> X = np.hstack([X, np.ones((100, 1))])  # bias trick
>>> y = np.repeat([0, 1], 50)
>>> clf = Softmax()
>>> losses = clf.train(X, y, 0.5, 1e-3, 100, 20)
>>> losses[-1] < losses[0], float(np.mean(clf.predict(X) == y)) > 0.95
(True, True)
"""

from __future__ import annotations

import functools
import importlib
import numbers
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ._validation import check_features, check_loss_inputs, compute_dtype, explain_nonfinite
from .optim import _run_sgd

__all__ = ["LinearClassifier", "LinearSVM", "Softmax", "MissingReferenceError"]


class MissingReferenceError(ImportError):
    """The built-in reference losses are absent (student bundle): pass ``loss_fn=`` or override ``loss``."""


def _check_positive(name, value, *, integer, allow_zero=False):
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, (bool, np.bool_)) or not ok_type:
        kind = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {kind}; got {type(value).__name__} {value!r}.")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {name}={value!r}.")
    return int(value) if integer else float(value)


def _num_classes(y) -> int:
    """``max(y) + 1`` for labels that look like class indices, else 1 (the validator then explains)."""
    y = np.asarray(y)
    if y.size == 0 or y.dtype.kind not in "iuf" or not np.isfinite(y).all():
        return 1
    return max(int(np.max(y)) + 1, 1)


class _classmethod_or_method:
    """A method usable on the class (``cls.f(...)``) and on an instance (``obj.f(...)``): ``f(cls, obj, ...)``."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj, cls=None):
        return functools.partial(self.func, cls if obj is None else type(obj), obj)


class LinearClassifier:
    """A linear classifier with weights ``W`` (array of shape (D, C)) and a pluggable loss.

    Parameters
    ----------
    loss_fn : callable or None, keyword-only
        ``loss_fn(W, X, y, reg) -> (loss, dW)``.  ``None`` uses the subclass's reference loss
        (``LinearSVM``: ``svm_loss_vectorized``, ``Softmax``: ``softmax_loss_vectorized``), imported
        only when first needed.  A subclass that overrides :meth:`loss` needs neither.

    Attributes
    ----------
    W : array of shape (D, C) or None
        Weights; created by the first :meth:`train` call (``0.001 * randn``).
    """

    #: name of the function in :mod:`cs231n_lite.reference` used when ``loss_fn`` is None
    _reference_loss: str | None = None
    #: every subclass by name, so that ``load`` can rebuild a saved model of a class defined in a notebook
    _registry: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LinearClassifier._registry[cls.__name__] = cls

    def __init__(self, *, loss_fn=None):
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be a function loss_fn(W, X, y, reg) -> (loss, dW); got {type(loss_fn).__name__}."
            )
        self.loss_fn = loss_fn
        self.W = None

    def __repr__(self):
        shape = None if self.W is None else self.W.shape
        if self._overrides_loss():
            fn = f"{type(self).__name__}.loss"
        elif self.loss_fn is None:
            fn = "reference"
        else:
            fn = getattr(self.loss_fn, "__name__", repr(self.loss_fn))
        return f"{type(self).__name__}(loss_fn={fn}, W shape={shape})"

    # ------------------------------------------------------------------ loss
    def _overrides_loss(self) -> bool:
        return type(self).loss is not LinearClassifier.loss

    def _resolve_loss(self):
        if self.loss_fn is not None:
            return self.loss_fn
        name = self._reference_loss
        if name is None:
            raise TypeError(
                f"{type(self).__name__} has no loss. Use LinearSVM() or Softmax(), pass your own with "
                f"{type(self).__name__}(loss_fn=my_loss) where my_loss(W, X, y, reg) -> (loss, dW), or subclass "
                "it and define loss(self, X_batch, y_batch, reg) returning (loss, dW) for self.W."
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
        """Loss and gradient of the current ``W`` on a minibatch; :meth:`train` calls this on every step.

        Parameters
        ----------
        X_batch : array of shape (N, D)
        y_batch : array of shape (N,)
        reg : float

        Returns
        -------
        (loss, dW) : a number and an array of W's shape (D, C).

        Subclasses may override it (CS231n's ``LinearSVM.loss`` / ``Softmax.loss``); by default it is
        ``loss_fn(self.W, X_batch, y_batch, reg)``.
        """
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__} has no weights yet: call .train(X, y) first.")
        return self._resolve_loss()(self.W, X_batch, y_batch, reg)

    # ------------------------------------------------------------------ training
    def train(
        self,
        X,
        y,
        learning_rate=1e-3,
        reg=1e-5,
        num_iters=100,
        batch_size=200,
        verbose=False,
        *,
        seed=None,
    ):
        """Minibatch SGD: ``num_iters`` steps of ``W -= learning_rate * dW`` (CS231n's signature and defaults).

        Each step samples ``batch_size`` examples WITH replacement and calls :meth:`loss` on them.

        Parameters
        ----------
        X : array of shape (N, D)
            Training data, any real dtype (``W`` is created in X's floating dtype, float64 for integers).
        y : array of shape (N,)
            Labels in ``[0, C)``; C = ``max(y) + 1`` when ``W`` does not exist yet.
        learning_rate : float
            SGD step size.
        reg : float
            Regularization strength (the losses add ``reg * np.sum(W * W)``).
        num_iters : int
            Number of SGD steps.
        batch_size : int
            Examples per step.
        verbose : bool
            Print ``iteration it / num_iters: loss x`` at iterations 0, 100, 200, ...
        seed : int or None, keyword-only
            None: draw the initial ``W`` (``0.001 * np.random.randn(D, C)``) and all minibatch indices
            (``np.random.randint(0, N, size=(num_iters, batch_size))``, the same draws as CS231n's
            ``np.random.choice(N, batch_size)`` per step) from numpy's global RNG.  An int: the same from
            ``np.random.default_rng(seed)``, leaving the global RNG alone.

        Returns
        -------
        list of float
            The minibatch loss of every step (before the step's update).  If the loss stops being
            finite, training stops, the remaining entries are nan and a RuntimeWarning says so.
        """
        override = self._overrides_loss()
        loss_fn = None if override else self._resolve_loss()
        learning_rate = _check_positive("learning_rate", learning_rate, integer=False)
        num_iters = _check_positive("num_iters", num_iters, integer=True, allow_zero=True)
        batch_size = _check_positive("batch_size", batch_size, integer=True)
        if seed is None:
            randn, randint = np.random.randn, np.random.randint
        else:
            rng = np.random.default_rng(seed)
            randn, randint = (lambda *shape: rng.standard_normal(shape)), rng.integers
        X_arr = np.asarray(X)
        if self.W is None:
            # Provisional W from X and y; check_loss_inputs below gives the clear error if they are bad.
            D = X_arr.shape[1] if X_arr.ndim == 2 else 1
            dtype = compute_dtype(X_arr.dtype) if X_arr.dtype.kind in "fiu" else np.float64
            W = (0.001 * randn(D, _num_classes(y))).astype(dtype)
        else:
            W = self.W
        W, X, y, reg = check_loss_inputs(W, X, y, reg)
        self.W = W  # W is updated in place from here on: self.loss sees the current weights

        if override:
            def kernel(W, X_batch, y_batch, reg):
                return self.loss(X_batch, y_batch, reg)

            fresh = False
        else:
            unchecked = getattr(loss_fn, "unchecked", None)
            kernel = unchecked if unchecked is not None else loss_fn
            fresh = unchecked is not None
        if verbose:
            kernel = _printing(kernel, num_iters)
        indices = randint(0, X.shape[0], size=(num_iters, batch_size))
        losses, diverged_at = _run_sgd(kernel, W, X, y, reg, learning_rate, indices, fresh_grad=fresh)
        if diverged_at is not None:
            explain_nonfinite(W[:0], X)  # bad data rather than a too-large step: say so
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
        """Save ``W`` and the class name to exactly `path` (numpy .npz format); returns the path as a Path.

        The file is written to a temp file next to `path` and renamed, so a crash never leaves half a model.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> m = Softmax(); m.W = np.eye(3)
        >>> p = m.save(f"{tempfile.mkdtemp()}/softmax.npy")
        >>> p.name, np.load(p)["W"].shape, Softmax.load(p).W.shape
        ('softmax.npy', (3, 3), (3, 3))
        """
        if self.W is None:
            raise RuntimeError(f"{type(self).__name__} has no weights to save: call .train(X, y) first.")
        path = Path(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:  # a file object: np.savez adds no ".npz" to the name
                np.savez(f, W=np.asarray(self.W), kind=np.array(type(self).__name__))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return path

    @_classmethod_or_method
    def load(cls, self, path, *, loss_fn=None):
        """Load a model written by :meth:`save`: on an instance set its ``W``; on a class return a new model.

        ``model.load(path)`` keeps ``model``'s class and loss (and returns ``model``); ``Softmax.load(path)`` and
        ``LinearClassifier.load(path)`` return an instance of the SAVED class.  A saved ``Softmax`` is refused by
        ``LinearSVM`` (and vice versa).  Custom loss functions are not saved: pass ``loss_fn=`` again.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no saved model at {path}: expected a file written by model.save({str(path)!r}). Train and "
                "save the model first (or check the folder you are running from)."
            )
        try:
            with np.load(path, allow_pickle=False) as data:
                if "W" not in data or "kind" not in data:
                    raise ValueError("missing arrays")
                W = data["W"]
                kind = str(data["kind"])
        except (ValueError, OSError, AttributeError, TypeError) as exc:
            raise ValueError(
                f"{path} is not a model saved by LinearClassifier.save (expected a numpy .npz file holding "
                f"arrays W and kind; got {exc})."
            ) from None
        saved = LinearClassifier._registry.get(kind, LinearClassifier if kind == "LinearClassifier" else None)
        target = type(self) if self is not None else cls
        if saved is not None and not (issubclass(saved, target) or issubclass(target, saved)):
            raise TypeError(f"{path} holds a {kind}, not a {target.__name__}: load it with {kind}.load(path).")
        if self is not None:
            self.W = W
            if loss_fn is not None:
                self.loss_fn = loss_fn
            return self
        if saved is None:
            raise ValueError(
                f"{path} holds a model of class {kind!r}, which is not defined here; define the class (or load "
                f"into an instance: model = {cls.__name__}(); model.load(path))."
            )
        klass = saved if issubclass(saved, cls) else cls
        model = klass() if loss_fn is None else klass(loss_fn=loss_fn)  # CS231n subclasses take no loss_fn
        model.W = W
        return model


def _printing(kernel, num_iters):
    """Wrap a loss kernel to print CS231n's progress line at steps 0, 100, 200, ..."""
    step = 0

    def wrapped(W, X_batch, y_batch, reg):
        nonlocal step
        out = kernel(W, X_batch, y_batch, reg)
        if step % 100 == 0:
            print(f"iteration {step} / {num_iters}: loss {float(out[0]):f}")
        step += 1
        return out

    return wrapped


class LinearSVM(LinearClassifier):
    """Linear classifier trained with the multiclass SVM (hinge) loss."""

    _reference_loss = "svm_loss_vectorized"


class Softmax(LinearClassifier):
    """Linear classifier trained with the softmax (cross-entropy) loss."""

    _reference_loss = "softmax_loss_vectorized"
