# %% [markdown]
# # 01 · Linear scores and loss functions
#
# A linear classifier gives every class a **score** and a **loss function** says how unhappy we are with
# those scores. This notebook rebuilds every worked number of the lecture from code you run: the
# 2-pixel bias trick, the cat/car/frog score table, the multiclass SVM (hinge) loss, regularization and
# the softmax / cross-entropy loss.
#
# **Your TODOs** (each followed by a test cell you can run, plus hidden tests the grader runs):
# `hinge_loss` · `softmax` · `cross_entropy_loss`. Cells titled **Your answer** are read by a TA:
# two or three sentences are enough.
#
# Run the cells in order. Cells that need an unfinished TODO stop with
# `finish TODO ... first` and name the cell to complete.
#
# **How points are earned.** Each TODO earns the points of the two locked test cells right after it: 1 for
# the visible test, 2 for the hidden test. The visible asserts are your self-check (nbgrader's *Validate*
# runs them too), but when the course grades, nothing evaluated in your notebook decides a point: the
# course's trusted grader calls your function with inputs it chooses — the visible cases for the visible
# cell's point, hidden cases for the hidden test — and compares the values it gets back with the reference
# solution, outside your notebook. Written answers (**Your answer** cells) are graded by a TA, 1 point each.

# %%
import numpy as np

from cs231n_lite import session, testing
from cs231n_lite.testing import require

S = session.start("01_scores_and_losses")
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The score function $f(x, W) = Wx + b$
#
# `W` has one row per class, so $Wx$ is one score per class, and `b` shifts each class's score
# independently of the input. The lecture's toy image has 2 pixels and there are 2 classes.
#
# **Bias trick.** Appending a constant 1 to $x$ and the column $b$ to $W$ gives the same scores with a
# single matrix product $[W\,|\,b]\,[x; 1]$: the classifier then has only one parameter array.

# %%
# NBVAL_CHECK_OUTPUT
x = np.array([2.0, 2.0])
W = np.array([[1.0, 4.0], [5.0, 3.0]])
b = np.array([-12.0, 0.0])

scores = W @ x + b
W_ext = np.hstack([W, b[:, None]])   # (C, D+1): bias as the last column
x_ext = np.append(x, 1.0)            # (D+1,): constant 1 as the last entry
scores_ext = W_ext @ x_ext

print("Wx + b        =", scores)
print("[W|b] [x; 1]  =", scores_ext)
assert np.array_equal(scores, scores_ext)

# %% [markdown]
# ## 2. Three images, three classes
#
# The lecture's table: one **column per example** (a cat, a car and a frog image), one row per class
# score. We keep it as an array `S_table` of shape (C, N) = (3, 3) so `S_table[:, i]` is the score
# vector of example `i`.

# %%
# NBVAL_CHECK_OUTPUT
classes = ["cat", "car", "frog"]
S_table = np.array([[3.2, 1.3, 2.2],
                    [5.1, 4.9, 2.5],
                    [-1.7, 2.0, -3.1]])
y_table = np.array([0, 1, 2])   # the cat image is a cat, the car a car, the frog a frog

print("score     " + "".join(f"{c + ' image':>12}" for c in classes))
for c, row in zip(classes, S_table, strict=True):
    print(f"{c:<10}" + "".join(f"{v:>12.1f}" for v in row))


# %% [markdown]
# ## 3. Multiclass SVM (hinge) loss
#
# For one example with score vector $s$ and correct class $y$, every wrong class $j$ that is not at
# least a margin $\Delta = 1$ below the correct score adds its shortfall:
#
# $$L = \sum_{j \neq y} \max(0,\; s_j - s_y + 1).$$
#
# ### TODO `hinge_loss`
# Write `hinge_loss(scores, y)` for **one** example: `scores` is an array of shape (C,), `y` an int.
# Return a Python `float`. A loop over classes is fine; a vectorized line is nicer. Do not count the
# correct class.

