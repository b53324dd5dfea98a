"""Sandboxed notebook runner: executes cells and relays the trusted grader's calls (it decides nothing).

Runs INSIDE :mod:`autograder.sandbox` (``python -I /grader/runner.py``) and talks to the trusted grader over its
stdin/stdout in :mod:`autograder.wire` frames. Nothing secret is ever sent here: no reference, no checks, no
expected answers, no hidden test source (the grader strips the hidden blocks before sending a notebook).

Frames from the grader:

* ``{"op": "notebook", "job": {...}}`` with the value ``[notebook, files]``: wipe ``/tmp`` (sandboxed), stage
  ``files`` ({relative path: text}: the student bundle's ``cs231n_lite`` and the kernel-side helper) into
  ``lib_dir``, start a fresh kernel and run every code cell with per-cell and whole-notebook limits. After each
  cell whose index is in ``job["checkpoints"]`` the runner sends ``{"op": "checkpoint", "index": i}`` and serves
  the grader's ``call`` frames (relayed to :mod:`autograder._kernel` in the kernel over a Unix socket, callbacks
  relayed back) until ``{"op": "resume"}``. At the end: ``{"op": "done", "status", "error", "seconds"}`` with
  the executed notebook as value.
* ``{"op": "bye"}`` (or end of input): exit.

Statuses: ok / timeout / kernel_died / memory / output_limit / error.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import socket
import sys
import tempfile
import time
import traceback

# nbformat -> jsonschema imports the optional rfc3987_syntax, which builds a Lark grammar at import: ~1.3 s of CPU
# in every sandbox, for an "iri" string format no notebook schema uses. Marked absent, jsonschema skips it.
sys.modules.setdefault("rfc3987_syntax", None)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import grader_wire as wire  # inside the sandbox: /grader/grader_wire.py
except ImportError:  # the rlimits-only fallback runs autograder/_runner.py next to autograder/wire.py
    import wire  # type: ignore[no-redef]

from nbclient.util import run_sync  # noqa: E402 - after the rfc3987_syntax guard

KERNEL_LOG = "/tmp/runner-kernel.log"
_FATAL = sys.stderr
STATUS_ORDER = ("error", "kernel_died", "timeout", "memory", "output_limit", "ok")


def _private_stdout(log_path: str):
    """Keep the real stdout for the result; the kernel inherits fds 1/2 pointing at a log file instead.

    The real stderr stays reachable for the runner's own fatal errors (:data:`_FATAL`), which the grader shows."""
    global _FATAL
    _FATAL = os.fdopen(os.dup(2), "w")
    out_fd = os.dup(1)  # non-inheritable by default
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    return os.fdopen(out_fd, "wb")


