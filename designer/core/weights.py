"""Weights carried by nodes: kept from an imported or trained model, restored on rebuild.

A node holds either a list of numpy arrays or a :class:`LayerWeights`, which reads the arrays
from the Keras layer they came from only when they are needed (saving, rebuilding), so that
opening a large model does not copy every weight.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from designer.core.graph import LayerGraph, Node

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
