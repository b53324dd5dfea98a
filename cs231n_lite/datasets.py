"""CIFAR-10 for the course: download, verify, load, split, and a small generated stand-in.

Which data is used
------------------
* ``CS231N_LITE_DATASET=cifar10`` (default): the real CIFAR-10 in the official python layout
  ``<data_dir>/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}``.
* ``CS231N_LITE_DATASET=synthetic``: a deterministic generated set in the same format (created on first use in
  ``<data_dir>/synthetic/``; used by grading and CI because it loads in well under a second).

``data_dir`` is resolved as: the argument > env ``CS231N_LITE_DATA_DIR`` > the course folder's ``data/`` (the
folder next to the ``cs231n_lite`` package: a checkout of this repository, or the student bundle) > ``~/.cache/cs231n_lite`` (or
``$XDG_CACHE_HOME/cs231n_lite``) for an installed package.

Command line: ``python -m cs231n_lite.datasets {fetch,verify,info,synthetic} [--data-dir DIR]``.

CS231n's loader ``load_CIFAR10(ROOT) -> (Xtr, Ytr, Xte, Yte)`` (float64 images (N, 32, 32, 3), int64 labels) and
``load_CIFAR_batch`` are here too; :func:`load_cifar10` is the richer form (uint8 images, 4x less memory, and the
class names), :func:`get_cifar10_data` the course's ready-made split (float32 rows, mean subtracted, bias column).

The download is :func:`pooch.retrieve` (SHA256 + size verified, temp file then rename) and extraction uses the
standard library's tar ``data`` filter; see :mod:`cs231n_lite._download`.

Examples
--------
>>> import tempfile
>>> from cs231n_lite import datasets
>>> root = datasets.make_synthetic_cifar10(tempfile.mkdtemp(), num_train=100, num_test=20)
>>> X_train, y_train, X_test, y_test, class_names = datasets.load_cifar10(root)
>>> X_train.shape, y_train.dtype.name, class_names[0]
((100, 32, 32, 3), 'int64', 'airplane')
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pickle
import shutil
import struct
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cs231n_lite._download import (
    DatasetError,
    DownloadError,
    UnsafeArchiveError,
    download,
    make_tar_gz,
    safe_extract,
    verify_file,
)

__all__ = [
    "OFFICIAL_URL",
    "OFFICIAL_SHA256",
    "OFFICIAL_SIZE",
    "ARCHIVE_NAME",
    "FOLDER_NAME",
    "CLASS_NAMES",
    "DatasetError",
    "DownloadError",
    "UnsafeArchiveError",
    "DataNotFoundError",
    "CorruptDataError",
    "CIFAR10Arrays",
    "resolve_data_dir",
    "fetch_cifar10",
    "load_cifar10",
    "load_CIFAR10",
    "load_CIFAR_batch",
    "get_cifar10_data",
    "make_synthetic_cifar10",
    "make_synthetic_archive",
    "describe_data_source",
    "main",
]

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
OFFICIAL_SIZE = 170_498_071
ARCHIVE_NAME = "cifar-10-python.tar.gz"
FOLDER_NAME = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
REQUIRED_FILES = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
ENV_DATA_DIR = "CS231N_LITE_DATA_DIR"
ENV_DATASET = "CS231N_LITE_DATASET"
SYNTHETIC_MARKER = "synthetic.json"
SYNTHETIC_DEFAULTS = {"num_train": 5000, "num_test": 1000, "seed": 0}
_SYNTHETIC_VERSION = 1
_CACHE_VERSION = 1
_IMG_SHAPE = (32, 32, 3)
_D = 32 * 32 * 3


class DataNotFoundError(DatasetError, FileNotFoundError):
    """The requested data is not on disk; the message lists the commands that fix it."""


class CorruptDataError(DatasetError, ValueError):
    """A CIFAR-10 file exists but cannot be read or has the wrong content; the message names the file."""


class CIFAR10Arrays(NamedTuple):
    """Raw CIFAR-10: images as uint8 arrays of shape (N, 32, 32, 3), labels as int64 arrays of shape (N,)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]


# --------------------------------------------------------------------------------------------------------------
# data folder resolution


def _user_data_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cs231n_lite"


def _repo_data_dir() -> Path | None:
    """``<repo>/data`` when the package sits in a checkout (not in site-packages), else None."""
    parent = Path(__file__).resolve().parent.parent
    if parent.name in ("site-packages", "dist-packages"):
        return None
    markers = ("pyproject.toml", "requirements.txt", "data", ".git")
    return parent / "data" if any((parent / m).exists() for m in markers) else None


