"""Opening files: projects, and Keras model files (.keras, .h5, SavedModel folders) as projects.

Model files are untrusted input like project files: what they are is said plainly (a folder, an
empty or truncated file, not a zip), a ``.keras`` zip is measured before Keras unpacks it, and
its configuration is read with limits and searched for layers that run code or an outside graph
(a Lambda function, a TFSMLayer): those need the user's consent (``allow_unsafe``), Keras' safe
mode otherwise. Opening a SavedModel folder is the user's consent for that folder. A model that
uses custom classes no loaded code defines is refused naming them (UnknownClassesError), and one
opened with loaded custom code remembers its files in the project
(:mod:`designer.app.custom_code`).
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

from designer.app import custom_code
from designer.app.custom_code import UnknownClassesError, unknown_classes, unknown_message
from designer.app.h5_probe import refuse_if_hdf5_hangs
from designer.app.project import EXTENSION, Project, ProjectError, load_project
from designer.app.settings import CustomCodeSection
from designer.core.file_checks import ZIP_ERRORS, check_archive, parse_json, read_member, reason
from designer.core.layers import UnsafeModelError, trust
from designer.core.layout import auto_layout
from designer.core.unrepresented import UNREPRESENTED
from designer.resources import RESOURCES_DIR

__all__ = [
    "MODEL_SUFFIXES",
    "UnknownClassesError",
    "UnsafeModelError",
    "describe_unsafe",
    "is_model_path",
    "load_model_file",
    "open_path",
    "project_from_model",
]

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def is_model_path(path: str | Path) -> bool:
    """True for .keras/.h5 files and SavedModel folders."""
    path = Path(path)
    return path.suffix.lower() in MODEL_SUFFIXES or (path / "saved_model.pb").exists()


def load_model_file(path: str | Path, allow_unsafe: bool = False) -> Any:
    """Load a Keras model file; code inside it (Lambda layers, SavedModel graphs) is loaded only
    if ``allow_unsafe``. ProjectError (UnsafeModelError for code) says what the file is."""
    return _load_model(Path(path), allow_unsafe)[0]


def _load_model(path: Path, allow_unsafe: bool) -> tuple[Any, list[str], list[Path]]:
    """The model, what Keras warned about while loading it (weights it could not restore) and
    the loaded custom code files that define classes it uses."""
    import keras

    if (path / "saved_model.pb").exists():
        return saved_model_as_keras(path), [], []
    config = _model_config(path)
    unsafe = describe_unsafe(config)
    if unsafe and not allow_unsafe:
        raise UnsafeModelError(
            f"{path.name} contains code that runs when it is loaded: {'; '.join(unsafe)}. Open "
            f"it only if you trust its source"
        )
    unknown = unknown_classes(config)
    if any(custom_code.is_certain(name) for name in unknown):
        raise UnknownClassesError(unknown_message(path.name, unknown), unknown, config)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(
                path,
                compile=False,
                safe_mode=not allow_unsafe,
                custom_objects=custom_code.custom_objects() or None,
            )
    except Exception as exc:  # Keras' loaders raise anything on a damaged file
        if unknown:  # legacy names that Keras did not know either
            raise UnknownClassesError(unknown_message(path.name, unknown), unknown, config) from exc
        if "safe_mode" in str(exc):
            raise UnsafeModelError(
                f"{path.name} contains code that Keras' safe mode refuses: {reason(exc)}"
            ) from exc
        raise ProjectError(
            f"{path.name} is damaged or not a Keras model Network Designer can read: {reason(exc)}"
        ) from exc
    notes = [f"Keras, loading {path.name}: {reason(w.message)}" for w in caught]
    return model, list(dict.fromkeys(notes)), custom_code.code_files_for(config)


def _model_config(path: Path) -> Any:
    """The model configuration of a .keras or .h5 file, read with limits; ProjectError says
    what the file is when it is not a readable model file."""
    if not path.exists():
        raise ProjectError(f"cannot open {path}: no such file")
    if path.is_dir():
        raise ProjectError(
            f"{path.name} is a folder, not a Keras model file: expected a .keras or .h5 file, "
            f"or a SavedModel folder (one with saved_model.pb)"
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            start = handle.read(8)
    except OSError as exc:
        raise ProjectError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if size == 0:
        raise ProjectError(f"{path.name} is empty (0 bytes): expected a Keras model file")
    if path.suffix.lower() != ".keras":
        return _h5_config(path, start)
    if start[:2] != b"PK":
        raise ProjectError(
            f"{path.name} is not a .keras model: expected a zip archive, received {size:,} "
            f"bytes starting with {start[:4]!r}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive, path.name, size)
            raw = read_member(archive, "config.json", path.name)
            weights = "model.weights.h5" in archive.namelist()
    except ZIP_ERRORS as exc:
        raise ProjectError(
            f"{path.name} is truncated or damaged: expected a complete .keras zip archive "
            f"({reason(exc)})"
        ) from exc
    config = parse_json(raw, f"{path.name} (config.json)")
    if weights:
        refuse_if_hdf5_hangs(path, "model.weights.h5")
    return config


def _h5_config(path: Path, start: bytes) -> Any:
    import h5py

    if not h5py.is_hdf5(str(path)):
        raise ProjectError(
            f"{path.name} is not an HDF5 model: expected an .h5 file, received bytes starting "
            f"with {start[:4]!r}"
        )
    refuse_if_hdf5_hangs(path)
    try:
        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
    except Exception as exc:  # h5py raises OSError, KeyError, RuntimeError... on damage
        raise ProjectError(
            f"{path.name} is truncated or damaged: expected a complete HDF5 model file "
            f"({reason(exc)})"
        ) from exc
    if raw is None:
        raise ProjectError(
            f"{path.name} holds no model: expected an .h5 file written by model.save (a "
            f"weights-only file has no model configuration)"
        )
    text = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
    return parse_json(text, f"{path.name} (model_config)")


def describe_unsafe(config: Any) -> list[str]:
    """One phrase per layer of a serialized model that runs code or an outside graph when
    loaded: a Lambda holding a Python function (bytecode), a TFSMLayer (a SavedModel graph)."""
    found: list[str] = []
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("class_name")
            config_value = item.get("config")
            inner: dict[str, Any] = config_value if isinstance(config_value, dict) else {}
            name = inner.get("name", "?")
            if kind == "TFSMLayer":
                where = inner.get("filepath", "?")
                found.append(
                    f"the layer '{name}' (TFSMLayer) loads the SavedModel graph at {where}"
                )
            elif kind == "Lambda" and (
                _holds_code(inner) or inner.get("function_type") == "lambda"
            ):
                found.append(f"the layer '{name}' (Lambda) holds Python code")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if not found and _holds_code(config):
        found.append("a serialized Python function")
    return list(dict.fromkeys(reversed(found)))


def _holds_code(value: Any) -> bool:
    """True when a serialized Python function (Keras' ``__lambda__``) is somewhere inside."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "__lambda__":
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def saved_model_as_keras(path: Path, endpoint: str = "serving_default") -> Any:
    """A Keras model around a SavedModel folder: its Inputs and one opaque TFSMLayer node.

    The layers inside a SavedModel cannot be recovered as Keras layers (it holds a TensorFlow
    graph), so the network opens as one block that runs, can be frozen, given a new head and
    exported; the import notes say so.
    """
    import keras
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
        signature = loaded.signatures[endpoint]
        specs = signature.structured_input_signature[1]
    except Exception as exc:  # TensorFlow raises its own errors on a damaged folder
        raise ProjectError(
            f"{path.name} is not a usable SavedModel (no '{endpoint}' signature): {reason(exc)}"
        ) from exc
    if len(specs) != 1:
        raise ProjectError(
            f"{path.name}: the designer opens SavedModels with one input; this "
            f"one has {len(specs)} ({', '.join(specs)})"
        )
    ((name, spec),) = specs.items()
    inputs = keras.Input(shape=tuple(spec.shape[1:]), dtype=spec.dtype.name, name="input")
    layer = keras.layers.TFSMLayer(str(path), call_endpoint=endpoint, name="saved_model")
    outputs = layer(inputs)
    return keras.Model(inputs, outputs, name=path.name.replace(".", "_"))


def project_from_model(model: Any, name: str | None = None, keep_weights: bool = True) -> Project:
    """A new project holding ``model``'s network, laid out, with its weights (unless
    ``keep_weights`` is False: the layers are then initialised afresh when built)."""
    from designer.core.build import ImportModelError, graph_from_model

    try:
        graph = graph_from_model(model, keep_weights=keep_weights)
    except ImportModelError as exc:
        raise ProjectError(str(exc)) from exc
    auto_layout(graph)
    project = Project(graph=graph, name=name or model.name)
    project.import_notes = import_notes(graph)
    return project


def import_notes(graph: Any) -> list[str]:
    """What the user should know about an imported network: opaque, shared and nested parts."""
    notes = []
    for node in graph.nodes:
        if node.type == "Model":
            notes.append(
                f"'{node.name}' is a nested model, shown as one group block "
                f"(right-click > Expand Group to edit its layers)"
            )
        elif node.shared_with is not None:
            owner = graph.node(node.shared_with).name
            notes.append(f"'{node.name}' calls the layer of '{owner}' again (shared weights)")
        elif not node.spec.curated and node.type not in ("Input", UNREPRESENTED):
            what = "SavedModel graph" if node.type == "TFSMLayer" else node.type
            notes.append(
                f"'{node.name}' ({what}) is kept as an opaque block: it builds, trains "
                f"and exports, and its settings are editable as raw values"
            )
    return notes


def round_trip_notes(model: Any, graph: Any) -> list[str]:
    """The round-trip check of an opened model as import notes: none when the rebuilt
    network computes what the file's model computes. A mismatch is a note, not a refusal,
    so that the user keeps the model and sees which layer to look at."""
    from designer.core.fidelity import check_import

    report = check_import(model, graph)
    if report.ok and not report.message:
        return []
    if report.skipped:
        return [f"Round-trip check skipped: {report.message}"]
    return [
        f"Round-trip check FAILED: {report.message}. The network as shown does not compute "
        f"what {model.name} computes; check that layer before training or exporting"
    ]


def open_path(
    path: str | Path,
    allow_unsafe: bool = False,
    trust_code: bool | None = None,
    read_only_ok: bool = False,
) -> Project:
    """A project from a project file or a Keras model file; raises ProjectError (its
    UnsafeModelError for code or an outside graph, unless ``allow_unsafe``; its
    UnknownClassesError for custom classes no loaded code defines). A project's listed custom
    code runs only with ``trust_code`` (see :func:`~designer.app.project.load_project`).

    With ``read_only_ok``, a model file whose network cannot be represented (custom classes
    not loaded, a subclassed model, a part no graph form holds), or a project file whose
    custom classes are not loaded, opens read-only instead (:mod:`designer.app.read_only`):
    ``project.read_only`` then says why."""
    from designer.app import read_only

    path = Path(path)
    if is_model_path(path):
        try:
            model, notes, code = _load_model(path, allow_unsafe)
        except UnknownClassesError as exc:
            if not read_only_ok or exc.config is None:
                raise
            return read_only.project_from_config(path, exc)
        try:
            project = project_from_model(model, path.stem)
        except ProjectError:
            if not read_only_ok:
                raise
            project = read_only.project_with_unrepresented(model, path.stem)
        except Exception as exc:  # a model Keras loaded but whose layers cannot be shown
            raise ProjectError(
                f"{path.name}: the network cannot be shown as layers: {reason(exc)}"
            ) from exc
        project.import_notes[:0] = notes
        _remember_code(project, code)
        if allow_unsafe or (path / "saved_model.pb").exists():
            trust(project.graph)  # the user opened it knowing: its layers may be made again
        if not project.read_only:  # a read-only network is the file's model itself
            project.import_notes += round_trip_notes(model, project.graph)
        project.path = None  # an imported model is saved as a new project file
        project.source_model = path  # its exports are checked against this original
        return project
    if not path.exists():
        raise ProjectError(f"cannot open {path}: no such file")
    if path.is_dir():
        raise ProjectError(
            f"{path.name} is a folder: expected a project ({EXTENSION}, .json), a Keras model "
            f"(.keras, .h5) or a SavedModel folder (one with saved_model.pb)"
        )
    if path.suffix.lower() not in (EXTENSION, ".json"):
        raise ProjectError(
            f"cannot open {path.name}: expected a project ({EXTENSION}, .json) or a Keras model "
            f"(.keras, .h5)"
        )
    try:
        return load_project(path, allow_unsafe, trust_code)
    except UnknownClassesError as exc:
        if not read_only_ok:
            raise
        return read_only.project_file_without_code(path, exc, allow_unsafe)


def _remember_code(project: Project, files: list[Path]) -> None:
    """List the custom code files a model needs in its new project's settings."""
    if files:
        section = CustomCodeSection(tuple(str(f) for f in files))
        project.settings = project.settings.replace(custom_code=section)


def default_folder(saved: str | Path | None) -> Path:
    """The folder of a saved project; ~/Documents (or ~) for an unsaved one or for a sample
    bundled under designer/resources, so that exports never land in the application's files."""
    if saved and not Path(saved).resolve().is_relative_to(RESOURCES_DIR):
        return Path(saved).parent
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()
