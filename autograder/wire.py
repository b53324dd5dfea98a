"""Data-only messages between the trusted grader, the sandboxed runner and the student's kernel.

One frame is ``b"AGW1"``, a 4-byte big-endian header length, a UTF-8 JSON header, then ``header["blobs"]``
binary blobs, each an 8-byte big-endian length and its bytes. Values travel as a JSON tree whose arrays are
``.npy`` blobs; :func:`decode` loads them with ``allow_pickle=False`` and accepts only numeric and boolean
dtypes, so nothing a sandbox sends can run code in the trusted process. Everything that cannot be represented is
sent as ``{"t": "other", "type": "<module.Class>"}`` and reported by type name.

This module is also copied into every sandbox (the runner and the kernel import it as ``grader_wire``): it holds
no secret and imports only the standard library and numpy.

Examples
--------
>>> import io, numpy as np
>>> buf = io.BytesIO()
>>> send(buf, {"op": "call"}, value=(np.float64(1.5), [np.arange(3), "x"]))
>>> _ = buf.seek(0)
>>> msg, value = recv(buf)
>>> msg["op"], type(value).__name__, type(value[0]).__name__, value[1][0].tolist()
('call', 'tuple', 'float64', [0, 1, 2])
"""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np

MAGIC = b"AGW1"
MAX_HEADER = 4 * 1024 * 1024
MAX_BLOB = 512 * 1024 * 1024
MAX_DEPTH = 20
MAX_ITEMS = 100_000
ALLOWED_KINDS = "biuf"  # bool, signed/unsigned integers, floats


class WireError(ValueError):
    """A frame or value that does not follow this protocol."""


def _type_name(value) -> str:
    t = type(value)
    module = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", getattr(t, "__name__", "?"))
    if module == "builtins":
        return str(name)
    if module.startswith("numpy"):
        return f"numpy.{name}"
    return f"{module}.{name}"


def _float_json(x: float):
    if math.isfinite(x):
        return x
    return repr(x)  # 'nan', 'inf', '-inf'


def _npy(arr) -> bytes:
    out = io.BytesIO()
    arr = np.asarray(arr)
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
    np.lib.format.write_array(out, arr, allow_pickle=False)
    return out.getvalue()


def encode(value, blobs: list, *, depth: int = 0, callback=None):
    """Return the JSON tree of `value`, appending array blobs to `blobs`.

    ``callback(value)`` may return a tree for objects the caller wants to send specially (e.g. a function sent
    as a callback handle); it returns None for the others.
    """
    if depth > MAX_DEPTH:
        return {"t": "other", "type": "too deeply nested"}
    if callback is not None:
        special = callback(value)
        if special is not None:
            return special
    t = type(value)
    if value is None:
        return {"t": "none"}
    if t is bool:
        return {"t": "bool", "v": value}
    if t is int:
        return {"t": "int", "v": str(value)}
    if t is float:
        return {"t": "float", "v": _float_json(value)}
    if t is str:
        return {"t": "str", "v": value[:10_000]}
    if t is tuple or t is list:
        if len(value) > MAX_ITEMS:
            return {"t": "other", "type": f"{t.__name__} of {len(value)} items"}
        return {
            "t": t.__name__,
            "items": [encode(v, blobs, depth=depth + 1, callback=callback) for v in value],
        }
    if t is dict and all(type(k) is str for k in value) and len(value) <= MAX_ITEMS:
        return {
            "t": "dict",
            "items": {k: encode(v, blobs, depth=depth + 1, callback=callback) for k, v in value.items()},
        }
    if t is np.ndarray or isinstance(value, np.generic):
        if value.dtype.kind not in ALLOWED_KINDS:
            return {"t": "other", "type": f"{_type_name(value)} of dtype {value.dtype}"}
        blobs.append(_npy(np.asarray(value)))
        return {"t": "ndarray" if t is np.ndarray else "npscalar", "blob": len(blobs) - 1}
    if isinstance(value, np.ndarray):
        return {"t": "other", "type": f"{_type_name(value)} (a numpy array subclass)"}
    return {"t": "other", "type": _type_name(value)}


