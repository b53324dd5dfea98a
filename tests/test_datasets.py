"""Tests for cs231n_lite.datasets: offline downloads from a local HTTP server, safe extraction, loading, splits."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from cs231n_lite import datasets as ds

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("CS231N_LITE_DATA_DIR", raising=False)
    monkeypatch.delenv("CS231N_LITE_DATASET", raising=False)


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    """A data dir holding a small generated set: 60 train (12 per batch), 20 test images."""
    root = tmp_path_factory.mktemp("tiny")
    ds.make_synthetic_cifar10(root, num_train=60, num_test=20, seed=3)
    return root


@pytest.fixture
def tiny_copy(tiny_set, tmp_path) -> Path:
    """A private copy of `tiny_set` that a test may break."""
    dst = tmp_path / "data"
    shutil.copytree(tiny_set, dst)
    return dst


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("archives")
    good = ds.make_synthetic_archive(d / "good.tar.gz", num_train=50, num_test=10, seed=1).read_bytes()
    other = ds.make_synthetic_archive(d / "other.tar.gz", num_train=50, num_test=10, seed=2).read_bytes()
    return {"good": good, "other": other, "sha": hashlib.sha256(good).hexdigest(), "size": len(good)}


class _Server:
    def __init__(self, archives):
        self.archives = archives
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                outer.hits.append(self.path)
                body = outer.archives["good"]
                if self.path == "/404":
                    self.send_error(404, "Not Found")
                    return
                if self.path == "/other":
                    body = outer.archives["other"]
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path == "/lie":  # Content-Length promises more than is sent, then a clean close
                    self.wfile.write(body[: len(body) // 2])
                    return
                if self.path == "/die":  # half the body, then the server resets the connection
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(archives):
    s = _Server(archives)
    yield s
    s.close()


@pytest.fixture
def dead_url() -> str:
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"


def _assert_next_step(msg: str, data_dir: Path):
    assert str(data_dir / ds.ARCHIVE_NAME) in msg
    assert "python -m cs231n_lite.datasets fetch" in msg
    assert "CS231N_LITE_DATA_DIR" in msg
    assert "CS231N_LITE_DATASET=synthetic" in msg


# ----------------------------------------------------------------------------------------------------- download


def test_fetch_good_archive_extracts_and_loads(server, archives, tmp_path):
    folder = ds.fetch_cifar10(
        tmp_path,
        url=server.url + "/good",
        known_hash=archives["sha"],
        expected_size=archives["size"],
        progress=False,
    )
    assert folder == tmp_path / ds.FOLDER_NAME
    assert (tmp_path / ds.ARCHIVE_NAME).read_bytes() == archives["good"]
    Xtr, ytr, Xte, yte, names = ds.load_cifar10(folder)
    assert Xtr.shape == (50, 32, 32, 3) and Xte.shape == (10, 32, 32, 3)
    assert names == list(ds.CLASS_NAMES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [ds.ARCHIVE_NAME, ds.FOLDER_NAME]
    )  # no leftovers


def test_fetch_decides_before_acting(server, archives, tmp_path, dead_url):
    kw = {"known_hash": archives["sha"], "expected_size": archives["size"], "progress": False}
    ds.fetch_cifar10(tmp_path, url=server.url + "/good", **kw)
    assert server.hits == ["/good"]
    # complete folder: returned without touching the network
    assert ds.fetch_cifar10(tmp_path, url=dead_url, **kw) == tmp_path / ds.FOLDER_NAME
    # folder gone but the verified archive is there: extract, no download
    shutil.rmtree(tmp_path / ds.FOLDER_NAME)
    assert (ds.fetch_cifar10(tmp_path, url=dead_url, **kw) / "data_batch_5").is_file()
    # incomplete folder: re-extracted from the archive
    (tmp_path / ds.FOLDER_NAME / "test_batch").unlink()
    assert (ds.fetch_cifar10(tmp_path, url=dead_url, **kw) / "test_batch").is_file()
    assert server.hits == ["/good"]


def test_fetch_replaces_archive_that_does_not_verify(server, archives, tmp_path):
    (tmp_path / ds.ARCHIVE_NAME).write_bytes(b"half a download")
    ds.fetch_cifar10(
        tmp_path,
        url=server.url + "/good",
        known_hash=archives["sha"],
        expected_size=archives["size"],
        progress=False,
    )
    assert server.hits == ["/good"]
    assert (tmp_path / ds.ARCHIVE_NAME).read_bytes() == archives["good"]


@pytest.mark.parametrize(
    ("path", "use_size", "expect", "done"),
    [
        ("/other", False, "expected SHA256", "the downloaded file was deleted"),
        ("/other", True, "bytes", "nothing was saved"),  # Content-Length disagrees with expected_size
        ("/lie", False, "truncated", "the partial download was deleted"),
        ("/die", False, "expected", "the partial download was deleted"),
        ("/404", False, "HTTP 404", "nothing was saved"),
    ],
    ids=["wrong-hash", "wrong-size", "content-length-lies", "server-dies", "404"],
)
def test_fetch_failures_leave_nothing_and_say_what_next(
    server, archives, tmp_path, path, use_size, expect, done
):
    size = archives["size"] + 7 if use_size else None
    with pytest.raises(ds.DownloadError) as err:
        ds.fetch_cifar10(
            tmp_path, url=server.url + path, known_hash=archives["sha"], expected_size=size, progress=False
        )
    msg = str(err.value)
    assert expect in msg
    assert done in msg
    _assert_next_step(msg, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert isinstance(err.value, ds.DatasetError)


def test_fetch_offline_message(tmp_path, dead_url):
    with pytest.raises(ds.DownloadError) as err:
        ds.fetch_cifar10(tmp_path, url=dead_url, progress=False)
    assert "could not reach" in str(err.value)
    _assert_next_step(str(err.value), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_redownload_keeps_existing_archive_and_says_so(server, archives, tmp_path):
    (tmp_path / ds.ARCHIVE_NAME).write_bytes(b"not the archive")
    with pytest.raises(ds.DownloadError) as err:
        ds.fetch_cifar10(tmp_path, url=server.url + "/404", known_hash=archives["sha"], progress=False)
    assert "does not verify" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [ds.ARCHIVE_NAME]
    assert (tmp_path / ds.ARCHIVE_NAME).read_bytes() == b"not the archive"


def test_progress_bar_goes_to_stderr(server, archives, tmp_path, capsys):
    ds.fetch_cifar10(tmp_path, url=server.url + "/good", known_hash=archives["sha"], expected_size=None)
    captured = capsys.readouterr()
    assert ds.ARCHIVE_NAME in captured.err and captured.out == ""


# ----------------------------------------------------------------------------------------------------- safe extraction


def _evil_tar(path: Path, member: tarfile.TarInfo, payload: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        ok = tarfile.TarInfo(f"{ds.FOLDER_NAME}/readme.html")
        ok.size = 3
        tar.addfile(ok, io.BytesIO(b"hi\n"))
        member.size = len(payload) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(payload) if member.isfile() else None)
    return path


def _member(name, kind=tarfile.REGTYPE, linkname=""):
    m = tarfile.TarInfo(name)
    m.type = kind
    m.linkname = linkname
    return m


@pytest.mark.parametrize(
    "member",
    [
        _member("../escaped.txt"),
        _member(f"{ds.FOLDER_NAME}/../../escaped.txt"),
        _member("/tmp/cs231n_lite_absolute_escape.txt"),
        _member(f"{ds.FOLDER_NAME}/link", tarfile.SYMTYPE, "../../escaped.txt"),
        _member(f"{ds.FOLDER_NAME}/link", tarfile.SYMTYPE, "/etc/passwd"),
        _member(f"{ds.FOLDER_NAME}/hard", tarfile.LNKTYPE, "../escaped.txt"),
        _member(f"{ds.FOLDER_NAME}/dev", tarfile.CHRTYPE),
        _member(f"{ds.FOLDER_NAME}/fifo", tarfile.FIFOTYPE),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "symlink-out",
        "symlink-abs",
        "hardlink-out",
        "chardev",
        "fifo",
    ],
)
def test_unsafe_archives_are_rejected(tmp_path, member, dead_url):
    data = tmp_path / "data"
    data.mkdir()
    archive = _evil_tar(data / ds.ARCHIVE_NAME, member, b"pwned")
    with pytest.raises(ds.UnsafeArchiveError) as err:
        ds.fetch_cifar10(
            data,
            url=dead_url,
            known_hash=hashlib.sha256(archive.read_bytes()).hexdigest(),
            expected_size=None,
        )
    assert repr(member.name) in str(err.value)
    assert sorted(p.name for p in data.iterdir()) == [ds.ARCHIVE_NAME]  # no folder, no temp dir
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/cs231n_lite_absolute_escape.txt").exists()


def test_symlink_inside_archive_is_allowed(tmp_path, dead_url):
    data = tmp_path / "data"
    data.mkdir()
    archive = _evil_tar(
        data / ds.ARCHIVE_NAME, _member(f"{ds.FOLDER_NAME}/alias", tarfile.SYMTYPE, "readme.html")
    )
    with pytest.raises(ds.DatasetError):  # extracts fine, but the archive holds no batches
        ds.load_cifar10(ds.fetch_cifar10(data, url=dead_url, known_hash=None, expected_size=None))
    assert (data / ds.FOLDER_NAME / "alias").read_text() == "hi\n"
    assert archive.exists()


def test_archive_without_top_folder_is_reported(tmp_path, dead_url):
    with tarfile.open(tmp_path / ds.ARCHIVE_NAME, "w:gz") as tar:
        m = tarfile.TarInfo("something_else/x")
        tar.addfile(m, io.BytesIO(b""))
    with pytest.raises(ds.DatasetError, match="does not hold a top-level folder"):
        ds.fetch_cifar10(tmp_path, url=dead_url, known_hash=None, expected_size=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [ds.ARCHIVE_NAME]


# ----------------------------------------------------------------------------------------------------- file format


def test_synthetic_files_use_the_official_pickle_format(tiny_set):
    folder = tiny_set / ds.FOLDER_NAME
    for encoding, key in (("latin1", "data"), ("bytes", b"data")):
        with open(folder / "data_batch_1", "rb") as f:
            raw = f.read()
        assert raw[:2] == b"\x80\x02"  # protocol 2
        d = pickle.loads(raw, encoding=encoding)
        assert set(d) == {
            key,
            *(k if encoding == "latin1" else k.encode() for k in ("labels", "batch_label", "filenames")),
        }
        assert d[key].dtype == np.uint8 and d[key].shape == (12, 3072)
    with open(folder / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="latin1")["label_names"] == list(ds.CLASS_NAMES)
    # CHW-flattened rows: pixel (r, c) of channel ch is at ch*1024 + r*32 + c
    Xtr = ds.load_cifar10(tiny_set).X_train
    assert Xtr[0, 5, 7, 2] == d[b"data"][0, 2 * 1024 + 5 * 32 + 7]
    assert Xtr[11, 31, 0, 0] == d[b"data"][11, 31 * 32]


def test_synthetic_is_deterministic_and_seeded(tmp_path):
    a = ds.make_synthetic_cifar10(tmp_path / "a", num_train=20, num_test=5, seed=0)
    b = ds.make_synthetic_cifar10(tmp_path / "b", num_train=20, num_test=5, seed=0)
    c = ds.make_synthetic_cifar10(tmp_path / "c", num_train=20, num_test=5, seed=1)
    for name in ds.REQUIRED_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "data_batch_1").read_bytes() != (c / "data_batch_1").read_bytes()
    ytr = ds.load_cifar10(a).y_train
    assert np.bincount(ytr, minlength=10).tolist() == [2] * 10


def test_synthetic_is_learnable_but_not_trivial(tmp_path):
    """A linear classifier (nearest class mean) is far above chance (10 %) but far from perfect."""
    Xtr, ytr, Xte, yte, _ = ds.load_cifar10(ds.make_synthetic_cifar10(tmp_path))
    Xtr = Xtr.reshape(len(Xtr), -1).astype(np.float64)
    Xte = Xte.reshape(len(Xte), -1).astype(np.float64)
    means = np.stack([Xtr[ytr == c].mean(axis=0) for c in range(10)])
    scores = Xte @ means.T - 0.5 * (means**2).sum(axis=1)  # linear in x
    acc = float((scores.argmax(axis=1) == yte).mean())
    assert 0.3 < acc < 0.8, acc


def test_make_synthetic_validates_sizes(tmp_path):
    with pytest.raises(ValueError, match="num_train"):
        ds.make_synthetic_cifar10(tmp_path, num_train=3)


# ----------------------------------------------------------------------------------------------------- load_cifar10


def test_load_accepts_data_dir_or_batches_dir(tiny_set):
    a = ds.load_cifar10(tiny_set)
    b = ds.load_cifar10(tiny_set / ds.FOLDER_NAME)
    assert a.X_train.shape == (60, 32, 32, 3) and a.X_train.dtype == np.uint8
    assert a.y_train.shape == (60,) and a.y_train.dtype == np.int64
    assert a.X_test.shape == (20, 32, 32, 3) and a.y_test.dtype == np.int64
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.y_train.min() >= 0 and a.y_train.max() <= 9


def test_load_accepts_bytes_keys(tiny_copy):
    path = tiny_copy / ds.FOLDER_NAME / "data_batch_1"
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    before = ds.load_cifar10(tiny_copy)
    with open(path, "wb") as f:
        pickle.dump({k.encode(): v for k, v in d.items()}, f, protocol=2)
    after = ds.load_cifar10(tiny_copy)
    np.testing.assert_array_equal(before.X_train, after.X_train)
    np.testing.assert_array_equal(before.y_train, after.y_train)


def _rewrite(path: Path, **changes):
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    d.update(changes)
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=2)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/cs231n_lite_pwned",))


@pytest.mark.parametrize(
    ("broken", "expected_error", "words"),
    [
        ("missing", ds.DataNotFoundError, "missing"),
        ("truncated", ds.CorruptDataError, "truncated or corrupt"),
        ("garbage", ds.CorruptDataError, "not a readable"),
        ("wrong-shape", ds.CorruptDataError, "(N, 3072)"),
        ("bad-labels", ds.CorruptDataError, "labels in [0, 10)"),
        ("label-count", ds.CorruptDataError, "integer labels"),
        ("unequal-batches", ds.CorruptDataError, "same number of rows"),
        ("evil-global", ds.CorruptDataError, "unexpected global"),
    ],
)
def test_load_names_the_broken_file(tiny_copy, broken, expected_error, words):
    name = {"missing": "data_batch_3", "garbage": "test_batch", "unequal-batches": "data_batch_4"}.get(
        broken, "data_batch_2"
    )
    path = tiny_copy / ds.FOLDER_NAME / name
    if broken == "missing":
        path.unlink()
    elif broken == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif broken == "garbage":
        path.write_bytes(b"<html>404 not found</html>")
    elif broken == "wrong-shape":
        _rewrite(path, data=np.zeros((12, 100), np.uint8))
    elif broken == "bad-labels":
        _rewrite(path, labels=[10] * 12)
    elif broken == "label-count":
        _rewrite(path, labels=[1] * 11)
    elif broken == "unequal-batches":
        _rewrite(path, data=np.zeros((3, 3072), np.uint8), labels=[0, 1, 2])
    elif broken == "evil-global":
        _rewrite(path, data=_Evil())
    with pytest.raises(expected_error) as err:
        ds.load_cifar10(tiny_copy)
    assert str(path) in str(err.value)
    assert words in str(err.value)
    assert not Path("/tmp/cs231n_lite_pwned").exists()


def test_load_names_broken_meta(tiny_copy):
    meta = tiny_copy / ds.FOLDER_NAME / "batches.meta"
    with open(meta, "wb") as f:
        pickle.dump({"label_names": ["a", "b"]}, f, protocol=2)
    with pytest.raises(ds.CorruptDataError, match="label_names") as err:
        ds.load_cifar10(tiny_copy)
    assert str(meta) in str(err.value)
    meta.unlink()
    with pytest.raises(ds.DataNotFoundError, match="batches.meta"):
        ds.load_cifar10(tiny_copy)


def test_load_missing_folder_explains_fixes(tmp_path):
    with pytest.raises(ds.DataNotFoundError) as err:
        ds.load_cifar10(tmp_path)
    _assert_next_step(str(err.value), tmp_path)


# ----------------------------------------------------------------------------------------------------- data dir


def test_data_dir_precedence(monkeypatch, tmp_path):
    repo_default = ds.resolve_data_dir()
    assert repo_default == REPO / "data"
    monkeypatch.setenv("CS231N_LITE_DATA_DIR", str(tmp_path / "env"))
    assert ds.resolve_data_dir() == tmp_path / "env"
    assert ds.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setenv("CS231N_LITE_DATA_DIR", "  ")
    assert ds.resolve_data_dir() == repo_default


def test_installed_package_falls_back_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(ds, "_repo_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ds.resolve_data_dir() == tmp_path / "cs231n_lite"


# ----------------------------------------------------------------------------------------------------- splits + cache


def test_split_sizes_values_mean_and_bias(tiny_copy):
    raw = ds.load_cifar10(tiny_copy)
    d = ds.get_cifar10_data(40, 15, 20, 10, data_dir=tiny_copy, seed=5)
    shapes = {
        k: d[k].shape for k in ("X_train", "X_val", "X_test", "X_dev", "y_train", "y_val", "y_test", "y_dev")
    }
    assert shapes == {
        "X_train": (40, 3073),
        "X_val": (15, 3073),
        "X_test": (20, 3073),
        "X_dev": (10, 3073),
        "y_train": (40,),
        "y_val": (15,),
        "y_test": (20,),
        "y_dev": (10,),
    }
    assert all(d[k].dtype == np.float32 for k in ("X_train", "X_val", "X_test", "X_dev", "mean_image"))
    assert all(d[k].dtype == np.int64 for k in ("y_train", "y_val", "y_test", "y_dev"))
    rows = raw.X_train.reshape(60, -1).astype(np.float64)
    mean = rows[:40].mean(axis=0)
    np.testing.assert_allclose(d["mean_image"], mean, rtol=1e-6)
    np.testing.assert_allclose(d["X_train"][:, :-1], rows[:40] - mean, atol=1e-4)
    np.testing.assert_allclose(d["X_val"][:, :-1], rows[40:55] - mean, atol=1e-4)
    np.testing.assert_allclose(d["X_test"][:, :-1], raw.X_test.reshape(20, -1) - mean, atol=1e-4)
    np.testing.assert_allclose(d["X_train"][:, :-1].mean(axis=0), 0.0, atol=1e-3)
    for k in ("X_train", "X_val", "X_test", "X_dev"):
        np.testing.assert_array_equal(d[k][:, -1], 1.0)
    np.testing.assert_array_equal(d["y_val"], raw.y_train[40:55])
    np.testing.assert_array_equal(d["y_test"], raw.y_test)
    idx = np.random.default_rng(5).choice(40, 10, replace=False)
    np.testing.assert_array_equal(d["X_dev"], d["X_train"][idx])
    np.testing.assert_array_equal(d["y_dev"], d["y_train"][idx])
    assert d["class_names"] == list(ds.CLASS_NAMES)


def test_split_without_mean_or_bias(tiny_copy):
    raw = ds.load_cifar10(tiny_copy)
    d = ds.get_cifar10_data(
        50, 10, 5, 0, data_dir=tiny_copy, subtract_mean=False, bias_trick=False, dtype=np.float64
    )
    assert d["X_train"].shape == (50, 3072) and d["X_train"].dtype == np.float64
    assert d["X_dev"].shape == (0, 3072)
    np.testing.assert_array_equal(d["X_val"], raw.X_train[50:60].reshape(10, -1))
    np.testing.assert_allclose(d["mean_image"], raw.X_train[:50].reshape(50, -1).mean(axis=0))


def test_dev_set_depends_on_seed(tiny_copy):
    a = ds.get_cifar10_data(40, 10, 5, 8, data_dir=tiny_copy, seed=0)["X_dev"]
    b = ds.get_cifar10_data(40, 10, 5, 8, data_dir=tiny_copy, seed=0)["X_dev"]
    c = ds.get_cifar10_data(40, 10, 5, 8, data_dir=tiny_copy, seed=1)["X_dev"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"num_training": 50, "num_validation": 11}, "holds 60"),
        ({"num_training": 10, "num_test": 21}, "holds 20"),
        ({"num_training": 10, "num_dev": 11}, "num_dev"),
        ({"num_training": 0}, "num_training"),
        ({"num_training": 10, "dtype": np.int32}, "floating"),
    ],
)
def test_split_rejects_impossible_requests(tiny_copy, kwargs, words):
    with pytest.raises(ValueError, match=words):
        ds.get_cifar10_data(
            data_dir=tiny_copy, **{"num_validation": 0, "num_test": 0, "num_dev": 0, **kwargs}
        )


def test_cache_second_call_equal_and_invalidated_on_change(tiny_copy):
    first = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    entries = list((tiny_copy / ".cache").glob("cifar10-*"))
    assert len(entries) == 1 and (entries[0] / "X_train.npy").is_file()
    second = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    for k in ("X_train", "y_train", "X_val", "X_test", "X_dev", "mean_image"):
        np.testing.assert_array_equal(first[k], second[k])
    assert second["X_train"].flags.writeable  # a real array, not the read-only memory map
    # a changed source file gets a new cache entry and new values
    batch = tiny_copy / ds.FOLDER_NAME / "data_batch_1"
    with open(batch, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    _rewrite(batch, data=np.full_like(d["data"], 7))
    os.utime(batch, ns=(1, 1))
    third = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy, subtract_mean=False)
    np.testing.assert_array_equal(third["X_train"][:12, :-1], 7.0)
    new_entries = list((tiny_copy / ".cache").glob("cifar10-*"))
    assert len(new_entries) == 1 and new_entries != entries


def test_corrupt_cache_is_rebuilt(tiny_copy):
    first = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    (entry,) = (tiny_copy / ".cache").glob("cifar10-*")
    (entry / "X_train.npy").write_bytes(b"junk")
    again = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    np.testing.assert_array_equal(first["X_train"], again["X_train"])


def test_mean_image_is_memoised_per_size_and_checked(tiny_copy):
    raw = ds.load_cifar10(tiny_copy).X_train.reshape(60, -1)
    ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    (entry,) = (tiny_copy / ".cache").glob("cifar10-*")
    np.testing.assert_allclose(np.load(entry / "mean_40.npy"), raw[:40].mean(axis=0))
    np.save(entry / "mean_40.npy", np.zeros(5))  # wrong shape: ignored and recomputed
    d = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    np.testing.assert_allclose(d["mean_image"], raw[:40].mean(axis=0), rtol=1e-6)
    d = ds.get_cifar10_data(30, 10, 10, 5, data_dir=tiny_copy)
    np.testing.assert_allclose(d["mean_image"], raw[:30].mean(axis=0), rtol=1e-6)
    assert (entry / "mean_30.npy").is_file()


# ----------------------------------------------------------------------------------------------------- data choice


def test_synthetic_choice_generates_deterministically(monkeypatch, tmp_path):
    monkeypatch.setenv("CS231N_LITE_DATASET", "synthetic")
    a = ds.get_cifar10_data(4000, 500, 1000, 100, data_dir=tmp_path / "a")
    assert (tmp_path / "a" / "synthetic" / ds.FOLDER_NAME / "data_batch_5").is_file()
    b = ds.get_cifar10_data(4000, 500, 1000, 100, data_dir=tmp_path / "b")
    np.testing.assert_array_equal(a["X_train"], b["X_train"])
    np.testing.assert_array_equal(a["y_test"], b["y_test"])
    line = ds.describe_data_source(tmp_path / "a")
    assert line.startswith("synthetic") and str(tmp_path / "a" / "synthetic") in line and "5000 train" in line
    with pytest.raises(ValueError, match="holds 5000"):
        ds.get_cifar10_data(data_dir=tmp_path / "a")  # the CIFAR-10 default sizes do not fit


def test_missing_real_data_raises_with_all_fixes(tmp_path):
    with pytest.raises(ds.DataNotFoundError) as err:
        ds.get_cifar10_data(data_dir=tmp_path)
    _assert_next_step(str(err.value), tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    assert "NOT FOUND" in ds.describe_data_source(tmp_path)


def test_incomplete_real_data_lists_missing_files(tiny_copy):
    (tiny_copy / ds.FOLDER_NAME / "test_batch").unlink()
    with pytest.raises(ds.DataNotFoundError, match="missing or empty there: test_batch"):
        ds.get_cifar10_data(10, 0, 0, 0, data_dir=tiny_copy)
    assert "INCOMPLETE" in ds.describe_data_source(tiny_copy)


def test_bad_dataset_choice(monkeypatch, tmp_path):
    monkeypatch.setenv("CS231N_LITE_DATASET", "imagenet")
    with pytest.raises(ValueError, match="'cifar10' or 'synthetic'"):
        ds.get_cifar10_data(data_dir=tmp_path)


def test_describe_real_data_names_folder_and_counts(tiny_copy, monkeypatch):
    monkeypatch.setenv("CS231N_LITE_DATA_DIR", str(tiny_copy))
    before = ds.describe_data_source()
    assert str(tiny_copy / ds.FOLDER_NAME) in before and "CS231N_LITE_DATA_DIR" in before
    ds.get_cifar10_data(10, 0, 0, 0)
    assert "60 train / 20 test images" in ds.describe_data_source()


# ----------------------------------------------------------------------------------------------------- CLI


def test_cli_synthetic_info_verify(tmp_path, capsys):
    assert ds.main(["synthetic", "--out", str(tmp_path), "--num-train", "50", "--num-test", "10"]) == 0
    assert ds.main(["info", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "X_train (50, 32, 32, 3) uint8" in out and "X_test  (10, 32, 32, 3)" in out
    assert ds.main(["verify", "--data-dir", str(tmp_path)]) == 0
    assert "ok   batches" in capsys.readouterr().out


def test_cli_verify_archive_hash(archives, tmp_path, capsys):
    (tmp_path / ds.ARCHIVE_NAME).write_bytes(archives["good"])
    assert ds.main(["verify", "--data-dir", str(tmp_path), "--sha256", archives["sha"], "--size", "0"]) == 1
    assert "expected 0 bytes" in capsys.readouterr().out
    args = [
        "verify",
        "--data-dir",
        str(tmp_path),
        "--sha256",
        archives["sha"],
        "--size",
        str(archives["size"]),
    ]
    assert ds.main(args) == 0
    assert ds.main(["verify", "--data-dir", str(tmp_path)]) == 1  # the official hash does not match
    assert "FAIL archive" in capsys.readouterr().out


def test_cli_errors_are_one_message_not_a_traceback(tmp_path, dead_url, capsys):
    assert ds.main(["fetch", "--data-dir", str(tmp_path), "--url", dead_url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not reach") and "Traceback" not in err
    assert ds.main(["verify", "--data-dir", str(tmp_path)]) == 1
    assert ds.main(["info", "--data-dir", str(tmp_path)]) == 1
    with pytest.raises(SystemExit) as exc:
        ds.main([])
    assert exc.value.code == 2


def test_cli_fetch_from_local_server(server, archives, tmp_path, capsys):
    args = ["fetch", "--data-dir", str(tmp_path), "--url", server.url + "/good", "--sha256", archives["sha"]]
    assert ds.main([*args, "--size", str(archives["size"]), "--quiet"]) == 0
    assert f"ready at {tmp_path / ds.FOLDER_NAME}" in capsys.readouterr().out


def test_module_runs_as_script(tmp_path):
    env = {**os.environ, "CS231N_LITE_DATASET": "synthetic", "CS231N_LITE_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "cs231n_lite.datasets", "info"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("synthetic") and "X_train (5000, 32, 32, 3)" in proc.stdout


# ----------------------------------------------------------------------------------------------------- real data


def _real_data_dir() -> Path | None:
    for candidate in (os.environ.get("CS231N_LITE_DATA_DIR"), REPO / "data"):
        if not candidate:
            continue
        folder = Path(candidate) / ds.FOLDER_NAME
        if folder.is_dir() and all((folder / n).is_file() for n in ds.REQUIRED_FILES):
            if (folder / "data_batch_1").stat().st_size > 30_000_000 and not (
                folder / ds.SYNTHETIC_MARKER
            ).exists():
                return Path(candidate)
    return None


REAL = _real_data_dir()


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(
    REAL is None,
    reason="full CIFAR-10 not found in $CS231N_LITE_DATA_DIR or data/ (`make data-shared` or `make data`)",
)
def test_real_cifar10_full_load_and_split():
    raw = ds.load_cifar10(REAL)
    assert raw.X_train.shape == (50000, 32, 32, 3) and raw.X_test.shape == (10000, 32, 32, 3)
    assert np.bincount(raw.y_train).tolist() == [5000] * 10
    assert np.bincount(raw.y_test).tolist() == [1000] * 10
    d = ds.get_cifar10_data(data_dir=REAL)
    assert d["X_train"].shape == (49000, 3073) and d["X_val"].shape == (1000, 3073)
    assert d["X_test"].shape == (1000, 3073) and d["X_dev"].shape == (500, 3073)
    np.testing.assert_allclose(
        d["mean_image"], raw.X_train[:49000].reshape(49000, -1).mean(axis=0), rtol=1e-6
    )
    assert 100 < float(d["mean_image"].mean()) < 140  # CIFAR-10's mean pixel is about 121


# ----------------------------------------------------------------------------------------------------- robustness


def test_interrupted_download_leaves_nothing(server, archives, tmp_path, monkeypatch):
    from cs231n_lite import _download

    class Boom:
        def update(self, n):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(_download, "_progress_bar", lambda *a: Boom())
    with pytest.raises(KeyboardInterrupt):
        ds.fetch_cifar10(tmp_path, url=server.url + "/good", known_hash=archives["sha"], expected_size=None)
    assert list(tmp_path.iterdir()) == []


def test_synthetic_falls_back_when_data_dir_is_not_writable(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(ds, "_synthetic_home", lambda root: blocker / "synthetic")
    monkeypatch.setattr(ds, "_fallback_synthetic_home", lambda: tmp_path / "fallback")
    monkeypatch.setenv("CS231N_LITE_DATASET", "synthetic")
    d = ds.get_cifar10_data(100, 10, 10, 5, data_dir=tmp_path)
    assert d["X_train"].shape == (100, 3073)
    assert (tmp_path / "fallback" / ds.FOLDER_NAME / "synthetic.json").is_file()
    assert str(tmp_path / "fallback") in ds.describe_data_source(tmp_path)


def test_on_demand_synthetic_keeps_a_finished_set(tmp_path):
    first = ds._ensure_synthetic(tmp_path)
    stamp = (first / "data_batch_1").stat().st_mtime_ns
    again = ds._write_synthetic(tmp_path / "synthetic", **ds.SYNTHETIC_DEFAULTS, keep_current=True)
    assert again == first and (first / "data_batch_1").stat().st_mtime_ns == stamp


def test_cli_synthetic_archive_round_trips_through_file_url(tmp_path):
    archive = tmp_path / "made.tar.gz"
    assert ds.main(["synthetic", "--archive", str(archive), "--num-train", "20", "--num-test", "5"]) == 0
    with tarfile.open(archive) as tar:
        names = sorted(m.name for m in tar.getmembers())
    assert names == sorted(f"{ds.FOLDER_NAME}/{n}" for n in (*ds.REQUIRED_FILES, ds.SYNTHETIC_MARKER))
    folder = ds.fetch_cifar10(tmp_path / "data", url=archive.as_uri(), known_hash=None, expected_size=None)
    assert ds.load_cifar10(folder).X_train.shape == (20, 32, 32, 3)
    # reproducible bytes: same arguments, same archive
    again = ds.make_synthetic_archive(tmp_path / "again.tar.gz", num_train=20, num_test=5)
    assert again.read_bytes() == archive.read_bytes()


def test_cache_survives_a_move_and_is_used(tiny_copy, tmp_path, monkeypatch):
    """The grader prepares data once and binds it read-only elsewhere: the cache must still hit."""
    first = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    moved = tmp_path / "moved"
    shutil.copytree(tiny_copy, moved)  # copy2 keeps mtimes, like a bind mount

    def no_pickles(root):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(ds, "load_cifar10", no_pickles)
    again = ds.get_cifar10_data(40, 10, 10, 5, data_dir=moved)
    np.testing.assert_array_equal(first["X_train"], again["X_train"])


def test_unwritable_cache_is_skipped(tiny_copy, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(ds.tempfile, "mkdtemp", refuse)
    d = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)
    assert d["X_train"].shape == (40, 3073)
    assert not list((tiny_copy / ".cache").glob("cifar10-*"))


def test_read_only_cache_folder_skips_memoising_the_mean(tiny_copy, monkeypatch):
    """On a read-only mount even the temp-file clean-up fails with EROFS; loading must still work."""
    import builtins
    import errno

    first = ds.get_cifar10_data(40, 10, 10, 5, data_dir=tiny_copy)  # fills the cache entry
    raw = ds.load_cifar10(tiny_copy)[0][:30].reshape(30, -1).astype(np.float64)

    def erofs(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def read_only_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            erofs()
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(ds, "open", read_only_open, raising=False)
    monkeypatch.setattr(ds.Path, "unlink", erofs)
    other = ds.get_cifar10_data(30, 10, 10, 5, data_dir=tiny_copy)  # a new num_training: a new mean to memoise
    assert other["X_train"].shape == (30, 3073)
    np.testing.assert_allclose(other["mean_image"], raw.mean(axis=0), rtol=1e-6)
    assert first["X_train"].shape == (40, 3073)


def test_download_helper_doctests_and_file_url_hash_mismatch(tmp_path):
    """The file:// path goes through pooch's verification too: a wrong hash leaves nothing behind."""
    import doctest

    from cs231n_lite import _download

    assert doctest.testmod(_download).failed == 0
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload")
    out = tmp_path / "out"
    with pytest.raises(ds.DownloadError, match="is corrupt: expected SHA256 0{64}, got") as err:
        _download.download(src.as_uri(), out / "a.bin", known_hash="0" * 64, expected_size=None, progress=False)
    assert "the downloaded file was deleted" in str(err.value)
    assert list(out.iterdir()) == []
    with pytest.raises(ds.DownloadError, match="wrong size: expected 3 bytes, got 7 bytes"):
        _download.download(src.as_uri(), out / "a.bin", known_hash=None, expected_size=3, progress=False)
    assert list(out.iterdir()) == []