def _reopen_log(log_path: str) -> None:
    """Point fds 1 and 2 at the (emptied) kernel log again, at its start."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _no_dump() -> None:
    """Make this process non-dumpable so the kernel (same uid) cannot read our memory or fds via /proc."""
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort on exotic libcs
        pass


def _in_bwrap_pid_namespace() -> bool:
    """True when pid 1 is bubblewrap, i.e. we are inside the sandbox's own pid namespace (safety check before
    :func:`_reset_sandbox` kills "every other process")."""
    try:
        with open("/proc/1/comm") as fh:
            return fh.read().strip() == "bwrap"
    except OSError:
        return False


def _reset_sandbox(keep: tuple[str, ...] = (), keep_pids: tuple[int, ...] = ()) -> str:
    """Give the next notebook a fresh sandbox: kill every other process, empty /tmp and /dev/shm.

    Between the notebooks of one job nothing of the previous kernel may survive: a background process or a
    ``sitecustomize.py`` left in /tmp could otherwise read the re-staged checks or run before the preload.
    Returns "" on success, else a reason.
    """
    import signal

    me, parent = os.getpid(), os.getppid()
    for _ in range(100):
        spared = (me, parent, 1, *keep_pids)  # keep_pids: the warm-kernel zygote (it never ran student code)
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in spared]
        if not others:
            break
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)
    else:
        return "could not stop the previous notebook's processes"
    mounts = set()
    try:
        with open("/proc/self/mountinfo") as fh:
            mounts = {line.split()[4] for line in fh}
    except OSError:
        pass

    def clean(folder: str) -> str:
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if path in keep or path in mounts:
                continue
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    if any(m.startswith(path + "/") for m in mounts):  # e.g. the data set bound under /tmp
                        err = clean(path)
                        if err:
                            return err
                    else:
                        shutil.rmtree(path)
                else:
                    os.remove(path)
            except OSError:
                return f"could not clean {path}"
        return ""

    for root in ("/tmp", "/dev/shm"):
        if os.path.isdir(root):
            err = clean(root)
            if err:
                return err
    return ""


def _output_size(out) -> int:
    kind = out.get("output_type")
    if kind == "stream":
        return len(out.get("text", ""))
    if kind == "error":
        return sum(len(x) for x in out.get("traceback", [])) + len(str(out.get("evalue", "")))
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in out.get("data", {}).values())


def _make_client(nb, job):
    from nbclient import NotebookClient

    limit_cell = int(job.get("max_cell_output", 200_000))
    limit_total = int(job.get("max_total_output", 5_000_000))

    class CappedClient(NotebookClient):
        """NotebookClient that keeps at most `limit_cell` characters per cell and `limit_total` in all."""

        total = 0
        per_cell: dict[int, int] = {}
        truncated = False

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            # the default kernel folders include IPython's, found by importing IPython (~0.1 s in every runner);
            # in the sandbox that folder (under the empty IPYTHONDIR) never holds a kernel
            from jupyter_client.kernelspec import KernelSpecManager
            from jupyter_core.paths import jupyter_path

            km.kernel_spec_manager = KernelSpecManager(
                data_dir=km.data_dir, kernel_dirs=jupyter_path("kernels")
            )
            return km

        def output(self, outs, msg, display_id, cell_index):
            out = super().output(outs, msg, display_id, cell_index)
            if out is None or not outs or outs[-1] is not out:
                return out
            size = _output_size(out)
            used = self.per_cell.get(cell_index, 0)
            if used + size > limit_cell or self.total + size > limit_total:
                outs.pop()
                if not self.truncated or used <= limit_cell:
                    note = {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": f"\n[grader] output truncated: more than {limit_cell} characters in this cell\n",
                    }
                    from nbformat import from_dict

                    if used <= limit_cell:
                        outs.append(from_dict(note))
                        self.per_cell[cell_index] = limit_cell + 1
                self.truncated = True
                return None
            self.per_cell[cell_index] = used + size
            self.total += size
            return out

    timeout_error = {
        "ename": "CellTimeoutError",
        "evalue": f"cell exceeded the grader's per-cell limit of {job.get('cell_timeout', 60)} s",
        "traceback": [
            f"CellTimeoutError: cell exceeded the grader's per-cell limit of {job.get('cell_timeout')} s"
        ],
    }
    return CappedClient(
        nb,
        timeout=int(job.get("cell_timeout", 60)),
        startup_timeout=int(job.get("startup_timeout", 60)),
        kernel_name=job.get("kernel_name") or "python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout=timeout_error,
        raise_on_iopub_timeout=False,
        record_timing=False,
        resources={"metadata": {"path": job.get("work_dir", "/tmp/work")}},
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
    )


def _stage(lib_dir: str, files: dict) -> None:
    for rel, text in files.items():
        path = os.path.join(lib_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


class Relay:
    """One serve session in the kernel: a Unix socket the kernel-side helper connects to."""

    def __init__(self, client, scratch: str, startup: float = 10.0):
        import secrets

        self.client = client
        self.path = os.path.join(scratch, f".grader-{secrets.token_hex(8)}.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.server.settimeout(startup)
        code = f"import grader_kernel as _gk; _gk.serve({self.path!r}); del _gk"
        self.msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        self.conn, _ = self.server.accept()
        self.server.close()
        self.stream = _SockStream(self.conn)

    def call(self, header: dict, blobs: list, grader_in, grader_out, timeout: float) -> tuple[dict, list]:
        """Forward one call; relay callbacks; return the kernel's result frame (or a status-only frame)."""
        wire.write_frame(self.stream, header, blobs)
        deadline = time.monotonic() + timeout
        while True:
            self.conn.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                head, data = wire.read_frame(self.stream)
            except TimeoutError:
                return {"op": "result", "status": "timeout", "error": f"no answer within {timeout:g} s"}, []
            except (EOFError, OSError, wire.WireError) as exc:
                return {
                    "op": "result",
                    "status": "kernel_died",
                    "error": f"the kernel stopped answering: {exc}",
                }, []
            if head.get("op") == "callback":
                wire.write_frame(grader_out, head, data)
                reply, rdata = wire.read_frame(grader_in)
                wire.write_frame(self.stream, reply, rdata)
                continue
            return head, data

    def close(self, wait: float = 10.0) -> bool:
        """End the session; True when the kernel returned to idle (its reply arrived)."""
        try:
            wire.write_frame(self.stream, {"op": "end"})
        except OSError:
            pass
        try:
            self.conn.close()
        except OSError:
            pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                msg = run_sync(self.client.kc.get_shell_msg)(timeout=max(0.05, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - queue.Empty or a dead kernel
                return False
            if msg.get("parent_header", {}).get("msg_id") == self.msg_id:
                return True
        return False


class _SockStream:
    def __init__(self, sock):
        self.sock = sock

    def read(self, n):
        return self.sock.recv(min(n, 1 << 20))

    def write(self, data):
        self.sock.sendall(data)

    def flush(self):
        pass


def _interrupt(client) -> None:
    try:
        run_sync(client.km.interrupt_kernel)()
    except Exception:  # noqa: BLE001
        pass


def _kill_kernel(client) -> None:
    try:
        run_sync(client.km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001
        pass


def _responsive(client, timeout: float = 5.0) -> bool:
    """True when the kernel answers an empty request within ``timeout`` seconds (after an interrupted cell: a
    kernel that ignores SIGINT is still busy in the student's cell and never answers)."""
    try:
        msg_id = client.kc.execute("", silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            msg = run_sync(client.kc.get_shell_msg)(timeout=remaining)
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
    except Exception:  # noqa: BLE001 - no reply (queue.Empty) or a dead kernel
        return False


def _serve_checkpoint(client, index, scratch, grader_in, grader_out, state) -> None:
    """Send a checkpoint, then relay calls until the grader says resume."""
    wire.write_frame(grader_out, {"op": "checkpoint", "index": index, "alive": state["alive"]})
    relay = None
    while True:
        head, data = wire.read_frame(grader_in)
        op = head.get("op")
        if op == "resume":
            break
        if op != "call":
            raise RuntimeError(f"unexpected frame {op!r} at a checkpoint")
        if not state["alive"]:
            wire.write_frame(
                grader_out, {"op": "result", "status": state["dead_status"], "error": state["why"]}
            )
            continue
        if relay is None:
            try:
                relay = Relay(client, scratch)
            except Exception as exc:  # noqa: BLE001 - the kernel is busy or dead
                why = f"the kernel no longer runs code for the grader (its IPython may be broken, e.g. by sys.stdout = None): {exc}"
                state.update(alive=False, dead_status="kernel_died", why=why)
                wire.write_frame(grader_out, {"op": "result", "status": "kernel_died", "error": state["why"]})
                continue
        timeout = float(head.pop("timeout", 10.0))
        reply, rdata = relay.call(head, data, grader_in, grader_out, timeout)
        if reply.get("status") in ("timeout", "kernel_died"):
            if reply["status"] == "timeout":
                _interrupt(client)
                try:  # the helper answers "interrupted" when the interrupt reached the call
                    relay.conn.settimeout(3.0)
                    wire.read_frame(relay.stream)
                    ok = relay.close(wait=5.0)
                except Exception:  # noqa: BLE001
                    ok = False
                relay = None
                if not ok:
                    _kill_kernel(client)
                    state.update(
                        alive=False, dead_status="timeout", why=reply["error"] + "; the kernel was stopped"
                    )
            else:
                relay = None
                state.update(alive=False, dead_status="kernel_died", why=reply["error"])
        wire.write_frame(grader_out, reply, rdata)
    if relay is not None and not relay.close():
        state.update(
            alive=False, dead_status="kernel_died", why="the kernel did not return after the grader's calls"
        )


def execute(job: dict, nb, grader_in, grader_out, scratch: str) -> dict:
    import nbformat
    from nbclient.exceptions import DeadKernelError

    t0 = time.monotonic()
    work_dir = job.get("work_dir", "/tmp/work")
    os.makedirs(work_dir, exist_ok=True)
    client = _make_client(nb, job)
    status, error = "ok", ""
    current = None  # the code cell being executed
    deadline = t0 + float(job.get("deadline", 100))
    cell_timeout = int(job.get("cell_timeout", 60))
    checkpoints = {int(i) for i in job.get("checkpoints", [])}
    state = {"alive": True, "dead_status": "", "why": ""}
    done_checkpoints = set()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if not state["alive"]:
                    status, error = (status if status != "ok" else state["dead_status"]), state["why"]
                    break
                current = cell
                remaining = deadline - time.monotonic()
                if remaining <= 1:
                    status, error = (
                        "timeout",
                        f"notebook exceeded the grader's limit of {job.get('deadline')} s",
                    )
                    break
                client.timeout = int(max(1, min(cell_timeout, remaining)))
                started = time.monotonic()
                client.execute_cell(cell, index)
                current = None
                # nbclient interrupts a cell at its timeout: the kernel reports KeyboardInterrupt
                timed_out = time.monotonic() - started >= client.timeout - 0.5
                for out in cell.get("outputs", []):
                    if out.get("output_type") != "error":
                        continue
                    if timed_out and out.get("ename") in ("KeyboardInterrupt", "CellTimeoutError"):
                        msg = (
                            f"cell exceeded the grader's time limit of {client.timeout} s and was interrupted"
                        )
                        out["ename"], out["evalue"], out["traceback"] = (
                            "CellTimeoutError",
                            msg,
                            [f"CellTimeoutError: {msg}"],
                        )
                        if status == "ok":
                            status, error = "timeout", f"cell {index} exceeded {client.timeout} s"
                    elif out.get("ename") == "MemoryError" and status == "ok":
                        status, error = "memory", f"cell {index} raised MemoryError (memory limit)"
                if timed_out and not _responsive(client):
                    # the student's code ignored the interrupt: stop the kernel; this cell and the rest score 0
                    why = (
                        f"cell {index} exceeded {client.timeout} s and the kernel did not answer after the interrupt "
                        "(the code ignores SIGINT, or broke IPython, e.g. sys.stdout = None); the kernel was stopped"
                    )
                    _kill_kernel(client)
                    state.update(alive=False, dead_status="timeout", why=why)
                    if status == "ok":
                        status, error = "timeout", why
                if index in checkpoints:
                    done_checkpoints.add(index)
                    _serve_checkpoint(client, index, scratch, grader_in, grader_out, state)
                    if not state["alive"] and status == "ok":
                        status, error = state["dead_status"], state["why"]
    except DeadKernelError as exc:
        status, error = (
            "kernel_died",
            f"the kernel died: {str(exc).splitlines()[0] if str(exc) else 'no reason'}",
        )
    except (EOFError, wire.WireError):
        raise  # the grader is gone or confused: nothing to report to
    except Exception as exc:  # noqa: BLE001 - every failure becomes a result, never a crash
        if status == "ok":
            status = "error"
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if status in ("kernel_died", "error") and current is not None:
        # the cell that was running when the kernel died has an execution count but no error output: mark it
        current.setdefault("outputs", []).append(
            nbformat.from_dict(
                {"output_type": "error", "ename": "DeadKernelError", "evalue": error, "traceback": [error]}
            )
        )
    if getattr(client, "truncated", False) and status == "ok":
        status, error = "output_limit", "output truncated by the grader (too much output)"
    return {"status": status, "error": error, "seconds": time.monotonic() - t0, "notebook": nb}


def _preimport() -> None:
    """Import what running a notebook needs, then freeze the runner's objects out of the garbage collector: its
    collections (frequent while outputs stream in) then only visit the objects made since (~0.1 s per sandbox)."""
    import gc

    import nbclient  # noqa: F401
    import nbclient.exceptions  # noqa: F401
    import nbformat.v4  # noqa: F401
    from jupyter_client import kernelspec, manager  # noqa: F401

    gc.collect()
    gc.freeze()


def main() -> int:
    """Serve notebook frames until ``bye`` (see module docstring)."""
    grader_in = sys.stdin.buffer
    isolated = os.environ.get("AUTOGRADER_ISOLATED") == "1" and _in_bwrap_pid_namespace()
    # not isolated: run by the rlimits-only fallback ON THE HOST, so never kill processes or wipe /tmp
    scratch = "/tmp" if isolated else tempfile.mkdtemp(prefix="autograder-unsandboxed-")
    log_path = os.path.join(scratch, os.path.basename(KERNEL_LOG))
    grader_out = _private_stdout(log_path)
    _no_dump()
    import nbformat

    _preimport()
    warm = None
    health = {"runner": _fingerprint(os.getpid())}
    try:
        while True:
            try:
                head, blobs = wire.read_frame(grader_in)
            except EOFError:
                break
            if head.get("op") == "reset":  # between two submissions (autograder/sessions.py)
                why, warm = _between_jobs(isolated, log_path, warm, health)
                wire.write_frame(grader_out, {"op": "clean", "ok": not why, "why": why})
                if why:
                    break
                continue
            if head.get("op") != "notebook" or len(blobs) != 1:
                break
            job = dict(head.get("job") or {})
            payload = json.loads(blobs[0])
            nb_dict, files = payload["notebook"], payload["files"]
            lib_dir = job.get("lib_dir", "/tmp/grader-lib")
            if not isolated:
                lib_dir = os.path.join(scratch, "grader-lib")
                job["work_dir"] = os.path.join(scratch, "work")
                shutil.rmtree(lib_dir, ignore_errors=True)
                dirty = ""
            else:
                dirty = _reset_sandbox(keep=(log_path, *_warm_files(warm)), keep_pids=_warm_pids(warm))
            os.environ["PYTHONPATH"] = lib_dir  # the kernel imports the staged packages from here
            try:
                if dirty:
                    raise RuntimeError(dirty)
                if warm is None and isolated and job.get("warm"):
                    warm = _start_warm(lib_dir)  # imports while the first notebook is staged
                _stage(lib_dir, files)
                if warm is not None:
                    job.update(_warm_kernel(warm, job, files))
                    if warm.alive() and health.get("zygote", (None,))[0] != warm.pid:
                        health["zygote"] = (warm.pid, _fingerprint(warm.pid))
                result = execute(job, nbformat.from_dict(nb_dict), grader_in, grader_out, scratch)
            except (EOFError, wire.WireError):
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a result frame
                result = {
                    "status": "error",
                    "error": f"runner: {exc}",
                    "seconds": 0.0,
                    "notebook": None,
                    "trace": traceback.format_exc()[-2000:],
                }
            nb = result.pop("notebook")
            blobs = [json.dumps(nb).encode()] if nb is not None else []
            wire.write_frame(grader_out, {"op": "done", **result}, blobs)
    except (EOFError, wire.WireError):
        return 3
    finally:
        if warm is not None:
            warm.close()
        if not isolated:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


# ---- between two submissions (one sandbox serves several: autograder/sessions.py)
_RLIMITS = tuple(
    getattr(resource, n)
    for n in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CORE",
              "RLIMIT_STACK", "RLIMIT_DATA", "RLIMIT_MEMLOCK", "RLIMIT_NICE", "RLIMIT_RTPRIO")
    if hasattr(resource, n)
)


def _fingerprint(pid: int) -> tuple:
    """What another process of the sandbox user could change in process `pid` and that its children inherit or
    that slows it down: run state, nice value, CPU affinity, scheduling policy, resource limits, OOM score."""

    def get(fn):
        try:
            return fn()
        except OSError as exc:
            return f"unreadable: {exc.errno}"

    def state():
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("T", "t")  # stopped or traced

    def oom():
        with open(f"/proc/{pid}/oom_score_adj") as fh:
            return fh.read().strip()

    return (
        get(state),
        get(lambda: os.getpriority(os.PRIO_PROCESS, pid)),
        get(lambda: tuple(sorted(os.sched_getaffinity(pid)))),
        get(lambda: os.sched_getscheduler(pid)),
        get(lambda: tuple(resource.prlimit(pid, r) for r in _RLIMITS)),
        get(oom),
    )


def _remove_sysv_ipc() -> str:
    """Remove every System V shared-memory segment, semaphore set and message queue of this IPC namespace (they
    outlive the processes that made them); "" or a reason."""
    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for table, remove in (("shm", libc.shmctl), ("sem", libc.semctl), ("msg", libc.msgctl)):
        try:
            with open(f"/proc/sysvipc/{table}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            if (remove(ident, 0, ipc_rmid, None) if table == "sem" else remove(ident, ipc_rmid, None)) != 0:
                return f"could not remove System V {table} object {ident} (errno {ctypes.get_errno()})"
    return ""


def _between_jobs(isolated: bool, log_path: str, warm, health: dict):
    """Clear the sandbox for the next submission: no process but the runner and the zygote, empty /tmp and
    /dev/shm, no System V IPC object; the runner and the zygote as they were started. Returns (reason or "",
    zygote): a changed zygote is replaced (its kernels would inherit the change); a changed runner is a reason."""
    if not isolated:
        return "not isolated: a sandbox without its own pid namespace is never reused", warm
    why = _reset_sandbox(keep=(log_path, *_warm_files(warm)), keep_pids=_warm_pids(warm)) or _remove_sysv_ipc()
    if why:
        return why, warm
    for path in (log_path, *_warm_files(warm)):  # what the previous kernels printed to fds 1 and 2
        try:
            os.truncate(path, 0)  # the zygote appends (O_APPEND); the runner's own fds are reopened below
        except OSError:
            pass
    _reopen_log(log_path)
    if _fingerprint(os.getpid()) != health["runner"]:
        return "a process of the previous submission changed the runner (priority, affinity or limits)", warm
    zygote = health.get("zygote")
    if warm is not None and (not warm.alive() or zygote is None or zygote[0] != warm.pid
                             or _fingerprint(warm.pid) != zygote[1]):
        warm.close()  # stopped, reniced, re-limited or killed: the next submission gets a new one
        health.pop("zygote", None)
        warm = None
    return "", warm


# ---- warm kernels (autograder/_warm.py, bound next to this file): one zygote per sandbox, one fork per notebook
WARM_LOG = "/tmp/runner-warm.log"
WARM_JUPYTER = "/tmp/grader-warm-jupyter"


def _start_warm(lib_dir: str):
    """Start the zygote (a clean exec, holding nothing of the job); None when _warm.py is not next to us."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_warm.py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("grader_warm", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    zygote = mod.Zygote(path, {**os.environ, "PYTHONPATH": lib_dir}, WARM_LOG).start()
    zygote.module = mod
    return zygote


def _warm_files(warm) -> tuple[str, ...]:
    return (WARM_LOG,) if warm is not None else ()


def _warm_pids(warm) -> tuple[int, ...]:
    return (warm.pid,) if warm is not None and warm.alive() else ()


def _warm_kernel(warm, job, files: dict | None = None) -> dict:
    """Job keys making the next kernel a fork of the zygote (restarted if a notebook killed it); cold if not ready.

    `files` (just staged, no kernel started since) are imported by a new zygote before its first fork; a zygote
    holding other course files (an earlier submission's, in a reused sandbox) is replaced."""
    timeout = float(job.get("startup_timeout", 60))
    warm.ensure()
    if not warm.wait_ready(timeout=timeout):
        return {"kernel_name": None}
    if files:
        digest = warm.module.files_digest(files)
        held = warm.preload(job.get("lib_dir", "/tmp/grader-lib"), files, timeout=timeout)
        if held and held != digest:
            warm.close()
            warm.start()
            if not warm.wait_ready(timeout=timeout):
                return {"kernel_name": None}
            warm.preload(job.get("lib_dir", "/tmp/grader-lib"), files, timeout=timeout)
    warm.module.write_kernel_spec(WARM_JUPYTER, warm.warm_path, warm.address)
    os.environ["JUPYTER_PATH"] = WARM_JUPYTER
    return {"kernel_name": warm.module.KERNEL_NAME}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # the grader reports the last stderr line
        _FATAL.write(traceback.format_exc())
        _FATAL.flush()
        sys.exit(4)
