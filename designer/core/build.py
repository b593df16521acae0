"""LayerGraph -> keras.Model (:func:`build_model`), with weights kept for every layer whose
configuration is unchanged. The other way, keras.Model -> LayerGraph, is
:mod:`designer.core.importer` (its names are re-exported here).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from designer.core import structure
from designer.core import weights as wts
from designer.core.analysis import Issue, analyze
from designer.core.graph import LayerGraph
from designer.core.importer import (  # noqa: F401 - re-exported: the two directions of one seam
    ImportModelError,
    as_functional,
    call_events,
    graph_from_model,
)
from designer.core.layers import call_layer, flatten_outputs, make_layer
from designer.core.unrepresented import ERROR_CODE as UNREPRESENTED_CODE
from designer.core.unrepresented import describe, unrepresented_nodes


class BuildError(Exception):
    """The graph cannot be built; ``errors`` lists the analysis issues that prevent it."""

    def __init__(self, errors: list[Any], graph: LayerGraph | None = None) -> None:
        self.errors = errors
        lines = []
        for issue in errors:
            lines.append(f"  - {issue.message}")
        super().__init__("the network has errors:\n" + "\n".join(lines))


# ---------------------------------------------------------------------- graph -> model
def build_model(graph: LayerGraph, *, check: bool = True) -> keras.Model:
    """A functional keras.Model for ``graph``; stored weights are restored where they fit.

    Raises BuildError listing the analysis errors when the graph is not valid.
    """
    parts = unrepresented_nodes(graph)
    if parts:
        issues = [
            Issue("error", node.id, UNREPRESENTED_CODE, f"cannot be rebuilt: {describe(p, node)}")
            for p, node in parts
        ]
        raise BuildError(issues, graph)
    if check:
        report = analyze(graph)
        if not report.ok:
            raise BuildError(report.errors, graph)
    layers: dict[str, Any] = {}
    outputs: dict[str, list[Any]] = {}
    for nid in graph.topological_order():
        node = graph.node(nid)
        if node.type == "Input":
            tensor = keras.Input(
                shape=tuple(node.params["shape"]),
                dtype=node.params.get("dtype", "float32"),
                name=node.name,
            )
            outputs[nid] = [tensor]
            continue
        if node.shared_with is not None:
            layer = layers[node.shared_with]
        elif node.type == "Model":
            if node.subgraph is None:
                message = f"the group '{node.name}' has no layers"
                raise BuildError([Issue("error", nid, "invalid_param", message)], graph)
            layer = build_model(node.subgraph, check=False)
            layer.name = node.name
            layer.trainable = node.trainable
        else:
            layer = make_layer(node)
        layers[nid] = layer
        inputs = [outputs[link.src][link.src_port] for link in graph.inputs_of(nid)]
        outputs[nid] = flatten_outputs(call_layer(layer, node, inputs))
    model_inputs = [outputs[nid][0] for nid in graph.input_nodes()]
    model = keras.Model(
        inputs=_nested(graph, "inputs", model_inputs),
        outputs=_nested(graph, "outputs", _output_tensors(graph, outputs)),
        name=_model_name(graph.name),
    )
    restore_weights(graph, layers)
    return model


def _output_tensors(graph: LayerGraph, outputs: dict[str, list[Any]]) -> list[Any]:
    """The network's output tensors in order (:meth:`LayerGraph.output_tensors`)."""
    tensors = []
    for nid, port in graph.output_tensors():
        made = outputs[nid]
        if port is not None and port >= len(made):
            node = graph.node(nid)
            message = (
                f"'{node.name}' has {len(made)} output(s); output {port + 1} is a network output"
            )
            raise BuildError([Issue("error", nid, "bad_output", message)], graph)
        tensors += made if port is None else [made[port]]
    return tensors


def _nested(graph: LayerGraph, key: str, tensors: list[Any]) -> Any:
    """The model's inputs or outputs as the imported model nested them (a dict, a list of
    one), while the recorded structure still fits; else one tensor or a list."""
    template = graph.io_structure.get(key)
    if template is not None and structure.port_count(template) == len(tensors):
        return structure.decode(template, tensors)
    return tensors[0] if len(tensors) == 1 else tensors


def _model_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name) or "network"


def restore_weights(graph: LayerGraph, layers: dict[str, Any]) -> int:
    """Copy stored weights into the built layers whose configuration is unchanged."""
    restored = 0
    for nid, layer in layers.items():
        node = graph.node(nid)
        if node.type == "Model" or node.shared_with is not None or not wts.usable(node):
            continue
        source = node.weights
        try:
            if isinstance(source, wts.LayerWeights):
                for target, value in zip(layer.weights, source.variables(), strict=True):
                    target.assign(value)
            else:
                layer.set_weights(wts.weight_arrays(source))
            finish_state(layer)
            restored += 1
        except ValueError:
            pass  # the input size changed, so the old weights no longer fit: keep fresh ones
    return restored


def finish_state(layer: Any) -> None:
    """Let layers whose working state derives from their variables derive it again, as Keras
    does after loading them: an adapted Normalization computes with constants made from its
    mean and variance variables (``finalize_state``), not with the variables themselves."""
    for sub in layer._flatten_layers():
        if isinstance(sub, keras.layers.Normalization):
            sub.finalize_state()


def model_weights_equal(a: keras.Model, b: keras.Model) -> bool:
    """True when two models hold the same weight values in the same order."""
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
