# %% [markdown]
# # 03 · A softmax classifier on CIFAR-10
#
# The same path as notebook 02 with the cross-entropy loss of notebook 01: loss and gradient with loops,
# a sanity check, a gradient check, a vectorized version, training, tuning, test accuracy, templates —
# and a comparison with the SVM.
#
# **Your TODOs:** `softmax_loss_naive` · `softmax_loss_vectorized`, plus written answers.
# Training uses `cs231n_lite.classifiers.Softmax`, which runs minibatch SGD with **your** loss function.
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
# (a) the lecture's three images (cat, car, frog; X = identity, so row i of W is example i's scores): P holds
#     softmax of each row, the loss is the mean of -log P[i, y_i] = 2.7587 and dW = (P - one-hot(y)) / 3.
#     Checked without and with regularization (reg * np.sum(W * W), gradient 2 * reg * W).
W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
P_lecture = np.array([[0.129983, 0.869050, 0.000968], [0.025245, 0.923918, 0.050837], [0.424655, 0.573225, 0.002120]])
testing.check_loss_grad(softmax_loss_naive, W_lecture, np.eye(3), np.array([0, 1, 2]), expected_loss=2.758655,
                        expected_dW=(P_lecture - np.eye(3)) / 3, name="softmax_loss_naive(lecture table)")
# (b) the lecture's cat alone: X = [[1]] so the single row of W is the score vector
loss, dW = softmax_loss_naive(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
testing.assert_close(loss, 2.0404, name="softmax_loss_naive(cat scores) loss", atol=1e-3,
                     hint="-log of the softmax probability of the correct class, natural log.")
testing.assert_close(dW, [[0.13 - 1, 0.87, 0.0]], name="its dW", atol=0.005,
                     hint="dW[:, j] += (p_j - [j == y_i]) * x_i")
# (c) zero weights: all classes equally likely, loss = log(10)
loss, dW = softmax_loss_naive(np.zeros((X_dev.shape[1], 10), X_dev.dtype), X_dev, y_dev, 0.0)
testing.assert_close(loss, np.log(10), name="softmax_loss_naive(W = 0) loss", rtol=1e-5)
assert dW.shape == (X_dev.shape[1], 10) and dW.dtype == X_dev.dtype, "dW must have W's shape and dtype"
# (d) huge scores [1000, 0] stay finite (loss 1000, dW [[1, -1]]), and the gradient matches a numerical one
testing.check_loss_grad(softmax_loss_naive, np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]),
                        expected_loss=1000.0, expected_dW=[[1.0, -1.0]], name="softmax_loss_naive(scores [1000, 0])")
rng = np.random.default_rng(1)
W_small, X_small, y_small = rng.standard_normal((5, 4)), rng.standard_normal((7, 5)), rng.integers(4, size=7)
for reg in [0.0, 0.3]:
    testing.assert_gradient(softmax_loss_naive, W_small, X_small, y_small, reg,
                            name=f"softmax_loss_naive gradient, reg={reg}")
print("softmax_loss_naive: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_naive", softmax_loss_naive, cases="visible")
### END HIDDEN TESTS

# %% hidden id="softmax-naive-hidden" points=2
# Hidden tests: the grader checks `softmax_loss_naive` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_naive", softmax_loss_naive, cases="hidden")
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
np.random.seed(S.seed)  # grad_check_sparse draws entries from numpy's global RNG: each check tests new ones
for reg in [0.0, 5e1]:
    print(f"gradient check, reg = {reg:g}:")
    loss, grad = softmax_loss_naive(W, X_dev64, y_dev, reg)
    errors = gradient_check.grad_check_sparse(lambda w, reg=reg: softmax_loss_naive(w, X_dev64, y_dev, reg)[0], W, grad)
    print(f"  median relative error {np.median(errors):.1e}")


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
# (a) the lecture's table (loss 2.7587) and huge scores [1000, 0], as for softmax_loss_naive
W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
P_lecture = np.array([[0.129983, 0.869050, 0.000968], [0.025245, 0.923918, 0.050837], [0.424655, 0.573225, 0.002120]])
testing.check_loss_grad(softmax_loss_vectorized, W_lecture, np.eye(3), np.array([0, 1, 2]), expected_loss=2.758655,
                        expected_dW=(P_lecture - np.eye(3)) / 3, name="softmax_loss_vectorized(lecture table)")
