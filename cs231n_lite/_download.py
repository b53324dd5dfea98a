"""Private helpers for :mod:`cs231n_lite.datasets`: verified downloads and safe tar extraction.

Nothing here knows about CIFAR-10; the public entry point is :func:`cs231n_lite.datasets.fetch_cifar10`.
The download is streamed with :mod:`urllib.request` (the same steps pooch takes: temp file in the target folder,
hash while writing, verify, atomic rename) so that every failure can be reported with expected-vs-got numbers and
the partial file is always removed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import posixpath
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20


class DatasetError(Exception):
    """Base class of every error raised by :mod:`cs231n_lite.datasets`."""


class DownloadError(DatasetError):
    """The archive could not be downloaded, or what arrived failed verification."""


class UnsafeArchiveError(DatasetError):
    """A tar archive holds a member that would land outside the extraction folder, or a device/link."""


def sha256_of(path: str | os.PathLike, *, chunk: int = CHUNK) -> str:
    """Return the hex SHA256 digest of the file at `path`, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


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
    if not enabled:
        return None
    from tqdm.auto import tqdm  # imported lazily: only needed when a download actually happens

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=True)


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
    """Download `url` to `dest` through a temp file in ``dest.parent``; verify; atomically rename into place.

    On any failure the temp file is deleted, `dest` is left untouched and :class:`DownloadError` is raised with
    expected vs got, what was done, and `next_step` appended.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    got = 0  # bytes received so far

    def fail(problem: str, done: str | None = None) -> DownloadError:
        if done is None:
            done = "the partial download was deleted" if got else "nothing was saved"
        return DownloadError(f"{problem}; {done} ({dest} was left unchanged).{next_step}")

    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (http/https/file by design)
            except urllib.error.HTTPError as exc:
                raise fail(
                    f"could not download {url}: expected HTTP 200, got HTTP {exc.code} {exc.reason}"
                ) from exc
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                raise fail(f"could not reach {url} ({reason}); expected a connection, got none") from exc
            with response:
                header = response.headers.get("Content-Length")
                announced = int(header) if header and header.isdigit() else None
                if announced is not None and expected_size is not None and announced != expected_size:
                    raise fail(
                        f"the server announced {announced:,} bytes for {url}, expected {expected_size:,} bytes"
                    )
                h = hashlib.sha256()
                bar = _progress_bar(announced or expected_size, dest.name, progress)
                try:
                    while True:
                        try:
                            block = response.read(CHUNK)
                        except (
                            OSError,
                            ValueError,
                            EOFError,
                            http.client.HTTPException,
                        ) as exc:  # reset, timeout
                            want = announced or expected_size
                            want_txt = f"{want:,}" if want is not None else "more"
                            raise fail(
                                f"the connection to {url} broke after {got:,} bytes "
                                f"(expected {want_txt} bytes): {exc!r}"
                            ) from exc
                        if not block:
                            break
                        out.write(block)
                        h.update(block)
                        got += len(block)
                        if bar is not None:
                            bar.update(len(block))
                finally:
                    if bar is not None:
                        bar.close()
        if announced is not None and got != announced:
            raise fail(f"the download of {url} is truncated: expected {announced:,} bytes, got {got:,} bytes")
        if expected_size is not None and got != expected_size:
            raise fail(
                f"the download of {url} has the wrong size: expected {expected_size:,} bytes, got {got:,}",
                "the downloaded file was deleted",
            )
        digest = h.hexdigest()
        if known_hash is not None and digest != known_hash.lower():
            raise fail(
                f"the download of {url} is corrupt: expected SHA256 {known_hash.lower()}, got {digest}",
                "the downloaded file was deleted",
            )
        tmp.chmod(0o644)  # mkstemp makes it private; the archive is ordinary data
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)  # no-op after a successful os.replace


def _inside(base: str, target: str) -> bool:
    """True when the normalised relative posix path `target` stays inside `base` ('' = archive root)."""
    joined = posixpath.normpath(posixpath.join(base, target)) if base else posixpath.normpath(target)
    return not (joined == ".." or joined.startswith("../") or joined.startswith("/"))


def check_members(tar: tarfile.TarFile, *, archive: str = "archive") -> list[tarfile.TarInfo]:
    """Return the members of `tar` after rejecting any that could write outside the extraction folder.

    Rejected: absolute names, names with a ``..`` component, symlinks or hardlinks whose target leaves the
    archive root, device files and FIFOs.  Raises :class:`UnsafeArchiveError` naming the member.
    """
    members = tar.getmembers()
    for m in members:
        name = m.name.replace("\\", "/")
        bad = None
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            bad = "has an absolute path"
        elif ".." in name.split("/"):
            bad = "contains a '..' component"
        elif m.isdev():
            bad = "is a device file or FIFO"
        elif m.issym():
            link = m.linkname.replace("\\", "/")
            if link.startswith("/") or not _inside(posixpath.dirname(name), link):
                bad = f"is a symlink pointing outside the archive ({m.linkname})"
        elif m.islnk():
            link = m.linkname.replace("\\", "/")
            if link.startswith("/") or not _inside("", link):
                bad = f"is a hardlink pointing outside the archive ({m.linkname})"
        elif not (m.isfile() or m.isdir()):
            bad = "has an unsupported member type"
        if bad:
            raise UnsafeArchiveError(
                f"refusing to extract {archive}: member {m.name!r} {bad}; expected only regular files and folders "
                "inside one top-level folder. Nothing was extracted. Delete the archive and download it again."
            )
    return members


def safe_extract(archive: Path, dest_parent: Path, top: str) -> Path:
    """Extract `archive` into a temp folder in `dest_parent`, then move its `top` folder to ``dest_parent/top``.

    Any existing ``dest_parent/top`` is replaced only after a complete, checked extraction.
    """
    dest_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest_parent, prefix=".extract-"))
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                members = check_members(tar, archive=str(archive))
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, members=members, **kwargs)
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, tarfile.FilterError):
                raise UnsafeArchiveError(
                    f"refusing to extract {archive}: {exc}. Nothing was extracted."
                ) from exc
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
