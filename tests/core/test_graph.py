"""LayerGraph: edits, typed errors that leave the graph unchanged, events, plain data."""

from __future__ import annotations

import pytest

from designer.core.errors import (
    CycleError,
    DuplicateNameError,
    GraphError,
    ParamError,
    PortError,
    PortOccupiedError,
    SelfLinkError,
    UnknownLayerType,
    UnknownNodeError,
)
from designer.core.graph import LayerGraph


def test_add_gives_stable_ids_and_unique_keras_like_names() -> None:
    g = LayerGraph()
    a, b, c = g.add("Conv2D"), g.add("Conv2D"), g.add("Dense", name="head")
    assert len({a, b, c}) == 3
    assert [g.node(x).name for x in (a, b, c)] == ["conv2d", "conv2d_1", "head"]
    g.remove(a)
    assert g.add("Dense") not in (a, b, c)  # ids are never reused while nodes exist


@pytest.mark.parametrize(
    "edit, error",
    [
        (lambda g, i: g.connect(i["c"], i["c"]), SelfLinkError),
        (lambda g, i: g.connect(i["d"], i["c"]), CycleError),
        (lambda g, i: g.connect(i["a"], i["c"], 0), PortOccupiedError),
        (lambda g, i: g.connect(i["c"], i["a"]), PortError),
        (lambda g, i: g.connect(i["a"], i["d"], 3), PortError),
        (lambda g, i: g.add("Nope"), UnknownLayerType),
        (lambda g, i: g.set_params(i["c"], filters=-1), ParamError),
        (lambda g, i: g.set_params(i["c"], kernel_size="big"), ParamError),
        (lambda g, i: g.rename(i["c"], "dense"), DuplicateNameError),
        (lambda g, i: g.rename(i["c"], "has space"), GraphError),
        (lambda g, i: g.connect("zz", i["c"]), UnknownNodeError),
        (lambda g, i: g.add("Dense", name="conv2d"), DuplicateNameError),
    ],
)
def test_refused_edits_raise_typed_errors_and_change_nothing(edit, error) -> None:
    g = LayerGraph()
    ids = {"a": g.add("Input", shape=[8, 8, 1]), "c": g.add("Conv2D"), "d": g.add("Dense")}
    g.connect(ids["a"], ids["c"])
    g.connect(ids["c"], ids["d"])
    before = g.to_dict()
    events = []
    g.observe(events.append)
    with pytest.raises(error) as info:
        edit(g, ids)
    assert str(info.value)  # every refusal explains itself
    assert g.to_dict() == before and not events


def test_error_messages_name_layers_and_what_was_received() -> None:
    g = LayerGraph()
    a, b = g.add("Dense", name="first"), g.add("Dense", name="head")
    g.connect(a, b)
    with pytest.raises(CycleError, match="'first' already feeds 'head'"):
        g.connect(b, a)
    with pytest.raises(PortOccupiedError, match="input 1 of 'head' is already fed by 'first'"):
        g.connect(a, b, 0)


def test_merge_layers_take_several_numbered_inputs() -> None:
    g = LayerGraph()
    a, b, add = g.add("Input", shape=[4]), g.add("Input", shape=[4]), g.add("Add")
    assert g.connect(a, add) == 0
    assert g.connect(b, add) == 1
    assert [(lk.src, lk.port) for lk in g.inputs_of(add)] == [(a, 0), (b, 1)]
    mha = g.add("MultiHeadAttention")
    g.connect(a, mha, 0)
    g.connect(a, mha, 1)  # self-attention: the same tensor on two ports
    assert len(g.inputs_of(mha)) == 2


def test_events_reach_observers_and_batches_deliver_at_the_end() -> None:
    g = LayerGraph()
    seen = []
    unsubscribe = g.observe(lambda e: seen.append((e.kind, e.node)))
    a = g.add("Input", shape=[4])
    with g.batch():
        b = g.add("Dense")
        g.connect(a, b)
        assert seen == [("added", a)]
    assert seen == [("added", a), ("added", b), ("connected", b)]
    g.set_params(b, units=3)
    g.move(b, (10, 20))
    g.rename(b, "out")
    assert [k for k, _ in seen[3:]] == ["params", "moved", "renamed"]
    unsubscribe()
    g.remove(b)
    assert len(seen) == 6


def test_remove_and_restore_put_back_the_same_node_and_links(lenet) -> None:
    g, ids = lenet
    before = g.to_dict()
    record = g.remove(ids[3])
    assert ids[3] not in g and len(g.links()) == 6
    g.restore(record)
    assert g.to_dict()["links"] == before["links"]
    assert sorted(n["id"] for n in g.to_dict()["nodes"]) == sorted(n["id"] for n in before["nodes"])


def test_set_params_returns_old_values_for_undo(lenet) -> None:
    g, ids = lenet
    old = g.set_params(ids[1], filters=12, kernel_size=(3, 3))
    assert old == {"filters": 6, "kernel_size": [5, 5]}
    assert g.node(ids[1]).params["kernel_size"] == [3, 3]
    g.set_params(ids[1], **old)
    assert g.node(ids[1]).params["filters"] == 6


def test_replace_keeps_links_that_fit_and_can_be_undone() -> None:
    g = LayerGraph()
    a, b, c = g.add("Input", shape=[4]), g.add("Input", shape=[4]), g.add("Concatenate")
    out = g.add("Dense")
    g.connect(a, c)
    g.connect(b, c)
    g.connect(c, out)
    before = g.to_dict()
    record = g.replace(c, "Dense", units=7)
    assert g.node(c).type == "Dense" and g.node(c).params["units"] == 7
    assert [lk.src for lk in g.inputs_of(c)] == [a]  # the second input no longer fits
    assert g.successors(c) == [out]
    g.restore_replaced(record)
    assert g.to_dict() == before


def test_plain_data_round_trip_and_equality(lenet) -> None:
    g, ids = lenet
    g.set_trainable(ids[1], False)
    g.set_lr_factors(ids[6], 0.1, 0.0)
    copy = LayerGraph.from_dict(g.to_dict())
    assert copy == g and copy.to_dict() == g.to_dict()
    assert not copy.node(ids[1]).trainable
    assert copy.node(ids[6]).lr_factors == (0.1, 0.0)
    # parameters equal to the defaults are left out of the file
    assert "strides" not in next(n for n in g.to_dict()["nodes"] if n["id"] == ids[1])["params"]
    copy.set_params(ids[1], filters=7)
    assert copy != g


def test_topological_order_and_outputs(lenet) -> None:
    g, ids = lenet
    assert g.topological_order() == ids
    extra = g.add("Dense", units=2)
    g.connect(ids[5], extra)
    assert g.output_nodes() == [ids[-1], extra]
    g.set_output_order([extra])
    assert g.output_nodes() == [extra, ids[-1]]
