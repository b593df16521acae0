"""The project's data sections as typed configs: read, write and derive (no widgets here).

Layout of the sections in the project file (plain data):

- ``project.data = {"source": <datastore config dict>, "split": <SplitConfig dict>}``
- ``project.preprocessing = <PreprocessConfig dict>`` (plus ``"module"``, the zoo model's
  keras.applications module, when one was set by the zoo import)
- ``project.augmentation = <AugmentConfig dict>``
"""

from __future__ import annotations

from typing import Any

from designer.core.graph import LayerGraph
from designer.core.project import Project
from designer.data.augment import AugmentConfig
from designer.data.base import DataConfig
from designer.data.builtin import SyntheticConfig
from designer.data.preprocess import PreprocessConfig, derive_preprocess
from designer.data.registry import KINDS, config_from_dict
from designer.data.splits import SplitConfig
from designer.data.summary import DataError


def source_config(project: Project) -> DataConfig | None:
    """The datastore config of the project, or None when no data was chosen yet."""
    data = project.data or {}
    if "source" in data:
        return config_from_dict(data["source"])
    if data.get("kind") in KINDS:  # a bare datastore config
        return config_from_dict(data)
    if data.get("kind") == "synthetic_digits":  # the hand-written sample projects
        return SyntheticConfig(charset="digits", num_samples=int(data.get("samples", 2000)),
                               seed=int(data.get("seed", 0)))  # fmt: skip
    if data:
        raise DataError(f"expected project data with a 'source' datastore config, received keys {sorted(data)}")
    return None


def split_config(project: Project) -> SplitConfig:
    """The validation/test split of the project (20 % validation when none was set)."""
    data = project.data or {}
    if isinstance(data.get("split"), dict):
        return SplitConfig.from_dict(data["split"])
    if "validation_split" in data:  # sample projects give a fraction
        return SplitConfig(validation_percent=float(data["validation_split"]) * 100.0,
                           seed=int(data.get("seed", 0)))  # fmt: skip
    return SplitConfig()


def zoo_module(project: Project) -> str | None:
    """The keras.applications module whose preprocess_input the network expects, if any."""
    pre = project.preprocessing or {}
    return pre.get("module") or pre.get("preprocess_module") or None


def preprocess_config(project: Project) -> PreprocessConfig | None:
    """The stored preprocessing, or None when the project has none."""
    pre = dict(project.preprocessing or {})
    pre.pop("module", None)
    if not pre:
        return None
    return PreprocessConfig.from_dict(pre)


def augment_config(project: Project) -> AugmentConfig:
    """The stored augmentation (all off when none)."""
    return AugmentConfig.from_dict(project.augmentation) if project.augmentation else AugmentConfig()


def network_input_shape(graph: LayerGraph) -> tuple[Any, ...] | None:
    """Shape (without batch) of the network's first Input layer, or None without one."""
    for node_id in graph.input_nodes():
        params = graph.node(node_id).params
        shape = params.get("shape") or params.get("batch_shape")
        if shape is None:
            return None
        shape = tuple(shape)
        return shape[1:] if "shape" not in params else shape
    return None


def derived_preprocess(project: Project) -> tuple[PreprocessConfig | None, str]:
    """Preprocessing for the network's Input keeping the user's resize/rescale choices.

    Returns (config, reason): config None with a sentence saying why no image preprocessing
    applies (no Input, or an Input that is not an image).
    """
    shape = network_input_shape(project.graph)
    if shape is None:
        return None, "the network has no Input layer yet"
    stored = preprocess_config(project)
    module = zoo_module(project)
    resize = stored.resize_mode if stored else "stretch"
    try:
        config = derive_preprocess(shape, module, resize)
    except DataError as exc:
        return None, f"no image preprocessing: {exc}"
    same_zoo = stored is not None and stored.preprocess_module == module
    keeps = stored is not None and (stored.rescale != "preprocess_input" or bool(module))
    if stored is not None and keeps and (same_zoo or not module):
        config.rescale = stored.rescale  # the user's choice, unless it needs a lost module
    return config, ""


def write_preprocess(project: Project, config: PreprocessConfig | None) -> bool:
    """Store ``config`` in the project (keeps the zoo module); True when it changed."""
    module = zoo_module(project)
    new: dict[str, Any] = config.to_dict() if config is not None else {}
    if module:
        new["module"] = module
    if new == (project.preprocessing or {}):
        return False
    project.preprocessing = new
    return True


def write_import(project: Project, source: DataConfig, split: SplitConfig) -> None:
    """Store an imported datastore and its split, and derive the preprocessing."""
    project.data = {"source": source.to_dict(), "split": split.to_dict()}
    config, _ = derived_preprocess(project)
    write_preprocess(project, config)


def write_augmentation(project: Project, config: AugmentConfig) -> bool:
    """Store the augmentation; True when it changed."""
    new = config.to_dict()
    if new == project.augmentation:
        return False
    project.augmentation = new
    return True
