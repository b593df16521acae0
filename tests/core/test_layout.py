"""Automatic layout: chains straight, no overlaps, components side by side."""

from __future__ import annotations

import pytest

from designer.core.graph import LayerGraph
from designer.core.layout import BLOCK_H, BLOCK_W, auto_layout, layout_positions


def _overlaps(positions: dict) -> int:
    boxes = list(positions.values())
    return sum(
        1
        for i, (x1, y1) in enumerate(boxes)
        for x2, y2 in boxes[i + 1 :]
        if abs(x1 - x2) < BLOCK_W and abs(y1 - y2) < BLOCK_H
    )


def test_chain_is_a_straight_column(lenet) -> None:
    g, ids = lenet
    pos = layout_positions(g)
    assert len({pos[i][0] for i in ids}) == 1
    ys = [pos[i][1] for i in ids]
    assert ys == sorted(ys) and _overlaps(pos) == 0


def test_left_to_right_is_a_straight_row(lenet) -> None:
    g, ids = lenet
    pos = layout_positions(g, "LR")
    assert len({pos[i][1] for i in ids}) == 1
    with pytest.raises(ValueError, match="direction"):
        layout_positions(g, "XY")


def test_branches_and_components_do_not_overlap() -> None:
    g = LayerGraph()
    a = g.add("Input", shape=[8])
    branches = [g.add("Dense") for _ in range(4)]
    cat = g.add("Concatenate")
    for b in branches:
        g.connect(a, b)
        g.connect(b, cat)
    lone = g.add("Input", shape=[3])
    old = auto_layout(g)
    pos = {n.id: n.pos for n in g.nodes}
    assert _overlaps(pos) == 0
    assert len({pos[b][1] for b in branches}) == 1  # one layer of the Sugiyama layout
    assert pos[lone] != pos[a] and set(old) == set(pos)


def test_a_chain_just_under_the_grandalf_limit_is_laid_out() -> None:
    from designer.core.graph import LayerGraph
    from designer.core.layout import SUGIYAMA_MAX, layout_positions

    graph = LayerGraph()
    prev = graph.add("Input", shape=[4])
    for _ in range(SUGIYAMA_MAX - 1):  # grandalf recursed past Python's limit here
        node = graph.add("Dense", units=2)
        graph.connect(prev, node)
        prev = node
    positions = layout_positions(graph)
    assert len(set(positions.values())) == len(graph)
