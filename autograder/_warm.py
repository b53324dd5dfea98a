"""Warm kernels: one pre-imported interpreter per sandbox forks a fresh IPython kernel for every notebook.

A cold kernel costs an interpreter start plus importing IPython, ipykernel, zmq, numpy and matplotlib -- about
as long as a grading-mode notebook's own cells. Inside one sandbox (one submission) this module runs a **zygote**:
a process started clean (``fork`` + ``exec`` by the runner, before it holds anything of the job) that imports
those modules once and then only waits. For each notebook the kernel manager starts the tiny **proxy**
(``python -I -S _warm.py connect ADDRESS -f CONNECTION_FILE``, the kernelspec's argv); the proxy asks the zygote
to ``fork``, and the child becomes ``IPKernelApp`` on that connection file. Every kernel therefore starts from the
zygote's state -- modules imported, no user code run -- and nothing one notebook did (globals, monkeypatched
numpy or IPython, ``sys.modules`` edits, threads) exists in the next one: those lived in a process that is gone.

Process protocol (one JSON line each way on an abstract unix socket private to the sandbox's network namespace):
proxy -> zygote ``{"argv", "env", "cwd"}``; zygote -> proxy ``{"pid"}``, later ``{"exit": code}`` when the
kernel ends. The proxy forwards the signals the kernel manager sends it (interrupt = SIGINT) to the kernel; if
the proxy dies (the manager killed it), the zygote kills the kernel. If the zygote is gone (a notebook killed it),
the proxy ``exec``s a normal cold kernel, so a hostile notebook can only slow its own next notebook down.

The zygote is non-dumpable (no ptrace or ``/proc/<pid>/mem`` by the same uid) and holds nothing worth reading:
besides the libraries it imports the student bundle's course modules (public code, the same for every student)
exactly once, when the runner has staged them for its first kernel (``{"preload": [...]}`` request, see
:meth:`Zygote.preload`) -- never after a fork, when the staging folder may hold a student's files. This file
imports only the standard library at module level (the proxy, ``python -I -S``, only C modules) and is bound
read-only into the sandbox next to the runner.

Examples
--------
>>> from autograder import _warm
>>> spec = _warm.kernel_spec("/grader/_warm.py", "grader-warm-1")
>>> spec["argv"][-3:]
['grader-warm-1', '-f', '{connection_file}']
"""

from __future__ import annotations

# The proxy (``python -I -S _warm.py connect``, one per notebook) needs only these modules: importing json,
# socket, signal, subprocess or typing would pull in re and enum and triple its start-up CPU (~24 ms -> ~9 ms).
# What only the runner or the zygote uses is imported inside the functions that use it.
import _signal
import _socket
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    import subprocess

__all__ = [
    "PRELOAD",
    "Zygote",
    "kernel_spec",
    "write_kernel_spec",
    "staged_modules",
    "files_digest",
    "serve",
    "connect",
    "KERNEL_NAME",
]

KERNEL_NAME = "python3-warm"
#: Imported by the zygote (a module that fails to import is skipped): what every kernel start imports (IPython,
#: ipykernel with its debugger, the history database, the pdb hook) and what the course's notebooks import (numpy
#: with numpy.random, matplotlib with the Agg canvas, PIL's image plugins, scipy and scikit-image's HOG).
#: Each name missing here costs every notebook's kernel its import (and, without .pyc files, its compile).
PRELOAD = (
    "numpy",
    "numpy.random",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.table",
    "matplotlib_inline.backend_inline",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "IPython",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
    "jupyter_client.session",
    "jupyter_client.localinterfaces",
    "psutil",
    "sqlite3",
    "faulthandler",
    "pdb",
    "zmq",
    "zmq.utils.garbage",
    "tornado.ioloop",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "tornado.platform.asyncio",
    "concurrent.futures.thread",
    "urllib.request",
    "tarfile",
    "secrets",
    "threadpoolctl",
    "scipy",
    "skimage.feature",
    "skimage.draw",
)
FORWARDED = (
    _signal.SIGINT,
    _signal.SIGTERM,
    _signal.SIGHUP,
    _signal.SIGQUIT,
    _signal.SIGUSR1,
    _signal.SIGUSR2,
)


