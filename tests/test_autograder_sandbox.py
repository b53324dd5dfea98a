"""The sandbox wrapper with tiny scripts: isolation, rlimits, wall clock, output cap, and the no-bwrap path."""

from __future__ import annotations

import socket
import sys
import threading

import pytest

from autograder import sandbox

needs_bwrap = pytest.mark.skipif(sandbox.find_bwrap() is None, reason="bubblewrap not available")
ENV = {"HOME": "/tmp"}


def py(code: str, **kw) -> sandbox.SandboxResult:
    kw.setdefault("limits", sandbox.Limits(wall_seconds=30))
    kw.setdefault("env", ENV)
    return sandbox.run([sys.executable, "-c", code], **kw)


@needs_bwrap
def test_runs_python_with_only_the_given_environment():
    r = py(
        "import os, numpy; print(sorted(k for k in os.environ if k not in ('PWD', 'LC_CTYPE')), os.getcwd())",
        env={"HOME": "/tmp", "FOO": "1"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("] ")[0] == "['FOO', 'HOME', 'PATH'"
    assert r.stdout.decode().strip().endswith("/tmp")
    assert r.sandboxed is True


@needs_bwrap
def test_repository_home_and_course_are_not_visible(repo_root, tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("secret")
    code = (
        "import os, sys\n"
        f"print(os.path.exists({str(repo_root / 'cs231n_lite')!r}), os.path.exists({str(secret)!r}),"
        f" os.path.exists({str(repo_root / 'cs231n_lite' / 'reference')!r}), os.getuid() != 0,"
        " os.path.exists('/root/.bash_history'))"
    )
    r = py(code, hide=[repo_root, tmp_path])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split() == ["False", "False", "False", "True", "False"]


@needs_bwrap
def test_python_installed_under_tmp_stays_visible(monkeypatch, tmp_path):
    """A CI checkout cloned under /tmp keeps its virtualenv there: the sandbox's private /tmp must not cover it."""
    venv = tmp_path / "checkout" / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "marker.txt").write_text("site-packages here")
    (tmp_path / "checkout" / "secret.txt").write_text("repository file")
    real = sandbox.python_paths()
    monkeypatch.setattr(sandbox, "python_paths", lambda: [*real, venv])
    code = (
        f"import os; print(open({str(venv / 'lib' / 'marker.txt')!r}).read(),"
        f" os.path.exists({str(tmp_path / 'checkout' / 'secret.txt')!r}), sep='|')"
    )
    r = py(code, hide=[tmp_path / "checkout"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == "site-packages here|False"


@needs_bwrap
def test_system_is_read_only():
    r = py("open('/usr/lib/grader-test', 'w')")
    assert r.returncode == 1
    assert b"Read-only file system" in r.stderr or b"Permission denied" in r.stderr


@needs_bwrap
def test_network_is_blocked_outside_and_to_the_host():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    t.start()
    code = (
        "import socket\n"
        "out = []\n"
        f"for addr in [('127.0.0.1', {port}), ('1.1.1.1', 53)]:\n"
        "    s = socket.socket(); s.settimeout(2)\n"
        "    try:\n"
        "        s.connect(addr); out.append('open')\n"
        "    except OSError:\n"
        "        out.append('blocked')\n"
        "ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)\n"  # private loopback works
        "print(*out)\n"
    )
    r = py(code)
    server.close()
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split() == ["blocked", "blocked"]
    assert accepted == []


@needs_bwrap
def test_memory_limit_raises_memory_error():
    r = py("b = bytearray(1500 * 1024 * 1024)", limits=sandbox.Limits(memory_bytes=512 * sandbox.MiB))
    assert r.returncode == 1
    assert b"MemoryError" in r.stderr


@needs_bwrap
def test_process_limit_stops_a_fork_loop():
    code = (
        "import subprocess\n"
        "ps = []\n"
        "try:\n"
        "    for i in range(60):\n"
        "        ps.append(subprocess.Popen(['sleep', '5']))\n"
        "except OSError as e:\n"
        "    print('stopped at', len(ps))\n"
        "for p in ps: p.kill()\n"
    )
    r = py(code, limits=sandbox.Limits(max_processes=12, wall_seconds=30), slot=63)
    assert r.returncode == 0, r.stderr
    words = r.stdout.decode().split()
    assert words[:2] == ["stopped", "at"] and int(words[2]) < 12


@needs_bwrap
def test_file_size_limit():
    r = py("open('/tmp/big', 'wb').write(b'x' * 3_000_000)", limits=sandbox.Limits(max_file_bytes=1_000_000))
    assert r.returncode == 1
    assert b"File too large" in r.stderr


@needs_bwrap
def test_cpu_limit_kills_a_busy_loop():
    r = py("while True: pass", limits=sandbox.Limits(cpu_seconds=1, wall_seconds=30))
    assert r.returncode in (-9, -24, 128 + 9, 128 + 24)  # SIGKILL/SIGXCPU (bwrap reports 128 + signal)
    assert r.timed_out is False and r.seconds < 25


@needs_bwrap
def test_wall_clock_limit_kills_the_whole_sandbox():
    r = py(
        "import subprocess, time\nsubprocess.Popen(['sleep', '60'])\ntime.sleep(60)",
        limits=sandbox.Limits(wall_seconds=2),
    )
    assert r.timed_out is True
    assert r.seconds < 15


@needs_bwrap
def test_output_is_capped_without_reading_it_all():
    r = py(
        "import sys\nwhile True: sys.stdout.write('x' * 65536)",
        limits=sandbox.Limits(max_output_bytes=1_000_000, wall_seconds=30),
    )
    assert r.output_truncated is True
    assert len(r.stdout) == 1_000_000


@needs_bwrap
def test_stdin_is_delivered():
    r = py("import sys; print(len(sys.stdin.buffer.read()))", stdin=b"a" * 3_000_000)
    assert r.stdout.decode().strip() == "3000000"


def test_without_bwrap_refuses_unless_allowed(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        py("print(1)")
    with pytest.warns(RuntimeWarning, match="UNSANDBOXED"):
        r = py(
            "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])",
            allow_unsandboxed=True,
            limits=sandbox.Limits(memory_bytes=900 * sandbox.MiB),
        )
    assert r.sandboxed is False
    assert int(r.stdout.decode()) == 900 * sandbox.MiB


def test_limits_as_rlimits():
    lim = sandbox.Limits(memory_bytes=10, max_processes=3, cpu_seconds=4, max_file_bytes=5, max_open_files=6)
    assert lim.rlimits() == {
        "RLIMIT_AS": 10,
        "RLIMIT_CPU": 4,
        "RLIMIT_FSIZE": 5,
        "RLIMIT_NOFILE": 6,
        "RLIMIT_CORE": 0,
        "RLIMIT_NPROC": 3,
    }
    assert "RLIMIT_NPROC" not in lim.rlimits(nproc=False)


# ---- whole-sandbox limits ------------------------------------------------------------------------------------
FORK_1GIB_EACH = """
import os, time
kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"\\x01" * (1 << 30)  # 1 GiB per child, every page written: RLIMIT_AS per process allows it
        time.sleep(30)
        os._exit(0)
    kids.append(pid)
print("forked", len(kids), flush=True)
for k in kids:
    os.waitpid(k, 0)
print("all children finished")
"""
NEIGHBOUR = """
import time
block = b"\\x02" * (300 << 20)  # an honest 300 MiB
time.sleep(4)
print("neighbour done", len(block) >> 20)
"""
FORK_LIMITS = sandbox.Limits(
    wall_seconds=60, memory_bytes=1536 * sandbox.MiB, total_memory_bytes=2048 * sandbox.MiB
)
GUARDS = [
    "watchdog",
    pytest.param(
        "cgroup",
        marks=pytest.mark.skipif(
            not sandbox.guard_mechanism().startswith("cgroup"), reason="no writable cgroup on this machine"
        ),
    ),
]


@needs_bwrap
@pytest.mark.parametrize("guard", GUARDS)
def test_forked_children_of_1gib_each_exceed_the_whole_sandbox_cap_and_neighbours_are_unaffected(guard):
    """4 children x 1 GiB pass the per-process RLIMIT_AS (1.5 GiB) but not the 2 GiB cap on their sum."""
    results = {}

    def go(name, code, slot):
        results[name] = py(code, limits=FORK_LIMITS, guard=guard, slot=slot)

    threads = [
        threading.Thread(target=go, args=("hostile", FORK_1GIB_EACH, 10)),
        threading.Thread(target=go, args=("neighbour", NEIGHBOUR, 11)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    hostile, neighbour = results["hostile"], results["neighbour"]
    assert hostile.memory_exceeded is True and hostile.guard.startswith(guard)
    assert hostile.returncode != 0 and b"all children finished" not in hostile.stdout
    assert not hostile.timed_out and hostile.seconds < 30
    assert hostile.peak_memory_bytes >= 1024 * sandbox.MiB
    assert neighbour.returncode == 0, neighbour.stderr
    assert neighbour.stdout.decode().split() == ["neighbour", "done", "300"]
    assert neighbour.memory_exceeded is False
    assert 300 * sandbox.MiB <= neighbour.peak_memory_bytes < 2048 * sandbox.MiB


@needs_bwrap
@pytest.mark.parametrize("guard", GUARDS)
def test_honest_run_under_the_cap_is_not_flagged(guard):
    r = py(
        "b = b'x' * (200 << 20); import time; time.sleep(0.5); print(len(b))", limits=FORK_LIMITS, guard=guard
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == str(200 << 20)
    assert r.memory_exceeded is False and r.peak_memory_bytes >= 200 * sandbox.MiB


@needs_bwrap
@pytest.mark.skipif(not sandbox.guard_mechanism().startswith("cgroup"), reason="no writable cgroup here")
def test_cgroup_caps_threads_and_processes_and_is_removed_afterwards():
    code = (
        "import threading, time\n"
        "ts = []\n"
        "try:\n"
        "    for i in range(200):\n"
        "        t = threading.Thread(target=time.sleep, args=(3,)); t.start(); ts.append(t)\n"
        "except RuntimeError as e:\n"
        "    print('stopped at', len(ts))\n"
    )
    before = set(_cgroups())
    r = py(code, limits=sandbox.Limits(max_processes=40, wall_seconds=30), slot=62)
    assert r.returncode == 0, r.stderr
    words = r.stdout.decode().split()
    assert words[:2] == ["stopped", "at"] and int(words[2]) < 40
    assert set(_cgroups()) == before, "the sandbox's cgroup was left behind"


def _cgroups():
    """This process's sandbox cgroups (other graders on the machine create their own at the same time)."""
    import os

    from autograder import _guard

    out = []
    for controller in ("memory", "pids"):
        try:
            out += [str(p) for p in _guard._own_v1(controller).glob(f"autograder-{os.getpid()}-*")]
        except (KeyError, OSError):
            pass
    return out


def test_guard_choice_is_explicit():
    from autograder import _guard

    assert _guard.make_guard(1 << 20, 4, prefer="none").mechanism == "none"
    assert _guard.make_guard(1 << 20, 4, prefer="watchdog").mechanism == "watchdog"
    with pytest.raises(ValueError, match="auto, cgroup, watchdog or none"):
        _guard.make_guard(1 << 20, 4, prefer="magic")


# ---- interactive handle --------------------------------------------------------------------------------------
@needs_bwrap
def test_start_streams_stdin_and_stdout_line_by_line():
    code = "import sys\nfor line in sys.stdin:\n    print(line.strip()[::-1], flush=True)\n"
    with sandbox.start([sys.executable, "-c", code], env=ENV, limits=sandbox.Limits(wall_seconds=30)) as p:
        replies = []
        for word in (b"abc", b"grader"):
            p.stdin.write(word + b"\n")
            p.stdin.flush()
            replies.append(p.stdout.readline().strip())
        p.stdin.close()
        res = p.wait(timeout=20)
    assert replies == [b"cba", b"redarg"]
    assert res.returncode == 0 and res.sandboxed and not res.memory_exceeded


@needs_bwrap
def test_start_enforces_the_wall_clock_even_when_nobody_waits():
    p = sandbox.start(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env=ENV,
        limits=sandbox.Limits(wall_seconds=1.5),
    )
    assert p.stdout.read() == b""  # EOF once the handle's own timer killed the sandbox
    res = p.wait(timeout=10)
    assert res.timed_out is True and res.returncode != 0 and res.seconds < 10


# ---- symlinked paths -----------------------------------------------------------------------------------------
@needs_bwrap
def test_virtualenv_and_data_behind_a_symlinked_folder_work(tmp_path, repo_root):
    """A venv reached through a symlink (sys.executable = <link>/bin/python) used to fail with `bwrap: execvp`."""
    import os
    import subprocess

    prefix = sandbox.Path(sys.prefix)
    if prefix == sandbox.Path(sys.base_prefix):
        pytest.skip("not running in a virtualenv")
    link = tmp_path / "links" / "venv"
    link.parent.mkdir()
    link.symlink_to(prefix.resolve(), target_is_directory=True)
    data = tmp_path / "real-data"
    data.mkdir()
    (data / "x.txt").write_text("data through a link")
    data_link = tmp_path / "links" / "data"
    data_link.symlink_to(data)
    inner = "import numpy, sys\nprint(sys.executable, open(sys.argv[1] + '/x.txt').read(), sep='|')\n"
    outer = (
        "import sys\n"
        "from autograder import sandbox\n"
        f"r = sandbox.run([sys.executable, '-c', {inner!r}, {str(data_link)!r}], env={{'HOME': '/tmp'}},\n"
        f"                ro_binds=[({str(data_link)!r}, {str(data_link)!r})], limits=sandbox.Limits(wall_seconds=60))\n"
        "print(r.returncode, r.stdout.decode().strip(), r.stderr.decode()[-300:], sep='#')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.run(
        [str(link / "bin" / "python"), "-c", outer], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    rc, out, err = proc.stdout.strip().split("#", 2)
    assert (rc, err) == ("0", ""), err
    assert out == f"{link / 'bin' / 'python'}|data through a link"


@needs_bwrap
def test_only_tmp_and_a_small_dev_shm_are_writable_and_multiprocessing_works():
    code = (
        "import multiprocessing as mp\n"
        "with mp.get_context('fork').Pool(2) as p:\n"
        "    print(p.map(abs, [-1, -2]))\n"
        "for path in ['/x', '/dev/x', '/dev/shm/x', '/tmp/x']:\n"
        "    try:\n"
        "        open(path, 'w').write('1'); print('ok')\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__)\n"
        "try:\n"
        "    open('/dev/shm/big', 'wb').write(b'x' * (100 << 20))\n"
        "except OSError as e:\n"
        "    print(e.strerror.replace(' ', '-'))\n"
    )
    r = py(code, limits=sandbox.Limits(shm_bytes=32 * sandbox.MiB, wall_seconds=30))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().split("\n")
    assert out[0] == "[1, 2]"
    assert out[1] in ("OSError", "PermissionError") and out[2] in ("OSError", "PermissionError")
    assert out[3:6] == ["ok", "ok", "No-space-left-on-device"]


@needs_bwrap
def test_memory_breach_is_visible_on_the_handle_before_close():
    """The judge reads EOF from a killed sandbox and must be able to say `memory`, not `error`."""
    p = sandbox.start([sys.executable, "-c", FORK_1GIB_EACH], env=ENV, limits=FORK_LIMITS)
    assert p.stdout.read().startswith(b"forked")  # EOF: the sandbox was stopped
    assert p.memory_exceeded is True
    assert p.close(timeout=10) is not None and b"all children finished" not in p.stderr
    assert p.wait().memory_exceeded is True