loss, _ = softmax_loss_vectorized(np.array([[3.2, 5.1, -1.7]]), np.array([[1.0]]), np.array([0]), 0.0)
testing.assert_close(loss, 2.0404, name="softmax_loss_vectorized(cat scores) loss", atol=1e-3)
testing.check_loss_grad(softmax_loss_vectorized, np.array([[1000.0, 0.0]]), np.array([[1.0]]), np.array([1]),
                        expected_loss=1000.0, expected_dW=[[1.0, -1.0]],
                        name="softmax_loss_vectorized(scores [1000, 0])")
# (b) the same loss and dW as your softmax_loss_naive on real data
rng = np.random.default_rng(2)
W = 0.0001 * rng.standard_normal((X_dev.shape[1], 10))
for reg in [0.0, 5e1]:
    testing.assert_same_loss(softmax_loss_naive, softmax_loss_vectorized, W, X_dev.astype(np.float64), y_dev, reg)
_, dW32 = softmax_loss_vectorized(W.astype(np.float32), X_dev, y_dev, 0.0)
assert dW32.dtype == np.float32, f"dW must keep W's dtype float32, got {dW32.dtype}"
print("softmax_loss_vectorized: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_vectorized", softmax_loss_vectorized, cases="visible")
### END HIDDEN TESTS

# %% hidden id="softmax-vectorized-hidden" points=2
# Hidden tests: the grader checks `softmax_loss_vectorized` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax_loss_vectorized", softmax_loss_vectorized, cases="hidden")
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
# ## 5. The linear-classifier playground
#
# The lecture's interactive web demo, in the notebook: nine points in the plane, three classes, and a linear
# classifier with weights `W` (array of shape (3, 2) — one row per class, the lecture's $s = Wx + b$; the course
# code's `(D, C)` matrix with the bias trick would be `np.vstack([W.T, b])`) and biases `b` (shape (3,)).
#
# - The **background** shows the decision regions: every spot takes the colour of its highest-scoring class.
# - Each class's **line** is where its score is zero, $W_c \cdot x + b_c = 0$; the arrow points to where it is
#   positive. Rotating a row of `W` rotates its line, `b` slides it.
# - The **table** lists every point's scores $s_0, s_1, s_2$ and its loss $L_i$; above it the total
#   $L = \frac{1}{N}\sum_i L_i + \lambda \sum W^2$ (the bias is not regularized).
# - The **loss** menu: the Weston–Watkins multiclass SVM of notebook 02
#   $\sum_{j \ne y_i}\max(0, s_j - s_{y_i} + 1)$; one-vs-all $\sum_{j \ne y_i}\max(0, 1 + s_j) + \max(0, 1 - s_{y_i})$;
#   the structured SVM $\max(0, \max_{j \ne y_i} s_j - s_{y_i} + 1)$ (only the worst rival counts); softmax
#   $-\log\big(e^{s_{y_i}} / \sum_j e^{s_j}\big)$.
# - **step** takes one full-batch gradient step of size *step size*, **many steps** takes *steps* of them,
#   ▶ (*repeated steps*) keeps stepping until ■, **re-randomize** draws a new `W` and `b`, **reset** goes back
#   to the start. Every slider recomputes everything.
#
# In JupyterLab the cell below is live (ipywidgets + ipympl); when the notebook runs without a screen — grading,
# CI — it draws one static picture of the same thing.

# %%
from cs231n_lite.playground import DEMO_B, DEMO_W, DEMO_X, DEMO_Y, evaluate, gradient_step, playground

playground(loss="svm", reg=0.1, step_size=0.1, seed=S.seed)

# %% [markdown]
# **Try it.** Set λ to 0 and the loss to the Weston–Watkins SVM, press **many steps** until the total loss is
# 0, then press **step** a few more times and watch the lines. Now switch the loss to softmax (same `W`, `b`) and
# step again. The cell below does the same with numbers: gradient descent on the SVM from the demo's start,
# then softmax from where the SVM stopped.

# %%
# NBVAL_CHECK_OUTPUT
W, b = DEMO_W, DEMO_B
for rounds in range(1, 5):
    W, b, _ = gradient_step(W, b, DEMO_X, DEMO_Y, loss="svm", reg=0.0, step_size=0.1, num_steps=50)
    svm = evaluate(W, b, DEMO_X, DEMO_Y, loss="svm")
    print(f"after {50 * rounds:3d} SVM steps: SVM loss {svm.loss:.4f}, |dW| {np.linalg.norm(svm.dW):.4f}, "
          f"|W| {np.linalg.norm(W):.3f}")
