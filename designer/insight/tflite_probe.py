"""TFLite helpers of the compression report: run a flatbuffer, read its sizes and ops, name
the Keras layer of a tensor, and the QuantizationDebugger's per-layer error. No Qt.

Conversion itself is the caller's: a :data:`ConverterFactory` returns an unconverted
``tf.lite.TFLiteConverter`` (``designer.app.insight_runs.tflite_converter`` builds it with the
project's TFLite exporter).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.core.quiet import quiet_tensorflow

#: Representative samples for the int8 calibration, and samples the debugger runs.
CALIBRATION_SAMPLES = 200
DEBUG_SAMPLES = 32
#: TFLite ops that hold a sub-graph (recurrent layers): no full-integer conversion for them.
LOOP_OPS = frozenset({"WHILE", "IF", "CALL_ONCE"})

Representative = Callable[[], Iterator[list[np.ndarray]]]
#: (model, int8, representative dataset or None, batch or None) -> a tf.lite.TFLiteConverter.
ConverterFactory = Callable[[Any, bool, Representative | None, int | None], Any]


@dataclass(frozen=True)
class LayerError:
    """The quantisation error of one tensor (QuantizationDebugger), in the output's units."""

    layer: str
    op: str
    tensor: str
    rmse: float
    max_abs_error: float
    scale: float | None

    @property
    def rmse_per_scale(self) -> float | None:
        """RMSE in quantisation steps (about 0.29 = 1/sqrt(12) is rounding error alone)."""
        return self.rmse / self.scale if self.scale else None


def representative(x: np.ndarray, count: int = CALIBRATION_SAMPLES) -> Representative:
    """A representative dataset for the converter: single samples of ``x``."""
    samples = np.asarray(x, np.float32)[:count]

    def generate() -> Iterator[list[np.ndarray]]:
        for i in range(len(samples)):
            yield [samples[i : i + 1]]

    return generate


def tflite_predict(
    content: bytes,
    x: np.ndarray,
    batch_size: int = 256,
    check: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Run a TFLite flatbuffer on ``x`` in the interpreter (one sample at a time when its
    batch is fixed to 1); float input and output, int8 ones (de)quantised here.
    ``check(fraction done)`` is called after every chunk (it may raise Cancelled)."""
    import tensorflow as tf

    with quiet_tensorflow():
        interp = tf.lite.Interpreter(model_content=content, num_threads=os.cpu_count() or 1)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    step = 1 if int(inp["shape_signature"][0]) == 1 else batch_size
    results, current = [], -1
    for start in range(0, len(x), step):
        chunk = np.asarray(x[start : start + step], np.float32)
        if len(chunk) != current:
            interp.resize_tensor_input(inp["index"], (len(chunk), *chunk.shape[1:]))
            interp.allocate_tensors()
            current = len(chunk)
        interp.set_tensor(inp["index"], _to_input(chunk, inp))
        interp.invoke()
        results.append(_from_output(interp.get_tensor(out["index"]), out))
        if check is not None:
            check(min(1.0, (start + len(chunk)) / len(x)))
    return np.concatenate(results) if results else np.zeros((0,))


def _to_input(x: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return x
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def _from_output(y: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y.copy()
    scale, zero = detail["quantization"]
    return (y.astype(np.float32) - zero) * scale


def weight_bytes(content: bytes) -> int | None:
    """Bytes of the constant buffers (the weights) in a TFLite flatbuffer; None if unread."""
    try:
        from tensorflow.lite.python import schema_py_generated as schema

        model = schema.Model.GetRootAsModel(content, 0)
        return int(sum(model.Buffers(i).DataLength() for i in range(model.BuffersLength())))
    except Exception:  # a private TF module: the report goes on without this figure
        return None


def op_names(content: bytes) -> list[str]:
    """The TFLite op of every node of the main graph, in order."""
    import tensorflow as tf

    with quiet_tensorflow():
        interp = tf.lite.Interpreter(model_content=content)
    return [str(op["op_name"]) for op in interp._get_ops_details()]


class LayerNamer:
    """Finds the Keras layer a TFLite tensor belongs to from its name ('model_1/conv_1/...').

    TensorFlow makes name scopes unique by appending _1, _2, ...; scopes are given to the
    model's layers in order, each layer one scope."""

    def __init__(self, model: Any) -> None:
        self.layers = [(layer.name, type(layer).__name__) for layer in model.layers]
        self._by_scope: dict[str, tuple[str, str]] = {}

    def __call__(self, tensor: str) -> tuple[str, str] | None:
        """(layer name, layer type) of ``tensor``, or None (inputs, outputs, constants)."""
        parts = tensor.split(";")[0].split("/")
        if len(parts) < 2:
            return None
        scope = parts[1]
        if scope in self._by_scope:
            return self._by_scope[scope]
        taken = set(self._by_scope.values())
        matches = [lt for lt in self.layers if re.fullmatch(re.escape(lt[0]) + r"(_\d+)*", scope)]
        free = [lt for lt in matches if lt not in taken]
        candidates = free or matches
        if not candidates:
            return None
        self._by_scope[scope] = candidates[0]
        return candidates[0]


def float_ops(content: bytes, model: Any) -> list[str]:
    """Ops of a full-integer model that still compute in float32, with their layers."""
    import tensorflow as tf

    with quiet_tensorflow():
        interp = tf.lite.Interpreter(model_content=content)
    tensors = {t["index"]: t for t in interp.get_tensor_details()}
    namer = LayerNamer(model)
    found: dict[tuple[str, str], set[str]] = {}
    for op in interp._get_ops_details():
        name = str(op["op_name"])
        if name in ("QUANTIZE", "DEQUANTIZE"):
            continue
        indices = [int(i) for i in (*op["inputs"], *op["outputs"]) if int(i) >= 0]
        if not any(tensors[i]["dtype"] == np.float32 for i in indices if i in tensors):
            continue
        outputs = [tensors[int(i)]["name"] for i in op["outputs"] if int(i) in tensors]
        layer = next((lt for lt in map(namer, outputs) if lt is not None), None)
        key = layer if layer is not None else ("", "")
        found.setdefault(key, set()).add(name)
    lines = []
    for (layer_name, kind), ops in found.items():
        where = f" in layer {layer_name!r} ({kind})" if layer_name else ""
        lines.append(f"{', '.join(sorted(ops))}{where}")
    return lines


def has_recurrence(model: Any) -> list[str]:
    """Names of the recurrent layers (at any depth): they become TFLite WHILE loops."""
    import keras

    found = []
    stack = list(model.layers)
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, keras.layers.RNN) or type(layer).__name__ == "Bidirectional":
            found.append(f"{type(layer).__name__} {layer.name!r}")
        elif getattr(layer, "layers", None):
            stack.extend(layer.layers)
        elif isinstance(getattr(layer, "layer", None), keras.layers.Layer):  # TimeDistributed
            stack.append(layer.layer)
    return found


