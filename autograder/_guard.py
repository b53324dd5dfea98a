"""Whole-sandbox memory and process caps: one cgroup per sandbox, or a parent-side watchdog where there is none.

:func:`make_guard` decides once per sandbox which mechanism this machine allows, then the guard is used in three
steps by :mod:`autograder.sandbox`:

1. ``guard.wrap(cmd)`` -> the command to exec: for a cgroup, ``/bin/sh -c 'echo $$ > cgroup.procs; exec "$@"'``
   joins the cgroup BEFORE ``bwrap`` starts, so no process of the sandbox ever runs outside it;
2. ``guard.watch(pid, on_breach)`` starts a daemon thread that polls the usage (a cgroup file read every 0.1 s,
   or the PSS of the process tree every 0.2 s) and calls ``on_breach`` once when the cap is passed (an OOM kill
   in the cgroup, or the tree's PSS over the cap);
3. ``guard.close()`` kills whatever is left in the cgroup and removes it; ``guard.peak`` and ``guard.breached``
   say what happened.

Mechanisms, tried in this order (``AUTOGRADER_GUARD=cgroup|watchdog|none`` forces one):

* ``cgroup-v2``: ``/sys/fs/cgroup`` is a cgroup2 mount with the ``memory`` and ``pids`` controllers enabled for
  children of the grader's own cgroup (a delegated subtree, e.g. ``systemd-run --user --scope -p Delegate=yes``).
  ``memory.max``, ``memory.swap.max = 0``, ``memory.oom.group = 1`` (the kernel kills the whole sandbox at once),
  ``pids.max``.
* ``cgroup-v1``: writable ``memory`` and ``pids`` hierarchies (as root on most hosts). ``memory.limit_in_bytes``
  (+ ``memsw`` when swap accounting exists), ``pids.max``; the kernel's OOM killer picks a victim inside the
  cgroup and the parent kills the rest.
* ``watchdog``: no cgroup: psutil sums ``memory_full_info().pss`` (RSS where PSS is not readable) over the
  sandbox's process tree. Processes that leave the tree (only possible without bubblewrap's pid namespace) are
  not seen; forks are capped by ``RLIMIT_NPROC`` only.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

__all__ = ["Guard", "make_guard", "available"]

CGROUP_ROOT = Path(os.environ.get("AUTOGRADER_CGROUP_ROOT", "/sys/fs/cgroup"))
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
_counter = itertools.count()


class Guard:
    """No cap beyond the rlimits (``none``); base class of the real guards."""

    mechanism = "none"
    interval = 0.2

    def __init__(self, limit_bytes: int, max_tasks: int):
        self.limit_bytes = int(limit_bytes)
        self.max_tasks = int(max_tasks)
        self.peak = 0
        self.breached = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wrap(self, cmd: list[str]) -> list[str]:
        return cmd

    def usage(self) -> int:
        return 0

    def over(self) -> bool:
        return False

    def kill_all(self) -> None:
        """Kill every process of the sandbox this guard can see (cgroup members)."""

    def watch(self, pid: int, on_breach) -> None:
        self.pid = pid
        if type(self) is Guard:
            return

        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.peak = max(self.peak, self.usage())
                    if self.over():
                        self.breached = True
                        on_breach()
                        return
                except (OSError, ValueError):
                    pass  # the sandbox is going away; the final check in finish() decides

        self._thread = threading.Thread(target=loop, name=f"sandbox-guard-{pid}", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """Stop watching; one last look (a breach right before the sandbox exited still counts)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.peak = max(self.peak, self.final_peak())
            self.breached = self.breached or self.over()
        except (OSError, ValueError):
            pass

    def final_peak(self) -> int:
        return self.peak

    def close(self) -> None:
        """Release what the guard created (the cgroup). Safe to call twice."""


class _CgroupV1(Guard):
    mechanism = "cgroup-v1"
    interval = 0.1

    def __init__(self, limit_bytes: int, max_tasks: int):
        super().__init__(limit_bytes, max_tasks)
        name = f"autograder-{os.getpid()}-{next(_counter)}"
        self.mem = _own_v1("memory") / name
        self.pids = _own_v1("pids") / name
        self.dirs: list[Path] = []
        try:
            for d in (self.mem, self.pids):
                _reap_stale(d.parent)
                d.mkdir()
                self.dirs.append(d)
            _write(self.mem / "memory.limit_in_bytes", self.limit_bytes)
            if (self.mem / "memory.memsw.limit_in_bytes").exists():  # no swapping past the cap either
                _write(self.mem / "memory.memsw.limit_in_bytes", self.limit_bytes)
            _write(self.pids / "pids.max", self.max_tasks)
        except OSError:
            self.close()
            raise

    def wrap(self, cmd):
        procs = [str(d / "cgroup.procs") for d in self.dirs]
        return ["/bin/sh", "-c", _JOIN, "sh", *procs, "--", *cmd]

    def usage(self) -> int:
        return int((self.mem / "memory.usage_in_bytes").read_text())

    def final_peak(self) -> int:
        return int((self.mem / "memory.max_usage_in_bytes").read_text())

    def over(self) -> bool:
        stats = dict(line.split() for line in (self.mem / "memory.oom_control").read_text().splitlines())
        return int(stats.get("oom_kill", 0)) > 0 or int(stats.get("under_oom", 0)) > 0

    def kill_all(self) -> None:
        for d in self.dirs:
            _kill_members(d / "cgroup.procs")

    def close(self) -> None:
        self.kill_all()
        for d in reversed(self.dirs):
            _rmdir(d)
        self.dirs = []