W_soft, b_soft, history = gradient_step(W, b, DEMO_X, DEMO_Y, loss="softmax", reg=0.0, step_size=0.1,
                                        num_steps=200)
print(f"softmax from there: loss {history[0]:.4f} -> {history[-1]:.4f} in 200 steps, "
      f"|W| {np.linalg.norm(W):.3f} -> {np.linalg.norm(W_soft):.3f}")

# %% [markdown]
# **Q3.** Once every point meets its margins the SVM loss is exactly 0 and no step changes anything, while softmax
# keeps lowering its loss and keeps changing `W`. Why? What does each loss say about a point that is already
# classified correctly?

# %% answer [markdown] id="q-playground-svm-stops" points=1
# ### BEGIN SOLUTION
# The hinge is flat at zero: a point whose correct score beats every other score by at least the margin (1) adds
# max(0, negative) = 0 to the loss and, just as important, contributes a zero gradient. When all nine points are
# there, the data loss is 0 and dW = 0 (with λ = 0), so a step moves nothing — the lines stay where they are (any
# W that meets all margins is equally good to the SVM). Softmax is never satisfied: −log p is positive for every
# probability below 1, and its gradient p − [j = y] is never zero, so each step still pushes the correct scores
# up and the others down. Because the points are already separated, the cheapest way to do that is to scale W up
# (the run above: |W| keeps growing while the loss creeps towards 0), making the probabilities ever sharper.
# ### END SOLUTION

# %% [markdown]
# **Now λ.** In the playground, train with softmax at λ = 0, then raise λ (0.01, 0.1, 1) and press **many steps**
# each time; do the same with the SVM. Watch the arrows (their directions are the rows of `W`), the regions and the
# table. The cell below repeats it from the demo's start and draws the SVM at λ = 1.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'loss':8}{'λ':>6}{'|W|':>8}{'data loss':>11}{'reg loss':>10}{'train acc':>11}{'mean p(correct)':>17}")
for loss in ["softmax", "svm"]:
    for reg in [0.0, 0.01, 0.1, 1.0]:
        W, b, _ = gradient_step(DEMO_W, DEMO_B, DEMO_X, DEMO_Y, loss=loss, reg=reg, step_size=0.1,
                                num_steps=1000)
        r = evaluate(W, b, DEMO_X, DEMO_Y, loss=loss, reg=reg)
        acc = np.mean(r.scores.argmax(axis=1) == DEMO_Y)
        p = np.exp(r.scores - r.scores.max(axis=1, keepdims=True))
        p_correct = np.mean(p[np.arange(len(DEMO_Y)), DEMO_Y] / p.sum(axis=1))
        print(f"{loss:8}{reg:>6g}{np.linalg.norm(W):>8.3f}{r.data_loss:>11.4f}{r.reg_loss:>10.4f}{acc:>11.3f}"
              f"{p_correct:>17.3f}")
playground(W, b, loss="svm", reg=1.0, mode="static")  # the loop's last run: the SVM at λ = 1

# %% [markdown]
# **Q4.** What does the regularization strength λ do to `W`, to the scores, and to the decision regions? Why can a
# large λ make the SVM misclassify training points that it classified correctly at λ = 0?

# %% answer [markdown] id="q-playground-reg" points=1
# ### BEGIN SOLUTION
# λ·ΣW² charges for large weights (not for b), so the larger λ, the shorter the rows of W: |W| falls from about 8.6
# (softmax, λ = 0) to 0.17 (λ = 1). Shorter rows mean flatter scores, so softmax's probabilities move towards
# uniform (mean p(correct) 0.93 → 0.35) and the data loss cannot go to 0 any more; the optimum balances data loss
# against weight size. The regions depend only on which score is largest: as long as the data can be separated
# with small weights the regions barely move (softmax still gets all nine right), but λ prefers the separating
# W with the smallest norm, i.e. boundaries that sit in the middle of the gaps (large margin relative to |W|)
# instead of ones that hug particular points. For the SVM, the hinge needs score gaps of 1; with tiny W those gaps
# cost too much, so at λ = 1 the optimum gives up on the margin for several points, the bias (free of
# regularization) takes over and one class's region grows over its neighbours — the training accuracy drops.
# ### END SOLUTION

# %% [markdown]
# **Done.** Next: `04_optimization.ipynb`.