def converter_sentence(exc: BaseException) -> str:
    """The converter's error in one sentence (its last informative line)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()] or lines or [type(exc).__name__]
    text = errors[-1]
    text = re.sub(r"^.*?error:\s*", "", text)  # drop the 'loc(...): error:' prefix
    return text[:300]


def convert_with_fallback(
    make: ConverterFactory, model: Any, int8: bool, rep: Representative | None, batch: int | None
) -> tuple[bytes, int | None]:
    """Convert with a dynamic batch, or the batch fixed to 1 when that fails."""
    with quiet_tensorflow():
        try:
            return make(model, int8, rep, batch).convert(), batch
        except Exception:
            if batch == 1:
                raise
            return make(model, int8, rep, 1).convert(), 1


def _unnamed(tensor: str) -> str:
    """A label for a tensor outside every layer: the network's output, or its own name."""
    base = tensor.split(";")[0]
    return "(network output)" if re.fullmatch(r"Identity(_\d+)?\d*", base) else base


def layer_errors(
    make: ConverterFactory, model: Any, rep: Representative, batch: int | None
) -> list[LayerError]:
    """Per-tensor error of the full-int8 model against float, from QuantizationDebugger."""
    import tensorflow as tf

    with quiet_tensorflow():
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=make(model, True, rep, batch), debug_dataset=rep
        )
        debugger.run()
        dump = io.StringIO()
        debugger.layer_statistics_dump(dump)
    namer = LayerNamer(model)
    errors = []
    for row in csv.DictReader(io.StringIO(dump.getvalue())):
        tensor = row.get("tensor_name", "")
        layer = namer(tensor)
        scale = float(row["scale"]) if row.get("scale") else None
        errors.append(
            LayerError(
                layer=layer[0] if layer else _unnamed(tensor),
                op=row.get("op_name", ""),
                tensor=tensor,
                rmse=math.sqrt(max(0.0, float(row["mean_squared_error"]))),
                max_abs_error=float(row["max_abs_error"]),
                scale=scale,
            )
        )
    return errors
