"""keras.Model -> LayerGraph (:func:`graph_from_model`): layers as nodes, calls as links and
call templates, nested models as group nodes, with what Keras already knows about each layer's
output put into the analysis cache.

With ``allow_unrepresented`` a part the graph cannot hold (a subclassed model, a layer fed by a
tensor from outside the model, a call no template keeps) becomes an unrepresented block
(:mod:`designer.core.unrepresented`) instead of refusing the whole model: it is then shown and
analysed from the opened model but cannot be rebuilt, and the network is read-only.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from designer.core import structure
from designer.core import weights as wts
from designer.core.analysis import LayerResult, cache_key, count, layer_cache
from designer.core.catalog import spec_for_class, type_name_for_class
from designer.core.graph import LayerGraph, Node
from designer.core.keras_compat import make_node_key
from designer.core.layers import flatten_outputs
from designer.core.params import to_plain
from designer.core.unrepresented import UNREPRESENTED, fix_ports, unrepresented_params


class ImportModelError(Exception):
    """A Keras model that cannot be represented as a graph; the message says why."""


def graph_from_model(
    model: keras.Model, *, keep_weights: bool = True, allow_unrepresented: bool = False
) -> LayerGraph:
    """A LayerGraph for any Sequential or functional model, nested models as group nodes;
    ImportModelError for a part it cannot hold, unless ``allow_unrepresented`` (that part is
    then an unrepresented block)."""
    try:
        functional = as_functional(model)
    except ImportModelError as exc:
        if not allow_unrepresented:
            raise
        return opaque_model_graph(model, str(exc))
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
        for knode in call_events(functional):
            layer = knode.operation
            if isinstance(layer, keras.layers.InputLayer):
                if id(layer) not in owners:
                    raise ImportModelError(f"input '{layer.name}' is not an input of the model")
                continue
            try:
                node = layer_node(graph, layer, owners, keep_weights, allow_unrepresented)
                ports = record_call(node, knode, tensors)
            except ImportModelError as exc:
                if not allow_unrepresented:
                    raise
                node = unrepresented_node(graph, layer, str(exc))
                ports = _known_tensors(knode, tensors)
                fix_ports(node, len(ports))
            graph.add_node(node)
            owners.setdefault(id(layer), node.id)
            for port, tensor in enumerate(ports):
                src, src_port = tensors[id(tensor)]
                graph.add_trusted_link(src, node.id, port, src_port)
            for index, out in enumerate(knode.outputs):
                tensors[id(out)] = (node.id, index)
            seed_analysis(graph, node, layer, ports, knode.outputs)
        graph.set_output_order([list(tensors[id(t)]) for t in functional.outputs])
        graph.io_structure = _io_structure(functional)
    return graph


def opaque_model_graph(model: Any, reason: str) -> LayerGraph:
    """The graph of a model the designer cannot look into (a subclassed model): its inputs,
    as far as the built model says them, into one unrepresented block whose output shapes
    and weight counts are the model's own."""
    graph = LayerGraph()
    graph.name = model.name
    floatx = keras.config.floatx()
    inputs = [keras.KerasTensor((None, *shape), dtype=floatx) for shape in _input_shapes(model)]
    with graph.batch():
        sources = []
        for tensor in inputs:
            params = {"shape": [None if d is None else int(d) for d in tensor.shape[1:]]}
            params["dtype"] = floatx
            name = graph.unique_name("input")
            sources.append(graph.add_node(Node(graph.new_id(), "Input", name, params)))
        node = unrepresented_node(graph, model, reason)
        fix_ports(node, len(sources))
        graph.add_node(node)
        for port, source in enumerate(sources):
            graph.add_trusted_link(source, node.id, port)
        if inputs:
            try:
                outputs = model.compute_output_spec(*inputs)
            except Exception:  # what it computes is then not known
                outputs = None
            if outputs is not None:
                seed_analysis(graph, node, model, inputs, flatten_outputs(outputs))
    return graph


def _input_shapes(model: Any) -> list[tuple[int | None, ...]]:
    """The input shapes (without the batch axis) a built subclassed model was built for;
    none when it does not say."""
    shapes = getattr(model, "_build_shapes_dict", None) or {}
    if len(shapes) != 1:
        return []
    (shape,) = shapes.values()
    nested = isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple)
    found = list(shape) if nested else [shape]
    if not all(isinstance(s, list | tuple) and len(s) >= 1 for s in found):
        return []
    return [tuple(s[1:]) for s in found]


