"""Keras -> TFLite (float32, or dynamic-range int8) from a frozen graph, and the TFLite check.

Why frozen: ``TFLiteConverter.from_concrete_functions`` on a function that reads Keras 3
variables produces a model whose weights are garbage (outputs ~1e33, measured with TF 2.21);
converting the function with its variables frozen into constants gives the right numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from designer.core.quiet import quiet_tensorflow
from designer.export.report import ExportError
from designer.export.signature import frozen_function


def convert(model: keras.Model, int8: bool = False) -> tuple[bytes, list[str]]:
    """The TFLite flatbuffer of ``model`` and notes (e.g. when the batch had to be fixed).

    A dynamic batch is tried first; recurrent layers need static shapes for their tensor lists
    to become TFLite builtins, so on failure the batch is fixed to 1 (the usual TFLite shape).
    """
    notes: list[str] = []
    with quiet_tensorflow():
        try:
            data = _converter(frozen_function(model), int8).convert()
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


def run_tflite(path: Path, xs: list[np.ndarray], in_names: list[str]) -> list[np.ndarray]:
    """Load a ``.tflite`` file with the TFLite interpreter and run it on ``xs``.

    A model converted with a fixed batch of 1 is run one sample at a time.
    """
    with quiet_tensorflow():
        interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=os.cpu_count())
    inputs = {d["name"].split(":")[0]: d for d in interpreter.get_input_details()}
    missing = [n for n in in_names if n not in inputs]
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


def _identity_number(name: str) -> int:
    """0 for 'Identity', k for 'Identity_k' (the order of the function's outputs)."""
    base = name.split(":")[0]
    tail = base.rsplit("_", 1)[-1]
    return int(tail) if "_" in base and tail.isdigit() else 0
