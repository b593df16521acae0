"""A trial's parameter values applied to a project: new settings and layer edits.

Used to train a trial (on a copy of the project) and by "Apply to project" (the GUI pushes
the same changes as one undo step; the CLI's ``experiment --apply`` saves them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from designer.app.project import Project
from designer.app.settings import ProjectSettings
from designer.core.edits import Edit, SetParams, apply_edits
from designer.data.augment import AugmentConfig
from designer.data.summary import DataError
from designer.training.experiment_spec import ExperimentError
from designer.training.options import OptionsError, TrainingOptions


@dataclass(frozen=True)
class TrialChanges:
    """What a trial changes in a project: its settings and the layer edits."""

    settings: ProjectSettings
    edits: list[Edit]


def trial_changes(project: Project, params: dict[str, Any]) -> TrialChanges:
    """The settings and layer edits that give ``project`` the trial's ``params`` (targets as
    in :mod:`designer.training.experiment_spec`); ExperimentError names a target the project
    has not (an unknown option, a layer renamed since) or a value it refuses."""
    training: dict[str, Any] = {}
    augmentation: dict[str, Any] = {}
    layers: dict[str, dict[str, Any]] = {}
    for target, value in params.items():
        section, _, rest = target.partition(".")
        if section == "training":
            training[rest] = value
        elif section == "augmentation":
            augmentation[rest] = value
        elif section == "layer" and "." in rest:
            name, _, key = rest.rpartition(".")
            layers.setdefault(name, {})[key] = value
        else:
            raise ExperimentError(f"unknown experiment target {target!r}")
    settings = project.settings
    if training:
        settings = settings.replace(training=_training(settings.training, training))
    if augmentation:
        settings = settings.replace(augmentation=_augmentation(settings.augmentation, augmentation))
    edits: list[Edit] = []
    for name, values in layers.items():
        node = project.graph.find(name)
        if node is None:
            raise ExperimentError(
                f"the experiment varies layer {name!r}, which the network does not have "
                "(renamed or removed?)"
            )
        edits.append(SetParams(node.id, values))
    return TrialChanges(settings, edits)


def _training(options: TrainingOptions, values: dict[str, Any]) -> TrainingOptions:
    known = {f.name for f in dataclasses.fields(TrainingOptions)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ExperimentError(f"unknown training option(s) in the experiment: {unknown}")
    try:
        changed = options.replace(**values)  # validated in __post_init__
    except (OptionsError, TypeError, ValueError) as exc:
        raise ExperimentError(f"training options {values}: {exc}") from exc
    return changed


def _augmentation(config: AugmentConfig, values: dict[str, Any]) -> AugmentConfig:
    try:
        changed = AugmentConfig.from_dict({**config.to_dict(), **values})
        changed.validate()
    except DataError as exc:
        raise ExperimentError(f"augmentation {values}: {exc}") from exc
    return changed


def project_with(project: Project, params: dict[str, Any]) -> Project:
    """A copy of ``project`` with the trial's values (the original is not touched; weights
    are shared read-only, as :meth:`LayerGraph.copy` does)."""
    changes = trial_changes(project, params)
    graph = project.graph.copy()
    try:
        apply_edits(graph, changes.edits)
    except (ValueError, TypeError) as exc:
        raise ExperimentError(f"the layer values {params} are refused: {exc}") from exc
    return Project(graph, project.name, changes.settings, project.path)


def parameter_choices(project: Project) -> list[str]:
    """Targets a user can vary in this project: the numeric training options, the
    augmentation settings and each layer's numeric parameters (for the space editor)."""
    options = [
        f"training.{f.name}"
        for f in dataclasses.fields(TrainingOptions)
        if isinstance(f.default, int | float) and not isinstance(f.default, bool)
    ]
    options += ["training.solver", "training.schedule"]
    augment = [
        f"augmentation.{f.name}"
        for f in dataclasses.fields(AugmentConfig)
        if f.name not in ("seed", "fill_mode", "fill_value")
    ]
    layers = [
        f"layer.{node.name}.{key}"
        for node in project.graph.nodes
        for key, value in node.params.items()
        if isinstance(value, int | float | str) and not isinstance(value, bool) and key != "name"
    ]
    return options + augment + layers
