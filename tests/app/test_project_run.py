"""Project -> training run -> weights and results back in the project (real Keras, tiny data)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from designer.app.project import load_project, save_project
from designer.app.project_run import (
    ProjectRunError,
    evaluate_run,
    prepare_run,
    store_results,
    training_options,
)
from designer.app.settings import DataSection
from designer.core.build import build_model
from designer.training.options import OptionsError
from designer.training.results import ConfusionResult
from designer.training.trainer import Trainer

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def sample(samples: int = 300):
    """The bundled LeNet-5 project with fewer synthetic digits."""
    project = load_project(SAMPLE)
    return with_source(project, num_samples=samples)


def with_source(project, **changes):
    """``project`` with some fields of its data source changed."""
    data = project.settings.data
    source = dataclasses.replace(data.source, **changes)
    project.settings = project.settings.replace(data=dataclasses.replace(data, source=source))
    return project


def test_sample_project_trains_and_weights_go_back_into_the_graph(tmp_path):
    project = sample()
    run = prepare_run(project, epochs=1)
    model, data, options = run  # unpacks as the triple
    assert model.inputs[0].shape[1:] == (28, 28, 1)
    assert (data.num_train, data.num_validation) == (240, 60)
    assert data.class_names == [str(i) for i in range(10)]
    assert (
        options.solver,
        options.initial_learn_rate,
        options.mini_batch_size,
        options.max_epochs,
    ) == ("adam", 0.001, 64, 1)
    result = Trainer(model, data.train, data.validation, options).run()
    assert result.status == "finished" and result.epochs_completed == 1
    evaluation = evaluate_run(run)
    assert isinstance(evaluation, ConfusionResult) and evaluation.matrix.sum() == 60
    taken = store_results(project, run, result, evaluation)
    assert taken == 5  # two convolutions and three dense layers
    results = project.settings.results
    assert results.status == "finished"
    assert len(results.confusion["matrix"]) == 10
    assert results.final["val_accuracy"] == pytest.approx(evaluation.accuracy, abs=1e-6)
    # The trained weights survive saving and rebuilding.
    path = save_project(project, tmp_path / "trained.ndproj")
    rebuilt = build_model(load_project(path).graph)
    for a, b in zip(rebuilt.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_failed_run_stores_no_weights():
    project = sample(100)
    run = prepare_run(project, epochs=1)
    from designer.training.history import TrainingResult

    failed = TrainingResult(status="failed", stop_reason="nan", message="the loss became NaN")
    assert store_results(project, run, failed) == 0
    assert all(node.weights is None for node in project.graph.nodes)
    assert project.settings.results.status == "failed"


def test_project_without_data_is_refused_with_a_clear_message():
    project = sample()
    project.settings = project.settings.replace(data=DataSection())
    with pytest.raises(ProjectRunError, match="no training data"):
        prepare_run(project)


def test_network_errors_are_refused():
    project = sample()
    graph = project.graph
    out = graph.find("output")
    link = graph.inputs_of(out.id)[0]
    graph.disconnect(link.src, out.id, link.port)
    with pytest.raises(ProjectRunError, match="network has errors"):
        prepare_run(project)


def test_output_units_must_match_the_classes():
    project = sample(100)
    graph = project.graph
    graph.set_params(graph.find("output").id, units=5)
    with pytest.raises(ProjectRunError, match="data have 10 classes .* gives 5 values"):
        prepare_run(project)


def test_bad_options_and_bad_data_are_refused():
    project = sample(100)
    with pytest.raises(OptionsError, match="solver"):  # typed options: refused when set
        project.settings.training.replace(solver="sgd")
    project = with_source(sample(100), charset="runes")
    with pytest.raises(ProjectRunError, match="runes"):
        prepare_run(project)


def test_options_accept_old_names_and_epoch_override(tmp_path):
    old = json.loads(SAMPLE.read_text())  # a version-1 file with the old option names
    old["version"] = 1
    old["training"] = {"learning_rate": 0.05, "batch_size": 16, "max_epochs": 7}
    (tmp_path / "old.json").write_text(json.dumps(old))
    project = load_project(tmp_path / "old.json")
    options = training_options(project, epochs=2)
    assert (options.initial_learn_rate, options.mini_batch_size, options.max_epochs) == (
        0.05,
        16,
        2,
    )


def test_learn_rate_factors_set_on_layers_apply_in_training():
    project = sample(200)
    graph = project.graph
    frozen_by_factor, scaled = graph.find("c1"), graph.find("f5")
    graph.set_lr_factors(frozen_by_factor.id, 0.0, 0.0)
    graph.set_lr_factors(scaled.id, 0.5, 1.0)
    options = training_options(project, epochs=1)
    assert options.lr_factors == {"c1": (0.0, 0.0), "f5": (0.5, 1.0)}
    run = prepare_run(project, epochs=1)
    before = [w.copy() for w in run.model.get_layer("c1").get_weights()]
    other = [w.copy() for w in run.model.get_layer("c3").get_weights()]
    result = Trainer(run.model, run.data.train, run.data.validation, run.options).run()
    assert result.status == "finished", result.message
    after = run.model.get_layer("c1").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert not np.array_equal(other[0], run.model.get_layer("c3").get_weights()[0])
