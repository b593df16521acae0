"""Fetch one file (HTTP(S), file:// URL or local path) into a cache folder, safely.

The file is streamed to a temporary name beside its destination, its size and hash are
checked, and only then is it renamed into place: a truncated or corrupted file is never
cached. Progress and cooperative cancel go through designer.core.progress.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from designer.core.progress import CancelToken, ProgressCallback, ProgressReporter

CHUNK = 1 << 20


class WeightsError(Exception):
    """Base class of the zoo's weights errors."""


class WeightsUnavailable(WeightsError):
    """No source could provide the weights file (offline, not cached, not mirrored)."""


class WeightsCorrupted(WeightsUnavailable):
    """A file was received but its size or checksum is wrong; it was not cached."""


class SourceMissing(WeightsError):
    """One source does not have the file or cannot be reached (the next source is tried)."""


def hash_algorithm(file_hash: str) -> str:
    """'sha256' for 64 hex digits, else 'md5' (the convention of keras.utils.get_file)."""
    return "sha256" if len(file_hash) == 64 else "md5"


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(source: str, timeout: float):
    """Return (stream, total bytes or 0, description) for a URL or a local path."""
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme in ("http", "https", "file"):
        try:
            response = urllib.request.urlopen(source, timeout=timeout)
        except urllib.error.HTTPError as exc:
            raise SourceMissing(f"{source}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceMissing(f"{source}: cannot connect ({reason})") from exc
        total = int(response.headers.get("Content-Length") or 0)
        return response, total, parsed.netloc or source
    path = Path(source)
    if not path.is_file():
        raise SourceMissing(f"{source}: no such file")
    return open(path, "rb"), path.stat().st_size, str(path.parent)


def fetch(
    source: str,
    dest: Path,
    file_hash: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
) -> Path:
    """Copy ``source`` to ``dest`` through a checked temporary file; return ``dest``.

    Raises SourceMissing when the source lacks the file, WeightsCorrupted on a bad size or
    checksum (nothing is written to ``dest``), Cancelled when ``cancel`` fires.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    report = ProgressReporter(progress, cancel)
    algorithm = hash_algorithm(file_hash) if file_hash else "sha256"
    digest = hashlib.new(algorithm)
    stream, total, where = _open(source, timeout)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    received = 0
    message = f"Downloading {dest.name} from {where}"
    try:
        with stream, os.fdopen(fd, "wb") as out:
            report(0, total, message, force=True)
            while True:
                try:
                    block = stream.read(CHUNK)
                except (OSError, urllib.error.URLError) as exc:
                    raise WeightsCorrupted(
                        f"download of {dest.name} from {where} broke after {received} bytes "
                        f"({exc}); the file was not cached"
                    ) from exc
                if not block:
                    break
                out.write(block)
                digest.update(block)
                received += len(block)
                report(received, total, message)
        if total and received != total:
            raise WeightsCorrupted(
                f"download of {dest.name} from {where} is truncated: expected {total} bytes, "
                f"received {received}; the file was not cached"
            )
        if file_hash and digest.hexdigest() != file_hash.lower():
            raise WeightsCorrupted(
                f"checksum mismatch for {dest.name} from {where}: expected {algorithm} "
                f"{file_hash}, received {digest.hexdigest()}; the file was not cached"
            )
        if dest.suffix == ".h5" and not _looks_like_hdf5(tmp):
            raise WeightsCorrupted(
                f"{dest.name} from {where} is not an HDF5 file (expected the HDF5 signature, "
                f"received {received} bytes of something else); the file was not cached"
            )
        os.replace(tmp, dest)
        report(received, received or 1, f"Downloaded {dest.name}", force=True)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()


def _looks_like_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head == b"\x89HDF\r\n\x1a\n"


def copy_file(src: Path, dest: Path) -> Path:
    """Atomically copy a local file into place (temporary name, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp_name)
        os.replace(tmp_name, dest)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return dest
