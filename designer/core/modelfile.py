"""Opening files: projects, and Keras model files (.keras, .h5, SavedModel folders) as projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from designer.core.build import ImportModelError, graph_from_model
from designer.core.layout import auto_layout
from designer.core.project import EXTENSION, Project, ProjectError, load_project

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
        raise ProjectError(
            f"{path.name} is a SavedModel folder: open the .keras file it was exported from, "
            f"or re-save it with model.save('model.keras') in Keras"
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=not allow_unsafe)
    except ValueError as exc:
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            raise UnsafeModelError(
                f"{path.name} contains Python code (a Lambda layer); open it only if you trust "
                f"its source"
            ) from exc
        raise ProjectError(f"{path.name} is not a Keras model Network Designer can read: "
                           f"{_first_line(exc)}") from exc  # fmt: skip
    except (OSError, TypeError, KeyError) as exc:
        raise ProjectError(f"{path.name} is damaged or not a Keras model: {_first_line(exc)}") \
            from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def project_from_model(model: Any, name: str | None = None) -> Project:
    """A new project holding ``model``'s network, laid out, with its weights."""
    try:
        graph = graph_from_model(model)
    except ImportModelError as exc:
        raise ProjectError(str(exc)) from exc
    auto_layout(graph)
    return Project(graph=graph, name=name or model.name)


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
