"""Opening files: projects, and Keras model files (.keras, .h5, SavedModel folders) as projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from designer.app.project import EXTENSION, Project, ProjectError, load_project
from designer.core.build import ImportModelError, graph_from_model
from designer.core.layout import auto_layout

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


class UnsafeModelError(ProjectError):
    """The model contains code (a Lambda layer); loading it needs the user's consent."""


def is_model_path(path: str | Path) -> bool:
    """True for .keras/.h5 files and SavedModel folders."""
    path = Path(path)
    return path.suffix.lower() in MODEL_SUFFIXES or (path / "saved_model.pb").exists()


def load_model_file(path: str | Path, allow_unsafe: bool = False) -> Any:
    """Load a Keras model file; code inside it (Lambda layers) runs only if ``allow_unsafe``."""
    import keras

    path = Path(path)
    if not path.exists():
        raise ProjectError(f"cannot open {path}: no such file")
    if (path / "saved_model.pb").exists():
        return saved_model_as_keras(path)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=not allow_unsafe)
    except ValueError as exc:
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            raise UnsafeModelError(
                f"{path.name} contains Python code (a Lambda layer); open it only if you trust "
                f"its source"
            ) from exc
        raise ProjectError(
            f"{path.name} is not a Keras model Network Designer can read: {_first_line(exc)}"
        ) from exc
    except (OSError, TypeError, KeyError) as exc:
        raise ProjectError(
            f"{path.name} is damaged or not a Keras model: {_first_line(exc)}"
        ) from exc


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
    except (OSError, ValueError, KeyError) as exc:
        raise ProjectError(
            f"{path.name} is not a usable SavedModel (no '{endpoint}' "
            f"signature): {_first_line(exc)}"
        ) from exc
    specs = signature.structured_input_signature[1]
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def project_from_model(model: Any, name: str | None = None, keep_weights: bool = True) -> Project:
    """A new project holding ``model``'s network, laid out, with its weights (unless
    ``keep_weights`` is False: the layers are then initialised afresh when built)."""
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
        elif not node.spec.curated and node.type != "Input":
            what = "SavedModel graph" if node.type == "TFSMLayer" else node.type
            notes.append(
                f"'{node.name}' ({what}) is kept as an opaque block: it builds, trains "
                f"and exports, and its settings are editable as raw values"
            )
    return notes


def open_path(path: str | Path, allow_unsafe: bool = False) -> Project:
    """A project from a project file or a Keras model file; raises ProjectError."""
    path = Path(path)
    if is_model_path(path):
        project = project_from_model(load_model_file(path, allow_unsafe), path.stem)
        project.path = None  # an imported model is saved as a new project file
        return project
    if not path.exists():
        raise ProjectError(f"cannot open {path}: no such file")
    if path.suffix.lower() not in (EXTENSION, ".json"):
        raise ProjectError(
            f"cannot open {path.name}: expected a project ({EXTENSION}, .json) or a Keras model "
            f"(.keras, .h5)"
        )
    return load_project(path)
