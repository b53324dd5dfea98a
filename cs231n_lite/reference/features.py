"""Reference solution of notebook 05's TODO: the hue histogram of a batch of images.

NOT shipped to students (the whole :mod:`cs231n_lite.reference` subpackage stays on the trusted side);
the check in :mod:`autograder._checks_features` compares student code against it.

Contract (shared with the notebook's TODO and with the slow loop in ``tests/test_features.py``):

- ``images``: array of shape (N, H, W, 3), RGB pixel values in [0, xmax] (uint8 or float);
- the hue of every pixel as ``matplotlib.colors.rgb_to_hsv(images / xmax)`` computes it (in [0, 1); 0 for
  grey pixels), multiplied by ``xmax`` -- put on the pixel scale, exactly as CS231n's ``color_histogram_hsv``;
- ``nbin`` equal bins over ``[xmin, xmax]``, each half-open ``[lo, hi)`` except the last, which also
  holds ``xmax`` (:func:`numpy.histogram`'s rule); hues below ``xmin`` are not counted;
- ``normalized=True``: each row is divided by its number of counted pixels (rows sum to 1; a row with
  no counted pixel stays all zeros); ``normalized=False``: pixel counts.

Examples
--------
>>> import numpy as np
>>> red, green, grey = [255, 0, 0], [0, 255, 0], [128, 128, 128]
>>> im = np.array([[red, red], [green, grey]], dtype=np.uint8)[None]  # one 2x2 image: N = 1
>>> color_histogram_hsv(im, nbin=3)  # hues * 255: 0, 0, 85, 0 -> bins [0, 85), [85, 170), [170, 255]
array([[0.75, 0.25, 0.  ]])
>>> color_histogram_hsv(im, nbin=3, normalized=False)
array([[3., 1., 0.]])
"""

from __future__ import annotations

import numpy as np

from cs231n_lite.features import check_hist_options, check_images

__all__ = ["color_histogram_hsv"]

_CHUNK_PIXELS = 1 << 20  # ~8 MB float64 temporaries per step, whatever N is


def _hue(block: np.ndarray, xmax: float) -> np.ndarray:
    """Hue * xmax of every pixel of ``block`` (n, H, W, 3), values in [0, xmax]: float64 array of shape (n * H * W,).

    The hexagonal formula of ``rgb_to_hsv``, in the same float64 operations (so the same bits): the channel
    holding the maximum picks the sector; where two channels share the maximum both formulas agree.
    """
    r, g, b = block.reshape(-1, 3).T.astype(np.float64) / xmax  # three contiguous planes
    vmax = np.maximum(np.maximum(r, g), b)
    delta = vmax - np.minimum(np.minimum(r, g), b)
    r_max, g_max = r == vmax, g == vmax
    num = np.where(r_max, g - b, np.where(g_max, b - r, r - g))
    offset = np.where(r_max, 0.0, np.where(g_max, 2.0, 4.0))
    grey = delta == 0
    hue = (num / np.where(grey, 1.0, delta) + offset) / 6.0 % 1.0
    hue[grey] = 0.0
    return hue * xmax


def color_histogram_hsv(images, nbin=10, xmin=0, xmax=255, normalized=True):
    """Histogram of the hue of each image.

    Parameters
    ----------
    images : array of shape (N, H, W, 3)
        RGB pixel values in [0, xmax].
    nbin : int
        Number of bins.
    xmin, xmax : float
        Range of the bins; ``xmax`` is also the pixel scale (the hue is put on [0, xmax)).
    normalized : bool
        Divide each row by its number of counted pixels.

    Returns
    -------
    hist : float64 array of shape (N, nbin)
    """
    images = check_images(images)
    nbin, xmin, xmax = check_hist_options(nbin, xmin, xmax)
    N = images.shape[0]
    top = images.max()
    if top > xmax:
        raise ValueError(
            f"images hold pixel values up to {top:g} but xmax={xmax:g}; xmax is the pixel scale (255 for uint8 "
            "images, 1.0 for images in [0, 1])."
        )
    pixels = images.reshape(N, -1, 3)
    P = pixels.shape[1]
    hist = np.zeros((N, nbin), dtype=np.float64)
    edges = np.linspace(
        xmin, xmax, nbin + 1
    )  # the edges np.histogram(..., bins=nbin, range=(xmin, xmax)) uses
    step = max(1, _CHUNK_PIXELS // max(P, 1))
    for lo in range(0, N, step):
        block = pixels[lo : lo + step]
        n = block.shape[0]
        hue = _hue(block, xmax).reshape(n, P)
        idx = np.minimum(np.searchsorted(edges, hue, side="right") - 1, nbin - 1)
        idx[(hue < xmin) | (hue > xmax)] = (
            nbin  # an extra column for the hues outside the range, dropped below
        )
        idx += np.arange(0, n * (nbin + 1), nbin + 1)[:, None]
        hist[lo : lo + n] = np.bincount(idx.ravel(), minlength=n * (nbin + 1)).reshape(n, nbin + 1)[:, :nbin]
    if normalized:
        counted = hist.sum(axis=1, keepdims=True)
        np.divide(hist, counted, out=hist, where=counted > 0)
    return hist
