# %% [markdown]
# # 03 · A softmax classifier on CIFAR-10
#
# The same path as notebook 02 with the cross-entropy loss of notebook 01: loss and gradient with loops,
# a sanity check, a gradient check, a vectorized version, training, tuning, test accuracy, templates —
# and a comparison with the SVM.
#
# **Your TODOs:** `softmax_loss_naive` · `softmax_loss_vectorized`, plus written answers.
# Training uses `cs231n_lite.classifiers.Softmax`, which runs minibatch SGD with **your** loss function.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from cs231n_lite import gradient_check, session, testing
from cs231n_lite.testing import require

S = session.start("03_softmax")
np.set_printoptions(precision=4, suppress=True)
S.setup_plots(figsize=(8, 3))   # in grading mode figures are built but not drawn

# %%
data = S.load_data()
X_train, y_train = data["X_train"], data["y_train"]
X_val, y_val = data["X_val"], data["y_val"]
X_test, y_test = data["X_test"], data["y_test"]
X_dev, y_dev = data["X_dev"], data["y_dev"]
class_names = data["class_names"]
for split in ["train", "val", "test", "dev"]:
    print(f"X_{split:<5} {str(data['X_' + split].shape):<13} {data['X_' + split].dtype}   "
          f"y_{split:<5} {data['y_' + split].shape}")


# %% [markdown]
# ## 1. The loss with loops: `softmax_loss_naive`
#
# For example $i$ with scores $s = x_i W$ and probabilities $p = \mathrm{softmax}(s)$ the loss is
# $-\log p_{y_i}$, and its gradient with respect to column $j$ of `W` is $(p_j - [j = y_i])\, x_i$:
# every class pulls on the weights in proportion to its probability, and the correct class is pushed
# the other way by 1. Average over the examples and add $\lambda\sum W^2$ (gradient $2\lambda W$).
# Use the max-shift for stability.
#
# ### TODO `softmax_loss_naive`
# Loop over the examples (a loop over the classes inside is fine too).

# %% todo id="softmax-naive"
def softmax_loss_naive(W, X, y, reg):
    """Softmax (cross-entropy) loss with loops.

    W : array of shape (D, C); X : array of shape (N, D); y : array of shape (N,); reg : float.
    Returns (loss, dW) with dW of the shape and dtype of W.
    """
    loss = 0.0
    dW = np.zeros_like(W)
    ### BEGIN SOLUTION
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W).astype(np.float64)
        scores -= scores.max()
        log_sum = np.log(np.sum(np.exp(scores)))
        loss += log_sum - scores[y[i]]
        probs = np.exp(scores - log_sum)
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


# %% visible id="softmax-naive-visible" points=1
# Visible tests for softmax_loss_naive.
# (a) the lecture's cat: X = [[1]] so the single row of W is the score vector
loss, dW = softmax_loss_naive(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
testing.assert_close(loss, 2.0404, name="softmax_loss_naive(cat scores) loss", atol=1e-3,
                     hint="-log of the softmax probability of the correct class, natural log.")
testing.assert_close(dW, [[0.13 - 1, 0.87, 0.0]], name="its dW", atol=0.005,
                     hint="dW[:, j] += (p_j - [j == y_i]) * x_i")
# (b) zero weights: all classes equally likely, loss = log(10)
loss, dW = softmax_loss_naive(np.zeros((X_dev.shape[1], 10), X_dev.dtype), X_dev, y_dev, 0.0)
testing.assert_close(loss, np.log(10), name="softmax_loss_naive(W = 0) loss", rtol=1e-5)
assert dW.shape == (X_dev.shape[1], 10) and dW.dtype == X_dev.dtype, "dW must have W's shape and dtype"
# (c) huge scores stay finite (max-shift), and the gradient matches a numerical one
loss, _ = softmax_loss_naive(np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]), 0.0)
testing.assert_close(loss, 1000.0, name="softmax_loss_naive with scores [1000, 0]", hint="Subtract the max.")
rng = np.random.default_rng(1)
W_small, X_small, y_small = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
for reg in [0.0, 0.3]:
    testing.assert_gradient(softmax_loss_naive, W_small, X_small, y_small, reg,
                            name=f"softmax_loss_naive gradient, reg={reg}")
print("softmax_loss_naive: visible tests passed")

# %% hidden id="softmax-naive-hidden" points=2
# Hidden tests: the grader checks `softmax_loss_naive` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_naive", softmax_loss_naive)
### END HIDDEN TESTS

