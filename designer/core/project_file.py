"""The project file: a versioned plain-data format, its migrations, and the weights beside it.

A project file (``.ndproj``) is a zip holding ``project.json`` (versioned plain data) and one
``.npy`` entry per weight array. Never pickle. Saving is atomic (a temporary file next to the
target, then a rename), and byte-for-byte repeatable; loading a damaged file or one from a
newer version raises :class:`ProjectError` and changes nothing. A plain ``.json`` project (no
weights) is read and written too, for hand-written samples.

This module knows the layout of the file and how older layouts map onto the current one (plain
dicts in, plain dicts out). What the settings sections *mean* (their typed form and checks) is
the application layer's: :mod:`designer.app.settings`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from designer.core import weights as wts
from designer.core.errors import GraphError, ProjectError
from designer.core.graph import LayerGraph

FORMAT = "network-designer-project"
VERSION = 2
EXTENSION = ".ndproj"
SECTIONS = ("data", "augmentation", "preprocessing", "training", "results")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass
class ProjectFile:
    """What a project file holds: the network (with its weights), a name, the settings
    sections as plain data (current layout) and who wrote the file."""

    graph: LayerGraph
    name: str
    sections: dict[str, dict[str, Any]]
    writer: dict[str, Any]


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
    if data.get("format") != FORMAT or not isinstance(version, int) or isinstance(version, bool):
        raise ProjectError("this is not a Network Designer project (no format/version header)")
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
        data[section] = project.sections.get(section, {})
    return data


def project_file_bytes(project: ProjectFile) -> bytes:
    """The exact bytes of the ``.ndproj`` file (deterministic for equal projects)."""
    payload = payload_for(project)
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


def _collect_weights(
    graph: LayerGraph, prefix: str, arrays: dict[str, np.ndarray]
) -> dict[str, Any]:
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


def write_project_file(project: ProjectFile, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically; a .json path writes plain JSON (no weights)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        if _collect_weights(project.graph, "", {}):
            raise ProjectError(f"{path.name}: a .json project cannot hold weights; use {EXTENSION}")
        content = _dump_json(payload_for(project))
    else:
        content = project_file_bytes(project)
    _atomic_write(path, content)
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
def read_project_file(path: str | Path) -> ProjectFile:
    """Read and migrate a project file; raises ProjectError for a missing, damaged or future
    file. The sections come back as plain data in the current layout, unchecked."""
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
    except (GraphError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProjectError(f"{path.name}: the network in the file is damaged: {exc}") from exc
    if arrays is not None:
        _attach_weights(graph, "", payload.get("weights", {}), arrays, path)
    sections = {s: payload[s] if isinstance(payload.get(s), dict) else {} for s in SECTIONS}
    writer = payload.get("writer")
    if not isinstance(writer, dict):
        writer = {}
    return ProjectFile(graph, str(payload.get("name", path.stem)), sections, writer)


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


def _attach_weights(
    graph: LayerGraph, prefix: str, index: dict[str, Any], archive: zipfile.ZipFile, path: Path
) -> None:
    for node in graph.nodes:
        key = f"{prefix}{node.id}"
        if node.subgraph is not None:
            _attach_weights(node.subgraph, key + "/", index, archive, path)
            continue
        entry = index.get(key)
        if not entry:
            continue
        try:
            values = [
                np.load(io.BytesIO(archive.read(f"weights/{key}/{i}.npy")), allow_pickle=False)
                for i in range(int(entry["count"]))
            ]
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ProjectError(
                f"{path.name}: the weights of '{node.name}' are damaged: {exc}"
            ) from exc
        node.weights, node.weights_sig = values, entry.get("signature")
