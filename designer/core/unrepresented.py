"""Layers the designer can show but not represent: the parts of a model opened read-only.

A model whose every layer the graph can hold opens as an editable network. One that has a
part it cannot hold (a subclassed model, a layer fed by a constant tensor from outside the
model, a call whose arguments no template keeps, a custom class whose code is not loaded)
still opens: that part becomes one block of type :data:`UNREPRESENTED`, whose parameters are
the class it stands for and why it is not represented, and the project is read-only (it is
shown, analysed where the opened model said what the part computes, screenshotted and
exported from the original file, but not edited, saved, built or trained).

No Qt, no Keras.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from designer.core.catalog import OTHER, LayerSpec, register_spec

if TYPE_CHECKING:
    from designer.core.graph import LayerGraph
    from designer.core.node import Node

UNREPRESENTED = "designer:unrepresented"
ERROR_CODE = "unrepresentable"


class NotRepresentedError(Exception):
    """A Keras layer was asked of a block that stands for a part the designer cannot make."""


class _NotMade:
    """The "class" of an unrepresented block: making it says why it cannot be made."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        raise NotRepresentedError(
            f"{config.get('class_name', 'this layer')} is not represented in the designer: "
            f"{config.get('reason', 'it cannot be rebuilt')}"
        )


SPEC = register_spec(
    LayerSpec(
        type_name=UNREPRESENTED,
        resolved_class=_NotMade,
        category=OTHER,
        params={},
        primary=("reason",),
        help="A part of an opened model that the designer shows but cannot rebuild.",
        min_inputs=0,
        max_inputs=None,
        call_style="args",
        curated=False,
        class_path=UNREPRESENTED,
    )
)


def unrepresented_params(layer: str, class_name: str, reason: str) -> dict[str, str]:
    """The parameters of a block standing for the layer named ``layer`` of class
    ``class_name``, not represented for ``reason`` (a sentence that names the construct and
    says what to do). The layer's name keeps two such blocks apart in the analysis cache:
    their results come from the opened model, not from their parameters."""
    return {"layer": layer, "class_name": class_name, "reason": reason}


def fix_ports(node: Node, count: int) -> None:
    """Give an unrepresented block exactly the ``count`` input ports the call had."""
    node.call_args = _ports(count)


def _ports(count: int) -> dict[str, Any]:
    return {"args": [{"port": i} for i in range(count)], "kwargs": {}}


def is_unrepresented(node: Node) -> bool:
    """Whether ``node`` stands for a part the designer cannot rebuild."""
    return node.type == UNREPRESENTED


def unrepresented_message(node: Node) -> str:
    """Why ``node`` has no analysis or build of its own, and what to do."""
    return f"not represented in the designer: {node.params.get('reason', 'it cannot be rebuilt')}"


def unrepresented_nodes(graph: LayerGraph, prefix: str = "") -> list[tuple[str, Node]]:
    """Every unrepresented block, in groups too, with its path ("tower/block")."""
    found = []
    for node in graph.nodes:
        path = f"{prefix}{node.name}"
        if is_unrepresented(node):
            found.append((path, node))
        elif node.subgraph is not None:
            found += unrepresented_nodes(node.subgraph, f"{path}/")
    return found


def describe(path: str, node: Node) -> str:
    """One sentence for an unrepresented block: which layer, what class, why, what to do."""
    return f"'{path}' ({node.params.get('class_name', '?')}): {node.params.get('reason', '')}"


def read_only_reason(graph: LayerGraph) -> str | None:
    """Why a network opened read-only, or None: the parts that cannot be represented, those
    with the same reason (classes whose code is not loaded) named together."""
    parts = unrepresented_nodes(graph)
    if not parts:
        return None
    by_reason: dict[str, list[str]] = {}
    for path, node in parts:
        named = f"'{path}' ({node.params.get('class_name', '?')})"
        by_reason.setdefault(str(node.params.get("reason", "")), []).append(named)
    sentences = []
    for why, names in list(by_reason.items())[:5]:
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        sentences.append(f"{shown}: {why}")
    more = f"; and {len(by_reason) - 5} other reasons" if len(by_reason) > 5 else ""
    count = f"{len(parts)} part{'s' if len(parts) != 1 else ''}"
    return f"opened read-only: {count} cannot be represented: {'; '.join(sentences)}{more}"


def stand_in_graph(graph_data: Any, unknown: set[str], reason: str) -> Any:
    """A project file's network data with every layer that needs a class in ``unknown``
    (its type, or a custom object in its parameters) replaced by an unrepresented block with
    the same id, name, position and links; other data is returned as it is."""
    if not isinstance(graph_data, dict) or not isinstance(graph_data.get("nodes"), list):
        return graph_data
    links = graph_data.get("links")
    ports: dict[Any, int] = {}
    for link in links if isinstance(links, list) else []:
        if isinstance(link, list | tuple) and len(link) == 4 and isinstance(link[1], str):
            ports[link[1]] = ports.get(link[1], 0) + 1
    nodes = []
    for node in graph_data["nodes"]:
        if isinstance(node, dict) and _needs(node, unknown):
            node = _stand_in(node, ports.get(node.get("id"), 0), reason)
        elif isinstance(node, dict) and isinstance(node.get("subgraph"), dict):
            node = {**node, "subgraph": stand_in_graph(node["subgraph"], unknown, reason)}
        nodes.append(node)
    return {**graph_data, "nodes": nodes}


def _needs(node: dict[str, Any], unknown: set[str]) -> bool:
    if node.get("type") in unknown:
        return True
    text = json.dumps(node.get("params"), default=str)
    return any(json.dumps(name) in text for name in unknown)


def _stand_in(node: dict[str, Any], count: int, reason: str) -> dict[str, Any]:
    name = str(node.get("name", "layer"))
    kind = str(node.get("type", "?"))
    stand_in = {
        "id": node.get("id"),
        "type": UNREPRESENTED,
        "name": name,
        "params": unrepresented_params(name, kind, reason),
        "pos": node.get("pos", [0, 0]),
        "call_args": _ports(count),
    }
    for key in ("trainable", "shared_with"):
        if key in node:
            stand_in[key] = node[key]
    return stand_in
