"""Static structure check for "vectorized" functions, decided from SOURCE on the trusted side.

A vectorized loss must not loop over the examples in Python. The grader reads the submitted notebook's code cells
(up to the grade cell), finds the last top-level ``def`` of the function and follows every notebook-level name
it uses (helper functions, classes, assignments such as ``vec = np.vectorize``, import aliases) transitively.
It reports, with line numbers:

* ``for``/``while`` loops and list/set/dict comprehensions and generator expressions;
* per-element helpers under any name: ``map``, ``filter``, builtin ``sum``/``zip``/``enumerate``/``sorted``/
  ``iter``/``next``/``reversed``/``min``/``max`` over one iterable, ``np.vectorize``, ``np.frompyfunc``,
  ``np.apply_along_axis``/``apply_over_axes``, ``np.fromiter``/``fromfunction``, ``itertools``/``functools``;
* ways around a static reading: ``exec``/``eval``/``compile``, ``getattr``/``setattr``/``globals``/``locals``/
  ``vars``/``__import__``, ``importlib``, ``__dict__``/``__globals__``/``__builtins__``/``__code__``;
* recursion (a loop by another name), and a function that is not a plain ``def`` in the notebook at all.

Examples
--------
>>> prog = from_cells(["import numpy as np\\nv = np.vectorize(abs)", "def f(X):\\n    return v(X).sum()"])
>>> prog.findings("f")
['line 2 of cell 0: `v = np.vectorize(abs)`: np.vectorize calls Python code once per element']
>>> from_cells(["def g(X):\\n    return X.sum(axis=1)"]).findings("g")
[]
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import threading
import time

__all__ = ["Program", "from_cells", "from_function"]

LOOP_NODES = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
PER_ELEMENT = {
    "map": "map calls a function once per element",
    "filter": "filter calls a function once per element",
    "vectorize": "np.vectorize calls Python code once per element",
    "frompyfunc": "np.frompyfunc calls Python code once per element",
    "apply_along_axis": "np.apply_along_axis calls Python code once per row",
    "apply_over_axes": "np.apply_over_axes calls Python code once per axis",
    "fromiter": "np.fromiter consumes a Python iterator element by element",
    "fromfunction": "np.fromfunction evaluates a Python function",
    "starmap": "itertools.starmap calls a function once per element",
    "reduce": "functools.reduce calls a function once per element",
    "accumulate": "itertools.accumulate calls a function once per element",
}
ITERATING_BUILTINS = {
    "sum",
    "zip",
    "enumerate",
    "sorted",
    "iter",
    "next",
    "reversed",
    "min",
    "max",
    "any",
    "all",
}
DYNAMIC = {
    "exec": "exec runs code the grader cannot read",
    "eval": "eval runs code the grader cannot read",
    "compile": "compile builds code the grader cannot read",
    "getattr": "getattr hides which attribute is used",
    "setattr": "setattr changes objects out of sight",
    "delattr": "delattr changes objects out of sight",
    "globals": "globals() reaches names out of sight",
    "locals": "locals() reaches names out of sight",
    "vars": "vars() reaches names out of sight",
    "__import__": "__import__ hides what is imported",
    "breakpoint": "breakpoint is not allowed here",
}
DYNAMIC_ATTRS = {
    "__dict__",
    "__globals__",
    "__builtins__",
    "__code__",
    "__getattribute__",
    "f_globals",
    "f_locals",
}
FORBIDDEN_MODULES = {
    "itertools",
    "functools",
    "operator",
    "importlib",
    "builtins",
    "ctypes",
    "numba",
    "inspect",
}


def _strip_magics(source: str) -> str:
    """Blank IPython-only lines (``%magic``, ``!shell``, ``x?``) so the cell parses; ``%%`` cells lose line 1."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = ""
    out = []
    for line in lines:
        s = line.strip()
        if s.startswith(("%", "!")) or (s.endswith("?") and not s.startswith("#")):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)


