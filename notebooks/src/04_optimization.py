# %% [markdown]
# # 04 · Optimization: finding good weights
#
# The loss tells us how good a `W` is; optimization finds a good one. This notebook looks at the loss
# landscape of the SVM, compares three strategies at the same budget of loss evaluations, computes
# gradients numerically (from the lecture's worked example to the full cost), sweeps the step size, races
# full-batch gradient descent against minibatch SGD, and adds momentum to SGD.
#
# **Your TODO:** `numerical_gradient`. This notebook also needs your `svm_loss_vectorized` from
# 02_svm: paste it into the cell marked `svm-paste` (not graded here).
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

from cs231n_lite import session, testing
from cs231n_lite.testing import require

S = session.start("04_optimization")
np.set_printoptions(precision=4, suppress=True)
S.setup_plots(figsize=(8, 3))   # in grading mode figures are built but not drawn

# %%
data = S.load_data(num_training=S.pick(full=10000, synthetic=4000, grading=500))
X_train, y_train = data["X_train"], data["y_train"]
X_test, y_test = data["X_test"], data["y_test"]
D, C = X_train.shape[1], 10
n_fit = S.pick(full=1000, synthetic=500, grading=100)
X_fit, y_fit = X_train[:n_fit], y_train[:n_fit]   # the examples the searches below evaluate the loss on
print(f"train {X_train.shape}, test {X_test.shape}; loss evaluations use {n_fit} training examples")

def accuracy(W, X, y):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


# %% [markdown]
# ## 0. Your SVM loss
#
# Paste your `svm_loss_vectorized` from 02_svm below (the whole `def`). Nothing here is graded; the rest of
# the notebook uses it.

