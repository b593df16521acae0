"""Where pretrained weights come from: Keras cache, then a mirror, then the official origin.

- Cache: keras' cache folder ($KERAS_HOME or ~/.keras, sub-folder ``models``), so files a user
  already downloaded with keras.applications are reused as they are.
- Mirror: a base URL (http, https, file) or a local folder holding the same file names, set
  with :func:`set_mirror` or the environment variable ``ND_WEIGHTS_MIRROR``.
- Official origin: the URL keras.applications uses, unless offline (:func:`set_offline` or
  ``ND_WEIGHTS_OFFLINE=1``).
Every file received is checked (size, published hash, HDF5 signature) before it is cached.
Functions here take the ZooEntry itself, never a name: designer.zoo.api looks names up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from designer.core.progress import CancelToken, ProgressCallback
from designer.zoo.download import (
    SourceMissing,
    WeightsCorrupted,
    WeightsError,
    WeightsUnavailable,
    fetch,
    file_digest,
    hash_algorithm,
)
from designer.zoo.entry import WeightsFile, ZooEntry

ENV_MIRROR = "ND_WEIGHTS_MIRROR"
ENV_OFFLINE = "ND_WEIGHTS_OFFLINE"

_settings: dict[str, Any] = {"mirror": None, "offline": None}
_verified: dict[tuple[str, int, float], str] = {}  # (path, size, mtime) -> hash that matched


def set_mirror(mirror: str | os.PathLike | None) -> None:
    """Use ``mirror`` (base URL or local folder) before the official origin; None: use the env."""
    _settings["mirror"] = None if mirror is None else str(mirror)


def get_mirror() -> str | None:
    """The configured mirror: set_mirror's value, else $ND_WEIGHTS_MIRROR, else None."""
    return _settings["mirror"] or os.environ.get(ENV_MIRROR) or None


def set_offline(offline: bool | None) -> None:
    """Never contact the official origin when True; None: follow $ND_WEIGHTS_OFFLINE."""
    _settings["offline"] = offline


def is_offline() -> bool:
    """True when downloads from the official origin are disabled."""
    if _settings["offline"] is not None:
        return bool(_settings["offline"])
    return os.environ.get(ENV_OFFLINE, "").lower() in ("1", "true", "yes")


def keras_cache_dir() -> Path:
    """Keras' cache folder, read at call time: $KERAS_HOME, else ~/.keras (or /tmp/.keras)."""
    if os.environ.get("KERAS_HOME"):
        return Path(os.environ["KERAS_HOME"]).expanduser()
    home = Path.home()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def cached_path(weights_file: WeightsFile) -> Path:
    """Where this file lives in the Keras cache (whether or not it is there)."""
    return keras_cache_dir() / weights_file.cache_subdir / weights_file.file_name


def _hash_ok(path: Path, file_hash: str | None) -> bool:
    if not file_hash:
        return True
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime)
    if _verified.get(key) == file_hash:
        return True
    if file_digest(path, hash_algorithm(file_hash)) == file_hash.lower():
        _verified[key] = file_hash
        return True
    return False


def mirror_source(mirror: str, file_name: str) -> str:
    """The address of ``file_name`` on a mirror given as a base URL or a local folder."""
    if "://" in mirror:
        return mirror.rstrip("/") + "/" + file_name
    return str(Path(mirror).expanduser() / file_name)


def resolve_file(
    weights_file: WeightsFile,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Return a verified local copy of ``weights_file``: cache, else mirror, else official."""
    target = cached_path(weights_file)
    problems: list[str] = []
    if target.is_file():
        if _hash_ok(target, weights_file.file_hash):
            return target
        problems.append(f"cache: {target} does not match its published hash (ignored)")
    sources = []
    mirror = get_mirror()
    if mirror:
        sources.append(("mirror", mirror_source(mirror, weights_file.file_name)))
    if not is_offline():
        sources.append(("official", weights_file.origin))
    else:
        problems.append("official: downloads are disabled (offline mode)")
    corrupted = None
    for label, source in sources:
        try:
            return fetch(source, target, weights_file.file_hash, progress, cancel)
        except SourceMissing as exc:
            problems.append(f"{label}: {exc}")
        except WeightsCorrupted as exc:
            corrupted = exc
            problems.append(f"{label}: {exc}")
    tried = "\n  ".join(problems) or "no source configured"
    text = (
        f"pretrained weights file {weights_file.file_name!r} is not available.\n  {tried}\n"
        f"Put the file in {target.parent} (download it from {weights_file.origin}), or set a "
        f"mirror with ${ENV_MIRROR}; the network can still be opened with random weights."
    )
    raise (WeightsCorrupted(text) if corrupted else WeightsUnavailable(text))


def _expect_entry(entry: object) -> ZooEntry:
    if not isinstance(entry, ZooEntry):
        raise TypeError(
            f"expected a ZooEntry; received {entry!r} (designer.zoo.resolve_weights and "
            "designer.zoo.is_cached also accept a name)"
        )
    return entry


def resolve_weights(
    entry: ZooEntry,
    include_top: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    input_shape: tuple[int, ...] | None = None,
    **options: Any,
) -> Path:
    """Path of the pretrained weights of ``entry``, fetched and verified when needed."""
    entry = _expect_entry(entry)
    if entry.bundled_weights:
        path = Path(entry.bundled_weights)
        if not path.is_file():
            raise WeightsUnavailable(f"bundled weights of {entry.name!r} missing: expected {path}")
        return path
    weights_file = entry.weights_file(include_top, input_shape, **options)
    if weights_file is None:
        raise WeightsUnavailable(
            f"{entry.display_name} has no pretrained weights for include_top={include_top}, "
            f"options={options or {}}; expected weights=None (random) or a weights file path"
        )
    return resolve_file(weights_file, progress, cancel)


def is_cached(entry: ZooEntry, include_top: bool = True, **options: Any) -> bool:
    """True when the entry's weights file is already in the Keras cache (not verified here)."""
    entry = _expect_entry(entry)
    if entry.bundled_weights:
        return Path(entry.bundled_weights).is_file()
    weights_file = entry.weights_file(include_top, **options)
    return weights_file is not None and cached_path(weights_file).is_file()


__all__ = [
    "WeightsCorrupted",
    "WeightsError",
    "WeightsUnavailable",
    "cached_path",
    "get_mirror",
    "is_cached",
    "is_offline",
    "keras_cache_dir",
    "resolve_file",
    "resolve_weights",
    "set_mirror",
    "set_offline",
]