def _io_structure(functional: Any) -> dict[str, Any]:
    """Templates of how ``functional`` nests its inputs and outputs, where that is not the
    plain form (one tensor, or a flat list of several)."""
    found = {}
    for key, flat in (("inputs", functional.inputs), ("outputs", functional.outputs)):
        nested = getattr(functional, f"_{key}_struct", None)
        leaves: list[Any] = []

        def port_of(value: Any, leaves: list[Any] = leaves) -> int | None:
            if not _is_keras_tensor(value):
                return None
            leaves.append(value)
            return len(leaves) - 1

        try:
            template = structure.encode(nested, port_of)
        except structure.StructureError:
            continue
        plain = {"port": 0} if len(flat) == 1 else [{"port": i} for i in range(len(flat))]
        same = len(leaves) == len(flat) and all(a is b for a, b in zip(leaves, flat, strict=True))
        if same and template != plain:
            found[key] = template
    return found


def as_functional(model: Any) -> Any:
    """The functional graph of a Sequential or functional model (ImportModelError else)."""
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
            f"functional models have a graph the designer can show; to edit it here, write "
            f"it as a functional model (keras.Model(inputs, outputs))"
        )
    return model


def call_events(model: Any) -> list[Any]:
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


def layer_node(
    graph: LayerGraph,
    layer: Any,
    owners: dict[int, str],
    keep_weights: bool,
    allow_unrepresented: bool = False,
) -> Node:
    owner = owners.get(id(layer))
    if owner is not None:  # a shared layer called again
        first = graph.node(owner)
        name = graph.unique_name(f"{layer.name}_call")
        node = Node(graph.new_id(), first.type, name, dict(first.params), shared_with=owner)
        node.trainable = first.trainable
        return node
    if isinstance(layer, keras.Model):
        as_functional(layer)  # a subclassed sub-model is refused (or one block), not a group
        sub = graph_from_model(
            layer, keep_weights=keep_weights, allow_unrepresented=allow_unrepresented
        )
        node = Node(graph.new_id(), "Model", graph.unique_name(layer.name), {}, subgraph=sub)
    else:
        config = {
            k: v for k, v in to_plain(layer.get_config()).items() if k not in ("name", "trainable")
        }
        type_name = type_name_for_class(type(layer))
        spec_for_class(type(layer), config)  # registers a generic spec for uncurated classes
        config.update(_adapted_vocabulary(layer, config))
        node = Node(graph.new_id(), type_name, graph.unique_name(layer.name), config)
        if keep_weights and getattr(layer, "weights", None):
            wts.attach(node, wts.LayerWeights(layer))
    node.trainable = bool(getattr(layer, "trainable", True))
    return node


def unrepresented_node(graph: LayerGraph, layer: Any, reason: str) -> Node:
    """A block standing for ``layer``, which the graph cannot hold for ``reason``."""
    params = unrepresented_params(layer.name, type_name_for_class(type(layer)), reason)
    node = Node(graph.new_id(), UNREPRESENTED, graph.unique_name(layer.name), params)
    node.trainable = bool(getattr(layer, "trainable", True))
    return node


def _adapted_vocabulary(layer: Any, config: dict[str, Any]) -> dict[str, Any]:
    """The vocabulary (and idf weights) of an adapted StringLookup, IntegerLookup or
    TextVectorization as parameters: Keras keeps an adapted vocabulary out of ``get_config``
    (a ``.keras`` file holds it as an asset), so a layer made from the config alone would
    know no token."""
    lookups = (
        keras.layers.StringLookup,
        keras.layers.IntegerLookup,
        keras.layers.TextVectorization,
    )
    if not isinstance(layer, lookups) or config.get("vocabulary") is not None:
        return {}
    vocabulary = to_plain(layer.get_vocabulary(include_special_tokens=False))
    if not vocabulary:
        return {}
    found: dict[str, Any] = {"vocabulary": vocabulary}
    if config.get("output_mode") == "tf_idf" and config.get("idf_weights") is None:
        lookup = getattr(layer, "_lookup_layer", layer)  # TextVectorization holds a lookup
        weights = np.asarray(lookup.idf_weights_const)  # special tokens' weights first
        found["idf_weights"] = to_plain(weights[len(weights) - len(vocabulary) :])
    return found


def record_call(node: Node, knode: Any, tensors: dict[int, tuple[str, int]]) -> list[Any]:
    """Record on ``node`` how the call passed its arguments; the tensors it received, in
    port order (ImportModelError when one does not come from a layer of the model)."""
    args = list(knode.arguments.args)
    kwargs = {k: v for k, v in knode.arguments.kwargs.items() if v is not None}  # mask=None
    if _simple_call(args, kwargs) and _fits(node, args, kwargs):
        ports = _record_simple_call(node, args, kwargs)
    else:
        ports = _record_structured_call(node, args, kwargs)
    if any(id(tensor) not in tensors for tensor in ports):
        raise ImportModelError(
            f"layer '{node.name}' uses a tensor that does not come from a layer of the "
            f"model (a constant or an outside tensor); make it an input of the model "
            f"(keras.Input) or compute it with a layer inside the model"
        )
    return ports


