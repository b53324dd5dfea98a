"""cs231n-lite autograder: release, collect, grade, feedback and export on top of nbgrader 0.9.6.

This package is imported inside grading kernels (``from autograder import checks``), so this
file must stay light: no nbgrader, no numpy. The instructor API lives in :mod:`autograder.api`;
the command line is ``python -m autograder --help``.

Its one side effect: ``rfc3987_syntax`` is marked absent before anything imports jsonschema (nbformat,
nbgrader and distributed all do). jsonschema imports that optional package only to check the ``"iri"`` /
``"iri-reference"`` string formats, and the package builds a Lark grammar at import time: ~1.9 CPU-seconds in
every grader process. Nothing here checks those formats: nbformat validates notebooks against draft-4 schemas
(no ``iri`` format exists in draft 4) without a format checker, so its validation results are unchanged
(``tests/test_autograder_cli.py`` checks it is not imported and that nbformat still rejects what it rejected).
The sandbox's runner (:mod:`autograder._runner`) does the same for the same reason.
"""

import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)
