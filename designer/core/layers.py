"""Turning one node into a Keras layer and calling it: shared by analysis and build.

Some layers run code or an outside graph when they are made: a ``TFSMLayer`` loads a
SavedModel (a TensorFlow graph that may do anything, write files included), a ``Lambda``
holds Python bytecode. They follow Keras' safe mode: :func:`make_layer` refuses them with
:class:`UnsafeModelError` (naming the layer and why) unless the user consented to that exact
layer, which :func:`trust` records for this process (opening a SavedModel folder or a model
with code after the question, or ``--unsafe`` on the command line). Every other layer is made
with Keras' safe mode on. A file naming such a layer is not consent: readers check
:func:`untrusted_layers` first.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import TYPE_CHECKING, Any

from designer.core import keras_compat, structure
from designer.core.errors import ProjectError
from designer.core.graph import LayerGraph, Node

if TYPE_CHECKING:
    import keras

_TRUSTED: set[str] = set()  # fingerprints of the unsafe layers the user consented to
_TAKES_TRAINABLE: dict[type, bool] = {}  # class -> whether its constructor takes trainable=
_CODE = "__lambda__"  # Keras' class_name of a serialized Python function (bytecode)
_GRAPH = "TFSMLayer"


class UnsafeModelError(ProjectError):
    """A model or project holds code or an outside graph (a Lambda layer, a SavedModel);
    loading it needs the user's consent."""


def layer_config(node: Node) -> dict[str, Any]:
    """The Keras config of ``node``: its parameters plus name and trainable state."""
    import keras

    config = {**node.params, "name": node.name}
    cls = node.spec.keras_class
    if issubclass(cls, keras.Layer) and _takes_trainable(cls):
        config["trainable"] = node.trainable
    return config


