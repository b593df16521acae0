"""Cost analysis: MACs against published figures and hand counts, memory, the peak of a schedule,
training memory, receptive fields, groups, and updates after edits equal to a fresh count."""

from __future__ import annotations

import keras
import pytest

from designer.core.analysis import analyze
from designer.core.build import graph_from_model
from designer.core.cost import (
    format_bytes,
    format_count,
    network_cost,
    optimizer_slots,
)
from designer.core.graph import LayerGraph
from designer.core.live_analysis import LiveAnalysis

# Published multiply-accumulates at 224x224 (Keras' ResNet50 puts the stride in the first 1x1
# convolution of a block: 3.9 G; torchvision's 4.1 G puts it in the 3x3).
PUBLISHED = {"VGG16": 15.5e9, "MobileNetV2": 0.30e9, "ResNet50": 3.9e9}


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def application(request):
    """(name, graph) of a keras.applications network at 224x224, without weights."""
    model = getattr(keras.applications, request.param)(weights=None)
    return request.param, model, graph_from_model(model)


def test_keras_applications_match_published_mac_counts(application) -> None:
    name, model, graph = application
    cost = network_cost(graph, analyze(graph))
    assert cost.uncounted == []
    assert abs(cost.total_macs - PUBLISHED[name]) <= 0.05 * PUBLISHED[name], cost.total_macs
    assert cost.weight_bytes == 4 * model.count_params()  # float32 weights


def test_lenet_against_a_hand_count(lenet) -> None:
    graph, ids = lenet
    cost = network_cost(graph, analyze(graph))
    conv1 = 5 * 5 * 1 * 6 * 28 * 28  # padding "same": 28x28 out
    conv2 = 5 * 5 * 6 * 16 * 10 * 10  # on the 14x14x6 pooled maps: 10x10 out
    dense = 400 * 120 + 120 * 84 + 84 * 10  # flattened 5x5x16 = 400
    macs = [cost.layers[nid].macs for nid in ids]
    assert macs == [0, conv1, 0, conv2, 0, 0, 400 * 120, 120 * 84, 84 * 10]
    assert cost.total_macs == conv1 + conv2 + dense == 416_520
    pools = [cost.layers[ids[i]].elementwise_ops for i in (2, 4)]
    assert pools == [2 * 2 * 14 * 14 * 6, 2 * 2 * 5 * 5 * 16]  # a 2x2 window per output
    assert cost.layers[ids[1]].elementwise_ops == 2 * 28 * 28 * 6  # bias add and relu
    assert cost.layers[ids[1]].activation_bytes == 28 * 28 * 6 * 4
    assert cost.layers[ids[6]].weight_bytes == (400 * 120 + 120) * 4
    assert cost.weight_bytes == 61_706 * 4


def _dense(graph: LayerGraph, units: int, source: str) -> str:
    node = graph.add("Dense", units=units)
    graph.connect(source, node)
    return node


def test_peak_activation_of_a_branching_graph_against_a_hand_count() -> None:
    graph = LayerGraph()
    x = graph.add("Input", shape=[10])  # 40 bytes a sample
    a = _dense(graph, 20, x)  # 80
    b = _dense(graph, 30, x)  # 120
    c = _dense(graph, 5, a)  # 20
    d = graph.add("Concatenate")  # 140
    graph.connect(c, d, 0)
    graph.connect(b, d, 1)
    report = analyze(graph)
    assert report.order == [x, a, b, c, d]
    cost = network_cost(graph, report, batch_size=3, slots=optimizer_slots("adam"))
    # Step by step, what is alive while a layer runs (its inputs and its output):
    # x: 40; a: x+a = 120; b: x+a+b = 240, then x is freed; c: a+b+c = 220, then a is freed;
    # d: b+c+d = 280 (the peak).
    assert cost.peak_sample_bytes == 120 + 20 + 140
    assert cost.peak_activation_bytes == 3 * 280
    weights = (10 * 20 + 20 + 10 * 30 + 30 + 20 * 5 + 5) * 4
    assert cost.weight_bytes == cost.trainable_weight_bytes == weights
    kept = 40 + 80 + 120 + 20 + 140  # every layer's output, for backprop
    # weights + gradients + two Adam slots + the activations of the batch
    assert cost.training_memory_bytes == weights + (1 + 2) * weights + 3 * kept
    sgd = cost.with_batch(1, optimizer_slots("sgdm", momentum=0.9))
    assert sgd.training_memory_bytes == weights + 2 * weights + kept
    assert sgd.peak_activation_bytes == 280


