"""Benchmark: learning-rate x regularization search on CIFAR-10 for LinearSVM and Softmax.

Each pair trains 1500 SGD steps (batch 200, float32, 49,000 training examples) plus 500 annealing
steps at a tenth of the rate (step decay), then is scored on the 1,000 validation examples.
Targets: best val accuracy >= 0.39 (SVM) and >= 0.40 (softmax), the whole run in a few minutes.
For comparison the same search without annealing (1500 steps) is printed too: the two tables
together cost about two searches' time.

Run: ``.venv/bin/python bench/bench_search.py``.
On a machine shared with other jobs prefix ``OPENBLAS_NUM_THREADS=1``: two spinning BLAS threads on
a busy 2-core box slow every small GEMM several-fold (both sides of each ratio, but noisily).
"""

from __future__ import annotations

import time

from _common import load_cifar, machine_note

from cs231n_lite.classifiers import LinearSVM, Softmax
from cs231n_lite.optim import lr_reg_search

GRIDS = {
    LinearSVM: {"learning_rates": [5e-7, 1e-6, 2e-6, 4e-6], "regs": [3e2, 1e3, 3e3], "target": 0.39},
    Softmax: {"learning_rates": [2e-6, 4e-6, 8e-6, 1.6e-5], "regs": [1e2, 3e2, 1e3], "target": 0.40},
}
NUM_ITERS, ANNEAL_ITERS, BATCH = 1500, 500, 200


def main():
    print(machine_note())
    data, source = load_cifar()
    print(f"data: {source}")
    X, y, X_val, y_val = data["X_train"], data["y_train"], data["X_val"], data["y_val"]
    total = time.perf_counter()
    summary = []
    for cls, grid in GRIDS.items():
        for anneal in (0, ANNEAL_ITERS):
            t = time.perf_counter()
            res = lr_reg_search(
                cls,
                X,
                y,
                X_val,
                y_val,
                learning_rates=grid["learning_rates"],
                regs=grid["regs"],
                num_iters=NUM_ITERS,
                batch_size=BATCH,
                anneal_iters=anneal,
            )
            seconds = time.perf_counter() - t
            label = f"{cls.__name__}, {NUM_ITERS} steps" + (
                f" + {anneal} annealing steps at lr/10" if anneal else ""
            )
            print(f"\n{label}: {len(res.rows)} pairs, {res.num_evals:,} loss evaluations, {seconds:.1f} s")
            print(res.table())
            best = res.best
            ok = "meets" if best["val_acc"] >= grid["target"] else "MISSES"
            summary.append(
                f"{label:55s} best val acc {best['val_acc']:.3f} (lr {best['learning_rate']:.2g}, reg "
                f"{best['reg']:.2g}, train {best['train_acc']:.3f}) -> {ok} target {grid['target']:.2f}; {seconds:.1f} s"
            )
    print("\nsummary:")
    print("\n".join(summary))
    print(f"total {time.perf_counter() - total:.1f} s\n" + machine_note())


if __name__ == "__main__":
    main()
