# %% [markdown]
# # 05 · Image features: what a better input buys a linear classifier
#
# A linear classifier on raw pixels gets stuck below 40 % on CIFAR-10: one template per class cannot
# cope with objects that move, change colour or sit on different backgrounds. Before deep learning, the
# standard remedy was to **describe** each image by a vector of hand-made features and train the same
# linear classifier on those. This notebook builds two of the lecture's three examples:
#
# - a **colour histogram**: which hues the image contains, wherever they are (your TODO);
# - a **histogram of oriented gradients (HOG)**: which edge directions appear in each small region
#   (from scikit-image);
#
# then normalizes the features, trains the multiclass SVM of notebook 02 with a learning-rate ×
# regularization search, and compares it with the same search on raw pixels on the same split. The third
# example, a **bag of visual words**, is a written question at the end.
#
# **Your TODOs:** `color_histogram_hsv`; paste your `svm_loss_vectorized` from 02_svm into the cell
# marked `svm-paste` (not graded here); two written answers. Shapes: N images, each an array of shape
# (32, 32, 3) with RGB values 0..255, so a batch of images is an array of shape (N, 32, 32, 3); F features
# per image.
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
from matplotlib.colors import rgb_to_hsv

from cs231n_lite import features, session, testing
from cs231n_lite.classifiers import LinearSVM
from cs231n_lite.optim import lr_reg_search
from cs231n_lite.testing import require

S = session.start("05_features")
np.set_printoptions(precision=4, suppress=True)
S.setup_plots(figsize=(8, 3))   # in grading mode figures are built but not drawn

# %% [markdown]
# ## 1. Data: images, not rows
#
# Notebooks 02–04 flattened every image into a row of 3,072 numbers and subtracted the mean image.
# Features are computed from the **images** themselves, so we load them unflattened (uint8, same split:
# the first 49,000 training images, the next 1,000 for validation, the first 1,000 test images).

# %%
sizes = {k: S.sizes[k] for k in ("num_training", "num_validation", "num_test")}
images = features.load_cifar10_images(**sizes)
X_train, y_train = images["X_train"], images["y_train"]
X_val, y_val = images["X_val"], images["y_val"]
X_test, y_test = images["X_test"], images["y_test"]
class_names = images["class_names"]
print(f"train {X_train.shape} {X_train.dtype}, val {X_val.shape}, test {X_test.shape}")

# %% [markdown]
# ## 2. A colour histogram
#
# Colour is a strong clue (sky and sea behind planes and ships, green behind frogs and deer) but *where*
# the colour is matters less than *how much* of it there is. A colour histogram keeps only the second:
# convert each pixel to HSV (hue, saturation, value) and count how many pixels fall in each range of
# **hue** — the "which colour" angle around the colour wheel, independent of brightness.
#
# ### TODO `color_histogram_hsv(images, nbin=10, xmin=0, xmax=255, normalized=True)`
#
# - `images`: array of shape (N, H, W, 3), RGB values in [0, `xmax`] (`xmax` is the pixel scale: 255 for
#   uint8 images, 1.0 for images in [0, 1]);
# - hue of every pixel: `rgb_to_hsv(images / xmax)[..., 0]` (already imported from `matplotlib.colors`;
#   it works on a whole batch) lies in [0, 1) — put it on the pixel scale by multiplying by `xmax`;
# - `nbin` equal bins over [`xmin`, `xmax`]: edges `np.linspace(xmin, xmax, nbin + 1)`, each bin
#   `[lo, hi)` except the last, which includes `xmax` (the rule of `np.histogram`); hues below `xmin`
#   are not counted;
# - returns a float array of shape (N, nbin): one row per image; with `normalized=True` each row is divided
#   by its number of counted pixels (so it sums to 1), otherwise it holds pixel counts.
#
# A loop over the images with `np.histogram` is fine; a loop-free version (`np.searchsorted` or
# `np.floor` for the bin of each pixel, then `np.bincount` on `row * nbin + bin`) is faster.

# %% todo id="color-hist"
def color_histogram_hsv(images, nbin=10, xmin=0, xmax=255, normalized=True):
    """Hue histogram of each image: float array of shape (N, nbin) for images of shape (N, H, W, 3)."""
    ### BEGIN SOLUTION
    N = images.shape[0]
    hue = rgb_to_hsv(images / xmax)[..., 0].reshape(N, -1) * xmax
    edges = np.linspace(xmin, xmax, nbin + 1)
    which = np.clip(np.searchsorted(edges, hue, side="right") - 1, 0, nbin - 1)
    counted = hue >= xmin
    flat = (np.arange(N)[:, None] * nbin + which)[counted]
    hist = np.bincount(flat, minlength=N * nbin).reshape(N, nbin).astype(np.float64)
    if normalized:
        hist /= np.maximum(hist.sum(axis=1, keepdims=True), 1)
    return hist
    ### END SOLUTION


