"""Automatic arrangement of a graph: layered layout, top-to-bottom or left-to-right.

Components are laid out one by one and placed side by side. A component of up to
``SUGIYAMA_MAX`` layers goes through grandalf's Sugiyama layout; a bigger one through
:func:`layered_positions`, a longest-path layering with barycentre ordering and straightened
coordinates that takes linear time per sweep (grandalf needs half a minute for a chain of
10,000 layers; ``benchmarks/canvas.py`` measures both). Either way chains come out straight
and blocks never overlap (layers are separated by the block size).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout, VertexViewer

from designer.core.graph import LayerGraph, Pos

BLOCK_W = 190.0  # canvas block size; the layout keeps this much room per block
BLOCK_H = 74.0
GAP_X = 40.0
GAP_Y = 46.0
SUGIYAMA_MAX = 1000  # components with more layers than this use the fast layered layout
_SWEEPS = 4  # ordering and straightening passes (down and up) of the fast layout
_MAX_DUMMIES = 6  # the fast layout routes long links through at most this many points per layer


def layout_positions(
    graph: LayerGraph, direction: str = "TB", method: str = "auto"
) -> dict[str, Pos]:
    """New positions (block top-left corners) for every node; ``direction`` is "TB" or "LR";
    ``method`` "auto" (by component size), "sugiyama" or "layered"."""
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR'; received {direction!r}")
    if method not in ("auto", "sugiyama", "layered"):
        raise ValueError(f"method must be 'auto', 'sugiyama' or 'layered'; received {method!r}")
    horizontal = direction == "LR"
    width, height = (BLOCK_H, BLOCK_W) if horizontal else (BLOCK_W, BLOCK_H)
    pairs = list(dict.fromkeys((lk.src, lk.dst) for lk in graph.links()))
    index = {node.id: i for i, node in enumerate(graph.nodes)}
    positions: dict[str, Pos] = {}
    offset = 0.0
    # Components from networkx: grandalf's own Graph() splits them in quadratic time.
    components = list(nx.weakly_connected_components(graph.view()))
    where = {nid: i for i, members in enumerate(components) for nid in members}
    edges_of: list[list[tuple[str, str]]] = [[] for _ in components]
    for a, b in pairs:
        edges_of[where[a]].append((a, b))
    for members, edges in zip(components, edges_of, strict=True):
        order = sorted(members, key=index.__getitem__)
        fast = method == "layered" or (method == "auto" and len(order) > SUGIYAMA_MAX)
        if fast:
            placed = layered_positions(order, edges, width, height)
        else:
            try:
                placed = _sugiyama(order, edges, width, height)
            except RecursionError:  # grandalf recurses once per layer of a long chain
                if method != "auto":
                    raise
                placed = layered_positions(order, edges, width, height)
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


def _sugiyama(
    order: list[str], edges: list[tuple[str, str]], width: float, height: float
) -> dict[str, Pos]:
    """grandalf's Sugiyama layout of one connected component; returns top-left corners."""
    if len(order) == 1:
        return {order[0]: (0.0, 0.0)}
    vertices = {}
    for nid in order:
        vertex = Vertex(nid)
        vertex.view = VertexViewer(w=width + GAP_X, h=height + GAP_Y)
        vertices[nid] = vertex
    component = graph_core(
        [vertices[nid] for nid in order], [Edge(vertices[a], vertices[b]) for a, b in edges]
    )
    sug = SugiyamaLayout(component)
    roots = [v for v in component.sV if not v.e_in()]
    sug.init_all(roots=roots)
    sug.draw(N=1.5)
    return {
        v.data: (v.view.xy[0] - v.view.w / 2, v.view.xy[1] - v.view.h / 2) for v in component.sV
    }


def layered_positions(
    order: Sequence[str],
    edges: Iterable[tuple[str, str]],
    width: float = BLOCK_W,
    height: float = BLOCK_H,
) -> dict[str, Pos]:
    """A fast layered layout of one DAG (node ids in a stable order, (src, dst) pairs):
    top-left corners, top to bottom; linear time per sweep, chains kept straight."""
    succ: dict[str, list[str]] = {nid: [] for nid in order}
    pred: dict[str, list[str]] = {nid: [] for nid in order}
    for a, b in edges:
        if a in succ and b in succ and b not in succ[a]:
            succ[a].append(b)
            pred[b].append(a)
    layer = _layers(list(order), succ, pred)
    rows, up, down = _with_dummies(list(order), succ, layer)
    _order_rows(rows, up, down)
    real = set(order)
    xs = _straighten(rows, up, down, real, width)
    step = height + GAP_Y
    return {nid: (xs[nid] - width / 2, layer[nid] * step) for nid in order}


def _layers(
    order: list[str], succ: dict[str, list[str]], pred: dict[str, list[str]]
) -> dict[str, int]:
    """Longest-path layering; sources sit just above their first consumer (a side input joins
    where it is used, not at the top). Nodes on a cycle (never in a valid graph) go last."""
    indegree = {nid: len(pred[nid]) for nid in order}
    ready = [nid for nid in reversed(order) if indegree[nid] == 0]
    topo: list[str] = []
    while ready:
        nid = ready.pop()
        topo.append(nid)
        for nxt in reversed(succ[nid]):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    placed = set(topo)
    topo += [nid for nid in order if nid not in placed]
    layer: dict[str, int] = {}
    for nid in topo:
        layer[nid] = max((layer[p] + 1 for p in pred[nid] if p in layer), default=0)
    for nid in topo:
        if not pred[nid] and succ[nid]:
            layer[nid] = max(0, min(layer[s] for s in succ[nid]) - 1)
    return layer


