"""A model's configuration (a ``.keras`` file's config.json) -> LayerGraph, without loading it.

Used when Keras cannot load the model because it uses custom classes whose code is not
loaded: the network is still shown, read-only. Every layer Keras knows is made from its
configuration (no weights) and analysed as usual; every layer whose class is unknown becomes an
unrepresented block (:mod:`designer.core.unrepresented`). The tensors a configuration records
carry their shapes, so the blocks' input and output shapes are those the saved model had;
their weight counts are read from the file's weights when it has them (``weight_counts``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import keras

from designer.core.analysis import LayerResult, cache_key, layer_cache
from designer.core.file_checks import reason
from designer.core.graph import LayerGraph, Node
from designer.core.importer import ImportModelError, layer_node, record_call
from designer.core.unrepresented import UNREPRESENTED, fix_ports, unrepresented_params

_TENSOR = "__keras_tensor__"
_NESTED = ("Functional", "Sequential", "Model")


@dataclass(frozen=True)
class _Reader:
    """How one model's configuration is read: the classes no code defines (with the reason
    for their blocks), the file's weight counts by layer path, this model's path prefix
    ("encoder/" inside a nested one), and the (shape, dtype) each tensor was recorded with
    where a call received it (by keras_history)."""

    unknown: dict[str, str]
    counts: dict[str, int]
    prefix: str
    seen: dict[tuple[str, int, int], Any]

    def outputs_of(self, name: str, index: int) -> list[Any]:
        """The recorded (shape, dtype) of each output of call ``index`` of layer ``name``
        (None where no call received it); one output when none was recorded."""
        found = [k for (other, i, k) in self.seen if other == name and i == index]
        return [self.seen.get((name, index, k)) for k in range(max(found) + 1 if found else 1)]


@dataclass
class _Call:
    """What :func:`designer.core.importer.record_call` reads of a Keras call event."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def arguments(self) -> _Call:
        return self


def graph_from_config(
    config: dict[str, Any],
    unknown: dict[str, str],
    weight_counts: dict[str, int] | None = None,
    *,
    prefix: str = "",
    output_shapes: list[Any] | None = None,
) -> LayerGraph:
    """The graph of a functional or Sequential model ``config`` (a ``get_config()`` /
    config.json ``config`` section). ``unknown`` maps the class names no code defines to the
    reason shown on their blocks; ``weight_counts`` gives the weights a layer has in the file
    (by layer path: "encoder/block" inside a nested model). A nested model is read with its
    ``prefix`` and the ``output_shapes`` its caller recorded for its outputs.
    ImportModelError when the configuration is not one of a model."""
    counts = weight_counts or {}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ImportModelError("the model's configuration lists no layers")
    if "input_layers" in config:
        return _functional(config, unknown, counts, prefix, output_shapes or [])
    return _sequential(config, _Reader(unknown, counts, prefix, {}))


def graph_of_unknown_model(entry: dict[str, Any], reason: str) -> LayerGraph:
    """The graph of a whole model whose class is unknown (a subclassed model without its
    code): an Input per shape it was built for, into one unrepresented block."""
    graph = LayerGraph()
    cfg = _section(entry, "config")
    graph.name = str(cfg.get("name") or "model")
    build = _section(entry, "build_config")
    shape = build.get("input_shape")
    shapes = shape if shape and isinstance(shape[0], list | tuple) else [shape] if shape else []
    with graph.batch():
        sources = []
        for one in shapes:
            params = {"shape": list(one[1:]), "dtype": "float32"}
            node = Node(graph.new_id(), "Input", graph.unique_name("input"), params)
            sources.append(graph.add_node(node))
        class_name = str(entry.get("registered_name") or entry.get("class_name") or "?")
        block = _blocked(graph, graph.name, class_name, reason, cfg)
        fix_ports(block, len(sources))
        graph.add_node(block)
        for port, source in enumerate(sources):
            graph.add_trusted_link(source, block.id, port)
    return graph


def _functional(
    config: dict[str, Any],
    unknown: dict[str, str],
    counts: dict[str, int],
    prefix: str,
    output_shapes: list[Any],
) -> Any:
    graph = LayerGraph()
    graph.name = str(config.get("name", "model"))
    tensors: dict[int, tuple[str, int]] = {}
    made: dict[tuple[str, int, int], keras.KerasTensor] = {}  # keras_history -> tensor
    entries = [e for e in config["layers"] if isinstance(e, dict)]
    seen = _output_shapes(entries)
    for i, history in enumerate(_histories(config.get("output_layers"))):  # as the caller saw
        given = output_shapes[i] if i < len(output_shapes) else None
        seen.setdefault(_key(history), given)
    reader = _Reader(unknown, counts, prefix, seen)
    with graph.batch():
        pending = [(e, i) for e in entries for i in range(max(1, len(_calls(e))))]
        owners: dict[str, str] = {}
        while pending:
            progress = False
            for item in list(pending):
                entry, index = item
                calls = _calls(entry)
                call = calls[index] if calls else None
                if call is not None and not _ready(call, made):
                    continue
                pending.remove(item)
                progress = True
                node, ports = _add_call(graph, entry, index, call, reader, made, tensors, owners)
                _seed_outputs(graph, node, ports, _entry_name(entry), index, reader, made, tensors)
            if not progress:
                raise ImportModelError("the model's configuration links layers in a cycle")
        graph.set_output_order(
            [list(tensors[id(_made(made, _key(h)))]) for h in _histories(config["output_layers"])]
        )
    return graph


