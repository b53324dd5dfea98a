"""Wall-clock time of each source notebook in one run mode, against a kernel-start baseline.

Usage (repo root)::

    .venv/bin/python bench/notebook_times.py --mode grading     # NBGRADER_EXECUTION=autograde, synthetic data
    .venv/bin/python bench/notebook_times.py --mode synthetic   # the CI / nbval configuration
    .venv/bin/python bench/notebook_times.py --mode full        # real CIFAR-10 (build it first)

The baseline is a one-cell notebook (``import numpy``) run the same way in the same process, so the
ratio says how many "empty kernel runs" each notebook costs on this machine, whatever its load.
Targets: grading mode <= 5 s per notebook, full real-data run <= 2 min per notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "grading": {"CS231N_LITE_DATASET": "synthetic", "NBGRADER_EXECUTION": "autograde"},
    "synthetic": {"CS231N_LITE_DATASET": "synthetic"},
    "full": {},
}


def run(nb, env: dict) -> tuple[float, list[str]]:
    saved = dict(os.environ)
    for key in ("CS231N_LITE_DATASET", "NBGRADER_EXECUTION"):
        os.environ.pop(key, None)
    os.environ.update(env)
    t0 = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=900,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    seconds = time.perf_counter() - t0
    errors = [
        f"cell {i}: {o['ename']}"
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    return seconds, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="grading")
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: all four)")
    args = parser.parse_args(argv)
    env = MODES[args.mode]
    paths = [ROOT / "notebooks" / f"{n}.ipynb" for n in args.notebooks] or sorted(
        (ROOT / "notebooks").glob("0*.ipynb")
    )
    baseline, _ = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy")]), env)
    print(f"mode {args.mode}; baseline (kernel start + import numpy): {baseline:.1f} s")
    for path in paths:
        seconds, errors = run(nbformat.read(path, as_version=4), env)
        note = f"  ERRORS: {', '.join(errors)}" if errors else ""
        print(f"{path.stem:<22} {seconds:7.1f} s  ({seconds / baseline:5.1f}x baseline){note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
