"""Transfer-learning graph edits: find and replace the head, freeze, unfreeze, undo exactly."""

from __future__ import annotations

import numpy as np
import pytest

from designer.app.files import project_from_model
from designer.core.build import build_model
from designer.core.edits import AddLayer, apply_edits
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph
from designer.core.transfer import (
    HeadNotFoundError,
    find_head,
    freeze_until,
    plan_replace_head,
    replace_head,
    unfreeze_last,
)
from designer.core.weights import weight_arrays


@pytest.fixture(scope="module")
def digits_model():
    from designer.zoo import build_model as zoo_build

    return zoo_build("digits_cnn", weights="pretrained", include_top=True)


@pytest.fixture
def graph(digits_model) -> LayerGraph:
    return project_from_model(digits_model).graph


def names(graph: LayerGraph, ids) -> list[str]:
    return [graph.node(n).name for n in ids]


def test_find_head_of_digits_cnn(graph):
    head = find_head(graph)
    assert names(graph, head.nodes) == ["predictions"]
    assert graph.node(head.anchor).name == "dropout"
    assert head.kind == "dense"


def test_find_head_squeezenet_style_and_separate_softmax():
    g = LayerGraph()
    ids = [
        g.add("Input", params={"shape": (8, 8, 3)}),
        g.add("Conv2D", filters=4, kernel_size=3),
        g.add("Conv2D", filters=5, kernel_size=1),
        g.add("ReLU"),
        g.add("GlobalAveragePooling2D"),
        g.add("Activation", activation="softmax"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    head = find_head(g)
    assert head.kind == "conv" and list(head.nodes) == ids[2:] and head.anchor == ids[1]
    replace_head(g, 7)
    model = build_model(g)
    assert model.output_shape == (None, 7)
    assert [la.__class__.__name__ for la in model.layers][-2:] == [
        "GlobalAveragePooling2D",
        "Dense",
    ]


def test_no_head_is_a_clear_error():
    g = LayerGraph()
    a, b = g.add("Input", params={"shape": (4, 4, 1)}), g.add("Flatten")
    g.connect(a, b)
    with pytest.raises(HeadNotFoundError, match="Expected the network to end in a Dense"):
        find_head(g)


def test_replace_head_keeps_other_weights_and_reverts_exactly(graph, digits_model):
    before = graph.to_dict()
    edits = plan_replace_head(graph, 26, extra_dense=32, dropout=0.25)
    undo = apply_edits(graph, edits)
    assert names(graph, graph.topological_order())[-3:] == ["new_dense", "new_dropout", "new_fc"]
    model = build_model(graph)
    assert model.output_shape == (None, 26)
    assert model.get_layer("new_fc").get_config()["activation"] == "softmax"
    for layer in ("conv1", "conv3", "features"):
        for got, want in zip(
            model.get_layer(layer).get_weights(),
            digits_model.get_layer(layer).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(got, want)
    apply_edits(graph, undo)
    assert graph.to_dict() == before
    assert weight_arrays(graph.find("predictions").weights) is not None
    apply_edits(graph, edits)  # redo gives the same ids and names
    assert graph.find("new_fc").id == [e for e in edits if isinstance(e, AddLayer)][-1].node_id


def test_regression_head_and_bad_arguments(graph):
    with pytest.raises(GraphError, match="number of classes >= 2"):
        plan_replace_head(graph, 1)
    replace_head(graph, 1, regression=True)
    assert build_model(graph).get_layer("new_fc").get_config()["activation"] == "linear"
    replace_head(graph, 3)  # again: the new head is found and replaced, keeping the name
    assert graph.find("new_fc").params["units"] == 3 and graph.find("new_fc_1") is None


def test_freeze_until_and_unfreeze_last(graph):
    freeze_until(graph, graph.find("conv3").id)
    frozen = [n.name for n in graph.nodes if not n.trainable]
    assert frozen == ["input", "conv1", "pool1", "conv2", "pool2", "conv3"]
    model = build_model(graph)
    assert not model.get_layer("conv2").trainable and model.get_layer("features").trainable
    unfreeze_last(graph, 3)  # conv3, features, predictions: the last three with weights
    assert [n.name for n in graph.nodes if not n.trainable] == [
        "input",
        "conv1",
        "pool1",
        "conv2",
        "pool2",
    ]
    with pytest.raises(GraphError):
        unfreeze_last(graph, 0)
