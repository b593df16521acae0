"""Opening a model file read-only when its network cannot be represented as an editable one.

Two cases (see :mod:`designer.core.unrepresented`):

* Keras loads the model, but a part of it has no form in the graph (a subclassed model, a
  layer fed by a tensor from outside the model, a call no template keeps):
  :func:`project_with_unrepresented` shows every other layer as usual and that part as one
  block; analysis, screenshots and exports (from the original file) still work.
* Keras cannot load the model because custom classes it uses are not loaded:
  :func:`project_from_config` shows the network from the file's configuration, with the
  layers Keras knows analysed and the unknown classes as blocks with the shapes and weight
  counts the file records. Nothing can be exported until the code is loaded.

* A project file whose custom classes are not loaded: :func:`project_file_without_code`
  shows those layers as blocks, the rest as saved.

Each project has ``read_only`` set (why, in one sentence per part) and cannot be saved.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from designer.app.custom_code import OPTION_HINT, UnknownClassesError
from designer.app.project import Project, ProjectError
from designer.core.file_checks import ZIP_ERRORS
from designer.core.layout import auto_layout
from designer.core.unrepresented import read_only_reason

EDIT_HINT = "it can be viewed, analysed and exported, not edited, saved or trained"
NOT_LOADED = f"its class is not loaded. {OPTION_HINT}"  # the reason on a missing class's block


def project_with_unrepresented(model: Any, name: str) -> Project:
    """A read-only project of ``model`` whose unrepresentable parts are blocks."""
    from designer.app.files import import_notes
    from designer.core.importer import ImportModelError, graph_from_model

    try:
        graph = graph_from_model(model, allow_unrepresented=True)
    except ImportModelError as exc:
        raise ProjectError(str(exc)) from exc
    except Exception as exc:  # a model Keras loaded but whose layers cannot be shown
        raise ProjectError(f"{name}: the network cannot be shown as layers: {exc}") from exc
    auto_layout(graph)
    project = Project(graph=graph, name=name)
    project.read_only = read_only_reason(graph)
    project.import_notes = [f"{name} {project.read_only}; {EDIT_HINT}", *import_notes(graph)]
    return project


def project_from_config(path: Path, error: UnknownClassesError) -> Project:
    """A read-only project of the model file ``path`` that Keras could not load for the
    unknown classes in ``error``: its network from the configuration, without weights."""
    from designer.core.config_import import graph_from_config, graph_of_unknown_model

    config = error.config
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise error
    unknown = dict.fromkeys(error.classes, NOT_LOADED)
    whole = [config.get("registered_name"), config.get("class_name")]
    try:
        if any(name in unknown for name in whole):  # the model's own class: one block
            graph = graph_of_unknown_model(config, NOT_LOADED)
        else:
            counts = weight_counts(path, config["config"])
            graph = graph_from_config(config["config"], unknown, counts)
    except Exception as exc:  # a configuration too damaged to show: the refusal stands
        raise error from exc
    auto_layout(graph)
    project = Project(graph=graph, name=path.stem)
    project.read_only = read_only_reason(graph)
    project.source_model = path  # its exports need the code: they say so
    project.import_notes = [
        f"{error}. Until then {path.name} is shown read-only from its configuration, without "
        f"its weights: the layers Keras knows are analysed, the custom ones keep the shapes "
        f"and weight counts the file records"
    ]
    return project


def project_file_without_code(
    path: Path, error: UnknownClassesError, allow_unsafe: bool = False
) -> Project:
    """A read-only project of the project file ``path`` whose network needs the classes of
    ``error``: those layers are blocks (with their links), the rest as saved. The file is
    not changed, and the project cannot be saved over it."""
    from designer.app.project import load_project
    from designer.core.unrepresented import stand_in_graph

    unknown = set(error.classes)
    project = load_project(
        path,
        allow_unsafe,
        trust_code=False,  # the code did not run, or was declined: it stays so
        graph_filter=lambda data: stand_in_graph(data, unknown, NOT_LOADED),
    )
    project.read_only = read_only_reason(project.graph)
    if project.read_only is None:
        raise error
    project.path = None  # never saved over the file it came from
    project.import_notes.insert(0, f"{error}. Until then {path.name} is shown read-only")
    return project


def weight_counts(path: Path, config: dict[str, Any]) -> dict[str, int]:
    """The number of weight values each layer of the model ``config`` has in a ``.keras``
    file's weights (by layer path: "encoder/block" in a nested model); empty when the file
    has none or they cannot be read. Keras files a layer's weights under its class name in
    snake_case, numbered in the order of the model's layers ("dense", "dense_1")."""
    import h5py

    if path.suffix.lower() != ".keras":
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            if "model.weights.h5" not in archive.namelist():
                return {}
            data = archive.read("model.weights.h5")
        with h5py.File(io.BytesIO(data), "r") as weights:
            layers = weights.get("layers")
            return {} if layers is None else _counts(config, _sizes(layers), "")
    except (OSError, KeyError, ValueError, *ZIP_ERRORS):
        return {}


def _sizes(group: Any) -> dict[str, Any]:
    """{weights group name: (its number of values, the group)} of a ``layers`` group."""
    return {name: (_values(group[name]), group[name]) for name in group}


def _counts(config: dict[str, Any], sizes: dict[str, Any], prefix: str) -> dict[str, int]:
    """The counts of one model's layers by path, nested models' layers too."""
    import h5py

    entries = [e for e in config.get("layers", []) if isinstance(e, dict)]
    keys = _group_names(entries, skip_inputs=False)
    if not set(keys).issubset(sizes):  # a Sequential files no group for its input
        keys = _group_names(entries, skip_inputs=True)
    found: dict[str, int] = {}
    by_name = {str(e.get("name") or e.get("config", {}).get("name", "")): e for e in entries}
    for key, name in keys.items():
        size, group = sizes.get(key, (0, None))
        found[prefix + name] = size
        nested = by_name.get(name, {}).get("config")
        inner = group.get("layers") if isinstance(group, h5py.Group) else None
        if isinstance(nested, dict) and isinstance(nested.get("layers"), list) and inner:
            found.update(_counts(nested, _sizes(inner), f"{prefix}{name}/"))
    return found


def _group_names(entries: list[dict[str, Any]], skip_inputs: bool) -> dict[str, str]:
    """{weights group: layer name} in the order Keras numbers them."""
    from designer.core.keras_compat import to_snake_case

    found: dict[str, str] = {}
    used: dict[str, int] = {}
    for entry in entries:
        if skip_inputs and entry.get("class_name") == "InputLayer":
            continue
        base = to_snake_case(str(entry.get("class_name", "layer")))
        number = used.get(base, 0)
        used[base] = number + 1
        name = entry.get("name") or entry.get("config", {}).get("name", "")
        found[base if number == 0 else f"{base}_{number}"] = str(name)
    return found


def _values(group: Any) -> int:
    import h5py

    total = 0

    def visit(_name: str, item: Any) -> None:
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += int(item.size)

    if isinstance(group, h5py.Group):
        group.visititems(visit)
    return total
