"""Graph edits: random sequences of edits, values of every odd kind included.

A case starts from a small network and applies 20-50 random edits (adds of curated and odd
types with random parameters and positions, removes, links with odd ports, parameter changes
with huge ints, NaN, text, lists and nested dicts, odd names, moves, replaces, freezing,
learn-rate factors, output orders, groups, paste, several edits at once), through
:func:`designer.core.edits.apply_edits` as the GUI does. After every edit it checks:

* a refused edit raised a :class:`GraphError` and left ``to_dict()`` exactly as it was;
* an accepted one left strict JSON that ``LayerGraph.from_dict`` reads back equal, no cycle,
  and its returned inverse gives back the state before (and redoing, the state after);

and at the end that :func:`analyze` does not raise, and (1 case in 20, small networks) that
``build_model`` either succeeds with as many parameters as the analysis counted or raises
:class:`BuildError`. ``EDITS`` counts edits across cases, for the benchmark's figures.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from designer.core import edits as ed
from designer.core.analysis import analyze
from designer.core.build import BuildError, build_model
from designer.core.catalog import curated_types, spec_for_type
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph, Node, NodeRecord
from designer.core.params import INITIALIZERS, ParamSpec, make_regularizer
from tests.fuzz import InvariantBroken

EDITS: Counter[str] = Counter()  # "tried", "accepted", "refused:<Error>", across cases

NAN, INF = math.nan, math.inf
ODD_VALUES: list[Any] = [
    0,
    -1,
    1,
    3,
    10**400,
    2**63,
    -(2**63) - 1,
    0.5,
    -0.0,
    1e308,
    NAN,
    INF,
    -INF,
    True,
    False,
    None,
    "",
    "same",
    "relu",
    "orthogonal",
    "identity",
    ":",
    "a/b",
    [],
    [1],
    [2, 2],
    [0, 0],
    [NAN],
    [[1, 2]],
    (3, 3),
    {},
    {"a": NAN},
    {"class_name": "RandomNormal", "config": {"stddev": NAN}},
    {"class_name": "Orthogonal", "config": {}},
    {"class_name": "L2", "config": {"l2": INF}},
    {"class_name": "L2", "config": {"l2": 0.01}},
    {"class_name": "Nope", "config": {}},
    {1: 2},
    object(),
    {1, 2},
    b"x",
    1j,
    np.float32(NAN),
    np.int64(3),
    np.array([1, 2]),
]
ODD_TYPES: list[Any] = [
    "AlphaDropout",
    "Nope",
    ":",
    "",
    "deserialize",
    "__class__",
    "keras.ops:add",
    "os:system",
    None,
    5,
]
EXTRA_TYPES = ["Identity", "Masking", "UnitNormalization"]  # keras.layers, not curated
ODD_NAMES: list[Any] = [
    "",
    " ",
    "a/b",
    "x y",
    "schicht_\u00e4",
    "_",
    "a" * 300,
    "0abc",
    "a.b-c",
    "\n",
    " padded ",
    None,
    5,
]
ODD_POSITIONS: list[Any] = [
    (NAN, 0),
    (INF, 1),
    ("a", "b"),
    (1,),
    (1, 2, 3),
    None,
    5,
    "xy",
    (10**400, 0),
    (1e308, -1e308),
    (np.float32(2.5), np.int64(3)),
    [3, 4],
]
ODD_PORTS: list[Any] = [None, 0, 1, 2, 5, -1, "0", 0.5, True, 10**20, np.int64(1), [0]]
ODD_FACTORS: list[Any] = [0, 1, 0.1, 2.5, -1, NAN, INF, "1", None, 10**400, True, np.float32(0.5)]
SHAPES = [[4], [6, 6, 1], [5, 3], [None, 3], [8, 8, 3]]
TYPES = [t for t in curated_types() if t not in ("Input", "Model")]


# ------------------------------------------------------------------------ random values
def _value(rng: random.Random, spec: ParamSpec) -> Any:
    """A plausible value for ``spec`` most of the time, else an odd one."""
    if rng.random() < 0.35:
        return rng.choice(ODD_VALUES)
    kind = spec.kind
    if kind == "int":
        return rng.choice([1, 2, 3, 4, 8])
    if kind == "float":
        return rng.choice([0.0, 0.1, 0.5, 0.9])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "choice" and spec.choices:
        return rng.choice(spec.choices)
    if kind == "ints":
        size = rng.randint(1, 3)
        return [size] * spec.length if spec.length else size
    if kind == "shape":
        return rng.choice(SHAPES)
    if kind == "initializer":
        return rng.choice(INITIALIZERS)
    if kind == "regularizer":
        return make_regularizer(rng.choice(["none", "l1", "l2", "l1_l2"]), 0.01)
    return spec.default


def _params(rng: random.Random, type_name: Any, most: int = 3) -> dict[Any, Any]:
    """A few random parameters for ``type_name`` (unknown ones now and then)."""
    try:
        specs = list(spec_for_type(type_name).params.values())
    except Exception:  # an odd type: its refusal is the edit's business
        specs = []
    chosen = rng.sample(specs, min(len(specs), rng.randint(0, most)))
    params: dict[Any, Any] = {p.name: _value(rng, p) for p in chosen}
    if rng.random() < 0.1:
        params[rng.choice(["bogus", "name", "trainable"])] = rng.choice(ODD_VALUES)
    return params


def _type(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(ODD_TYPES)
    if roll < 0.15:
        return rng.choice(EXTRA_TYPES)
    return rng.choice(TYPES)


def _pos(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return rng.choice(ODD_POSITIONS)
    return (rng.uniform(-500, 500), rng.uniform(-500, 500))


def _name(rng: random.Random, graph: LayerGraph) -> Any:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(ODD_NAMES)
    if roll < 0.45 and len(graph):
        return rng.choice(graph.nodes).name  # taken
    return f"layer_{rng.randint(0, 30)}"


def _node_id(rng: random.Random, graph: LayerGraph, hashable: bool = False) -> Any:
    if not len(graph) or rng.random() < 0.05:
        return rng.choice(["zz", "n999", None, 3] + ([] if hashable else [["n1"]]))
    return rng.choice(graph.nodes).id


def _group(rng: random.Random, graph: LayerGraph) -> ed.Edit:
    """Put in a small group node (a nested network of an Input and one or two Dense)."""
    sub = LayerGraph()
    last = sub.add("Input", shape=rng.choice([[4], [3]]))
    for _ in range(rng.randint(1, 2)):
        nxt = sub.add("Dense", units=rng.randint(1, 4), pos=(rng.uniform(0, 99), 0))
        sub.connect(last, nxt)
        last = nxt
    node = Node(graph.new_id(), "Model", graph.unique_name("block"), {}, _pos(rng), subgraph=sub)
    return ed.RestoreLayers((NodeRecord(node, []),))


def _collapse(rng: random.Random, graph: LayerGraph) -> ed.Edit:
    groups = sorted({n.group for n in graph.nodes if n.group}) or ["nogroup"]
    report = analyze(graph)
    shapes = {(nid, i): s for nid, info in report.nodes.items() for i, s in enumerate(info.shapes)}
    return ed.CollapseGroup(rng.choice(groups), shapes)


def _edits(rng: random.Random, graph: LayerGraph) -> list[ed.Edit]:
    """One random edit, or a few as one undo step (the graph is only read, but for new ids)."""
    if rng.random() < 0.05:  # several as one step: all or nothing
        return [_edit(rng, graph) for _ in range(3)]
    if rng.random() < 0.2 and 0 < len(graph) < 12:  # add a layer after another (quick-add)
        type_name, new = _type(rng), graph.new_id()
        add = ed.AddLayer(type_name, None, _pos(rng), _params(rng, type_name, 2), new)
        return [add, ed.Connect(rng.choice(graph.nodes).id, new)]
    return [_edit(rng, graph)]


def _edit(rng: random.Random, graph: LayerGraph) -> ed.Edit:
    """One random edit (the graph is only read)."""
    kind = rng.choices(
        [
            "add",
            "remove",
            "connect",
            "disconnect",
            "params",
            "rename",
            "move",
            "replace",
            "trainable",
            "lr",
            "outputs",
            "group",
            "expand",
            "collapse",
            "paste",
        ],
        weights=[16 if len(graph) < 12 else 3, 5, 16, 5, 14, 5, 4, 5, 3, 3, 2, 2, 3, 2, 2],
    )[0]
    EDITS[f"kind:{kind}"] += 1
    nid = _node_id(rng, graph)
    if kind == "add":
        type_name = _type(rng)
        return ed.AddLayer(
            type_name,
            _name(rng, graph) if rng.random() < 0.3 else None,
            _pos(rng),
            _params(rng, type_name),
            rng.choice([None] * 8 + ["n999", "", "a/b", 7]),
        )
    if kind == "remove":
        if rng.random() < 0.2 and len(graph) > 1:
            return ed.RemoveLayers(tuple(n.id for n in rng.sample(graph.nodes, 2)))
        return ed.RemoveLayer(nid)
    if kind == "connect":
        port = rng.choice(ODD_PORTS) if rng.random() < 0.4 else None
        src_port = rng.choice(ODD_PORTS[1:]) if rng.random() < 0.15 else 0
        return ed.Connect(_node_id(rng, graph), nid, port, src_port)
    if kind == "disconnect":
        links = graph.links()
        if links and rng.random() < 0.8:
            link = rng.choice(links)
            return ed.Disconnect(link.src, link.dst, link.port)
        return ed.Disconnect(_node_id(rng, graph), nid, rng.choice(ODD_PORTS))
    if kind == "params":
        type_name = graph.node(nid).type if nid in graph else "Dense"
        return ed.SetParams(nid, {str(k): v for k, v in _params(rng, type_name).items()})
    if kind == "rename":
        return ed.Rename(nid, _name(rng, graph))
    if kind == "move":
        return ed.Move({_node_id(rng, graph, True): _pos(rng) for _ in range(rng.randint(1, 2))})
    if kind == "replace":
        type_name = _type(rng)
        return ed.Replace(nid, type_name, {str(k): v for k, v in _params(rng, type_name).items()})
    if kind == "trainable":
        flag = rng.choice([True, False, False, "no", 1, None, np.bool_(False)])
        return ed.SetTrainable({_node_id(rng, graph, True): flag})
    if kind == "lr":
        return ed.SetLrFactors(nid, (rng.choice(ODD_FACTORS), rng.choice(ODD_FACTORS)))
    if kind == "outputs":
        ids = [n.id for n in graph.nodes]
        order = rng.sample(ids, min(len(ids), rng.randint(0, 2)))
        if rng.random() < 0.2:
            return ed.SetOutputOrder(rng.choice([("zz",), "n1", 5, (3,)]))  # type: ignore[arg-type]
        return ed.SetOutputOrder(tuple(order))
    if kind == "group":
        return _group(rng, graph)
    if kind == "expand":
        groups = [n.id for n in graph.nodes if n.type == "Model"]
        return ed.ExpandGroup(rng.choice(groups) if groups else nid)
    if kind == "collapse":
        return _collapse(rng, graph)
    chosen = rng.sample(graph.nodes, min(len(graph), rng.randint(1, 3)))
    clip = ed.copy_layers(graph, [n.id for n in chosen])
    return _Paste(clip, _pos(rng) if rng.random() < 0.5 else (40.0, 40.0))


class _Paste:
    """Paste as the GUI does: plan against the graph at hand, then apply the planned edits."""

    def __init__(self, clip: dict[str, Any], offset: Any) -> None:
        self.clip, self.offset = clip, offset

    def apply(self, graph: LayerGraph) -> ed.Edit:
        edits, _ = ed.plan_paste(graph, self.clip, self.offset)
        (undo,) = ed.apply_edits(graph, edits)
        return undo


# ------------------------------------------------------------------------ the checks
def state(graph: LayerGraph) -> str:
    """The graph's plain data as strict JSON (a project file's), the thing compared."""
    try:
        return json.dumps(graph.to_dict(), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvariantBroken(f"the graph is not strict JSON any more: {exc}") from exc


def _check_accepted(graph: LayerGraph, after: str) -> None:
    try:
        again = LayerGraph.from_dict(json.loads(after))
    except GraphError as exc:
        raise InvariantBroken(f"a saved state does not load again: {exc}") from exc
    if state(again) != after:
        raise InvariantBroken("a saved state loads different")
    if not nx.is_directed_acyclic_graph(graph.view()):
        raise InvariantBroken("an accepted edit made a cycle")
    order = graph.topological_order()
    place = {nid: i for i, nid in enumerate(order)}
    if sorted(order) != sorted(n.id for n in graph.nodes) or any(
        place[lk.src] >= place[lk.dst] for lk in graph.links()
    ):
        raise InvariantBroken("the topological order is wrong")


def _apply(graph: LayerGraph, edits: list[Any], refused: list[str]) -> None:
    """Apply ``edits`` (one undo step) and check the outcome, its undo and its redo."""
    EDITS["tried"] += len(edits)
    before = state(graph)
    try:
        undo = ed.apply_edits(graph, edits)
    except GraphError as exc:
        if state(graph) != before:
            raise InvariantBroken(f"a refused {type(exc).__name__} changed the graph") from exc
        if not str(exc):
            raise InvariantBroken(f"a {type(exc).__name__} without a message") from exc
        EDITS[f"refused:{type(exc).__name__}"] += 1
        refused.append(type(exc).__name__)
        return
    EDITS["accepted"] += len(edits)
    after = state(graph)
    _check_accepted(graph, after)
    try:
        redo = ed.apply_edits(graph, undo)
        if state(graph) != before:
            raise InvariantBroken(f"undo of {type(edits[0]).__name__} gives another state")
        ed.apply_edits(graph, redo)
    except GraphError as exc:
        raise InvariantBroken(f"undo or redo of {type(edits[0]).__name__} refused: {exc}") from exc
    if state(graph) != after:
        raise InvariantBroken(f"redo of {type(edits[0]).__name__} gives another state")


def _start(rng: random.Random) -> LayerGraph:
    """A small network to edit: an Input and a short chain of layers."""
    graph = LayerGraph()
    last = graph.add("Input", shape=rng.choice(SHAPES))
    for type_name in rng.sample(["Dense", "Flatten", "Dropout", "Conv1D", "Activation"], 2):
        nxt = graph.add(type_name, pos=(0.0, 60.0 * len(graph)))
        graph.connect(last, nxt)
        last = nxt
    return graph


def _checked_analysis(graph: LayerGraph) -> Any:
    """analyze(graph), checked; a graph with errors must be refused by build_model."""
    report = analyze(graph)
    if set(report.nodes) != {n.id for n in graph.nodes}:
        raise InvariantBroken("the analysis does not cover every layer")
    if any(issue.code == "cycle" for issue in report.issues):
        raise InvariantBroken("the analysis found a cycle that the edits let in")
    if not report.ok:
        try:
            build_model(graph)
        except BuildError:
            return report
        raise InvariantBroken("build_model built a network whose analysis has errors")
    return report


def _valid_part(saved: str) -> tuple[LayerGraph, Any] | None:
    """The state read afresh (as when a project is opened) less the layers the analysis
    finds errors in, and what they fed: a network that should build; None if none is left."""
    graph = LayerGraph.from_dict(json.loads(saved))
    for _ in range(len(graph) + 1):
        report = _checked_analysis(graph)
        if report.ok:
            return graph, report
        bad = {i.node for i in report.errors if i.node is not None}
        bad |= {n.id for n in graph.nodes if n.type != "Input" and report.nodes[n.id].shape is None}
        if not bad:
            return None  # a whole-network error (no input, no output)
        ed.apply_edits(graph, [ed.RemoveLayers(tuple(bad))])
    return None


def _check_build(saved: str) -> None:
    """Build the valid part of a state: as many parameters as the analysis counted."""
    found = _valid_part(saved)
    if found is None or len(found[0]) > 16 or found[1].total_params > 200_000:
        return  # nothing to build, or too big to build in the loop (every weight is made)
    graph, report = found
    EDITS["builds"] += 1
    try:
        model = build_model(graph)
    except BuildError as exc:
        raise InvariantBroken(f"the analysis is ok but the build refused: {exc}") from exc
    if model.count_params() != report.total_params:
        raise InvariantBroken(
            f"the model has {model.count_params()} parameters, the analysis counted "
            f"{report.total_params}"
        )


def one_case(rng: random.Random, workdir: Path) -> str:
    """A random network edited 20-50 times; "ok", or "refused:<Error>" of the first refusal.

    One case in 20 also builds the part of the final state that the analysis finds fine."""
    graph = _start(rng)
    refused: list[str] = []
    for _ in range(rng.randint(20, 50)):
        _apply(graph, _edits(rng, graph), refused)
        if rng.random() < 0.03:  # the live analysis runs between edits too
            _checked_analysis(graph)
    _checked_analysis(graph)
    if rng.random() < 0.05:
        _check_build(state(graph))
    return f"refused:{refused[0]}" if refused else "ok"
