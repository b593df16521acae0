"""Turning one node into a Keras layer and calling it: shared by analysis and build."""

from __future__ import annotations

from typing import Any

import keras

from designer.core.graph import Node
from designer.core.keras_compat import SafeModeScope


def layer_config(node: Node) -> dict[str, Any]:
    """The Keras config of ``node``: its parameters plus name and trainable state."""
    config = {**node.params, "name": node.name}
    if issubclass(node.spec.keras_class, keras.Layer):
        config["trainable"] = node.trainable
    return config


def make_layer(node: Node) -> keras.Layer:
    """A new Keras layer for ``node`` (not a group or Input node)."""
    cls = node.spec.keras_class
    if node.type == "TFSMLayer":
        # A SavedModel the user opened: a TensorFlow graph, no Python code; Keras asks for
        # explicit permission to reload one, which opening the folder gave.
        with SafeModeScope(False):
            layer = cls.from_config(layer_config(node))
    else:
        layer = cls.from_config(layer_config(node))
    if isinstance(layer, keras.Layer):
        layer.trainable = node.trainable
    return layer


def call_layer(layer: Any, node: Node, inputs: list[Any]) -> Any:
    """Call ``layer`` on ``inputs`` (ordered by port) the way ``node`` says."""
    kwargs = dict(node.call_kwargs)
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
    return list(keras.tree.flatten(outputs))
