"""A trial's values applied to a project: training options, augmentation and layers; a
target the project lacks is refused by name and leaves the project as it was."""

from __future__ import annotations

import pytest

from designer.app.experiment_params import parameter_choices, project_with, trial_changes
from designer.app.project import load_project
from designer.training.experiment_spec import ExperimentError
from tests.experiment_fixtures import dropout_project


def test_values_reach_options_augmentation_and_layers(tmp_path):
    project = load_project(dropout_project(tmp_path))
    before = project.graph.to_dict(), project.settings
    variant = project_with(
        project,
        {
            "training.initial_learn_rate": 0.05,
            "training.solver": "adam",
            "augmentation.rotation": 10.0,
            "layer.drop.rate": 0.35,
        },
    )
    assert variant.settings.training.initial_learn_rate == 0.05
    assert variant.settings.training.solver == "adam"
    assert variant.settings.augmentation.rotation == 10.0
    assert variant.graph.find("drop").params["rate"] == 0.35
    assert (project.graph.to_dict(), project.settings) == before  # the original untouched


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"training.no_such_option": 1}, "unknown training option"),
        ({"training.mini_batch_size": 0}, "mini_batch_size"),
        ({"layer.missing.rate": 0.1}, "does not have"),
        ({"augmentation.rotation": "lots"}, "augmentation"),
        ({"weights.x": 1}, "unknown experiment target"),
    ],
)
def test_refused_values_name_the_target(tmp_path, params, words):
    project = load_project(dropout_project(tmp_path))
    with pytest.raises(ExperimentError, match=words):
        project_with(project, params)


def test_choices_list_options_augmentation_and_layer_parameters(tmp_path):
    project = load_project(dropout_project(tmp_path))
    choices = parameter_choices(project)
    for target in ("training.initial_learn_rate", "augmentation.rotation", "layer.drop.rate"):
        assert target in choices
    changes = trial_changes(project, {"layer.drop.rate": 0.1})
    assert len(changes.edits) == 1 and changes.settings == project.settings