def kernel_spec(warm_path: str, address: str, python: str | None = None) -> dict:
    """The kernelspec (``kernel.json`` content) whose argv starts the proxy for the zygote at `address`."""
    return {
        "argv": [
            python or sys.executable,
            "-I",
            "-S",
            warm_path,
            "connect",
            address,
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python 3 (grader, warm)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }


def write_kernel_spec(jupyter_dir: str, warm_path: str, address: str) -> str:
    """Write ``<jupyter_dir>/kernels/python3-warm/kernel.json``; return `jupyter_dir` (put it on JUPYTER_PATH)."""
    import json

    folder = os.path.join(jupyter_dir, "kernels", KERNEL_NAME)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "kernel.json"), "w") as fh:
        json.dump(kernel_spec(warm_path, address), fh)
    return jupyter_dir


class Zygote:
    """Start and watch the zygote (a child of the caller, so its pid cannot be reused while we hold it).

    Parameters
    ----------
    warm_path : str
        Path of this file as the sandbox sees it.
    env : dict
        The kernels' environment (``PYTHONPATH``, ``MPLBACKEND``, ...): the zygote is started with it.
    log : str
        File receiving the zygote's stdout/stderr.
    """

    def __init__(self, warm_path: str, env: dict, log: str):
        import time

        self.warm_path = warm_path
        self.env = dict(env)
        self.log = log
        self.address = f"grader-warm-{os.getpid()}-{time.monotonic_ns()}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.staged_digest: str | None = None  # digest of the staged files this zygote imported (see preload)

    def start(self) -> Zygote:
        import subprocess

        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, self.warm_path, "serve", self.address],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                close_fds=True,
                start_new_session=True,
            )
        self.starts += 1
        self.staged_digest = None
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure(self) -> Zygote:
        """Restart the zygote if it is gone (a notebook may kill it; the next one then gets a fresh one)."""
        if not self.alive():
            self.start()
        return self

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until the zygote accepts connections (its imports are done); False if it died or timed out."""
        import socket
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect("\0" + self.address)
                s.sendall(b'{"ping": true}\n')
                s.recv(64)
                return True
            except OSError:
                time.sleep(0.02)
            finally:
                s.close()
        return False

    def preload(self, lib_dir: str, files: dict, timeout: float = 60.0) -> str:
        """Have the zygote import the course modules just staged in `lib_dir` (`files`: {relative path: text}).

        Call it after staging, before the zygote's first kernel: the zygote imports staged code only until it
        forks its first kernel, and only once. Returns the :func:`files_digest` of the files whose modules the
        zygote holds ("" when none: it forked before, or did not answer -- kernels then import them themselves).
        A digest other than these files' means the zygote holds other course code: restart it."""
        if self.staged_digest is None:
            import json
            import socket

            self.staged_digest = ""
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect("\0" + self.address)
                request = {"preload": staged_modules(files), "path": lib_dir, "digest": files_digest(files)}
                s.sendall(json.dumps(request).encode() + b"\n")
                self.staged_digest = str(json.loads(s.makefile("rb").readline()).get("digest") or "")
            except (OSError, ValueError, AttributeError):
                pass
            finally:
                s.close()
        return self.staged_digest

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, _signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()


# ----------------------------------------------------------------------------------------------- the zygote
def _no_dump() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except Exception:  # noqa: BLE001 - best effort
        pass


def _import_all(names) -> list[str]:
    import importlib

    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - a missing optional module only costs speed
            pass
    return done


def _warm_up() -> None:
    """Run once what every kernel would otherwise do for itself on first use (lazy loads and one-time caches of the
    preloaded libraries; no job data involved)."""
    steps = (
        # the kernel's IP discovery (psutil), PIL's common image plugins, scikit-image's lazily loaded HOG
        lambda: sys.modules["jupyter_client.localinterfaces"].localhost(),
        lambda: sys.modules["PIL.Image"].preinit(),
        lambda: sys.modules["skimage.feature"].hog,
    )
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - only speed is at stake
            pass


