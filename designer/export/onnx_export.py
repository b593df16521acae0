"""Keras -> ONNX through a frozen TensorFlow graph, with fixes for what tf2onnx gets wrong.

Why not ``model.export(format="onnx")`` / ``tf2onnx.convert.from_function``: with Keras 3 and
tf2onnx 1.17 they fail on some keras.applications models, for three reasons fixed here:

1. Captured constants become graph inputs. ``from_function`` lists every non-resource input of
   the concrete function as an ONNX input, including the tensors the function *captured* (the
   mean and variance of a ``Normalization`` layer are plain tensors in Keras 3, not variables).
   EfficientNet then loads in onnxruntime only if these "inputs" are fed. Fix: freeze the
   function ourselves (``convert_variables_to_constants_v2`` turns captures into constants)
   and name only the real inputs.
2. Grouped convolutions are compiled with XLA. Keras runs ``Conv2D(groups>1)`` (ConvNeXt's
   depthwise convolution) inside ``tf.function(jit_compile=True)``; the call keeps the
   ``_XlaMustCompile`` attribute, grappler refuses to inline it and tf2onnx leaves a
   ``StatefulPartitionedCall`` node that no ONNX runtime knows. Fix: drop the XLA attributes
   from the frozen graph so the function is inlined into a plain ``Conv2D``.
3. Exact GELU uses ``Erfc``, which tf2onnx cannot convert. Fix: rewrite ``Erfc(x)`` as
   ``1 - Erf(x)`` (ONNX has ``Erf`` since opset 9).

Anything still unconvertible raises ExportError naming the Keras layer and the operation.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import keras
import numpy as np
import onnx
import tensorflow as tf
from tensorflow.core.framework import graph_pb2, node_def_pb2

from designer.export.constructs import layer_of
from designer.export.formats import DEFAULT_OPSET, MAX_OPSET, MIN_OPSET
from designer.export.onnx_tables import Tables, attach_tables
from designer.export.report import ExportError
from designer.export.signature import frozen_function, input_specs, output_names

_XLA_ATTRS = ("_XlaMustCompile", "_noinline", "_XlaCompile", "_XlaScope")


def check_opset(opset: int | None) -> int:
    """The opset to use: ``opset`` if supported, DEFAULT_OPSET if None, else ExportError."""
    if opset is None:
        return DEFAULT_OPSET
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ExportError(
            f"Expected an ONNX opset between {MIN_OPSET} and {MAX_OPSET}, but received {opset!r}."
        )
    return opset


def frozen_graph(
    model: keras.Model,
) -> tuple[graph_pb2.GraphDef, list[str], list[str], Tables]:
    """The model's inference graph with variables and captured tensors as constants, and the
    contents of the string lookup tables it holds (:mod:`designer.export.onnx_tables`)."""
    frozen = frozen_function(model, fmt="onnx")
    graph_def = frozen.graph.as_graph_def()
    inputs = [t.name for t in frozen.inputs if t.dtype != tf.resource]
    outputs = [t.name for t in frozen.outputs]
    leftover = [
        n.name for n in graph_def.node if n.op == "Placeholder" and f"{n.name}:0" not in inputs
    ]
    tables = attach_tables(graph_def, leftover, model)
    leftover = [name for name in leftover if name.encode() not in tables]
    if leftover:
        raise ExportError(
            f"Expected only the model inputs as placeholders after freezing, but {leftover} remain."
        )
    return graph_def, inputs, outputs, tables


def strip_xla(graph_def: graph_pb2.GraphDef) -> int:
    """Remove XLA-compilation attributes so grappler can inline the functions; count them."""
    count = 0
    nodes = list(graph_def.node)
    for fdef in graph_def.library.function:
        nodes.extend(fdef.node_def)
        for key in _XLA_ATTRS:
            if key in fdef.attr:
                del fdef.attr[key]
                count += 1
    for node in nodes:
        for key in _XLA_ATTRS:
            if key in node.attr:
                del node.attr[key]
                count += 1
    return count


def rewrite_erfc(graph_def: graph_pb2.GraphDef) -> int:
    """Replace every top-level ``Erfc(x)`` node by ``1 - Erf(x)``; return how many."""
    added = []
    count = 0
    for node in graph_def.node:
        if node.op != "Erfc":
            continue
        count += 1
        dtype = node.attr["T"]
        erf = node_def_pb2.NodeDef(name=f"{node.name}/as_erf", op="Erf", input=[node.input[0]])
        erf.attr["T"].CopyFrom(dtype)
        one = node_def_pb2.NodeDef(name=f"{node.name}/one", op="Const")
        one.attr["dtype"].CopyFrom(dtype)
        value = np.array(1, dtype=tf.as_dtype(dtype.type).as_numpy_dtype)
        one.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
        node.op = "Sub"
        del node.input[:]
        node.input.extend([one.name, erf.name])
        added.extend([erf, one])
    graph_def.node.extend(added)
    return count


def _optimize(graph_def: graph_pb2.GraphDef, inputs: list[str], outputs: list[str]):
    """Run tf2onnx's grappler pass (constant folding, function inlining) on the graph."""
    from tf2onnx import tf_loader

    with tf.Graph().as_default():
        return tf_loader.tf_optimize(inputs, outputs, graph_def)