def _sequential(config: dict[str, Any], reader: _Reader) -> Any:
    graph = LayerGraph()
    graph.name = str(config.get("name", "sequential"))
    previous: str | None = None
    with graph.batch():
        for entry in config["layers"]:
            if not isinstance(entry, dict):
                continue
            node = _node_for(graph, entry, reader, [])
            graph.add_node(node)
            if previous is not None and node.type != "Input":
                graph.add_trusted_link(previous, node.id, 0)
            previous = node.id
    return graph


def _calls(entry: dict[str, Any]) -> list[Any]:
    calls = entry.get("inbound_nodes") or []
    return [c for c in calls if isinstance(c, dict)]


def _histories(value: Any) -> list[list[Any]]:
    """The keras_history triples named in ``value`` (output_layers: a list, dict or one)."""
    if isinstance(value, dict):
        return [h for v in value.values() for h in _histories(v)]
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if isinstance(value, list):
        return [h for v in value for h in _histories(v)]
    return []


def _made(made: dict[tuple[str, int, int], Any], history: tuple[str, int, int]) -> Any:
    """The tensor a keras_history names. Keras numbers a nested model's calls from its own
    first call, so a reference can name call 1 of a model this configuration calls once:
    then that one call's tensor is meant (KeyError when there is no such layer output)."""
    if history in made:
        return made[history]
    name, _index, output = history
    calls = {index for (other, index, k) in made if other == name and k == output}
    if len(calls) != 1:
        raise KeyError(history)
    return made[(name, calls.pop(), output)]


def _entry_name(entry: dict[str, Any]) -> str:
    """The name of a layer entry (a config.json ``layers`` item)."""
    return str(entry.get("name") or _section(entry, "config").get("name") or "layer")


def _section(entry: dict[str, Any], key: str) -> dict[str, Any]:
    """``entry[key]`` when it is a dict (a configuration's section), else an empty one."""
    value = entry.get(key)
    return value if isinstance(value, dict) else {}


def _key(history: list[Any]) -> tuple[str, int, int]:
    return (str(history[0]), int(history[1]), int(history[2]))


def _tensor_history(value: Any) -> tuple[str, int, int] | None:
    if isinstance(value, dict) and value.get("class_name") == _TENSOR:
        history = value.get("config", {}).get("keras_history")
        if isinstance(history, list) and len(history) == 3:
            return (str(history[0]), int(history[1]), int(history[2]))
    return None


def _ready(call: dict[str, Any], made: dict[tuple[str, int, int], Any]) -> bool:
    """Whether every tensor a call receives has been made."""
    found: list[tuple[str, int, int]] = []
    _walk(call, found)
    return all(h in made or (h[0], 0, h[2]) in made for h in found)


def _walk(value: Any, found: list[tuple[str, int, int]]) -> None:
    history = _tensor_history(value)
    if history is not None:
        found.append(history)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item, found)


def _materialise(value: Any, made: dict[tuple[str, int, int], Any]) -> Any:
    """A call's recorded arguments with the tensors it received in place of their records."""
    history = _tensor_history(value)
    if history is not None:
        return _made(made, history)
    if isinstance(value, dict):
        return {k: _materialise(v, made) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialise(v, made) for v in value]
    return value


def _output_shapes(entries: list[dict[str, Any]]) -> dict[tuple[str, int, int], Any]:
    """The shape and dtype of every tensor some call received, by its keras_history."""
    shapes: dict[tuple[str, int, int], Any] = {}

    def visit(value: Any) -> None:
        history = _tensor_history(value)
        if history is not None:
            cfg = value["config"]
            shapes[history] = (tuple(cfg.get("shape") or ()), str(cfg.get("dtype", "float32")))
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for entry in entries:
        visit(_calls(entry))
    return shapes


