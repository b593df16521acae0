"""Turn a functional or Sequential keras.Model into readable Keras functional-API code.

Every layer becomes one line (``name = layers.Conv2D(32, (3, 3), ..., name="name")(x)``) with
only the constructor arguments that differ from the layer's defaults, in a natural order:
a branch is followed to its end before the next one starts. Shared layers are created once
and called several times; nested models get their own ``build_*`` function.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import keras
import numpy as np

from designer.export.codegen_custom import CodegenError, CustomCode
from designer.export.pyrender import (
    Names,
    Source,
    is_serialized_object,
    public_class,
    render,
    render_array,
    statement,
)

__all__ = ["CodegenError", "FunctionWriter", "layer_constructor", "op_function"]

#: Identifiers the generated script uses itself; layer variables never take them.
RESERVED = {
    "keras",
    "layers",
    "np",
    "Path",
    "HERE",
    "WEIGHTS",
    "model",
    "main",
    "build_model",
    "load_data",
    "train",
    "history",
    "data",
    "self",
}


def _key(tensor: Any) -> tuple[int, int, int]:
    """Identity of a symbolic tensor: (operation id, node index, tensor index)."""
    op, node_index, tensor_index = tensor._keras_history
    return id(op), node_index, tensor_index


def _normalise(value: Any) -> Any:
    """Tuples as lists and numpy values as Python values, for comparing configs."""
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


_DEFAULTS: dict[tuple[type, str], dict[str, Any] | None] = {}


def default_config(cls: type, required: dict[str, Any]) -> dict[str, Any] | None:
    """get_config() of ``cls(**required)``, or None when it cannot be made."""
    key = (cls, repr(sorted(required.items())))
    if key not in _DEFAULTS:
        try:
            _DEFAULTS[key] = cls(**required).get_config()
        except Exception:  # any constructor failure just means "emit everything"
            _DEFAULTS[key] = None
    return _DEFAULTS[key]


def _required_params(cls: type) -> tuple[list[str], list[str]]:
    """Names of required positional-or-keyword and keyword-only constructor parameters."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    positional = [
        p.name for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    keyword_only = [p.name for p in params if p.default is p.empty and p.kind is p.KEYWORD_ONLY]
    return positional, keyword_only


def layer_constructor(layer: keras.layers.Layer, custom: CustomCode) -> tuple[str, list[str], dict]:
    """(callable source, positional args source, keyword args) that re-create ``layer``; a
    custom class (and custom objects in its configuration) is imported or re-created."""
    cls = type(layer)
    if isinstance(layer, keras.layers.Lambda):
        raise CodegenError(
            f"Expected built-in layers, but Lambda layer {layer.name!r} holds Python code that "
            "cannot be written out; replace it with a built-in or registered custom layer."
        )
    if getattr(keras.layers, cls.__name__, None) is cls:
        func = f"layers.{cls.__name__}"
    else:
        func = custom.name_for(cls, f"layer {layer.name!r}")
    config = layer.get_config()
    positional, keyword_only = _required_params(cls)
    required = [p for p in positional + keyword_only if p in config]
    if len(required) == len(positional) + len(keyword_only):
        keys = _non_default_keys(cls, config, required)
    else:
        keys = [k for k in config if k not in required and k != "name"]
    source = {k: config_source(v, custom, f"layer {layer.name!r}") for k, v in config.items()}
    args = [render(source[p]) for p in positional]
    kwargs = {p: source[p] for p in keyword_only}
    kwargs.update((k, source[k]) for k in config if k in keys)
    if kwargs.get("bin_boundaries") is not None:  # Discretization refuses both
        kwargs.pop("num_bins", None)
    kwargs["name"] = layer.name
    return func, args, kwargs