class _CgroupV2(Guard):
    mechanism = "cgroup-v2"
    interval = 0.1

    def __init__(self, limit_bytes: int, max_tasks: int):
        super().__init__(limit_bytes, max_tasks)
        parent = CGROUP_ROOT / _own_v2().lstrip("/")
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not {"memory", "pids"} <= enabled:
            _write(parent / "cgroup.subtree_control", "+memory +pids")  # EBUSY unless delegated: fall back
        self.dir = parent / f"autograder-{os.getpid()}-{next(_counter)}"
        _reap_stale(parent)
        self.dir.mkdir()
        try:
            _write(self.dir / "memory.max", self.limit_bytes)
            if (self.dir / "memory.swap.max").exists():
                _write(self.dir / "memory.swap.max", 0)
            if (self.dir / "memory.oom.group").exists():
                _write(self.dir / "memory.oom.group", 1)
            _write(self.dir / "pids.max", self.max_tasks)
        except OSError:
            self.close()
            raise

    def wrap(self, cmd):
        return ["/bin/sh", "-c", _JOIN, "sh", str(self.dir / "cgroup.procs"), "--", *cmd]

    def usage(self) -> int:
        return int((self.dir / "memory.current").read_text())

    def final_peak(self) -> int:
        peak = self.dir / "memory.peak"  # Linux >= 5.19
        return int(peak.read_text()) if peak.exists() else self.peak

    def over(self) -> bool:
        events = dict(line.split() for line in (self.dir / "memory.events").read_text().splitlines())
        return int(events.get("oom_kill", 0)) > 0 or int(events.get("oom_group_kill", 0)) > 0

    def kill_all(self) -> None:
        if not self.dir.exists():
            return
        kill = self.dir / "cgroup.kill"  # Linux >= 5.14
        if kill.exists():
            try:
                _write(kill, 1)
            except OSError:
                pass
        _kill_members(self.dir / "cgroup.procs")

    def close(self) -> None:
        self.kill_all()
        _rmdir(self.dir)


class _Watchdog(Guard):
    mechanism = "watchdog"
    interval = 0.2

    def __init__(self, limit_bytes: int, max_tasks: int):
        import psutil

        super().__init__(limit_bytes, max_tasks)
        self._psutil = psutil
        self._last = 0

    def usage(self) -> int:
        psutil = self._psutil
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for p in procs:
            try:
                try:
                    total += p.memory_full_info().pss
                except psutil.AccessDenied:  # non-dumpable, another uid: RSS overcounts, never under
                    total += p.memory_info().rss
            except psutil.Error:
                continue
        self._last = total
        return total

    def over(self) -> bool:
        return self._last > self.limit_bytes


def available() -> str:
    """The mechanism :func:`make_guard` would use here (``cgroup-v2``, ``cgroup-v1``, ``watchdog``)."""
    guard = make_guard(64 << 20, 16)
    try:
        return guard.mechanism
    finally:
        guard.close()


def make_guard(limit_bytes: int, max_tasks: int, *, prefer: str | None = None) -> Guard:
    """The best whole-sandbox guard this machine allows (see module docstring); never raises for a missing cgroup.

    Parameters
    ----------
    limit_bytes : int
        Cap on the memory of all processes of the sandbox together.
    max_tasks : int
        Cap on its processes + threads (cgroup ``pids.max``; the watchdog leaves this to ``RLIMIT_NPROC``).
    prefer : {"auto", "cgroup", "watchdog", "none"}, optional
        Default ``$AUTOGRADER_GUARD`` or ``auto``.

    Examples
    --------
    >>> g = make_guard(512 << 20, 64, prefer="watchdog")
    >>> g.mechanism, g.limit_bytes
    ('watchdog', 536870912)
    >>> g.close()
    """
    prefer = prefer or os.environ.get("AUTOGRADER_GUARD", "auto")
    if prefer not in ("auto", "cgroup", "watchdog", "none"):
        raise ValueError(
            f"guard must be auto, cgroup, watchdog or none; got {prefer!r} (check $AUTOGRADER_GUARD)"
        )
    if prefer == "none":
        return Guard(limit_bytes, max_tasks)
    if prefer in ("auto", "cgroup"):
        for cls in (_CgroupV2, _CgroupV1):
            if cls is _CgroupV2 and not (CGROUP_ROOT / "cgroup.controllers").exists():
                continue
            if cls is _CgroupV1 and not (CGROUP_ROOT / "memory" / "memory.limit_in_bytes").exists():
                continue
            try:
                return cls(limit_bytes, max_tasks)
            except (OSError, ValueError, KeyError):
                continue
    return _Watchdog(limit_bytes, max_tasks)


def _own_v1(controller: str) -> Path:
    """This process's cgroup folder in a v1 hierarchy (children nest under it: the host's accounting still holds)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return CGROUP_ROOT / controller / path.lstrip("/")
    raise KeyError(controller)


def _own_v2() -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    raise KeyError("cgroup2")


def _write(path: Path, value) -> None:
    with open(path, "w") as fh:
        fh.write(str(value))


def _kill_members(procs: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(x) for x in procs.read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)


def _reap_stale(parent: Path) -> None:
    """Remove empty sandbox cgroups left by graders that were killed before their ``close()``."""
    for d in parent.glob("autograder-*-*"):
        try:
            pid = int(d.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        try:
            d.rmdir()  # fails (busy) while a process is still inside: then it is not stale
        except OSError:
            pass


def _rmdir(path: Path) -> None:
    for _ in range(100):  # a killed task leaves the cgroup a moment after SIGKILL
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