def _resolve_with_source(data_dir: str | os.PathLike | None) -> tuple[Path, str]:
    if data_dir is not None:
        return Path(data_dir).expanduser(), "the data_dir you passed"
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser(), f"set by {ENV_DATA_DIR}"
    repo = _repo_data_dir()
    if repo is not None:
        return repo, "the data/ folder of your course folder"
    return _user_data_dir(), "your user cache folder"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the data folder: `data_dir` > env ``CS231N_LITE_DATA_DIR`` > ``<repo>/data`` > user cache folder.

    The folder is not created.  In an installed (non-repository) package the last fallback is
    ``$XDG_CACHE_HOME/cs231n_lite`` or ``~/.cache/cs231n_lite``.

    Examples
    --------
    >>> resolve_data_dir("/tmp/somewhere")
    PosixPath('/tmp/somewhere')
    """
    return _resolve_with_source(data_dir)[0]


def _fetch_command(root: Path) -> str:
    return f"python -m cs231n_lite.datasets fetch --data-dir {root}"


def _missing_message(root: Path, found: str) -> str:
    folder = root / FOLDER_NAME
    return (
        f"CIFAR-10 was not found: expected the folder {folder} holding {', '.join(REQUIRED_FILES)}; {found}.\n"
        "Next step, one of:\n"
        f"  * download and verify it (170 MB):  {_fetch_command(root)}\n"
        f"  * or place the official archive by hand at {root / ARCHIVE_NAME} and run the same command "
        "(it verifies and extracts without downloading)\n"
        f"  * or point to a folder that already holds {FOLDER_NAME}:  export {ENV_DATA_DIR}=/path/to/folder\n"
        f"  * or use the small generated stand-in:  export {ENV_DATASET}=synthetic"
    )


def _batches_dir(root: str | os.PathLike) -> Path:
    """Accept either the data folder or the ``cifar-10-batches-py`` folder itself."""
    root = Path(root).expanduser()
    if (root / FOLDER_NAME).is_dir():
        return root / FOLDER_NAME
    if root.name == FOLDER_NAME or (root / TRAIN_BATCHES[0]).exists() or (root / TEST_BATCH).exists():
        if root.is_dir():
            return root
    found = f"{root} does not exist" if not root.exists() else f"{root} holds no {FOLDER_NAME} folder"
    raise DataNotFoundError(_missing_message(root, found))


def _missing_files(folder: Path) -> list[str]:
    return [n for n in REQUIRED_FILES if not (folder / n).is_file() or (folder / n).stat().st_size == 0]


# --------------------------------------------------------------------------------------------------------------
# download


def fetch_cifar10(
    data_dir: str | os.PathLike | None = None,
    *,
    url: str = OFFICIAL_URL,
    progress: bool = True,
    known_hash: str | None = OFFICIAL_SHA256,
    expected_size: int | None = OFFICIAL_SIZE,
) -> Path:
    """Download, verify and extract CIFAR-10; return the path of the extracted ``cifar-10-batches-py``.

    Decides before acting: a complete extracted folder is returned as is; an archive already at
    ``<data_dir>/cifar-10-python.tar.gz`` that matches `expected_size` and `known_hash` (SHA256) is extracted
    without downloading; otherwise `url` is downloaded to a temp file, verified, and renamed into place.
    Extraction rejects absolute paths, ``..``, escaping links and devices, and happens in a temp folder that is
    moved into place only when complete.

    Parameters
    ----------
    data_dir : path, optional
        Target folder, resolved by :func:`resolve_data_dir`.
    url : str
        Where to download from (``http(s)://`` or ``file://``).
    progress : bool
        Show a tqdm progress bar while downloading.
    known_hash, expected_size : str or None, int or None
        SHA256 and byte size the archive must have; None skips that check.

    Raises
    ------
    DownloadError
        Offline, HTTP error, truncated or corrupt download.  No partial file is left in `data_dir`; the message
        says expected vs got and how to place the archive by hand.
    UnsafeArchiveError
        The archive holds a member that would escape the target folder.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> archive = make_synthetic_archive(f"{d}/cifar-10-python.tar.gz", num_train=50, num_test=10)
    >>> fetch_cifar10(d, known_hash=None, expected_size=None).name
    'cifar-10-batches-py'
    """
    root = resolve_data_dir(data_dir)
    folder = root / FOLDER_NAME
    if folder.is_dir() and not _missing_files(folder):
        return folder
    archive = root / ARCHIVE_NAME
    next_step = (
        f"\nNext step: download {url} by hand (browser or another machine) and place it at {archive}, then run "
        f"`{_fetch_command(root)}` again (it verifies the file and extracts it without downloading); "
        f"or set {ENV_DATA_DIR} to a folder that already holds {FOLDER_NAME}; "
        f"or use the generated stand-in with {ENV_DATASET}=synthetic."
    )
    problem = None
    if archive.is_file():
        problem = verify_file(archive, known_hash=known_hash, expected_size=expected_size)
    if problem is not None or not archive.is_file():
        try:
            download(
                url,
                archive,
                known_hash=known_hash,
                expected_size=expected_size,
                progress=progress,
                next_step=next_step,
            )
        except DownloadError as exc:
            if problem is not None:
                raise DownloadError(
                    f"{exc}\nAlso: the existing {archive} does not verify ({problem}); it was left untouched - "
                    "replace or delete it."
                ) from exc.__cause__
            raise
    return safe_extract(archive, root, FOLDER_NAME)


# --------------------------------------------------------------------------------------------------------------
# reading and writing the official pickle format

_RECONSTRUCT = np.empty(0, np.uint8).__reduce__()[0]
_SCALAR = np.float64(0).__reduce__()[0]
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that only resolves the globals a CIFAR-10 batch needs (numpy arrays, bytes)."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        if (module, name) == ("_codecs", "encode"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"unexpected global {module}.{name} (a CIFAR-10 batch holds only arrays)"
        )


def _text(v) -> str:
    return v.decode("latin1") if isinstance(v, bytes) else str(v)


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise DataNotFoundError(
            f"missing CIFAR-10 file {path}: expected {', '.join(REQUIRED_FILES)} in {path.parent}. "
            f"Next step: {_fetch_command(path.parent.parent)} (or regenerate a synthetic set)."
        )
    try:
        with open(path, "rb") as f:
            obj = _BatchUnpickler(f, encoding="latin1").load()
    except Exception as exc:  # any unpickling failure means a truncated or foreign file
        raise CorruptDataError(
            f"{path} is not a readable CIFAR-10 pickle (truncated or corrupt: {exc!r}). Next step: delete "
            f"{path.parent} and run `{_fetch_command(path.parent.parent)}`."
        ) from exc
    if not isinstance(obj, dict):
        raise CorruptDataError(f"{path}: expected a pickled dict, got {type(obj).__name__}.")
    return {_text(k): v for k, v in obj.items()}


def _read_batch(path: Path, *, raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return images (n, 32, 32, 3) uint8 and labels (n,) int64 from one batch file, or raise naming it.

    With `raw`, images stay as the file's CHW-flattened rows of shape (n, 3072).
    """
    d = _unpickle(path)
    fix = f"Next step: delete {path.parent} and run `{_fetch_command(path.parent.parent)}`."
    for key in ("data", "labels"):
        if key not in d:
            raise CorruptDataError(f"{path}: expected keys 'data' and 'labels', found {sorted(d)}. {fix}")
    data = d["data"]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != _D:
        got = getattr(data, "shape", type(data).__name__)
        raise CorruptDataError(f"{path}: expected 'data' of shape (N, {_D}) uint8, got {got}. {fix}")
    if data.dtype != np.uint8:
        if data.dtype.kind not in "iu" or (data.size and (data.min() < 0 or data.max() > 255)):
            raise CorruptDataError(
                f"{path}: expected 'data' as uint8 pixels 0..255, got dtype {data.dtype}. {fix}"
            )
        data = data.astype(np.uint8)
    try:
        labels = np.asarray(d["labels"])
    except Exception as exc:
        raise CorruptDataError(f"{path}: 'labels' is not a list of ints ({exc!r}). {fix}") from exc
    if (
        labels.ndim != 1
        or labels.shape[0] != data.shape[0]
        or (labels.size and labels.dtype.kind not in "iu")
    ):
        raise CorruptDataError(
            f"{path}: expected {data.shape[0]} integer labels (one per row of 'data'), "
            f"got shape {labels.shape} dtype {labels.dtype}. {fix}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise CorruptDataError(
            f"{path}: expected labels in [0, {len(CLASS_NAMES)}), got min {labels.min()} max {labels.max()}. {fix}"
        )
    if raw:
        return data, labels.astype(np.int64)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # CHW-flattened rows -> (n, 32, 32, 3)
    return np.ascontiguousarray(images), labels.astype(np.int64)


def _read_meta(path: Path) -> list[str]:
    d = _unpickle(path)
    names = d.get("label_names")
    if not isinstance(names, (list, tuple)) or len(names) != len(CLASS_NAMES):
        raise CorruptDataError(
            f"{path}: expected 'label_names' with {len(CLASS_NAMES)} class names, got {names!r:.200}. "
            f"Next step: delete {path.parent} and run `{_fetch_command(path.parent.parent)}`."
        )
    return [_text(n) for n in names]


def load_cifar10(root: str | os.PathLike) -> CIFAR10Arrays:
    """Read CIFAR-10 from the official python pickles.

    Parameters
    ----------
    root : path
        The data folder holding ``cifar-10-batches-py``, or that folder itself.

    Returns
    -------
    CIFAR10Arrays
        ``(X_train, y_train, X_test, y_test, class_names)``: uint8 arrays of shape (N, 32, 32, 3), int64 labels
        of shape (N,), and the 10 class names from ``batches.meta``.  Smaller generated sets (fewer than 10000
        rows per batch) are accepted as long as they are consistent.

    Raises
    ------
    DataNotFoundError
        A folder or batch file is missing (the message names it).
    CorruptDataError
        A file is truncated, not a pickle, or has the wrong shape / labels (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> Xtr, ytr, Xte, yte, names = load_cifar10(make_synthetic_cifar10(tempfile.mkdtemp(), num_train=50, num_test=10))
    >>> Xtr.shape, Xte.shape, len(names)
    ((50, 32, 32, 3), (10, 32, 32, 3), 10)
    """
    folder = _batches_dir(root)
    class_names = _read_meta(folder / META_FILE)
    X_train = y_train = None
    sizes: list[int] = []
    for k, name in enumerate(TRAIN_BATCHES):
        rows, labels = _read_batch(folder / name, raw=True)
        n = len(labels)
        if X_train is None:  # fill one preallocated array: no concatenate copy, no leftover heap
            capacity = len(TRAIN_BATCHES) * (n + 1)
            X_train = np.empty((capacity, *_IMG_SHAPE), dtype=np.uint8)
            y_train = np.empty(capacity, dtype=np.int64)
        sizes.append(n)
        if max(sizes) - min(sizes) > 1:
            raise CorruptDataError(
                f"{folder / name}: expected every training batch to hold about the same number of rows, got "
                f"{dict(zip(TRAIN_BATCHES[: k + 1], sizes, strict=True))}. Next step: delete {folder} and run "
                f"`{_fetch_command(folder.parent)}`."
            )
        lo = sum(sizes[:-1])
        X_train[lo : lo + n] = rows.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)
        y_train[lo : lo + n] = labels
        del rows, labels
    total = sum(sizes)
    if total < len(X_train):
        X_train, y_train = X_train[:total], y_train[:total]  # views: at most 5 spare rows
    X_test, y_test = _read_batch(folder / TEST_BATCH)
    return CIFAR10Arrays(X_train, y_train, X_test, y_test, class_names)


