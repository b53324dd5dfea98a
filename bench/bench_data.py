"""Benchmark `get_cifar10_data()` on real CIFAR-10: cold and warm call, each in a fresh process.

Targets: the second (cached) call takes <= 0.5 s and a fresh process peaks at <= 1.0 GB RSS.  For scale, a
baseline measured in the same run loads the pickles the way the original CS231n code does (float64, no cache).
Peak RSS is the child's ``ru_maxrss`` as reported by ``os.wait4``.

The data: ``<repo>/data/cifar-10-batches-py`` if it holds the full set, else it is built from
``../shared/datasets/build_cifar10.py`` into a temp folder (skipped with a message if ../shared is absent).  The
cold run uses a fresh temp data folder that links to the batches, so an existing cache never hides the cold cost.

Usage:  python bench/bench_data.py [--no-baseline] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO.parent / "shared" / "datasets" / "build_cifar10.py"
TARGET_SECONDS = 0.5
TARGET_PEAK_MB = 1000.0  # 1.0 GB

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from cs231n_lite.datasets import get_cifar10_data
t1, c1 = time.perf_counter(), time.process_time()
d = get_cifar10_data(data_dir=sys.argv[1])
t2, c2 = time.perf_counter(), time.process_time()
assert d["X_train"].shape == (49000, 3073), d["X_train"].shape
print(json.dumps({"seconds": t2 - t1, "call_cpu": c2 - c1, "import_seconds": t1 - t0}))
"""

BASELINE = """
import json, pickle, sys, time
import numpy as np  # imported before the clock starts, as in the timed get_cifar10_data() call
t0, c0 = time.perf_counter(), time.process_time()
root = sys.argv[1] + "/cifar-10-batches-py/"
def batch(name):
    with open(root + name, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    return d["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float"), np.array(d["labels"])
parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
Xtr = np.concatenate([p[0] for p in parts]); ytr = np.concatenate([p[1] for p in parts]); del parts
Xte, yte = batch("test_batch")
X_train = Xtr[:49000].reshape(49000, -1); X_val = Xtr[49000:50000].reshape(1000, -1)
X_test = Xte[:1000].reshape(1000, -1)
mask = np.random.choice(49000, 500, replace=False); X_dev = X_train[mask]
mean = np.mean(X_train, axis=0)
X_train = X_train - mean; X_val -= mean; X_test -= mean; X_dev -= mean
X_train = np.hstack([X_train, np.ones((X_train.shape[0], 1))])
X_val = np.hstack([X_val, np.ones((X_val.shape[0], 1))])
t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({"seconds": t1 - t0, "call_cpu": c1 - c0, "import_seconds": 0.0}))
"""


def full_set(root: Path) -> bool:
    folder = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    if not all((folder / n).is_file() for n in names) or (folder / "synthetic.json").exists():
        return False
    return (folder / "data_batch_1").stat().st_size > 30_000_000


def run_child(code: str, data_dir: Path) -> dict:
    """Run `code` in a fresh interpreter; return its JSON line plus its own peak RSS (MB) from os.wait4."""
    env = {**os.environ, "CS231N_LITE_DATASET": "cifar10", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir)], stdout=out, stderr=err, env=env, cwd=REPO
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"child failed with exit code {proc.returncode}:\n{err.read()}")
        result = json.loads(out.read().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["process_cpu"] = usage.ru_utime + usage.ru_stime  # whole child: interpreter start, imports, call
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--no-baseline", action="store_true", help="skip the CS231n-style float64 baseline (~10 s)"
    )
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_data_") as tmp:
        tmp = Path(tmp)
        source = REPO / "data"
        if not full_set(source):
            if not BUILD.is_file():
                print(f"SKIP: no full CIFAR-10 in {source} and {BUILD} is absent; nothing to measure.")
                return 0
            print(f"building CIFAR-10 into {tmp / 'built'} with {BUILD} (about 10 s) ...", flush=True)
            subprocess.run(
                [sys.executable, str(BUILD), str(tmp / "built")], check=True, stdout=subprocess.DEVNULL
            )
            source = tmp / "built"
        data_dir = tmp / "run"  # fresh folder -> fresh .cache; the batches themselves are linked, not copied
        data_dir.mkdir()
        (data_dir / "cifar-10-batches-py").symlink_to((source / "cifar-10-batches-py").resolve())
        print(f"data: {source / 'cifar-10-batches-py'}  (cache under {data_dir / '.cache'})")

        cold = run_child(CHILD, data_dir)
        warm = run_child(CHILD, data_dir)
        base = None if args.no_baseline else run_child(BASELINE, source)

    rows = [("cold: get_cifar10_data(), no cache", cold), ("warm: get_cifar10_data(), cached", warm)]
    if base:
        rows.append(("baseline: CS231n-style float64 load", base))
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)\n")
    print(f"{'run':38s} {'wall s':>7s} {'call CPU s':>10s} {'proc CPU s':>10s} {'peak RSS':>9s}")
    for name, r in rows:
        print(
            f"{name:38s} {r['seconds']:7.3f} {r['call_cpu']:10.3f} {r['process_cpu']:10.3f} {r['peak_mb']:6.0f} MB"
        )
    print(
        "wall s = wall time of the call (imports excluded); call CPU s = its user+sys time, which other load on"
    )
    print("the machine does not inflate; proc CPU s = the whole child (interpreter start + imports + call).")
    print(
        f"Importing cs231n_lite.datasets (+ numpy) took {warm['import_seconds']:.3f} s in the warm child.\n"
    )
    worst = max(cold["peak_mb"], warm["peak_mb"])
    print("targets (ratio = measured / target; <= 1.00 meets it):")
    print(
        f"  warm call wall  {warm['seconds']:.3f} s / {TARGET_SECONDS} s = {warm['seconds'] / TARGET_SECONDS:.2f}"
    )
    print(
        f"  warm call CPU   {warm['call_cpu']:.3f} s / {TARGET_SECONDS} s = {warm['call_cpu'] / TARGET_SECONDS:.2f}"
    )
    print(
        f"  peak RSS        {worst:.0f} MB / {TARGET_PEAK_MB:.0f} MB = {worst / TARGET_PEAK_MB:.2f}  (max of cold, warm)"
    )
    if base:
        print("against the same-run baseline (ratio = baseline / ours):")
        print(
            f"  warm wall {base['seconds'] / warm['seconds']:.1f}x faster, cold wall {base['seconds'] / cold['seconds']:.1f}x"
        )
        print(
            f"  warm CPU  {base['call_cpu'] / warm['call_cpu']:.1f}x less, cold CPU {base['call_cpu'] / cold['call_cpu']:.1f}x"
        )
        print(f"  peak RSS  {base['peak_mb'] / worst:.1f}x smaller")
    ok_wall = warm["seconds"] <= TARGET_SECONDS
    ok_cpu = warm["call_cpu"] <= TARGET_SECONDS
    ok_mem = worst <= TARGET_PEAK_MB
    verdict = (
        "meets both targets"
        if ok_wall and ok_mem
        else (
            "meets the memory target; warm call meets the time target in CPU time only (machine busy)"
            if ok_cpu and ok_mem
            else "MISSES a target"
        )
    )
    print("\nRESULT:", verdict)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"cold": cold, "warm": warm, "baseline": base}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
