"""What the project's data settings mean for the network: the preprocessing every image gets.

The stored :class:`~designer.app.settings.PreprocessSection` holds only the user's choices;
image size and channels follow the network's Input, so they never go stale when it changes.
"""

from __future__ import annotations

from typing import Any

from designer.app.project import Project
from designer.app.settings import PreprocessSection
from designer.core.graph import LayerGraph
from designer.data.preprocess import PreprocessConfig, derive_preprocess
from designer.data.summary import DataError


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


def effective_preprocess(
    project: Project, input_shape: tuple[Any, ...] | None = None
) -> tuple[PreprocessConfig | None, str]:
    """The preprocessing for the network's Input (or ``input_shape``) with the user's choices.

    Returns (config, reason): config None with a sentence saying why no image preprocessing
    applies (no Input, or an Input that is not an image).
    """
    shape = input_shape if input_shape is not None else network_input_shape(project.graph)
    if shape is None:
        return None, "the network has no Input layer yet"
    chosen = project.settings.preprocessing
    try:
        config = derive_preprocess(shape, chosen.module, chosen.resize_mode)
    except DataError as exc:
        return None, f"no image preprocessing: {exc}"
    if chosen.rescale is not None and (chosen.rescale != "preprocess_input" or chosen.module):
        config = PreprocessConfig(
            config.image_size,
            config.channels,
            config.resize_mode,
            chosen.rescale,
            config.preprocess_module,
        )
    return config, ""


def chosen_preprocess(config: PreprocessConfig, module: str | None) -> PreprocessSection:
    """The section that keeps the user's resize and rescale choices of ``config``."""
    return PreprocessSection(module, config.resize_mode, config.rescale)
