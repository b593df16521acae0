"""Build and import: keras.applications round trips, nesting, sharing, several outputs, weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.core.analysis import analyze
from designer.core.build import BuildError, ImportModelError, build_model, graph_from_model
from designer.core.graph import LayerGraph

A = keras.applications
# One model of every keras.applications family, at a small input where the family allows it.
FAMILIES = [
    ("VGG16", A.VGG16, 32),
    ("ResNet50", A.ResNet50, 32),
    ("ResNet50V2", A.ResNet50V2, 32),
    ("InceptionV3", A.InceptionV3, 75),
    ("InceptionResNetV2", A.InceptionResNetV2, 75),
    ("Xception", A.Xception, 71),
    ("MobileNet", A.MobileNet, 32),
    ("MobileNetV2", A.MobileNetV2, 32),
    ("MobileNetV3Small", A.MobileNetV3Small, 32),
    ("DenseNet121", A.DenseNet121, 32),
    ("NASNetMobile", A.NASNetMobile, 224),
    ("EfficientNetB0", A.EfficientNetB0, 32),
    ("EfficientNetV2B0", A.EfficientNetV2B0, 32),
    ("ConvNeXtTiny", A.ConvNeXtTiny, 32),
]


def _same_outputs(a: keras.Model, b: keras.Model, tol: float = 1e-5) -> float:
    shapes = a.inputs if isinstance(a.inputs, list) else [a.inputs]
    rng = np.random.default_rng(0)
    x = [rng.random((2, *t.shape[1:])).astype("float32") for t in shapes]
    x = x[0] if len(x) == 1 else x
    ya, yb = keras.tree.flatten(a(x)), keras.tree.flatten(b(x))
    diff = max(
        float(np.abs(np.asarray(p) - np.asarray(q)).max()) for p, q in zip(ya, yb, strict=True)
    )
    assert diff <= tol, diff
    return diff


@pytest.mark.parametrize("name, factory, size", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_keras_applications_round_trip(name: str, factory, size: int) -> None:
    model = factory(weights=None, input_shape=(size, size, 3), classes=5)
    graph = graph_from_model(model)
    fresh = LayerGraph.from_dict(graph.to_dict())  # analysis from scratch, not from the import
    report = analyze(fresh)
    assert report.ok, [i.message for i in report.errors]
    assert report.total_params == model.count_params()
    rebuilt = build_model(graph)
    assert len(rebuilt.layers) == len(model.layers)
    assert rebuilt.count_params() == model.count_params()
    _same_outputs(model, rebuilt)


def test_nested_model_becomes_a_group_node_and_builds() -> None:
    inner_in = keras.Input((8,))
    backbone = keras.Model(inner_in, keras.layers.Dense(4, name="feat")(inner_in), name="backbone")
    x = keras.Input((8,))
    y = keras.layers.Dense(2, activation="softmax", name="head")(backbone(x, training=False))
    model = keras.Model(x, y)
    graph = graph_from_model(model)
    group = graph.find("backbone")
    assert group.type == "Model" and group.subgraph.find("feat") is not None
    assert group.call_kwargs == {"training": False}
    assert analyze(graph).total_params == model.count_params()
    rebuilt = build_model(graph)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    _same_outputs(model, rebuilt)


def test_shared_layer_is_called_twice_with_one_set_of_weights() -> None:
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    shared = keras.layers.Dense(3, name="shared")
    out = keras.layers.Concatenate(name="cat")([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    graph = graph_from_model(model)
    calls = [n for n in graph.nodes if n.type == "Dense"]
    assert len(calls) == 2 and calls[1].shared_with == calls[0].id
    assert analyze(graph).total_params == model.count_params() == 21
    rebuilt = build_model(graph)
    assert rebuilt.count_params() == 21
    _same_outputs(model, rebuilt)


def test_several_outputs_and_inputs_keep_their_order() -> None:
    img, meta = keras.Input((8, 8, 1), name="img"), keras.Input((3,), name="meta")
    f = keras.layers.Flatten(name="flat")(img)
    j = keras.layers.Concatenate(name="join")([f, meta])
    cls = keras.layers.Dense(4, activation="softmax", name="cls")(j)
    reg = keras.layers.Dense(1, name="reg")(j)
    model = keras.Model([img, meta], [reg, cls, f])  # an inner tensor is an output too
    graph = graph_from_model(model)
    rebuilt = build_model(graph)
    assert [t.name for t in rebuilt.inputs] == ["img", "meta"]
    assert [tuple(t.shape) for t in rebuilt.outputs] == [(None, 1), (None, 4), (None, 64)]
    _same_outputs(model, rebuilt)


def test_sequential_and_recurrent_wrappers() -> None:
    model = keras.Sequential(
        [
            keras.Input((None, 5)),
            keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
            keras.layers.TimeDistributed(keras.layers.Dense(3)),
            keras.layers.GRU(2),
        ]
    )
    graph = graph_from_model(model)
    assert [n.type for n in graph.nodes] == ["Input", "Bidirectional", "TimeDistributed", "GRU"]
    rebuilt = build_model(graph)
    assert rebuilt.count_params() == model.count_params()
    x = np.random.default_rng(1).random((2, 7, 5)).astype("float32")
    np.testing.assert_allclose(model(x), rebuilt(x), atol=1e-5)


def test_unbuilt_sequential_and_subclassed_models_are_refused() -> None:
    with pytest.raises(ImportModelError, match="no input shape"):
        graph_from_model(keras.Sequential([keras.layers.Dense(2)]))

    class Custom(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ImportModelError, match="subclassed"):
        graph_from_model(Custom())


def test_weights_survive_rebuild_except_on_changed_layers() -> None:
    x = keras.Input((6,))
    h = keras.layers.Dense(5, name="hidden")(x)
    y = keras.layers.Dense(3, name="head")(h)
    model = keras.Model(x, y)
    graph = graph_from_model(model)
    graph.set_params(graph.find("head").id, units=4)  # replaced head: fresh weights
    rebuilt = build_model(graph)
    np.testing.assert_array_equal(
        rebuilt.get_layer("hidden").get_weights()[0], model.get_layer("hidden").get_weights()[0]
    )
    assert rebuilt.get_layer("head").get_weights()[0].shape == (5, 4)
    graph.set_params(graph.find("head").id, units=3)  # undo: the old weights fit again
    again = build_model(graph)
    np.testing.assert_array_equal(
        again.get_layer("head").get_weights()[0], model.get_layer("head").get_weights()[0]
    )


def test_frozen_node_builds_a_frozen_layer(lenet) -> None:
    g, ids = lenet
    g.set_trainable(ids[1], False)
    model = build_model(g)
    assert not model.get_layer(g.node(ids[1]).name).trainable
    assert model.count_params() == 61706


def test_build_error_lists_the_problems() -> None:
    g = LayerGraph()
    a, c = g.add("Input", shape=[10]), g.add("Conv2D", name="conv")
    g.connect(a, c)
    with pytest.raises(BuildError, match="Conv2D 'conv' expects 4-D input") as info:
        build_model(g)
    assert info.value.errors[0].node == c


def test_group_expands_in_place_builds_the_same_and_collapses_back() -> None:
    from designer.core.edits import ExpandGroup, apply_edits

    inner_in = keras.Input((8,))
    h = keras.layers.Dense(5, name="feat")(inner_in)
    backbone = keras.Model(inner_in, keras.layers.Dense(4, name="proj")(h), name="backbone")
    x = keras.Input((8,))
    model = keras.Model(x, keras.layers.Dense(2, name="head")(backbone(x)))
    graph = graph_from_model(model)
    before = graph.to_dict()
    undo = apply_edits(graph, [ExpandGroup(graph.find("backbone").id)])
    assert graph.find("backbone") is None
    assert graph.find("feat").group == "backbone" and graph.find("proj").group == "backbone"
    report = analyze(graph)
    assert report.ok and report.total_params == model.count_params()
    _same_outputs(model, build_model(graph))  # the weights moved with the layers
    expanded = graph.to_dict()
    redo = apply_edits(graph, undo)
    assert graph.to_dict() == before
    apply_edits(graph, redo)  # expanding again gives the very same layers (ids, names)
    assert graph.to_dict() == expanded


def test_expanded_group_collapses_again_after_edits() -> None:
    from designer.core.groups import collapse_group, expand_group

    inner_in = keras.Input((8,))
    backbone = keras.Model(inner_in, keras.layers.Dense(4, name="feat")(inner_in), name="backbone")
    x = keras.Input((8,))
    model = keras.Model(x, keras.layers.Dense(2, name="head")(backbone(x)))
    graph = graph_from_model(model)
    expand_group(graph, graph.find("backbone").id)
    graph.move(graph.find("head").id, (500, 500))  # an unrelated edit in between
    report = analyze(graph)
    shapes = {(nid, i): s for nid, info in report.nodes.items() for i, s in enumerate(info.shapes)}
    group_id = collapse_group(graph, "backbone", shapes)
    group = graph.node(group_id)
    assert group.type == "Model" and group.subgraph.find("feat") is not None
    assert graph.find("feat") is None
    assert analyze(graph).total_params == model.count_params()
    _same_outputs(model, build_model(graph))


def test_expanding_a_group_called_in_inference_mode_keeps_inference_mode() -> None:
    """base(x, training=False), the transfer-learning idiom: expanding the group passes the
    recorded training=False on to the inner layers whose call takes it (Keras 3 functional
    graphs give an explicit outer ``training`` precedence either way, so behaviour matches)."""
    from designer.core.groups import expand_group

    inner_in = keras.Input((6,))
    h = keras.layers.Dense(6, name="feat")(inner_in)
    h = keras.layers.BatchNormalization(name="bn")(h)
    backbone = keras.Model(inner_in, keras.layers.Dropout(0.9, name="drop")(h), name="backbone")
    x = keras.Input((6,))
    model = keras.Model(x, keras.layers.Dense(2, name="head")(backbone(x, training=False)))
    graph = graph_from_model(model)
    assert graph.find("backbone").call_kwargs == {"training": False}
    expand_group(graph, graph.find("backbone").id)
    assert graph.find("bn").call_kwargs == {"training": False}
    assert graph.find("drop").call_kwargs == {"training": False}
    assert graph.find("feat").call_kwargs == {"training": False}  # Dense.call takes it too
    rebuilt = build_model(graph)
    data = np.random.default_rng(0).random((4, 6)).astype("float32")
    np.testing.assert_allclose(rebuilt(data), model(data), atol=1e-6)
    for name in ("bn", "drop"):  # the rebuilt model records the call as the original did
        assert rebuilt.get_layer(name)._inbound_nodes[0].arguments.kwargs == {"training": False}