# %% todo id="svm-paste"
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss (paste your version from 02_svm)."""
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


# %%
require(svm_loss_vectorized)
W_lecture = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
testing.assert_close(svm_loss_vectorized(W_lecture, np.eye(3), np.array([0, 1, 2]), 0.0)[0], 5.2667,
                     name="pasted svm_loss_vectorized(lecture table)", atol=1e-3)

def svm_loss(W, X=X_fit, y=y_fit):
    """Data loss only (reg = 0) on the fitting examples: one 'loss evaluation'."""
    return svm_loss_vectorized(W, X, y, 0.0)[0]
print("svm_loss_vectorized works")

# %% [markdown]
# ## 1. The loss landscape
#
# `W` has D × C = 30,730 numbers, far too many to plot. Instead we pick a random point `W` and random
# directions `W1`, `W2`, and plot the loss along the line $W + aW_1$ and on the plane $W + aW_1 + bW_2$.
#
# For **one example** the SVM loss is a sum of hinges, each linear in $a$: the slice is piecewise linear.
# Averaged over **100 examples** the many kinks blur into a bowl-shaped (convex) curve.

# %%
require(svm_loss_vectorized)
rng = np.random.default_rng(S.seed)
W, W1, W2 = (1e-4 * rng.standard_normal((D, C)).astype(np.float32) for _ in range(3))
one, hundred = slice(0, 1), slice(0, 100)
a = np.linspace(-10, 10, S.pick(full=101, synthetic=41, grading=11))
fig, axes = plt.subplots(1, 2)
for ax, part, title in [(axes[0], one, "one example"), (axes[1], hundred, "100 examples")]:
    losses = [svm_loss(W + ai * W1, X_train[part], y_train[part]) for ai in a]
    ax.plot(a, losses)
    ax.set_title(f"1-D slice, {title}", fontsize=9)
    ax.set_xlabel("a")
plt.show()

b = np.linspace(-10, 10, S.pick(full=31, synthetic=15, grading=5))
fig, axes = plt.subplots(1, 2)
for ax, part, title in [(axes[0], one, "one example"), (axes[1], hundred, "100 examples")]:
    grid = [[svm_loss(W + ai * W1 + bi * W2, X_train[part], y_train[part]) for ai in b] for bi in b]
    im = ax.imshow(grid, origin="lower", extent=(b[0], b[-1], b[0], b[-1]), cmap="jet")
    ax.set_title(f"2-D slice, {title}", fontsize=9)
    fig.colorbar(im, ax=ax)
plt.show()

# %% [markdown]
# ## 2. Three strategies, the same budget
#
# Each strategy gets the same number of **loss evaluations** (one evaluation = the loss, and for the
# gradient strategy also its gradient, on the fitting examples):
#
# 1. **random search** — draw a fresh random `W` each time, keep the best;
# 2. **random local search** — from the current `W`, try a small random step and keep it if the loss drops;
# 3. **following the gradient** — step along $-\nabla L$.
#
# The course notes report 15.5 % (random search) and 21.4 % (random local search) test accuracy on
# CIFAR-10 with 1,000 evaluations. Here is what this data gives:

# %%
require(svm_loss_vectorized)
budget = S.pick(full=1000, synthetic=150, grading=8)
rng = np.random.default_rng(S.seed)

def random_search(budget):
    best_W, best_loss = None, np.inf
    for _ in range(budget):
        W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
        loss = svm_loss(W)
        if loss < best_loss:
            best_W, best_loss = W, loss
    return best_W, best_loss

def random_local_search(budget, step=1e-4):
    W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
    best_loss = svm_loss(W)
    for _ in range(budget - 1):
        W_try = W + step * rng.standard_normal((D, C)).astype(np.float32)
        loss = svm_loss(W_try)
        if loss < best_loss:
            W, best_loss = W_try, loss
    return W, best_loss

def follow_gradient(budget, learning_rate=1e-6):
    W = 1e-4 * rng.standard_normal((D, C)).astype(np.float32)
    for _ in range(budget):
        loss, dW = svm_loss_vectorized(W, X_fit, y_fit, 0.0)
        W = W - learning_rate * dW
    return W, svm_loss(W)

print(f"{budget} loss evaluations each, {n_fit} examples per evaluation")
print(f"{'strategy':<24}{'final loss':>11}{'test acc':>10}{'time':>8}")
for name, method in [("random search", random_search), ("random local search", random_local_search),
                     ("following the gradient", follow_gradient)]:
    t0 = time.perf_counter()
    W_found, loss = method(budget)
    print(f"{name:<24}{loss:>11.3f}{accuracy(W_found, X_test, y_test):>10.3f}"
          f"{time.perf_counter() - t0:>7.1f}s")
print(f"(chance level: {1 / C:.3f})")


# %% [markdown]
# Random search only gets lucky; local search keeps what works but most random directions are useless in
# 30,730 dimensions; the gradient gives a good direction at every step for the price of one evaluation.

# %% [markdown]
# ## 3. The numerical gradient
#
# The derivative along coordinate $i$ is the limit of a finite difference. Two versions:
#
# - forward: $\dfrac{f(x + h e_i) - f(x)}{h}$ (error shrinks like $h$),
# - centered: $\dfrac{f(x + h e_i) - f(x - h e_i)}{2h}$ (error shrinks like $h^2$).
#
# **A worked example from the lecture** (Georgia Tech CS 4644). At the current weights
# `W = [0.34, -1.11, 0.78, 0.12, 0.55, 2.81, -3.1, -1.5, 0.33, ...]` the loss is 1.25347. Add h = 0.0001 to
# one entry, keep all the others, and evaluate the loss again: the forward difference of the two losses is
# that entry of the gradient. The slide does it for the first three entries:

# %%
# NBVAL_CHECK_OUTPUT
W_slide = [0.34, -1.11, 0.78, 0.12, 0.55, 2.81, -3.1, -1.5, 0.33]   # the entries the slide shows
h = 0.0001
loss_W = 1.25347
loss_nudged = [1.25322, 1.25353, 1.25347]   # the loss after W[i] += h, for i = 0, 1, 2
grad_slide = [(loss_i - loss_W) / h for loss_i in loss_nudged]
for i, (loss_i, g) in enumerate(zip(loss_nudged, grad_slide, strict=True)):
    print(f"W[{i}] = {W_slide[i]:5.2f} + h: loss {loss_i:.5f}, dW[{i}] = ({loss_i:.5f} - {loss_W:.5f}) / {h} = {g:g}")
print("gradient dW = [" + ", ".join(f"{g:g}" for g in grad_slide) + ", ...]")

# %% [markdown]
# The slide's losses are rounded to 5 decimals, so each difference is known to about ±1e-5 and each
# gradient entry only to about ±1e-5 / h = ±0.1: the third entry's 0 means "smaller than about 0.1", not
# exactly zero.
#
# **The same procedure on this notebook's data.** `W` is small and random, the loss is your SVM loss on the
# fitting examples, and we nudge the first three entries of `W` (in memory order, like the slide's list) by
# the same h. Next to each estimate: the analytic gradient from `svm_loss_vectorized`.

# %%
require(svm_loss_vectorized)
W = 1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))   # float64: float32 rounding would swamp h
X64 = X_fit.astype(np.float64)
loss_W, dW = svm_loss_vectorized(W, X64, y_fit, 0.0)
w = W.reshape(-1)   # a view of W: w[i] is entry i in memory order (W[0, 0], W[0, 1], ...)
print(f"current W: [{', '.join(f'{v:.6f}' for v in w[:4])}, ...]   loss {loss_W:.7f}")
for i in range(3):
    old = w[i]
    w[i] = old + h
    loss_i = svm_loss(W, X64, y_fit)
    w[i] = old
    print(f"W[{i}] + h: loss {loss_i:.7f}, dW[{i}] = ({loss_i:.7f} - {loss_W:.7f}) / {h} = {(loss_i - loss_W) / h:+8.4f}"
          f"   analytic {dW.flat[i]:+8.4f}")

# %% [markdown]
# Each estimate costs one more loss evaluation and lands within a few hundredths of the analytic value. Where
# it is off, the forward difference straddles kinks: with h = 0.0001 the scores of the examples move by up to
# h times a pixel value, and a few of the 9 margins per example cross zero (notebook 02, Q1). The TODO below
# turns this loop into a function for any array and both difference formulas.

# %% [markdown]
# ### TODO `numerical_gradient`
# `numerical_gradient(f, x, *, h=1e-5, method="centered")`: `f(x)` returns a float; `x` is a float array
# of any shape. Nudge one entry at a time **in place**, evaluate, and put the entry back exactly.
# Return an array of the shape and dtype of `x`. `method` is `"centered"` or `"forward"` (anything else:
# `ValueError`). The forward version evaluates `f(x)` once, up front, and reuses it.
# (`np.ndindex(x.shape)` walks every index of an array of any shape.)

# %% todo id="numerical-gradient"
def numerical_gradient(f, x, *, h=1e-5, method="centered"):
    """Finite-difference gradient of f at x (x is modified during the call and restored)."""
    ### BEGIN SOLUTION
    if method not in ("centered", "forward"):
        raise ValueError(f"method must be 'centered' or 'forward'; got {method!r}")
    grad = np.zeros_like(x)
    fx = float(f(x)) if method == "forward" else None
    for ix in np.ndindex(x.shape):
        old = x[ix].copy()
        x[ix] = old + h
        f_plus = float(f(x))
        if method == "centered":
            x[ix] = old - h
            grad[ix] = (f_plus - float(f(x))) / (2 * h)
        else:
            grad[ix] = (f_plus - fx) / h
        x[ix] = old
    return grad
    ### END SOLUTION


# %% visible id="numerical-gradient-visible" points=1
# Visible tests for numerical_gradient.
x = np.array([1.0, -2.0, 3.0])
testing.assert_close(numerical_gradient(lambda v: float(np.sum(v ** 2)), x), [2.0, -4.0, 6.0],
                     name="centered gradient of sum(x^2) at [1, -2, 3]", atol=1e-6)
testing.assert_close(x, [1.0, -2.0, 3.0], name="x after the call", hint="Put every entry back.")
# the forward difference of x^3 at 1 is 3 + 3h + h^2: visibly different from the centered 3 + h^2
g_fwd = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), h=1e-3, method="forward")
g_ctr = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1.0]), h=1e-3, method="centered")
testing.assert_close(g_fwd, [3.003001], name="forward difference of x^3 at 1 (h=1e-3)", rtol=1e-6)
testing.assert_close(g_ctr, [3.000001], name="centered difference of x^3 at 1 (h=1e-3)", rtol=1e-6)
# a 2-D x and the number of evaluations: forward D + 1, centered 2D
calls = []
def f_counted(v):
    calls.append(1)
    return float(np.sum(v * np.arange(6.0).reshape(2, 3)))
g = numerical_gradient(f_counted, np.zeros((2, 3)), method="forward")
testing.assert_close(g, np.arange(6.0).reshape(2, 3), name="forward gradient on a (2, 3) array", atol=1e-6)
assert len(calls) == 7, f"forward differences on 6 entries should call f 7 times (D + 1), not {len(calls)}"
calls.clear()
numerical_gradient(f_counted, np.zeros((2, 3)))
assert len(calls) == 12, f"centered differences on 6 entries should call f 12 times (2D), not {len(calls)}"
try:
    numerical_gradient(f_counted, np.zeros(2), method="backward")
except ValueError:
    pass
else:
    raise AssertionError("method='backward' should raise ValueError")
print("numerical_gradient: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("numerical_gradient", numerical_gradient, cases="visible")
### END HIDDEN TESTS

# %% hidden id="numerical-gradient-hidden" points=2
# Hidden tests: the grader checks `numerical_gradient` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("numerical_gradient", numerical_gradient, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# ### What it costs
#
# The gradient with respect to all of `W` needs D·C + 1 = 30,731 loss evaluations with forward differences
# (twice as many centered) — for **one** step. Below: the numerical gradient for the first `k` rows of `W`
# (k = 5 on the full run: 50 entries, the rest held fixed) against the analytic gradient of your SVM
# loss, the number of evaluations, and what the whole `W` would cost. A small `h` = 1e-7 keeps most
# margins from crossing a kink during the check.

# %%
require(svm_loss_vectorized, numerical_gradient)
W = (1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))).astype(np.float64)
X64 = X_fit.astype(np.float64)
_, dW = svm_loss_vectorized(W, X64, y_fit, 0.0)
calls = []
k = S.pick(full=5, synthetic=2, grading=1)   # rows of W to differentiate numerically

def loss_of_top_rows(top):
    calls.append(1)
    W_full = W.copy()
    W_full[:k] = top
    return svm_loss_vectorized(W_full, X64, y_fit, 0.0)[0]

top = W[:k].copy()
for method in ["forward", "centered"]:
    calls.clear()
    t0 = time.perf_counter()
    g = numerical_gradient(loss_of_top_rows, top, h=1e-7, method=method)
    seconds = time.perf_counter() - t0
    err = np.linalg.norm(g - dW[:k]) / np.linalg.norm(g + dW[:k])
    print(f"{method:<9} {len(calls):4d} evaluations in {seconds:.2f} s, relative error vs analytic {err:.1e}")
per_eval = seconds / len(calls)
print(f"whole W, forward: {D * C + 1} evaluations ~ {per_eval * (D * C + 1):.0f} s for ONE gradient "
      f"(analytic: one evaluation, ~{1e3 * per_eval:.1f} ms)")

# %% [markdown]
# ## 4. The step size
#
# The gradient gives a direction, not a distance. From a random `W`, take one step of size $\eta$ along
# $-\nabla L$ for $\eta = 10^{-10}, \dots, 10^{-1}$ and look at the new loss (the course notes show the
# same table for their data: tiny steps barely help, a middle range helps most, big steps overshoot).

# %%
require(svm_loss_vectorized)
W = 1e-4 * np.random.default_rng(S.seed).standard_normal((D, C)).astype(np.float32)
loss_original, df = svm_loss_vectorized(W, X_fit, y_fit, 0.0)
print(f"original loss: {loss_original:.6f}")
for step_size_log in range(-10, 0):
    step_size = 10.0 ** step_size_log
    loss_new = svm_loss(W - step_size * df)
    print(f"step size {step_size:.0e}  new loss {loss_new:14.6f}")

# %% [markdown]
# ## 5. Full-batch gradient descent versus minibatch SGD
#
# Same learning rate, same regularization, the same wall-clock budget each. Full-batch descent computes the
# exact gradient on all training examples per step; minibatch SGD takes many cheap, noisy steps. The loss
# plotted is the full objective on the fitting examples, measured outside the timed part.

# %%
require(svm_loss_vectorized)
budget_s = S.pick(full=3.0, synthetic=0.5, grading=0.01)
lr, reg = 1e-7, 2.5e4
X_eval, y_eval = X_train[:n_fit], y_train[:n_fit]
W0 = (1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))).astype(np.float32)

def race(batch_size):
    rng = np.random.default_rng(S.seed)
    W, elapsed, curve, steps = W0, 0.0, [], 0
    curve.append((0.0, svm_loss_vectorized(W, X_eval, y_eval, reg)[0]))
    while elapsed < budget_s:
        t0 = time.perf_counter()
        for _ in range(1 if batch_size is None else S.pick(full=20, synthetic=10, grading=5)):
            if batch_size is None:
                _, dW = svm_loss_vectorized(W, X_train, y_train, reg)
            else:
                idx = rng.choice(len(X_train), size=batch_size, replace=True)
                _, dW = svm_loss_vectorized(W, X_train[idx], y_train[idx], reg)
            W = W - lr * dW
            steps += 1
        elapsed += time.perf_counter() - t0
        curve.append((elapsed, svm_loss_vectorized(W, X_eval, y_eval, reg)[0]))
    return np.array(curve), steps

print(f"{'method':<22}{'steps':>7}{'final loss':>12}")
for batch_size in [None, 32, 64, 128, 256]:
    curve, steps = race(batch_size)
    name = f"full batch ({len(X_train)})" if batch_size is None else f"SGD, batch {batch_size}"
    plt.plot(curve[:, 0], curve[:, 1], label=name)
    print(f"{name:<22}{steps:>7}{curve[-1, 1]:>12.3f}")
plt.xlabel("seconds")
plt.ylabel("loss")
plt.yscale("log")
plt.legend(fontsize=8)
plt.title("loss against time", fontsize=9)
plt.show()

# %% [markdown]
# **Q1.** Which method reaches a low loss first, and why? What would change if we counted steps instead
# of seconds?

# %% answer [markdown] id="q-gd-vs-sgd" points=1
# ### BEGIN SOLUTION
# Minibatch SGD wins on time: a step costs batch/N of a full-batch step, and because neighbouring images
# are redundant the small-batch gradient points almost as well downhill, so it makes many more useful
# steps in the same time. Per step, full-batch descent is better (its gradient is exact and its curve is
# smooth), and larger batches give less noisy SGD curves; the cost per step is what decides the race.
# ### END SOLUTION

# %% [markdown]
# ## 6. SGD with momentum
#
# The student notes name "GD with momentum" as the first improvement of the plain step rule. Instead of
# stepping along the current gradient, keep a **velocity** that accumulates the past gradients:
#
# $$v \leftarrow \mu v - \eta \nabla_W L, \qquad W \leftarrow W + v, \qquad v = 0 \text{ at the start.}$$
#
# $\mu$ (typically 0.9) is a friction: $\mu = 0$ is plain SGD. Where successive gradients agree the steps
# grow towards $\eta / (1 - \mu)$; where they alternate (across a narrow valley, or minibatch noise) they
# partly cancel. `cs231n_lite.optim.sgd(..., momentum=mu)` implements the rule. Both runs below get the same
# budget: the same number of steps on the same minibatches (same seed) with the same learning rate and
# regularization as in section 5.

# %%
require(svm_loss_vectorized)
from cs231n_lite import optim

steps = S.pick(full=300, synthetic=150, grading=5)
W0 = (1e-4 * np.random.default_rng(S.seed).standard_normal((D, C))).astype(np.float32)
runs = {}
for mu in [0.0, 0.9]:
    t0 = time.perf_counter()
    runs[mu] = optim.sgd(svm_loss_vectorized, W0, X_train, y_train, learning_rate=1e-7, reg=2.5e4,
                         num_evals=steps, batch_size=200, seed=S.seed, momentum=mu)
    r = runs[mu]
    print(f"momentum {mu:.1f}: {steps} steps in {time.perf_counter() - t0:.1f} s, minibatch loss "
          f"{r.history[0]:.2f} -> {np.mean(r.history[-10:]):.2f} (mean of the last 10), "
          f"test accuracy {accuracy(r.W, X_test, y_test):.3f}")
fig, axes = plt.subplots(1, 2, sharey=True)
for ax, (mu, r) in zip(axes, runs.items(), strict=True):
    ax.plot(r.history)
    ax.set_title("plain SGD" if mu == 0 else f"SGD with momentum {mu}", fontsize=9)
    ax.set_xlabel("step")
axes[0].set_ylabel("minibatch loss")
plt.show()

# %% [markdown]
# With momentum the loss falls much faster at the same learning rate: most of the early loss here is the
# regularization term, whose gradient points the same way step after step, so the velocity builds up to
# about ten times the plain step. Part of the gain is just that larger effective step; tuning $\eta$ for
# plain SGD closes some of the gap, but momentum also smooths the minibatch noise, which a larger $\eta$
# alone would amplify.

# %% [markdown]
# **Done.** That is the whole linear-classifier pipeline: scores, losses, gradients and optimization.
