"""Tests of cs231n_lite.features and of the hue-histogram reference (cs231n_lite.reference.features)."""

from __future__ import annotations

import colorsys
import functools
import os
import threading
import warnings

import numpy as np
import pytest
from skimage.feature import hog

from cs231n_lite import features
from cs231n_lite.features import FeatureCacheWarning, extract_features, hog_features, normalize_features
from cs231n_lite.reference.features import color_histogram_hsv

RED, ORANGE, GREEN = (255, 0, 0), (255, 128, 0), (0, 255, 0)
BLUE, PURPLE, GREY = (0, 0, 255), (128, 0, 255), (90, 90, 90)


def slow_hue_histogram(images, nbin=10, xmin=0, xmax=255, normalized=True):
    """The contract spelled out with loops: colorsys per pixel, bins by comparison with the edges."""
    edges = [xmin + (xmax - xmin) * k / nbin for k in range(nbin + 1)]
    out = np.zeros((len(images), nbin))
    for n, im in enumerate(images):
        counted = 0
        for pixel in np.asarray(im, dtype=np.float64).reshape(-1, 3):
            h, _, _ = colorsys.rgb_to_hsv(*(pixel / xmax))
            x = h * xmax
            if not xmin <= x <= xmax:
                continue
            k = nbin - 1
            for j in range(nbin):
                if edges[j] <= x < edges[j + 1]:
                    k = j
                    break
            out[n, k] += 1
            counted += 1
        if normalized and counted:
            out[n] /= counted
    return out


def _random_images(seed, n=6, size=8):
    """Random RGB images with some grey pixels and some pixels with two equal maximal channels."""
    rng = np.random.default_rng(seed)
    ims = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    grey = rng.random((n, size, size)) < 0.15
    ims[grey] = ims[grey][:, :1]
    tie = rng.random((n, size, size)) < 0.1
    ims[tie, 1] = ims[tie, 0]
    return ims


# ---------------------------------------------------------------------------------------------------- hue
def test_hue_histogram_hand_computed():
    # hue * 255: red 0, orange 21.33, green 85, blue 170, purple 191.33, grey 0; 10 bins of width 25.5
    im = np.array([[RED, ORANGE, GREEN], [BLUE, PURPLE, GREY]], dtype=np.uint8)[None]
    counts = color_histogram_hsv(im, normalized=False)
    np.testing.assert_array_equal(counts, [[3, 0, 0, 1, 0, 0, 1, 1, 0, 0]])
    np.testing.assert_allclose(color_histogram_hsv(im), counts / 6)
    # 3 bins of width 85: green sits on the edge 85 and starts bin 1; blue (170) starts bin 2
    np.testing.assert_array_equal(color_histogram_hsv(im, nbin=3, normalized=False), [[3, 1, 2]])
    # xmin 20: bins of width 58.75 from 20; red and grey (hue 0) are not counted
    np.testing.assert_array_equal(color_histogram_hsv(im, nbin=4, xmin=20, normalized=False), [[1, 1, 2, 0]])
    np.testing.assert_allclose(color_histogram_hsv(im, nbin=4, xmin=20), [[0.25, 0.25, 0.5, 0]])
    # xmax is the pixel scale: the same image in [0, 1] with xmax=1 gives the same histogram
    np.testing.assert_allclose(color_histogram_hsv(im / 255.0, xmax=1.0), counts / 6)


