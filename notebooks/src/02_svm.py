# %% [markdown]
# # 02 · A multiclass SVM on CIFAR-10
#
# The full pipeline for the hinge loss of notebook 01: load and preprocess the images, compute the loss
# and its gradient (first with loops, then vectorized), check the gradient numerically, train with
# minibatch SGD, tune the learning rate and regularization on the validation set, report test accuracy
# and look at the learned weights.
#
# **Your TODOs:** the gradient in `svm_loss_naive` · `svm_loss_vectorized` · `train_sgd`, plus one
# written answer. Conventions (same as `cs231n_lite`): `W` is an array of shape (D, C), `X` of shape
# (N, D) with the bias column last, `y` of shape (N,); a loss returns `(loss, dW)` with
# `loss = mean data loss + reg * sum(W * W)`.
#
# **How points are earned.** Each TODO earns the points of the two locked test cells right after it: 1 for
# the visible test, 2 for the hidden test. The visible asserts are your self-check (nbgrader's *Validate*
# runs them too), but when the course grades, nothing evaluated in your notebook decides a point: the
# course's trusted grader calls your function with inputs it chooses — the visible cases for the visible
# cell's point, hidden cases for the hidden test — and compares the values it gets back with the reference
# solution, outside your notebook. Written answers (**Your answer** cells) are graded by a TA, 1 point each.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from cs231n_lite import gradient_check, session, testing
from cs231n_lite.testing import require

S = session.start("02_svm")
np.set_printoptions(precision=4, suppress=True)
S.setup_plots(figsize=(8, 3))   # in grading mode figures are built but not drawn

# %% [markdown]
# ## 1. Data
#
# The training images are split into **train** (first 49,000) and **validation** (next 1,000); **test** is
# the first 1,000 test images and **dev** a random 500 of train for quick experiments. (In grading mode
# and on the synthetic set the sizes are smaller; the first line above says which.)

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


# %%
def show_samples(X, y, mean_image, class_names, per_class=5, seed=0):
    """A grid with `per_class` random training images of each class (columns = classes)."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(per_class, len(class_names), figsize=(1.1 * len(class_names), 1.1 * per_class))
    for c, name in enumerate(class_names):
        idx = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        for r, i in enumerate(idx):
            img = (X[i, :3072] + mean_image).reshape(32, 32, 3)
            axes[r, c].imshow(np.clip(img, 0, 255).astype(np.uint8))
            axes[r, c].axis("off")
        axes[0, c].set_title(name, fontsize=8)
    plt.show()

show_samples(X_train, y_train, data["mean_image"], class_names, per_class=S.pick(full=5, grading=2))

# %% [markdown]
# **Preprocessing.** Every image is a row of 32·32·3 = 3072 pixel values. We subtract the **mean training
# image** from all splits (so the scores start centred around 0), and append a constant 1 as the last
# column — the bias trick from notebook 01 — so D = 3073 and the last row of `W` is the bias.

# %%
mean_image = data["mean_image"]
plt.figure(figsize=(2, 2))
plt.imshow(mean_image.reshape(32, 32, 3).astype(np.uint8))
plt.axis("off")
plt.title("mean training image", fontsize=8)
plt.show()
print(f"mean of X_train pixels after subtracting: {X_train[:, :3072].mean():.2e}")
print("bias column (last) is all ones:", bool(np.all(X_train[:, -1] == 1) and np.all(X_test[:, -1] == 1)))


# %% [markdown]
# ## 2. The loss with loops: `svm_loss_naive`
#
# For example $i$ with scores $s = x_i W$, every wrong class $j$ with margin $s_j - s_{y_i} + 1 > 0$ adds
# the margin to the loss. Differentiating that term:
#
# - with respect to column $j$ of `W`: $+x_i$;
# - with respect to column $y_i$: $-x_i$.
#
# The loss is averaged over the N examples and the regularization $\lambda \sum W^2$ adds
# $2\lambda W$ to the gradient.
#
# ### TODO gradient of `svm_loss_naive`
# The loss is already computed; fill in `dW` where marked.

# %% todo id="svm-naive"
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss with loops.

    W : array of shape (D, C); X : array of shape (N, D); y : array of shape (N,); reg : float.
    Returns (loss, dW) with dW of the shape and dtype of W.
    """
    dW = np.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # delta = 1
            if margin > 0:
                loss += margin
                # gradient of this margin with respect to columns j and y[i] of W
                ### BEGIN SOLUTION
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
                ### END SOLUTION
    loss /= num_train
    loss += reg * np.sum(W * W)
    # average the data gradient and add the regularization gradient
    ### BEGIN SOLUTION
    dW /= num_train
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


