"""LayerGraph -> keras.Model (:func:`build_model`) and keras.Model -> LayerGraph
(:func:`graph_from_model`), with weights kept for every layer whose configuration is unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from designer.core import structure
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


# ---------------------------------------------------------------------- model -> graph
def graph_from_model(model: keras.Model, *, keep_weights: bool = True) -> LayerGraph:
    """A LayerGraph for any Sequential or functional model, nested models as group nodes."""
    functional = as_functional(model)
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
            node = _layer_node(graph, layer, knode, owners, keep_weights)
            graph.add_node(node)
            ports = _connect_arguments(graph, node, knode, tensors)
            for index, out in enumerate(knode.outputs):
                tensors[id(out)] = (node.id, index)
            _seed_analysis(graph, node, knode, ports)
        graph.set_output_order([list(tensors[id(t)]) for t in functional.outputs])
        graph.io_structure = _io_structure(functional)
    return graph


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
            f"functional models have a graph the designer can show"
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
        config.update(_adapted_vocabulary(layer, config))
        node = Node(graph.new_id(), type_name, graph.unique_name(layer.name), config)
        if keep_weights and getattr(layer, "weights", None):
            wts.attach(node, wts.LayerWeights(layer))
    node.trainable = bool(getattr(layer, "trainable", True))
    owners[id(layer)] = node.id
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


def _connect_arguments(
    graph: LayerGraph, node: Node, knode: Any, tensors: dict[int, tuple[str, int]]
) -> list[Any]:
    """Turn the tensors a call received into links, recording how they were passed;
    returns the tensors in port order."""
    args = list(knode.arguments.args)
    kwargs = {k: v for k, v in knode.arguments.kwargs.items() if v is not None}  # mask=None
    if _simple_call(args, kwargs) and _fits(node, args, kwargs):
        ports = _record_simple_call(node, args, kwargs)
    else:
        ports = _record_structured_call(node, args, kwargs)
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
            f"layer '{node.name}' cannot be kept as it is called: {exc}"
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
