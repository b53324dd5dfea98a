"""Sandbox-side notebook runner: JSON job on stdin -> JSON result (executed notebook) on stdout.

This file is bound read-only into the sandbox and run there by :mod:`autograder.grading`; it imports only the
standard library, nbformat and nbclient (never the repository). Job keys:

``notebook`` (nbformat dict, already sanitized by nbgrader), ``files`` ({relative path: text} staged into
``lib_dir``, which is on ``PYTHONPATH``), ``preload`` (module names imported in the kernel before any student
cell), ``secret`` (relative paths deleted right after the preload), ``forget_modules`` (module names dropped from
``sys.modules`` after the preload), ``cell_timeout``, ``deadline`` (seconds for all cells), ``startup_timeout``,
``max_cell_output``, ``max_total_output`` (characters), ``lib_dir``, ``work_dir``.

Result keys: ``status`` (ok / timeout / kernel_died / memory / output_limit / error), ``error`` (one line),
``notebook`` (executed), ``seconds``, ``preloaded`` (bool).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

# nbformat -> jsonschema imports the optional rfc3987_syntax, which builds a Lark grammar at import: ~1.3 s of CPU
# in every sandbox, for an "iri" string format no notebook schema uses. Marked absent, jsonschema skips it.
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL_LOG = "/tmp/runner-kernel.log"
STATUS_ORDER = ("error", "kernel_died", "timeout", "memory", "output_limit", "ok")


def _private_stdout(log_path: str):
    """Keep the real stdout for the result; the kernel inherits fds 1/2 pointing at a log file instead."""
    out_fd = os.dup(1)  # non-inheritable by default
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    return os.fdopen(out_fd, "w")


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
        spared = (me, parent, 1, *keep_pids)
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


def _stage(lib_dir: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(lib_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


def _unstage(lib_dir: str, secret: list[str]) -> None:
    for rel in secret:
        path = os.path.join(lib_dir, rel)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)
    for root, dirs, _ in os.walk(lib_dir):
        for d in dirs:
            if d == "__pycache__":
                shutil.rmtree(os.path.join(root, d), ignore_errors=True)


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


def _preload_code(job) -> str:
    mods = list(job.get("preload", []))
    forget = list(job.get("forget_modules", []))
    lines = ["import importlib as _il, sys as _sys"]
    lines += [f"_il.import_module({m!r})" for m in mods]
    for m in forget:
        parent, _, child = m.rpartition(".")
        lines.append(
            f"[_sys.modules.pop(_k) for _k in list(_sys.modules) if _k == {m!r} or _k.startswith({m + '.'!r})]"
        )
        if parent:
            lines.append(
                f"_p = _sys.modules.get({parent!r}); _p is not None and _p.__dict__.pop({child!r}, None)"
            )
    lines.append("_sys.path_importer_cache.clear(); del _il, _sys")
    return "\n".join(lines)


def execute(job: dict) -> dict:
    import nbformat
    from nbclient.exceptions import DeadKernelError

    t0 = time.monotonic()
    lib_dir = job.get("lib_dir", "/tmp/grader-lib")
    work_dir = job.get("work_dir", "/tmp/work")
    os.environ["PYTHONPATH"] = lib_dir  # the kernel imports the staged packages from here
    os.makedirs(work_dir, exist_ok=True)
    _stage(lib_dir, job.get("files", {}))
    nb = nbformat.from_dict(job["notebook"])
    client = _make_client(nb, job)
    status, error, preloaded = "ok", "", False
    current = None  # the code cell being executed
    deadline = t0 + float(job.get("deadline", 100))
    cell_timeout = int(job.get("cell_timeout", 60))
    try:
        with client.setup_kernel():
            if job.get("preload"):
                pre = nbformat.v4.new_code_cell(_preload_code(job))
                nb.cells.append(pre)  # nbclient writes the executed cell back at its index
                try:
                    client.execute_cell(pre, len(nb.cells) - 1, store_history=False)
                finally:
                    nb.cells.pop()
                    _unstage(lib_dir, job.get("secret", []))
                t_pre = time.monotonic() - t0
                errs = [o for o in pre.outputs if o.get("output_type") == "error"]
                if errs:
                    raise RuntimeError(
                        f"grader preload failed: {errs[0].get('ename')}: {errs[0].get('evalue')}"
                    )
                preloaded = True
            else:
                _unstage(lib_dir, job.get("secret", []))
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
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
    except DeadKernelError as exc:
        status, error = (
            "kernel_died",
            f"the kernel died: {str(exc).splitlines()[0] if str(exc) else 'no reason'}",
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a result, never a crash
        if status == "ok":
            status = "error"
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if status in ("kernel_died", "error") and current is not None:
        # the cell that was running when the kernel died has an execution count but no error output: mark it,
        # or nbgrader would count it as passed
        current.setdefault("outputs", []).append(
            nbformat.from_dict(
                {"output_type": "error", "ename": "DeadKernelError", "evalue": error, "traceback": [error]}
            )
        )
    if getattr(client, "truncated", False) and status == "ok":
        status, error = "output_limit", "output truncated by the grader (too much output)"
    return {
        "status": status,
        "error": error,
        "notebook": nb,
        "seconds": time.monotonic() - t0,
        "preloaded": preloaded,
        "preload_seconds": locals().get("t_pre", 0.0),
    }


def main() -> int:
    """Run every notebook of the job, each in a fresh kernel; print one JSON line per notebook as it finishes.

    A job with ``notebooks`` (list of ``{"name", "notebook"}``) shares the other keys; a job with a single
    ``notebook`` is the same as a one-element list named ``"notebook"``.
    """
    raw = sys.stdin.buffer.read()
    try:
        job = json.loads(raw)
    except ValueError as exc:
        job, bad = None, exc
    # isolated=False: run by the rlimits-only fallback ON THE HOST, so never kill processes or wipe /tmp:
    # use a private scratch folder instead
    isolated = isinstance(job, dict) and job.get("isolated") is True and _in_bwrap_pid_namespace()
    scratch = "/tmp" if isolated else tempfile.mkdtemp(prefix="autograder-unsandboxed-")
    log_path = os.path.join(scratch, os.path.basename(KERNEL_LOG))
    out = _private_stdout(log_path)
    _no_dump()
    if job is None:
        out.write(
            json.dumps({"name": None, "status": "error", "error": f"bad job: {bad}", "notebook": None}) + "\n"
        )
        return 2
    if not isolated:
        job["lib_dir"] = os.path.join(scratch, "grader-lib")
        job["work_dir"] = os.path.join(scratch, "work")
    items = job.pop("notebooks", None) or [{"name": "notebook", "notebook": job.pop("notebook", None)}]
    warm = _start_warm(job, scratch) if isolated and job.get("warm") else None
    for item in items:
        if isolated:
            dirty = _reset_sandbox(keep=(log_path, *warm_files(warm)), keep_pids=warm_pids(warm))
        else:
            shutil.rmtree(job["lib_dir"], ignore_errors=True)
            dirty = ""
        try:
            if dirty:
                raise RuntimeError(dirty)
            extra = _warm_kernel(warm, job) if warm is not None else {}
            result = execute({**job, **extra, "notebook": item["notebook"]})
            result["kernel"] = "warm" if extra.get("kernel_name") else "cold"
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result line
            result = {
                "status": "error",
                "error": f"runner: {exc}",
                "notebook": None,
                "trace": traceback.format_exc(),
            }
        result["name"] = item["name"]
        out.write(json.dumps(result) + "\n")
        out.flush()
    if warm is not None:
        warm.close()
    if not isolated:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


# ---- warm kernels (autograder/_warm.py, bound next to this file): one zygote per sandbox, one fork per notebook
WARM_LOG = "/tmp/runner-warm.log"
WARM_JUPYTER = "/tmp/grader-warm-jupyter"


def _warm_module():
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_warm.py")
    spec = importlib.util.spec_from_file_location("grader_warm", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, path


def _start_warm(job, scratch):
    """Start the zygote now (it imports while the first notebook is staged); None if _warm.py is not there."""
    try:
        mod, path = _warm_module()
    except OSError:
        return None
    env = {**os.environ, "PYTHONPATH": job.get("lib_dir", "/tmp/grader-lib")}
    zygote = mod.Zygote(path, env, WARM_LOG).start()
    zygote.module = mod
    return zygote


def warm_files(warm) -> tuple[str, ...]:
    return (WARM_LOG,) if warm is not None else ()


def warm_pids(warm) -> tuple[int, ...]:
    return (warm.pid,) if warm is not None and warm.alive() else ()


def _warm_kernel(warm, job) -> dict:
    """Job keys that make the next kernel a fork of the (restarted if killed) zygote; {} to start it cold."""
    warm.ensure()
    if not warm.wait_ready(timeout=float(job.get("startup_timeout", 60))):
        return {}
    warm.module.write_kernel_spec(WARM_JUPYTER, warm.warm_path, warm.address)
    os.environ["JUPYTER_PATH"] = WARM_JUPYTER
    return {"kernel_name": warm.module.KERNEL_NAME}


if __name__ == "__main__":
    sys.exit(main())
