"""cs231n-lite: helpers for the linear-classifier course pack.

Submodules are imported on demand (``from cs231n_lite import datasets``) so that the
student bundle, which ships without :mod:`cs231n_lite.reference`, imports cleanly.
"""

__version__ = "0.1.0"
