"""The trusted judge: runs one student's notebooks in ONE sandbox and decides every grade cell outside it.

For each notebook (already sanitized by nbgrader, so the grade cells hold the instructor's source):

1. :func:`grade_cells` parses the grade-cell convention from every autograded test cell: the hidden block must
   be exactly ``from autograder import checks; checks.check("<fn>", <fn>, cases="visible"|"hidden")`` with
   ``<fn>`` in :data:`autograder.checks.NAMES`; anything else is an authoring error or tampering and scores 0.
2. :func:`sandbox_notebook` removes every hidden block (the sandbox never sees the hidden source) and the
   notebook is sent to :mod:`autograder._runner`, which runs the cells and stops after each grade cell (a
   checkpoint).
3. At a checkpoint :func:`autograder.checks.run_check` runs HERE with a :class:`RemoteCaller`: inputs drawn from
   the course secret are sent, the student's function runs in the kernel, its return values come back as data
   and are compared with the reference computed here; timings are taken here around each call; the structure
   check reads the submitted source (:mod:`autograder.structure`).
4. :func:`apply_verdicts` rewrites the grade cells' outputs: what the student's code printed stays as plain
   text (its errors and results cannot score or unscore anything), then the trusted verdict: a ``stdout`` line
   when passed, an ``error`` output with the message (case, expected vs got, hint) when not. A grade cell that
   was never checked (kernel died, timeout, no value) gets an error output: no silent pass.

nbgrader's own ``SaveAutoGrades`` then reads these outputs and writes the gradebook.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass

from autograder import checks, structure, wire

__all__ = [
    "GRADE_LINE",
    "GradeCell",
    "RemoteCaller",
    "grade_cells",
    "sandbox_notebook",
    "apply_verdicts",
    "judge_notebook",
]

GRADE_LINE = re.compile(
    r'^from autograder import checks; checks\.check\("(?P<name>\w+)", (?P<fn>\w+)'
    r'(?:, cases="(?P<cases>visible|hidden)")?\)$'
)
BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
MAX_FRAME = 64 * 1024 * 1024  # bytes the trusted side accepts in one frame from a sandbox (a value, a notebook)


@dataclass
class GradeCell:
    """One autograded test cell: where it is, which trusted check decides it, or why none can."""

    index: int
    grade_id: str
    points: float
    name: str = ""
    cases: str = "hidden"
    problem: str = ""


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def hidden_lines(source: str) -> list[str]:
    out, hiding = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hiding = True
        elif END in line:
            hiding = False
        elif hiding and line.strip():
            out.append(line.strip())
    return out


def grade_cells(nb) -> list[GradeCell]:
    """The autograded test cells of `nb` (grade, not solution, code) with their parsed trusted check."""
    out = []
    for i, cell in enumerate(nb.cells):
        md = _nbg(cell)
        if cell.get("cell_type") != "code" or not md.get("grade") or md.get("solution"):
            continue
        gc = GradeCell(i, str(md.get("grade_id", f"cell-{i}")), float(md.get("points") or 0))
        lines = hidden_lines(cell.get("source", ""))
        m = GRADE_LINE.match(lines[0]) if len(lines) == 1 else None
        if m is None:
            gc.problem = (
                f"grade cell {gc.grade_id!r} has no trusted check: its hidden block must be exactly one line "
                f'`from autograder import checks; checks.check("<function>", <function>, cases="hidden")` '
                f"(found {len(lines)} hidden line(s)). Fix the source notebook and run `python -m autograder "
                f"release` again."
            )
        elif m["name"] not in checks.NAMES or m["fn"] != m["name"]:
            gc.problem = (
                f"grade cell {gc.grade_id!r} names check {m['name']!r} for {m['fn']!r}; expected one of "
                f"{', '.join(checks.NAMES)} applied to the function of the same name."
            )
        else:
            gc.name, gc.cases = m["name"], m["cases"] or "hidden"
        out.append(gc)
    return out


def _strip_hidden(source: str) -> str:
    out, hiding = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hiding = True
            continue
        if END in line:
            hiding = False
            continue
        if not hiding:
            out.append(line)
    return "\n".join(out)


def sandbox_notebook(nb) -> dict:
    """A copy of `nb` for the sandbox: every hidden block removed (the checks run outside)."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.get("cell_type") == "code" and BEGIN in cell.get("source", ""):
            cell["source"] = _strip_hidden(cell["source"])
    return out


