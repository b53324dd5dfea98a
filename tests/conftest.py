"""Shared pytest fixtures: repository paths, generated data in the official format, real CIFAR-10 when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


def _real_cifar_root() -> Path | None:
    """The folder holding a complete real ``cifar-10-batches-py``, or None."""
    candidates = [os.environ.get("CS231N_LITE_DATA_DIR"), str(REPO / "data")]
    for cand in candidates:
        if not cand:
            continue
        batches = Path(cand) / "cifar-10-batches-py"
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
        # A full official batch file is ~31 MB; the generated sets are far smaller.
        if all((batches / n).is_file() for n in names) and (batches / "data_batch_1").stat().st_size > 30_000_000:
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO


@pytest.fixture(scope="session")
def synthetic_data_dir(tmp_path_factory) -> Path:
    """A data folder holding a small generated dataset in the official CIFAR-10 pickle layout."""
    from cs231n_lite.datasets import make_synthetic_cifar10

    root = tmp_path_factory.mktemp("synthetic-data")
    make_synthetic_cifar10(root, seed=0)
    return root


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The data folder with the full real CIFAR-10 (built from ../shared by CI); skips when absent."""
    root = _real_cifar_root()
    if root is None:
        pytest.skip("real CIFAR-10 not found: run `make data-shared` (offline, from ../shared) or `make data`")
    return root
