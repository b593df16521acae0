"""Analysis: shapes with labels, parameter counts as Keras reports them, issues, caching."""

from __future__ import annotations

import keras
import pytest

from designer.core.analysis import analyze
from designer.core.graph import LayerGraph


def test_lenet_shapes_labels_and_params_match_keras(lenet) -> None:
    g, ids = lenet
    report = analyze(g)
    assert report.ok and not report.issues
    reference = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(6, 5, padding="same"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Conv2D(16, 5),
            keras.layers.AveragePooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(120),
            keras.layers.Dense(84),
            keras.layers.Dense(10),
        ]
    )
    assert report.total_params == reference.count_params() == 61706
    for nid, layer in zip(ids[1:], reference.layers, strict=True):
        assert report.shapes[nid] == tuple(layer.output.shape)
        assert report.params[nid] == layer.count_params()
    assert report.nodes[ids[1]].labels == ["BSSC"]
    assert report.nodes[ids[5]].labels == ["BC"]


def test_wrong_rank_gives_a_sentence_a_student_understands() -> None:
    g = LayerGraph()
    a = g.add("Input", shape=[120])
    c = g.add("Conv2D", name="conv2")
    g.connect(a, c)
    report = analyze(g)
    assert not report.ok
    (issue,) = report.errors
    assert issue.node == c and issue.severity == "error"
    assert issue.message == (
        "Conv2D 'conv2' expects 4-D input (batch, height, width, channels) but receives (None, 120)"
    )


def test_structural_errors() -> None:
    g = LayerGraph()
    assert [i.code for i in analyze(g).errors] == ["empty"]
    d = g.add("Dense")
    codes = {i.code for i in analyze(g).errors}
    assert {"unconnected_input", "no_input"} <= codes
    a, b = g.add("Input", shape=[4]), g.add("Input", shape=[5])
    g.connect(a, d)
    add = g.add("Add")
    g.connect(a, add)
    report = analyze(g)
    assert any(i.code == "input_count" and i.node == add for i in report.errors)
    g.connect(b, add)
    report = analyze(g)
    (error,) = [i for i in report.errors if i.node == add]
    assert "(None, 4), (None, 5)" in error.message


def test_too_small_input_is_explained() -> None:
    g = LayerGraph()
    a, c = g.add("Input", shape=[3, 3, 1]), g.add("Conv2D", kernel_size=5)
    g.connect(a, c)
    (issue,) = analyze(g).errors
    assert "too small" in issue.message


def test_warnings_for_common_mistakes() -> None:
    g = LayerGraph()
    a = g.add("Input", shape=[16])
    drop = g.add("Dropout")
    bn = g.add("BatchNormalization")
    out = g.add("Dense", units=10)  # no softmax
    g.connect(a, drop)
    g.connect(drop, bn)
    g.connect(bn, out)
    g.add("Input", shape=[3], name="spare")
    codes = {i.code for i in analyze(g).warnings}
    assert {"dropout_before_norm", "missing_softmax", "unused_input"} <= codes
    g.set_params(out, activation="softmax")
    assert "missing_softmax" not in {i.code for i in analyze(g).warnings}


def test_invalid_keras_parameter_becomes_an_error_not_an_exception() -> None:
    g = LayerGraph()
    a, r = g.add("Input", shape=[12]), g.add("Reshape", target_shape=[5, 5])
    g.connect(a, r)
    report = analyze(g)
    assert not report.ok and report.errors[0].node == r


def test_frozen_layers_count_as_non_trainable(lenet) -> None:
    g, ids = lenet
    g.set_trainable(ids[6], False)
    report = analyze(g)
    assert report.non_trainable_params == 48120
    assert report.trainable_params == 61706 - 48120


def test_edit_recomputes_only_affected_layers(lenet) -> None:
    g, ids = lenet
    assert analyze(g).recomputed == 8
    g.set_params(ids[7], activation="tanh")  # shape unchanged: only this layer
    assert analyze(g).recomputed == 1
    g.set_params(ids[6], units=100)  # changes the next layer's input too
    assert analyze(g).recomputed == 2
    g.set_params(ids[6], units=120)  # back to a state seen before: all cached
    assert analyze(g).recomputed == 0


def test_huge_network_layers_are_analysed_without_allocating() -> None:
    g = LayerGraph()
    a, f, d = g.add("Input", shape=[224, 224, 64]), g.add("Flatten"), g.add("Dense", units=4096)
    g.connect(a, f)
    g.connect(f, d)
    report = analyze(g)  # 13 billion parameters: only counted, never allocated
    assert report.params[d] == 224 * 224 * 64 * 4096 + 4096
    assert any(i.code == "huge_dense" for i in report.warnings)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_layers_on_sequences(kind: str) -> None:
    g = LayerGraph()
    a, r, d = g.add("Input", shape=[None, 12]), g.add(kind, units=8), g.add("Dense", units=3)
    g.connect(a, r)
    g.connect(r, d)
    report = analyze(g)
    assert report.ok and report.shapes[r] == (None, 8)
    assert report.nodes[a].labels == ["BTC"]