class SandboxGone(RuntimeError):
    """The sandboxed runner closed its pipe or sent something that is not a frame."""


class RemoteCaller:
    """:mod:`autograder.checks` caller that calls the student's function inside the sandbox (one checkpoint)."""

    def __init__(self, proc):
        self.proc = proc

    def call(self, name, args, kwargs=None, *, timeout=checks.CALL_TIMEOUT) -> checks.Call:
        callbacks = {}

        def special(value):
            if isinstance(value, checks.Callback):
                k = len(callbacks)
                callbacks[k] = value
                return {"t": "callback", "id": k, "name": value.name}
            return None

        blobs: list = []
        tree = wire.encode([list(args), dict(kwargs or {})], blobs, callback=special)
        start = time.perf_counter()
        try:
            wire.write_frame(
                self.proc.stdin, {"op": "call", "fn": name, "timeout": timeout, "value": tree}, blobs
            )
            while True:
                head, data = wire.read_frame(self.proc.stdout, max_total=MAX_FRAME)
                if head.get("op") == "callback":
                    self._callback(head, data, callbacks)
                    continue
                break
        except (EOFError, OSError, wire.WireError) as exc:
            raise SandboxGone(f"the sandbox stopped answering: {exc}") from None
        seconds = time.perf_counter() - start
        status = str(head.get("status", "protocol"))
        error = (
            head.get("error")
            if isinstance(head.get("error"), dict)
            else {"message": str(head.get("error", ""))}
        )
        if status != "ok":
            return checks.Call(status, error=error, seconds=seconds)
        try:
            value = wire.decode(head["value"], data) if "value" in head else None
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            return checks.Call(
                "unsendable", error={"type": "WireError", "message": str(exc)}, seconds=seconds
            )
        digests = [str(d) for d in head.get("digests", [])] if isinstance(head.get("digests"), list) else []
        return checks.Call("ok", value=value, seconds=seconds, digests=digests)

    def _callback(self, head, data, callbacks) -> None:
        cb = callbacks.get(head.get("id"))
        reply = {"op": "callback_result", "status": "ok"}
        value = None
        try:
            if cb is None:
                raise ValueError("unknown callback")
            args, kwargs = wire.decode(head.get("value"), data)
            value = cb.fn(*args, **kwargs)
        except TypeError as exc:
            reply.update(status="error", kind="type", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - bad arguments from the student's code
            reply.update(status="error", kind="value", error=f"{exc}")
        wire.send(self.proc.stdin, reply, value=value)


def _text(out) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        return out.get("text", "")
    if kind == "error":
        return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}\n"
    data = out.get("data", {})
    return str(data.get("text/plain", "")) + "\n" if "text/plain" in data else ""


def apply_verdicts(nb, cells: list[GradeCell], verdicts: dict, *, status: str, error: str) -> None:
    """Rewrite every grade cell's outputs: the student's output as plain stdout text, then the trusted verdict."""
    import nbformat

    for gc in cells:
        cell = nb.cells[gc.index]
        student = "".join(_text(o) for o in cell.get("outputs", []))
        images = [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"]
        outs = []
        if student.strip():
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=student))
        outs += [nbformat.v4.new_output("display_data", data=o.get("data", {}), metadata={}) for o in images]
        v = verdicts.get(gc.index)
        if gc.problem:
            outs.append(_error("NoTrustedCheck", gc.problem))
        elif v is None:
            why = error or status or "the notebook stopped before this cell"
            outs.append(
                _error("NotExecuted", f"this cell was not checked by the grader: {why} (status {status}).")
            )
        elif v.passed:
            which = "public" if gc.cases == "visible" else "hidden"
            outs.append(
                nbformat.v4.new_output(
                    "stream", name="stdout", text=f"[grader] {gc.name}: every {which} case passed.\n"
                )
            )
        else:
            outs.append(
                _error(
                    "GraderCheckFailed" if v.status == "failed" else f"Grader{v.status.title()}", v.message
                )
            )
        cell["outputs"] = outs
        if cell.get("execution_count") is None:
            cell["execution_count"] = 0


def _error(ename: str, message: str):
    import nbformat

    return nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def _programs(nb):
    """Lazily built structure Program of the code cells up to each index."""
    sources = [c.get("source", "") if c.get("cell_type") == "code" else "" for c in nb.cells]
    return lambda index: structure.from_cells(sources[: index + 1])


