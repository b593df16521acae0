"""What the gallery runs in its worker thread: build a zoo network and turn it into a Project;
and the bundled sample projects it offers (a network with its data and training options).

No Qt here, so the function can run off the GUI thread; the dialogs live in ui/gallery/.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

from designer.app.files import project_from_model
from designer.app.project import UNTITLED, Project, load_project
from designer.app.settings import PreprocessSection
from designer.core.analysis import shape_only_scope
from designer.core.detection_head import (
    BACKBONE_GROUP,
    BOX_OUTPUT,
    CLASS_OUTPUT,
    tag_detection_groups,
)
from designer.core.graph import LayerGraph
from designer.core.progress import ProgressEvent, ProgressReporter
from designer.resources import sample_project_path
from designer.zoo import WeightsUnavailable, get_entry
from designer.zoo.build import build_entry

PRETRAINED = "pretrained"


@dataclass(frozen=True)
class BuildRequest:
    """The options chosen for one zoo network (see designer.zoo.build_model)."""

    entry: str
    input_shape: tuple[int | None, ...] | None = None
    num_classes: int | None = None
    include_top: bool = True
    weights: str | None = None  # None (random), PRETRAINED, or the path of a weights file

    def with_weights(self, weights: str | None) -> BuildRequest:
        """The same request with other weights."""
        return replace(self, weights=weights)


@dataclass(frozen=True)
class WeightsMissing:
    """Returned instead of a project when the pretrained weights file cannot be had."""

    request: BuildRequest
    message: str


def build_project(request: BuildRequest, reporter: ProgressReporter | None = None) -> Any:
    """Build the network of ``request``; a laid-out Project, or WeightsMissing when offline."""
    report = reporter or ProgressReporter()
    entry = get_entry(request.entry)
    report(0, 0, f"Building {entry.display_name}...", force=True)

    def on_download(event: ProgressEvent) -> None:
        report(event.done, event.total, event.message)

    random_weights = request.weights is None
    try:
        # Random weights: the layers' variables are never made (a project without weights is
        # initialised when built), which makes EfficientNetB7 open in 0.5 s instead of 3.3 s.
        with shape_only_scope() if random_weights else contextlib.nullcontext():
            model = build_entry(
                entry,
                request.input_shape,
                request.num_classes,
                request.include_top,
                request.weights,
                progress=on_download,
            )
    except WeightsUnavailable as exc:
        return WeightsMissing(request, str(exc))
    report(0, 0, f"Converting {entry.display_name} to a network diagram...", force=True)
    project = project_from_model(model, entry.display_name, keep_weights=not random_weights)
    tag_detector_groups(project.graph)
    report(1, 1, "Done", force=True)
    module = entry.preprocessing.module if entry.preprocessing else None
    project.settings = project.settings.replace(preprocessing=PreprocessSection(module=module))
    return project


def blank_project(shape: tuple[int, ...] = (28, 28, 1)) -> Project:
    """An empty project holding one image Input layer."""
    project = Project(name=UNTITLED)
    project.graph.add("Input", shape=list(shape), pos=(0.0, 0.0))
    return project


def tag_detector_groups(graph: LayerGraph) -> int:
    """Give a detector read from a Keras model (outputs ``bbox_regression`` and
    ``cls_logits``) its canvas groups again: feature_pyramid and heads by the layers' names,
    backbone for the other layers; 0 (nothing changed) for any other network."""
    outputs = {graph.node(nid).name for nid in graph.output_nodes()}
    if not {BOX_OUTPUT, CLASS_OUTPUT} <= outputs:
        return 0
    tagged = tag_detection_groups(graph)
    for node in graph.nodes:
        if node.group is None and node.type != "Input":
            node.group = BACKBONE_GROUP
            tagged += 1
    return tagged


@dataclass(frozen=True)
class Sample:
    """A bundled sample project (designer/resources/samples/NAME.json) as the start page
    shows it: a title, the task, the schematic's family and depth, and what it holds."""

    name: str
    title: str
    task: str
    family: str
    depth: int
    lines: tuple[str, ...]
    keywords: str = ""

    def matches(self, text: str, task: str | None) -> bool:
        """Whether the sample fits a search text and a task filter (None: all tasks)."""
        words = f"{self.name} {self.title} {self.task} {self.keywords} sample".lower()
        return (task is None or task == self.task) and all(w in words for w in text.lower().split())


SAMPLES = (
    Sample(
        "lenet5",
        "LeNet-5 on digits",
        "image classification",
        "LeNet",
        5,
        (
            "LeNet-5 + data + training options",
            "6,000 generated digits, 10 classes",
            "Ready to train: Training > Train",
            "Classify handwritten-style digits",
        ),
        "lenet digits classification mnist cnn",
    ),
    Sample(
        "shapes_detector",
        "Shapes detector",
        "object detection",
        "RetinaNet",
        12,
        (
            "Tiny RetinaNet + data + options",
            "2,200 generated shapes, 3 classes",
            "Ready to train; trains on a CPU",
            "Find circles, squares and triangles",
        ),
        "detection detector retinanet boxes shapes yolo object",
    ),
)


def get_sample(name: str) -> Sample:
    """The sample called ``name``; KeyError names the known ones."""
    for sample in SAMPLES:
        if sample.name == name:
            return sample
    raise KeyError(f"no sample {name!r}; expected one of {[s.name for s in SAMPLES]}")


def open_sample(name: str) -> Project:
    """The bundled sample project ``name``, unsaved: Save asks where (never into the
    application's own files)."""
    project = load_project(sample_project_path(get_sample(name).name))
    project.path = None
    return project
