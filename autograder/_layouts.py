"""The submission layouts :mod:`autograder.collect` detects, by name, for the CLI's help (no nbgrader import).

Examples
--------
>>> sorted(LAYOUTS)
['canvas', 'exchange', 'folders', 'moodle', 'zip_collect']
"""

LAYOUTS = {
    "exchange": "nbgrader exchange inbound: <student>+<assignment>+<timestamp>/<notebook>.ipynb",
    "moodle": "Moodle download: <Full Name>_<id>_assignsubmission_file_/<notebook>.ipynb (or _file_<notebook>)",
    "canvas": "Canvas submissions zip: <name>[_late]_<user id>_<submission id>_<notebook>.ipynb",
    "zip_collect": "nbgrader zip_collect names: <student>_<YYYYmmddTHHMMSS>_<notebook>.ipynb (or --pattern)",
    "folders": "one folder per student: <student>/<notebook>.ipynb or <student>/<assignment>/<notebook>.ipynb",
}
