"""The project file: a versioned plain-data format, its migrations, and the weights beside it.

A project file (``.ndproj``) is a zip holding ``project.json`` (versioned plain data) and one
``.npy`` entry per weight array. Never pickle. Saving is atomic (a temporary file next to the
target, then a rename: a save killed at any moment leaves the old or the new file, and its
temporary is removed by the next save or load), keeps the file's permissions, and is
byte-for-byte repeatable. A plain ``.json`` project (no weights) is read and written too, for
hand-written samples.

Files are untrusted input. Loading a damaged file, one from a newer version or one that does
not fit the layout raises :class:`ProjectError` with one sentence and changes nothing: the zip
is measured before it is read (entries, unpacked size against the file's), the JSON is read
with limits (nesting, integers, no NaN), the network's layout is checked field by field, and
every ``.npy`` header before its array is allocated. Layers that would run code or an outside
graph are refused unless the user allows them (:mod:`designer.core.layers`). Weights that do
not fit their layer are dropped with a note (:attr:`ProjectFile.notes`), never silently.

This module knows the layout of the file and how older layouts map onto the current one (plain
dicts in, plain dicts out). What the settings sections *mean* (their typed form and checks) is
the application layer's: :mod:`designer.app.settings`.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from designer.core import layers
from designer.core import weights as wts
from designer.core.errors import GraphError, ProjectError
from designer.core.file_checks import (
    ZIP_ERRORS,
    check_archive,
    check_graph_data,
    parse_json,
    read_member,
    reason,
)
from designer.core.graph import LayerGraph

FORMAT = "network-designer-project"
VERSION = 2
EXTENSION = ".ndproj"
SECTIONS = (
    "data",
    "augmentation",
    "preprocessing",
    "training",
    "results",
    "experiment",
    "detection",
    "custom_code",
)
# written only when not empty: older files stay the same
OPTIONAL_SECTIONS = ("experiment", "detection", "custom_code")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass
class ProjectFile:
    """What a project file holds: the network (with its weights), a name, the settings
    sections as plain data (current layout) and who wrote the file."""

    graph: LayerGraph
    name: str
    sections: dict[str, dict[str, Any]]
    writer: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # what the reader had to leave out, and why


def writer_info() -> dict[str, str]:
    """The application and Keras versions that write a file (as Keras' own metadata does)."""
    import keras

    try:
        app_version = metadata.version("network-designer")
    except metadata.PackageNotFoundError:
        app_version = "unknown"
    return {
        "application": "network-designer",
        "version": app_version,
        "keras_version": keras.__version__,
    }


# ----------------------------------------------------------------------------- migrations
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 let each reader guess the sections' layout; version 2 has one layout each."""
    data = dict(data)
    data["data"] = _normalise_data(_dict_or_empty(data.get("data")))
    data["preprocessing"] = _normalise_preprocessing(_dict_or_empty(data.get("preprocessing")))
    training = _dict_or_empty(data.get("training"))
    aliases = {"learning_rate": "initial_learn_rate", "batch_size": "mini_batch_size"}
    data["training"] = {aliases.get(k, k): v for k, v in training.items()}
    for key in ("augmentation", "results"):
        data[key] = _dict_or_empty(data.get(key))
    return data


def _dict_or_empty(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _normalise_data(data: dict[str, Any]) -> dict[str, Any]:
    """``{"source": <datastore config or None>, "split": <split config>}`` from the forms that
    version 1 accepted: that form, a bare datastore config (with an optional "split"), and the
    hand-written samples' ``{"kind": "synthetic_digits", "samples", "seed", "validation_split"}``."""
    if not data:
        return {"source": None, "split": {}}
    split = data.pop("split", None)
    fraction = data.pop("validation_split", None)
    if "source" in data:
        source = data.pop("source")
        extra = data  # left for the typed section to refuse with a clear message
    elif data.get("kind") == "synthetic_digits":
        source = {
            "kind": "synthetic",
            "charset": "digits",
            "num_samples": data.get("samples", 2000),
            "seed": data.get("seed", 0),
        }
        extra = {}
    else:
        source, extra = data, {}
    if not isinstance(split, dict):
        split = {}
        if fraction is not None:
            split = {
                "validation_percent": fraction * 100.0
                if isinstance(fraction, int | float)
                else fraction,
                "seed": data.get("seed", 0),
            }
    return {"source": source, "split": split, **extra}


def _normalise_preprocessing(pre: dict[str, Any]) -> dict[str, Any]:
    """Version 1 stored the whole derived preprocessing; version 2 only what the user chose
    (resize mode, value scaling) and the zoo network's keras.applications module."""
    if not pre:
        return {}
    out: dict[str, Any] = {}
    module = pre.get("module") or pre.get("preprocess_module")
    if module:
        out["module"] = module
    for key in ("resize_mode", "rescale"):
        if key in pre:
            out[key] = pre[key]
    return out


# version -> function that upgrades a dict of that version to version + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring project data of an older version up to :data:`VERSION`."""
    version = data.get("version")
    if data.get("format") != FORMAT:
        raise ProjectError("this is not a Network Designer project (no format/version header)")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ProjectError(
            f"expected the project format version as an integer, received {version!r}"
        )
    if version > VERSION:
        raise ProjectError(
            f"the project was written by a newer Network Designer (format version {version}); "
            f"this version reads up to {VERSION}: please update the application"
        )
    if version < min(MIGRATIONS):
        raise ProjectError(
            f"expected a project format version from {min(MIGRATIONS)} to "
            f"{VERSION}, received {version}"
        )
    while version < VERSION:
        data = MIGRATIONS[version](data)
        version = data["version"] = version + 1
    return data


# ----------------------------------------------------------------------------- saving
def payload_for(project: ProjectFile) -> dict[str, Any]:
    """The ``project.json`` content of ``project`` (weights listed, not included)."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "writer": dict(project.writer),
        "graph": project.graph.to_dict(),
    }
    for section in SECTIONS:
        value = project.sections.get(section, {})
        if value or section not in OPTIONAL_SECTIONS:
            data[section] = value
    return data


def project_file_bytes(project: ProjectFile) -> bytes:
    """The exact bytes of the ``.ndproj`` file (deterministic for equal projects)."""
    payload = payload_for(project)
    arrays: dict[str, np.ndarray] = {}
    payload["weights"] = wts.collect_arrays(project.graph, arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "project.json", _dump_json(payload), zipfile.ZIP_DEFLATED)
        for name in sorted(arrays):
            raw = io.BytesIO()
            np.save(raw, arrays[name], allow_pickle=False)
            _write(archive, name, raw.getvalue(), zipfile.ZIP_STORED)
    return buffer.getvalue()


def _dump_json(payload: dict[str, Any]) -> bytes:
    try:
        return json.dumps(payload, indent=1, sort_keys=True, allow_nan=False).encode()
    except (ValueError, TypeError, RecursionError) as exc:
        raise ProjectError(f"cannot save the project: a value is not plain data: {exc}") from exc


def _write(archive: zipfile.ZipFile, name: str, content: bytes, method: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    archive.writestr(info, content)


def write_project_file(project: ProjectFile, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically; a .json path writes plain JSON (no weights)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        if wts.collect_arrays(project.graph, {}):
            raise ProjectError(f"{path.name}: a .json project cannot hold weights; use {EXTENSION}")
        content = _dump_json(payload_for(project))
    else:
        content = project_file_bytes(project)
    _atomic_write(path, content)
    return path


def _atomic_write(path: Path, content: bytes) -> None:
    """A temporary file beside ``path`` (named after this process), written and flushed to
    disk, then renamed over it: readers see the old file or the new one, never half of one.
    The file keeps its permissions (a new one gets the usual ones under the umask)."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ProjectError(f"cannot save to {path}: the folder {directory} does not exist")
    clean_stale_temporaries(path)
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except OSError:
        mode = None  # a new file: 0o666 less the umask, as open() gives
    tmp = directory / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise ProjectError(f"cannot save to {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ProjectError(f"cannot save to {path}: {exc.strerror}") from exc
    fsync_folder(directory)


def fsync_folder(folder: str | Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporaries_of(path: Path) -> list[Path]:
    """The temporary files that saves of ``path`` make beside it (also older versions')."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[^/\\]+\.tmp$")
    try:
        return [p for p in path.parent.iterdir() if pattern.match(p.name)]
    except OSError:
        return []


def clean_stale_temporaries(path: str | Path) -> int:
    """Remove temporaries of ``path`` left by saves that were killed (their process is gone;
    older versions' unnamed ones too); returns how many were removed."""
    removed = 0
    for tmp in temporaries_of(Path(path)):
        owner = re.match(r"^(\d+)-[0-9a-f]+$", tmp.name[len(Path(path).name) + 2 : -4])
        if owner is not None and _running(int(owner.group(1))):
            continue  # a save in progress, in this process or another
        try:
            tmp.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _running(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill(pid, 0) would end it there: leave such files alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    except (OverflowError, ValueError):
        return False  # not a process id at all
    return True


# ----------------------------------------------------------------------------- loading
def read_project_file(
    path: str | Path,
    allow_unsafe: bool = False,
    graph_filter: Callable[[Any], Any] | None = None,
) -> ProjectFile:
    """Read and migrate a project file; raises ProjectError for a missing, damaged or future
    file, and its UnsafeModelError for layers that run code or an outside graph unless
    ``allow_unsafe`` (the user's consent, then recorded). The sections come back as plain
    data in the current layout, unchecked; ``notes`` say what had to be left out.
    ``graph_filter`` changes the network's plain data before it is read (stand-ins for layers
    whose classes are not loaded, :func:`designer.core.unrepresented.stand_in_graph`)."""
    path = Path(path)
    clean_stale_temporaries(path)
    try:
        with path.open("rb") as handle:
            zipped = handle.read(2) == b"PK"
            if zipped:
                return _read_zip(path, handle, allow_unsafe, graph_filter)
            handle.seek(0)
            raw = handle.read()
    except OSError as exc:
        raise ProjectError(f"cannot open {path}: {exc.strerror or exc}") from exc
    return _contents(path, parse_json(raw, path.name), None, allow_unsafe, graph_filter)


def _read_zip(
    path: Path, handle: Any, allow_unsafe: bool, graph_filter: Callable[[Any], Any] | None
) -> ProjectFile:
    size = os.fstat(handle.fileno()).st_size
    try:
        archive = zipfile.ZipFile(handle)
    except ZIP_ERRORS as exc:
        raise ProjectError(f"{path.name} is damaged or not a project file: {reason(exc)}") from exc
    with archive:
        check_archive(archive, path.name, size)
        payload = parse_json(read_member(archive, "project.json", path.name), path.name)
        return _contents(path, payload, archive, allow_unsafe, graph_filter)


def _contents(
    path: Path,
    payload: Any,
    archive: zipfile.ZipFile | None,
    allow_unsafe: bool,
    graph_filter: Callable[[Any], Any] | None = None,
) -> ProjectFile:
    if not isinstance(payload, dict):
        raise ProjectError(f"{path.name} is not a project file: expected a JSON object")
    try:
        payload = migrate(payload)
    except ProjectError as exc:
        raise ProjectError(f"{path.name}: {exc}") from exc
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ProjectError(
            f"{path.name}: the settings in the file are damaged: {reason(exc)}"
        ) from exc
    name = payload.get("name", path.stem)
    if not isinstance(name, str):
        raise ProjectError(f"{path.name}: expected the project name as a text, received {name!r}")
    graph_data = payload.get("graph", {})
    if graph_filter is not None:
        graph_data = graph_filter(graph_data)
    try:
        check_graph_data(graph_data)
        graph = LayerGraph.from_dict(graph_data)
    except (GraphError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise ProjectError(
            f"{path.name}: the network in the file is damaged: {reason(exc, 300)}"
        ) from exc
    if allow_unsafe:
        layers.trust(graph)
    layers.refuse_untrusted(graph, path.name)
    notes: list[str] = []
    if archive is not None:
        index = payload.get("weights", {})
        if not isinstance(index, dict):
            raise ProjectError(
                f"{path.name}: the weights index is damaged: expected an object, received "
                f"{type(index).__name__}"
            )
        notes += wts.attach_stored(
            graph, index, lambda member: read_member(archive, member, path.name), path.name
        )
        notes += wts.drop_misfits(graph)
    for section in SECTIONS:
        if not isinstance(payload.get(section, {}), dict | None):
            raise ProjectError(
                f"{path.name}: expected the '{section}' section to be an object, received "
                f"{type(payload[section]).__name__}"
            )
    sections = {s: payload.get(s) or {} for s in SECTIONS}
    writer = payload.get("writer")
    return ProjectFile(graph, name, sections, writer if isinstance(writer, dict) else {}, notes)
