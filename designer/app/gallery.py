"""What the gallery runs in its worker thread: build a zoo network and turn it into a Project.

No Qt here, so the function can run off the GUI thread; the dialogs live in startpage_*.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

from designer.app.files import project_from_model
from designer.app.project import UNTITLED, Project
from designer.app.settings import PreprocessSection
from designer.core.analysis import shape_only_scope
from designer.core.progress import ProgressEvent, ProgressReporter
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
    report(1, 1, "Done", force=True)
    module = entry.preprocessing.module if entry.preprocessing else None
    project.settings = project.settings.replace(preprocessing=PreprocessSection(module=module))
    return project


def blank_project(shape: tuple[int, ...] = (28, 28, 1)) -> Project:
    """An empty project holding one image Input layer."""
    project = Project(name=UNTITLED)
    project.graph.add("Input", shape=list(shape), pos=(0.0, 0.0))
    return project