class _Binding:
    __slots__ = ("kind", "node", "cell", "lines", "module", "attr")

    def __init__(self, kind, node, cell, lines, module=None, attr=None):
        self.kind, self.node, self.cell, self.lines, self.module, self.attr = (
            kind,
            node,
            cell,
            lines,
            module,
            attr,
        )


_PARSE_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """``ast.parse`` under one lock, retried on CPython 3.11's "SystemError: AST constructor recursion depth
    mismatch": AST objects are built with interpreter-wide recursion bookkeeping, so two threads building ASTs at
    once can trip it (seen in the hostile-class run on 3.11.7). The lock covers the judge's own parses; other code
    builds ASTs too (``traceback`` formatting on 3.11 parses source lines for its caret anchors), so a parse that
    still trips it is repeated -- the counter is reset at every call."""
    for attempt in range(5):
        with _PARSE_LOCK:
            try:
                return ast.parse(source)
            except SystemError as exc:
                if "recursion depth mismatch" not in str(exc) or attempt == 4:
                    raise
        time.sleep(0.001 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


class Program:
    """Top-level bindings of a notebook (or of a live function's module), for :meth:`findings`."""

    def __init__(self):
        self.bindings: dict[str, _Binding] = {}
        self.unparsed: list[int] = []

    def add_source(self, source: str, cell: int) -> None:
        try:
            tree = parse(_strip_magics(source))
        except SyntaxError:
            self.unparsed.append(cell)
            return
        lines = source.splitlines()
        for node in tree.body:
            self._bind(node, cell, lines)

    def _bind(self, node, cell, lines) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bindings[node.name] = _Binding("def", node, cell, lines)
        elif isinstance(node, ast.ClassDef):
            self.bindings[node.name] = _Binding("class", node, cell, lines)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for name in ast.walk(t):
                    if isinstance(name, ast.Name):
                        self.bindings[name.id] = _Binding("assign", node, cell, lines)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                self.bindings[name] = _Binding("import", node, cell, lines, module=alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.bindings[alias.asname or alias.name] = _Binding(
                    "import", node, cell, lines, module=node.module or "", attr=alias.name
                )
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for child in ast.iter_child_nodes(node):  # definitions inside if/try/with blocks still bind names
                if isinstance(child, ast.stmt):
                    self._bind(child, cell, lines)
                for grand in getattr(child, "body", []) if isinstance(child, ast.ExceptHandler) else []:
                    self._bind(grand, cell, lines)

    def findings(self, name: str) -> list[str]:
        """Human-readable reasons why ``name`` is not a loop-free function (empty list: none found)."""
        top = self.bindings.get(name)
        if top is None:
            return [f"`{name}` is not defined by a `def` in the notebook's code cells"]
        if top.kind != "def":
            what = {"assign": "an assignment", "import": "an import", "class": "a class"}[top.kind]
            return [
                f"`{name}` is bound by {what} in cell {top.cell}, not by its own `def`: {_line(top, top.node)}"
            ]
        out: list[str] = []
        seen: set[str] = set()
        stack: list[str] = []
        self._visit(name, out, seen, stack)
        return list(dict.fromkeys(out))

    def _visit(self, name, out, seen, stack) -> None:
        b = self.bindings[name]
        if name in stack:
            out.append(f"`{name}` calls itself (recursion is a loop): {_line(b, b.node)}")
            return
        if name in seen:
            return
        seen.add(name)
        stack.append(name)
        local = _local_names(b.node) if b.kind in ("def", "class") else set()
        for node in ast.walk(b.node):
            why = _node_reason(node)
            if why:
                out.append(f"{_line(b, node)}: {why}")
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                ref = self.bindings.get(node.id)
                if ref is None:
                    if node.id in PER_ELEMENT or node.id in DYNAMIC:
                        out.append(f"{_line(b, node)}: {PER_ELEMENT.get(node.id) or DYNAMIC[node.id]}")
                    elif node.id in ITERATING_BUILTINS and _iterates(node, b.node):
                        out.append(
                            f"{_line(b, node)}: builtin {node.id}() iterates element by element in Python"
                        )
                elif ref.kind == "import":
                    why = _import_reason(ref)
                    if why:
                        out.append(f"{_line(ref, ref.node)}: {why}")
                else:
                    self._visit(node.id, out, seen, stack)
        stack.pop()


def _iterates(name_node, root) -> bool:
    """True when the builtin named by `name_node` is called with a single positional argument (or referenced
    without being called, e.g. passed around)."""
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and node.func is name_node:
            if name_node.id in ("min", "max"):
                return len(node.args) == 1
            return True
    return True


def _local_names(fn) -> set[str]:
    """Parameters and names assigned inside a def/class (they shadow notebook-level names)."""
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def _node_reason(node) -> str:
    for kind, text in LOOP_NODES.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.Attribute):
        if node.attr in PER_ELEMENT:
            return PER_ELEMENT[node.attr] if node.attr != "reduce" or _is_functools(node.value) else ""
        if node.attr in DYNAMIC_ATTRS:
            return f"{node.attr} reaches names out of sight"
        if node.attr in DYNAMIC and node.attr not in ("compile",):
            return DYNAMIC[node.attr]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for m in mods:
            if m.split(".")[0] in FORBIDDEN_MODULES:
                return f"imports {m}, whose helpers loop in disguise or hide code"
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name in PER_ELEMENT or a.name in DYNAMIC:
                    return PER_ELEMENT.get(a.name) or DYNAMIC[a.name]
    return ""


def _is_functools(value) -> bool:
    return isinstance(value, ast.Name) and value.id in ("functools", "ft")


def _import_reason(b: _Binding) -> str:
    root = (b.module or "").split(".")[0]
    if root in FORBIDDEN_MODULES:
        return f"uses {b.module}, whose helpers loop in disguise or hide code"
    if b.attr and (b.attr in PER_ELEMENT or b.attr in DYNAMIC):
        return PER_ELEMENT.get(b.attr) or DYNAMIC[b.attr]
    return ""


def _line(b: _Binding, node) -> str:
    lineno = getattr(node, "lineno", 1)
    text = b.lines[lineno - 1].strip() if 0 < lineno <= len(b.lines) else ""
    where = f"line {lineno} of cell {b.cell}" if b.cell >= 0 else f"line {lineno}"
    return f"{where}: `{text[:120]}`"


def from_cells(sources: list[str]) -> Program:
    """Program of a notebook's code cells, in execution order (cell numbers in messages count from 0)."""
    prog = Program()
    for i, src in enumerate(sources):
        prog.add_source(src, i)
    return prog


def from_function(func, name: str | None = None) -> Program:
    """Program of a LIVE function and the notebook-level functions it reaches (instructor runs, nbval).

    Sources come from :func:`inspect.getsource` (IPython keeps cell sources for it); module-level values that are
    not plain functions are judged by type (``np.vectorize`` objects, ufuncs made by ``np.frompyfunc``, ``map``).
    """
    import types

    import numpy as np

    prog = Program()
    queue, done = [func], set()
    while queue:
        fn = queue.pop()
        fn = getattr(fn, "__func__", fn)
        if not isinstance(fn, types.FunctionType) or fn.__name__ in done:
            continue
        done.add(fn.__name__)
        try:
            src = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            continue
        prog.add_source(src, -1)
        for gname in fn.__code__.co_names:
            value = fn.__globals__.get(gname)
            if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
                queue.append(value)
            elif isinstance(value, (np.vectorize, map, filter)) or (
                isinstance(value, np.ufunc) and not hasattr(np, value.__name__)
            ):
                tree = parse(f"{gname} = np.vectorize(...)  # {type(value).__name__} object")
                prog.bindings[gname] = _Binding(
                    "assign", tree.body[0], -1, [f"{gname} = <{type(value).__name__}>"]
                )
    own = getattr(getattr(func, "__func__", func), "__name__", None)
    if name and own in prog.bindings:
        prog.bindings[name] = prog.bindings[own]  # checked under the TODO's name
    return prog