def _freeze() -> None:
    import gc

    gc.collect()
    gc.freeze()  # keep the preloaded objects out of the children's collections (fewer copy-on-write pages)


def _seed_matplotlib_cache() -> None:
    """Copy the font list the trusted side built (``AUTOGRADER_MPL_SEED``, read-only, see
    :func:`autograder.grading.prepare_font_cache`) into the empty ``MPLCONFIGDIR`` before matplotlib is imported:
    matplotlib then reads it instead of scanning every font again. Nothing is copied over an existing list."""
    seed, target = os.environ.get("AUTOGRADER_MPL_SEED"), os.environ.get("MPLCONFIGDIR")
    if not seed or not target or not os.path.isdir(seed):
        return
    import shutil

    try:
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(seed):
            if name.startswith("fontlist-v") and name.endswith(".json"):
                if not os.path.exists(os.path.join(target, name)):
                    shutil.copyfile(os.path.join(seed, name), os.path.join(target, name))
    except OSError:  # only speed is at stake: matplotlib builds the list itself
        pass


def _preload() -> list[str]:
    _seed_matplotlib_cache()
    done = _import_all(PRELOAD)
    _warm_up()
    _freeze()
    return done


def staged_modules(paths) -> list[str]:
    """Module names of the staged ``.py`` files (relative paths), packages before their submodules.

    >>> staged_modules(["pkg/sub.py", "pkg/__init__.py", "helper.py", "README.txt"])
    ['helper', 'pkg', 'pkg.sub']
    """
    names = []
    for rel in paths:
        parts = rel.replace(os.sep, "/").split("/")
        if not parts[-1].endswith(".py") or not all(p.isidentifier() for p in parts[:-1]):
            continue
        parts[-1] = parts[-1][:-3]
        if parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            names.append(".".join(parts))
    return sorted(set(names), key=lambda n: (n.split("."), n))


def files_digest(files: dict) -> str:
    """SHA-256 over the staged files' paths and texts (which course code a zygote imported)."""
    import hashlib

    h = hashlib.sha256()
    for rel in sorted(files):
        for part in (rel, files[rel]):
            data = part.encode() if isinstance(part, str) else bytes(part)
            h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def _preload_staged(request: dict, state: dict) -> dict:
    """Import the staged course modules (the student bundle's ``cs231n_lite``: public course code, the same for
    every student) once, when the runner has just staged the first notebook and no kernel has run yet.

    Only the first request before the first fork is honoured: once a kernel has run, files under the staging
    folder may be a student's, so later requests (the runner's for the next notebook, or a kernel's own) are
    answered with what was imported before and import nothing."""
    if state.get("staged") is not None or state.get("forked"):
        return {"preloaded": state.get("staged") or [], "digest": state.get("digest", "")}
    import importlib

    folder = str(request.get("path") or "")
    sys.path_importer_cache.pop(folder, None)  # the folder did not exist when the zygote started
    importlib.invalidate_caches()
    state["staged"] = _import_all([str(n) for n in request.get("preload", [])])
    state["digest"] = str(request.get("digest", ""))
    _freeze()
    return {"preloaded": state["staged"], "digest": state["digest"]}


def _become_kernel(request: dict) -> None:
    """In the forked child: reset what fork kept, then run IPKernelApp on the request's connection file."""
    os.setsid()
    for sig in FORWARDED + (_signal.SIGCHLD,):
        _signal.signal(sig, _signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request.get("env", {}))
    os.chdir(request.get("cwd") or "/")
    import importlib

    importlib.invalidate_caches()
    sys.path_importer_cache.clear()
    if "numpy" in sys.modules:  # the legacy global RandomState is not reseeded on fork (`random` is)
        sys.modules["numpy"].random.seed()
    sys.argv = ["ipykernel_launcher", *request.get("argv", [])]
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=request.get("argv", []))


