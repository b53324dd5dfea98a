"""Notebook setup: which data, which sizes, and a one-line printout saying so.

Every notebook starts with::

    from cs231n_lite import session
    S = session.start("02_svm")

which prints the data source and the run mode, and returns a :class:`Session` whose
``sizes`` feed :func:`cs231n_lite.datasets.get_cifar10_data` and whose :meth:`Session.pick`
chooses an iteration count (or any other knob) for the current mode.

Modes
-----
``grading``
    env ``NBGRADER_EXECUTION`` is set (nbgrader sets it to ``autograde`` or ``validate``):
    small subsets, few iterations, every notebook runs in a few seconds.
``synthetic``
    env ``CS231N_LITE_DATASET=synthetic`` and not grading: the generated CIFAR-10 look-alike
    at practice sizes (what CI runs, and what the stored notebook outputs come from; the banner
    says "practice sizes" to students).
``full``
    real CIFAR-10 at the lecture's sizes (49000 / 1000 / 1000 + dev 500).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["MODES", "SIZES", "Session", "current_mode", "limit_blas_threads", "start"]

MODES = ("full", "synthetic", "grading")

#: keyword arguments for ``datasets.get_cifar10_data`` in each mode
SIZES = {
    "full": {"num_training": 49000, "num_validation": 1000, "num_test": 1000, "num_dev": 500},
    "synthetic": {"num_training": 4000, "num_validation": 500, "num_test": 500, "num_dev": 200},
    "grading": {"num_training": 500, "num_validation": 100, "num_test": 100, "num_dev": 50},
}


def _dataset_choice() -> str:
    value = os.environ.get("CS231N_LITE_DATASET", "cifar10").strip().lower() or "cifar10"
    if value not in ("cifar10", "synthetic"):
        raise ValueError(
            f"CS231N_LITE_DATASET must be 'cifar10' or 'synthetic'; found {value!r}. "
            "Run `export CS231N_LITE_DATASET=synthetic` for the generated data, or unset it for CIFAR-10."
        )
    return value


def current_mode() -> str:
    """Return ``"grading"``, ``"synthetic"`` or ``"full"`` from the environment.

    Examples
    --------
    >>> current_mode() in MODES
    True
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return "grading"
    return "synthetic" if _dataset_choice() == "synthetic" else "full"


def _describe_data() -> str:
    try:
        from cs231n_lite import datasets

        return datasets.describe_data_source()
    except (ImportError, AttributeError):  # data helper not importable: say what the env selects
        choice = _dataset_choice()
        return "generated synthetic CIFAR-10 look-alike" if choice == "synthetic" else "CIFAR-10"


