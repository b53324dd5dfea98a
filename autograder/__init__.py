"""cs231n-lite autograder: release, collect, grade, feedback and export on top of nbgrader 0.9.6.

This package is imported inside grading kernels (``from autograder import checks``), so this
file must stay light: no nbgrader, no numpy, no side effects. The instructor API lives in
:mod:`autograder.api`; the command line is ``python -m autograder --help``.
"""
