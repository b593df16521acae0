"""LayerGraph -> keras.Model (:func:`build_model`) and keras.Model -> LayerGraph
(:func:`graph_from_model`), with weights kept for every layer whose configuration is unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from designer.core import weights as wts
from designer.core.analysis import Issue, LayerResult, analyze, cache_key, count, layer_cache
from designer.core.catalog import spec_for_class, type_name_for_class
from designer.core.graph import LayerGraph, Node
from designer.core.keras_compat import make_node_key
from designer.core.layers import call_layer, flatten_outputs, make_layer
from designer.core.params import to_plain


class BuildError(Exception):
    """The graph cannot be built; ``errors`` lists the analysis issues that prevent it."""

    def __init__(self, errors: list[Any], graph: LayerGraph | None = None) -> None:
        self.errors = errors
        lines = []
        for issue in errors:
            lines.append(f"  - {issue.message}")
        super().__init__("the network has errors:\n" + "\n".join(lines))


class ImportModelError(Exception):
    """A Keras model that cannot be represented as a graph; the message says why."""


# ---------------------------------------------------------------------- graph -> model
def build_model(graph: LayerGraph, *, check: bool = True) -> keras.Model:
    """A functional keras.Model for ``graph``; stored weights are restored where they fit.

    Raises BuildError listing the analysis errors when the graph is not valid.
    """
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
    model_outputs = [t for nid in graph.output_nodes() for t in outputs[nid]]
    model = keras.Model(
        inputs=model_inputs[0] if len(model_inputs) == 1 else model_inputs,
        outputs=model_outputs[0] if len(model_outputs) == 1 else model_outputs,
        name=_model_name(graph.name),
    )
    restore_weights(graph, layers)
    return model


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
            restored += 1
        except ValueError:
            pass  # the input size changed, so the old weights no longer fit: keep fresh ones
    return restored


# ---------------------------------------------------------------------- model -> graph
def graph_from_model(model: keras.Model, *, keep_weights: bool = True) -> LayerGraph:
    """A LayerGraph for any Sequential or functional model, nested models as group nodes."""
    functional = _as_functional(model)
    graph = LayerGraph()
    graph.name = model.name
    tensors: dict[int, tuple[str, int]] = {}  # id(KerasTensor) -> (node id, output index)
    owners: dict[int, str] = {}  # id(layer) -> node id of its first call
    with graph.batch():
        for tensor in functional.inputs:
            layer = tensor._keras_history.operation
            nid = graph.add_node(_input_node(graph, layer))
            tensors[id(tensor)] = (nid, 0)
            owners[id(layer)] = nid
        for knode in _ordered_nodes(functional):
            layer = knode.operation
            if isinstance(layer, keras.layers.InputLayer):
                if id(layer) not in owners:
                    raise ImportModelError(f"input '{layer.name}' is not an input of the model")
                continue
            node = _layer_node(graph, layer, knode, owners, keep_weights)
            graph.add_node(node)
            ports = _connect_arguments(graph, node, knode, tensors)
            for index, out in enumerate(knode.outputs):
                tensors[id(out)] = (node.id, index)
            _seed_analysis(graph, node, knode, ports)
        graph.set_output_order([tensors[id(t)][0] for t in functional.outputs])
    return graph


def _as_functional(model: Any) -> Any:
    if isinstance(model, keras.Sequential):
        functional = getattr(model, "_functional", None)
        if functional is None:
            raise ImportModelError(
                f"the Sequential model '{model.name}' has no input shape yet: start it with "
                f"keras.Input(shape=...) or call model.build(shape) before opening it"
            )
        return functional
    if not hasattr(model, "_nodes_by_depth") or not hasattr(model, "_operations"):
        raise ImportModelError(
            f"'{model.name}' is a subclassed {type(model).__name__}: only Sequential and "
            f"functional models have a graph the designer can show"
        )
    return model


def _ordered_nodes(model: Any) -> list[Any]:
    """The model's call events, inputs first (deepest depth first)."""
    by_depth = model._nodes_by_depth
    ordered = []
    for depth in sorted(by_depth, reverse=True):
        for knode in by_depth[depth]:
            key = make_node_key(knode.operation, knode.operation._inbound_nodes.index(knode))
            if key in model._nodes:
                ordered.append(knode)
    return ordered


def _input_node(graph: LayerGraph, layer: Any) -> Node:
    shape = [None if d is None else int(d) for d in layer.batch_shape[1:]]
    return Node(
        graph.new_id(),
        "Input",
        graph.unique_name(layer.name),
        {"shape": shape, "dtype": str(layer.dtype)},
    )


