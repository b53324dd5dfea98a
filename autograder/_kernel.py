"""Kernel-side call server (copied into the sandbox as ``grader_kernel``; holds no secret, decides nothing).

The runner executes ``import grader_kernel; grader_kernel.serve(PATH)`` in the student's kernel at every
checkpoint (after a grade cell ran). :func:`serve` connects to the runner's Unix socket and answers frames:

* ``{"op": "call", "fn": NAME, "value": [args, kwargs]}``: look ``NAME`` up in the notebook's namespace, call
  it, answer ``{"op": "result", "status": "ok", "value": RETURNED, "digests": [...]}`` (one fingerprint per
  argument after the call, so the trusted side sees in-place changes) or ``{"status": "raised", "error": ...}``.
  Arguments shaped ``{"t": "callback", "id": k}`` become functions that send ``{"op": "callback"}`` frames back
  and return what the trusted side answers (``loss_fn`` of ``train_sgd``, ``f`` of ``numerical_gradient``).
* ``{"op": "end"}``: return to the kernel.

Student code can replace all of this; it then only changes the DATA the trusted side receives, which is judged
there against the reference.
"""

from __future__ import annotations

import socket
import sys
import traceback

import grader_wire as wire


class _Stream:
    """File-like wrapper over a connected socket (read/write/flush)."""

    def __init__(self, sock):
        self.sock = sock

    def read(self, n):
        return self.sock.recv(min(n, 1 << 20))

    def write(self, data):
        self.sock.sendall(data)

    def flush(self):
        pass


def _namespace():
    try:
        shell = sys.modules["IPython"].get_ipython()
        if shell is not None:
            return shell.user_ns
    except Exception:  # noqa: BLE001 - not in IPython: the __main__ module
        pass
    return vars(sys.modules["__main__"])


def _error_info(exc) -> dict:
    """Exception type, message and the innermost notebook line that raised it (for the student's feedback)."""
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a student exception whose __str__ fails
        message = ""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(("<ipython-input", "/tmp/ipykernel")) or "ipykernel_" in frame.filename:
            where = f"line {frame.lineno} of {frame.name}: {(frame.line or '').strip()}"
            break
    return {"type": type(exc).__name__, "message": message[:2000], "where": where[:500]}


def serve(path: str) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    stream = _Stream(sock)
    ns = _namespace()
    try:
        while True:
            try:
                header, blobs = wire.read_frame(stream)
            except EOFError:
                return
            if header.get("op") != "call":
                return
            handles = {}

            def special(tree, handles=handles):
                if tree.get("t") == "callback":
                    k = int(tree.get("id", 0))
                    handles[k] = _proxy(stream, k, str(tree.get("name", "callback")))
                    return handles[k]
                return None

            args, kwargs = wire.decode(header["value"], blobs, special=special)
            fn = ns.get(header.get("fn"))
            reply = {"op": "result"}
            value = None
            if fn is None:
                reply.update(status="missing", error={"type": "NameError", "message": header.get("fn")})
            elif not callable(fn):
                reply.update(status="not_callable", error={"type": wire._type_name(fn), "message": ""})
            else:
                try:
                    value = fn(*args, **kwargs)
                    reply["status"] = "ok"
                except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
                    reply.update(status="raised", error=_error_info(exc))
                    if isinstance(exc, KeyboardInterrupt):
                        reply["status"] = "interrupted"
            reply["digests"] = [wire.digest(a) for a in args] + [
                wire.digest(kwargs.get(k)) for k in sorted(kwargs)
            ]
            try:
                wire.send(stream, reply, value=value)
            except Exception as exc:  # noqa: BLE001 - e.g. a value that cannot be encoded
                wire.send(stream, {**reply, "status": "unsendable", "error": _error_info(exc)}, value=None)
    finally:
        sock.close()


def _proxy(stream, k: int, name: str):
    def callback(*args, **kwargs):
        wire.send(stream, {"op": "callback", "id": k}, value=[list(args), kwargs])
        header, value = wire.recv(stream)
        if header.get("status") != "ok":
            raise (TypeError if header.get("kind") == "type" else ValueError)(str(header.get("error", "")))
        return value

    callback.__name__ = callback.__qualname__ = name
    return callback