# %% visible id="color-hist-visible" points=1
# Visible tests for color_histogram_hsv on one 2x3 image: red, orange, green / blue, purple, grey.
# Hues x 255: red 0, orange 21.3, green 85, blue 170, purple 191.3, grey 0 (no colour: hue 0).
# With 10 bins of width 25.5 they land in bins 0, 0, 3, 6, 7, 0.
image = np.array([[[255, 0, 0], [255, 128, 0], [0, 255, 0]],
                  [[0, 0, 255], [128, 0, 255], [90, 90, 90]]], dtype=np.uint8)[None]
counts = color_histogram_hsv(image, normalized=False)
assert np.shape(counts) == (1, 10), f"expected shape (1, 10) (one row per image, nbin columns), got {np.shape(counts)}"
testing.assert_close(counts, [[3, 0, 0, 1, 0, 0, 1, 1, 0, 0]], name="pixel counts (normalized=False)",
                     hint="Multiply the hue by xmax before binning; bins come from np.linspace(xmin, xmax, nbin + 1).")
testing.assert_close(color_histogram_hsv(image), [[3, 0, 0, 1, 0, 0, 1, 1, 0, 0]] / np.float64(6),
                     name="normalized histogram", hint="Divide each row by its number of counted pixels.")
testing.assert_close(color_histogram_hsv(image, nbin=3, normalized=False), [[3, 1, 2]],
                     name="3 bins (green sits on the edge 85: it starts bin 1)")
batch = np.random.default_rng(0).integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
rows = color_histogram_hsv(batch)
assert np.shape(rows) == (4, 10), f"expected shape (4, 10) for a batch of 4 images, got {np.shape(rows)}"
testing.assert_close(np.sum(rows, axis=1), np.ones(4), name="row sums (normalized)")
testing.assert_close(color_histogram_hsv(batch[2:3]), rows[2:3], name="image 2 alone vs in the batch",
                     hint="Each row must only count the pixels of its own image.")
print("color_histogram_hsv: visible tests passed")
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("color_histogram_hsv", color_histogram_hsv, cases="visible")
### END HIDDEN TESTS

# %% hidden id="color-hist-hidden" points=2
# Hidden tests: the grader checks `color_histogram_hsv` on more cases here.
### BEGIN HIDDEN TESTS
from autograder import checks; checks.check("color_histogram_hsv", color_histogram_hsv, cases="hidden")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Histograms of oriented gradients (HOG)
#
# HOG describes shape. At every pixel the image gradient has a direction (across the edge) and a strength.
# The image is cut into cells of 8×8 pixels; each cell gets a 9-bin histogram of its gradient directions
# (0–180°), each pixel voting with its gradient strength. Neighbouring 2×2 cells are then normalized
# together, so a dark and a bright photo of the same edge give similar numbers. A 32×32 image has 4×4
# cells, 3×3 overlapping blocks of 2×2 cells, so 3 · 3 · 2 · 2 · 9 = 324 numbers. We use scikit-image's
# `hog` (`features.hog_features` runs it on a batch) rather than writing it again.
#
# Below: one image, its hue, and its HOG cells (each cell drawn as a star of its dominant orientations).

# %%
from skimage.feature import hog

i = int(np.argmax(y_train[:50] == class_names.index("ship"))) if "ship" in class_names else 0
hog_row = features.hog_features(X_train[i : i + 1])
print(f"HOG features of one image: {hog_row.shape[1]} numbers, {np.mean(hog_row > 0):.0%} of them non-zero")
_, hog_picture = hog(X_train[i].astype(np.float32), orientations=9, pixels_per_cell=(8, 8),
                     cells_per_block=(2, 2), channel_axis=-1, visualize=True)