def serve(address: str) -> int:
    """Zygote main loop: preload, then fork one kernel per request until killed."""
    import json
    import select
    import socket

    _no_dump()
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(16)
    kernels: dict[socket.socket, int] = {}  # proxy connection -> kernel pid
    staged: dict = {}  # what _preload_staged imported
    while True:
        ready, _, _ = select.select([listener, *kernels], [], [], 0.1)
        for conn in ready:
            if conn is listener:
                client, _ = listener.accept()
                client.settimeout(10)
                try:
                    line = client.makefile("rb").readline()
                    request = json.loads(line)
                except (OSError, ValueError):
                    client.close()
                    continue
                if request.get("ping"):
                    client.sendall(b'{"pong": true}\n')
                    client.close()
                    continue
                if "preload" in request:
                    try:
                        client.sendall(json.dumps(_preload_staged(request, staged)).encode() + b"\n")
                    except OSError:
                        pass
                    client.close()
                    continue
                staged["forked"] = True  # from now on the staging folder may hold a student's files
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        listener.close()
                        client.close()
                        for other in kernels:
                            other.close()
                        _become_kernel(request)
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else 1
                    except BaseException:  # noqa: BLE001
                        import traceback

                        traceback.print_exc()
                        code = 1
                    finally:
                        os._exit(code)
                client.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                client.settimeout(None)
                kernels[client] = pid
            else:  # the proxy closed its end: it died or was killed -> kill its kernel
                try:
                    data = conn.recv(64)
                except OSError:
                    data = b""
                if not data:
                    try:
                        os.kill(kernels[conn], _signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        for conn, pid in list(kernels.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                code = os.waitstatus_to_exitcode(status)
                try:
                    conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
                except OSError:
                    pass
                conn.close()
                del kernels[conn]


# ------------------------------------------------------------------------------------------------ the proxy
def _cold(argv: list[str]) -> None:
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv], dict(os.environ))


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_str(text: str) -> str:
    """`text` as a JSON string literal, ASCII only, as ``json.dumps`` writes it (lone surrogates included: an
    environment value may hold undecodable bytes); ``json.loads`` gives `text` back."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def _fork_request(argv: list[str], env: dict, cwd: str) -> bytes:
    """The proxy's request line ``{"argv", "env", "cwd"}`` in JSON, written without the json module."""
    items = ", ".join(_json_str(a) for a in argv)
    pairs = ", ".join(f"{_json_str(k)}: {_json_str(v)}" for k, v in env.items())
    return f'{{"argv": [{items}], "env": {{{pairs}}}, "cwd": {_json_str(cwd)}}}\n'.encode("ascii")


def _int_field(line: bytes, key: str) -> int:
    """The integer of a zygote reply line ``{"KEY": N}`` (ValueError for anything else)."""
    head = b'{"' + key.encode() + b'": '
    line = line.strip()
    if not (line.startswith(head) and line.endswith(b"}")):
        raise ValueError(f"not a {key} reply: {line[:80]!r}")
    return int(line[len(head) : -1])


class _Lines:
    """Line reader over a raw ``_socket`` socket (no ``socket.makefile`` without the socket module)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def readline(self) -> bytes:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                line, self.buf = self.buf, b""
                return line
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"


def connect(address: str, argv: list[str]) -> int:
    """Proxy main: have the zygote fork a kernel for `argv`, forward signals to it, exit with its exit code."""
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    reader = _Lines(s)
    try:
        s.connect("\0" + address)
        s.sendall(_fork_request(argv, dict(os.environ), os.getcwd()))
        pid = _int_field(reader.readline(), "pid")
    except (OSError, ValueError):
        s.close()
        _cold(argv)  # no zygote (killed by an earlier notebook?): a normal kernel, only slower
        return 1

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        _signal.signal(sig, forward)
    try:
        line = reader.readline()  # a signal handler runs in between; recv is retried (PEP 475)
    except OSError:
        return 1
    if not line:
        return 1  # the zygote is gone; the runner kills what is left of the kernel before the next notebook
    try:
        return _int_field(line, "exit")
    except ValueError:
        return 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 2 and args[0] == "serve":
        return serve(args[1])
    if len(args) >= 2 and args[0] == "connect":
        return connect(args[1], args[2:])
    print("usage: _warm.py serve ADDRESS | connect ADDRESS -f CONNECTION_FILE [kernel args]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