def load_CIFAR_batch(filename, *, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's ``load_CIFAR_batch``: one batch file as float images (n, 32, 32, 3) and int64 labels (n,).

    Examples
    --------
    >>> import tempfile
    >>> root = make_synthetic_cifar10(tempfile.mkdtemp(), num_train=50, num_test=10)
    >>> X, Y = load_CIFAR_batch(root / "test_batch")
    >>> X.shape, X.dtype.name, Y.dtype.name
    ((10, 32, 32, 3), 'float64', 'int64')
    """
    images, labels = _read_batch(Path(filename))
    return images.astype(dtype), labels


def load_CIFAR10(ROOT, *, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CS231n's ``load_CIFAR10(ROOT)``: ``(Xtr, Ytr, Xte, Yte)`` with float images, ready for ``X -= mean``.

    Parameters
    ----------
    ROOT : path
        The ``cifar-10-batches-py`` folder (as in CS231n), or the data folder holding it.
    dtype : floating dtype, keyword-only
        float64 (CS231n's ``astype("float")``) by default; ``np.float32`` halves the memory (600 MB instead of
        1.2 GB for the full training set).

    Returns
    -------
    Xtr : array of shape (50000, 32, 32, 3), `dtype`
    Ytr : int64 array of shape (50000,)
    Xte : array of shape (10000, 32, 32, 3), `dtype`
    Yte : int64 array of shape (10000,)
        (Smaller for a generated set.)

    Differences from CS231n's version: a missing or corrupt file raises :class:`DataNotFoundError` /
    :class:`CorruptDataError` naming the file and the command that fixes it; the batches are read through the
    same cache as :func:`get_cifar10_data` (the second call does not unpickle again).  The richer
    :func:`load_cifar10` returns the uint8 images plus the class names.

    Examples
    --------
    >>> import tempfile
    >>> Xtr, Ytr, Xte, Yte = load_CIFAR10(make_synthetic_cifar10(tempfile.mkdtemp(), num_train=50, num_test=10))
    >>> Xtr.shape, Xtr.dtype.name, Ytr.dtype.name
    ((50, 32, 32, 3), 'float64', 'int64')
    >>> Xtr -= np.mean(Xtr, axis=0)  # CS231n's mean subtraction works in place
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type such as np.float64, got {dtype}")
    raw = _load_cached(_batches_dir(ROOT))
    return (
        raw.X_train.astype(dtype),
        np.array(raw.y_train, dtype=np.int64),
        raw.X_test.astype(dtype),
        np.array(raw.y_test, dtype=np.int64),
    )


# --- writer: the byte layout Python 2 produced for the official files (protocol 2, byte strings, numpy.core)


def _p2(obj) -> bytes:
    if isinstance(obj, bool):
        return b"\x88" if obj else b"\x89"
    if obj is None:
        return b"N"
    if isinstance(obj, int):
        if 0 <= obj < 256:
            return b"K" + bytes([obj])
        if 0 <= obj < 65536:
            return b"M" + struct.pack("<H", obj)
        return b"J" + struct.pack("<i", obj)
    if isinstance(obj, (str, bytes)):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(raw) < 256:
            return b"U" + bytes([len(raw)]) + raw  # SHORT_BINSTRING
        return b"T" + struct.pack("<I", len(raw)) + raw  # BINSTRING
    if isinstance(obj, tuple):
        return b"(" + b"".join(_p2(x) for x in obj) + b"t"
    if isinstance(obj, list):
        return b"]" + (b"(" + b"".join(_p2(x) for x in obj) + b"e" if obj else b"")
    if isinstance(obj, dict):
        return b"}(" + b"".join(_p2(k) + _p2(v) for k, v in obj.items()) + b"u"
    if isinstance(obj, np.ndarray) and obj.dtype == np.uint8:
        glob = b"cnumpy.core.multiarray\n_reconstruct\n"
        dtype = (
            b"cnumpy\ndtype\n" + _p2(("u1", 0, 1)) + b"R" + _p2((3, "|", None, None, None, -1, -1, 0)) + b"b"
        )
        shape = _p2(tuple(int(s) for s in obj.shape))
        state = b"(" + _p2(1) + shape + dtype + _p2(False) + _p2(np.ascontiguousarray(obj).tobytes()) + b"t"
        return glob + b"cnumpy\nndarray\n" + _p2((0,)) + _p2("b") + b"\x87R" + state + b"b"
    raise TypeError(f"cannot write {type(obj).__name__} in the CIFAR-10 pickle format")


def _write_pickle2(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        f.write(b"\x80\x02" + _p2(obj) + b".")


# --------------------------------------------------------------------------------------------------------------
# synthetic stand-in


def _synthetic_arrays(num_train: int, num_test: int, seed: int):
    """Generate (X_train, y_train, X_test, y_test): uint8 images (N, 32, 32, 3) and int64 labels (N,).

    Each class has a template: a base colour plus a smooth random colour pattern.  An image is its class template
    shifted by up to 3 pixels and blended with up to 70 % of another class's template, with random
    contrast/brightness/colour cast and pixel noise.  A softmax classifier reaches roughly 40 % test accuracy
    after 100 SGD steps and 55-60 % after 1500 (chance is 10 %).
    """
    C, S = len(CLASS_NAMES), 3
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.0, 1.0, size=(C, 4, 4, 3))
    smooth = np.repeat(np.repeat(coarse, 8, axis=1), 8, axis=2)  # (C, 32, 32, 3) blocky pattern
    for axis in (1, 2):  # blur the blocks with a 9-pixel box filter (wrapping; fine for a texture)
        smooth = sum(np.roll(smooth, s, axis=axis) for s in range(-4, 5)) / 9.0
    smooth /= smooth.std(axis=(1, 2, 3), keepdims=True)
    templates = rng.uniform(88.0, 168.0, size=(C, 1, 1, 3)) + 24.0 * smooth
    shifts = [(i, j) for i in range(-S, S + 1) for j in range(-S, S + 1)]
    shifted = np.stack([[np.roll(t, s, axis=(0, 1)) for s in shifts] for t in templates]).astype(np.float32)

    def draw(n: int, rng: np.random.Generator):
        y = rng.permutation(np.arange(n) % C).astype(np.int64)
        X = np.empty((n, *_IMG_SHAPE), dtype=np.uint8)
        for lo in range(0, n, 1000):
            yy = y[lo : lo + 1000]
            m = len(yy)
            other = (yy + rng.integers(1, C, m)) % C
            a = rng.uniform(0.0, 0.7, (m, 1, 1, 1)).astype(np.float32)
            t = (1 - a) * shifted[yy, rng.integers(0, len(shifts), m)]
            t += a * shifted[other, rng.integers(0, len(shifts), m)]
            mu = t.mean(axis=(1, 2, 3), keepdims=True)
            t -= mu
            t *= rng.uniform(0.5, 1.5, (m, 1, 1, 1)).astype(np.float32)  # contrast
            t += mu + rng.normal(0.0, 30.0, (m, 1, 1, 1)).astype(np.float32)  # brightness
            t += rng.normal(0.0, 20.0, (m, 1, 1, 3)).astype(np.float32)  # colour cast
            t += 50.0 * rng.standard_normal((m, *_IMG_SHAPE), dtype=np.float32)  # pixel noise
            np.rint(t, out=t)
            X[lo : lo + m] = np.clip(t, 0, 255)
        return X, y

    X_train, y_train = draw(num_train, np.random.default_rng([seed, 1]))
    X_test, y_test = draw(num_test, np.random.default_rng([seed, 2]))
    return X_train, y_train, X_test, y_test


def _write_batches(folder: Path, X_train, y_train, X_test, y_test, *, tag: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)

    def batch(X, y, label: str, offset: int, split: str) -> dict:
        rows = X.transpose(0, 3, 1, 2).reshape(len(X), _D)  # (n, 32, 32, 3) -> CHW-flattened rows
        names = [f"{tag}_{split}_{offset + i:05d}.png" for i in range(len(X))]
        return {
            "batch_label": label,
            "labels": [int(v) for v in y],
            "data": np.ascontiguousarray(rows),
            "filenames": names,
        }

    chunks = np.array_split(np.arange(len(y_train)), len(TRAIN_BATCHES))
    for k, (name, idx) in enumerate(zip(TRAIN_BATCHES, chunks, strict=True)):
        lo, hi = (int(idx[0]), int(idx[-1]) + 1) if len(idx) else (0, 0)
        d = batch(X_train[lo:hi], y_train[lo:hi], f"training batch {k + 1} of 5 ({tag})", lo, "train")
        _write_pickle2(folder / name, d)
    _write_pickle2(folder / TEST_BATCH, batch(X_test, y_test, f"testing batch 1 of 1 ({tag})", 0, "test"))
    _write_pickle2(
        folder / META_FILE,
        {"num_cases_per_batch": int(len(chunks[0])), "label_names": list(CLASS_NAMES), "num_vis": _D},
    )


def make_synthetic_cifar10(
    root: str | os.PathLike, *, num_train: int = 5000, num_test: int = 1000, seed: int = 0
) -> Path:
    """Write a generated CIFAR-10 stand-in at ``root/cifar-10-batches-py`` in the official pickle format.

    Files: ``data_batch_1..5`` (the `num_train` images split evenly), ``test_batch``, ``batches.meta`` (protocol-2
    pickles: 'data' uint8 (n, 3072) in CHW-flattened order, 'labels' list, 'batch_label', 'filenames') and a
    ``synthetic.json`` marker.  Images are class-dependent (per-class colour pattern + noise): a linear classifier
    learns them clearly above chance but not perfectly.  Same arguments -> identical bytes.  The folder is built
    in a temp folder and moved into place, replacing an existing one.

    Examples
    --------
    >>> import tempfile
    >>> make_synthetic_cifar10(tempfile.mkdtemp(), num_train=50, num_test=10).name
    'cifar-10-batches-py'
    """
    return _write_synthetic(root, num_train=num_train, num_test=num_test, seed=seed, keep_current=False)


def _write_synthetic(root, *, num_train: int, num_test: int, seed: int, keep_current: bool) -> Path:
    """:func:`make_synthetic_cifar10`; with `keep_current`, a set another process finished meanwhile is kept."""
    for name, v, lo in (("num_train", num_train, len(TRAIN_BATCHES)), ("num_test", num_test, 1)):
        if not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    arrays = _synthetic_arrays(int(num_train), int(num_test), int(seed))
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".synthetic-"))
    try:
        _write_batches(tmp / FOLDER_NAME, *arrays, tag="synthetic")
        marker = {
            "generator": "cs231n_lite.datasets.make_synthetic_cifar10",
            "version": _SYNTHETIC_VERSION,
            "num_train": int(num_train),
            "num_test": int(num_test),
            "seed": int(seed),
        }
        (tmp / FOLDER_NAME / SYNTHETIC_MARKER).write_text(json.dumps(marker, sort_keys=True) + "\n")
        final = root / FOLDER_NAME
        for _ in range(3):  # another process may create it concurrently
            if keep_current and _synthetic_is_current(final):
                return final
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            try:
                os.replace(tmp / FOLDER_NAME, final)
                break
            except OSError:
                continue
        else:
            raise DatasetError(
                f"could not move the generated set into {final}; is another process writing it?"
            )
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_synthetic_archive(path: str | os.PathLike, **kw) -> Path:
    """Write a generated set as a .tar.gz in the official layout (top folder ``cifar-10-batches-py``).

    Keyword arguments go to :func:`make_synthetic_cifar10`.  Used to test downloads offline.

    Examples
    --------
    >>> import tempfile
    >>> make_synthetic_archive(f"{tempfile.mkdtemp()}/c.tar.gz", num_train=50, num_test=10).name
    'c.tar.gz'
    """
    path = Path(path).expanduser()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_synthetic_cifar10(tmp, **kw)

        def normalise(info):  # reproducible archive members
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            return info

        return make_tar_gz(folder, path, arcname=FOLDER_NAME, filter_=normalise)


def _synthetic_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / SYNTHETIC_MARKER).read_text())
    except (OSError, ValueError):
        return None


def _synthetic_is_current(folder: Path) -> bool:
    marker = _synthetic_marker(folder)
    want = {**SYNTHETIC_DEFAULTS, "version": _SYNTHETIC_VERSION}
    return (
        marker is not None and all(marker.get(k) == v for k, v in want.items()) and not _missing_files(folder)
    )


def _synthetic_home(root: Path) -> Path:
    return root / "synthetic"


def _fallback_synthetic_home() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"cs231n_lite-{uid}" / "synthetic"


def _ensure_synthetic(root: Path) -> Path:
    """Return the default synthetic set's folder, generating it on first use (temp folder if `root` is read-only)."""
    for home in (_synthetic_home(root), _fallback_synthetic_home()):
        folder = home / FOLDER_NAME
        if _synthetic_is_current(folder):
            return folder
        try:
            return _write_synthetic(home, **SYNTHETIC_DEFAULTS, keep_current=True)
        except OSError:
            continue
    raise DatasetError(
        f"could not write the synthetic set to {_synthetic_home(root)} or {_fallback_synthetic_home()}; "
        f"set {ENV_DATA_DIR} to a writable folder."
    )


# --------------------------------------------------------------------------------------------------------------
# cache + split


def _dataset_choice() -> str:
    choice = os.environ.get(ENV_DATASET, "").strip().lower() or "cifar10"
    if choice not in ("cifar10", "synthetic"):
        raise ValueError(f"{ENV_DATASET} must be 'cifar10' or 'synthetic', got {choice!r}")
    return choice


def _active_folder(data_dir) -> tuple[Path, str]:
    """Return (cifar-10-batches-py folder, kind) for the dataset chosen by env ``CS231N_LITE_DATASET``."""
    root = resolve_data_dir(data_dir)
    if _dataset_choice() == "synthetic":
        return _ensure_synthetic(root), "synthetic"
    folder = _batches_dir(root)
    missing = _missing_files(folder)
    if missing:
        raise DataNotFoundError(
            _missing_message(folder.parent, f"missing or empty there: {', '.join(missing)}")
        )
    return folder, "cifar10"


def _cache_key(folder: Path) -> str:
    h = hashlib.sha256(
        f"v{_CACHE_VERSION}".encode()
    )  # no path: valid when the folder is moved or bind-mounted
    for name in REQUIRED_FILES:
        st = (folder / name).stat()
        h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


_ARRAY_NAMES = ("X_train", "y_train", "X_test", "y_test")


def _cache_entry(folder: Path) -> Path:
    return folder.parent / ".cache" / f"cifar10-{_cache_key(folder)}"


def _load_cached(folder: Path) -> CIFAR10Arrays:
    """:func:`load_cifar10` through a cache of memory-mapped .npy files in ``<data_dir>/.cache/``.

    The cache entry is keyed on the batch files' names, sizes and mtimes (not their path, so it stays valid when
    the folder is moved or bind-mounted read-only); it is written atomically (temp folder, then rename) and
    silently skipped when the folder is not writable.
    """
    entry = _cache_entry(folder)
    cache_root = entry.parent
    try:
        meta = json.loads((entry / "meta.json").read_text())
        arrays = [np.load(entry / f"{n}.npy", mmap_mode="r") for n in _ARRAY_NAMES]
        return CIFAR10Arrays(*arrays, class_names=list(meta["class_names"]))
    except (OSError, ValueError, KeyError):
        pass
    data = load_cifar10(folder)
    try:
        cache_root.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cache_root, prefix=".tmp-"))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; the cache is as readable as the data
            for n in _ARRAY_NAMES:
                np.save(tmp / f"{n}.npy", getattr(data, n))
            meta = {
                "class_names": data.class_names,
                "source": str(folder),
                "n_train": len(data.y_train),
                "n_test": len(data.y_test),
            }
            (tmp / "meta.json").write_text(json.dumps(meta))
            if not entry.exists():  # same key = same content: a concurrent writer's entry is kept as is
                os.replace(tmp, entry)
            for old in cache_root.glob("cifar10-*"):  # entries for older versions of these files
                if old != entry:
                    shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass  # read-only data folder: no cache, still correct
    return data