@dataclass(frozen=True)
class Session:
    """What one notebook run uses.

    Attributes
    ----------
    notebook : str
        Notebook name, e.g. ``"02_svm"``.
    mode : str
        One of :data:`MODES`.
    dataset : str
        ``"cifar10"`` or ``"synthetic"``.
    sizes : dict
        ``num_training``, ``num_validation``, ``num_test``, ``num_dev`` for ``get_cifar10_data``.
    seed : int
        Seed for the notebook's random draws.
    """

    notebook: str
    mode: str
    dataset: str
    sizes: dict = field(default_factory=dict)
    seed: int = 0

    @property
    def grading(self) -> bool:
        """True when nbgrader executes the notebook."""
        return self.mode == "grading"

    def pick(self, *, full, synthetic=None, grading=None):
        """Return the value for the current mode (``synthetic`` and ``grading`` default to ``full``).

        Examples
        --------
        >>> Session("x", "grading", "synthetic").pick(full=1500, synthetic=300, grading=20)
        20
        """
        value = {"full": full, "synthetic": synthetic, "grading": grading}[self.mode]
        if value is None and self.mode == "grading":
            value = synthetic
        return full if value is None else value

    def load_data(self, **options) -> dict:
        """Load CIFAR-10 (or the generated set) at this session's sizes.

        ``options`` go to ``datasets.get_cifar10_data`` and override :attr:`sizes`. Without the
        data this raises the data module's ``DataNotFoundError`` whose message gives the fetch
        command and the ``CS231N_LITE_DATASET=synthetic`` switch.
        """
        from cs231n_lite import datasets

        kwargs = {**self.sizes, "seed": self.seed, **options}
        return datasets.get_cifar10_data(**kwargs)

    def setup_plots(self, *, figsize=(8, 3)) -> None:
        """Set matplotlib's default figure size; in grading mode draw nothing (saves seconds).

        While grading, figures are built (so plotting code still runs and can fail) but ``plt.show()``
        closes them instead of rendering PNGs nobody looks at.
        """
        import matplotlib.pyplot as plt

        plt.rcParams["figure.figsize"] = figsize
        if self.grading:
            plt.switch_backend("agg")
            plt.show = _close_all

    def _results_file(self):
        from pathlib import Path

        base = os.environ.get("CS231N_LITE_RESULTS_DIR")
        if base is None:
            from cs231n_lite import datasets

            base = datasets.resolve_data_dir() / "results"
        return Path(base) / f"{self.mode}-{self.dataset}.json"

    def save_result(self, key: str, value: dict) -> None:
        """Remember ``value`` (JSON-able) under ``key`` for a later notebook in the same mode and data.

        Failures to write (read-only folder in a sandbox) are ignored: results are a convenience.
        """
        import json

        path = self._results_file()
        try:
            stored = json.loads(path.read_text()) if path.exists() else {}
            stored[key] = value
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(stored, indent=1, sort_keys=True))
        except (OSError, ValueError):
            pass

    def load_result(self, key: str):
        """Return what :meth:`save_result` stored under ``key`` in this mode and data, or ``None``."""
        import json

        try:
            return json.loads(self._results_file().read_text()).get(key)
        except (OSError, ValueError):
            return None

    def banner(self) -> str:
        """The line :func:`start` prints: which data, where it is (or how to get it), and how big this run is."""
        n = self.sizes.get("num_training")
        what = {
            "full": f"full lecture sizes ({n} training images)",
            "synthetic": f"practice sizes ({n} training images, fewer iterations) so every cell runs quickly",
            "grading": f"checking run (nbgrader {os.environ.get('NBGRADER_EXECUTION')}): small subset "
            f"({n} training images), few iterations",
        }[self.mode]
        return f"[cs231n-lite] {self.notebook}: data = {_describe_data()}; {what}"


def limit_blas_threads() -> int | None:
    """Limit numpy's BLAS to ``CS231N_LITE_BLAS_THREADS`` threads (default 1); return the limit or None.

    The notebooks multiply small matrices (a minibatch of 200 rows) thousands of times. On a shared
    machine (CI, several grading workers, other kernels) a multi-threaded BLAS then spends most of
    its time waiting for busy cores: one thread was 16x faster per SGD step under load here. Set
    ``CS231N_LITE_BLAS_THREADS=0`` to keep the library default. Needs ``threadpoolctl`` (installed
    with scikit-learn); without it nothing changes.
    """
    value = os.environ.get("CS231N_LITE_BLAS_THREADS", "1").strip() or "1"
    try:
        threads = int(value)
    except ValueError:
        raise ValueError(
            f"CS231N_LITE_BLAS_THREADS must be an integer (0 = library default); found {value!r}."
        ) from None
    if threads <= 0:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    threadpool_limits(limits=threads, user_api="blas")
    return threads


def _close_all(*args, **kwargs) -> None:
    import matplotlib.pyplot as plt

    plt.close("all")


def start(notebook: str, *, seed: int = 0, quiet: bool = False) -> Session:
    """Set up a notebook run and print which data it uses.

    Parameters
    ----------
    notebook : str
        Notebook name, printed in the banner.
    seed : int, keyword-only
        Seed the notebook uses for its random draws.
    quiet : bool, keyword-only
        Do not print the banner.

    Also limits numpy's BLAS threads (see :func:`limit_blas_threads`).

    Returns
    -------
    Session

    Examples
    --------
    >>> S = start("demo", quiet=True)
    >>> sorted(S.sizes) == ["num_dev", "num_test", "num_training", "num_validation"]
    True
    """
    mode = current_mode()
    limit_blas_threads()
    S = Session(notebook=notebook, mode=mode, dataset=_dataset_choice(), sizes=dict(SIZES[mode]), seed=seed)
    if not quiet:
        print(S.banner())
    return S