def _resolve(path: str) -> Any:
    """The object at a dotted ``keras.…`` path, or None."""
    obj: Any = keras
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def op_function(op: Any) -> tuple[str, dict[str, Any]]:
    """(``keras.ops`` function path, keyword arguments from its config) for a raw ops call."""
    cls = type(op)
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()
    package = cls.__module__.rsplit(".", 1)[-1]
    for path in (f"keras.ops.{snake}", f"keras.ops.{package}.{snake}"):
        func = _resolve(path)
        if callable(func) and getattr(func, "__module__", None) == cls.__module__:
            break
    else:
        raise CodegenError(
            f"Expected keras.ops calls with a public function, but operation {op.name!r} "
            f"({cls.__module__}.{cls.__name__}) has none; wrap it in a layer."
        )
    try:
        config = {k: v for k, v in op.get_config().items() if k != "name"}
    except Exception as exc:  # ops whose arguments Keras cannot serialize
        raise CodegenError(
            f"Expected keras.ops calls with serializable arguments, but operation {op.name!r} "
            f"({cls.__name__}) has none recorded; wrap it in a layer."
        ) from exc
    params = inspect.signature(func).parameters
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise CodegenError(
            f"Expected {path}() to accept the arguments of operation {op.name!r}, "
            f"but it has no parameters {unknown}; wrap it in a layer."
        )
    return path, config


def _non_default_keys(cls: type, config: dict[str, Any], required: list[str]) -> set[str]:
    """Config keys to pass so that the new layer's config equals ``config``.

    Starts with the keys that differ from a default instance, then adds any key whose default
    depends on another argument (``MaxPooling2D(strides=None)`` follows ``pool_size``) until a
    layer made from the chosen keys has the same config.
    """
    default = default_config(cls, {p: _materialise(config[p]) for p in required})
    if default is None:
        return {k for k in config if k not in required and k != "name"}
    keys = {
        k
        for k, v in config.items()
        if k not in required
        and k != "name"
        and (k not in default or _normalise(default[k]) != _normalise(v))
    }
    for _ in range(3):
        chosen = {k: _materialise(config[k]) for k in [*required, *keys]}
        try:
            made = cls(**chosen).get_config()
        except Exception:  # cannot check: pass everything to be safe
            return {k for k in config if k not in required and k != "name"}
        missing = {
            k
            for k, v in config.items()
            if k != "name"
            and k not in keys
            and k not in required
            and _normalise(made.get(k)) != _normalise(v)
        }
        if not missing:
            return keys
        keys |= missing
    return keys


def _is_layer_config(value: Any) -> bool:
    """True for the serialized config of a Keras layer (e.g. the layer wrapped by Bidirectional)."""
    return (
        isinstance(value, dict)
        and is_serialized_object(value)
        and str(value.get("module", "")).startswith("keras.layers")
    )


def _materialise(value: Any) -> Any:
    """A layer object for a serialized layer config, the value itself otherwise."""
    return keras.saving.deserialize_keras_object(value) if _is_layer_config(value) else value


def config_source(value: Any, custom: CustomCode, what: str) -> Any:
    """A configuration value with each wrapped layer as its constructor source (only
    non-default arguments) and each custom object (a regulariser of the user's own) as a
    call of its class, which ``custom`` imports or re-creates."""
    if isinstance(value, list | tuple):
        return type(value)(config_source(v, custom, what) for v in value)
    if not isinstance(value, dict):
        return value
    if _is_layer_config(value):
        func, args, kwargs = layer_constructor(_materialise(value), custom)
        parts = args + [f"{k}={render(v)}" for k, v in kwargs.items()]
        return Source(f"{func}({', '.join(parts)})")
    if is_serialized_object(value) and public_class(value.get("module"), value["class_name"]):
        return value
    if is_serialized_object(value) and value.get("registered_name"):
        return _custom_object(value, custom, what)
    return {k: config_source(v, custom, what) for k, v in value.items()}


