"""The compression report on a digits CNN trained by the project's trainer: int8 TFLite against
float32 (size, accuracy, agreement, per-layer error), magnitude pruning with a fine-tune,
layers left in float, recurrent networks, progress and cancel."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.app.insight_runs import percent_list, project_compression, tflite_converter
from designer.app.project import Project
from designer.app.project_run import prepare_run, store_results
from designer.core.graph import LayerGraph
from designer.core.progress import Cancelled, CancelToken, ProgressReporter
from designer.insight.compression import CompressionError, compression_report, quantise
from designer.insight.pruning import (
    apply_masks,
    magnitude_mask,
    masks_held,
    prunable_kernels,
    sparsity_of,
)
from designer.insight.scores import accuracy, agreement
from designer.insight.tflite_probe import LayerNamer
from designer.training.trainer import Trainer

#: int8 accuracy may fall this far below float32 (points of accuracy, as a share).
INT8_MARGIN = 0.03
#: the fine-tuned pruned network may be this much below the pruned one (noise of one epoch).
FINE_TUNE_TOLERANCE = 0.02


def digits_project() -> Project:
    """8x8 digits, a small CNN, adam; trained for a few epochs with a fixed seed."""
    g = LayerGraph()
    ids = [
        g.add("Input", shape=[8, 8, 1]),
        g.add("Conv2D", filters=16, kernel_size=3, activation="relu", name="conv"),
        g.add("Flatten"),
        g.add("Dense", units=32, activation="relu", name="hidden"),
        g.add("Dense", units=10, activation="softmax", name="head"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return Project.from_sections(
        g,
        "digits",
        data={"source": {"kind": "sklearn-digits"}, "split": {"validation_percent": 20.0}},
        training={
            "solver": "adam",
            "initial_learn_rate": 0.01,
            "max_epochs": 8,
            "mini_batch_size": 64,
            "seed": 0,
            "l2_regularization": 0.0,
            "validation_frequency": "epoch",
        },
    )


@pytest.fixture(scope="module")
def trained():
    """The digits project with trained weights, and its report at 50 % sparsity."""
    project = digits_project()
    run = prepare_run(project)
    result = Trainer(run.model, run.data.train, None, run.options).run()
    assert result.status == "finished", result.message
    store_results(project, run, result)
    events = []
    report = project_compression(
        project, sparsities=(0.5,), fine_tune_epochs=1, progress=ProgressReporter(events.append)
    )
    return project, report, events


def test_int8_is_smaller_and_about_as_accurate(trained) -> None:
    _, report, _ = trained
    q = report.quantisation
    assert q is not None and q.mode == "full int8", report.quantisation_error
    assert q.int8_bytes < q.float_bytes
    assert q.weight_ratio is not None and q.weight_ratio < 0.5  # int8 weights: about 1/4
    assert report.keras_accuracy > 0.85
    assert abs(q.float_accuracy - report.keras_accuracy) < 1e-6  # TFLite float32 = Keras
    assert q.int8_accuracy >= q.float_accuracy - INT8_MARGIN
    assert q.agreement > 0.9
    assert 350 <= report.samples <= 370  # 20 % of 1,797, stratified by class
    assert report.notes == ()  # trained weights, no augmentation, every sample measured


def test_per_layer_error_names_the_layers(trained) -> None:
    q = trained[1].quantisation
    layers = {e.layer for e in q.layer_errors}
    assert {"conv", "hidden", "head"} <= layers, layers
    for e in q.layer_errors:
        assert e.rmse >= 0 and e.max_abs_error >= 0
        assert e.scale is None or e.scale > 0
    assert q.float_ops == ()  # Conv2D, Flatten and Dense are all int8


def test_pruning_keeps_half_the_weights_and_fine_tunes(trained) -> None:
    (p,) = trained[1].pruning
    assert p.target == 0.5
    assert abs(p.achieved - 0.5) < 0.01
    assert set(p.layers) == {"conv", "hidden", "head"}
    assert p.accuracy_fine_tuned is not None and p.fine_tune_epochs == 1
    assert p.accuracy_fine_tuned >= p.accuracy_pruned - FINE_TUNE_TOLERANCE
    assert p.compressed_bytes < trained[1].float_compressed_bytes  # zeros compress


def test_report_rows_progress_and_json(trained) -> None:
    _, report, events = trained
    variants = [row.variant for row in report.rows()]
    assert variants == [
        "Keras float32",
        "TFLite float32",
        "TFLite full int8",
        "Pruned 50 %",
        "Pruned 50 % + fine-tune 1 epoch",
    ]
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("Fine-tuning" in e.message for e in events)
    data = report.to_dict()
    assert data["quantisation"]["weight_ratio"] < 0.5
    assert data["pruning"][0]["target"] == 0.5


def test_cancel_during_the_fine_tune_stops_the_report(trained) -> None:
    project = trained[0]
    token = CancelToken()

    def cancel_on_fine_tune(event) -> None:
        if "Fine-tuning" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        project_compression(
            project,
            sparsities=(0.5,),
            quantise=False,
            progress=ProgressReporter(cancel_on_fine_tune, token, min_interval=0.0),
        )


def test_cancel_before_quantisation(trained) -> None:
    project = trained[0]
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        project_compression(project, progress=ProgressReporter(None, token))


def test_magnitude_mask_zeroes_exactly_the_smallest() -> None:
    w = np.array([[0.5, -0.1], [0.05, -2.0]], np.float32)
    mask = magnitude_mask(w, 0.5)
    assert mask.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert magnitude_mask(w, 0.0).sum() == 4


def test_masks_hold_through_training() -> None:
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    kernels = prunable_kernels(model)
    masks = [magnitude_mask(v.numpy(), 0.75) for _, v in kernels]
    apply_masks(kernels, masks)
    x = np.random.default_rng(0).random((32, 6), dtype=np.float32)
    with masks_held(kernels, masks):
        model.fit(x, x[:, :2], epochs=2, verbose=0)
    assert abs(sparsity_of(kernels) - 0.75) < 0.02
    assert all(v.constraint is None for _, v in kernels)  # put back as they were


def test_layer_left_in_float_is_named() -> None:
    keras.utils.set_random_seed(2)
    inp = keras.Input((12,))
    h = keras.layers.LayerNormalization(name="norm")(inp)
    out = keras.layers.Dense(3, activation="softmax", name="out")(h)
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).random((40, 12), dtype=np.float32)
    y = np.argmax(np.asarray(model(x)), axis=-1)
    q = quantise(model, x, y, x, tflite_converter, debug=False)
    assert q.mode == "full int8"
    assert any("'norm' (LayerNormalization)" in line for line in q.float_ops), q.float_ops


def test_recurrent_network_gets_dynamic_range_and_says_why() -> None:
    keras.utils.set_random_seed(3)
    inp = keras.Input((5, 3))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.LSTM(4, name="lstm")(inp))
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).random((16, 5, 3), dtype=np.float32)
    y = np.zeros(16, np.int64)
    q = quantise(model, x, y, x, tflite_converter)
    assert q.mode == "dynamic-range int8"
    assert any("LSTM 'lstm'" in note and "WHILE" in note for note in q.notes), q.notes
    assert q.agreement > 0.9


def test_report_without_converter_or_fine_tune() -> None:
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).random((20, 4), dtype=np.float32)
    y = np.argmax(np.asarray(model(x)), axis=-1)
    report = compression_report(model, x, y, x, None, sparsities=(0.0, 0.5))
    assert report.quantisation is None and report.keras_accuracy == 1.0
    assert [p.accuracy_fine_tuned for p in report.pruning] == [None, None]
    assert report.pruning[0].accuracy_pruned == 1.0 and report.pruning[0].achieved == 0.0
    with pytest.raises(CompressionError, match="sparsity"):
        compression_report(model, x, y, x, None, sparsities=(1.0,))


def test_scores_and_sparsity_text() -> None:
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert agreement(np.array([[0.2], [0.7]]), np.array([[0.4], [0.9]])) == 1.0
    assert percent_list("50, 80 %") == (0.5, 0.8)
    assert percent_list("0.25") == (0.25,)
    with pytest.raises(CompressionError):
        percent_list("half")


def test_layer_namer_follows_uniquified_scopes() -> None:
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, name="dense"),
            keras.layers.Dense(2, name="dense_1"),
        ]
    )
    namer = LayerNamer(model)
    assert namer("sequential_1/dense_1/MatMul;sequential_1/dense_1/BiasAdd") == ("dense", "Dense")
    assert namer("sequential_1/dense_1_2/MatMul") == ("dense_1", "Dense")
    assert namer("Identity") is None


def test_projects_without_validation_or_data_are_refused() -> None:
    from designer.app.project_run import ProjectRunError

    project = digits_project()
    no_split = Project.from_sections(
        project.graph,
        "no validation",
        data={"source": {"kind": "sklearn-digits"}, "split": {"validation_percent": 0.0}},
    )
    with pytest.raises(CompressionError, match="validation"):
        project_compression(no_split)
    with pytest.raises(ProjectRunError, match="no training data"):
        project_compression(Project(project.graph, "no data"))
