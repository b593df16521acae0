"""A project's network as a detector: the spec it trains and predicts with, and the
GraphDetector around its built network. Used by ``prepare_run``, ``detect`` and the
exports. No Qt.

The spec is the project's ``detection`` section when set; otherwise the designer's defaults
(:func:`designer.training.detector_spec.designer_spec`) for the data's classes, the
network's input size and the anchors per location its heads were made for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from designer.app.project import Project
from designer.training.detector_spec import (
    BOX_OUTPUT,
    CLASS_OUTPUT,
    DetectorSpec,
    DetectorSpecError,
    designer_spec,
)

if TYPE_CHECKING:
    import keras

    from designer.training.detector import GraphDetector


class DetectionSetupError(ValueError):
    """The network is no detector, or it does not fit the data or the detection settings."""


def detection_outputs(network: keras.Model) -> tuple[Any, Any] | None:
    """(box deltas, class logits) of a network made as a detector, else None: two outputs
    named bbox_regression and cls_logits (Replace Head > Detection head, the zoo's tiny
    detector), or a dict with those keys."""
    output = network.output
    if isinstance(output, dict) and {BOX_OUTPUT, CLASS_OUTPUT} <= set(output):
        return output[BOX_OUTPUT], output[CLASS_OUTPUT]
    names = list(getattr(network, "output_names", None) or [])
    if len(network.outputs) == 2 and sorted(names) == sorted([BOX_OUTPUT, CLASS_OUTPUT]):
        pairs = dict(zip(names, network.outputs, strict=True))
        return pairs[BOX_OUTPUT], pairs[CLASS_OUTPUT]
    return None


def anchors_per_location(rows: int, image_size: tuple[int, int], levels: Sequence[int]) -> int:
    """How many anchors per feature-map position ``rows`` anchor rows mean on ``levels``."""
    height, width = image_size
    locations = sum(math.ceil(height / 2**lv) * math.ceil(width / 2**lv) for lv in levels)
    if rows % locations:
        raise DetectionSetupError(
            f"the detection heads give {rows} anchor rows, which is no whole number of anchors "
            f"per position of levels P{levels[0]}..P{levels[-1]} ({locations} positions on "
            f"{height}x{width} images)"
        )
    return rows // locations


def project_spec(
    project: Project, network: keras.Model, class_names: Sequence[str] | None = None
) -> DetectorSpec:
    """The detector settings for ``project``'s ``network`` (module docstring); with
    ``class_names`` (the data's), the classes are checked against the class head."""
    found = detection_outputs(network)
    if found is None:
        raise DetectionSetupError(
            "object detection data needs a detector: a network whose outputs are "
            f"'{BOX_OUTPUT}' and '{CLASS_OUTPUT}'. Open 'Tiny detector' from the zoo, or "
            "use Replace Head > Detection head on a classification backbone"
        )
    boxes, logits = found
    size = tuple(network.inputs[0].shape[1:3])
    if len(size) != 2 or None in size:
        raise DetectionSetupError(
            f"a detector needs a fixed input size; the network's input is {size}"
        )
    image_size = (int(size[0]), int(size[1]))
    width = int(logits.shape[-1])
    names = list(class_names) if class_names is not None else None
    if names is not None and len(names) != width:
        raise DetectionSetupError(
            f"the class head '{CLASS_OUTPUT}' predicts {width} classes, but the data has "
            f"{len(names)} ({', '.join(names[:8])}{', ...' if len(names) > 8 else ''}); use "
            "Replace Head > Detection head for the data's classes"
        )
    stored = project.settings.detection.spec
    try:
        if stored is not None:
            changes: dict[str, Any] = {"image_size": image_size, "num_classes": width}
            if names is not None:
                changes["class_names"] = tuple(names)
            spec = DetectorSpec.from_dict({**stored.to_dict(), **changes})
        else:
            levels = range(3, 6)
            per = anchors_per_location(int(boxes.shape[1]), image_size, list(levels))
            spec = designer_spec(width, names or (), image_size, per)
    except DetectorSpecError as exc:
        raise DetectionSetupError(str(exc)) from exc
    if spec.num_anchors() != int(boxes.shape[1]):
        raise DetectionSetupError(
            f"the detection settings ({spec.anchors_per_location} anchors per position on "
            f"P{spec.min_level}..P{spec.max_level}) expect {spec.num_anchors()} anchor rows; "
            f"the heads give {int(boxes.shape[1])}: change the detection settings or make "
            "the head again"
        )
    return spec


def make_detector(
    project: Project, network: keras.Model, class_names: Sequence[str] | None = None
) -> GraphDetector:
    """``network`` wrapped as a GraphDetector with :func:`project_spec`."""
    from designer.training.detector import DetectorError, GraphDetector

    spec = project_spec(project, network, class_names)
    try:
        return GraphDetector(network, spec, name=f"{network.name}_detector")
    except DetectorError as exc:
        raise DetectionSetupError(str(exc)) from exc


def project_class_names(project: Project, width: int) -> list[str] | None:
    """The class names ``project``'s detector was set up for (the detection section's), else
    last trained for, else the data source's, the first that has ``width`` names."""
    stored = project.settings.detection.spec
    trained = project.settings.results.detection or {}
    source = project.settings.data.source
    for names in (
        stored.class_names if stored else None,
        trained.get("class_names"),
        getattr(source, "class_names", None),
    ):
        if names and len(names) == width:
            return [str(n) for n in names]
    return None


def project_detector(project: Project) -> GraphDetector:
    """The project's network (with its weights) as a detector for the classes of
    :func:`project_class_names` (unnamed when none fits the class head)."""
    from designer.core.build import BuildError, build_model

    try:
        network = build_model(project.graph)
    except BuildError as exc:
        raise DetectionSetupError(f"The network has errors:\n{exc}") from exc
    found = detection_outputs(network)
    names = project_class_names(project, int(found[1].shape[-1])) if found is not None else None
    return make_detector(project, network, names)