fig, axes = plt.subplots(1, 3)
axes[0].imshow(X_train[i])
axes[0].set_title(f"image ({class_names[y_train[i]]})", fontsize=9)
axes[1].imshow(rgb_to_hsv(X_train[i] / 255.0)[..., 0], cmap="hsv")
axes[1].set_title("hue", fontsize=9)
axes[2].imshow(hog_picture, cmap="gray")
axes[2].set_title("HOG cells", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. Your SVM loss
#
# Paste your `svm_loss_vectorized` from 02_svm below (the whole `def`). Nothing here is graded; the SVM
# trained below uses it.

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
print("svm_loss_vectorized works")

# %% [markdown]
# ## 5. Features of every image
#
# `features.extract_features(images, [f1, f2, ...])` runs each feature function on chunks of 1,000
# images, in one worker process per core, and puts the outputs side by side: here 324 HOG numbers + 10
# hue bins = 334 features per image. The result is cached in the data folder, keyed by the images and the
# functions' code, so re-running this cell is instant (change your `color_histogram_hsv` and it recomputes).

# %%
require(color_histogram_hsv)
feature_fns = [features.hog_features, color_histogram_hsv]
t0 = time.perf_counter()
F_train = features.extract_features(X_train, feature_fns)
F_val = features.extract_features(X_val, feature_fns)
F_test = features.extract_features(X_test, feature_fns)
print(f"features: train {F_train.shape}, val {F_val.shape}, test {F_test.shape} in {time.perf_counter() - t0:.1f} s")

# %% [markdown]
# ## 6. Normalization
#
# HOG numbers lie in [0, 1] (after block normalization), hue fractions sum to 1 over 10 bins: on such
# different scales SGD with one learning rate would mostly follow the largest features. So every feature
# is shifted to mean 0 and scaled to standard deviation 1 — with the mean and standard deviation of the
# **training** set only, applied unchanged to validation and test (they stand for images never seen) —
# and a constant 1 is appended as the bias column.

# %%
require(color_histogram_hsv)
F_train_n, F_val_n, F_test_n = features.normalize_features(F_train, F_val, F_test)
print(f"normalized train features: mean of the column means {F_train_n[:, :-1].mean():+.3f}, "
      f"mean std {F_train_n[:, :-1].std(axis=0).mean():.3f}; bias column {F_train_n[0, -1]:.0f}")
print(f"validation column means range over [{F_val_n[:, :-1].mean(axis=0).min():+.2f}, "
      f"{F_val_n[:, :-1].mean(axis=0).max():+.2f}] (near 0, not exactly: other images)")

# %% [markdown]
# ## 7. The SVM on features
#
# Same classifier as notebook 02 (`LinearSVM` with your loss), same search: one model per (learning rate,
# regularization) pair, best validation accuracy wins. With normalized features of scale 1 the useful
# learning rates are about 10,000 times larger than on raw pixels (values up to ±130).

# %%
require(svm_loss_vectorized, color_histogram_hsv)
iters = S.pick(full=1500, synthetic=500, grading=30)
t0 = time.perf_counter()
feature_search = lr_reg_search(LinearSVM, F_train_n, y_train, F_val_n, y_val, loss_fn=svm_loss_vectorized,
                               learning_rates=S.pick(full=[1e-3, 3e-3, 1e-2], grading=[3e-3]),
                               regs=S.pick(full=[1e-3, 1e-2, 1e-1], grading=[1e-2]), num_iters=iters)
t_features = time.perf_counter() - t0
print(feature_search.table())
best = feature_search.best
print(f"features: best validation accuracy {best['val_acc']:.3f} "
      f"(lr {best['learning_rate']:.0e}, reg {best['reg']:.0e}); {t_features:.1f} s")

# %% [markdown]
# ### The baseline: raw pixels, same split, same search
#
# The usual CS231n preprocessing (flattened, mean image subtracted, bias column) and a search over the
# learning rates and regularization strengths that suit pixels.

# %%
require(svm_loss_vectorized)
iters = S.pick(full=1500, synthetic=500, grading=30)
pixels = S.load_data()
assert (pixels["y_val"] == y_val).all()  # the same validation images
t0 = time.perf_counter()
pixel_search = lr_reg_search(LinearSVM, pixels["X_train"], pixels["y_train"], pixels["X_val"], pixels["y_val"],
                             loss_fn=svm_loss_vectorized, learning_rates=S.pick(full=[5e-7, 1e-6], grading=[5e-7]),
                             regs=S.pick(full=[1e3, 3e3], grading=[1e3]), num_iters=iters)
t_pixels = time.perf_counter() - t0
print(pixel_search.table())
pixel_val = pixel_search.best["val_acc"]
print(f"raw pixels: best validation accuracy {pixel_val:.3f}; {t_pixels:.1f} s")

# %%
require(svm_loss_vectorized, color_histogram_hsv)
feature_model, pixel_model = feature_search.best_model, pixel_search.best_model
feature_test = float(np.mean(feature_model.predict(F_test_n) == y_test))
pixel_test = float(np.mean(pixel_model.predict(pixels["X_test"]) == pixels["y_test"]))
print(f"{'':12}{'val acc':>9}{'test acc':>10}{'columns':>9}{'search time':>13}")
print(f"{'raw pixels':12}{pixel_val:9.3f}{pixel_test:10.3f}{pixels['X_train'].shape[1]:9d}{t_pixels:12.1f}s")
print(f"{'features':12}{best['val_acc']:9.3f}{feature_test:10.3f}{F_train_n.shape[1]:9d}{t_features:12.1f}s")
print(f"features - pixels: {100 * (best['val_acc'] - pixel_val):+.1f} points of validation accuracy")
S.save_result("features", {"val_accuracy": best["val_acc"], "test_accuracy": feature_test,
                           "pixels_val_accuracy": pixel_val})

# %% [markdown]
# On the real CIFAR-10 (49,000 training images) the features reach about 0.54 validation accuracy against
# about 0.39 for pixels, and their search runs several times faster (`bench/bench_features.py` measures
# both in one run). On the small generated practice set used for checking and grading it is the other way
# round, which is instructive too: each of its classes is a colour pattern at almost the same place in
# every image — exactly what a pixel template matches, and exactly what the two histograms throw away.
#
# Which feature does the work? The same search on each block of columns alone:

# %%
require(svm_loss_vectorized, color_histogram_hsv)
n_hog = features.hog_features(X_train[:1]).shape[1]
blocks = {"HOG only": np.r_[0:n_hog, -1], "hue only": np.r_[n_hog:F_train_n.shape[1]]}
for name, cols in blocks.items():
    part = lr_reg_search(LinearSVM, F_train_n[:, cols], y_train, F_val_n[:, cols], y_val,
                         loss_fn=svm_loss_vectorized, learning_rates=[best["learning_rate"]], regs=[best["reg"]],
                         num_iters=iters)
    print(f"{name:>9}: {len(cols) - 1:3d} features + bias, validation accuracy {part.best['val_acc']:.3f}")

# %% [markdown]
# ## 8. Questions
#
# **Q1.** The classifier is the same linear SVM as in notebook 02, yet it does much better on these 335
# numbers than on 3,073 pixels. Why? And what do features cost — in computation, in what the classifier
# can still learn, and in work for whoever designs them? (A few sentences.)

# %% answer [markdown] id="q-features" points=1
# ### BEGIN SOLUTION
# A linear classifier can only draw one template per class over its input. On pixels the template must
# match an object at a fixed place with fixed colours, so a shifted, recoloured or differently lit object
# scores badly. The features are built to stay the same under exactly those changes: the hue histogram
# ignores where a colour is, HOG ignores brightness and contrast (block normalization) and tolerates small
# shifts (pooling over 8x8 cells). Classes that are mixed together in pixel space become closer to
# linearly separable in feature space, and there are 10x fewer inputs, so training is faster and overfits
# less. The costs: computing them (HOG took most of the run time here, once per image and again for every
# new image at test time), the information they throw away (the hue histogram has no layout, HOG has no
# colour; whatever they drop the classifier can never use), and design work: cell size, bin counts and
# normalization are hand-chosen for this kind of image instead of learned from the data, which is what
# convolutional networks later do.
# ### END SOLUTION

# %% [markdown]
# **Q2. Bag of visual words.** The lecture's third feature borrows from text classification, where a
# document is described by how often each vocabulary word occurs in it. Explain how you would build such a
# "bag of visual words" feature for CIFAR-10 images (what the words are and how you get them, how one image
# becomes a vector), and what it captures that neither the hue histogram nor HOG does.

# %% answer [markdown] id="q-bovw" points=1
# ### BEGIN SOLUTION
# 1. Vocabulary: cut many small patches (e.g. 8x8 pixels, or their HOG/colour descriptors) at random
#    places from the training images and cluster them, e.g. with k-means into K clusters; each cluster
#    centre is a "visual word" (a typical piece of texture, corner or coloured edge). The codebook is
#    learned from the training images only.
# 2. Encoding: for a new image, take its patches (densely, on a grid), assign each to its nearest
#    word, and count how often each word occurs: a K-bin histogram, normalized like the hue histogram.
#    That vector is the input of the linear classifier.
# It describes which local parts occur (an eye, fur, a wheel rim, a wave) regardless of where they are.
# The hue histogram only counts single pixels' colours, and HOG keeps edge directions per fixed cell:
# neither has a notion of a recurring local pattern, and HOG is tied to positions while the bag is not.
# The price: the vocabulary must be learned (k-means over many patches), every image needs a
# nearest-word search per patch, and the spatial layout between the words is lost.
# ### END SOLUTION
