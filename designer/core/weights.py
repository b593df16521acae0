"""Weights carried by nodes: kept from an imported or trained model, restored on rebuild.

A node holds either a list of numpy arrays or a :class:`LayerWeights`, which reads the arrays
from the Keras layer they came from only when they are needed (saving, rebuilding), so that
opening a large model does not copy every weight.

Weights read from a file are checked before they are given to a node: each ``.npy`` entry's
header (a numeric dtype, a shape whose size is the bytes that follow) before anything is
allocated (:func:`array_from_npy`), then the arrays against the layer they are for
(:func:`misfits`): weights of the wrong shape or order are dropped with a note, never
silently.
"""

from __future__ import annotations

import hashlib
import io
import math
import tokenize
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from designer.core.errors import ProjectError
from designer.core.graph import LayerGraph, Node, node_from_dict

MAX_ARRAYS = 10_000  # arrays of one layer in a file

NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: what a Keras variable can hold

WeightState = tuple[Any, str | None]  # (weights, signature of what they were made for)


class LayerWeights:
    """The weights of a live Keras layer, read on demand."""

    def __init__(self, layer: Any) -> None:
        self._layer = layer

    def arrays(self) -> list[np.ndarray]:
        """The weights as numpy arrays (a copy)."""
        return [np.asarray(w) for w in self._layer.get_weights()]

    def variables(self) -> list[Any]:
        """The layer's variables, for a fast copy into another layer."""
        return list(self._layer.weights)


def weight_arrays(weights: Any) -> list[np.ndarray] | None:
    """Arrays from whatever a node holds (None, a list of arrays, or LayerWeights)."""
    if weights is None:
        return None
    if isinstance(weights, LayerWeights):
        return weights.arrays()
    return [np.asarray(w) for w in weights]


def signature(node: Node) -> str:
    """A fingerprint of the type and parameters the weights were made for."""
    return hashlib.sha1(node.params_key().encode()).hexdigest()[:16]


def attach(node: Node, weights: Any) -> None:
    """Give ``node`` weights that belong to its current type and parameters."""
    node.weights = weights
    node.weights_sig = signature(node) if weights is not None else None


def usable(node: Node) -> bool:
    """True when the node's stored weights still match its type and parameters."""
    return node.weights is not None and node.weights_sig == signature(node)


def weights_from_model(graph: LayerGraph, model: Any, prefix: str = "") -> dict[str, WeightState]:
    """The weights of ``model``'s layers for the nodes of the same name, as node path
    (``"n3"``, or ``"n3/n7"`` inside group n3) -> (arrays, signature). Used after training,
    so that the trained network replaces the weights in the project."""
    layers = {layer.name: layer for layer in model.layers}
    found: dict[str, WeightState] = {}
    for node in graph.nodes:
        layer = layers.get(node.name)
        if node.type == "Model" and node.subgraph is not None and layer is not None:
            found.update(weights_from_model(node.subgraph, layer, f"{prefix}{node.id}/"))
        elif layer is not None and layer.weights and node.shared_with is None:
            found[prefix + node.id] = ([np.array(w) for w in layer.get_weights()], signature(node))
    return found


def take_from_model(graph: LayerGraph, model: Any) -> int:
    """Store the weights of ``model``'s layers on the nodes of the same name; returns a count."""
    from designer.core.edits import SetWeights, apply_edits

    found = weights_from_model(graph, model)
    apply_edits(graph, [SetWeights(found)])
    return len(found)


# ----------------------------------------------------------------------------- in files
def collect_arrays(graph: LayerGraph, arrays: dict[str, np.ndarray], prefix: str = "") -> dict:
    """Put the arrays of nodes whose weights still fit them into ``arrays`` (by their entry
    name in the file, ``weights/<node path>/<i>.npy``); returns the index for the JSON."""
    index: dict[str, Any] = {}
    for node in graph.nodes:
        key = f"{prefix}{node.id}"
        if node.subgraph is not None:
            index.update(collect_arrays(node.subgraph, arrays, key + "/"))
        elif usable(node):
            values = weight_arrays(node.weights) or []
            for i, value in enumerate(values):
                arrays[f"weights/{key}/{i}.npy"] = np.asarray(value)
            index[key] = {"count": len(values), "signature": stored_signature(node)}
    return index


def stored_signature(node: Node) -> str:
    """The signature of ``node`` as a file stores it and a reader rebuilds it: a value that
    the file leaves out as equal to its default (``1.0`` for ``1``) comes back as the default,
    so the signature to write is the one of the node read back."""
    try:
        return signature(node_from_dict(node.to_dict()))
    except Exception:  # a node the catalog cannot rebuild: its own signature, as it is
        return signature(node)


def attach_stored(
    graph: LayerGraph,
    index: dict[str, Any],
    read: Callable[[str], bytes],
    source: str,
    prefix: str = "",
) -> list[str]:
    """Give the nodes the arrays the file's weights ``index`` lists (``read`` returns an
    entry's bytes); ProjectError for a damaged entry. Returns notes on what was left out:
    weights made for other settings of a layer, values that are NaN or infinite."""
    notes: list[str] = []
    for node in graph.nodes:
        key = f"{prefix}{node.id}"
        if node.subgraph is not None:
            notes += attach_stored(node.subgraph, index, read, source, key + "/")
            continue
        if key not in index:
            continue
        entry = index[key]
        count = entry.get("count") if isinstance(entry, dict) else None
        sig = entry.get("signature") if isinstance(entry, dict) else None
        damaged = f"{source}: the weights of '{node.name}' are damaged"
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_ARRAYS:
            raise ProjectError(f"{damaged}: expected a count of arrays, received {entry!r}"[:300])
        if sig is not None and not isinstance(sig, str):
            raise ProjectError(f"{damaged}: expected a signature text, received {sig!r}"[:300])
        values = []
        for i in range(count):
            member = f"weights/{key}/{i}.npy"
            try:
                values.append(array_from_npy(read(member)))
            except ValueError as exc:
                raise ProjectError(f"{damaged}: {member}: {exc}") from exc
        if sig != signature(node):
            notes.append(
                f"the weights stored for '{node.name}' were made for other settings of the "
                f"layer; it starts from new weights"
            )
            continue
        if not_finite(values):
            notes.append(f"the weights of '{node.name}' hold NaN or infinite values")
        node.weights, node.weights_sig = values, sig
    return notes


