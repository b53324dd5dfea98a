"""Image features for linear classifiers: HOG, feature extraction (parallel, cached) and normalization.

A linear classifier on raw pixels stalls below 40 % on CIFAR-10; the same classifier on hand-made
features -- a histogram of oriented gradients (shape) plus a hue histogram (colour) -- does much better.
This module is the machinery of notebook 05 (the hue histogram itself is the notebook's TODO):

- :func:`load_cifar10_images` -- the CS231n splits as images, uint8 array of shape (N, 32, 32, 3);
- :func:`hog_features` -- scikit-image's :func:`skimage.feature.hog` on a batch of images;
- :func:`extract_features` -- run feature functions over all images in chunks (a tqdm progress bar,
  several processes through joblib) and cache the result on disk;
- :func:`normalize_features` -- zero mean / unit variance with the TRAINING statistics, plus a bias column.

A feature function takes a batch, array of shape (n, H, W, 3), and returns an array of shape (n, F).
Shapes: N images, F features; ``images`` hold RGB pixel values in [0, 255].

Examples
--------
>>> import numpy as np
>>> from cs231n_lite import features
>>> images = np.random.default_rng(0).integers(0, 256, size=(6, 32, 32, 3), dtype=np.uint8)
>>> F = features.extract_features(images, [features.hog_features], cache=False, progress=False)
>>> F.shape, F.dtype.name
((6, 324), 'float32')
>>> F_train, F_val = features.normalize_features(F[:4], F[4:])
>>> F_train.shape, bool(np.allclose(F_train[:, :-1].mean(axis=0), 0, atol=1e-5)), float(F_val[0, -1])
((4, 325), True, 1.0)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import numbers
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "FeatureCacheWarning",
    "check_images",
    "check_hist_options",
    "hog_features",
    "extract_features",
    "feature_cache_dir",
    "normalize_features",
    "load_cifar10_images",
]

#: bump when the cache layout or the meaning of a cached array changes
CACHE_VERSION = 1
#: images whose features are recomputed on every cache hit, to catch a stale or tampered entry
_SPOT_CHECK = 8
#: the feature cache folder is pruned (least recently used files first) to stay under this size
CACHE_LIMIT_BYTES = 512 << 20


class FeatureCacheWarning(UserWarning):
    """A cached feature file was unreadable, corrupt or stale and has been recomputed."""


# --------------------------------------------------------------------------------------------- validation
def check_images(images, *, name="images") -> np.ndarray:
    """Validate a batch of RGB images: array of shape (N, H, W, 3), real values in [0, 255].

    Parameters
    ----------
    images : array-like of shape (N, H, W, 3)
        uint8 (any integer type) or float pixel values.
    name : str, keyword-only
        What to call the argument in error messages.

    Returns
    -------
    images : numpy array (not copied when it already is one)

    Raises
    ------
    TypeError
        Not numeric, or boolean.
    ValueError
        Wrong shape, no images, or float pixel values outside [0, 255] / not finite.

    Examples
    --------
    >>> check_images(np.zeros((2, 4, 4, 3), dtype=np.uint8)).shape
    (2, 4, 4, 3)
    >>> check_images(np.zeros((4, 4, 3)))
    Traceback (most recent call last):
    ...
    ValueError: images must be an array of shape (N, H, W, 3) ...
    """
    if isinstance(images, (str, bytes, dict, set)) or images is None:
        raise TypeError(f"{name} must be a numpy array of shape (N, H, W, 3); got {type(images).__name__}.")
    arr = np.asarray(images)
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must hold numbers (uint8 or float pixel values in [0, 255]); got dtype {arr.dtype}."
        )
    if arr.ndim != 4 or arr.shape[-1] != 3:
        hint = (
            " For a single image use images[None] (adds the N axis)."
            if arr.ndim == 3 and arr.shape[-1] == 3
            else ""
        )
        if arr.ndim == 2 and arr.shape[1] in (3072, 3073):
            hint = (
                " These look like flattened rows from get_cifar10_data; feature functions need the images: "
                "use features.load_cifar10_images()."
            )
        raise ValueError(
            f"{name} must be an array of shape (N, H, W, 3) (N RGB images); got shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0 or arr.shape[2] == 0:
        raise ValueError(f"{name} must hold at least one non-empty image; got shape {arr.shape}.")
    if (
        np.issubdtype(arr.dtype, np.floating)
        or arr.dtype.itemsize > 1
        or np.issubdtype(arr.dtype, np.signedinteger)
    ):
        lo, hi = arr.min(), arr.max()
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi > 255:
            raise ValueError(
                f"{name} must hold pixel values in [0, 255]; got values in [{lo:g}, {hi:g}]. Mean-subtracted "
                "rows are not images: load them with features.load_cifar10_images()."
            )
    return arr


def check_hist_options(nbin, xmin, xmax) -> tuple[int, float, float]:
    """Validate histogram options: ``nbin`` an integer >= 1, ``xmin < xmax`` finite numbers.

    Examples
    --------
    >>> check_hist_options(10, 0, 255)
    (10, 0.0, 255.0)
    """
    if isinstance(nbin, (bool, np.bool_)) or not isinstance(nbin, numbers.Integral) or nbin < 1:
        raise ValueError(f"nbin must be an integer >= 1 (the number of bins); got nbin={nbin!r}.")
    for label, v in (("xmin", xmin), ("xmax", xmax)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise ValueError(f"{label} must be a finite number; got {label}={v!r}.")
    if not xmin < xmax:
        raise ValueError(
            f"xmin must be smaller than xmax; got xmin={xmin!r}, xmax={xmax!r} (default: 0 and 255)."
        )
    return int(nbin), float(xmin), float(xmax)


# --------------------------------------------------------------------------------------------- HOG
def hog_features(images, *, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), color=True):
    """Histogram of oriented gradients of each image (scikit-image's :func:`skimage.feature.hog`).

    Each image is cut into cells of ``pixels_per_cell`` pixels; each cell gets a histogram of its gradient
    orientations (``orientations`` bins over 0-180 degrees, weighted by gradient magnitude); groups of
    ``cells_per_block`` cells are contrast-normalized together (L2-Hys).

    Parameters
    ----------
    images : array of shape (N, H, W, 3)
        RGB pixel values in [0, 255].
    orientations : int, keyword-only
    pixels_per_cell, cells_per_block : (int, int), keyword-only
    color : bool, keyword-only
        True: at each pixel use the gradient of the colour channel where it is strongest (scikit-image's
        multichannel HOG); False: the gradient of the grey image (mean of the channels).

    Returns
    -------
    float32 array of shape (N, F)
        For 32x32 images and the defaults F = 3 x 3 blocks x 2 x 2 cells x 9 orientations = 324.

    Examples
    --------
    >>> hog_features(np.zeros((2, 32, 32, 3), dtype=np.uint8)).shape
    (2, 324)
    """
    from skimage.feature import hog

    images = check_images(images)
    kw = dict(
        orientations=orientations,
        pixels_per_cell=tuple(pixels_per_cell),
        cells_per_block=tuple(cells_per_block),
    )
    rows = []
    for im in images:
        im = im.astype(np.float32)
        if color:
            rows.append(hog(im, channel_axis=-1, **kw))
        else:
            rows.append(hog(im.mean(axis=-1), **kw))
    return np.asarray(rows, dtype=np.float32)


# --------------------------------------------------------------------------------------------- extraction
def _grading() -> bool:
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _fn_name(fn) -> str:
    if isinstance(fn, functools.partial):
        return _fn_name(fn.func)
    return getattr(fn, "__name__", type(fn).__name__)


def _value_token(value) -> str:
    """A stable text for option values (numbers, strings, tuples, arrays); repr for the rest."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}{value.dtype.str}:{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}"
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_value_token(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_value_token(v)}" for k, v in sorted(value.items(), key=repr)) + "}"
    return repr(value)