def _takes_trainable(cls: type) -> bool:
    """Whether ``cls(trainable=...)`` is accepted: Discretization, for one, takes no other
    keyword than its own (make_layer sets ``trainable`` on the made layer anyway)."""
    if cls not in _TAKES_TRAINABLE:
        try:
            parameters = list(inspect.signature(cls).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        _TAKES_TRAINABLE[cls] = not parameters or any(
            p.name == "trainable" or p.kind is p.VAR_KEYWORD for p in parameters
        )
    return _TAKES_TRAINABLE[cls]


def _unsafe_content(value: Any) -> str | None:
    """What in a (nested) serialized configuration runs code when deserialized, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("class_name")
            if kind == _CODE:
                return "Python code (a Lambda function)"
            if kind == _GRAPH:
                path = item.get("config", {}) if isinstance(item.get("config"), dict) else {}
                return f"a SavedModel graph ({path.get('filepath', 'a TFSMLayer')})"
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def unsafe_reason(node: Node) -> str | None:
    """Why making ``node``'s layer would run code from outside the program, or None."""
    if node.subgraph is not None or node.type == "Input":
        return None
    if _loads_saved_model(node):
        where = node.params.get("filepath", "?")
        return (
            f"it loads the SavedModel at {where}, a TensorFlow graph that runs when the "
            f"network is analysed, built or exported (it can do anything, write files too)"
        )
    content = _unsafe_content(node.params)
    if content is not None:
        return f"it holds {content}, which runs when the layer is made"
    return None


def _loads_saved_model(node: Node) -> bool:
    """A TFSMLayer or a subclass; a keras.layers name other than TFSMLayer is neither, which
    is known without importing Keras (a project is checked before Keras is ready)."""
    if node.spec.resolved_class is None and ":" not in node.type and ">" not in node.type:
        return node.type == _GRAPH
    import keras

    return issubclass(node.spec.keras_class, keras.layers.TFSMLayer)


def _fingerprint(node: Node) -> str:
    return hashlib.sha256(node.params_key().encode()).hexdigest()


def is_trusted(node: Node) -> bool:
    """True when the user consented to ``node``'s layer as it is now (same type and params)."""
    return _fingerprint(node) in _TRUSTED


def _unsafe_nodes(graph: LayerGraph, prefix: str = "") -> list[tuple[str, Node, str]]:
    found = []
    for node in graph.nodes:
        if node.subgraph is not None:
            found += _unsafe_nodes(node.subgraph, f"{prefix}{node.name}/")
            continue
        reason = unsafe_reason(node)
        if reason is not None:
            found.append((prefix + node.name, node, reason))
    return found


def unsafe_layers(graph: LayerGraph) -> list[str]:
    """Names (``group/layer`` inside groups) of the layers that hold code or an outside graph,
    consented to or not."""
    return [name for name, _, _ in _unsafe_nodes(graph)]


def trust(graph: LayerGraph) -> int:
    """Record the user's consent for every unsafe layer in ``graph`` (groups included), as
    they are now; returns how many there are."""
    found = _unsafe_nodes(graph)
    _TRUSTED.update(_fingerprint(node) for _, node, _ in found)
    return len(found)


def untrusted_layers(graph: LayerGraph) -> list[str]:
    """One sentence per unsafe layer of ``graph`` the user has not consented to."""
    return [
        f"the layer '{name}' ({node.label}): {reason}"
        for name, node, reason in _unsafe_nodes(graph)
        if not is_trusted(node)
    ]


def refuse_untrusted(graph: LayerGraph, source: str) -> None:
    """Raise UnsafeModelError when ``graph`` (read from ``source``) has unsafe layers that the
    user has not consented to."""
    problems = untrusted_layers(graph)
    if problems:
        raise UnsafeModelError(
            f"{source} contains code that runs when it is used: {'; '.join(problems)}. Open "
            f"it only if you trust its source"
        )


def make_layer(node: Node) -> keras.Layer:
    """A new Keras layer for ``node`` (not a group or Input node); UnsafeModelError for a
    layer with code or an outside graph that the user has not consented to."""
    cls = node.spec.keras_class
    reason = unsafe_reason(node)
    if reason is not None and not is_trusted(node):
        raise UnsafeModelError(
            f"the layer '{node.name}' ({node.label}) was not made: {reason}; it needs your "
            f"consent (open its file again and accept, or pass --unsafe)"
        )
    import keras

    with keras_compat.SafeModeScope(reason is None):  # Keras' safe mode, off only with consent
        layer = cls.from_config(layer_config(node))
    if isinstance(layer, keras.Layer):
        layer.trainable = node.trainable
    return layer


def call_layer(layer: Any, node: Node, inputs: list[Any]) -> Any:
    """Call ``layer`` on ``inputs`` (ordered by port) the way ``node`` says."""
    kwargs = dict(node.call_kwargs)
    if node.call_args is not None:
        args, named = structure.decode_call(node.call_args, inputs)
        return layer(*args, **named, **kwargs)
    if node.const_args:
        inputs = _with_constants(inputs, node.const_args)
        return layer(*inputs, **kwargs)
    if node.port_args:
        positional = [x for x, name in zip(inputs, node.port_args, strict=False) if not name]
        named = {name: x for x, name in zip(inputs, node.port_args, strict=False) if name}
        return layer(*positional, **named, **kwargs)
    style = node.style
    if style == "list":
        return layer(list(inputs), **kwargs)
    if style == "args":
        return layer(*inputs, **kwargs)
    if len(inputs) == 1:
        return layer(inputs[0], **kwargs)
    return layer(list(inputs), **kwargs)


def _with_constants(tensors: list[Any], constants: dict[str, Any]) -> list[Any]:
    """Positional arguments: constants at their recorded places, tensors in the others."""
    queue = iter(tensors)
    total = len(tensors) + len(constants)
    return [constants[str(i)] if str(i) in constants else next(queue) for i in range(total)]


def flatten_outputs(outputs: Any) -> list[Any]:
    """A layer's output(s) as a flat list."""
    import keras

    return list(keras.tree.flatten(outputs))