# %% [markdown]
# **Sanity check.** With small random weights the loss should be close to $-\log(0.1)$:

# %%
require(softmax_loss_naive)
rng = np.random.default_rng(S.seed)
W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
X_dev64 = X_dev.astype(np.float64)
loss, grad = softmax_loss_naive(W, X_dev64, y_dev, 0.0)
print(f"loss: {loss:.4f}   -log(0.1) = {-np.log(0.1):.4f}")
for reg in [0.0, 5e1]:
    loss, grad = softmax_loss_naive(W, X_dev64, y_dev, reg)
    errors = gradient_check.grad_check_sparse(lambda w, reg=reg: softmax_loss_naive(w, X_dev64, y_dev, reg)[0], W, grad,
                                              num_checks=10, seed=S.seed)
    print(f"gradient check, reg = {reg:g}: relative errors", " ".join(f"{e:.1e}" for e in errors))


# %% [markdown]
# **Q1.** Why do we expect a loss near $-\log(0.1)$ here? Unlike the SVM, no kinks: why?

# %% answer [markdown] id="q-log-ten" points=1
# ### BEGIN SOLUTION
# Tiny weights make all ten scores nearly equal, so softmax gives each class probability ≈ 1/10 and the
# loss of every example is −log(0.1) = log 10 ≈ 2.303. The softmax loss is a smooth function of the
# scores (no max(0, ·)), so the centered difference has no kink to straddle and the relative errors stay
# small everywhere.
# ### END SOLUTION

# %% [markdown]
# ## 2. No loops: `softmax_loss_vectorized`
#
# Scores for all examples at once (shape (N, C)), shift each row by its max, softmax along the rows, pick
# the correct-class probabilities with fancy indexing. For the gradient subtract 1 from the correct class
# in the probability matrix and multiply by `X.T`.
#
# ### TODO `softmax_loss_vectorized`

# %% todo id="softmax-vectorized"
def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss without loops; same inputs and outputs as softmax_loss_naive."""
    ### BEGIN SOLUTION
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dW = (X.T @ dscores) / N + 2 * reg * W
    return float(loss), dW.astype(W.dtype, copy=False)
    ### END SOLUTION


# %% visible id="softmax-vectorized-visible" points=1
# Visible tests for softmax_loss_vectorized: it must agree with softmax_loss_naive.
require(softmax_loss_naive)
loss, _ = softmax_loss_vectorized(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
testing.assert_close(loss, 2.0404, name="softmax_loss_vectorized(cat scores) loss", atol=1e-3)
loss, _ = softmax_loss_vectorized(np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]), 0.0)
testing.assert_close(loss, 1000.0, name="softmax_loss_vectorized with scores [1000, 0]", hint="Subtract the row max.")
rng = np.random.default_rng(2)
W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
for reg in [0.0, 5e1]:
    testing.assert_same_loss(softmax_loss_naive, softmax_loss_vectorized, W, X_dev.astype(np.float64), y_dev, reg)
_, dW32 = softmax_loss_vectorized(W.astype(np.float32), X_dev, y_dev, 0.0)
assert dW32.dtype == np.float32, f"dW must keep W's dtype float32, got {dW32.dtype}"
print("softmax_loss_vectorized: visible tests passed")

# %% hidden id="softmax-vectorized-hidden" points=2
# Hidden tests: the grader checks `softmax_loss_vectorized` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_vectorized", softmax_loss_vectorized)
### END HIDDEN TESTS

# %%
require(softmax_loss_naive, softmax_loss_vectorized)
W = (0.0001 * np.random.default_rng(S.seed).standard_normal((X_dev.shape[1], 10))).astype(np.float32)

def best_time(fn, repeats=3):
    """Result of fn(W, X_dev, y_dev, 5e-6) and the fastest of `repeats` runs in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(W, X_dev, y_dev, 5e-6)
        times.append(time.perf_counter() - t0)
    return out, min(times)

(loss_naive, grad_naive), t_naive = best_time(softmax_loss_naive)
(loss_vec, grad_vec), t_vec = best_time(softmax_loss_vectorized)
print(f"naive:      loss {loss_naive:.6f} in {1e3 * t_naive:7.2f} ms")
print(f"vectorized: loss {loss_vec:.6f} in {1e3 * t_vec:7.2f} ms  ({t_naive / t_vec:.0f}x faster)")
print(f"loss difference {abs(loss_naive - loss_vec):.1e}, gradient difference (Frobenius) "
      f"{np.linalg.norm(grad_naive - grad_vec):.1e}")

