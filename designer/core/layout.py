"""Automatic arrangement of a graph: layered (Sugiyama) layout, top-to-bottom or left-to-right.

Uses grandalf's Sugiyama layout per connected component; components are placed side by side.
Chains come out straight and blocks never overlap (layers are separated by the block size).
"""

from __future__ import annotations

import networkx as nx
from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout, VertexViewer

from designer.core.graph import LayerGraph, Pos

BLOCK_W = 190.0  # canvas block size; the layout keeps this much room per block
BLOCK_H = 74.0
GAP_X = 40.0
GAP_Y = 46.0


def layout_positions(graph: LayerGraph, direction: str = "TB") -> dict[str, Pos]:
    """New positions (block top-left corners) for every node; ``direction`` is "TB" or "LR"."""
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR'; received {direction!r}")
    horizontal = direction == "LR"
    width, height = (BLOCK_H, BLOCK_W) if horizontal else (BLOCK_W, BLOCK_H)
    vertices = {}
    for node in graph.nodes:
        vertex = Vertex(node.id)
        vertex.view = VertexViewer(w=width + GAP_X, h=height + GAP_Y)
        vertices[node.id] = vertex
    pairs = list(dict.fromkeys((lk.src, lk.dst) for lk in graph.links()))
    positions: dict[str, Pos] = {}
    offset = 0.0
    # Components from networkx: grandalf's own Graph() splits them in quadratic time.
    for members in nx.weakly_connected_components(graph.view()):
        order = [n.id for n in graph.nodes if n.id in members]
        edges = [Edge(vertices[a], vertices[b]) for a, b in pairs if a in members]
        component = graph_core([vertices[nid] for nid in order], edges)
        placed = _layout_component(component)
        xs = [p[0] for p in placed.values()]
        shift = offset - min(xs)
        for nid, (x, y) in placed.items():
            positions[nid] = (x + shift, y)
        offset = max(xs) + shift + width + GAP_X * 2
    if horizontal:
        positions = {nid: (y, x) for nid, (x, y) in positions.items()}
    top = min((p[1] for p in positions.values()), default=0.0)
    left = min((p[0] for p in positions.values()), default=0.0)
    return {nid: (round(x - left, 1), round(y - top, 1)) for nid, (x, y) in positions.items()}


def _layout_component(component: object) -> dict[str, Pos]:
    """Sugiyama layout of one connected component; returns top-left corners."""
    vertices = list(component.sV)  # type: ignore[attr-defined]
    if len(vertices) == 1:
        return {vertices[0].data: (0.0, 0.0)}
    sug = SugiyamaLayout(component)
    roots = [v for v in vertices if not v.e_in()]
    sug.init_all(roots=roots)
    sug.draw(N=1.5)
    return {v.data: (v.view.xy[0] - v.view.w / 2, v.view.xy[1] - v.view.h / 2) for v in vertices}


def auto_layout(graph: LayerGraph, direction: str = "TB") -> dict[str, Pos]:
    """Move every node to its laid-out position (one batch of "moved" events); returns the
    old positions."""
    new = layout_positions(graph, direction)
    old = {node.id: node.pos for node in graph.nodes}
    with graph.batch():
        for nid, pos in new.items():
            graph.move(nid, pos)
    return old