def _code_token(code) -> str:
    """Digest of a code object: bytecode, names and constants (nested functions included)."""
    h = hashlib.sha256(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        h.update((_code_token(const) if hasattr(const, "co_code") else repr(const)).encode())
    return h.hexdigest()[:16]


def _fn_token(fn) -> str:
    """What identifies a feature function in the cache key: name, code digest, defaults, partial options."""
    if isinstance(fn, functools.partial):
        return f"partial({_fn_token(fn.func)},{_value_token(fn.args)},{_value_token(fn.keywords)})"
    name = f"{getattr(fn, '__module__', None)}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    code = getattr(fn, "__code__", None)
    if code is None:  # a callable object: its class and its attributes
        return f"{name}:{_value_token(getattr(fn, '__dict__', {}))}"
    return f"{name}:{_code_token(code)}:{_value_token(fn.__defaults__ or ())}:{_value_token(fn.__kwdefaults__ or {})}"


def _cache_key(images: np.ndarray, feature_fns) -> str:
    import skimage

    h = hashlib.sha256(
        f"cs231n_lite.features v{CACHE_VERSION}|numpy {np.__version__}|skimage {skimage.__version__}".encode()
    )
    h.update(f"|{images.shape}|{images.dtype.str}|".encode())
    step = max(1, (64 << 20) // max(1, images[0].nbytes))  # hash 64 MB at a time: no full copy of the data
    for lo in range(0, images.shape[0], step):
        h.update(memoryview(np.ascontiguousarray(images[lo : lo + step])).cast("B"))
    for fn in feature_fns:
        h.update(f"|{_fn_token(fn)}".encode())
    return h.hexdigest()[:24]


def feature_cache_dir(data_dir=None) -> Path:
    """Where :func:`extract_features` caches: ``<data_dir>/.cache/features`` (data_dir as in :mod:`.datasets`).

    Examples
    --------
    >>> feature_cache_dir("/tmp/somewhere").as_posix()
    '/tmp/somewhere/.cache/features'
    """
    from .datasets import resolve_data_dir

    return Path(resolve_data_dir(data_dir)) / ".cache" / "features"


def _compute(block: np.ndarray, feature_fns) -> np.ndarray:
    """Features of one chunk: every function on the chunk, side by side, float32 array of shape (n, F)."""
    n = block.shape[0]
    parts = []
    for fn in feature_fns:
        out = np.asarray(fn(block))
        if out.ndim != 2 or out.shape[0] != n:
            raise ValueError(
                f"feature function {_fn_name(fn)} returned an array of shape {out.shape} for a batch of {n} "
                f"images; expected shape ({n}, F): a feature function takes images of shape (n, H, W, 3) and "
                "returns one row per image."
            )
        if not np.issubdtype(out.dtype, np.number) or out.dtype == np.bool_:
            raise TypeError(f"feature function {_fn_name(fn)} returned dtype {out.dtype}; expected numbers.")
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"feature function {_fn_name(fn)} returned nan or inf for some images; every feature must be "
                "finite (a division by zero?)."
            )
        parts.append(out.astype(np.float32, copy=False))
    return np.hstack(parts) if len(parts) > 1 else parts[0].copy()


def _checksum(arr: np.ndarray) -> str:
    return hashlib.sha256(memoryview(np.ascontiguousarray(arr)).cast("B")).hexdigest()


def _read_cache(path: Path, key: str, num_images: int):
    """The cached float32 array of shape (N, F), or ``(None, reason)`` when it is absent or bad."""
    if not path.exists():
        return None, None
    try:
        with np.load(path, allow_pickle=False) as z:
            stored_key, checksum, feats = str(z["key"]), str(z["checksum"]), z["features"]
    except Exception as exc:  # truncated / not a zip / missing member: all mean "corrupt"
        return None, f"unreadable ({type(exc).__name__}: {exc})"
    if stored_key != key:
        return None, "its key does not match its name"
    if feats.dtype != np.float32 or feats.ndim != 2 or feats.shape[0] != num_images:
        return (
            None,
            f"it holds an array of shape {feats.shape} and dtype {feats.dtype}, expected ({num_images}, F) float32",
        )
    if _checksum(feats) != checksum:
        return None, "its checksum does not match its content"
    return feats, None


def _write_cache(path: Path, key: str, feats: np.ndarray, names: str) -> None:
    """Write to a temp file in the same folder, read it back, then rename; skip quietly if not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp.npz")
    except OSError:
        return  # read-only data folder: no cache, results still correct
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(
                f,
                features=feats,
                key=np.array(key),
                checksum=np.array(_checksum(feats)),
                names=np.array(names),
            )
        back, reason = _read_cache(Path(tmp), key, feats.shape[0])
        if back is None or not np.array_equal(back, feats):
            raise OSError(f"the written cache file did not read back ({reason})")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _prune(path.parent, keep=path)


def _prune(folder: Path, *, keep: Path) -> None:
    """Delete the least recently used cache files until the folder holds at most CACHE_LIMIT_BYTES.

    Every edit of a feature function makes a new entry (about 65 MB for the 49,000 training images), so
    without this the folder would grow with each attempt.  ``keep`` (the file just written) always stays.
    """
    with contextlib.suppress(OSError):
        entries = []
        for p in folder.glob("features-*.npz"):
            st = p.stat()
            entries.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        for _, size, p in sorted(entries, key=lambda e: e[0]):
            if total <= CACHE_LIMIT_BYTES:
                break
            if p != keep:
                with contextlib.suppress(OSError):
                    p.unlink()
                    total -= size


def _picklable(feature_fns) -> str | None:
    """None if the functions can be sent to worker processes, else the reason (then we compute here)."""
    import cloudpickle  # what joblib uses to send functions to its workers

    try:
        cloudpickle.dumps(feature_fns)
    except Exception as exc:  # any pickling failure means: no workers
        return f"{type(exc).__name__}: {exc}"
    return None


def _resolve_jobs(n_jobs, num_chunks: int) -> int:
    if n_jobs is None:
        if _grading():
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        return max(1, min(cores, num_chunks))
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise ValueError(f"n_jobs must be None (all cores) or an integer >= 1; got n_jobs={n_jobs!r}.")
    return max(1, min(int(n_jobs), num_chunks))


def extract_features(
    images,
    feature_fns,
    *,
    chunk_size=1000,
    n_jobs=None,
    cache=None,
    data_dir=None,
    cache_dir=None,
    progress=None,
):
    """Compute the features of all images, side by side: float32 array of shape (N, F).

    The images are cut into chunks of ``chunk_size``; each chunk goes through every function in
    ``feature_fns`` (each returns an array of shape (n, F_i)); the outputs are stacked column-wise, so
    F = F_1 + F_2 + ... .  Chunks run in ``n_jobs`` worker processes (joblib; functions defined in a
    notebook work too) while a tqdm bar counts images.

    Caching: the result is stored in ``feature_cache_dir(data_dir)`` (or ``cache_dir``) under a key made of
    the image bytes and shape, each function's name, bytecode, default arguments and ``functools.partial``
    options, and the numpy / scikit-image versions.  A second call with the same inputs loads the file
    (checked against a stored SHA-256, and the first images' features are recomputed and compared) instead
    of recomputing.  A corrupt or stale file is reported with a :class:`FeatureCacheWarning` and replaced.
    Files are written to a temporary name, read back, then renamed, so a crash never leaves half a file.
    The key does not see inside helper functions that a feature function calls: after editing a helper,
    pass ``cache=False`` once (the spot check of the first images catches most such changes anyway).

    Parameters
    ----------
    images : array of shape (N, H, W, 3)
        RGB pixel values in [0, 255].
    feature_fns : sequence of callables
        ``fn(batch) -> array of shape (n, F_i)`` for ``batch`` of shape (n, H, W, 3).
    chunk_size : int, keyword-only
        Images per chunk (the unit of work and of the progress bar).
    n_jobs : int or None, keyword-only
        Worker processes; None: every available core, but 1 in grading mode (``NBGRADER_EXECUTION`` set)
        and whenever there is only one chunk.
    cache : bool or None, keyword-only
        Use the disk cache; None: yes, except in grading mode.
    data_dir, cache_dir : path or None, keyword-only
        ``cache_dir`` overrides the default ``<data_dir>/.cache/features``.
    progress : bool or None, keyword-only
        Show a tqdm progress bar (a widget in JupyterLab, text elsewhere); None: yes, except in grading mode.

    Returns
    -------
    float32 array of shape (N, F)

    Raises
    ------
    ValueError, TypeError
        Bad images, an empty ``feature_fns``, or a function returning the wrong shape / non-finite values.

    Examples
    --------
    >>> images = np.full((3, 8, 8, 3), 200, dtype=np.uint8)
    >>> def mean_rgb(batch):
    ...     return batch.reshape(len(batch), -1, 3).mean(axis=1)
    >>> extract_features(images, [mean_rgb], cache=False, progress=False)
    array([[200., 200., 200.],
           [200., 200., 200.],
           [200., 200., 200.]], dtype=float32)
    """
    images = check_images(images)
    if callable(feature_fns):
        feature_fns = [feature_fns]
    feature_fns = list(feature_fns)
    if not feature_fns or not all(callable(fn) for fn in feature_fns):
        raise TypeError(
            "feature_fns must be a non-empty list of functions fn(images) -> array of shape (n, F), e.g. "
            "[features.hog_features, color_histogram_hsv]; got "
            f"{[type(fn).__name__ for fn in feature_fns] or 'an empty list'}."
        )
    if (
        isinstance(chunk_size, (bool, np.bool_))
        or not isinstance(chunk_size, numbers.Integral)
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be an integer >= 1; got chunk_size={chunk_size!r}.")
    N = images.shape[0]
    use_cache = (not _grading()) if cache is None else bool(cache)
    progress = (not _grading()) if progress is None else bool(progress)

    path = key = None
    if use_cache:
        key = _cache_key(images, feature_fns)
        folder = Path(cache_dir) if cache_dir is not None else feature_cache_dir(data_dir)
        path = folder / f"features-{key}.npz"
        feats, reason = _read_cache(path, key, N)
        if feats is not None:
            k = min(N, _SPOT_CHECK)
            fresh = _compute(images[:k], feature_fns)
            if fresh.shape == (k, feats.shape[1]) and np.allclose(fresh, feats[:k], rtol=1e-5, atol=1e-6):
                with contextlib.suppress(OSError):
                    os.utime(path)  # recently used: pruned last
                if progress:
                    from tqdm.auto import tqdm

                    with tqdm(total=N, desc="features (cached)", unit="img") as bar:
                        bar.update(N)
                return feats
            reason = "the features of its first images differ from a fresh computation (stale entry)"
        if reason is not None:
            warnings.warn(
                f"feature cache {path} is {reason}; recomputing it.", FeatureCacheWarning, stacklevel=2
            )

    starts = range(0, N, int(chunk_size))
    jobs = _resolve_jobs(n_jobs, len(starts))
    if jobs > 1:
        why = _picklable(feature_fns)
        if why is not None:
            warnings.warn(
                f"the feature functions cannot be sent to worker processes ({why}); computing them in this "
                "process instead (slower). Define them at the top level of the notebook or a module.",
                RuntimeWarning,
                stacklevel=2,
            )
            jobs = 1
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=N, desc="features", unit="img")
    try:
        if jobs == 1:
            results = (_compute(images[lo : lo + chunk_size], feature_fns) for lo in starts)
        else:
            from joblib import Parallel, delayed

            run = Parallel(n_jobs=jobs, return_as="generator")
            results = run(delayed(_compute)(images[lo : lo + chunk_size], feature_fns) for lo in starts)
        out = None
        for lo, part in zip(starts, results, strict=True):
            if out is None:
                out = np.empty((N, part.shape[1]), dtype=np.float32)
            elif part.shape[1] != out.shape[1]:
                raise ValueError(
                    f"the feature functions returned {out.shape[1]} features per image for the first chunk but "
                    f"{part.shape[1]} for images {lo}..{lo + len(part) - 1}; every image needs the same number."
                )
            out[lo : lo + len(part)] = part
            if bar is not None:
                bar.update(len(part))
    finally:
        if bar is not None:
            bar.close()
    if use_cache:
        _write_cache(path, key, out, ";".join(_fn_token(fn) for fn in feature_fns))
    return out


# --------------------------------------------------------------------------------------------- normalization
def normalize_features(X_train, *others, bias=True):
    """Zero mean and unit variance per feature, using the statistics of ``X_train`` only; bias column last.

    Every array is shifted by the training mean and divided by the training standard deviation (features
    that are constant on the training set are only shifted).  The validation and test sets must never
    contribute to these statistics: they stand for images the classifier has not seen.

    Parameters
    ----------
    X_train : array of shape (N, F)
    *others : arrays of shape (M, F)
        Validation, test, ... sets, normalized with the training statistics.
    bias : bool, keyword-only
        Append a column of ones (the bias trick): shape (N, F + 1).

    Returns
    -------
    tuple of float32 arrays, ``X_train`` first.

    Examples
    --------
    >>> train = np.array([[0.0, 5.0], [2.0, 5.0]]); val = np.array([[4.0, 6.0]])
    >>> Xt, Xv = normalize_features(train, val)
    >>> Xt
    array([[-1.,  0.,  1.],
           [ 1.,  0.,  1.]], dtype=float32)
    >>> Xv
    array([[3., 1., 1.]], dtype=float32)
    """
    arrays = []
    for i, X in enumerate((X_train, *others)):
        label = "X_train" if i == 0 else f"array #{i} after X_train"
        X = np.asarray(X)
        if X.ndim != 2 or not np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_:
            raise ValueError(
                f"{label} must be a numeric array of shape (N, F); got shape {X.shape}, dtype {X.dtype}."
            )
        if arrays and X.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"{label} has {X.shape[1]} features but X_train has {arrays[0].shape[1]}; extract them with the "
                "same feature functions."
            )
        arrays.append(X)
    if arrays[0].shape[0] < 2:
        raise ValueError(
            f"X_train needs at least 2 rows to estimate a standard deviation; got {arrays[0].shape[0]}."
        )
    mean = arrays[0].mean(axis=0, dtype=np.float64)
    std = arrays[0].std(axis=0, dtype=np.float64)
    std[std < 1e-12 * max(1.0, float(np.abs(mean).max()))] = 1.0
    mean32, scale32 = mean.astype(np.float32), (1.0 / std).astype(np.float32)
    out = []
    for X in arrays:
        Z = np.empty((X.shape[0], X.shape[1] + int(bias)), dtype=np.float32)
        np.subtract(X, mean32, out=Z[:, : X.shape[1]], casting="unsafe")
        Z[:, : X.shape[1]] *= scale32
        if bias:
            Z[:, -1] = 1.0
        out.append(Z)
    return tuple(out)


# --------------------------------------------------------------------------------------------- data
def load_cifar10_images(num_training=49000, num_validation=1000, num_test=1000, *, data_dir=None) -> dict:
    """The CS231n splits of CIFAR-10 (or the synthetic set, env ``CS231N_LITE_DATASET``) as images.

    Same split as :func:`cs231n_lite.datasets.get_cifar10_data`: train = the first ``num_training``
    training images, val = the ``num_validation`` after them, test = the first ``num_test`` test images.

    Returns
    -------
    dict
        ``X_train, X_val, X_test``: uint8 arrays of shape (N, 32, 32, 3) (read-only memory maps of the
        data cache); ``y_train, y_val, y_test``: int64 arrays of shape (N,); ``class_names``: list of str.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["CS231N_LITE_DATASET"] = "synthetic"
    >>> d = load_cifar10_images(300, 100, 50, data_dir=tempfile.mkdtemp())
    >>> d["X_train"].shape, d["X_val"].dtype.name, d["y_test"].shape
    ((300, 32, 32, 3), 'uint8', (50,))
    >>> del os.environ["CS231N_LITE_DATASET"]
    """
    from . import datasets

    for label, v, lo in (
        ("num_training", num_training, 1),
        ("num_validation", num_validation, 0),
        ("num_test", num_test, 0),
    ):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < lo:
            raise ValueError(f"{label} must be an integer >= {lo}; got {label}={v!r}.")
    # the same loader (and memory-mapped cache) get_cifar10_data uses
    folder, kind = datasets._active_folder(data_dir)
    raw = datasets._load_cached(folder)
    n_train, n_test = len(raw.y_train), len(raw.y_test)
    if num_training + num_validation > n_train or num_test > n_test:
        raise ValueError(
            f"asked for {num_training} + {num_validation} training and {num_test} test images, but the "
            f"{'synthetic set' if kind == 'synthetic' else 'CIFAR-10 data'} at {folder} holds {n_train} and "
            f"{n_test}; pass smaller sizes."
        )
    end = num_training + num_validation
    return {
        "X_train": raw.X_train[:num_training],
        "y_train": np.array(raw.y_train[:num_training], dtype=np.int64),
        "X_val": raw.X_train[num_training:end],
        "y_val": np.array(raw.y_train[num_training:end], dtype=np.int64),
        "X_test": raw.X_test[:num_test],
        "y_test": np.array(raw.y_test[:num_test], dtype=np.int64),
        "class_names": list(raw.class_names),
    }
