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
* The parent enforces the wall clock (kills the whole process group) and caps the bytes it reads from stdout and
  stderr, so 100 MB of output costs at most ``max_output_bytes`` of memory.

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

__all__ = [
    "Limits",
    "SandboxProcess",
    "SandboxResult",
    "SandboxUnavailable",
    "find_bwrap",
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
        ``RLIMIT_AS`` (address space) per process.
    max_processes : int
        ``RLIMIT_NPROC`` (processes and threads of the sandbox user).
    max_file_bytes : int
        ``RLIMIT_FSIZE``: largest file a process may write.
    max_open_files : int
        ``RLIMIT_NOFILE``.
    max_output_bytes : int
        Bytes of stdout kept by the parent; more kills the run (``output_truncated``).
    tmp_bytes : int
        Size of the private ``/tmp`` tmpfs.
    """

    wall_seconds: float = 120.0
    cpu_seconds: int = 120
    memory_bytes: int = 2048 * MiB
    max_processes: int = 128
    max_file_bytes: int = 64 * MiB
    max_open_files: int = 512
    max_output_bytes: int = 64 * MiB
    tmp_bytes: int = 256 * MiB

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
    """Outcome of :func:`run`. ``returncode`` is negative for a signal (e.g. -9 = SIGKILL)."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool = False
    output_truncated: bool = False
    sandboxed: bool = True
    command: list[str] = field(default_factory=list)


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


def _bwrap_args(
    bwrap: str,
    *,
    ro_binds: list[tuple[Path, Path]],
    hide: list[Path],
    env: dict[str, str],
    limits: Limits,
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
    made: set[str] = {"/tmp", "/dev", "/proc"}
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
    for src, dest in ro_binds:
        _mkdirs(args, made, Path(dest))
        args += ["--ro-bind", str(src), str(dest)]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args


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

    Examples
    --------
    >>> r = run(["/bin/sh", "-c", "echo $HOME"], env={"HOME": "/tmp"})  # doctest: +SKIP
    >>> r.stdout  # doctest: +SKIP
    b'/tmp\\n'
    """
    limits = limits or Limits()
    cmd, popen_env, sandboxed = _command(argv, limits, ro_binds, hide, env, slot, cwd, allow_unsandboxed)
    return _communicate(cmd, stdin, limits, popen_env, sandboxed=sandboxed)


def python_executable() -> str:
    """The interpreter path to run INSIDE the sandbox: the virtualenv folder resolved, the name inside it kept.

    The sandbox binds real paths (:func:`python_paths`), so a virtualenv or checkout reached through a symlink
    (``/work/main -> /srv/main``) must be started as ``/srv/main/.venv/bin/python``: ``sys.executable`` itself
    does not exist in there (``bwrap: execvp ...: No such file or directory``). The ``bin/python`` symlink inside
    the virtualenv is kept, so Python still finds ``pyvenv.cfg`` and the virtualenv's site-packages.
    """
    exe = Path(sys.executable)
    prefix = Path(sys.prefix)
    try:
        return str(prefix.resolve() / exe.relative_to(prefix))
    except ValueError:
        return str(exe.parent.resolve() / exe.name)


def _command(argv, limits, ro_binds, hide, env, slot, cwd, allow_unsandboxed):
    """Return (command, Popen environment, sandboxed) for :func:`run` and :func:`start`."""
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
    if bwrap is not None:
        if os.getuid() == 0:
            cfg["uid"] = sandbox_uid(slot)
        launcher = [python_executable(), "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg), *argv]
        prefix = _bwrap_args(
            bwrap,
            ro_binds=[(Path(a), Path(b)) for a, b in ro_binds],
            hide=[Path(h) for h in hide],
            env=env,
            limits=limits,
        )
        cmd = [*prefix, "--", *launcher]
        popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        warnings.warn(
            "bubblewrap is not available: running UNSANDBOXED with rlimits only -- the code can read the "
            "repository, the reference solutions and the gradebook, and use the network.",
            RuntimeWarning,
            stacklevel=2,
        )
        cfg["cwd"] = os.getcwd() if cwd == "/tmp" else cwd
        cmd = [python_executable(), "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg), *argv]
        popen_env = env
    return cmd, popen_env, bwrap is not None


class SandboxProcess:
    """A sandboxed command with binary stdin/stdout pipes for a request/response protocol (:func:`start`).

    The parent kills the whole process group at the wall-clock limit or on :meth:`kill`; stderr is read in a
    thread and capped at 256 KiB (:attr:`stderr`).
    """

    def __init__(self, cmd, env, limits: Limits, *, sandboxed: bool):
        self.limits = limits
        self.sandboxed = sandboxed
        self.command = cmd
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self._stderr = bytearray()
        self.timed_out = False
        self._done = threading.Event()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _read_stderr(self) -> None:
        while True:
            chunk = self.proc.stderr.read1(1 << 16)
            if not chunk:
                break
            room = 256 * 1024 - len(self._stderr)
            if room > 0:
                self._stderr += chunk[:room]

    def _watch(self) -> None:
        if not self._done.wait(self.limits.wall_seconds) and self.proc.poll() is None:
            self.timed_out = True
            self.kill()

    @property
    def stderr(self) -> bytes:
        return bytes(self._stderr)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.t0

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self, timeout: float = 10.0) -> int | None:
        """Close stdin, wait up to `timeout` s for the exit, then kill what is left; return the exit code."""
        for f in (self.stdin,):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        self.proc.wait()
        self._done.set()
        try:
            self.stdout.close()
        except OSError:
            pass
        return self.proc.returncode


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
) -> SandboxProcess:
    """Start `argv` sandboxed exactly like :func:`run`, but return at once with its stdin/stdout pipes open.

    Used for interactive protocols (the trusted grader sends inputs and reads results while the sandbox runs).
    Same parameters as :func:`run`; the caller must :meth:`SandboxProcess.close` it.
    """
    limits = limits or Limits()
    cmd, popen_env, sandboxed = _command(argv, limits, ro_binds, hide, env, slot, cwd, allow_unsandboxed)
    return SandboxProcess(cmd, popen_env, limits, sandboxed=sandboxed)


def _communicate(
    cmd: list[str], stdin: bytes, limits: Limits, env: dict, *, sandboxed: bool
) -> SandboxResult:
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    out = {"stdout": bytearray(), "stderr": bytearray()}
    caps = {"stdout": int(limits.max_output_bytes), "stderr": 256 * 1024}
    truncated = threading.Event()

    def _kill() -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _reader(name: str, stream) -> None:
        buf = out[name]
        while True:
            chunk = stream.read1(1 << 16)
            if not chunk:
                break
            room = caps[name] - len(buf)
            if room > 0:
                buf += chunk[:room]
            if len(chunk) > room and name == "stdout":
                truncated.set()
                _kill()
                break
        stream.close()

    def _writer() -> None:
        try:
            proc.stdin.write(stdin)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    threads = [
        threading.Thread(target=_reader, args=("stdout", proc.stdout), daemon=True),
        threading.Thread(target=_reader, args=("stderr", proc.stderr), daemon=True),
        threading.Thread(target=_writer, daemon=True),
    ]
    for t in threads:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill()
        proc.wait()
    _kill()  # leftovers of the session (there should be none: --die-with-parent + pid namespace)
    for t in threads:
        t.join(timeout=5)
    return SandboxResult(
        returncode=proc.returncode,
        stdout=bytes(out["stdout"]),
        stderr=bytes(out["stderr"]),
        seconds=time.monotonic() - t0,
        timed_out=timed_out,
        output_truncated=truncated.is_set(),
        sandboxed=sandboxed,
        command=cmd,
    )


def describe(limits: Limits | None = None) -> str:
    """One line saying how code will be sandboxed here (used by the CLI and the README)."""
    bw = find_bwrap()
    lim = asdict(limits or Limits())
    mode = f"bubblewrap at {bw}" if bw else "NO SANDBOX (bwrap missing): rlimits only"
    return f"{mode}; limits {lim}"