@pytest.mark.parametrize(
    "options",
    [{}, {"nbin": 7}, {"nbin": 4, "xmin": 30}, {"nbin": 12, "normalized": False}, {"nbin": 1}, {"xmax": 300}],
)
def test_hue_histogram_matches_slow_loop(options):
    images = _random_images(seed=len(options))
    got = color_histogram_hsv(images, **options)
    want = slow_hue_histogram(images, **options)
    assert got.shape == (len(images), options.get("nbin", 10))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    if options.get("normalized", True) and "xmin" not in options:
        np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_hue_histogram_matches_matplotlib_and_numpy_histogram():
    """The CS231n recipe (rgb_to_hsv * 255, np.histogram with density) gives the same rows on real-looking data."""
    from matplotlib.colors import rgb_to_hsv

    images = _random_images(seed=5, n=20, size=16)
    hue = rgb_to_hsv(images / 255.0)[..., 0] * 255
    edges = np.linspace(0, 255, 11)
    want = np.stack([np.histogram(h, bins=edges, density=True)[0] * np.diff(edges) for h in hue])
    np.testing.assert_allclose(color_histogram_hsv(images), want, atol=1e-12)


def test_hue_histogram_float_input_and_chunking(monkeypatch):
    from cs231n_lite.reference import features as ref

    images = _random_images(seed=3, n=9)
    whole = color_histogram_hsv(images)
    np.testing.assert_array_equal(color_histogram_hsv(images.astype(np.float32)), whole)
    monkeypatch.setattr(ref, "_CHUNK_PIXELS", 100)  # 1 image per step instead of all at once
    np.testing.assert_array_equal(color_histogram_hsv(images), whole)


def test_hue_histogram_rows_with_nothing_counted_stay_zero():
    im = np.full((2, 3, 3, 3), 128, dtype=np.uint8)  # all grey: hue 0, outside [10, 255]
    np.testing.assert_array_equal(color_histogram_hsv(im, nbin=5, xmin=10), np.zeros((2, 5)))


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"images": np.zeros((4, 4, 3))}, ValueError, "images[None]"),
        ({"images": np.zeros((5, 3072))}, ValueError, "load_cifar10_images"),
        ({"images": np.zeros((2, 4, 4, 4))}, ValueError, "(N, H, W, 3)"),
        ({"images": np.zeros((0, 4, 4, 3))}, ValueError, "at least one"),
        ({"images": np.zeros((1, 4, 4, 3), dtype=bool)}, TypeError, "dtype bool"),
        ({"images": np.full((1, 2, 2, 3), -3.0)}, ValueError, "[0, 255]"),
        ({"images": np.full((1, 2, 2, 3), np.nan)}, ValueError, "[0, 255]"),
        ({"images": "cat.png"}, TypeError, "numpy array"),
        ({"nbin": 0}, ValueError, "nbin must be an integer >= 1"),
        ({"nbin": 2.5}, ValueError, "nbin=2.5"),
        ({"xmin": 100, "xmax": 100}, ValueError, "xmin must be smaller than xmax"),
        ({"xmax": float("inf")}, ValueError, "xmax must be a finite number"),
        ({"images": np.full((1, 2, 2, 3), 200, dtype=np.uint8), "xmax": 1.0}, ValueError, "pixel values up to 200"),
    ],
)
def test_hue_histogram_bad_input(kwargs, exc, words):
    args = {"images": np.zeros((1, 2, 2, 3), dtype=np.uint8), **kwargs}
    with pytest.raises(exc) as info:
        color_histogram_hsv(**args)
    assert words in str(info.value)


# ---------------------------------------------------------------------------------------------------- HOG
def test_hog_shapes_and_values():
    images = _random_images(seed=1, n=3, size=32)
    F = hog_features(images)
    assert F.shape == (3, 3 * 3 * 2 * 2 * 9) and F.dtype == np.float32
    want = hog(images[1].astype(np.float32), orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), channel_axis=-1)
    np.testing.assert_allclose(F[1], want, rtol=1e-6)
    assert hog_features(images, pixels_per_cell=(4, 4), cells_per_block=(1, 1)).shape == (3, 8 * 8 * 9)
    assert hog_features(images, orientations=6, pixels_per_cell=(16, 16), cells_per_block=(1, 1)).shape == (3, 24)
    grey = hog_features(images, color=False)
    assert grey.shape == F.shape and not np.allclose(grey, F)