def _with_dummies(
    order: list[str], succ: dict[str, list[str]], layer: dict[str, int]
) -> tuple[list[list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Rows of node ids by layer, in first-seen order, with route points ("dummies") on links
    that skip layers; returns the rows and each entry's neighbours in the row above/below."""
    up: dict[str, list[str]] = {nid: [] for nid in order}
    down: dict[str, list[str]] = {nid: [] for nid in order}
    depth = max(layer.values(), default=0) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    per_row = [0] * depth
    for nid in _depth_first(order, succ):
        rows[layer[nid]].append(nid)
    for a in order:
        for b in succ[a]:
            la, lb = layer[a], layer[b]
            prev = a
            if lb - la > 1 and all(
                per_row[r] < _MAX_DUMMIES * max(1, len(rows[r])) for r in range(la + 1, lb)
            ):
                for r in range(la + 1, lb):
                    dummy = f"\0{a}\0{b}\0{r}"
                    up[dummy], down[dummy] = [prev], []
                    down[prev].append(dummy)
                    rows[r].append(dummy)
                    per_row[r] += 1
                    prev = dummy
            down[prev].append(b)
            up[b].append(prev)
    return rows, up, down


def _depth_first(order: list[str], succ: dict[str, list[str]]) -> list[str]:
    """Nodes in depth-first order from the sources (a branch's layers stay together)."""
    seen: set[str] = set()
    out: list[str] = []
    for root in order:
        if root in seen:
            continue
        stack = [root]
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            out.append(nid)
            stack.extend(reversed([s for s in succ[nid] if s not in seen]))
    return out


def _order_rows(
    rows: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]
) -> None:
    """Barycentre ordering: sweeps down and up, each row sorted by its neighbours' places."""
    place = {nid: i for row in rows for i, nid in enumerate(row)}
    for sweep in range(_SWEEPS):
        sequence = rows[1:] if sweep % 2 == 0 else rows[-2::-1]
        links = up if sweep % 2 == 0 else down
        for row in sequence:
            keys = {}
            for nid in row:
                near = links[nid]
                keys[nid] = sum(place[n] for n in near) / len(near) if near else place[nid]
            row.sort(key=lambda n: (keys[n], place[n]))
            for i, nid in enumerate(row):
                place[nid] = i


def _straighten(
    rows: list[list[str]],
    up: dict[str, list[str]],
    down: dict[str, list[str]],
    real: set[str],
    width: float,
) -> dict[str, float]:
    """Centre x of every entry: each moved towards the median of its neighbours in the row
    above (then below), rows kept in order and apart by least-squares packing."""
    widest = max((len(row) for row in rows), default=1)
    xs: dict[str, float] = {}
    for row in rows:
        start = (widest - len(row)) / 2
        for i, nid in enumerate(row):
            xs[nid] = (start + i) * (width + GAP_X)
    for sweep in range(_SWEEPS + 1):
        sequence = rows[1:] if sweep % 2 == 0 else rows[-2::-1]
        links = up if sweep % 2 == 0 else down
        for row in sequence:
            wanted = []
            for nid in row:
                near = sorted(xs[n] for n in links[nid])
                wanted.append(_median(near) if near else xs[nid])
            sizes = [width if nid in real else 0.0 for nid in row]
            for nid, x in zip(row, _pack(wanted, sizes), strict=True):
                xs[nid] = x
    return xs


def _median(values: list[float]) -> float:
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _pack(wanted: list[float], sizes: list[float]) -> list[float]:
    """Centres as close as possible (least squares) to ``wanted``, in the given order, with
    entries of ``sizes`` at least ``GAP_X / 2`` apart (route points are 0 wide)."""
    # Blocks of touching entries: [sum of (wanted - offset), count, first index, last index].
    blocks: list[list[float]] = []
    offsets = [0.0] * len(wanted)
    for i, x in enumerate(wanted):
        blocks.append([x, 1.0, float(i), float(i)])
        while len(blocks) > 1:
            right, left = blocks[-1], blocks[-2]
            last, first = int(left[3]), int(right[2])
            gap = (sizes[last] + sizes[first]) / 2 + (
                GAP_X if sizes[last] and sizes[first] else GAP_X / 2
            )
            left_end = left[0] / left[1] + offsets[last]
            right_start = right[0] / right[1] + offsets[first]
            if right_start - left_end >= gap:
                break
            # Merge: the right block's entries get offsets relative to the left block's origin.
            shift = offsets[last] + gap - offsets[first]
            for j in range(first, int(right[3]) + 1):
                offsets[j] += shift
            left[0] += right[0] - shift * right[1]
            left[1] += right[1]
            left[3] = right[3]
            blocks.pop()
    out = [0.0] * len(wanted)
    for total, count, start, end in blocks:
        origin = total / count
        for j in range(int(start), int(end) + 1):
            out[j] = origin + offsets[j]
    return out


def needs_layout(graph: LayerGraph) -> bool:
    """True when the positions say nothing: two or more layers, all at one place (a file
    written without positions); an opener lays such a graph out instead of stacking it."""
    return len(graph) > 1 and len({node.pos for node in graph.nodes}) == 1


def auto_layout(graph: LayerGraph, direction: str = "TB") -> dict[str, Pos]:
    """Move every node to its laid-out position (one batch of "moved" events); returns the
    old positions."""
    new = layout_positions(graph, direction)
    old = {node.id: node.pos for node in graph.nodes}
    with graph.batch():
        for nid, pos in new.items():
            graph.move(nid, pos)
    return old
