"""The warm-kernel zygote's preload protocol (autograder/_warm.py), on a real zygote process (no sandbox needed).

The zygote imports the staged course modules once, before its first fork, and never again: after a kernel has
run, the staging folder may hold a student's files, so a later request -- the runner's for the next notebook or
a kernel's own -- imports nothing and is answered with what the zygote already holds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import _warm, grading

REPO = Path(__file__).resolve().parents[1]


def _request(zygote: _warm.Zygote, payload: dict) -> dict:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    try:
        s.connect("\0" + zygote.address)
        s.sendall(json.dumps(payload).encode() + b"\n")
        return json.loads(s.makefile("rb").readline())
    finally:
        s.close()


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


@pytest.fixture
def lib(tmp_path):
    files = grading.staged_files(REPO)
    for rel, text in files.items():
        path = tmp_path / "lib" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "lib", files


def _zygote(tmp_path, lib_dir, **extra) -> _warm.Zygote:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(lib_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "HOME": str(tmp_path),
        **extra,
    }
    zygote = _warm.Zygote(str(REPO / "autograder" / "_warm.py"), env, str(tmp_path / "zygote.log")).start()
    assert zygote.wait_ready(timeout=120), (tmp_path / "zygote.log").read_text()[-2000:]
    return zygote


def test_staged_modules_names_packages_and_modules():
    names = _warm.staged_modules(
        ["cs231n_lite/__init__.py", "cs231n_lite/vis.py", "grader_wire.py", "x/y.txt"]
    )
    assert names == ["cs231n_lite", "cs231n_lite.vis", "grader_wire"]
    assert _warm.staged_modules(["bad-name/mod.py", "pkg/__init__.py"]) == ["pkg"]


def test_files_digest_depends_on_paths_and_texts():
    base = _warm.files_digest({"a.py": "x = 1\n"})
    assert base == _warm.files_digest({"a.py": "x = 1\n"})
    assert base != _warm.files_digest({"a.py": "x = 2\n"})
    assert base != _warm.files_digest({"b.py": "x = 1\n"})
    assert _warm.files_digest({"a": "bc"}) != _warm.files_digest({"ab": "c"})


def test_zygote_imports_the_staged_course_once_and_single_threaded(tmp_path, lib):
    lib_dir, files = lib
    zygote = _zygote(tmp_path, lib_dir)
    try:
        digest = _warm.files_digest(files)
        reply = _request(
            zygote, {"preload": _warm.staged_modules(files), "path": str(lib_dir), "digest": digest}
        )
        assert reply["digest"] == digest
        assert {"cs231n_lite.datasets", "cs231n_lite.playground", "grader_kernel"} <= set(reply["preloaded"])
        assert (
            _threads(zygote.pid) == 1
        )  # a fork copies only the calling thread: no lock may be held by another
        # a second request (other files: e.g. planted by a kernel) imports nothing and names the first digest
        (lib_dir / "planted.py").write_text("raise SystemExit('imported a planted module')\n")
        again = _request(zygote, {"preload": ["planted"], "path": str(lib_dir), "digest": "other"})
        assert again == reply
        assert zygote.alive()
        # the runner's helper: same files -> held digest; other files -> the first digest (restart the zygote)
        assert zygote.preload(str(lib_dir), files) == digest
        zygote.staged_digest = None
        assert zygote.preload(str(lib_dir), {**files, "planted.py": "x = 1\n"}) == digest
    finally:
        zygote.close()


def test_zygote_refuses_to_import_after_its_first_fork(tmp_path, lib):
    lib_dir, files = lib
    zygote = _zygote(tmp_path, lib_dir)
    try:
        # a kernel request: the child runs IPKernelApp --help and exits (a real fork of the zygote)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect("\0" + zygote.address)
        s.sendall(json.dumps({"argv": ["--help"], "env": {}, "cwd": str(tmp_path)}).encode() + b"\n")
        reader = s.makefile("rb")
        assert int(json.loads(reader.readline())["pid"]) > 0
        assert "exit" in json.loads(reader.readline())
        s.close()
        digest = _warm.files_digest(files)
        reply = _request(
            zygote, {"preload": _warm.staged_modules(files), "path": str(lib_dir), "digest": digest}
        )
        assert reply == {"preloaded": [], "digest": ""}
        assert zygote.preload(str(lib_dir), files) == ""  # holds no course code: kernels import it themselves
    finally:
        zygote.close()


def test_preload_imports_only_the_standard_library_at_module_level():
    # the proxy runs this file with python -I -S: importing it must not pull in anything PRELOAD lists
    code = "import sys; sys.path.insert(0, sys.argv[1]); import _warm; print(sorted(set(_warm.PRELOAD) & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(REPO / "autograder")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    "text",
    ["", "plain", 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f', "é中", "\U0001f600", "x\udcff"],
)
def test_proxy_request_is_the_json_the_zygote_reads(text):
    # the proxy writes its request without the json module (start-up cost); the zygote parses it with json
    env = {"PATH": "/usr/bin", f"K{text}": text}
    line = _warm._fork_request(["-f", text], env, f"/tmp/{text}")
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"argv": ["-f", text], "env": env, "cwd": f"/tmp/{text}"}
    assert line == (json.dumps({"argv": ["-f", text], "env": env, "cwd": f"/tmp/{text}"}) + "\n").encode()


def test_proxy_reads_only_well_formed_zygote_replies():
    assert _warm._int_field(json.dumps({"pid": 4321}).encode() + b"\n", "pid") == 4321
    assert _warm._int_field(json.dumps({"exit": -9}).encode() + b"\n", "exit") == -9
    for bad in (b"", b'{"exit": 1}\n', b'{"pid": "1"}\n', b'{"pid": 1, "x": 2}\n', b"garbage\n"):
        with pytest.raises(ValueError):
            _warm._int_field(bad, "pid")


def test_zygote_reads_the_font_list_built_by_the_trusted_side(tmp_path, lib):
    lib_dir, _ = lib
    seed = grading.prepare_font_cache(tmp_path / "seed")
    (listing,) = seed.glob("fontlist-v*.json")
    fonts = json.loads(listing.read_text())
    assert fonts["ttflist"] and not any(str(tmp_path) in f["fname"] for f in fonts["ttflist"])
    # mark the seed: a list matplotlib rebuilt itself would not have this entry
    fonts["ttflist"].append({**fonts["ttflist"][0], "name": "Seed Only Sans"})
    listing.write_text(json.dumps(fonts))
    zygote = _zygote(tmp_path, lib_dir, AUTOGRADER_MPL_SEED=str(seed))
    try:
        used = json.loads((tmp_path / "mpl" / listing.name).read_text())
        assert "Seed Only Sans" in {f["name"] for f in used["ttflist"]}
    finally:
        zygote.close()
    assert listing.read_text() == json.dumps(fonts)  # the seed itself is never written to


def test_zygote_without_a_seed_builds_the_font_list(tmp_path, lib):
    lib_dir, _ = lib
    zygote = _zygote(tmp_path, lib_dir, AUTOGRADER_MPL_SEED=str(tmp_path / "no-such-folder"))
    try:
        (built,) = (tmp_path / "mpl").glob("fontlist-v*.json")
        assert "Seed Only Sans" not in built.read_text() and json.loads(built.read_text())["ttflist"]
    finally:
        zygote.close()