# %% [markdown]
# ## 3. Training and tuning
#
# `Softmax(loss_fn=softmax_loss_vectorized).train(...)` runs minibatch SGD (batches of 200, sampled with
# replacement) with your loss and returns the loss history; `.predict(X)` is the argmax of the scores.
# As in 02, choose learning rate and regularization on the validation set.

# %%
require(softmax_loss_vectorized)
from cs231n_lite.classifiers import Softmax

learning_rates = S.pick(full=[1e-7, 5e-7], grading=[1e-7])
regularization_strengths = [2.5e4, 5e4]
iters = S.pick(full=1000, synthetic=100, grading=5)
results, best = {}, (-1.0, None, None)
t0 = time.perf_counter()
for lr in learning_rates:
    for reg in regularization_strengths:
        model = Softmax(loss_fn=softmax_loss_vectorized)
        history = model.train(X_train, y_train, learning_rate=lr, reg=reg, num_iters=iters,
                              batch_size=200, seed=S.seed)
        train_acc = np.mean(model.predict(X_train) == y_train)
        val_acc = np.mean(model.predict(X_val) == y_val)
        results[(lr, reg)] = (train_acc, val_acc, history)
        if val_acc > best[0]:
            best = (val_acc, (lr, reg), model)
print(f"{len(results)} models x {iters} iterations in {time.perf_counter() - t0:.1f} s")
print(f"{'learning rate':>14}{'reg':>10}{'train acc':>11}{'val acc':>9}")
for (lr, reg), (tr, va, _) in sorted(results.items()):
    print(f"{lr:>14.0e}{reg:>10.1e}{tr:>11.3f}{va:>9.3f}")
best_val, best_params, best_softmax = best
print(f"best: learning rate {best_params[0]:.0e}, reg {best_params[1]:.1e}, validation accuracy {best_val:.3f}")
plt.plot(results[best_params][2])
plt.xlabel("iteration")
plt.ylabel("minibatch loss")
plt.title("softmax training loss (best setting)")
plt.show()

# %%
require(softmax_loss_vectorized)
test_acc = float(np.mean(best_softmax.predict(X_test) == y_test))
print(f"softmax test accuracy: {test_acc:.3f}")

def show_weights(W, class_names):
    """Each class's weights (bias row dropped) rescaled to 0..255 and shown as a 32x32 image."""
    w = W[:3072, :].reshape(32, 32, 3, -1)
    lo, hi = w.min(), w.max()
    fig, axes = plt.subplots(1, len(class_names), figsize=(1.1 * len(class_names), 1.4))
    for c, name in enumerate(class_names):
        axes[c].imshow((255.0 * (w[:, :, :, c] - lo) / (hi - lo)).astype(np.uint8))
        axes[c].axis("off")
        axes[c].set_title(name, fontsize=8)
    plt.show()

show_weights(best_softmax.W, class_names)

# %% [markdown]
# ## 4. Softmax versus SVM
#
# Notebook 02 stores its result when it runs in the same mode on the same data; if it has, here are the
# two side by side.

# %%
require(softmax_loss_vectorized)
svm = S.load_result("svm")
print(f"{'':10}{'val acc':>9}{'test acc':>10}")
if svm is None:
    print("SVM: not available yet — run 02_svm.ipynb (same data, same mode) first")
else:
    print(f"{'SVM':10}{svm['val_accuracy']:>9.3f}{svm['test_accuracy']:>10.3f}")
print(f"{'softmax':10}{best_val:>9.3f}{test_acc:>10.3f}")

# %% [markdown]
# **Q2.** Compare the two classifiers: accuracy, what each loss is trying to achieve (recall section 7 of
# notebook 01), and how their templates look.

# %% answer [markdown] id="q-svm-vs-softmax-cifar" points=1
# ### BEGIN SOLUTION
# On CIFAR-10 both land in the same range (roughly 30–40 % on the real data, far above the 10 % of
# guessing; the linear model is the limit, not the loss). The SVM is satisfied once the correct class wins by the margin and ignores examples it
# already classifies well; softmax never is, it keeps pushing the correct probability toward 1, so every
# example contributes a little gradient. The templates are similar blurry class averages; the softmax
# ones tend to be a bit smoother.
# ### END SOLUTION

# %% [markdown]
# **Done.** Next: `04_optimization.ipynb`.
