"""LiveAnalysis: after an edit only what it can change is analysed again, and the report is
exactly the one a whole analysis gives (random graphs, random edits, through Hypothesis)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.core.analysis import analyze
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph, NodeRecord
from designer.core.live_analysis import LiveAnalysis
from designer.core.report import Report

TYPES = ["Dense", "Dense", "Dense", "Dropout", "BatchNormalization", "Flatten", "Add"]
TYPES += ["Concatenate", "Softmax", "Input"]


def _params(rng: random.Random, type_name: str) -> dict[str, Any]:
    if type_name == "Dense":
        return {
            "units": rng.choice([2, 3]),
            "activation": rng.choice(["linear", "relu", "softmax"]),
        }
    if type_name == "Input":
        return {"shape": rng.choice([[4], [3], [2, 2]])}
    if type_name == "Dropout":
        return {"rate": rng.choice([0.1, 0.5])}
    return {}


class Editor:
    """Random edits of a graph, each one a graph method as the GUI's commands call them."""

    def __init__(self, graph: LayerGraph, rng: random.Random) -> None:
        self.graph, self.rng = graph, rng
        self.removed: list[NodeRecord] = []

    def pick(self) -> str | None:
        nodes = self.graph.nodes
        return self.rng.choice(nodes).id if nodes else None

    def add(self) -> None:
        kind = self.rng.choice(TYPES)
        self.graph.add(kind, params=_params(self.rng, kind), pos=(0.0, 0.0))

    def add_after(self) -> None:  # a new layer fed by an existing one (added last)
        src = self.pick()
        kind = self.rng.choice([t for t in TYPES if t != "Input"])
        new = self.graph.add(kind, params=_params(self.rng, kind))
        if src is not None:
            self.graph.connect(src, new)

    def insert(self) -> None:  # a new layer put on an existing link
        links = self.graph.links()
        if links:
            link = self.rng.choice(links)
            with self.graph.batch():
                self.graph.disconnect(link.src, link.dst, link.port)
                new = self.graph.add("Dense", params=_params(self.rng, "Dense"))
                self.graph.connect(link.src, new)
                self.graph.connect(new, link.dst, link.port)

    def remove(self) -> None:
        nid = self.pick()
        if nid is not None:
            self.removed.append(self.graph.remove(nid))

    def restore(self) -> None:  # undo of a removal: back in its place with its links
        if self.removed:
            self.graph.restore(self.removed.pop(self.rng.randrange(len(self.removed))))

    def connect(self) -> None:  # now and then from an output the layer does not have
        src, dst = self.pick(), self.pick()
        if src is not None and dst is not None:
            self.graph.connect(src, dst, src_port=self.rng.choice([0, 0, 0, 1]))

    def trusted_link(self) -> None:  # an importer's link: unchecked, it may close a cycle
        src, dst = self.pick(), self.pick()
        if src is None or dst is None or src == dst:
            return
        if self.graph.node(dst).spec.max_inputs != 0:
            self.graph.add_trusted_link(src, dst, self.graph.free_port(dst))

    def disconnect(self) -> None:
        links = self.graph.links()
        if links:
            link = self.rng.choice(links)
            self.graph.disconnect(link.src, link.dst, link.port)

    def set_params(self) -> None:
        nid = self.pick()
        if nid is not None:
            node = self.graph.node(nid)
            params = _params(self.rng, node.type)
            if params:
                key = self.rng.choice(sorted(params))
                self.graph.set_params(nid, **{key: params[key]})

    def rename(self) -> None:
        nid = self.pick()
        if nid is not None:
            self.graph.rename(nid, self.graph.unique_name(f"layer{self.rng.randrange(99)}"))

    def freeze(self) -> None:
        nid = self.pick()
        if nid is not None:
            self.graph.set_trainable(nid, not self.graph.node(nid).trainable)

    def replace(self) -> None:
        nid = self.pick()
        if nid is not None:
            kind = self.rng.choice(TYPES)
            self.graph.replace(nid, kind, **_params(self.rng, kind))

    def outputs(self) -> None:
        ids = [n.id for n in self.graph.nodes]
        self.graph.set_output_order(self.rng.sample(ids, min(len(ids), self.rng.randrange(3))))

    def move(self) -> None:
        nid = self.pick()
        if nid is not None:
            self.graph.move(nid, (self.rng.uniform(0, 500), 0.0))

    def several(self) -> None:  # a batch: the events come together after all the changes
        with self.graph.batch():
            for _ in range(self.rng.randrange(2, 5)):
                self.one(batch=False)

    def one(self, batch: bool = True) -> None:
        edits: list[Callable[[], None]] = [
            self.add,
            self.add_after,
            self.add_after,
            self.insert,
            self.remove,
            self.restore,
            self.connect,
            self.connect,
            self.disconnect,
            self.set_params,
            self.set_params,
            self.rename,
            self.freeze,
            self.replace,
            self.outputs,
            self.move,
        ]
        if self.rng.random() < 0.1:
            edits.append(self.trusted_link)
        if batch:
            edits.append(self.several)
        with contextlib.suppress(GraphError):  # a refused edit leaves the graph as it was
            self.rng.choice(edits)()