# %% todo id="hinge-loss"
def hinge_loss(scores, y):
    """Multiclass SVM loss of one example (margin 1).

    scores : array of shape (C,); y : int in [0, C). Returns a float.
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    margins = np.maximum(0.0, scores - scores[y] + 1.0)
    margins[y] = 0.0
    return float(margins.sum())
    ### END SOLUTION


# %% visible id="hinge-loss-visible" points=1
# Visible tests for hinge_loss: the three columns of the lecture's table. For each column: the lecture's loss,
# and what two classic slips would give instead (so the message can name the slip): no max(0, .) and no delta.
for i, (expected, no_max, no_delta) in enumerate([(2.9, -1.0, 1.9), (0.0, -4.5, 0.0), (12.9, 12.9, 10.9)]):
    testing.assert_close(hinge_loss(S_table[:, i], y_table[i]), expected,
                         name=f"hinge_loss({classes[i]} column)",
                         hint="Sum max(0, s_j - s_y + 1) over the WRONG classes j only.",
                         mistakes={"The correct class was counted too: its term max(0, s_y - s_y + 1) adds 1; "
                                   "skip j == y.": expected + 1,
                                   "The max(0, ...) is missing: a negative margin must count as 0.": no_max,
                                   "The margin delta = 1 is missing: max(0, s_j - s_y + 1).": no_delta})
testing.assert_close(hinge_loss(np.zeros(10), 3), 9.0, name="hinge_loss(all scores equal, C=10)",
                     hint="With equal scores every wrong class adds exactly 1.")
assert isinstance(hinge_loss(S_table[:, 0], 0), float), "hinge_loss must return a Python float"
print("hinge_loss: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="visible")
### END HIDDEN TESTS

# %% hidden id="hinge-loss-hidden" points=2
# Hidden tests: the grader checks `hinge_loss` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("hinge_loss", hinge_loss, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The loss over the data set is the **mean** of the per-example losses:

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
per_example = [hinge_loss(S_table[:, i], y_table[i]) for i in range(3)]
print("per-example losses:", ", ".join(f"{v:.1f}" for v in per_example))
print(f"L = ({' + '.join(f'{v:.1f}' for v in per_example)}) / 3 = {np.mean(per_example):.2f}")

# %% [markdown]
# ## 4. Questions about the hinge loss, as experiments
#
# Each question below has a cell that tries it out. Run it, then answer in your own words.
#
# **Q1.** The car image already has loss 0. What happens if its car score drops a little, by 0.5?

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
car = S_table[:, 1].copy()
car_moved = car.copy()
car_moved[1] -= 0.5
print("car column", car, "-> loss", hinge_loss(car, 1))
print("car score -0.5", car_moved, "-> loss", hinge_loss(car_moved, 1))

# %% answer [markdown] id="q-car-score" points=1
# ### BEGIN SOLUTION
# Nothing changes: the car score (4.9) beats the others by more than the margin (1.3 + 1 and
# 2.0 + 1), so after lowering it to 4.4 every term is still max(0, negative) = 0. The hinge loss
# ignores changes that keep all margins satisfied.
# ### END SOLUTION

# %% [markdown]
# **Q2.** What are the smallest and largest possible values of the hinge loss?

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
for big in [10, 100, 1000]:
    print(f"correct score +{big:<5} loss = {hinge_loss(np.array([big, 0.0, 0.0]), 0):8.1f}   "
          f"wrong score +{big:<5} loss = {hinge_loss(np.array([0.0, big, 0.0]), 0):8.1f}")

# %% answer [markdown] id="q-min-max" points=1
# ### BEGIN SOLUTION
# The minimum is 0 (every wrong class at least 1 below the correct one); there is no maximum: the
# loss grows linearly without bound as a wrong score rises above the correct one, so the range is
# [0, ∞).
# ### END SOLUTION

# %% [markdown]
# **Q3.** At initialization `W` is small, so all scores are close to 0. What loss do you expect?

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
rng = np.random.default_rng(0)
for C in [3, 10]:
    losses = [hinge_loss(0.001 * rng.standard_normal(C), int(rng.integers(C))) for _ in range(1000)]
    print(f"C = {C:2d}: mean loss with tiny scores = {np.mean(losses):.2f}  (C - 1 = {C - 1})")

# %% answer [markdown] id="q-init-loss" points=1
# ### BEGIN SOLUTION
# About C − 1: each of the C − 1 wrong classes contributes max(0, 0 − 0 + 1) = 1. Seeing ≈ C − 1
# (9 for CIFAR-10) at the first iteration is a cheap sanity check of a new implementation.
# ### END SOLUTION

# %% [markdown]
# **Q4.** What if the sum also included the correct class $j = y$?

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
def hinge_all_classes(scores, y):
    return float(np.sum(np.maximum(0.0, scores - scores[y] + 1.0)))

for i in range(3):
    s = S_table[:, i]
    print(f"{classes[i]:>4}: without j=y {hinge_loss(s, y_table[i]):5.2f}   "
          f"with j=y {hinge_all_classes(s, y_table[i]):5.2f}")

# %% answer [markdown] id="q-all-classes" points=1
# ### BEGIN SOLUTION
# The extra term is max(0, s_y − s_y + 1) = 1 for every example, so the loss goes up by exactly 1
# (mean 6.27 instead of 5.27). The best W does not change, but the minimum becomes 1 instead of 0,
# which is why the convention leaves j = y out.
# ### END SOLUTION

# %% [markdown]
# **Q5.** What if we summed the per-example losses instead of taking the mean?

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
per_example = np.array([hinge_loss(S_table[:, i], y_table[i]) for i in range(3)])
print(f"mean = {per_example.mean():.2f}, sum = {per_example.sum():.2f}, ratio = {per_example.sum() / per_example.mean():.0f} (= N)")

# %% answer [markdown] id="q-mean-sum" points=1
# ### BEGIN SOLUTION
# The sum is N times the mean: a constant rescaling, so the same W minimizes both. In practice it only
# changes the scale of the gradient, i.e. which learning rate (and regularization strength) works.
# ### END SOLUTION

# %% [markdown]
# **Q6.** What about the squared hinge $\sum_{j\neq y} \max(0, s_j - s_y + 1)^2$?
#
# Two score vectors, correct class 0: (a) one wrong class 1.5 above the correct one; (b) two wrong
# classes 0.5 above it.

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
def squared_hinge(scores, y):
    m = np.maximum(0.0, scores - scores[y] + 1.0)
    m[y] = 0.0
    return float(np.sum(m ** 2))

a = np.array([0.0, 1.5, -5.0])
b = np.array([0.0, 0.5, 0.5])
for name, s in [("a", a), ("b", b)]:
    print(f"({name}) hinge = {hinge_loss(s, 0):.2f}   squared hinge = {squared_hinge(s, 0):.2f}")

# %% answer [markdown] id="q-squared-hinge" points=1
# ### BEGIN SOLUTION
# It is a different loss, not a rescaling: squaring punishes one large violation much more than several
# small ones. Above, the plain hinge prefers (a) (2.50 < 3.00) while the squared hinge prefers (b)
# (4.50 < 6.25), so the two losses can pick different weights.
# ### END SOLUTION

# %% [markdown]
# **Q7.** Suppose some W gives zero loss. Is it unique? Try 2W on the car example (scores scale with W).

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss)
car = S_table[:, 1]
for k in [1, 2, 10]:
    print(f"{k:2d}W: scores {k * car} -> loss {hinge_loss(k * car, 1):.1f}")


# %% answer [markdown] id="q-2w" points=1
# ### BEGIN SOLUTION
# No: scaling W scales every score and every margin, so 2W (and any λW with λ ≥ 1) also has zero loss.
# The data loss alone cannot choose among them; regularization expresses which one we prefer
# (e.g. the smallest weights).
# ### END SOLUTION

# %% [markdown]
# ## 5. Regularization
#
# The full loss adds a penalty on the weights: $L = \frac1N\sum_i L_i + \lambda R(W)$ with
#
# - L2: $R(W) = \sum W^2$ (spreads weight over many inputs),
# - L1: $R(W) = \sum |W|$ (prefers few non-zero weights),
# - elastic net: $R(W) = \sum \beta W^2 + |W|$.
#
# The lecture's example: two weight vectors give **the same score** on $x = [1, 1, 1, 1]$.

# %%
# NBVAL_CHECK_OUTPUT
def l2(w):
    return float(np.sum(w * w))

def l1(w):
    return float(np.sum(np.abs(w)))

def elastic_net(w, beta=0.5):
    return float(np.sum(beta * w * w + np.abs(w)))

x = np.ones(4)
w1 = np.array([1.0, 0.0, 0.0, 0.0])
w2 = np.array([0.25, 0.25, 0.25, 0.25])
print(f"scores: w1.x = {w1 @ x:.2f}, w2.x = {w2 @ x:.2f}")
for name, R in [("L2", l2), ("L1", l1), ("elastic (beta=0.5)", elastic_net)]:
    r1, r2 = R(w1), R(w2)
    pref = "prefers w1" if r1 < r2 else "prefers w2" if r2 < r1 else "tie"
    print(f"{name:<19} R(w1) = {r1:.3f}  R(w2) = {r2:.3f}  -> {pref}")


# %% [markdown]
# L2 prefers `w2`, which uses all four inputs a little, over `w1`, which relies on a single one: spread-out
# weights make the classifier less sensitive to any one pixel. L1 cannot tell them apart here.

# %% [markdown]
# ## 6. Softmax and cross-entropy
#
# Softmax reads the scores as unnormalized log-probabilities:
# $P(Y = k \mid x) = e^{s_k} / \sum_j e^{s_j}$. The cross-entropy loss of one example is the negative
# (natural) log of the probability of the correct class, $L = -\log P(Y = y \mid x)$.
#
# **Numerical stability.** $e^{1000}$ overflows. Because softmax does not change when the same constant
# is subtracted from all scores, compute it on `scores - scores.max()` (the largest exponent is then
# $e^0 = 1$).
#
# ### TODO `softmax`
# `softmax(scores)`: `scores` is an array of shape (C,) **or** (N, C); return the probabilities along the
# last axis, same shape and dtype (float32 in, float32 out). Use the max-shift.

# %% todo id="softmax"
def softmax(scores):
    """Probabilities along the last axis of an array of shape (C,) or (N, C) (max-shifted)."""
    ### BEGIN SOLUTION
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)
    ### END SOLUTION


# %% visible id="softmax-visible" points=1
# Visible tests for softmax.
cat = S_table[:, 0]
testing.assert_close(softmax(cat), [0.13, 0.87, 0.00], name="softmax(cat column)", atol=0.005,
                     hint="exp each score, then divide by the sum of the exps.",
                     mistakes={"These are exp(scores) (24.5, 164.0, 0.18): divide them by their sum.": np.exp(cat),
                               "These are scores / sum(scores): take np.exp first, then normalize.": cat / cat.sum()})
testing.assert_close(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5], name="softmax([1000, 1000])",
                     hint="Subtract scores.max() before np.exp to avoid overflow.")
batch = softmax(S_table.T)   # (N, C): one example per row
testing.assert_close(batch.sum(axis=1), np.ones(3), name="row sums of softmax(array (N, C))",
                     hint="Normalize along the LAST axis (axis=-1, keepdims=True).",
                     mistakes={"Each COLUMN sums to 1: you normalized along axis 0; use axis=-1.":
                               lambda row_sums: np.allclose(np.sum(batch, axis=0), 1.0)})
testing.assert_close(batch[0], softmax(cat), name="softmax row 0 vs softmax of one example")
assert softmax(S_table.T.astype(np.float32)).dtype == np.float32, "keep the dtype of scores (float32 in, float32 out)"
print("softmax: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax", softmax, cases="visible")
### END HIDDEN TESTS

# %% hidden id="softmax-hidden" points=2
# Hidden tests: the grader checks `softmax` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("softmax", softmax, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# ### TODO `cross_entropy_loss`
# `cross_entropy_loss(scores, y)` for one example (scores of shape (C,), int `y`): return
# $-\log$ (natural log) of the softmax probability of class `y` as a float. It must stay finite for huge
# scores: use $\log \sum_j e^{s_j - m} + m - s_y$ with $m = \max_j s_j$ rather than the log of a
# probability that underflowed to 0.

# %% todo id="cross-entropy"
def cross_entropy_loss(scores, y):
    """Softmax cross-entropy loss of one example (natural log), computed stably."""
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    shifted = scores - scores.max()
    return float(np.log(np.sum(np.exp(shifted))) - shifted[y])
    ### END SOLUTION


# %% visible id="cross-entropy-visible" points=1
# Visible tests for cross_entropy_loss.
testing.assert_close(cross_entropy_loss(S_table[:, 0], 0), 2.0404, name="cross_entropy_loss(cat column)",
                     atol=1e-3, hint="-log(softmax(scores)[y]) with the NATURAL log (np.log).",
                     mistakes={"That is log10: the loss uses the natural log, np.log.": 2.0404 / np.log(10),
                               "The sign is flipped: the loss is MINUS the log-probability.": -2.0404,
                               "That is -log of the car's probability 0.87 (the highest score), not of the correct "
                               "class y.": -np.log(0.86905)})
testing.assert_close(cross_entropy_loss(np.zeros(10), 4), np.log(10), name="cross_entropy_loss(zeros, C=10)")
testing.assert_close(cross_entropy_loss(np.array([0.0, 1000.0]), 0), 1000.0,
                     name="cross_entropy_loss([0, 1000], y=0)",
                     hint="Work with shifted scores: log(sum(exp(s - m))) - (s_y - m).")
assert isinstance(cross_entropy_loss(S_table[:, 0], 0), float), "return a Python float"
print("cross_entropy_loss: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("cross_entropy_loss", cross_entropy_loss, cases="visible")
### END HIDDEN TESTS

# %% hidden id="cross-entropy-hidden" points=2
# Hidden tests: the grader checks `cross_entropy_loss` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("cross_entropy_loss", cross_entropy_loss, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# The lecture's cat example, step by step: scores → exp → normalize → −log.

# %%
# NBVAL_CHECK_OUTPUT
require(softmax, cross_entropy_loss)
cat = S_table[:, 0]
e = np.exp(cat)
print("scores        ", cat)
print("exp           ", ", ".join(f"{v:.2f}" for v in e))
print("probabilities ", ", ".join(f"{v:.2f}" for v in softmax(cat)))
print(f"L_cat = -ln({softmax(cat)[0]:.2f}) = {cross_entropy_loss(cat, 0):.2f}")

# %% [markdown]
# **Q8.** What are the smallest and largest values of the cross-entropy loss? And what is it at
# initialization, when all scores are about equal?

# %%
# NBVAL_CHECK_OUTPUT
require(cross_entropy_loss)
for big in [1, 10, 100]:
    print(f"correct score +{big:<4} loss = {cross_entropy_loss(np.array([big, 0.0, 0.0]), 0):.4g}   "
          f"correct score -{big:<4} loss = {cross_entropy_loss(np.array([-big, 0.0, 0.0]), 0):.4g}")
rng = np.random.default_rng(0)
init = np.mean([cross_entropy_loss(0.001 * rng.standard_normal(10), 3) for _ in range(1000)])
print(f"C = 10, tiny scores: loss = {init:.3f}, log(10) = {np.log(10):.3f}")

# %% answer [markdown] id="q-softmax-range" points=1
# ### BEGIN SOLUTION
# The loss lies in [0, ∞): it approaches 0 only as the correct probability approaches 1 (never reached
# with finite scores), and grows without bound as that probability goes to 0. With equal scores every
# class has probability 1/C, so the first loss should be log C ≈ 2.30 for CIFAR-10.
# ### END SOLUTION

# %% [markdown]
# ### Cross-entropy is a KL divergence to the one-hot target
#
# With a target distribution $p^*$ (all mass on the correct class) and the model's $\hat p$,
# $KL(p^* \| \hat p) = \sum_y p^*(y)\log p^*(y) - \sum_y p^*(y)\log \hat p(y) = -H(p^*) + H(p^*, \hat p)$.
# A one-hot $p^*$ has entropy $H(p^*) = 0$, so minimizing the KL divergence is minimizing the
# cross-entropy $-\log \hat p(y)$. The lecture's 8-class example has the correct class 4:

# %%
# NBVAL_CHECK_OUTPUT
p_hat = np.array([0.5, 0.01, 0.01, 0.01, 0.01, 0.01, 0.15, 0.3])
p_star = np.zeros(8)
p_star[3] = 1.0   # class 4 (index 3)
nz = p_star > 0   # 0 * log 0 counts as 0
entropy = 0.0 - float(np.sum(p_star[nz] * np.log(p_star[nz]))) + 0.0   # + 0.0 turns -0.0 into 0.0
kl = np.sum(p_star[nz] * np.log(p_star[nz] / p_hat[nz]))
cross_entropy = -np.sum(p_star[nz] * np.log(p_hat[nz]))
print(f"sum(p_hat) = {p_hat.sum():.2f}")
print(f"H(p*) = {entropy:.2f}, KL(p*||p_hat) = {kl:.4f}, H(p*, p_hat) = {cross_entropy:.4f} = -ln(0.01)")

# %% [markdown]
# ## 7. SVM versus softmax on the same scores
#
# The lecture's example: scores (−2.85, 0.86, 0.28) and the **third** class is correct.

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss, softmax, cross_entropy_loss)
s = np.array([-2.85, 0.86, 0.28])
y = 2
p = softmax(s)
print("exp          ", ", ".join(f"{v:.3f}" for v in np.exp(s)))
print("probabilities", ", ".join(f"{v:.3f}" for v in p))
print(f"hinge loss         = {hinge_loss(s, y):.2f}")
print(f"cross-entropy loss = -ln({p[y]:.3f}) = {cross_entropy_loss(s, y):.2f}")
print(f"the slide's 0.452  = -log10({p[y]:.3f}) = {-np.log10(p[y]):.3f}")

# %% [markdown]
# The slide shows 0.452, which is the base-10 logarithm of 0.353. The loss — and the gradient formulas,
# and the `log C ≈ 2.3` sanity check — use the **natural** logarithm, giving 1.04.
#
# Next, three score vectors with class 0 correct, and then the same with the correct score raised from 10
# to 20:

# %%
# NBVAL_CHECK_OUTPUT
require(hinge_loss, cross_entropy_loss)
vectors = [np.array([10.0, -2.0, 3.0]), np.array([10.0, 9.0, 9.0]), np.array([10.0, -100.0, -100.0])]
print(f"{'scores':<24}{'hinge':>8}{'softmax':>12}")
for base in [10.0, 20.0]:
    for v in vectors:
        v = v.copy()
        v[0] = base
        print(f"{str(v.tolist()):<24}{hinge_loss(v, 0):>8.2f}{cross_entropy_loss(v, 0):>12.2e}")

# %% answer [markdown] id="q-svm-vs-softmax" points=1
# ### BEGIN SOLUTION
# The hinge loss is 0 for all six vectors: once the correct class wins by the margin it stops caring, so
# raising 10 to 20 changes nothing. The softmax loss is positive for every vector, largest for
# [10, 9, 9] (the close call), and it keeps shrinking when the correct score goes to 20: it always wants
# more separation.
# ### END SOLUTION

# %% [markdown]
# ## 8. Why the max-shift matters
#
# Scores in the hundreds are common early in training with a large learning rate. Compare a direct
# implementation with yours:

# %%
# NBVAL_CHECK_OUTPUT
require(softmax)
big = np.array([1000.0, 1001.0, 999.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("exp(1000)             =", np.exp(big[0]))
    direct = np.exp(big) / np.exp(big).sum()
print("direct softmax        =", direct)
print("max-shifted (yours)   =", softmax(big))
print("shifted scores        =", big - big.max())

# %% [markdown]
# `exp(1000)` is larger than the biggest float64 (about 1.8e308), so the direct formula computes inf/inf =
# nan. After subtracting the maximum the exponents are at most 0, the largest term is exactly 1 and the
# sum lies between 1 and C, so nothing overflows and the probabilities are unchanged (the common factor
# $e^{-m}$ cancels).
#
# **Done.** Next: `02_svm.ipynb` trains a multiclass SVM on CIFAR-10.