def _layer_node(
    graph: LayerGraph, layer: Any, knode: Any, owners: dict[int, str], keep_weights: bool
) -> Node:
    owner = owners.get(id(layer))
    if owner is not None:  # a shared layer called again
        first = graph.node(owner)
        name = graph.unique_name(f"{layer.name}_call")
        node = Node(graph.new_id(), first.type, name, dict(first.params), shared_with=owner)
        node.trainable = first.trainable
        return node
    if isinstance(layer, keras.Model):
        sub = graph_from_model(layer, keep_weights=keep_weights)
        node = Node(graph.new_id(), "Model", graph.unique_name(layer.name), {}, subgraph=sub)
    else:
        config = {
            k: v for k, v in to_plain(layer.get_config()).items() if k not in ("name", "trainable")
        }
        type_name = type_name_for_class(type(layer))
        spec_for_class(type(layer), config)  # registers a generic spec for uncurated classes
        node = Node(graph.new_id(), type_name, graph.unique_name(layer.name), config)
        if keep_weights and getattr(layer, "weights", None):
            wts.attach(node, wts.LayerWeights(layer))
    node.trainable = bool(getattr(layer, "trainable", True))
    owners[id(layer)] = node.id
    return node


def _connect_arguments(
    graph: LayerGraph, node: Node, knode: Any, tensors: dict[int, tuple[str, int]]
) -> list[Any]:
    """Turn the tensors a call received into links, recording how they were passed;
    returns the tensors in port order."""
    args, kwargs = knode.arguments.args, dict(knode.arguments.kwargs)
    is_tensor = _is_keras_tensor
    ports: list[Any] = []
    port_args: list[str] = []
    const_args: dict[str, Any] = {}
    if (
        len(args) == 1
        and isinstance(args[0], list | tuple)
        and args[0]
        and all(is_tensor(a) for a in args[0])
    ):
        ports, style = list(args[0]), "list"
        port_args = [""] * len(ports)
    else:
        for index, arg in enumerate(args):
            if is_tensor(arg):
                ports.append(arg)
                port_args.append("")
            elif _is_plain(arg):
                const_args[str(index)] = arg
            else:
                raise ImportModelError(
                    f"layer '{node.name}' receives a positional argument of type "
                    f"{type(arg).__name__}; the designer can represent tensors and plain values"
                )
        style = "args" if len(ports) + len(const_args) > 1 else "single"
    call_kwargs = {}
    for key, value in kwargs.items():
        if is_tensor(value):
            ports.append(value)
            port_args.append(key)
        elif value is None:
            continue  # Keras records mask=None and the like: the default anyway
        elif _is_plain(value):
            call_kwargs[key] = to_plain(value)
        else:
            raise ImportModelError(
                f"layer '{node.name}' receives '{key}' as {type(value).__name__}; expected a "
                f"tensor or a plain value"
            )
    node.call_kwargs = call_kwargs
    node.const_args = const_args
    if any(port_args):
        node.port_args = port_args
    if style != node.spec.call_style and not (style == "single" and node.type == "Model"):
        node.call_style = style
    for port, tensor in enumerate(ports):
        try:
            src, src_port = tensors[id(tensor)]
        except KeyError:
            raise ImportModelError(
                f"layer '{node.name}' uses a tensor that does not come from a layer of the "
                f"model (a constant or an outside tensor)"
            ) from None
        graph.add_trusted_link(src, node.id, port, src_port)
    return ports


def _is_keras_tensor(value: Any) -> bool:
    return isinstance(value, keras.KerasTensor)


def _is_plain(value: Any) -> bool:
    """A value that JSON can hold (constants passed to operations)."""
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | np.generic)


def _seed_analysis(graph: LayerGraph, node: Node, knode: Any, inputs: list[Any]) -> None:
    """Put what the live layer already knows into the analysis cache (no recomputation)."""
    if node.type == "Model" or not inputs:
        return
    cache = layer_cache(graph)
    shapes = [tuple(t.shape) for t in inputs]
    dtypes = [str(t.dtype) for t in inputs]
    layer = knode.operation
    trainable = (
        count(getattr(layer, "trainable_weights", [])) if getattr(layer, "trainable", True) else 0
    )
    non_trainable = count(getattr(layer, "weights", [])) - trainable
    cache[cache_key(node, shapes, dtypes)] = LayerResult(
        tuple(tuple(o.shape) for o in knode.outputs),
        tuple(str(o.dtype) for o in knode.outputs),
        trainable,
        non_trainable,
    )


def model_weights_equal(a: keras.Model, b: keras.Model) -> bool:
    """True when two models hold the same weight values in the same order."""
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