def test_a_network_output_stays_alive_to_the_end() -> None:
    graph = LayerGraph()
    x = graph.add("Input", shape=[100])  # 400 bytes
    early = _dense(graph, 50, x)  # 200: an output, made first
    late = _dense(graph, 10, _dense(graph, 10, x))  # 40 each
    report = analyze(graph)
    assert set(report.outputs) == {early, late}
    # While the middle layer runs: x, early (an output: kept) and its own 40 bytes. Were early
    # freed after its step, the peak would be x + early = 600.
    assert network_cost(graph, report).peak_sample_bytes == 400 + 200 + 40


def test_receptive_field_of_a_conv_chain() -> None:
    graph = LayerGraph()
    chain = [graph.add("Input", shape=[32, 32, 3])]
    for kind, params in (
        ("Conv2D", {"filters": 4, "kernel_size": 3}),  # 3, stride 1
        ("Conv2D", {"filters": 4, "kernel_size": 3}),  # 5
        ("MaxPooling2D", {"pool_size": 2}),  # 6, stride 2
        ("BatchNormalization", {}),  # kept
        ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}),  # 6 + 2*2*2 = 14
        ("Flatten", {}),
        ("Dense", {"units": 2}),
    ):
        chain.append(graph.add(kind, **params))
        graph.connect(chain[-2], chain[-1])
    cost = network_cost(graph, analyze(graph))
    fields = [cost.layers[nid].receptive_field for nid in chain]
    assert [f.size if f else None for f in fields] == [
        (1, 1),
        (3, 3),
        (5, 5),
        (6, 6),
        (6, 6),
        (14, 14),
        None,
        None,
    ]
    assert fields[3].stride == fields[5].stride == (2, 2) and fields[2].stride == (1, 1)
    assert cost.layers[chain[3]].to_dict()["receptive_field"] == {"size": [6, 6], "stride": [2, 2]}


def _one(kind: str, shape: list[int], **params) -> int | None:
    graph = LayerGraph()
    x = graph.add("Input", shape=shape)
    node = graph.add(kind, **params)
    graph.connect(x, node)
    report = analyze(graph)
    assert report.ok, report.errors
    return network_cost(graph, report).layers[node].macs


def test_counting_rules_of_other_layer_types() -> None:
    assert _one("Dense", [7, 16], units=8) == 7 * 16 * 8  # at every position
    assert _one("Conv1D", [20, 3], filters=4, kernel_size=5) == 5 * 3 * 4 * 16
    assert _one("Conv2D", [8, 8, 4], filters=6, kernel_size=3, groups=2) == 9 * 2 * 6 * 36
    assert _one("DepthwiseConv2D", [8, 8, 4], kernel_size=3, depth_multiplier=2) == (
        3 * 3 * 4 * 2 * 6 * 6
    )
    separable = 3 * 3 * 4 * 6 * 6 + 4 * 5 * 6 * 6  # depthwise + pointwise
    assert _one("SeparableConv2D", [8, 8, 4], filters=5, kernel_size=3) == separable
    transpose = 3 * 3 * 4 * 2 * 5 * 5  # every input position meets the kernel
    assert _one("Conv2DTranspose", [5, 5, 4], filters=2, kernel_size=3, strides=2) == transpose
    for kind, gates in (("SimpleRNN", 1), ("GRU", 3), ("LSTM", 4)):
        assert _one(kind, [12, 6], units=5) == gates * (6 + 5) * 5 * 12
    lstm = {"class_name": "LSTM", "config": {"units": 5}, "module": "keras.layers"}
    assert _one("Bidirectional", [12, 6], layer=lstm) == 2 * 4 * (6 + 5) * 5 * 12
    for kind in ("BatchNormalization", "ReLU", "GlobalAveragePooling1D", "Flatten", "Dropout"):
        assert _one(kind, [12, 6]) == 0


