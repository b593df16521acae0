"""What ONNX and TFLite cannot hold, found before converting, said per layer and construct.

A converter meeting one of these fails with a raw message far from the cause (a placeholder
left after freezing, a resource of the wrong type, "neither a custom op nor a flex op"), so
they are looked for first: layers that keep a lookup table (StringLookup, IntegerLookup,
TextVectorization), and layers that change their state in ``call`` (a variable assigned, a
random SeedGenerator advanced), found in the traced inference graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import tensorflow as tf

from designer.export.report import ExportError

FORMAT_NAMES = {"onnx": "ONNX", "tflite": "TFLite"}

#: Layers that keep a vocabulary in a TensorFlow hash table, and what they do with it.
TABLE_LAYERS = {
    "StringLookup": "keeps a vocabulary table",
    "IntegerLookup": "keeps a vocabulary table",
    "TextVectorization": "splits text and keeps a vocabulary table",
}
#: Where each format stands with such a table.
TABLE_LIMITS = {
    "onnx": "that the ONNX conversion cannot express (a StringLookup's string table becomes "
    "an ONNX CategoryMapper, an IntegerLookup without a mask token becomes comparisons)",
    "tflite": "that TFLite runs only with TensorFlow (Flex) operations, outside its builtins "
    "(a StringLookup giving indices or one-hot maps to its hash-table operations, such an "
    "IntegerLookup without a mask token to comparisons; multi-hot, count and tf-idf need the "
    "DenseBincount Flex operation)",
}
#: The lookup output modes each format holds: those a StringLookup's table (or an IntegerLookup
#: or Discretization written as comparisons, designer.export.lowering) may be encoded with.
TABLE_MODES = {
    "onnx": ("int", "one_hot", "multi_hot", "count", "tf_idf"),
    "tflite": ("int", "one_hot"),
}
TABLE_ADVICE = (
    "export to SavedModel or .keras, or move the lookup out of the model (turn the strings "
    "or values into indices before calling it)"
)
#: Layers whose TensorFlow operations a format has no equivalent for: (layer class, output
#: modes or None for any) -> {format: what is missing}.
OPERATION_LIMITS: dict[tuple[str, tuple[str, ...] | None], dict[str, str]] = {
    ("HashedCrossing", None): {
        "onnx": "crosses features with TensorFlow's SparseCross (a FarmHash of the pair), "
        "which has no ONNX operator",
        "tflite": "crosses features with TensorFlow's SparseCross (a FarmHash of the pair), "
        "which TFLite runs only as a Flex operation",
    },
    ("CategoryEncoding", ("multi_hot", "count")): {
        "tflite": "encodes with TensorFlow's DenseBincount, which TFLite runs only as a Flex "
        "operation",
    },
}
OPERATION_ADVICE = "export to SavedModel or .keras, or compute it before the model"
#: TensorFlow operations that write a variable: a layer changing its state in call().
STATE_OPS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
STATE_PREFIXES = ("ResourceScatter", "ResourceStrided")
STATE_ADVICE = (
    "export to SavedModel or .keras, or make call() pure (apply the change to the weights "
    "once before exporting, and draw no random numbers at inference)"
)


def all_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    """Every layer of ``model``, those of nested models included (each once)."""
    seen: set[int] = set()
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(getattr(layer, "layers", []))


def layer_of(node_name: str, model: keras.Model) -> str:
    """The innermost Keras layer whose name appears in a TensorFlow node name."""
    names = {layer.name for layer in all_layers(model)}
    found = "?"
    for part in node_name.split("/"):
        base = part.rsplit("_", 1)[0] if part.rsplit("_", 1)[-1].isdigit() else part
        if part in names:
            found = part
        elif base in names:
            found = base
    return found


def _describe(name: str, model: keras.Model) -> str:
    """``layer 'lookup' (StringLookup)`` for a layer name of ``model``."""
    for layer in all_layers(model):
        if layer.name == name:
            return f"layer {name!r} ({type(layer).__name__})"
    return f"layer {name!r}" if name != "?" else "an operation outside any layer"


def _refuse(fmt: str, model: keras.Model, problems: list[str]) -> None:
    """Raise ExportError listing ``problems`` (sentences), if any."""
    if problems:
        raise ExportError(
            f"Expected model {model.name!r} to convert to {FORMAT_NAMES[fmt]}, but "
            + "; ".join(dict.fromkeys(problems))
            + "."
        )


def check_convertible(model: keras.Model, fmt: str) -> None:
    """Raise ExportError naming each layer whose construct ``fmt`` (onnx, tflite) cannot hold."""
    problems = [
        f"{_describe(layer.name, model)} {_table_use(layer)} {TABLE_LIMITS[fmt]}: {TABLE_ADVICE}"
        for layer in all_layers(model)
        if type(layer).__name__ in TABLE_LAYERS and string_table(layer, fmt) is None
    ]
    problems += [
        f"{_describe(layer.name, model)} {missing}: {OPERATION_ADVICE}"
        for layer in all_layers(model)
        if (missing := _missing_operation(layer, fmt))
    ]
    _refuse(fmt, model, problems)


def _missing_operation(layer: keras.layers.Layer, fmt: str) -> str | None:
    """What ``fmt`` lacks for ``layer`` (:data:`OPERATION_LIMITS`), or None."""
    mode = getattr(layer, "output_mode", None)
    for (kind, modes), limits in OPERATION_LIMITS.items():
        if type(layer).__name__ == kind and (modes is None or mode in modes) and fmt in limits:
            return limits[fmt]
    return None


def _table_use(layer: keras.layers.Layer) -> str:
    """What a lookup layer does with its table: ``keeps a vocabulary table (output_mode
    'multi_hot')``."""
    mode = getattr(layer, "output_mode", "int")
    return TABLE_LAYERS[type(layer).__name__] + (
        f" (output_mode {mode!r})" if mode != "int" else ""
    )


def string_table(layer: Any, fmt: str) -> Any:
    """The fixed string -> int64 TensorFlow table a StringLookup layer (with a vocabulary,
    not inverted, in an output mode ``fmt`` holds: :data:`TABLE_MODES`) looks strings up in,
    or None: ONNX holds it as a CategoryMapper, TFLite as its builtin hash-table
    operations."""
    table = getattr(layer, "lookup_table", None)
    dtypes = (getattr(table, "key_dtype", None), getattr(table, "value_dtype", None))
    if type(layer).__name__ != "StringLookup" or dtypes != (tf.string, tf.int64):
        return None
    if getattr(layer, "output_mode", "int") not in TABLE_MODES[fmt]:
        return None
    return table if hasattr(table, "export") else None


def _graph_nodes(graph_def: Any) -> Iterator[Any]:
    """The nodes of a GraphDef and of every function in its library (loop bodies...)."""
    yield from graph_def.node
    for function in graph_def.library.function:
        yield from function.node_def


def _is_state_op(op: str) -> bool:
    return op in STATE_OPS or op.startswith(STATE_PREFIXES)


def check_stateless(concrete: Any, model: keras.Model, fmt: str) -> None:
    """Raise ExportError naming each layer whose traced inference graph (``concrete``, a
    ConcreteFunction) writes a variable: ``fmt`` holds fixed weights only."""
    variables = _captured_variables(concrete, model)
    problems = []
    for node in _graph_nodes(concrete.graph.as_graph_def()):
        if not _is_state_op(node.op):
            continue
        written = variables.get(node.input[0].split(":")[0].lstrip("^"), "") if node.input else ""
        if "seed_generator" in written:
            what = "draws random numbers with a SeedGenerator, whose seed it advances on every call"
        else:
            target = f" {written!r}" if written else ""
            what = f"writes its variable{target} when called ({node.op}, e.g. an assign in call())"
        problems.append(
            f"{_describe(layer_of(node.name, model), model)} {what}, and {FORMAT_NAMES[fmt]} "
            f"holds fixed weights only: {STATE_ADVICE}"
        )
    _refuse(fmt, model, problems)


def _captured_variables(concrete: Any, model: keras.Model) -> dict[str, str]:
    """Placeholder name in the traced graph -> path of the model variable it captures."""
    paths = {}
    for variable in model.variables:
        handle = getattr(getattr(variable, "value", None), "handle", None)
        if handle is not None:
            paths[id(handle)] = variable.path
    return {
        internal.name.split(":")[0]: paths[id(external)]
        for external, internal in concrete.graph.captures
        if id(external) in paths
    }