def judge_notebook(proc, nb, *, job: dict, files: dict, secret: str, call_timeout: float) -> dict:
    """Send sanitized `nb` to the running sandbox `proc`, decide its grade cells; return the result dict.

    Result: ``status``, ``error``, ``seconds``, ``notebook`` (nbformat dict with trusted outputs), ``verdicts``
    ({grade_id: {"passed", "status", "message"}}).
    """
    import nbformat

    t0 = time.monotonic()
    cells = grade_cells(nb)
    runnable = [gc for gc in cells if not gc.problem]
    by_index = {gc.index: gc for gc in runnable}
    program = _programs(nb)
    verdicts: dict[int, checks.Verdict] = {}
    payload = json.dumps({"notebook": sandbox_notebook(nb), "files": files}).encode()
    executed, status, error = None, "ok", ""
    try:
        wire.write_frame(
            proc.stdin, {"op": "notebook", "job": {**job, "checkpoints": sorted(by_index)}}, [payload]
        )
        while True:
            head, data = wire.read_frame(proc.stdout, max_total=MAX_FRAME)
            op = head.get("op")
            if op == "checkpoint":
                gc = by_index.get(head.get("index"))
                if gc is not None and gc.index not in verdicts:
                    verdicts[gc.index] = checks.run_check(
                        gc.name,
                        RemoteCaller(proc),
                        cases=gc.cases,
                        seed=secret,
                        program=program(gc.index),
                        timeout=call_timeout,
                    )
                wire.write_frame(proc.stdin, {"op": "resume"})
            elif op == "done":
                status, error = str(head.get("status", "error")), str(head.get("error", ""))[:500]
                if data:
                    executed = nbformat.from_dict(json.loads(data[0]))
                break
            else:
                raise SandboxGone(f"unexpected frame {op!r}")
    except (SandboxGone, EOFError, OSError, wire.WireError, ValueError) as exc:
        status = "timeout" if getattr(proc, "timed_out", False) else "error"
        error = (
            f"exceeded the wall-clock limit of {proc.limits.wall_seconds:g} s"
            if status == "timeout"
            else f"the sandbox stopped: {exc}".splitlines()[0][:300]
        )
        if getattr(proc, "memory_exceeded", False):  # the whole-sandbox cap (cgroup or watchdog) killed it
            status = "memory"
            error = (
                f"the notebook's processes together used more than {proc.limits.sandbox_memory_bytes >> 20} MiB "
                "(whole-sandbox limit); the sandbox was stopped"
            )
        raw = getattr(proc, "stderr", b"")
        stderr = raw.decode(errors="replace").strip().splitlines()[-1:] if isinstance(raw, bytes) else []
        if stderr and status == "error":
            if "MemoryError" in stderr[0]:
                status = "memory"
            error += f" ({stderr[0][:200]})"
        raise _Broken(status, error, _finish(nb, executed, cells, verdicts, status, error, t0)) from None
    if executed is None or len(executed.cells) != len(nb.cells):
        executed = None
    if status == "ok":
        failed = [v for v in verdicts.values() if v.status not in ("ok", "failed")]
        if failed:
            status, error = failed[0].status, failed[0].message.splitlines()[0][:300]
    return _finish(nb, executed, cells, verdicts, status, error, t0)


class _Broken(Exception):
    """The sandbox is unusable after this notebook; carries the notebook's result."""

    def __init__(self, status, error, result):
        super().__init__(error)
        self.status, self.error, self.result = status, error, result


def _finish(nb, executed, cells, verdicts, status, error, t0) -> dict:
    """Graded notebook = the sanitized notebook (instructor's cells) with the sandbox's outputs + verdicts."""
    out = copy.deepcopy(nb)
    if executed is not None:
        for mine, ran in zip(out.cells, executed.cells, strict=True):
            if mine.get("cell_type") == "code":
                mine["outputs"] = ran.get("outputs", [])
                mine["execution_count"] = ran.get("execution_count")
    apply_verdicts(out, cells, verdicts, status=status, error=error)
    return {
        "status": status,
        "error": error,
        "seconds": time.monotonic() - t0,
        "notebook": out,
        "verdicts": {
            gc.grade_id: {"passed": v.passed, "status": v.status, "message": v.message}
            for gc in cells
            if (v := verdicts.get(gc.index)) is not None
        },
    }
