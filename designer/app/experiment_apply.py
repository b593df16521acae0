""" "Apply to project": a trial's values (and optionally its trained weights) as changes to
the project, made in one step (an undo step in the GUI, a saved file in the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designer.app.experiment_params import TrialChanges, project_with, trial_changes
from designer.app.project import Project
from designer.core.edits import Edit, SetWeights, apply_edits
from designer.core.weights import WeightState, weights_from_model
from designer.training.experiment_spec import ExperimentError
from designer.training.study import TrialRecord


@dataclass(frozen=True)
class AppliedTrial:
    """The project's new settings, the layer edits and (when asked) the trial's weights."""

    changes: TrialChanges
    weights: dict[str, WeightState]

    @property
    def edits(self) -> list[Edit]:
        """The graph edits: the layer values, then the weights."""
        return [*self.changes.edits, *([SetWeights(self.weights)] if self.weights else [])]


def trial_model_path(record: TrialRecord) -> Path:
    """The trained model a finished trial left in its folder."""
    return Path(record.folder) / "model.keras"


def applied_trial(project: Project, record: TrialRecord, with_weights: bool) -> AppliedTrial:
    """What applying ``record`` changes in ``project`` (nothing is changed yet);
    ExperimentError when the trial has no values, or no model for ``with_weights``."""
    if not record.params:
        raise ExperimentError(f"trial {record.number} has no values to apply")
    changes = trial_changes(project, record.params)
    weights: dict[str, WeightState] = {}
    if with_weights:
        weights = trial_weights(project, record)
    return AppliedTrial(changes, weights)


def trial_weights(project: Project, record: TrialRecord) -> dict[str, WeightState]:
    """The trained weights of ``record``'s model, by node path of the project's graph."""
    import keras

    path = trial_model_path(record)
    if record.state != "COMPLETE" or not path.is_file():
        raise ExperimentError(
            f"trial {record.number} ({record.state.lower()}) left no trained model at {path}"
        )
    try:
        model: Any = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # a damaged or foreign file
        raise ExperimentError(f"cannot read trial {record.number}'s model {path}: {exc}") from exc
    variant = project_with(project, record.params)
    return weights_from_model(variant.graph, model)


def apply_trial(project: Project, applied: AppliedTrial) -> None:
    """Make the changes in ``project`` (the CLI; the GUI pushes them as one undo step)."""
    apply_edits(project.graph, applied.edits)
    project.settings = applied.changes.settings
