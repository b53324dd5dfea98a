"""Shared pytest fixtures: repository paths, generated data in the official format, real CIFAR-10 when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


def _real_cifar_root() -> Path | None:
    """The folder holding a complete real ``cifar-10-batches-py``, or None."""
    candidates = [os.environ.get("CS231N_LITE_DATA_DIR"), str(REPO / "data")]
    for cand in candidates:
        if not cand:
            continue
        batches = Path(cand) / "cifar-10-batches-py"
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
        # A full official batch file is ~31 MB; the generated sets are far smaller.
        if (
            all((batches / n).is_file() for n in names)
            and (batches / "data_batch_1").stat().st_size > 30_000_000
        ):
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO


@pytest.fixture(scope="session")
def synthetic_data_dir(tmp_path_factory) -> Path:
    """A data folder holding a small generated dataset in the official CIFAR-10 pickle layout."""
    from cs231n_lite.datasets import make_synthetic_cifar10

    root = tmp_path_factory.mktemp("synthetic-data")
    make_synthetic_cifar10(root, seed=0)
    return root


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The data folder with the full real CIFAR-10 (built from ../shared by CI); skips when absent."""
    root = _real_cifar_root()
    if root is None:
        pytest.skip(
            "real CIFAR-10 not found: run `make data-shared` (offline, from ../shared) or `make data`"
        )
    return root


# ---------------------------------------------------------------------------------------- a real PostgreSQL server
def _pg_bin() -> Path | None:
    """Folder of Debian's PostgreSQL server binaries (newest version), or ``$AUTOGRADER_PG_BIN``."""
    env = os.environ.get("AUTOGRADER_PG_BIN")
    if env:
        return Path(env) if (Path(env) / "initdb").is_file() else None
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL server on 127.0.0.1 (free port) with an empty database; yields its SQLAlchemy URL.

    ``initdb`` makes a cluster in a temp folder, ``pg_ctl`` starts it (as the ``postgres`` user when the tests
    run as root: the server refuses to run as root) and stops it at the end of the session, pass or fail.
    Skips, saying why, where it cannot start (no server binaries, no unprivileged user, no psycopg2).
    """
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile

    pytest.importorskip("psycopg2", reason="psycopg2 missing: pip install -r requirements.txt")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server not found (expected /usr/lib/postgresql/<version>/bin/initdb): "
            "apt-get install postgresql, or set AUTOGRADER_PG_BIN to the folder holding initdb and pg_ctl"
        )
    run_as: list[str] = []
    if os.getuid() == 0:
        try:
            user = pwd.getpwnam(os.environ.get("AUTOGRADER_PG_USER", "postgres"))
        except KeyError:
            pytest.skip(
                "running as root and there is no 'postgres' user to run the server as (apt-get install postgresql)"
            )
        run_as = ["runuser", "-u", user.pw_name, "--"]
    base = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
    data, log = base / "data", base / "server.log"
    if run_as:
        os.chown(base, user.pw_uid, user.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def pg(*argv, check=True):
        return subprocess.run([*run_as, *argv], capture_output=True, text=True, timeout=120, check=check)

    started = False
    try:
        init = pg(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            check=False,
        )
        if init.returncode != 0:
            pytest.skip(f"initdb failed, cannot start PostgreSQL here: {init.stderr.strip()[-300:]}")
        opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        start = pg(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if start.returncode != 0:
            tail = log.read_text()[-500:] if log.exists() else start.stderr
            pytest.skip(f"PostgreSQL did not start: {tail.strip()}")
        started = True
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        if started:
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)
