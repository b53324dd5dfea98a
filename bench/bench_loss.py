"""Benchmark: full-batch (49,000 x 3073) vectorized loss + gradient vs its two GEMMs.

For each of ``svm_loss_vectorized`` and ``softmax_loss_vectorized`` (the public, validated
functions) the time of one call is compared with the time of the two matrix products it cannot
avoid, ``S = X @ W`` and ``X.T @ dS`` (target: <= 1.10x).  Runs are interleaved and the best of
several repeats is reported, with the median of paired ratios.

Run: ``.venv/bin/python bench/bench_loss.py``.
On a machine shared with other jobs prefix ``OPENBLAS_NUM_THREADS=1``: two spinning BLAS threads on
a busy 2-core box slow every small GEMM several-fold (both sides of each ratio, but noisily).
"""

from __future__ import annotations

import time

import numpy as np
from _common import load_cifar, machine_note

from cs231n_lite.reference import softmax_loss_vectorized, svm_loss_vectorized

REPEATS = 7
REG = 2.5e4


def two_gemms(W, X):
    dS = X @ W
    return X.T @ dS


def main():
    print(machine_note())
    data, source = load_cifar()
    print(f"data: {source}")
    for dtype in (np.float32, np.float64):
        X = data["X_train"].astype(dtype, copy=False)
        y = data["y_train"]
        W = (0.001 * np.random.default_rng(0).standard_normal((X.shape[1], 10))).astype(dtype)
        print(f"\nX {X.shape} {np.dtype(dtype).name}, W {W.shape}, reg {REG:g}")
        for fn in (svm_loss_vectorized, softmax_loss_vectorized):
            fn(W, X, y, REG)  # warm up
            t_gemm, t_fn, c_gemm, c_fn = [], [], [], []
            for _ in range(REPEATS):
                t, c = time.perf_counter(), time.process_time()
                two_gemms(W, X)
                t_gemm.append(time.perf_counter() - t)
                c_gemm.append(time.process_time() - c)
                t, c = time.perf_counter(), time.process_time()
                loss, _ = fn(W, X, y, REG)
                t_fn.append(time.perf_counter() - t)
                c_fn.append(time.process_time() - c)
            paired = np.median(np.array(t_fn) / np.array(t_gemm))
            print(
                f"  {fn.__name__:24s} {min(t_fn) * 1e3:7.1f} ms   two GEMMs {min(t_gemm) * 1e3:7.1f} ms   "
                f"wall ratio {min(t_fn) / min(t_gemm):.3f}x (best/best), {paired:.3f}x (median paired); "
                f"CPU ratio {min(c_fn) / min(c_gemm):.3f}x   target <= 1.10x   loss {float(loss):.4f}"
            )
    print("\n" + machine_note())


if __name__ == "__main__":
    main()