def test_hog_sees_edges_not_colours():
    """A vertical edge puts its weight in the horizontal-gradient bin; a flat image has no gradient."""
    flat = np.full((1, 32, 32, 3), 77, dtype=np.uint8)
    assert np.all(hog_features(flat) == 0)
    edge = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    edge[:, :, 16:] = 255
    cells = hog_features(edge, pixels_per_cell=(8, 8), cells_per_block=(1, 1)).reshape(4, 4, 9)
    assert cells[:, 1:3].sum() > 0 and cells[:, [0, 3]].sum() == 0  # only the cells next to the edge
    assert np.all(np.argmax(cells[:, 1], axis=-1) == 0)  # orientation bin 0: gradient along x


# ---------------------------------------------------------------------------------------------------- normalize
def test_normalize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(200, 4)) * [1, 2, 3, 0]  # last column constant (0)
    val = rng.normal(-1.0, 1.0, size=(10, 4))
    test = rng.normal(0.0, 1.0, size=(7, 4))
    Zt, Zv, Zs = normalize_features(train, val, test)
    assert Zt.shape == (200, 5) and Zv.shape == (10, 5) and Zs.shape == (7, 5)
    assert Zt.dtype == Zv.dtype == np.float32
    np.testing.assert_allclose(Zt[:, :3].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Zt[:, :3].std(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(Zt[:, 3], 0)  # constant on train: shifted, not divided by 0
    assert np.all(np.isfinite(Zv))
    mean, std = train[:, :3].mean(axis=0), train[:, :3].std(axis=0)
    np.testing.assert_allclose(Zv[:, :3], (val[:, :3] - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(Zv[:, 3], val[:, 3] / 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate([Zt[:, -1], Zv[:, -1], Zs[:, -1]]), 1.0)
    (no_bias,) = normalize_features(train, bias=False)
    np.testing.assert_array_equal(no_bias, Zt[:, :-1])


def test_normalize_bad_input():
    with pytest.raises(ValueError, match="has 3 features but X_train has 4"):
        normalize_features(np.ones((5, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        normalize_features(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"shape \(N, F\); got shape \(5,\)"):
        normalize_features(np.ones(5))


# ---------------------------------------------------------------------------------------------------- extraction
SEEN = {"images": 0}


def counting_hue(batch):
    """A hue-histogram feature function that counts the images it was asked to process."""
    SEEN["images"] += len(batch)
    return color_histogram_hsv(batch, nbin=6)


def test_extract_stacks_functions_and_chunks_agree(tmp_path):
    images = _random_images(seed=2, n=23, size=16)
    hue = functools.partial(color_histogram_hsv, nbin=6)
    F = extract_features(images, [hog_features, hue], cache=False, progress=False)
    assert F.shape == (23, hog_features(images[:1]).shape[1] + 6) and F.dtype == np.float32
    np.testing.assert_allclose(F[:, -6:], color_histogram_hsv(images, nbin=6), rtol=1e-6)
    np.testing.assert_array_equal(F[:, :-6], hog_features(images))
    chunked = extract_features(images, [hog_features, hue], chunk_size=5, cache=False, progress=False)
    np.testing.assert_array_equal(chunked, F)


@pytest.mark.slow
def test_extract_in_worker_processes_matches_serial():
    images = _random_images(seed=4, n=40, size=16)

    def local_mean(batch):  # defined in a function: pickled by value (cloudpickle), like a notebook's
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True)

    fns = [hog_features, local_mean]
    serial = extract_features(images, fns, chunk_size=10, n_jobs=1, cache=False, progress=False)
    parallel = extract_features(images, fns, chunk_size=10, n_jobs=2, cache=False, progress=False)
    np.testing.assert_array_equal(parallel, serial)


def test_extract_cache_second_call_identical_and_skips_work(tmp_path):
    images = _random_images(seed=6, n=30, size=8)
    fn = counting_hue
    SEEN["images"] = 0
    first = extract_features(images, [fn], cache=True, cache_dir=tmp_path, progress=False)
    assert SEEN["images"] == 30
    files = list(tmp_path.glob("features-*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob(".*tmp*"))  # temp file renamed, nothing left over
    second = extract_features(images, [fn], cache=True, cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(second, first)
    assert SEEN["images"] == 30 + features._SPOT_CHECK  # only the spot check ran
    # other images or other options: another key, computed afresh
    extract_features(images[:-1], [fn], cache=True, cache_dir=tmp_path, progress=False)
    other = functools.partial(color_histogram_hsv, nbin=4)
    extract_features(images, [other], cache=True, cache_dir=tmp_path, progress=False)
    again = functools.partial(color_histogram_hsv, nbin=4)
    extract_features(images, [again], cache=True, cache_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("features-*.npz"))) == 3


def test_cache_key_follows_code_and_defaults():
    images = _random_images(seed=7, n=2, size=4)

    def f(batch, k=1):
        return batch.reshape(len(batch), -1)[:, :k]

    def g(batch, k=1):
        return batch.reshape(len(batch), -1)[:, :k] + 1

    def f2(batch, k=2):
        return batch.reshape(len(batch), -1)[:, :k]

    f2.__qualname__ = f.__qualname__
    g.__qualname__ = f.__qualname__
    keys = {features._cache_key(images, [fn]) for fn in (f, g, f2)}
    assert len(keys) == 3
    assert features._cache_key(images, [f]) == features._cache_key(images.copy(), [f])
    changed = images.copy()
    changed[0, 0, 0, 0] ^= 1
    assert features._cache_key(changed, [f]) != features._cache_key(images, [f])


def _corrupt_bytes(path):
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 16] = bytes(255 - b for b in data[mid : mid + 16])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "tamper"])
def test_extract_corrupt_cache_detected_and_replaced(tmp_path, damage):
    images = _random_images(seed=8, n=20, size=8)
    hue = functools.partial(color_histogram_hsv, nbin=6)
    good = extract_features(images, [hue], cache=True, cache_dir=tmp_path, progress=False)
    (path,) = tmp_path.glob("features-*.npz")
    if damage == "flip":
        _corrupt_bytes(path)
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    else:  # a well-formed file with a matching checksum but other numbers: the spot check catches it
        with np.load(path) as z:
            key = str(z["key"])
        fake = np.zeros_like(good)
        np.savez(path, features=fake, key=np.array(key), checksum=np.array(features._checksum(fake)))
    with pytest.warns(FeatureCacheWarning, match="recomputing"):
        again = extract_features(images, [hue], cache=True, cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(again, good)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureCacheWarning)  # the file was rewritten: clean hit now
        np.testing.assert_array_equal(extract_features(images, [hue], cache=True, cache_dir=tmp_path, progress=False), good)


def test_extract_unwritable_cache_dir_still_computes(tmp_path):
    images = _random_images(seed=9, n=4, size=16)
    (tmp_path / "a-file").write_text("")
    F = extract_features(images, [hog_features], cache=True, cache_dir=tmp_path / "a-file" / "cache", progress=False)
    np.testing.assert_array_equal(F, hog_features(images))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_extract_default_cache_is_in_the_data_dir_and_off_when_grading(tmp_path, monkeypatch):
    images = _random_images(seed=10, n=3, size=8)
    hue = functools.partial(color_histogram_hsv, nbin=3)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    extract_features(images, [hue], data_dir=tmp_path, progress=False)
    assert not (tmp_path / ".cache").exists()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    extract_features(images, [hue], data_dir=tmp_path, progress=False)
    assert len(list((tmp_path / ".cache" / "features").glob("features-*.npz"))) == 1


def test_extract_progress_bar_counts_images(capsys):
    images = _random_images(seed=11, n=12, size=8)
    extract_features(images, [counting_hue], chunk_size=5, cache=False, progress=True)
    err = capsys.readouterr().err
    assert "features" in err and "12/12" in err


def test_extract_bad_feature_functions():
    images = _random_images(seed=12, n=4, size=8)
    with pytest.raises(TypeError, match="non-empty list of functions"):
        extract_features(images, [], cache=False, progress=False)
    with pytest.raises(TypeError, match="non-empty list of functions"):
        extract_features(images, [hog_features, "hue"], cache=False, progress=False)
    with pytest.raises(ValueError, match=r"one_row returned an array of shape \(6,\) for a batch of 4 images"):
        extract_features(images, [_one_row], cache=False, progress=False)
    with pytest.raises(ValueError, match="nan or inf"):
        extract_features(images, [lambda b: np.full((len(b), 2), np.nan)], cache=False, progress=False)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        extract_features(images, [hog_features], chunk_size=0, cache=False, progress=False)
    with pytest.raises(ValueError, match="n_jobs must be None"):
        extract_features(images, [hog_features], n_jobs=0, cache=False, progress=False)
    with pytest.raises(ValueError, match="images must be an array of shape"):
        extract_features(images[0], [hog_features], cache=False, progress=False)


def _one_row(batch):
    return np.ones(6)


# ---------------------------------------------------------------------------------------------------- data
def test_load_images_matches_get_cifar10_data(synthetic_data_dir):
    from cs231n_lite.datasets import get_cifar10_data

    d = features.load_cifar10_images(300, 50, 40, data_dir=synthetic_data_dir)
    assert d["X_train"].shape == (300, 32, 32, 3) and d["X_train"].dtype == np.uint8
    assert d["X_val"].shape == (50, 32, 32, 3) and d["X_test"].shape == (40, 32, 32, 3)
    rows = get_cifar10_data(300, 50, 40, 0, subtract_mean=False, bias_trick=False, data_dir=synthetic_data_dir)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(d[f"X_{split}"].reshape(len(d[f"X_{split}"]), -1), rows[f"X_{split}"])
        np.testing.assert_array_equal(d[f"y_{split}"], rows[f"y_{split}"])
    with pytest.raises(ValueError, match="pass smaller sizes"):
        features.load_cifar10_images(10**6, 0, 0, data_dir=synthetic_data_dir)
    with pytest.raises(ValueError, match="num_training must be an integer >= 1"):
        features.load_cifar10_images(0, data_dir=synthetic_data_dir)


def test_cache_folder_is_pruned_least_recently_used_first(tmp_path, monkeypatch):
    images = _random_images(seed=13, n=40, size=8)
    fns = [functools.partial(color_histogram_hsv, nbin=n) for n in (3, 4, 5)]
    paths = []
    for k, fn in enumerate(fns[:2]):
        extract_features(images, [fn], cache=True, cache_dir=tmp_path, progress=False)
        (new,) = set(tmp_path.glob("features-*.npz")) - set(paths)
        os.utime(new, (1000 + k, 1000 + k))  # the first is the oldest
        paths.append(new)
    extract_features(images, [fns[0]], cache=True, cache_dir=tmp_path, progress=False)  # a hit: now the newest
    size = paths[0].stat().st_size
    monkeypatch.setattr(features, "CACHE_LIMIT_BYTES", 2 * size + size // 2)  # room for two files
    extract_features(images, [fns[2]], cache=True, cache_dir=tmp_path, progress=False)
    left = set(tmp_path.glob("features-*.npz"))
    assert len(left) == 2 and paths[0] in left and paths[1] not in left


def test_unpicklable_functions_fall_back_to_this_process():
    images = _random_images(seed=14, n=20, size=8)
    lock = threading.Lock()

    def uses_a_lock(batch):  # a lock cannot be pickled: no worker processes
        with lock:
            return batch.reshape(len(batch), -1)[:, :2].astype(float)

    with pytest.warns(RuntimeWarning, match="cannot be sent to worker processes"):
        F = extract_features(images, [uses_a_lock], chunk_size=5, n_jobs=2, cache=False, progress=False)
    np.testing.assert_array_equal(F, images.reshape(20, -1)[:, :2])