def _custom_object(value: dict[str, Any], custom: CustomCode, what: str) -> Source:
    """``L1Reg(c=0.1)`` for the serialized custom object ``value`` (from_config when the class
    has its own)."""
    cls = keras.saving.get_registered_object(value["registered_name"])
    if cls is None:
        raise CodegenError(
            f"Expected the custom object {value['registered_name']!r} of {what} to be known, "
            "but no class is registered under that name; load the code that defines it first."
        )
    name = custom.name_for(cls, f"{what} ({value['class_name']})")
    config = config_source(value["config"], custom, what)
    if "from_config" in vars(cls) and isinstance(config, dict):
        return Source(f"{name}.from_config({render(config)})")
    kwargs = ", ".join(f"{k}={render(v)}" for k, v in config.items())
    return Source(f"{name}({kwargs})")


def input_statement(prefix: str, tensor: Any, name: str, indent: int = 4) -> str:
    """``prefix + keras.Input(shape=..., name=...)`` for a model input tensor."""
    kwargs: dict[str, Any] = {"shape": tuple(tensor.shape[1:])}
    if tensor.shape[0] is not None:
        kwargs["batch_size"] = tensor.shape[0]
    if str(tensor.dtype) != "float32":
        kwargs["dtype"] = str(tensor.dtype)
    if getattr(tensor, "sparse", False):
        kwargs["sparse"] = True
    kwargs["name"] = name
    return statement(prefix, "keras.Input", [], kwargs, indent=indent)


def _dtype_name(value: Any) -> str | None:
    """``"float32"`` for a dtype object (``np.float32``, ``np.dtype("int32")``, a backend
    dtype such as ``tf.float32``), None for anything else."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return keras.backend.standardize_dtype(value)
    if type(value).__name__ == "DType" and hasattr(value, "as_numpy_dtype"):
        return keras.backend.standardize_dtype(value)
    return None


def _constant(value: Any, indent: int) -> Any:
    """A constant argument as ``render`` can write it: an array or a constant backend tensor
    (or variable) as an ``np.array(..., dtype=...)`` literal, a dtype as its name."""
    name = _dtype_name(value)
    if name is not None:
        return name
    if isinstance(value, np.generic):  # a numpy scalar: render() writes it as a number
        return value
    if isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype")
    ):
        return Source(render_array(keras.ops.convert_to_numpy(value), indent))
    return value


def _as_source(struct: Any, tensors: dict, indent: int = 4) -> Any:
    """``struct`` with every symbolic tensor replaced by its variable name as Source, and
    every constant array or tensor by its ``np.array`` literal."""
    if isinstance(struct, keras.KerasTensor):
        return Source(tensors[_key(struct)])
    if isinstance(struct, (list, tuple)):
        return type(struct)(_as_source(s, tensors, indent) for s in struct)
    if isinstance(struct, dict):
        return {k: _as_source(v, tensors, indent) for k, v in struct.items()}
    return _constant(struct, indent)


class _Graph:
    """The call nodes of a functional model, in a natural topological order."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.input_keys = [_key(t) for t in model.inputs]
        self.nodes: dict[int, Any] = {}
        stack = list(keras.tree.flatten(model.outputs))
        while stack:
            tensor = stack.pop()
            if _key(tensor) in self.input_keys:
                continue
            op, node_index, _ = tensor._keras_history
            node = op._inbound_nodes[node_index]
            if id(node) not in self.nodes:
                self.nodes[id(node)] = node
                stack.extend(node.arguments.keras_tensors)
        self.uses: dict[int, int] = {}
        for node in self.nodes.values():
            self.uses[id(node.operation)] = self.uses.get(id(node.operation), 0) + 1
        self.order = self._natural_order()

    def _producer(self, tensor: Any) -> Any | None:
        """The node of this graph that produced ``tensor`` (None for model inputs)."""
        if _key(tensor) in self.input_keys:
            return None
        op, node_index, _ = tensor._keras_history
        return op._inbound_nodes[node_index]

    def _natural_order(self) -> list[Any]:
        """Kahn's algorithm with a stack: finish a branch before starting its sibling."""
        rank = {id(op): i for i, op in enumerate(self.model.operations)}

        def sort_key(node: Any) -> tuple[int, int]:
            op = node.operation
            return rank.get(id(op), len(rank)), op._inbound_nodes.index(node)

        waiting: dict[int, int] = {}
        consumers: dict[int, list[Any]] = {nid: [] for nid in self.nodes}
        for nid, node in self.nodes.items():
            producers = {id(p) for p in map(self._producer, node.arguments.keras_tensors) if p}
            waiting[nid] = len(producers)
            for pid in producers:
                consumers[pid].append(node)
        ready = sorted((n for n in self.nodes.values() if not waiting[id(n)]), key=sort_key)
        stack = ready[::-1]
        order = []
        while stack:
            node = stack.pop()
            order.append(node)
            released = []
            for consumer in consumers[id(node)]:
                waiting[id(consumer)] -= 1
                if waiting[id(consumer)] == 0:
                    released.append(consumer)
            stack.extend(sorted(released, key=sort_key, reverse=True))
        return order