def _cached_counts(folder: Path) -> tuple[int, int] | None:
    try:
        meta = json.loads((_cache_entry(folder) / "meta.json").read_text())
        return int(meta["n_train"]), int(meta["n_test"])
    except (OSError, ValueError, KeyError):
        return None


def _train_mean(train_u8: np.ndarray, folder: Path) -> np.ndarray:
    """Mean image (3072,) float64 of uint8 rows (N, 3072): exact integer sum, memoised in the cache entry."""
    path = _cache_entry(folder) / f"mean_{len(train_u8)}.npy"
    try:
        mean = np.load(path)
        if mean.shape == (_D,) and mean.dtype == np.float64:
            return mean
    except (OSError, ValueError):
        pass
    mean = train_u8.sum(axis=0, dtype=np.int64) / len(train_u8)
    if path.parent.is_dir():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.save(f, mean)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):  # a read-only cache (EROFS) refuses the clean-up too
                tmp.unlink(missing_ok=True)
    return mean


def _rows(images: np.ndarray, mean: np.ndarray | None, dtype: np.dtype, bias: bool) -> np.ndarray:
    """uint8 images (n, 32, 32, 3) -> (n, 3072[+1]) `dtype`, minus `mean`, bias column last; one pass, no float64."""
    n = images.shape[0]
    flat = images.reshape(n, _D)
    out = np.empty((n, _D + int(bias)), dtype=dtype)
    if mean is None:
        out[:, :_D] = flat
    else:
        np.subtract(flat, mean, out=out[:, :_D], dtype=dtype)
    if bias:
        out[:, _D] = 1
    return out