def _known_tensors(knode: Any, tensors: dict[int, tuple[str, int]]) -> list[Any]:
    """The tensors of a call that come from layers of the model, in the order passed."""
    flat = keras.tree.flatten([list(knode.arguments.args), dict(knode.arguments.kwargs)])
    return [t for t in flat if _is_keras_tensor(t) and id(t) in tensors]


def _simple_call(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Whether a call is one list of tensors, or tensors and plain constants side by side:
    the forms a node holds without a structure (:func:`_record_simple_call`)."""
    if len(args) == 1 and _is_tensor_list(args[0]):
        return all(_is_keras_tensor(v) or _is_plain(v) for v in kwargs.values())
    return all(_is_keras_tensor(v) or _is_plain(v) for v in (*args, *kwargs.values()))


def _fits(node: Node, args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Whether the layer type's ports take as many inputs (tensors and positional constants)
    as the call passes (a layer the catalog does not know may take more; its call is then
    kept as a structure)."""
    count = sum(map(_is_keras_tensor, keras.tree.flatten([args, kwargs])))
    count += sum(not (_is_keras_tensor(a) or _is_tensor_list(a)) for a in args)  # constants
    lo, hi = node.spec.min_inputs, node.spec.max_inputs
    return count >= lo and (hi is None or count <= hi)


def _is_tensor_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(map(_is_keras_tensor, value))


def _record_simple_call(node: Node, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    """Record a :func:`_simple_call` on ``node`` (style, constants, keyword ports)."""
    ports: list[Any] = []
    port_args: list[str] = []
    if len(args) == 1 and _is_tensor_list(args[0]):
        ports, style = list(args[0]), "list"
        port_args = [""] * len(ports)
    else:
        for index, arg in enumerate(args):
            if _is_keras_tensor(arg):
                ports.append(arg)
                port_args.append("")
            else:
                node.const_args[str(index)] = arg
        style = "args" if len(ports) + len(node.const_args) > 1 else "single"
    for key, value in kwargs.items():
        if _is_keras_tensor(value):
            ports.append(value)
            port_args.append(key)
        else:
            node.call_kwargs[key] = to_plain(value)
    if any(port_args):
        node.port_args = port_args
    if style != node.spec.call_style and not (style == "single" and node.type == "Model"):
        node.call_style = style
    return ports


def _record_structured_call(node: Node, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    """Record a call with nested arguments (``x[:, 0]``, ``initial_state=[h, c]``) as a
    template with a port per tensor (:mod:`designer.core.structure`); plain keyword values
    stay ``call_kwargs``."""
    ports: list[Any] = []

    def port_of(value: Any) -> int | None:
        if not _is_keras_tensor(value):
            return None
        ports.append(value)
        return len(ports) - 1

    structured = {k: v for k, v in kwargs.items() if not _is_plain(v)}
    node.call_kwargs = {k: to_plain(v) for k, v in kwargs.items() if k not in structured}
    try:
        encoded = [structure.encode(a, port_of, f"argument {i + 1}") for i, a in enumerate(args)]
        named = {k: structure.encode(v, port_of, f"'{k}'") for k, v in structured.items()}
    except structure.StructureError as exc:
        raise ImportModelError(
            f"layer '{node.name}' cannot be kept as it is called: {exc}; pass it tensors, "
            f"lists, tuples or dicts of them and plain constants"
        ) from None
    node.call_args = structure.call_template(encoded, named)
    return ports


def _is_keras_tensor(value: Any) -> bool:
    return isinstance(value, keras.KerasTensor)


def _is_plain(value: Any) -> bool:
    """A value that JSON can hold (constants passed to operations)."""
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str | np.generic)


def seed_analysis(
    graph: LayerGraph, node: Node, layer: Any, inputs: list[Any], outputs: list[Any]
) -> None:
    """Put what the live layer already knows into the analysis cache (no recomputation)."""
    if node.type == "Model" or not inputs:
        return
    cache = layer_cache(graph)
    shapes = [tuple(t.shape) for t in inputs]
    dtypes = [str(t.dtype) for t in inputs]
    trainable = (
        count(getattr(layer, "trainable_weights", [])) if getattr(layer, "trainable", True) else 0
    )
    non_trainable = count(getattr(layer, "weights", [])) - trainable
    cache[cache_key(node, shapes, dtypes)] = LayerResult(
        tuple(tuple(o.shape) for o in outputs),
        tuple(str(o.dtype) for o in outputs),
        trainable,
        non_trainable,
    )
