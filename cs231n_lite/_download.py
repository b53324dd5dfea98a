"""Private helpers for :mod:`cs231n_lite.datasets`: verified downloads (pooch) and safe tar extraction (tarfile).

Nothing here knows about CIFAR-10; the public entry point is :func:`cs231n_lite.datasets.fetch_cifar10`.

* Downloading is :func:`pooch.retrieve`: it streams into a temp file, checks the SHA256 and only then moves the
  file into place.  This module adds what a course needs on top: the size check (before the body is read, from
  the announced ``Content-Length``, and after it), ``file://`` URLs, a progress bar named after the file, and
  errors that say expected vs got and what to do next (:class:`DownloadError`).
* Extraction is :meth:`tarfile.TarFile.extractall` with the standard library's ``data`` filter (no absolute
  names, no ``..``, no links leaving the folder, no devices), into a temp folder moved into place when complete.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20
HTTP_CHUNK = 1 << 16  # pooch writes (and counts) one chunk at a time; small enough to report progress exactly


class DatasetError(Exception):
    """Base class of every error raised by :mod:`cs231n_lite.datasets`."""


class DownloadError(DatasetError):
    """The archive could not be downloaded, or what arrived failed verification."""


class UnsafeArchiveError(DatasetError):
    """A tar archive holds a member that would land outside the extraction folder, or a device/link."""


def sha256_of(path: str | os.PathLike) -> str:
    """Return the hex SHA256 digest of the file at `path` (:func:`pooch.file_hash`)."""
    import pooch  # imported when needed: it pulls in tqdm and friends (~0.2 s), every notebook imports datasets

    return pooch.file_hash(str(path), alg="sha256")


def verify_file(path: Path, *, known_hash: str | None, expected_size: int | None) -> str | None:
    """Return None when `path` has `expected_size` bytes and SHA256 `known_hash` (None skips a check), else why not."""
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        return f"expected {expected_size:,} bytes, got {size:,} bytes"
    if known_hash is not None:
        got = sha256_of(path)
        if got.lower() != known_hash.lower():
            return f"expected SHA256 {known_hash.lower()}, got {got}"
    return None


def _progress_bar(total: int | None, desc: str, enabled: bool):
    """A tqdm bar on stderr (or None when disabled)."""
    if not enabled:
        return None
    from tqdm.auto import tqdm  # imported lazily: only needed when a download actually happens

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=True)


class _Progress:
    """The progress-bar object pooch drives (``total = ...``, ``update``, ``reset``, ``close``).

    It forwards to a tqdm bar (if any), counts the bytes, and refuses a download whose announced size
    (``Content-Length``, which pooch assigns to ``total`` before reading the body) is not `expected_size`.
    """

    def __init__(self, bar, expected_size: int | None, refuse: Callable[[int], Exception]):
        self._bar, self._expected, self._refuse = bar, expected_size, refuse
        self.announced: int | None = None
        self.n = 0

    @property
    def total(self):
        return self.announced

    @total.setter
    def total(self, value):
        self.announced = int(value) or None  # pooch passes 0 when the server sends no Content-Length
        if self.announced is not None and self._expected is not None and self.announced != self._expected:
            raise self._refuse(self.announced)
        if self._bar is not None:
            self._bar.total = self.announced

    def update(self, n):
        self.n += n
        if self._bar is not None:
            self._bar.update(n)

    def reset(self):
        self.n = 0
        if self._bar is not None:
            self._bar.reset()

    def close(self):
        if self._bar is not None:
            self._bar.close()


def _copy_file_url(url: str, output_file: str) -> None:
    """pooch has no ``file://`` downloader: copy the local file (used to test and to install from a share)."""
    source = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
    with open(source, "rb") as src, open(output_file, "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs the temp path and advice about its own API at INFO level; the progress bar says enough."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def download(
    url: str,
    dest: Path,
    *,
    known_hash: str | None,
    expected_size: int | None,
    progress: bool = True,
    timeout: float = 60.0,
    next_step: str = "",
) -> Path:
    """Download `url` to `dest` with :func:`pooch.retrieve`, verifying size and SHA256; return `dest`.

    pooch writes to a temp file, checks the hash and moves the file; here that happens in a private temp folder
    in ``dest.parent`` that is deleted on every exit (error, Ctrl-C), and the verified file is then renamed to
    `dest`.  On any failure `dest` is left untouched and :class:`DownloadError` is raised with expected vs got,
    what was done, and `next_step` appended.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "src.bin").write_bytes(b"abc")
    >>> download((d / "src.bin").as_uri(), d / "copy.bin", known_hash=sha256_of(d / "src.bin"),
    ...          expected_size=3, progress=False).read_bytes()
    b'abc'
    """
    import pooch
    import requests  # pooch's HTTP client; imported lazily like pooch does

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    received = {"started": False}  # did any of the body arrive?

    def fail(problem: str, done: str | None = None) -> DownloadError:
        if done is None:
            done = "the partial download was deleted" if received["started"] else "nothing was saved"
        return DownloadError(f"{problem}; {done} ({dest} was left unchanged).{next_step}")

    def refuse(announced: int) -> DownloadError:
        return fail(f"the server announced {announced:,} bytes for {url}, expected {expected_size:,} bytes")

    def downloader(url: str, output_file: str, pooch_) -> None:
        meter = _Progress(_progress_bar(expected_size, dest.name, progress), expected_size, refuse)
        try:
            if urllib.parse.urlparse(url).scheme == "file":
                _copy_file_url(url, output_file)
            else:
                http = pooch.HTTPDownloader(progressbar=meter, chunk_size=HTTP_CHUNK, timeout=timeout)
                http(url, output_file, pooch_)
        except requests.HTTPError as exc:
            r = exc.response
            raise fail(
                f"could not download {url}: expected HTTP 200, got HTTP {r.status_code} {r.reason}"
            ) from exc
        except (requests.RequestException, OSError) as exc:
            got = _size(output_file)
            received["started"] = got > 0 or meter.announced is not None
            if not received["started"] and not isinstance(exc, requests.exceptions.ChunkedEncodingError):
                raise fail(
                    f"could not reach {url} ({_reason(exc)}); expected a connection, got none"
                ) from exc
            want = meter.announced or expected_size
            read = re.search(r"IncompleteRead\((\d+) bytes read", str(exc))  # urllib3 counts what arrived
            got = max(got, int(read.group(1)) if read else 0)
            raise fail(
                f"the download of {url} is truncated: the connection broke after {got:,} bytes, expected "
                f"{f'{want:,}' if want else 'more'} bytes ({_reason(exc)})"
            ) from exc
        finally:
            meter.close()
        got = _size(output_file)
        received["started"] = got > 0
        if meter.announced is not None and got != meter.announced:
            raise fail(
                f"the download of {url} is truncated: expected {meter.announced:,} bytes, got {got:,} bytes"
            )
        if expected_size is not None and got != expected_size:
            raise fail(
                f"the download of {url} has the wrong size: expected {expected_size:,} bytes, got {got:,} bytes",
                "the downloaded file was deleted",
            )

    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.download-"))
    try:
        with _quiet_pooch():
            try:
                got_path = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{known_hash.lower()}" if known_hash else None,
                    fname=dest.name,
                    path=work,
                    downloader=downloader,
                )
            except ValueError as exc:  # pooch's hash mismatch (it already deleted its temp file)
                found = re.search(r"got ([0-9a-f]{64})", str(exc))
                raise fail(
                    f"the download of {url} is corrupt: expected SHA256 {(known_hash or '').lower()}, got "
                    f"{found.group(1) if found else str(exc)}",
                    "the downloaded file was deleted",
                ) from exc
        os.chmod(got_path, 0o644)  # the temp file is private; the archive is ordinary data
        os.replace(got_path, dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, e.g. 'Connection refused'."""
    while exc.__context__ is not None and not isinstance(exc, ConnectionRefusedError):
        exc = exc.__context__
    return str(exc) or type(exc).__name__


def _data_filter(member: tarfile.TarInfo, dest_path: str) -> tarfile.TarInfo:
    """The standard library's ``data`` filter, also refusing (instead of stripping) absolute member names."""
    if member.name.startswith(("/", "\\")):
        raise tarfile.AbsolutePathError(member)
    return tarfile.data_filter(member, dest_path)


def safe_extract(archive: Path, dest_parent: Path, top: str) -> Path:
    """Extract `archive` into a temp folder in `dest_parent`, then move its `top` folder to ``dest_parent/top``.

    Members pass :func:`tarfile.data_filter`; the first unsafe one stops the extraction with
    :class:`UnsafeArchiveError` naming it.  Any existing ``dest_parent/top`` is replaced only after a complete,
    checked extraction.
    """
    dest_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest_parent, prefix=".extract-"))
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(tmp, filter=_data_filter)
        except tarfile.FilterError as exc:
            raise UnsafeArchiveError(
                f"refusing to extract {archive}: member {exc.tarinfo.name!r} is unsafe ({exc}); expected only "
                "regular files and folders inside one top-level folder. Nothing was extracted. Delete the "
                "archive and download it again."
            ) from exc
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise DatasetError(
                f"could not extract {archive}: expected a readable .tar.gz, got {exc!r}. Nothing was extracted; "
                "delete the archive and download it again."
            ) from exc
        src = tmp / top
        if not src.is_dir():
            found = sorted(p.name for p in tmp.iterdir())
            raise DatasetError(f"{archive} does not hold a top-level folder {top!r} (found {found}).")
        final = dest_parent / top
        if final.exists():
            shutil.rmtree(final)
        os.replace(src, final)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_tar_gz(src_dir: Path, archive: Path, *, arcname: str, filter_: Callable | None = None) -> Path:
    """Write `src_dir` as ``archive`` (.tar.gz) with top-level folder `arcname`, atomically."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.", suffix=".part")
    os.close(fd)
    try:
        with open(tmp_name, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w") as tar:  # gzip header without temp name or time
                for p in sorted(src_dir.iterdir()):
                    tar.add(p, arcname=f"{arcname}/{p.name}", filter=filter_)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, archive)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return archive