def _check_count(name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def get_cifar10_data(
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    num_dev: int = 500,
    *,
    dtype=np.float32,
    subtract_mean: bool = True,
    bias_trick: bool = True,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
) -> dict:
    """Load CIFAR-10 (or the synthetic set) and split it the CS231n way, ready for linear classifiers.

    Splits: train = the first `num_training` training images, val = the `num_validation` after them, dev = a
    random `num_dev` subset of train (seeded by `seed`), test = the first `num_test` test images.  Images are
    flattened to rows of D = 3072 values; the mean image of train is subtracted from every split
    (`subtract_mean`), and a constant 1 column is appended LAST (`bias_trick`, D = 3073).  The dataset follows env
    ``CS231N_LITE_DATASET`` (``cifar10`` default, or ``synthetic``).  Raw arrays are cached as memory-mapped
    .npy files in ``<data_dir>/.cache/`` so the second call is fast.

    Returns
    -------
    dict
        ``X_train, X_val, X_test, X_dev``: `dtype` arrays of shape (N, D); ``y_*``: int64 arrays of shape (N,);
        ``mean_image``: `dtype` array of shape (3072,) (train mean, also when not subtracted);
        ``class_names``: list of 10 str.

    Raises
    ------
    ValueError
        More examples requested than the data holds, or bad sizes / dtype.
    DataNotFoundError
        Real data requested but not on disk (the message lists the fixes).

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["CS231N_LITE_DATASET"] = "synthetic"
    >>> d = get_cifar10_data(400, 100, 100, 50, data_dir=tempfile.mkdtemp())
    >>> d["X_train"].shape, d["X_dev"].shape, float(d["X_val"][0, -1])
    ((400, 3073), (50, 3073), 1.0)
    >>> del os.environ["CS231N_LITE_DATASET"]
    """
    num_training = _check_count("num_training", num_training, 1)
    num_validation = _check_count("num_validation", num_validation)
    num_test = _check_count("num_test", num_test)
    num_dev = _check_count("num_dev", num_dev)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type such as np.float32, got {dtype}")
    folder, kind = _active_folder(data_dir)
    raw = _load_cached(folder)
    n_train, n_test = len(raw.y_train), len(raw.y_test)
    where = f"the {'synthetic set' if kind == 'synthetic' else 'CIFAR-10 data'} at {folder}"
    hint = f" (unset {ENV_DATASET} to use the real CIFAR-10)" if kind == "synthetic" else ""
    if num_training + num_validation > n_train:
        raise ValueError(
            f"asked for num_training + num_validation = {num_training} + {num_validation} = "
            f"{num_training + num_validation} training images, but {where} holds {n_train}; pass smaller "
            f"sizes{hint}."
        )
    if num_test > n_test:
        raise ValueError(f"asked for num_test = {num_test} test images, but {where} holds {n_test}{hint}.")
    if num_dev > num_training:
        raise ValueError(f"num_dev = {num_dev} must not exceed num_training = {num_training}.")

    mean = _train_mean(raw.X_train[:num_training].reshape(num_training, _D), folder).astype(dtype)
    sub = mean if subtract_mean else None
    out = {
        "X_train": _rows(raw.X_train[:num_training], sub, dtype, bias_trick),
        "y_train": np.array(raw.y_train[:num_training], dtype=np.int64),
        "X_val": _rows(raw.X_train[num_training : num_training + num_validation], sub, dtype, bias_trick),
        "y_val": np.array(raw.y_train[num_training : num_training + num_validation], dtype=np.int64),
        "X_test": _rows(raw.X_test[:num_test], sub, dtype, bias_trick),
        "y_test": np.array(raw.y_test[:num_test], dtype=np.int64),
    }
    dev = np.random.default_rng(seed).choice(num_training, num_dev, replace=False)
    out["X_dev"] = out["X_train"][dev]
    out["y_dev"] = out["y_train"][dev]
    out["mean_image"] = mean
    out["class_names"] = list(raw.class_names)
    return out


def describe_data_source(data_dir: str | os.PathLike | None = None) -> str:
    """Return one line saying exactly which data :func:`get_cifar10_data` will use (never raises for missing data).

    Examples
    --------
    >>> "CIFAR-10" in describe_data_source("/nonexistent")
    True
    """
    root, how = _resolve_with_source(data_dir)
    try:
        choice = _dataset_choice()
    except ValueError as exc:
        return f"invalid data choice: {exc}"
    practice = (
        f"synthetic practice data shaped like CIFAR-10 (generated, not real photos; "
        f"{SYNTHETIC_DEFAULTS['num_train']} train / {SYNTHETIC_DEFAULTS['num_test']} test images)"
    )
    switch_back = f"chosen by {ENV_DATASET}=synthetic; unset it for the real CIFAR-10"
    if choice == "synthetic":
        for home in (_synthetic_home(root), _fallback_synthetic_home()):
            folder = home / FOLDER_NAME
            if _synthetic_is_current(folder):
                return f"{practice} in {folder} ({switch_back})"
        return f"{practice}, made on first use in {_synthetic_home(root) / FOLDER_NAME} ({switch_back})"
    get_it = (
        f"to get it, run `{_fetch_command(root)}` in a terminal (or in a notebook cell, starting with !): it "
        f"downloads 170 MB, or uses {ARCHIVE_NAME} if you put it in that folder yourself; to practise without it, "
        f"set {ENV_DATASET}=synthetic before starting Jupyter"
    )
    try:
        folder = _batches_dir(root)
    except DataNotFoundError:
        return f"CIFAR-10 NOT FOUND in {root} ({how}); {get_it}"
    missing = _missing_files(folder)
    if missing:
        return f"CIFAR-10 INCOMPLETE in {folder} (missing {', '.join(missing)}); {get_it}"
    marker = _synthetic_marker(folder)
    label = "CIFAR-10"
    if marker is not None:
        label = f"synthetic practice data (generated, seed {marker.get('seed')}) placed where CIFAR-10 goes"
    counts = _cached_counts(folder)
    size = f"{counts[0]} train / {counts[1]} test images" if counts else "image counts shown after the first load"
    return f"{label} from {folder} ({size}; {how})"


# --------------------------------------------------------------------------------------------------------------
# command line


def _cmd_fetch(args) -> int:
    known_hash = None if args.no_verify else args.sha256
    expected_size = None if args.no_verify else args.size
    folder = fetch_cifar10(
        args.data_dir,
        url=args.url,
        progress=not args.quiet,
        known_hash=known_hash,
        expected_size=expected_size,
    )
    print(f"CIFAR-10 ready at {folder}")
    return 0


def _cmd_verify(args) -> int:
    root = resolve_data_dir(args.data_dir)
    archive = Path(args.archive) if args.archive else root / ARCHIVE_NAME
    checked, failed = 0, 0
    if archive.is_file():
        checked += 1
        problem = verify_file(archive, known_hash=args.sha256, expected_size=args.size)
        if problem:
            failed += 1
            print(f"FAIL archive {archive}: {problem}")
        else:
            print(f"ok   archive {archive} (SHA256 {args.sha256})")
    elif args.archive:
        raise DataNotFoundError(f"archive {archive} does not exist; expected a file there.")
    try:
        folder = _batches_dir(root)
    except DataNotFoundError:
        folder = None
    if folder is not None:
        checked += 1
        try:
            data = load_cifar10(folder)
        except DatasetError as exc:
            failed += 1
            print(f"FAIL batches {folder}: {exc}")
        else:
            full = len(data.y_train) == 50000 and len(data.y_test) == 10000
            note = "full CIFAR-10 size" if full else "smaller than the official 50000/10000 (generated set?)"
            print(
                f"ok   batches {folder}: {len(data.y_train)} train / {len(data.y_test)} test images ({note})"
            )
    if checked == 0:
        raise DataNotFoundError(_missing_message(root, "and no archive was found either"))
    return 1 if failed else 0


def _cmd_info(args) -> int:
    print(describe_data_source(args.data_dir))
    folder, kind = _active_folder(args.data_dir)
    data = _load_cached(folder)
    counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
    print(f"kind: {kind}   folder: {folder}")
    print(f"X_train {tuple(data.X_train.shape)} {data.X_train.dtype}   y_train {tuple(data.y_train.shape)}")
    print(f"X_test  {tuple(data.X_test.shape)} {data.X_test.dtype}   y_test  {tuple(data.y_test.shape)}")
    print(
        "train images per class: "
        + ", ".join(f"{n}={c}" for n, c in zip(data.class_names, counts, strict=True))
    )
    return 0


def _cmd_synthetic(args) -> int:
    out = Path(args.out) if args.out else _synthetic_home(resolve_data_dir(args.data_dir))
    kw = {"num_train": args.num_train, "num_test": args.num_test, "seed": args.seed}
    if args.archive:
        print(f"wrote {make_synthetic_archive(args.archive, **kw)}")
    else:
        print(f"wrote {make_synthetic_cifar10(out, **kw)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cs231n_lite.datasets", description="CIFAR-10 data for cs231n-lite."
    )
    sub = p.add_subparsers(dest="command", required=True)

    def with_dir(sp):
        sp.add_argument(
            "--data-dir", help=f"data folder (default: ${ENV_DATA_DIR}, else data/ in the course folder)"
        )
        return sp

    f = with_dir(sub.add_parser("fetch", help="download, verify and extract CIFAR-10 (170 MB)"))
    f.add_argument("--url", default=OFFICIAL_URL)
    f.add_argument("--sha256", default=OFFICIAL_SHA256, help="expected SHA256 of the archive")
    f.add_argument("--size", type=int, default=OFFICIAL_SIZE, help="expected size of the archive in bytes")
    f.add_argument("--no-verify", action="store_true", help="skip the hash and size checks")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.set_defaults(run=_cmd_fetch)
    v = with_dir(sub.add_parser("verify", help="check the archive's hash and/or the extracted batches"))
    v.add_argument("--archive", help=f"archive to check (default: <data-dir>/{ARCHIVE_NAME} if present)")
    v.add_argument("--sha256", default=OFFICIAL_SHA256)
    v.add_argument("--size", type=int, default=OFFICIAL_SIZE)
    v.set_defaults(run=_cmd_verify)
    i = with_dir(sub.add_parser("info", help="print which data is used, with shapes and counts"))
    i.set_defaults(run=_cmd_info)
    s = with_dir(sub.add_parser("synthetic", help="write the generated stand-in set"))
    s.add_argument("--out", help="folder to write cifar-10-batches-py into (default: <data-dir>/synthetic)")
    s.add_argument("--archive", help="write a .tar.gz in the official layout instead")
    s.add_argument("--num-train", type=int, default=SYNTHETIC_DEFAULTS["num_train"])
    s.add_argument("--num-test", type=int, default=SYNTHETIC_DEFAULTS["num_test"])
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(run=_cmd_synthetic)
    return p


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (0 ok, 1 expected error, 2 usage error)."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
