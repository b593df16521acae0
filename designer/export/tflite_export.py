"""Keras -> TFLite (float32, or dynamic-range int8) from a frozen graph, and the TFLite check.

Why frozen: ``TFLiteConverter.from_concrete_functions`` on a function that reads Keras 3
variables produces a model whose weights are garbage (outputs ~1e33, measured with TF 2.21);
converting the function with its variables frozen into constants gives the right numbers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from designer.core.quiet import quiet_tensorflow
from designer.export.constructs import all_layers, string_table
from designer.export.report import ExportError
from designer.export.signature import frozen_function
from designer.export.tf_formats import SERVING_KEY, write_savedmodel


def convert(model: keras.Model, int8: bool = False) -> tuple[bytes, list[str]]:
    """The TFLite flatbuffer of ``model`` and notes (e.g. when the batch had to be fixed).

    A dynamic batch is tried first; recurrent layers need static shapes for their tensor lists
    to become TFLite builtins, so on failure the batch is fixed to 1 (the usual TFLite shape).
    """
    notes: list[str] = []
    tables = [
        layer.name for layer in all_layers(model) if string_table(layer, "tflite") is not None
    ]
    if tables:
        return _convert_saved_model(model, int8), [
            f"converted through a SavedModel: TFLite keeps the vocabulary of {tables} in its "
            "builtin hash-table operations"
        ]
    with quiet_tensorflow():
        try:
            data = _converter(frozen_function(model, fmt="tflite"), int8).convert()
        except ExportError:
            raise
        except Exception as first:  # the converter raises ConverterError and others
            try:
                data = _converter(frozen_function(model, batch=1), int8).convert()
            except Exception:
                raise ExportError(
                    f"Expected TFLite builtin operations for every layer of model "
                    f"{model.name!r}, but the converter said: {_short(first)}"
                ) from first
            notes.append(
                "batch size fixed to 1 (TFLite needs static shapes for this model); "
                "run one sample at a time"
            )
    return data, notes


def _convert_saved_model(model: keras.Model, int8: bool) -> bytes:
    """The TFLite flatbuffer of ``model`` converted from its SavedModel, which keeps lookup
    tables as tables (a frozen function leaves them as unfed placeholders)."""
    with tempfile.TemporaryDirectory(prefix="nd-tflite-") as tmp, quiet_tensorflow():
        write_savedmodel(model, Path(tmp) / "model")
        converter = tf.lite.TFLiteConverter.from_saved_model(
            str(Path(tmp) / "model"), signature_keys=[SERVING_KEY]
        )
        if int8:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        try:
            return converter.convert()
        except Exception as exc:  # the converter raises ConverterError and others
            raise ExportError(
                f"Expected TFLite builtin operations for every layer of model {model.name!r}, "
                f"but the converter said: {_short(exc)}"
            ) from exc


def _converter(frozen, int8: bool):
    """A TFLiteConverter for a frozen ConcreteFunction with the requested options."""
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if int8:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # dynamic-range int8 weights
    return converter


def _short(exc: Exception) -> str:
    """The last informative lines of a (often very long) converter error."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return " | ".join((errors or lines)[-3:])[:800]


def write_tflite(model: keras.Model, path: Path, int8: bool = False) -> list[str]:
    """Convert ``model`` and write the ``.tflite`` file; return notes."""
    data, notes = convert(model, int8)
    path.write_bytes(data)
    return notes


def run_tflite(
    path: Path, xs: list[np.ndarray], in_names: list[str], out_names: list[str] | None = None
) -> list[np.ndarray]:
    """Load a ``.tflite`` file with the TFLite interpreter and run it on ``xs``.

    A model converted with a fixed batch of 1 is run one sample at a time; one converted from
    a SavedModel (inputs named by its signature) through its ``serving_default`` signature.
    """
    with quiet_tensorflow():
        interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=os.cpu_count())
    inputs = {d["name"].split(":")[0]: d for d in interpreter.get_input_details()}
    missing = [n for n in in_names if n not in inputs]
    if missing and SERVING_KEY in interpreter.get_signature_list():
        runner = interpreter.get_signature_runner(SERVING_KEY)
        result = runner(**{n: _tflite_value(x) for n, x in zip(in_names, xs, strict=True)})
        return [np.asarray(result[n]) for n in (out_names or sorted(result))]
    if missing:
        raise ExportError(f"Expected TFLite inputs {in_names}, but the model has {sorted(inputs)}.")
    fixed_batch = any(int(inputs[n]["shape_signature"][0]) == 1 for n in in_names)
    if fixed_batch and xs and xs[0].shape[0] != 1:
        parts = [run_tflite(path, [x[i : i + 1] for x in xs], in_names) for i in range(len(xs[0]))]
        return [np.concatenate(chunks) for chunks in zip(*parts, strict=True)]
    for name, x in zip(in_names, xs, strict=True):
        interpreter.resize_tensor_input(inputs[name]["index"], x.shape)
    interpreter.allocate_tensors()
    for name, x in zip(in_names, xs, strict=True):
        interpreter.set_tensor(inputs[name]["index"], x)
    interpreter.invoke()
    outputs = interpreter.get_output_details()
    # Outputs of a frozen function are Identity, Identity_1, ...: sort by that number.
    outputs.sort(key=lambda d: _identity_number(d["name"]))
    return [interpreter.get_tensor(d["index"]).copy() for d in outputs]


def _tflite_value(x: np.ndarray) -> np.ndarray:
    """``x`` as the interpreter takes it: strings as bytes."""
    return np.char.encode(x, "utf-8") if x.dtype.kind == "U" else x


def _identity_number(name: str) -> int:
    """0 for 'Identity', k for 'Identity_k' (the order of the function's outputs)."""
    base = name.split(":")[0]
    tail = base.rsplit("_", 1)[-1]
    return int(tail) if "_" in base and tail.isdigit() else 0
