"""The vocabulary of :mod:`autograder.samples` (shared with the red-team table :mod:`autograder.attacks`):
statuses, effects of a kind on a function, and the :class:`Injection` / :class:`Kind` records."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Injection", "Kind", "MARKER"]

#: Name given to processes, files and messages created by hostile code (Linux comm names hold 15 chars).
MARKER = "cs231n-hostile"

# Statuses the grader reports per notebook (autograder.results.STATUSES); kinds name the one they should get.
OK, TIMEOUT, DIED, MEMORY, OUTPUT = "ok", "timeout", "kernel_died", "memory", "output_limit"
MISSING, TAMPERED = "missing_notebook", "tampered"

# Effects of a kind on a function, used to derive which grade cells fail.
UNDEFINED = "undefined"  # using it raises (NameError, NotImplementedError, ...): later cells fail too
WRONG = "wrong"  # it runs but returns wrong values: the grade cells that use it fail
CHEATS = "cheats"  # wrong, but fools student-side helpers: hidden tests fail, visible ones may pass ("any")
NOISY = "noisy"  # right values but writes to stderr: visible tests fail (nbgrader: stderr = 0), hidden pass


# ---------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Injection:
    """One piece of code put into a notebook.

    where: ``before_def`` / ``after_def`` (module level of the TODO cell defining ``target``),
    ``body`` (first statement of ``target`` after its docstring), ``replace_def`` (``code`` replaces the
    whole function) or ``first_cell`` (new code cells at the top; ``code`` may hold several cells separated
    by a line ``# %% next cell``). ``code`` is a :class:`string.Template` (``$host_port``, ``$canary_dir``,
    ``$repo_root``, ``$student_id``, ``$marker``, ``$assignment``).
    """

    notebook: str
    where: str
    code: str
    target: str = ""


@dataclass(frozen=True)
class Kind:
    """One kind of student: how to build it and what grading must report.

    base: ``full`` or ``untouched`` notebooks to start from. breaks: function -> effect (UNDEFINED, WRONG,
    CHEATS, NOISY), applied in the notebooks the kind touches. stop: notebook prefix -> where execution
    ends for good (``first``, ``def:<fn>`` = at fn's TODO cell, ``call:<fn>`` = at the first later cell
    using fn, ``check:<fn>`` = at fn's hidden grade cell, where a check that hangs stops the kernel); every
    grade cell from there on fails. ``after:<fn>``: the kernel dies at an unknown point after fn's TODO cell,
    so the grade cells after it may pass or fail. status: notebook prefix -> expected status (others
    ``ok``). loose: notebook prefixes whose visible test cells may go either way. op: file-level operation
    ``(name, notebook prefix, argument)``: ``rename`` (argument: new file name, ``{stem}`` allowed),
    ``delete``, ``blank_tests`` (grade cells using a function, ``*`` = all, get body ``pass`` and 100
    points), ``drop_tests`` (grade cells using a function are deleted), or a metadata edit of
    ``samples.METADATA_OPS``. host_checks: what the hostile test verifies on the grading host (``canary``,
    ``processes``, ``listener``).
    """

    name: str
    description: str
    base: str = "full"
    injections: tuple[Injection, ...] = ()
    breaks: dict[str, str] = field(default_factory=dict)
    stop: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    loose: tuple[str, ...] = ()
    op: tuple[str, str, str] | None = None
    host_checks: tuple[str, ...] = ()
    hostile: bool = True