def _load_npy(data: bytes) -> np.ndarray:
    try:
        arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any malformed blob is a protocol error
        raise WireError(f"bad array blob: {type(exc).__name__}: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.kind not in ALLOWED_KINDS or arr.dtype.hasobject:
        raise WireError(f"array of dtype {arr.dtype} is not allowed")
    return arr


class Other:
    """Stands for a returned object the wire cannot carry (only its type name is known)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:200]

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def decode(tree, blobs: list, *, depth: int = 0, special=None):
    """Inverse of :func:`encode`; ``special(tree)`` handles extra tree kinds (e.g. callback handles)."""
    if depth > MAX_DEPTH or not isinstance(tree, dict):
        raise WireError("malformed value tree")
    kind = tree.get("t")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(tree.get("v"))
    if kind == "int":
        text = str(tree.get("v"))
        if len(text) > 400:
            raise WireError("integer too long")
        return int(text)
    if kind == "float":
        v = tree.get("v")
        return float(v) if isinstance(v, (int, float, str)) else float("nan")
    if kind == "str":
        return str(tree.get("v", ""))
    if kind in ("list", "tuple"):
        items = tree.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError("malformed sequence")
        out = [decode(v, blobs, depth=depth + 1, special=special) for v in items]
        return out if kind == "list" else tuple(out)
    if kind == "dict":
        items = tree.get("items")
        if not isinstance(items, dict):
            raise WireError("malformed dict")
        return {str(k): decode(v, blobs, depth=depth + 1, special=special) for k, v in items.items()}
    if kind in ("ndarray", "npscalar"):
        k = tree.get("blob")
        if type(k) is not int or not 0 <= k < len(blobs):
            raise WireError("bad blob index")
        arr = _load_npy(blobs[k])
        if kind == "npscalar":
            if arr.ndim != 0:
                raise WireError("numpy scalar blob is not 0-d")
            return arr[()]
        return arr
    if kind == "other":
        return Other(tree.get("type", "?"))
    if special is not None:
        out = special(tree)
        if out is not None:
            return out
    raise WireError(f"unknown value kind {kind!r}")


def _read_exact(stream, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream, header: dict, blobs=()) -> None:
    """Write one frame (header dict + binary blobs) and flush."""
    blobs = list(blobs)
    head = json.dumps({**header, "blobs": len(blobs)}, separators=(",", ":"), allow_nan=False).encode()
    parts = [MAGIC, struct.pack(">I", len(head)), head]
    for b in blobs:
        parts += [struct.pack(">Q", len(b)), b]
    stream.write(b"".join(parts))
    stream.flush()


def read_frame(stream, *, max_total: int = MAX_BLOB) -> tuple[dict, list]:
    """Read one frame; raise EOFError at end of stream, WireError on anything malformed or too large."""
    magic = stream.read(4)
    if not magic:
        raise EOFError("stream closed")
    if len(magic) < 4:
        magic += _read_exact(stream, 4 - len(magic))
    if magic != MAGIC:
        raise WireError("bad frame magic")
    (n,) = struct.unpack(">I", _read_exact(stream, 4))
    if n > MAX_HEADER:
        raise WireError(f"header of {n} bytes is too large")
    try:
        header = json.loads(_read_exact(stream, n))
    except ValueError:
        raise WireError("header is not JSON") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    count = header.get("blobs", 0)
    if type(count) is not int or not 0 <= count <= 10_000:
        raise WireError("bad blob count")
    blobs, total = [], 0
    for _ in range(count):
        (size,) = struct.unpack(">Q", _read_exact(stream, 8))
        total += size
        if total > max_total:
            raise WireError(f"frame larger than {max_total} bytes")
        blobs.append(_read_exact(stream, size))
    return header, blobs


def send(stream, header: dict, *, value=..., callback=None) -> None:
    """Write a frame whose header carries ``value`` (encoded) under the key ``"value"``."""
    blobs: list = []
    if value is not ...:
        header = {**header, "value": encode(value, blobs, callback=callback)}
    write_frame(stream, header, blobs)


def recv(stream, *, special=None) -> tuple[dict, object]:
    """Read a frame; return (header, decoded ``header["value"]`` or None)."""
    header, blobs = read_frame(stream)
    value = decode(header["value"], blobs, special=special) if "value" in header else None
    return header, value


def digest(value) -> str:
    """A short fingerprint of the arrays inside `value` (shape, dtype and bytes), used to tell whether a function
    modified its inputs."""
    import hashlib

    h = hashlib.sha256()

    def walk(v, depth=0):
        if depth > MAX_DEPTH:
            return
        if type(v) is np.ndarray:
            h.update(f"{v.shape}{v.dtype.str}".encode())
            h.update(v.tobytes())
        elif type(v) in (list, tuple):
            for x in v:
                walk(x, depth + 1)
        elif type(v) is dict:
            for k in sorted(v):
                walk(v[k], depth + 1)

    walk(value)
    return h.hexdigest()[:32]
