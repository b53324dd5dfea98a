"""Run an untrusted command in a bubblewrap sandbox with resource limits.

Design
------
* ``bwrap`` (bubblewrap) builds an empty root: system folders (``/usr``, ``/bin``, ``/lib*``, ``/etc``) and the
  Python installation are bound READ-ONLY; ``/tmp`` is a small private tmpfs (also ``HOME``); nothing else of the
  host exists, so the repository, the course directory (gradebook, source notebooks with hidden tests), and the
  reference solutions are not there to read. Paths listed in ``hide`` get an empty tmpfs on top even if they live
  inside a bound folder (e.g. a repo under ``/usr/local``); the virtualenv is bound again on top when it lives
  inside a hidden path.
* Namespaces: ``--unshare-all`` (network, pid, ipc, uts, cgroup, user): only a private loopback interface exists,
  so ``127.0.0.1`` works (the kernel's ZMQ sockets) and nothing else does. ``--die-with-parent`` and
  ``--new-session`` (no TIOCSTI into the grader's terminal).
* Limits are applied INSIDE the sandbox by a tiny launcher (``setrlimit`` then ``execv``): ``RLIMIT_AS`` (memory),
  ``RLIMIT_NPROC`` (processes + threads), ``RLIMIT_CPU``, ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE``, ``RLIMIT_CORE=0``.
  Inside a user namespace ``RLIMIT_NPROC`` counts only the sandbox's own processes. When the grader runs as root,
  bwrap runs privileged (no user namespace) and the launcher drops to an unprivileged uid (:func:`sandbox_uid`: one
  per parallel worker and grader process, so one fork bomb cannot starve a neighbour) before exec; capabilities are gone after that.
* Whole-sandbox limits (:mod:`autograder.sandbox` ``guard``): the SUM of the memory of all processes of one
  sandbox is capped at ``Limits.total_memory_bytes`` and the number of its tasks at ``max_processes``. Where the
  machine lets the grader create a cgroup (cgroup v2 with the memory and pids controllers delegated, or cgroup v1
  ``memory`` + ``pids`` hierarchies writable, e.g. as root), every sandbox gets its own one, joined before
  ``bwrap`` is exec'ed (so no child can start outside it): the kernel refuses forks past ``pids.max`` and kills
  on memory; the parent sees the OOM kill and kills the rest of the sandbox (``memory_exceeded``). Elsewhere a
  parent-side watchdog thread sums the proportional set size (PSS, shared pages counted once) of the sandbox's
  process tree every 0.2 s and kills the sandbox when the sum passes the cap. Either way ``RLIMIT_AS`` still
  gives a single greedy process a catchable ``MemoryError`` first.
* The parent enforces the wall clock (kills the whole process group) and caps the bytes it reads from stdout and
  stderr, so 100 MB of output costs at most ``max_output_bytes`` of memory.
* Paths reached through symlinks (a virtualenv or course folder behind a symlinked folder) are bound at their
  real location and the same symlinks are recreated inside, so ``sys.executable`` and every path in ``env``
  resolve the same way inside as outside.

Without bubblewrap
------------------
:func:`run` raises :class:`SandboxUnavailable` (naming the apt package) unless ``allow_unsandboxed=True``; then it
warns loudly and runs the command with the same rlimits (except ``RLIMIT_NPROC``, which would count every process
of the user) but with NO filesystem or network isolation: student code can read the repository and the
gradebook. Use it only for trusted submissions (e.g. your own solution).

Examples
--------
>>> from autograder import sandbox
>>> res = sandbox.run(["/bin/echo", "hi"], limits=sandbox.Limits(wall_seconds=10))  # doctest: +SKIP
>>> res.stdout, res.returncode  # doctest: +SKIP
(b'hi\\n', 0)
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import _guard

__all__ = [
    "Limits",
    "SandboxProcess",
    "SandboxResult",
    "SandboxUnavailable",
    "find_bwrap",
    "guard_mechanism",
    "python_executable",
    "python_paths",
    "run",
    "start",
]

MiB = 1024 * 1024
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
UID_BASE = 60000

# Runs inside the sandbox with `python -I -S -c`: apply rlimits, drop root, exec the real command.
_LAUNCHER = r"""
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, value in cfg["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
if cfg["uid"] is not None and os.getuid() == 0:
    os.setgroups([])
    os.setgid(cfg["uid"])
    os.setuid(cfg["uid"])
os.chdir(cfg["cwd"])
os.execv(sys.argv[2], sys.argv[2:])
"""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or does not work on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed run.

    Parameters
    ----------
    wall_seconds : float
        Wall-clock limit for the whole run (the parent kills the process group).
    cpu_seconds : int
        ``RLIMIT_CPU`` per process.
    memory_bytes : int
        ``RLIMIT_AS`` (address space) per process: one greedy process gets a catchable ``MemoryError``.
    max_processes : int
        ``RLIMIT_NPROC`` (processes and threads of the sandbox user) and the sandbox cgroup's ``pids.max``.
    max_file_bytes : int
        ``RLIMIT_FSIZE``: largest file a process may write.
    max_open_files : int
        ``RLIMIT_NOFILE``.
    max_output_bytes : int
        Bytes of stdout kept by the parent; more kills the run (``output_truncated``).
    tmp_bytes : int
        Size of the private ``/tmp`` tmpfs.
    shm_bytes : int
        Size of the private ``/dev/shm`` tmpfs (multiprocessing's semaphores live there).
    total_memory_bytes : int, optional
        Memory of ALL processes of the sandbox together (cgroup or watchdog, see the module docstring); past it
        the whole sandbox is killed (``memory_exceeded``). Default ``memory_bytes + 512 MiB``: room for the
        runner and the kernel's helpers next to one process at its ``RLIMIT_AS``.
    """

    wall_seconds: float = 120.0
    cpu_seconds: int = 120
    memory_bytes: int = 2048 * MiB
    max_processes: int = 128
    max_file_bytes: int = 64 * MiB
    max_open_files: int = 512
    max_output_bytes: int = 64 * MiB
    tmp_bytes: int = 256 * MiB
    shm_bytes: int = 64 * MiB
    total_memory_bytes: int | None = None

    @property
    def sandbox_memory_bytes(self) -> int:
        """The whole-sandbox memory cap in bytes (``total_memory_bytes`` or its default)."""
        if self.total_memory_bytes is not None:
            return int(self.total_memory_bytes)
        return int(self.memory_bytes) + 512 * MiB

    def rlimits(self, *, nproc: bool = True) -> dict[str, int]:
        out = {
            "RLIMIT_AS": int(self.memory_bytes),
            "RLIMIT_CPU": int(self.cpu_seconds),
            "RLIMIT_FSIZE": int(self.max_file_bytes),
            "RLIMIT_NOFILE": int(self.max_open_files),
            "RLIMIT_CORE": 0,
        }
        if nproc:
            out["RLIMIT_NPROC"] = int(self.max_processes)
        return out


@dataclass
class SandboxResult:
    """Outcome of :func:`run`. ``returncode`` is negative for a signal (e.g. -9 = SIGKILL).

    ``memory_exceeded``: the sandbox's processes together passed ``Limits.sandbox_memory_bytes`` and the whole
    sandbox was killed (report it as status ``memory``). ``peak_memory_bytes``: the highest whole-sandbox usage
    seen (cgroup high-water mark, or the watchdog's largest sample; 0 with ``guard == "none"``). ``guard``: the
    mechanism that enforced it (``cgroup-v2``, ``cgroup-v1``, ``watchdog``, ``none``).
    """

    returncode: int | None
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool = False
    output_truncated: bool = False
    sandboxed: bool = True
    command: list[str] = field(default_factory=list)
    memory_exceeded: bool = False
    peak_memory_bytes: int = 0
    guard: str = "none"


def sandbox_uid(slot: int) -> int:
    """The unprivileged uid used for worker `slot` when the grader runs as root.

    Distinct per slot AND per grader process (pid-derived block of 64), so ``RLIMIT_NPROC``, which counts the
    processes of a uid, is never shared by two sandboxes running at the same time.
    """
    return UID_BASE + (os.getpid() % 1000) * 64 + int(slot) % 64


@functools.lru_cache(maxsize=1)
def find_bwrap() -> str | None:
    """Return the path of a WORKING bwrap (it is tried once), or None.

    Examples
    --------
    >>> from autograder.sandbox import find_bwrap
    >>> find_bwrap() in (None, "/usr/bin/bwrap") or find_bwrap().endswith("bwrap")
    True
    """
    exe = os.environ.get("AUTOGRADER_BWRAP") or shutil.which("bwrap")
    if not exe:
        return None
    probe = [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-all", "--die-with-parent", "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return exe if ok else None


def python_paths() -> list[Path]:
    """Folders the sandboxed Python needs (base installation + virtualenv), real paths, deduplicated."""
    cands = sorted(
        {Path(p).resolve() for p in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix)},
        key=lambda p: len(p.parts),
    )
    out: list[Path] = []
    for p in cands:
        if not any(p.is_relative_to(q) for q in out):
            out.append(p)
    return out


def _under(path: Path, roots) -> bool:
    return any(path == Path(r) or path.is_relative_to(r) for r in roots)


def _mkdirs(args: list[str], made: set[str], dest: Path) -> None:
    """Create `dest`'s ancestors world-traversable (bwrap makes them 0700 otherwise)."""
    for parent in reversed(dest.parents):
        s = str(parent)
        if s != "/" and s not in made:
            args += ["--perms", "0755", "--dir", s]
            made.add(s)


def _symlinks(path: str | os.PathLike) -> list[tuple[str, str]]:
    """(link, target) of every host symlink met while resolving `path`, in resolution order.

    >>> _symlinks("/definitely/not/a/link")
    []
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    todo = [os.path.abspath(path)]
    while todo and len(seen) < 40:  # 40: the kernel's own limit on nested symlinks
        parts = Path(todo.pop()).parts
        cur = Path(parts[0])
        for i, part in enumerate(parts[1:], start=1):
            nxt = cur / part
            if nxt.is_symlink():
                target = os.readlink(nxt)
                if str(nxt) not in seen:
                    seen.add(str(nxt))
                    out.append((str(nxt), target))
                    todo.append(os.path.join(os.path.normpath(os.path.join(cur, target)), *parts[i + 1 :]))
                break
            cur = nxt
    return out


def _spelled_paths(argv0: str, env: dict[str, str], ro_binds) -> list[str]:
    """Host paths the sandbox must reach under the SAME spelling as outside (symlinks included)."""
    paths = [sys.executable, sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, argv0]
    for value in env.values():
        paths += [p for p in value.split(os.pathsep) if os.path.isabs(p)]
    paths += [str(dest) for src, dest in ro_binds if os.path.exists(dest)]
    return [p for p in paths if os.path.isabs(p)]


def _bwrap_args(
    bwrap: str,
    *,
    ro_binds: list[tuple[Path, Path]],
    hide: list[Path],
    env: dict[str, str],
    limits: Limits,
    argv0: str = "",
) -> list[str]:
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    if os.getuid() == 0:
        # privileged bwrap (no user namespace): the launcher needs setuid/setgid to drop root, nothing else.
        args = [
            bwrap,
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        args += ["--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL"]
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    # The private /tmp first: binds made after it (a virtualenv or data set that lives under /tmp, as in a CI
    # checkout cloned there) stay visible on top of it instead of being covered by it.
    args += ["--dev", "/dev", "--proc", "/proc"]
    args += ["--perms", "1777", "--size", str(int(limits.tmp_bytes)), "--tmpfs", "/tmp"]
    # /dev/shm (POSIX semaphores of multiprocessing) is a small tmpfs of its own: no unbounded shared memory
    args += ["--perms", "1777", "--size", str(int(limits.shm_bytes)), "--tmpfs", "/dev/shm"]
    made: set[str] = {"/tmp", "/dev", "/dev/shm", "/proc"}
    system = [d for d in SYSTEM_DIRS if os.path.exists(d)]
    for d in system:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        else:
            args += ["--ro-bind", d, d]
        made.add(d)
    pys = python_paths()
    for p in pys:
        if not _under(p, system):
            _mkdirs(args, made, p)
            args += ["--ro-bind", str(p), str(p)]
    bound = system + [str(p) for p in pys]
    for h in hide:
        h = Path(h).resolve()
        if h.exists() and _under(h, bound):
            args += ["--tmpfs", str(h)]
            for p in pys:  # e.g. the virtualenv inside the hidden repository
                if p.is_relative_to(h):
                    args += ["--ro-bind", str(p), str(p)]
    # Symlinks on the way to the interpreter, the binds and the paths in `env` (e.g. a virtualenv behind a
    # symlinked folder): everything above is bound at its REAL path, so recreate the links that lead there.
    for spelled in _spelled_paths(argv0, env, ro_binds):
        for link, target in _symlinks(spelled):
            if link in made or _under(Path(link), bound) or _under(Path(link), ["/proc", "/dev"]):
                continue
            _mkdirs(args, made, Path(link))
            args += ["--symlink", target, link]
            made.add(link)
    for src, dest in ro_binds:
        dest = Path(dest)
        if dest.exists():  # bind at the real path; the symlinks above lead the given spelling there
            dest = dest.resolve()
        _mkdirs(args, made, dest)
        args += ["--ro-bind", str(src), str(dest)]
    for k, v in env.items():
        args += ["--setenv", k, v]
    # bwrap's root is a tmpfs without a size limit: read-only, so only /tmp and /dev/shm (capped) are writable
    args += ["--remount-ro", "/"]
    return args


def python_executable() -> str:
    """The interpreter to start inside the sandbox: ``sys.executable`` (symlinked folders on its way are
    recreated inside, see :func:`_symlinks`), so a virtualenv behind a symlink keeps its own ``pyvenv.cfg``."""
    return sys.executable


def guard_mechanism() -> str:
    """How whole-sandbox memory and process caps are enforced on this machine: ``cgroup-v2``, ``cgroup-v1``
    or ``watchdog`` (``$AUTOGRADER_GUARD`` forces one)."""
    return _guard.available()


def _command(
    argv: list[str],
    *,
    limits: Limits,
    ro_binds,
    hide,
    env: dict[str, str] | None,
    slot: int,
    cwd: str,
    allow_unsandboxed: bool,
) -> tuple[list[str], dict[str, str], bool]:
    """(command line, environment of the Popen, sandboxed?) for `argv` under `limits`."""
    env = dict(env or {})
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    bwrap = find_bwrap()
    if bwrap is None and not allow_unsandboxed:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is missing or cannot create namespaces on this machine; expected a working "
            "/usr/bin/bwrap. Install it with `apt-get install bubblewrap` (or allow unprivileged user namespaces), "
            "or pass --allow-unsandboxed to grade TRUSTED notebooks with rlimits only."
        )
    cfg = {"rlimits": limits.rlimits(nproc=bwrap is not None), "cwd": cwd, "uid": None}
    if bwrap is None:
        warnings.warn(
            "bubblewrap is not available: running UNSANDBOXED with rlimits only -- the code can read the "
            "repository, the reference solutions and the gradebook, and use the network.",
            RuntimeWarning,
            stacklevel=3,
        )
        cfg["cwd"] = os.getcwd() if cwd == "/tmp" else cwd
        return [sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg), *argv], env, False
    if os.getuid() == 0:
        cfg["uid"] = sandbox_uid(slot)
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg), *argv]
    prefix = _bwrap_args(
        bwrap,
        ro_binds=[(Path(a), Path(b)) for a, b in ro_binds],
        hide=[Path(h) for h in hide],
        env=env,
        limits=limits,
        argv0=argv[0] if argv else "",
    )
    return [*prefix, "--", *launcher], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, True


class SandboxProcess:
    """A running sandbox (see :func:`start`): Popen-like, with every limit of :class:`Limits` enforced.

    Attributes ``stdin`` and ``stdout`` are the raw binary pipes (``None`` when not requested); stderr is read by
    a thread and kept up to 256 KiB. The wall clock (``limits.wall_seconds`` from the start), the whole-sandbox
    memory cap and the process cap are enforced by the handle itself, whatever the caller does with the pipes.

    Examples
    --------
    >>> p = start([sys.executable, "-c", "print(input()[::-1])"], env={"HOME": "/tmp"})  # doctest: +SKIP
    >>> p.stdin.write(b"abc\\n"); p.stdin.close()  # doctest: +SKIP
    >>> p.stdout.read(), p.wait().returncode  # doctest: +SKIP
    (b'cba\\n', 0)
    """

    STDERR_CAP = 256 * 1024

    def __init__(self, cmd: list[str], popen_env: dict, limits: Limits, *, sandboxed: bool, guard, pipes):
        self.limits = limits
        self.command = cmd
        self.sandboxed = sandboxed
        self.timed_out = False
        self._memory_exceeded = False
        self._guard = guard
        self._stderr = bytearray()
        self._done = threading.Event()
        self._result: SandboxResult | None = None
        self._t0 = time.monotonic()
        stdin_pipe, stdout_pipe = pipes
        try:
            self._proc = subprocess.Popen(
                guard.wrap(cmd),
                stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=popen_env,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            guard.close()
            raise
        self.pid = self._proc.pid
        self.proc = self._proc  # the underlying Popen (of bwrap, or of the launcher without bwrap)
        self.stdin = self._proc.stdin
        self.stdout = self._proc.stdout
        guard.watch(self.pid, self._memory_breach)
        self._err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_thread.start()
        self._timer = threading.Timer(float(limits.wall_seconds), self._wall_clock)
        self._timer.daemon = True
        self._timer.start()

    # -- limits --------------------------------------------------------------------------------------------
    @property
    def memory_exceeded(self) -> bool:
        """True once the sandbox's processes TOGETHER passed the cap (looked up live: a process the kernel's OOM
        killer just stopped counts before the watchdog's next look)."""
        if not self._memory_exceeded and self._result is None:
            try:
                self._memory_exceeded = self._guard.over()
            except (OSError, ValueError):
                pass
        return self._memory_exceeded

    def _memory_breach(self) -> None:
        self._memory_exceeded = True
        self.kill()

    def _wall_clock(self) -> None:
        if self._proc.poll() is None:
            self.timed_out = True
            self.kill()

    def rearm(self, wall_seconds: float) -> None:
        """Restart the wall clock with `wall_seconds` from now (a sandbox serving several jobs in a row gives each
        job its own limit; see :mod:`autograder.sessions`). ``timed_out`` then refers to the new job."""
        self._timer.cancel()
        self.timed_out = False
        self._timer = threading.Timer(float(wall_seconds), self._wall_clock)
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        """Stop the wall clock while the sandbox waits idle between jobs (nothing of a job runs then)."""
        self._timer.cancel()

    def _read_stderr(self) -> None:
        stream = self._proc.stderr
        while True:
            chunk = stream.read1(1 << 16)
            if not chunk:
                break
            room = self.STDERR_CAP - len(self._stderr)
            if room > 0:
                self._stderr += chunk[:room]
        stream.close()

    # -- Popen-like API ---------------------------------------------------------------------------------------
    def poll(self) -> int | None:
        """The return code, or None while the sandbox runs."""
        return self._proc.poll()

    def kill(self) -> None:
        """SIGKILL the whole sandbox (its process group; with a cgroup, every member)."""
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._guard.kill_all()

    def wait(self, timeout: float | None = None) -> SandboxResult:
        """Wait for the end (the wall clock still applies); release the cgroup; return the :class:`SandboxResult`
        (its ``stdout`` is empty: the caller read the pipe).

        Raises ``subprocess.TimeoutExpired`` when `timeout` passes first (the sandbox keeps running).
        """
        if self._result is not None:
            return self._result
        self._proc.wait(timeout=timeout)
        return self._finish(b"", truncated=False)

    def _finish(self, stdout: bytes, *, truncated: bool) -> SandboxResult:
        if self._result is not None:
            return self._result
        self._timer.cancel()
        self.kill()  # leftovers of the session (there should be none: --die-with-parent + pid namespace)
        self._guard.finish()
        self._memory_exceeded = self._memory_exceeded or self._guard.breached
        self._guard.close()
        self._err_thread.join(timeout=5)
        for pipe in (self.stdin, self.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        self._result = SandboxResult(
            returncode=self._proc.returncode,
            stdout=stdout,
            stderr=bytes(self._stderr),
            seconds=time.monotonic() - self._t0,
            timed_out=self.timed_out,
            output_truncated=truncated,
            sandboxed=self.sandboxed,
            command=self.command,
            memory_exceeded=self._memory_exceeded,
            peak_memory_bytes=int(self._guard.peak),
            guard=self._guard.mechanism,
        )
        return self._result

    def close(self, timeout: float = 10.0) -> int | None:
        """Close stdin, wait up to `timeout` s for the end, kill what is left, release the sandbox; return the
        exit code (the full outcome stays available from :meth:`wait`)."""
        if self.stdin is not None:
            try:
                self.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._proc.wait()
        return self._finish(b"", truncated=False).returncode

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    @property
    def stderr(self) -> bytes:
        """What the sandbox wrote to stderr so far (at most 256 KiB)."""
        return bytes(self._stderr)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._t0

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self._result is None:
            self.kill()
            self.wait()


def start(
    argv: list[str],
    *,
    limits: Limits | None = None,
    ro_binds: list[tuple[str | os.PathLike, str | os.PathLike]] = (),
    hide: list[str | os.PathLike] = (),
    env: dict[str, str] | None = None,
    slot: int = 0,
    cwd: str = "/tmp",
    allow_unsandboxed: bool = False,
    stdin: bool = True,
    stdout: bool = True,
    guard: str | None = None,
) -> SandboxProcess:
    """Start `argv` sandboxed and return a Popen-like :class:`SandboxProcess` (interactive use: streaming pipes).

    Same parameters as :func:`run`, except: `stdin` / `stdout` say whether to open those pipes (else
    ``/dev/null``); `guard` forces the whole-sandbox mechanism (``auto``, ``cgroup``, ``watchdog``, ``none``;
    default ``$AUTOGRADER_GUARD`` or ``auto``). Always finish with ``wait()`` (or use it as a context manager):
    that releases the sandbox's cgroup.

    Examples
    --------
    >>> with start(["/bin/cat"], env={"HOME": "/tmp"}) as p:  # doctest: +SKIP
    ...     p.stdin.write(b"hi"); p.stdin.close(); print(p.stdout.read())
    b'hi'
    """
    limits = limits or Limits()
    cmd, popen_env, sandboxed = _command(
        argv,
        limits=limits,
        ro_binds=ro_binds,
        hide=hide,
        env=env,
        slot=slot,
        cwd=cwd,
        allow_unsandboxed=allow_unsandboxed,
    )
    g = _guard.make_guard(limits.sandbox_memory_bytes, int(limits.max_processes) + 8, prefer=guard)
    return SandboxProcess(cmd, popen_env, limits, sandboxed=sandboxed, guard=g, pipes=(stdin, stdout))


def run(
    argv: list[str],
    *,
    stdin: bytes = b"",
    limits: Limits | None = None,
    ro_binds: list[tuple[str | os.PathLike, str | os.PathLike]] = (),
    hide: list[str | os.PathLike] = (),
    env: dict[str, str] | None = None,
    slot: int = 0,
    cwd: str = "/tmp",
    allow_unsandboxed: bool = False,
    guard: str | None = None,
) -> SandboxResult:
    """Run `argv` sandboxed; feed `stdin`; return captured (capped) output. Never raises for the command's failures.

    Parameters
    ----------
    argv : list of str
        Command; ``argv[0]`` must be an absolute path visible in the sandbox (e.g. ``sys.executable``).
    stdin : bytes
        Data written to the command's stdin (then closed).
    limits : Limits, optional
        Resource limits; ``Limits()`` by default.
    ro_binds : list of (host path, sandbox path)
        Extra read-only binds (e.g. a runner script, a data set).
    hide : list of paths
        Host paths that must be empty inside the sandbox even if a bound folder contains them.
    env : dict, optional
        The WHOLE environment of the command (the host environment is cleared).
    slot : int
        Worker slot; when running as root it picks the sandbox uid (:func:`sandbox_uid`).
    cwd : str
        Working directory inside the sandbox (must exist there; ``/tmp`` does).
    allow_unsandboxed : bool
        Without a working bwrap: False raises :class:`SandboxUnavailable`; True runs with rlimits only (warning).
    guard : str, optional
        Whole-sandbox memory/process mechanism (see :func:`start`).

    Examples
    --------
    >>> r = run(["/bin/sh", "-c", "echo $HOME"], env={"HOME": "/tmp"})  # doctest: +SKIP
    >>> r.stdout  # doctest: +SKIP
    b'/tmp\\n'
    """
    limits = limits or Limits()
    proc = start(
        argv,
        limits=limits,
        ro_binds=ro_binds,
        hide=hide,
        env=env,
        slot=slot,
        cwd=cwd,
        allow_unsandboxed=allow_unsandboxed,
        guard=guard,
    )
    out = bytearray()
    cap = int(limits.max_output_bytes)
    truncated = threading.Event()

    def _reader() -> None:
        stream = proc.stdout
        while True:
            chunk = stream.read1(1 << 16)
            if not chunk:
                break
            room = cap - len(out)
            if room > 0:
                out.extend(chunk[:room])
            if len(chunk) > room:
                truncated.set()
                proc.kill()
                break

    def _writer() -> None:
        try:
            proc.stdin.write(stdin)
        except (BrokenPipeError, OSError, ValueError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    threads = [threading.Thread(target=_reader, daemon=True), threading.Thread(target=_writer, daemon=True)]
    for t in threads:
        t.start()
    proc._proc.wait()
    for t in threads:
        t.join(timeout=5)
    return proc._finish(bytes(out), truncated=truncated.is_set())


def describe(limits: Limits | None = None) -> str:
    """One line saying how code will be sandboxed here (used by the CLI and the README)."""
    bw = find_bwrap()
    lim = asdict(limits or Limits())
    mode = f"bubblewrap at {bw}" if bw else "NO SANDBOX (bwrap missing): rlimits only"
    return f"{mode}; whole-sandbox caps by {guard_mechanism()}; limits {lim}"