def test_multi_head_attention_counts_projections_scores_and_output() -> None:
    graph = LayerGraph()
    q = graph.add("Input", shape=[10, 16])
    v = graph.add("Input", shape=[6, 12])
    mha = graph.add("MultiHeadAttention", num_heads=2, key_dim=4, value_dim=3)
    graph.connect(q, mha, 0)
    graph.connect(v, mha, 1)
    report = analyze(graph)
    assert report.ok and report.nodes[mha].shape == (None, 10, 16)
    heads, k, dv = 2, 4, 3
    expected = (
        10 * 16 * heads * k  # query projection
        + 6 * 12 * heads * k  # key projection (key = value)
        + 6 * 12 * heads * dv  # value projection
        + heads * 10 * 6 * k  # Q K^T
        + heads * 10 * 6 * dv  # A V
        + 10 * heads * dv * 16  # output projection
    )
    assert network_cost(graph, report).layers[mha].macs == expected


def test_a_group_counts_its_inner_layers() -> None:
    inner = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten()], name="inner"
    )
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, keras.layers.Dense(2)(inner(x)))
    graph = graph_from_model(model)
    group = next(n for n in graph.nodes if n.type == "Model")
    cost = network_cost(graph, analyze(graph))
    conv, dense = 3 * 3 * 3 * 4 * 6 * 6, 6 * 6 * 4 * 2
    assert cost.layers[group.id].macs == conv
    assert cost.total_macs == conv + dense
    assert cost.weight_bytes == 4 * model.count_params()


def test_an_update_after_edits_equals_a_fresh_count() -> None:
    graph = LayerGraph()
    ids = [graph.add("Input", shape=[16, 16, 3])]
    for i in range(12):
        kind = ("Conv2D", "BatchNormalization", "ReLU")[i % 3]
        ids.append(graph.add(kind, **({"filters": 4, "padding": "same"} if i % 3 == 0 else {})))
        graph.connect(ids[-2], ids[-1])
    live = LiveAnalysis(graph)
    edited: set[str] = set()
    graph.observe(live.note)
    graph.observe(lambda event: edited.add(event.node) if event.node else None)
    cost = network_cost(graph, live.refresh())
    edits = [
        lambda: graph.set_params(ids[4], filters=8),  # shapes downstream change
        lambda: graph.set_params(ids[1], kernel_size=[5, 5]),  # fields downstream change
        lambda: graph.set_params(ids[7], activation="relu"),  # nothing but that layer
        lambda: graph.remove(ids[12]),
        lambda: graph.connect(ids[11], graph.add("Dense", units=3)),
    ]
    for edit in edits:
        edited.clear()
        edit()
        report = live.update()
        cost = network_cost(graph, report, 4, 1, previous=cost, edited=edited)
        fresh = network_cost(graph, analyze(graph), 4, 1)
        assert cost.layers == fresh.layers
        assert cost.to_dict() == fresh.to_dict()
        assert cost.touched is not None and len(cost.touched) < len(graph)
    edited.clear()
    graph.set_params(ids[7], activation="linear")
    cost = network_cost(graph, live.update(), 4, 1, previous=cost, edited=edited)
    assert cost.touched == {ids[7]}  # one layer looked at again


def test_a_second_count_is_taken_from_the_cache(lenet) -> None:
    graph, _ids = lenet
    report = analyze(graph)
    first = network_cost(graph, report)
    second = network_cost(graph, report)
    assert all(second.layers[n] is first.layers[n] for n in first.layers)


def test_optimizer_slots_and_formats() -> None:
    assert [optimizer_slots(s) for s in ("adam", "adamw", "nadam", "rmsprop")] == [2, 2, 2, 1]
    assert optimizer_slots("sgdm", 0.9) == 1 and optimizer_slots("sgdm", 0.0) == 0
    assert format_count(15_470_264_320) == "15.5 G" and format_count(1_234) == "1.23 k"
    assert format_count(999) == "999" and format_count(None) == "?"
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(12) == "12 B"