def convert(model: keras.Model, opset: int | None = None) -> tuple[onnx.ModelProto, list[str]]:
    """Convert ``model`` to an ONNX ModelProto with a dynamic batch; return it and notes."""
    import tf2onnx

    opset = check_opset(opset)
    with _quiet_logs():
        return _convert(model, opset, tf2onnx)


@contextlib.contextmanager
def _quiet_logs():
    """Hide tf2onnx's progress chatter and TensorFlow's v1-API deprecation notices."""
    loggers = [logging.getLogger("tf2onnx"), tf.get_logger()]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _convert(model: keras.Model, opset: int, tf2onnx) -> tuple[onnx.ModelProto, list[str]]:
    """The conversion proper (see :func:`convert`)."""
    graph_def, inputs, outputs, tables = frozen_graph(model)
    notes = []
    if strip_xla(graph_def):
        notes.append("inlined XLA-compiled functions (grouped convolutions)")
    graph_def = _optimize(graph_def, inputs, outputs)
    if rewrite_erfc(graph_def):
        notes.append("rewrote Erfc (exact GELU) as 1 - Erf")
    rename = dict(zip(inputs, [s.name for s in input_specs(model)], strict=True))
    rename.update(zip(outputs, output_names(model), strict=True))
    # tf2onnx.convert.from_graph_def would import, freeze and optimise this graph all over
    # again (it is frozen and optimised already): three more copies of every weight. Its
    # second half, _convert_common (tf2onnx 1.17, pinned), converts the graph as it is.
    with tf.device("/cpu:0"):
        proto, _ = tf2onnx.convert._convert_common(
            graph_def,
            name=model.name,
            continue_on_error=True,
            opset=opset,
            input_names=inputs,
            output_names=outputs,
            tensors_to_rename=rename,
            initialized_tables=tables,
        )
    check_supported(proto, model)
    if proto.ByteSize() >= 2**31 - 1:
        raise ExportError(
            f"Expected an ONNX model under the 2 GiB protobuf limit, "
            f"but {model.name!r} needs {proto.ByteSize()} bytes."
        )
    return proto, notes


def check_supported(proto: onnx.ModelProto, model: keras.Model) -> None:
    """Raise ExportError naming layer and operation for nodes that are not ONNX operators."""
    bad = []
    for node in proto.graph.node:
        if node.domain in ("", "ai.onnx") and not onnx.defs.has(node.op_type):
            bad.append((layer_of(node.name, model), node.op_type))
    if bad:
        listed = "; ".join(f"layer {layer!r}: TensorFlow operation {op}" for layer, op in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ExportError(
            "Expected every operation to have an ONNX equivalent, but these could not be "
            f"converted: {listed}{more}."
        )


def write_onnx(model: keras.Model, path: Path, opset: int | None = None) -> list[str]:
    """Convert and save ``model`` to ``path``; return notes on the fixes applied."""
    proto, notes = convert(model, opset)
    onnx.save(proto, str(path))
    return notes


def run_onnx(path: Path, xs: list[np.ndarray], in_names: list[str]) -> list[np.ndarray]:
    """Load an ONNX file with onnxruntime and run it on ``xs``."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ExportError(f"Expected onnxruntime to load the ONNX model, but: {exc}") from exc
    names = [i.name for i in session.get_inputs()]
    if sorted(names) != sorted(in_names):
        raise ExportError(f"Expected ONNX inputs {in_names}, but the model has {names}.")
    return session.run(None, dict(zip(in_names, xs, strict=True)))