def _seed_graph(rng: random.Random) -> LayerGraph:
    graph = LayerGraph()
    prev = graph.add("Input", shape=[4])
    for _ in range(rng.randrange(1, 6)):
        kind = rng.choice(["Dense", "Dense", "Dropout", "BatchNormalization", "Softmax"])
        nid = graph.add(kind, params=_params(rng, kind))
        graph.connect(prev, nid)
        prev = nid
    return graph


def _check(live: LiveAnalysis, before: Report, report: Report) -> None:
    graph = live.graph
    full = analyze(graph)
    assert report == full  # nodes, issues, inputs, outputs and order
    assert report.total_params == full.total_params
    assert report.trainable_params == full.trainable_params
    assert report.inputs == graph.input_nodes() and report.outputs == graph.output_nodes()
    if not any(i.code == "cycle" for i in full.issues):
        assert report.order == graph.topological_order()
    assert report.since == before.serial and report.changed is not None
    for nid, info in report.nodes.items():
        if nid not in report.changed:
            assert info is before.nodes[nid]  # taken over, object for object
    assert {n for n in before.nodes if n not in report.nodes} <= report.changed


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 12))
def test_incremental_reports_equal_whole_analyses(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    graph = _seed_graph(rng)
    live = LiveAnalysis(graph)
    graph.observe(live.note)
    report = live.update()
    assert live.full_runs == 1
    editor = Editor(graph, rng)
    for _ in range(steps):
        for _ in range(rng.randrange(1, 3)):  # edits coalesced into one update, sometimes
            editor.one()
        was_cyclic = any(i.code == "cycle" for i in report.issues)
        runs = live.full_runs
        before, report = report, live.update()
        _check(live, before, report)
        is_cyclic = any(i.code == "cycle" for i in report.issues)
        if not (was_cyclic or is_cyclic):
            assert live.full_runs == runs  # brought up to date, not analysed afresh


def _chain(length: int, units: int = 4) -> tuple[LayerGraph, list[str]]:
    graph = LayerGraph()
    ids = [graph.add("Input", shape=[8])]
    for _ in range(length):
        ids.append(graph.add("Dense", units=units))
        graph.connect(ids[-2], ids[-1])
    return graph, ids


def _live(graph: LayerGraph) -> LiveAnalysis:
    live = LiveAnalysis(graph)
    graph.observe(live.note)
    live.update()
    return live


def test_an_edit_that_keeps_the_shapes_evaluates_that_layer_only() -> None:
    graph, ids = _chain(30)
    live = _live(graph)
    before = live.report
    assert before is not None
    graph.set_params(ids[10], activation="relu")
    report = live.update()
    assert live.visited == [ids[10]]
    assert report.changed == frozenset()  # same shapes, counts and issues
    assert all(report.nodes[n] is before.nodes[n] for n in ids)
    assert live.full_runs == 1


def test_a_changed_shape_goes_on_downstream_only_as_far_as_outputs_change() -> None:
    graph, ids = _chain(30)
    live = _live(graph)
    graph.set_params(ids[10], units=7)  # its output and the next layer's count change
    report = live.update()
    assert live.visited == [ids[10], ids[11]]  # ids[11] still gives 4 units: no further
    assert report.changed == {ids[10], ids[11]}
    assert report.nodes[ids[11]].params == 7 * 4 + 4
    assert report.total_params == analyze(graph).total_params
    assert report.recomputed == 2  # two configurations Keras had not seen


def test_an_input_shape_change_goes_through_the_whole_chain() -> None:
    graph, ids = _chain(5, units=4)
    live = _live(graph)
    graph.set_params(ids[0], shape=[2, 8])
    report = live.update()
    assert live.visited == ids
    assert report.nodes[ids[-1]].shape == (None, 2, 4)
    assert report == analyze(graph)


def test_a_layer_added_last_and_undone_extends_and_shortens_the_order() -> None:
    graph, ids = _chain(20)
    live = _live(graph)
    new = graph.add("Dense", units=3)
    report = live.update()
    assert live.visited == [new]
    assert report.order == [*ids, new]
    assert report.changed == {new}
    assert [i.code for i in report.nodes[new].issues] == ["unconnected_input"]
    graph.connect(ids[-1], new)
    report = live.update()
    assert live.visited == [new] and report.order == graph.topological_order()
    assert report.outputs == [new]
    graph.remove(new)
    report = live.update()
    assert live.visited == [] and report.order == ids
    assert report.changed == {new, ids[-1]}  # the last Dense is the output again: no softmax
    assert "missing_softmax" in {i.code for i in report.nodes[ids[-1]].issues}
    assert report == analyze(graph) and live.full_runs == 1


def test_inserting_a_layer_between_two_evaluates_it_and_what_follows() -> None:
    graph, ids = _chain(10)
    live = _live(graph)
    with graph.batch():
        graph.disconnect(ids[3], ids[4], 0)
        new = graph.add("Dense", units=6)
        graph.connect(ids[3], new)
        graph.connect(new, ids[4])
    report = live.update()
    assert live.visited == [new, ids[4]]
    assert report == analyze(graph)
    assert report.order.index(new) == report.order.index(ids[4]) - 1


def test_renaming_rewrites_the_messages_that_name_the_layer() -> None:
    graph = LayerGraph()
    a = graph.add("Input", shape=[4])
    d = graph.add("Dense", units=3, name="head")
    graph.connect(a, d)
    drop = graph.add("Dropout", name="drop")
    norm = graph.add("BatchNormalization")
    graph.connect(d, drop)
    graph.connect(drop, norm)
    live = _live(graph)
    graph.rename(drop, "drop2")
    report = live.update()
    (warning,) = [i for i in report.issues if i.code == "dropout_before_norm"]
    assert "'drop2'" in warning.message and report.changed == {drop}
    assert report == analyze(graph)
    odd = graph.add("Dense", units=2)
    graph.connect(norm, odd, src_port=1)  # BatchNormalization has one output
    live.update()
    graph.rename(norm, "norm2")
    report = live.update()
    assert live.visited == [norm, odd]  # the next layer's message names it
    (error,) = report.nodes[odd].issues
    assert error.code == "bad_output" and "'norm2' has 1 output(s)" in error.message
    assert report == analyze(graph)


def test_a_cycle_through_a_trusted_link_is_reported_and_then_left_behind() -> None:
    graph, ids = _chain(4)
    live = _live(graph)
    add = graph.add("Add")
    graph.connect(ids[2], add)
    graph.add_trusted_link(add, ids[1], 1)  # Dense takes one input: port 1 is a later error
    graph.disconnect(ids[0], ids[1], 0)
    graph.add_trusted_link(add, ids[1], 0)
    graph.disconnect(add, ids[1], 1)
    report = live.update()
    assert [i.code for i in report.issues][:1] == ["cycle"] and report == analyze(graph)
    graph.disconnect(add, ids[1], 0)
    report = live.update()
    assert not any(i.code == "cycle" for i in report.issues) and report == analyze(graph)