class FunctionWriter:
    """Writes ``build_*`` functions for a model and every model nested in it."""

    def __init__(self) -> None:
        self.custom = CustomCode()
        self.functions: list[str] = []
        self.function_names = Names(RESERVED)
        self._built: dict[int, str] = {}

    def builder(self, model: keras.Model, func_name: str | None = None) -> str:
        """Name of the function that builds ``model`` (written once, nested ones first)."""
        if id(model) in self._built:
            return self._built[id(model)]
        name = func_name or self.function_names.take(f"build_{model.name}")
        self._built[id(model)] = name
        if isinstance(model, keras.Sequential):
            body = self._sequential_body(model)
            kind = "a keras.Sequential stack"
        elif hasattr(model, "_inbound_nodes") and model.inputs and hasattr(model, "operations"):
            body = self._functional_body(model)
            kind = "the Keras functional API"
        else:
            raise CodegenError(
                f"Expected a functional or Sequential model, but {model.name!r} is a subclassed "
                f"{type(model).__name__}; its call() cannot be written out."
            )
        doc = f'    """Build the {model.name!r} network with {kind}."""'
        text = f"def {name}() -> keras.Model:\n{doc}\n" + "\n".join(body) + "\n"
        self.functions.append(text)
        return name

    def _object(self, layer: keras.layers.Layer, indent: int) -> tuple[str, list[str], dict]:
        """Constructor call of a layer, or the builder call of a nested model."""
        if isinstance(layer, keras.Model):
            return self.builder(layer), [], {}
        return layer_constructor(layer, self.custom)

    def _sequential_body(self, model: keras.Sequential) -> list[str]:
        """``return keras.Sequential([...], name=...)`` lines."""
        lines = ["    model = keras.Sequential(", "        ["]
        tensor = model.inputs[0]
        first = model._layers[0] if model._layers else None
        in_name = first.name if isinstance(first, keras.layers.InputLayer) else tensor.name
        lines.append(input_statement("", tensor, in_name, indent=12) + ",")
        for layer in model.layers:
            func, args, kwargs = self._object(layer, 12)
            lines.append(statement("", func, args, kwargs, indent=12) + ",")
        lines += ["        ],", f"        name={render(model.name)},", "    )"]
        return lines + self._finish(model)

    def _functional_body(self, model: keras.Model) -> list[str]:
        """One line per input and per layer call, then ``keras.Model(...)``."""
        graph = _Graph(model)
        names = Names(RESERVED | set(self.function_names._used))
        tensors: dict[tuple[int, int, int], str] = {}
        lines = []
        for tensor in model.inputs:
            in_name = getattr(tensor._keras_history[0], "name", tensor.name)
            var = names.take(in_name)
            tensors[_key(tensor)] = var
            lines.append(input_statement(f"{var} = ", tensor, in_name))
        objects: dict[int, str] = {}
        for node in graph.order:
            layer = node.operation
            outs = [
                names.take(layer.name if i == 0 else f"{layer.name}_{i}")
                for i in range(len(node.outputs))
            ]
            if not isinstance(layer, keras.layers.Layer):
                lines.append(self._op_statement(node, f"{', '.join(outs)} = ", tensors))
            elif graph.uses[id(layer)] > 1 or isinstance(layer, keras.Model):
                if id(layer) not in objects:
                    var = names.take(f"{layer.name}_layer")
                    objects[id(layer)] = var
                    func, args, kwargs = self._object(layer, 4)
                    lines.append(statement(f"{var} = ", func, args, kwargs))
                    if isinstance(layer, keras.Model) and not layer.trainable:
                        lines.append(f"    {var}.trainable = False")
                call_args = self._call_args(node, tensors)
                lines.append(f"    {', '.join(outs)} = {objects[id(layer)]}({call_args})")
            else:
                func, args, kwargs = self._object(layer, 4)
                target = f"{', '.join(outs)} = "
                call_args = self._call_args(node, tensors)
                lines.append(statement(target, func, args, kwargs, tail=f"({call_args})"))
            for tensor, var in zip(node.outputs, outs, strict=True):
                tensors[_key(tensor)] = var
        ins = self._structure(model._inputs_struct, tensors)
        outs = self._structure(model._outputs_struct, tensors)
        kwargs = {"inputs": Source(ins), "outputs": Source(outs), "name": model.name}
        lines.append(statement("model = ", "keras.Model", [], kwargs))
        return lines + self._finish(model)

    @staticmethod
    def _finish(model: keras.Model) -> list[str]:
        """Lines after the model is made: trainable flag and return."""
        lines = [] if model.trainable else ["    model.trainable = False"]
        return lines + ["    return model"]

    def _structure(self, struct: Any, tensors: dict, indent: int = 4) -> str:
        """Source for a (nested) structure of symbolic tensors, as variable names, and
        constants (arrays as ``np.array`` literals split at ``indent`` when long)."""
        if isinstance(struct, keras.KerasTensor):
            return tensors[_key(struct)]
        return render(_as_source(struct, tensors, indent))

    def _op_statement(self, node: Any, target: str, tensors: dict) -> str:
        """``x = keras.ops.add(x, 3.0)`` for a raw keras.ops call node."""
        op = node.operation
        func, config = op_function(op)
        if func == "keras.ops.get_item" and len(node.arguments.args) == 2:
            tensor, key = node.arguments.args
            return f"    {target}{self._structure(tensor, tensors)}[{self._index(key, tensors)}]"
        try:
            args = [self._structure(a, tensors, 8) for a in node.arguments.args]
            kwargs: dict[str, Any] = {
                k: Source(self._structure(v, tensors, 8))
                for k, v in node.arguments.kwargs.items()
                if v is not None
            }
            kwargs.update((k, _as_source(v, tensors, 8)) for k, v in config.items())
            return statement(target, func, args, kwargs)
        except TypeError as exc:  # a constant render() cannot write (a slice, an object)
            raise CodegenError(
                f"Expected keras.ops arguments that can be written as Python literals, but "
                f"operation {op.name!r} ({type(op).__name__}) got {exc}; wrap it in a layer."
            ) from exc

    def _index(self, key: Any, tensors: dict) -> str:
        """Subscript source for a tensor slice: ``:, 1:4``, ``..., None``, ``0``."""
        if isinstance(key, tuple):
            return ", ".join(self._index(k, tensors) for k in key) or "()"
        if isinstance(key, slice):
            parts = [
                "" if v is None else self._structure(v, tensors)
                for v in (key.start, key.stop, key.step)
            ]
            return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")
        if key is Ellipsis:
            return "..."
        return self._structure(key, tensors)

    def _call_args(self, node: Any, tensors: dict) -> str:
        """Source of the arguments a node was called with (tensors as variable names)."""
        parts = [self._structure(a, tensors) for a in node.arguments.args]
        kwargs = {k: v for k, v in node.arguments.kwargs.items() if v is not None}  # mask=None
        parts += [f"{k}={self._structure(v, tensors)}" for k, v in kwargs.items()]
        return ", ".join(parts)
