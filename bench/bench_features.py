"""Benchmark: a linear SVM on image features (HOG + hue histogram) vs the same SVM on raw pixels.

The whole notebook-05 pipeline on the full CIFAR-10 split (49,000 train / 1,000 val / 1,000 test):

1. features of all 51,000 images -- scikit-image HOG (9 orientations, 8x8 cells, 2x2 blocks: 324 numbers)
   plus a 10-bin hue histogram -- with ``cs231n_lite.features.extract_features`` on every core, from a
   COLD cache (a fresh temporary folder), then once more from the warm cache;
2. ``normalize_features`` (training mean / std, bias column);
3. ``lr_reg_search(LinearSVM, ...)``: 4 learning rates x 3 regularization strengths, 1500 SGD steps each;
4. the baseline: the same search on mean-subtracted raw pixels (3,073 numbers, the grid of
   bench_search.py), on the same split, in the same run.

Targets (issue 11): feature validation accuracy >= 0.44, at least 5 points above raw pixels, and steps
1-3 (the full-data feature run, extraction included) in <= 180 s on 2 cores.  Exits with status 1 when a
target is missed.  Run: ``.venv/bin/python bench/bench_features.py`` (needs the real data: ``make data``
or ``make data-shared``).
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time

from _common import load_cifar, machine_note

from cs231n_lite import features
from cs231n_lite.classifiers import LinearSVM
from cs231n_lite.optim import lr_reg_search
from cs231n_lite.reference.features import color_histogram_hsv

FEATURE_GRID = {"learning_rates": [1e-3, 3e-3, 1e-2, 3e-2], "regs": [1e-3, 1e-2, 1e-1]}
PIXEL_GRID = {"learning_rates": [5e-7, 1e-6, 2e-6, 4e-6], "regs": [3e2, 1e3, 3e3]}
NUM_ITERS, BATCH = 1500, 200
TARGET_VAL, TARGET_GAIN, TARGET_SECONDS = 0.44, 0.05, 180.0


def _search(X, y, X_val, y_val, grid):
    t = time.perf_counter()
    res = lr_reg_search(LinearSVM, X, y, X_val, y_val, num_iters=NUM_ITERS, batch_size=BATCH, **grid)
    return res, time.perf_counter() - t


def main():
    print(machine_note())
    start = time.perf_counter()
    images = features.load_cifar10_images(49000, 1000, 1000)
    fns = [features.hog_features, functools.partial(color_histogram_hsv, nbin=10)]
    splits = ("X_train", "X_val", "X_test")

    with tempfile.TemporaryDirectory(prefix="bench-features-") as cache:
        t = time.perf_counter()
        feats = {s: features.extract_features(images[s], fns, cache=True, cache_dir=cache) for s in splits}
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        again = {s: features.extract_features(images[s], fns, cache=True, cache_dir=cache, progress=False) for s in splits}
        t_warm = time.perf_counter() - t
    assert all((again[s] == feats[s]).all() for s in splits)
    n_images = sum(len(images[s]) for s in splits)
    print(
        f"features: {n_images:,} images -> {feats['X_train'].shape[1]} numbers each; cold {t_cold:.1f} s "
        f"({n_images / t_cold:,.0f} images/s), from the cache {t_warm:.2f} s ({t_cold / t_warm:.0f}x faster)"
    )
    t = time.perf_counter()
    F_train, F_val, F_test = features.normalize_features(feats["X_train"], feats["X_val"], feats["X_test"])
    t_norm = time.perf_counter() - t
    feat_res, t_feat_search = _search(F_train, images["y_train"], F_val, images["y_val"], FEATURE_GRID)
    feature_seconds = time.perf_counter() - start - t_warm  # load + cold extraction + normalize + search
    print(f"\nSVM on features ({F_train.shape[1]} columns): {len(feat_res.rows)} pairs in {t_feat_search:.1f} s")
    print(feat_res.table())

    t = time.perf_counter()
    pixels, source = load_cifar()
    t_pixels_load = time.perf_counter() - t
    pix_res, t_pix_search = _search(pixels["X_train"], pixels["y_train"], pixels["X_val"], pixels["y_val"], PIXEL_GRID)
    print(f"\nSVM on raw pixels ({source}; {pixels['X_train'].shape[1]} columns): {len(pix_res.rows)} pairs in {t_pix_search:.1f} s")
    print(pix_res.table())

    assert (pixels["y_val"] == images["y_val"]).all(), "the two pipelines must use the same split"
    f_val, p_val = feat_res.best["val_acc"], pix_res.best["val_acc"]
    f_test = float((feat_res.best_model.predict(F_test) == images["y_test"]).mean())
    X_test_pix, y_test_pix = _pixel_test(pixels)
    p_test = float((pix_res.best_model.predict(X_test_pix) == y_test_pix).mean())
    gain = f_val - p_val
    checks = [
        (f_val >= TARGET_VAL, f"feature val accuracy {f_val:.3f} >= {TARGET_VAL}"),
        (gain >= TARGET_GAIN, f"gain over raw pixels {100 * gain:+.1f} points >= +{100 * TARGET_GAIN:.0f}"),
        (feature_seconds <= TARGET_SECONDS, f"full-data feature run {feature_seconds:.1f} s <= {TARGET_SECONDS:.0f} s"),
    ]
    print("\nsummary:")
    print(
        f"  features (HOG + hue): val {f_val:.3f}, test {f_test:.3f} (lr {feat_res.best['learning_rate']:.0e}, "
        f"reg {feat_res.best['reg']:.0e})"
    )
    print(
        f"  raw pixels:           val {p_val:.3f}, test {p_test:.3f} (lr {pix_res.best['learning_rate']:.0e}, "
        f"reg {pix_res.best['reg']:.0e})"
    )
    print(
        f"  times: extraction {t_cold:.1f} s cold / {t_warm:.2f} s cached, normalize {t_norm:.2f} s, feature search "
        f"{t_feat_search:.1f} s, pixel load {t_pixels_load:.1f} s + search {t_pix_search:.1f} s; "
        f"feature search is {t_pix_search / t_feat_search:.1f}x faster than the pixel search"
    )
    for ok, text in checks:
        print(f"  {'meets' if ok else 'MISSES'}: {text}")
    print(f"total {time.perf_counter() - start:.1f} s\n" + machine_note())
    return 0 if all(ok for ok, _ in checks) else 1


def _pixel_test(pixels):
    if "X_test" in pixels:
        return pixels["X_test"], pixels["y_test"]
    from cs231n_lite.datasets import get_cifar10_data

    d = get_cifar10_data(49000, 1000, 1000, 0)
    return d["X_test"], d["y_test"]


if __name__ == "__main__":
    sys.exit(main())