def _add_call(
    graph: LayerGraph,
    entry: dict[str, Any],
    index: int,
    call: dict[str, Any] | None,
    reader: _Reader,
    made: dict[tuple[str, int, int], Any],
    tensors: dict[int, tuple[str, int]],
    owners: dict[str, str],
) -> tuple[Node, list[Any]]:
    """Add the node of one call of a layer entry, linked to the tensors it receives; returns
    it and those tensors (by port)."""
    name = _entry_name(entry)
    if index > 0 and name in owners:  # a shared layer called again
        first = graph.node(owners[name])
        node = Node(graph.new_id(), first.type, graph.unique_name(f"{name}_call"), first.params)
        node.shared_with = first.id
    else:
        node = _node_for(graph, entry, reader, reader.outputs_of(name, index))
    args = _materialise(call.get("args", []), made) if call else []
    kwargs = _materialise(call.get("kwargs", {}), made) if call else {}
    event = _Call(tuple(args), {k: v for k, v in kwargs.items() if v is not None})
    if node.type == "Input":
        ports: list[Any] = []
    elif node.type == UNREPRESENTED or node.type == "Model":
        ports = [t for t in keras.tree.flatten([list(args), kwargs]) if id(t) in tensors]
        if node.type == UNREPRESENTED:
            fix_ports(node, len(ports))
    else:
        ports = record_call(node, event, tensors)
    graph.add_node(node)
    owners.setdefault(name, node.id)
    for port, tensor in enumerate(ports):
        src, src_port = tensors[id(tensor)]
        graph.add_trusted_link(src, node.id, port, src_port)
    if node.type == "Input":
        shape = (None, *node.params["shape"])
        tensor = keras.KerasTensor(shape, dtype=node.params.get("dtype", "float32"))
        made[(name, index, 0)] = tensor
        tensors[id(tensor)] = (node.id, 0)
    return node, ports


def _seed_outputs(
    graph: LayerGraph,
    node: Node,
    ports: list[Any],
    name: str,
    index: int,
    reader: _Reader,
    made: dict[tuple[str, int, int], Any],
    tensors: dict[int, tuple[str, int]],
) -> None:
    """Make the tensors call ``index`` of layer ``name`` (``node``, which received ``ports``)
    gives, their shapes as recorded where later calls received them; for an unrepresented
    block, put those shapes into the analysis cache."""
    if node.type == "Input":
        return
    recorded = reader.outputs_of(name, index)
    results = []
    for k, one in enumerate(recorded):
        shape, dtype = one if one is not None else ((), "float32")
        tensor = keras.KerasTensor(shape, dtype=dtype)
        made[(name, index, k)] = tensor
        tensors[id(tensor)] = (node.id, k)
        results.append(tensor)
    known = all(one is not None for one in recorded)
    if node.type == UNREPRESENTED and ports and known:
        weights = reader.counts.get(reader.prefix + name, 0)  # a shared call's: analysis drops
        trainable, frozen = (weights, 0) if node.trainable else (0, weights)
        key = cache_key(node, [tuple(t.shape) for t in ports], [str(t.dtype) for t in ports])
        layer_cache(graph)[key] = LayerResult(
            tuple(tuple(t.shape) for t in results),
            tuple(str(t.dtype) for t in results),
            trainable,
            frozen,
        )


def _node_for(graph: LayerGraph, entry: dict[str, Any], reader: _Reader, hint: list[Any]) -> Node:
    """The node for one layer entry: an Input, a group for a nested model (its outputs'
    shapes as its caller recorded them: ``hint``), a layer made from its configuration, or an
    unrepresented block for a class no code defines."""
    unknown = reader.unknown
    cfg = _section(entry, "config")
    name = _entry_name(entry)
    class_name = str(entry.get("registered_name") or entry.get("class_name") or "?")
    if entry.get("class_name") == "InputLayer":
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape") or [None]
        params = {"shape": list(shape[1:]), "dtype": str(cfg.get("dtype", "float32"))}
        return Node(graph.new_id(), "Input", graph.unique_name(name), params)
    for key in (entry.get("registered_name"), entry.get("class_name")):
        if key in unknown:
            return _blocked(graph, name, class_name, unknown[str(key)], cfg)
    if entry.get("class_name") in _NESTED and isinstance(cfg.get("layers"), list):
        inner = f"{reader.prefix}{name}/"
        sub = graph_from_config(cfg, unknown, reader.counts, prefix=inner, output_shapes=hint)
        return Node(graph.new_id(), "Model", graph.unique_name(name), {}, subgraph=sub)
    plain = {k: v for k, v in entry.items() if k != "inbound_nodes"}
    try:
        layer = keras.saving.deserialize_keras_object(plain, safe_mode=True)
        node = layer_node(graph, layer, {}, keep_weights=False)
    except Exception as exc:  # a class Keras knows but cannot make from this configuration
        text = json.dumps(cfg, default=str)
        needed = [n for n in unknown if json.dumps(n) in text]  # a custom regulariser...
        why = f"its settings use {needed[0]}: {unknown[needed[0]]}" if needed else ""
        return _blocked(graph, name, class_name, why or f"Keras cannot make it: {reason(exc)}", cfg)
    return node


def _blocked(
    graph: LayerGraph, name: str, class_name: str, reason: str, cfg: dict[str, Any]
) -> Node:
    params = unrepresented_params(name, class_name, reason)
    node = Node(graph.new_id(), UNREPRESENTED, graph.unique_name(name), params)
    node.trainable = bool(cfg.get("trainable", True))
    return node
