"""Reference (solution) implementations of the multiclass SVM and softmax losses.

This subpackage is NOT shipped to students: the student bundle contains ``cs231n_lite`` without
``cs231n_lite.reference``.  Nothing else in the package imports it at import time.

Conventions shared by every loss (``loss(W, X, y, reg) -> (loss, dW)``):

- ``W`` is an array of shape (D, C), ``X`` an array of shape (N, D), ``y`` an array of shape (N,) of
  class indices in ``[0, C)``; dtypes combine as numpy combines them (float32 W with float64 X computes in
  float64, uint8 images are converted, labels may be floats holding whole numbers).
- ``loss = (1/N) * sum_i L_i + reg * np.sum(W * W)`` -- the regularization term has NO factor 1/2,
  so its gradient is ``2 * reg * W``.
- ``loss`` is a numpy scalar and ``dW`` an array of the same shape and dtype as ``W`` (float64 when ``W``
  is not float32/float64); inputs are never modified.

Examples
--------
>>> import numpy as np
>>> from cs231n_lite.reference import svm_loss_vectorized
>>> W = np.zeros((4, 3)); X = np.ones((2, 4)); y = np.array([0, 2])
>>> loss, dW = svm_loss_vectorized(W, X, y, 0.0)
>>> float(loss)  # all scores equal: each example pays delta = 1 for each of C - 1 = 2 wrong classes
2.0
"""

from .features import color_histogram_hsv
from .linear_svm import hinge_loss, svm_loss_naive, svm_loss_vectorized
from .softmax import cross_entropy_loss, softmax, softmax_loss_naive, softmax_loss_vectorized

__all__ = [
    "svm_loss_naive",
    "svm_loss_vectorized",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "hinge_loss",
    "softmax",
    "cross_entropy_loss",
    "color_histogram_hsv",
]
