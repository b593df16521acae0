"""Nested networks on the canvas: a group node (a model used as a layer) is kept collapsed, or
expanded in place so that its layers become ordinary layers of the outer network."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from dataclasses import dataclass

from designer.core.errors import GraphError
from designer.core.graph import LayerGraph, Node, NodeRecord


@dataclass
class Expansion:
    """What :func:`expand_group` did, so that it can be undone (designer.core.edits.ExpandGroup)."""

    group: NodeRecord
    new_ids: list[str]


def expand_group(graph: LayerGraph, node_id: str) -> Expansion:
    """Replace group node ``node_id`` by its layers, wired to the outer network."""
    group = graph.node(node_id)
    sub = group.subgraph
    _check_unshared(graph, group)
    if group.type != "Model" or sub is None:
        raise GraphError(f"'{group.name}' is a {group.label}, not a group of layers")
    inputs = {lk.port: lk for lk in graph.inputs_of(node_id)}
    sub_inputs, sub_outputs = sub.input_nodes(), _output_list(sub)
    if sorted(inputs) != list(range(len(sub_inputs))):
        raise GraphError(
            f"connect all {len(sub_inputs)} inputs of '{group.name}' before expanding it"
        )
    outgoing = graph.outputs_of(node_id)
    origin = sub_origin(sub)
    with graph.batch():
        record = graph.remove(node_id)
        mapping = {node.id: graph.new_id() for node in sub.nodes if node.type != "Input"}
        for node in sub.nodes:
            if node.type == "Input":
                continue
            twin = copy.copy(node)
            twin.params = dict(node.params)
            if (
                "training" in group.call_kwargs
                and "training" not in node.call_kwargs
                and _takes_training(node)
            ):
                # model(x, training=False) runs every inner layer so (frozen BatchNorm)
                twin.call_kwargs = {**node.call_kwargs, "training": group.call_kwargs["training"]}
            twin.id = mapping[node.id]
            twin.shared_with = mapping.get(node.shared_with) if node.shared_with else None
            twin.name = graph.unique_name(node.name)
            twin.group = group.name
            twin.trainable = node.trainable and group.trainable
            twin.pos = (
                group.pos[0] + node.pos[0] - origin[0],
                group.pos[1] + node.pos[1] - origin[1],
            )
            twin.forget_key()
            graph.add_node(twin)
        for link in sub.links():
            if link.src in sub_inputs:
                outer = inputs[sub_inputs.index(link.src)]
                graph.connect(outer.src, mapping[link.dst], link.port, outer.src_port)
            else:
                graph.connect(mapping[link.src], mapping[link.dst], link.port, link.src_port)
        for link in outgoing:
            inner = sub_outputs[link.src_port] if link.src_port < len(sub_outputs) else None
            if inner is None or inner[0] not in mapping:
                raise GraphError(f"output {link.src_port + 1} of '{group.name}' has no layer")
            graph.connect(mapping[inner[0]], link.dst, link.port, inner[1])
    return Expansion(record, list(mapping.values()))


def _check_unshared(graph: LayerGraph, group: Node) -> None:
    """GraphError when ``group`` is a sub-model called more than once (shared weights):
    expanding one call would make its layers separate from the other calls'."""
    owner = group.shared_with or group.id
    calls = [n.name for n in graph.nodes if n.id == owner or n.shared_with == owner]
    if group.type == "Model" and len(calls) > 1:
        raise GraphError(
            f"'{group.name}' is one sub-model called {len(calls)} times ({', '.join(calls)}) "
            f"with shared weights; expanding one call would split it from the others"
        )


def _output_list(sub: LayerGraph) -> list[tuple[str, int]]:
    """The group's outputs, one (inner layer, output index) per output of the group node;
    an inner layer giving all its outputs counts each (from the last analysis)."""
    from designer.core.analysis import analyze

    found: list[tuple[str, int]] = []
    report = None
    for nid, port in sub.output_tensors():
        if port is None:
            report = report or analyze(sub)
            found += [(nid, i) for i in range(max(1, len(report.nodes[nid].shapes)))]
        else:
            found.append((nid, port))
    return found


def _takes_training(node: Node) -> bool:
    """Whether the layer's call takes a ``training`` argument (its behaviour may depend on it)."""
    if node.type == "Model":
        return True
    try:
        return "training" in inspect.signature(node.spec.keras_class.call).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def sub_origin(sub: LayerGraph) -> tuple[float, float]:
    """Top-left corner of a subgraph's layers (excluding its Input layers)."""
    points = [n.pos for n in sub.nodes if n.type != "Input"] or [(0.0, 0.0)]
    return min(p[0] for p in points), min(p[1] for p in points)


def collapse_group(
    graph: LayerGraph,
    group: str,
    shapes: dict[tuple[str, int], tuple],
    members: Sequence[str] = (),
) -> str:
    """Fold the layers tagged ``group`` (or ``members``, layers that share a block name such
    as ``conv2_block1_``) into one group node named ``group``; returns its id.

    ``shapes`` gives the output shape of each (node id, output) feeding the group (from the
    analysis), which becomes the shape of the group's Input layers.
    """
    if members:
        chosen = set(members)
        members = [n.id for n in graph.nodes if n.id in chosen]  # in the graph's order
    else:
        members = [n.id for n in graph.nodes if n.group == group]
    if not members:
        raise GraphError(f"no layers belong to the group '{group}'")
    inside = set(members)
    links = graph.links()
    incoming = [lk for lk in links if lk.dst in inside and lk.src not in inside]
    outgoing = [lk for lk in links if lk.src in inside and lk.dst not in inside]
    sources = list(dict.fromkeys((lk.src, lk.src_port) for lk in incoming))
    exits = list(dict.fromkeys((lk.src, lk.src_port) for lk in outgoing))
    sub = LayerGraph()
    sub.name = group
    input_ids = {}
    for i, source in enumerate(sources):
        shape = shapes.get(source)
        if shape is None:
            raise GraphError(
                f"the shape entering group '{group}' is unknown: fix the errors "
                f"before collapsing it"
            )
        input_ids[source] = sub.add(
            "Input", f"{group}_input_{i}" if i else f"{group}_input", shape=list(shape[1:])
        )
    for nid in members:
        twin = copy.copy(graph.node(nid))
        twin.group = None
        twin.forget_key()
        sub.add_node(twin)
    for lk in links:
        if lk.dst in inside and lk.src in inside:
            sub.add_trusted_link(lk.src, lk.dst, lk.port, lk.src_port)
        elif lk.dst in inside:
            sub.add_trusted_link(input_ids[(lk.src, lk.src_port)], lk.dst, lk.port, 0)
    sub.set_output_order([list(pair) for pair in exits])
    positions = [graph.node(n).pos for n in members]
    pos = (min(p[0] for p in positions), min(p[1] for p in positions))
    with graph.batch():
        for nid in members:
            graph.remove(nid)
        group_id = graph.add_node(
            Node(graph.new_id(), "Model", graph.unique_name(group), {}, pos, subgraph=sub)
        )
        for port, (src, src_port) in enumerate(sources):
            graph.connect(src, group_id, port, src_port)
        for lk in outgoing:
            graph.connect(group_id, lk.dst, lk.port, exits.index((lk.src, lk.src_port)))
    return group_id
