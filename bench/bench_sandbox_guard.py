"""What the whole-sandbox caps cost: start-up of one sandbox and the parent's CPU per second of watching.

For each guard (``none`` = rlimits only, the baseline measured in the same run; ``cgroup`` where this machine
allows one; ``watchdog`` = psutil PSS of the process tree) it prints:

* the median wall time of ``sandbox.run([python, -c, "pass"])`` (what each notebook's sandbox pays once) and its
  ratio to ``none``;
* the parent's CPU seconds per wall second while a sandbox holds 1 + N sleeping processes (the guard's polling
  thread; ``none`` shows the cost of the reader threads alone).

Run: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_sandbox_guard.py [--repeat 9] [--children 40]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import sandbox  # noqa: E402

HOLD = """
import os, time
for _ in range({n}):
    if os.fork() == 0:
        time.sleep({secs})
        os._exit(0)
time.sleep({secs})
"""


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--children", type=int, default=40)
    ap.add_argument("--hold", type=float, default=4.0, help="seconds the N processes are watched")
    args = ap.parse_args()
    if sandbox.find_bwrap() is None:
        raise SystemExit("bubblewrap is missing: `apt-get install bubblewrap`")
    guards = ["none", "watchdog"]
    if sandbox.guard_mechanism().startswith("cgroup"):
        guards.insert(1, "cgroup")
    env = {"HOME": "/tmp"}
    lim = sandbox.Limits(wall_seconds=60)
    start, watch = {}, {}
    for g in guards:
        times = []
        for _ in range(args.repeat):
            r = sandbox.run([sys.executable, "-c", "pass"], env=env, limits=lim, guard=g)
            assert r.returncode == 0, r.stderr
            times.append(r.seconds)
        start[g] = statistics.median(times)
        code = HOLD.format(n=args.children, secs=args.hold)
        c0, t0 = _cpu(), time.monotonic()
        r = sandbox.run([sys.executable, "-c", code], env=env, limits=lim, guard=g)
        assert r.returncode == 0, r.stderr
        watch[g] = (_cpu() - c0) / (time.monotonic() - t0)
    print(
        f"load: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores; guard here: {sandbox.guard_mechanism()}"
    )
    print(
        f"{'guard':<10} {'start s':>9} {'x none':>8} {'parent CPU s/s':>15} ({args.children + 1} processes)"
    )
    for g in guards:
        print(f"{g:<10} {start[g]:>9.3f} {start[g] / start['none']:>8.2f} {watch[g]:>15.4f}")


if __name__ == "__main__":
    main()
