"""Project = graph + data + augmentation + training options + results; the file format.

A project file (``.ndproj``) is a zip holding ``project.json`` (versioned plain data) and one
``.npy`` entry per weight array. Never pickle. Saving is atomic (a temporary file next to the
target, then a rename), and byte-for-byte repeatable; loading a damaged file or one from a
newer version raises :class:`ProjectError` and changes nothing. A plain ``.json`` project (no
weights) is read and written too, for hand-written samples.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from designer.core import weights as wts
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph

FORMAT = "network-designer-project"
VERSION = 1
EXTENSION = ".ndproj"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SECTIONS = ("data", "augmentation", "preprocessing", "training", "results")


class ProjectError(Exception):
    """A project file that cannot be read or written; the message says why."""


@dataclass
class Project:
    """Everything a user works on: the network and the settings around it."""

    graph: LayerGraph = field(default_factory=LayerGraph)
    name: str = "untitled"
    data: dict[str, Any] = field(default_factory=dict)
    augmentation: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    import_notes: list[str] = field(default_factory=list)  # shown after opening; not saved

    def to_dict(self) -> dict[str, Any]:
        """The project as versioned plain data (weights listed, not included)."""
        data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": self.name,
                                "graph": self.graph.to_dict()}  # fmt: skip
        for section in SECTIONS:
            data[section] = getattr(self, section)
        return data


# ----------------------------------------------------------------------------- migrations
# version -> function that upgrades a dict of that version to version + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring project data of an older version up to :data:`VERSION`."""
    version = data.get("version")
    if data.get("format") != FORMAT or not isinstance(version, int):
        raise ProjectError("this is not a Network Designer project (no format/version header)")
    if version > VERSION:
        raise ProjectError(
            f"the project was written by a newer Network Designer (format version {version}); "
            f"this version reads up to {VERSION}: please update the application"
        )
    while version < VERSION:
        data = MIGRATIONS[version](data)
        version = data["version"] = version + 1
    return data


# ----------------------------------------------------------------------------- saving
def project_bytes(project: Project) -> bytes:
    """The exact bytes of the project file (deterministic for equal projects)."""
    payload = project.to_dict()
    arrays: dict[str, np.ndarray] = {}
    payload["weights"] = _collect_weights(project.graph, "", arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "project.json", _dump_json(payload), zipfile.ZIP_DEFLATED)
        for name in sorted(arrays):
            raw = io.BytesIO()
            np.save(raw, arrays[name], allow_pickle=False)
            _write(archive, name, raw.getvalue(), zipfile.ZIP_STORED)
    return buffer.getvalue()


def _dump_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=1, sort_keys=True, allow_nan=False).encode()


def _write(archive: zipfile.ZipFile, name: str, content: bytes, method: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    archive.writestr(info, content)


def _collect_weights(graph: LayerGraph, prefix: str,
                     arrays: dict[str, np.ndarray]) -> dict[str, Any]:  # fmt: skip
    """Weight arrays of nodes whose weights still fit them; returns the index for the JSON."""
    index: dict[str, Any] = {}
    for node in graph.nodes:
        key = f"{prefix}{node.id}"
        if node.subgraph is not None:
            index.update(_collect_weights(node.subgraph, key + "/", arrays))
        elif wts.usable(node):
            values = wts.weight_arrays(node.weights) or []
            for i, value in enumerate(values):
                arrays[f"weights/{key}/{i}.npy"] = np.asarray(value)
            index[key] = {"count": len(values), "signature": node.weights_sig}
    return index


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically; a .json path writes plain JSON (no weights)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        payload = project.to_dict()
        if _collect_weights(project.graph, "", {}):
            raise ProjectError(f"{path.name}: a .json project cannot hold weights; use "
                               f"{EXTENSION}")  # fmt: skip
        content = _dump_json(payload)
    else:
        content = project_bytes(project)
    _atomic_write(path, content)
    project.path = path
    return path


def _atomic_write(path: Path, content: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ProjectError(f"cannot save to {path}: the folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ProjectError(f"cannot save to {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ProjectError(f"cannot save to {path}: {exc.strerror}") from exc


# ----------------------------------------------------------------------------- loading
def load_project(path: str | Path) -> Project:
    """Read a project file; raises ProjectError for a missing, damaged or future file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if raw[:2] == b"PK":
        payload, arrays = _read_zip(path, raw)
    else:
        payload, arrays = _parse_json(path, raw), None
    payload = migrate(payload)
    try:
        graph = LayerGraph.from_dict(payload.get("graph", {}))
    except (GraphError, TypeError, ValueError, KeyError) as exc:
        raise ProjectError(f"{path.name}: the network in the file is damaged: {exc}") from exc
    if arrays is not None:
        _attach_weights(graph, "", payload.get("weights", {}), arrays, path)
    project = Project(graph=graph, name=str(payload.get("name", path.stem)), path=path)
    for section in SECTIONS:
        value = payload.get(section, {})
        setattr(project, section, value if isinstance(value, dict) else {})
    return project


def _parse_json(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProjectError(f"{path.name} is damaged or not a project file: {exc}") from exc
    if not isinstance(payload, dict):
        raise ProjectError(f"{path.name} is not a project file: expected a JSON object")
    return payload


def _read_zip(path: Path, raw: bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        bad = archive.testzip()
        if bad is not None:
            raise ProjectError(f"{path.name} is damaged: the entry {bad} fails its checksum")
        payload = _parse_json(path, archive.read("project.json"))
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ProjectError(f"{path.name} is damaged or not a project file: {exc}") from exc
    return payload, archive


def _attach_weights(graph: LayerGraph, prefix: str, index: dict[str, Any],
                    archive: zipfile.ZipFile, path: Path) -> None:  # fmt: skip
    for node in graph.nodes:
        key = f"{prefix}{node.id}"
        if node.subgraph is not None:
            _attach_weights(node.subgraph, key + "/", index, archive, path)
            continue
        entry = index.get(key)
        if not entry:
            continue
        try:
            values = [np.load(io.BytesIO(archive.read(f"weights/{key}/{i}.npy")),
                              allow_pickle=False) for i in range(int(entry["count"]))]  # fmt: skip
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ProjectError(f"{path.name}: the weights of '{node.name}' are damaged: {exc}") \
                from exc
        node.weights, node.weights_sig = values, entry.get("signature")