def drop_misfits(graph: LayerGraph) -> list[str]:
    """Drop stored weights that do not fit their layer (see :func:`misfits`); one note each."""
    notes = []
    for key, problem in misfits(graph).items():
        node = _node_at(graph, key)
        node.weights, node.weights_sig = None, None
        notes.append(
            f"the weights of '{node.name}' do not fit the layer ({problem}); it starts from "
            f"new weights"
        )
    return notes


def _node_at(graph: LayerGraph, key: str) -> Node:
    *groups, last = key.split("/")
    for group in groups:
        graph = graph.node(group).subgraph or graph
    return graph.node(last)


def array_from_npy(raw: bytes) -> np.ndarray:
    """A numeric array from the bytes of a ``.npy`` entry; ValueError says what is wrong.

    The header is checked before anything is allocated: a numeric dtype (never objects,
    strings or complex numbers) and a shape whose size is exactly the bytes that follow."""
    stream = io.BytesIO(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns of headers it had to repair
            major, _minor = np.lib.format.read_magic(stream)
            read_header = {
                1: np.lib.format.read_array_header_1_0,
                2: np.lib.format.read_array_header_2_0,
            }.get(major)
            if read_header is None:
                raise ValueError(f"expected .npy format version 1 or 2, received {major}")
            shape, fortran_order, dtype = read_header(stream)
    except (
        SyntaxError,
        tokenize.TokenError,
        TypeError,
        RecursionError,
        OverflowError,
        Warning,
    ) as exc:
        raise ValueError(f"the .npy header is not readable ({type(exc).__name__})") from exc
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
        raise ValueError(f"expected an array of numbers, received one of {dtype}")
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError(f"expected a shape of sizes >= 0, received {shape}")
    size = math.prod(shape)
    need, have = size * dtype.itemsize, len(raw) - stream.tell()
    if need != have:
        raise ValueError(
            f"the header declares {dtype} {shape} ({need:,} bytes); the entry holds {have:,}"
        )
    flat = np.frombuffer(raw, dtype=dtype, count=size, offset=stream.tell())
    order: Literal["C", "F"] = "F" if fortran_order else "C"
    return flat.reshape(shape, order=order).astype(dtype.newbyteorder("="), order=order)


def not_finite(arrays: list[np.ndarray]) -> bool:
    """True when some float array holds NaN or infinite values."""
    return any(a.dtype.kind == "f" and not np.isfinite(a).all() for a in arrays)


def misfits(graph: LayerGraph, prefix: str = "") -> dict[str, str]:
    """Node path -> what is wrong, for nodes whose stored arrays do not fit their layer
    (another shape, another order, another count). Layers whose inputs the analysis cannot
    tell are not judged here: the analysis reports those."""
    from designer.core.analysis import analyze

    if not _has_arrays(graph):
        return {}
    try:
        report = analyze(graph)
    except Exception:  # the analysis promises never to raise; if it does, judge nothing here
        return {}
    found: dict[str, str] = {}
    for node in graph.nodes:
        key = prefix + node.id
        if node.subgraph is not None:
            found.update(misfits(node.subgraph, key + "/"))
            continue
        if not isinstance(node.weights, list) or not usable(node):
            continue
        expected = _expected_shapes(graph, node, report)
        given = [tuple(a.shape) for a in node.weights]
        if expected is not None and expected != given:
            found[key] = (
                f"expected {_shapes_text(expected)} for the layer, the file holds "
                f"{_shapes_text(given)}"
            )
    return found


def _has_arrays(graph: LayerGraph) -> bool:
    return any(
        isinstance(n.weights, list) or (n.subgraph is not None and _has_arrays(n.subgraph))
        for n in graph.nodes
    )


def _expected_shapes(graph: LayerGraph, node: Node, report: Any) -> list[tuple] | None:
    import keras

    from designer.core.analysis import shape_only_scope
    from designer.core.layers import call_layer, make_layer

    shapes, dtypes = [], []
    for link in graph.inputs_of(node.id):
        info = report.nodes[link.src]
        if link.src_port >= len(info.shapes):
            return None
        shapes.append(info.shapes[link.src_port])
        dtypes.append(info.dtypes[link.src_port])
    if not shapes or any(i.severity == "error" for i in report.issues_of(node.id)):
        return None  # a warning (no softmax, say) does not stop the shapes from being known
    try:
        layer = make_layer(node)
        with shape_only_scope():
            tensors = [keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)]
            call_layer(layer, node, tensors)
    except Exception:  # Keras refuses the layer (any error): the analysis says why
        return None
    return [tuple(int(d) for d in v.shape) for v in layer.weights]


def _shapes_text(shapes: list[tuple]) -> str:
    if not shapes:
        return "no arrays"
    return ", ".join("×".join(str(d) for d in s) or "a scalar" for s in shapes)
