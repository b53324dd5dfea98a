"""Shared helpers of the math benchmarks: load CIFAR-10 once, time things, report the machine load."""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def load_cifar(num_training=49000, num_validation=1000, *, dtype=np.float32):
    """CS231n preprocessing (mean subtraction, bias column last) as a dict of arrays.

    Uses cs231n_lite.datasets.get_cifar10_data when available, else reads the pickles directly.
    """
    try:
        from cs231n_lite.datasets import describe_data_source, get_cifar10_data
    except ImportError:
        pass
    else:
        data = get_cifar10_data(num_training=num_training, num_validation=num_validation, dtype=dtype)
        return data, f"get_cifar10_data: {describe_data_source()}"
    root = Path(os.environ.get("CS231N_LITE_DATA_DIR", REPO / "data")) / "cifar-10-batches-py"
    if not (root / "data_batch_1").is_file():
        raise SystemExit(
            f"CIFAR-10 not found at {root}. Build it: .venv/bin/python /work/shared/datasets/build_cifar10.py "
            f"{root.parent}"
        )
    xs, ys = [], []
    for b in range(1, 6):
        with open(root / f"data_batch_{b}", "rb") as fh:
            d = pickle.load(fh, encoding="latin1")
        xs.append(d["data"])
        ys.append(d["labels"])
    X = np.concatenate(xs).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).reshape(50000, -1).astype(np.float64)
    y = np.concatenate(ys).astype(np.int64)
    X_train, y_train = X[:num_training], y[:num_training]
    X_val, y_val = (
        X[num_training : num_training + num_validation],
        y[num_training : num_training + num_validation],
    )
    mean = X_train.mean(axis=0)

    def prep(A):
        return np.hstack([A - mean, np.ones((len(A), 1))]).astype(dtype)

    return (
        {"X_train": prep(X_train), "y_train": y_train, "X_val": prep(X_val), "y_val": y_val},
        f"pickles at {root} (fallback loader)",
    )


def best_of(fn, repeat=3):
    """Minimum wall time of ``repeat`` calls (seconds) and the last return value."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def machine_note():
    load = os.getloadavg()
    threads = ""
    try:
        from threadpoolctl import threadpool_info

        blas = [
            f"{i['internal_api']} {i['num_threads']} threads"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        ]
        threads = f", BLAS: {', '.join(blas)}" if blas else ""
    except ImportError:
        pass
    return (
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        f"(shared with other jobs){threads}"
    )