# %% visible id="svm-naive-visible" points=1
# Visible tests for svm_loss_naive.
# (a) the lecture's table: with X = identity, row i of W is the score vector of example i, and row i of dW is
#     that example's score gradient / N. By hand: cat has margins car 2.9, frog 0 -> row [-1, 1, 0]; car has no
#     positive margin; frog has cat 6.3, car 6.6 -> row [1, 1, -2]. Loss (2.9 + 0 + 12.9) / 3 = 5.2667.
#     Checked without and with regularization (reg * np.sum(W * W), gradient 2 * reg * W).
W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
dW_lecture = np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]]) / 3
testing.check_loss_grad(svm_loss_naive, W_lecture, np.eye(3), np.array([0, 1, 2]), expected_loss=15.8 / 3,
                        expected_dW=dW_lecture, name="svm_loss_naive(lecture table)")
# (b) zero weights: every wrong class adds 1, so the loss is C - 1 = 9
loss, dW = svm_loss_naive(np.zeros((X_dev.shape[1], 10), X_dev.dtype), X_dev, y_dev, 0.0)
testing.assert_close(loss, 9.0, name="svm_loss_naive(W = 0) loss", rtol=1e-6)
assert dW.shape == (X_dev.shape[1], 10) and dW.dtype == X_dev.dtype, "dW must have W's shape and dtype"
# (c) the gradient against a numerical one, without and with regularization (float64, small problem)
rng = np.random.default_rng(1)
W_small, X_small, y_small = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
testing.assert_gradient(svm_loss_naive, W_small, X_small, y_small, 0.0, name="svm_loss_naive gradient, reg=0")
testing.assert_gradient(svm_loss_naive, W_small, X_small, y_small, 0.3, name="svm_loss_naive gradient, reg=0.3")
print("svm_loss_naive: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("svm_loss_naive", svm_loss_naive, cases="visible")
### END HIDDEN TESTS

# %% hidden id="svm-naive-hidden" points=2
# Hidden tests: the grader checks `svm_loss_naive` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("svm_loss_naive", svm_loss_naive, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# ### Gradient check on real data
#
# With small random weights the loss should be close to C − 1 = 9 (notebook 01, Q3). Then we compare
# the analytic gradient with centered differences at 10 random entries of `W`, first without and then with
# regularization. We work in float64: float32 rounding alone would give relative errors around 1e-3.

# %%
require(svm_loss_naive)
rng = np.random.default_rng(S.seed)
W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
X_dev64 = X_dev.astype(np.float64)
loss, grad = svm_loss_naive(W, X_dev64, y_dev, 0.0)
print(f"loss at small random W: {loss:.3f} (expected about 9)")
np.random.seed(S.seed)  # grad_check_sparse draws entries from numpy's global RNG: each check tests new ones
for reg in [0.0, 5e1]:
    print(f"reg = {reg:g}:")
    loss, grad = svm_loss_naive(W, X_dev64, y_dev, reg)
    errors = gradient_check.grad_check_sparse(lambda w, reg=reg: svm_loss_naive(w, X_dev64, y_dev, reg)[0], W, grad)
    print(f"  median relative error {np.median(errors):.1e}")


# %% [markdown]
# **Q1 (kinks).** Occasionally one entry of the gradient check does not match. Run the cell below: it
# checks $f(x) = \max(0, x)$ — the shape of every hinge term — at points just next to $x = 0$.
# Why can this happen, and is it something to worry about? How could you make it less frequent?

# %%
# NBVAL_CHECK_OUTPUT
def relu(x):
    return max(0.0, x)

h = 1e-5
for x0 in [-1e-6, 1e-6, 1e-4]:
    numerical = (relu(x0 + h) - relu(x0 - h)) / (2 * h)
    analytic = 1.0 if x0 > 0 else 0.0
    print(f"x = {x0:8.0e}: numerical {numerical:.2f}, analytic {analytic:.0f}")


# %% answer [markdown] id="q-kink" points=1
# ### BEGIN SOLUTION
# The hinge loss is not differentiable where a margin is exactly 0 (a kink). If a margin lies within h of
# 0, the centered difference straddles the kink and averages the two slopes (0.55 instead of 1 above),
# while the analytic gradient uses one side. That is a flaw of the check, not of the gradient, so an
# occasional mismatch is fine. It becomes rarer with a smaller h, fewer examples (fewer margins near
# 0), or by checking that no margin crossed 0 between x − h and x + h; with regularization the extra
# smooth term also makes the relative error of such entries smaller.
# ### END SOLUTION

# %% [markdown]
# ## 3. No loops: `svm_loss_vectorized`
#
# Compute all scores at once (`X @ W`, shape (N, C)), pick the correct-class scores with fancy indexing,
# form the margins, zero the correct class. For the gradient, build a matrix of shape (N, C) with a 1
# where a margin is positive and $-(\text{number of positive margins})$ in the correct class; then
# `dW = X.T @ that / N + 2 reg W`.
#
# ### TODO `svm_loss_vectorized`

# %% todo id="svm-vectorized"
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss without loops; same inputs and outputs as svm_loss_naive."""
    ### BEGIN SOLUTION
    N = X.shape[0]
    scores = X @ W
    correct = scores[np.arange(N), y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    mask = (margins > 0).astype(W.dtype)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    dW = (X.T @ mask) / N + 2 * reg * W
    return float(loss), dW.astype(W.dtype, copy=False)
    ### END SOLUTION


# %% visible id="svm-vectorized-visible" points=1
# Visible tests for svm_loss_vectorized: it must agree with svm_loss_naive.
require(svm_loss_naive)
# (a) the lecture's table, as for svm_loss_naive (loss 5.2667), without and with regularization
W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
dW_lecture = np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]]) / 3
testing.check_loss_grad(svm_loss_vectorized, W_lecture, np.eye(3), np.array([0, 1, 2]), expected_loss=15.8 / 3,
                        expected_dW=dW_lecture, name="svm_loss_vectorized(lecture table)")
# (b) the same loss and dW as your svm_loss_naive on real data
rng = np.random.default_rng(2)
W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
for reg in [0.0, 5e1]:
    testing.assert_same_loss(svm_loss_naive, svm_loss_vectorized, W, X_dev.astype(np.float64), y_dev, reg)
_, dW32 = svm_loss_vectorized(W.astype(np.float32), X_dev, y_dev, 0.0)
assert dW32.dtype == np.float32, f"dW must keep W's dtype float32, got {dW32.dtype}"
print("svm_loss_vectorized: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("svm_loss_vectorized", svm_loss_vectorized, cases="visible")
### END HIDDEN TESTS

# %% hidden id="svm-vectorized-hidden" points=2
# Hidden tests: the grader checks `svm_loss_vectorized` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("svm_loss_vectorized", svm_loss_vectorized, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# How much faster? Both versions on the dev set:

# %%
require(svm_loss_naive, svm_loss_vectorized)
W = 0.0001 * np.random.default_rng(S.seed).standard_normal((X_dev.shape[1], 10)).astype(np.float32)

def best_time(fn, repeats=3):
    """Result of fn(W, X_dev, y_dev, 5e-6) and the fastest of `repeats` runs in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(W, X_dev, y_dev, 5e-6)
        times.append(time.perf_counter() - t0)
    return out, min(times)

(loss_naive, grad_naive), t_naive = best_time(svm_loss_naive)
(loss_vec, grad_vec), t_vec = best_time(svm_loss_vectorized)
print(f"naive:      loss {loss_naive:.6f} in {1e3 * t_naive:7.2f} ms")
print(f"vectorized: loss {loss_vec:.6f} in {1e3 * t_vec:7.2f} ms  ({t_naive / t_vec:.0f}x faster)")
print(f"loss difference {abs(loss_naive - loss_vec):.1e}, gradient difference (Frobenius) "
      f"{np.linalg.norm(grad_naive - grad_vec):.1e}")


# %% [markdown]
# ## 4. Minibatch SGD
#
# The gradient of the full training loss is a mean over 49,000 examples; a random **minibatch** of a few
# hundred gives a noisy but unbiased estimate at a fraction of the cost. One step:
# $W \leftarrow W - \eta\, \nabla_W L_{\text{batch}}$.
#
# ### TODO `train_sgd`
# `train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0)` returns
# `(W_new, loss_history)`. Follow this recipe **exactly** (the tests replay it):
#
# 1. `rng = np.random.default_rng(seed)` once;
# 2. each iteration: `idx = rng.choice(N, size=batch_size, replace=True)`, then
#    `loss, dW = loss_fn(W, X[idx], y[idx], reg)`, `W = W - learning_rate * dW`, and append
#    `float(loss)` to the history;
# 3. do not modify the `W` you were given (`W = W - ...` makes a new array; `W -= ...` would not).

# %% todo id="train-sgd"
def train_sgd(loss_fn, W, X, y, *, learning_rate, reg, num_iters, batch_size, seed=0):
    """Minibatch SGD. Returns (W_new, loss_history: list of float); W is not modified."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    history = []
    for _ in range(num_iters):
        idx = rng.choice(N, size=batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        W = W - learning_rate * dW
        history.append(float(loss))
    return W, history
    ### END SOLUTION


# %% visible id="train-sgd-visible" points=1
# Visible tests for train_sgd.
# (a) on L(W) = sum(W^2) each step multiplies W by (1 - 2 * learning_rate)
def quadratic(W, X, y, reg):
    return float(np.sum(W * W)), 2 * W
W0 = np.ones((3, 2))
W_new, history = train_sgd(quadratic, W0, np.zeros((5, 3)), np.zeros(5, int),
                           learning_rate=0.1, reg=0.0, num_iters=4, batch_size=2)
testing.assert_close(W_new, 0.8 ** 4 * np.ones((3, 2)), name="W after 4 steps on sum(W^2)")
testing.assert_close(history, [6 * 0.8 ** (2 * k) for k in range(4)], name="loss_history",
                     hint="Append the loss of each step BEFORE the update.")
testing.assert_close(W0, np.ones((3, 2)), name="the W passed in", hint="Do not modify it in place.")
assert isinstance(history, list) and all(isinstance(v, float) for v in history), "history: list of float"
# (b) the minibatches follow the recipe: X = row numbers, so the batch reveals the indices
seen = []
def spy(W, X, y, reg):
    seen.append(X[:, 0].astype(int).tolist())
    return 0.0, np.zeros_like(W)
train_sgd(spy, np.zeros((1, 2)), np.arange(10.0)[:, None], np.zeros(10, int),
          learning_rate=1.0, reg=0.0, num_iters=3, batch_size=4, seed=7)
rng = np.random.default_rng(7)
expected = [rng.choice(10, size=4, replace=True).tolist() for _ in range(3)]
assert seen == expected, (f"minibatch indices {seen}, expected {expected}: create the rng once with "
                          "np.random.default_rng(seed) and call rng.choice(N, size=batch_size, replace=True)")
print("train_sgd: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("train_sgd", train_sgd, cases="visible")
### END HIDDEN TESTS

# %% hidden id="train-sgd-hidden" points=2
# Hidden tests: the grader checks `train_sgd` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("train_sgd", train_sgd, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# ### Training
#
# Small random weights, learning rate 1e-7, regularization 2.5e4, batches of 200. The loss should start
# near 9 + the regularization term and fall quickly.

# %%
require(svm_loss_vectorized, train_sgd)

def predict(W, X):
    return np.argmax(X @ W, axis=1)

W0 = (0.0001 * np.random.default_rng(S.seed).standard_normal((X_train.shape[1], 10))).astype(np.float32)
t0 = time.perf_counter()
W_svm, loss_history = train_sgd(svm_loss_vectorized, W0, X_train, y_train, learning_rate=1e-7, reg=2.5e4,
                                num_iters=S.pick(full=1500, synthetic=200, grading=10), batch_size=200)
print(f"{len(loss_history)} iterations in {time.perf_counter() - t0:.1f} s; "
      f"loss {loss_history[0]:.2f} -> {loss_history[-1]:.2f}")
print(f"train accuracy {np.mean(predict(W_svm, X_train) == y_train):.3f}, "
      f"validation accuracy {np.mean(predict(W_svm, X_val) == y_val):.3f}")
plt.plot(loss_history)
plt.xlabel("iteration")
plt.ylabel("minibatch loss")
plt.title("SVM training loss")
plt.show()

# %% [markdown]
# ## 5. Choosing the learning rate and regularization
#
# Train one model per (learning rate, regularization) pair, keep the one with the best **validation**
# accuracy. The test set is touched only once, at the very end.

# %%
require(svm_loss_vectorized, train_sgd)
learning_rates = S.pick(full=[1e-7, 5e-7], grading=[1e-7])
regularization_strengths = [2.5e4, 5e4]
iters = S.pick(full=1000, synthetic=100, grading=5)
results, best = {}, (-1.0, None, None)
for lr in learning_rates:
    for reg in regularization_strengths:
        W, _ = train_sgd(svm_loss_vectorized, W0, X_train, y_train, learning_rate=lr, reg=reg,
                         num_iters=iters, batch_size=200)
        train_acc = np.mean(predict(W, X_train) == y_train)
        val_acc = np.mean(predict(W, X_val) == y_val)
        results[(lr, reg)] = (train_acc, val_acc)
        if val_acc > best[0]:
            best = (val_acc, (lr, reg), W)
print(f"{'learning rate':>14}{'reg':>10}{'train acc':>11}{'val acc':>9}")
for (lr, reg), (tr, va) in sorted(results.items()):
    print(f"{lr:>14.0e}{reg:>10.1e}{tr:>11.3f}{va:>9.3f}")
best_val, best_params, W_best = best
print(f"best: learning rate {best_params[0]:.0e}, reg {best_params[1]:.1e}, validation accuracy {best_val:.3f}")

# %%
require(svm_loss_vectorized, train_sgd)
test_acc = float(np.mean(predict(W_best, X_test) == y_test))
print(f"SVM test accuracy: {test_acc:.3f}")
S.save_result("svm", {"val_accuracy": float(best_val), "test_accuracy": test_acc,
                      "learning_rate": best_params[0], "reg": best_params[1]})


# %% [markdown]
# ## 6. The weights as class templates
#
# Each column of `W` (without the bias row) has one weight per pixel and colour, so it can be shown as a
# 32×32 image: the template an image is matched against for that class.

# %%
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

require(svm_loss_vectorized, train_sgd)
show_weights(W_best, class_names)

# %% [markdown]
# On real CIFAR-10 the templates look like blurry averages: a car template is reddish with a windshield, a
# horse template may have two heads (horses face both ways), planes and ships are mostly blue. One
# template per class can only capture one "average" mode — a limit of linear classifiers.
#
# **Done.** Next: `03_softmax.ipynb`.
