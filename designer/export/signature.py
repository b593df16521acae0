"""What a model takes and gives: input specs with a dynamic batch, random batches, output names."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from designer.export.constructs import all_layers, check_stateless
from designer.export.report import ExportError
from designer.export.script_check import keras_outputs, model_input

__all__ = [
    "FREE_DIM",
    "check_model",
    "frozen_function",
    "input_names",
    "input_specs",
    "keras_outputs",
    "model_input",
    "output_names",
    "random_batch",
    "safe_name",
    "serving_function",
    "string_pool",
]

#: Size used for dimensions other than the batch that the model leaves open (e.g. time steps).
FREE_DIM = 8


def safe_name(name: str, used: set[str] | None = None) -> str:
    """A name made of letters, digits and underscores, unique within ``used`` if given."""
    base = re.sub(r"\W", "_", name).strip("_") or "tensor"
    if base[0].isdigit():
        base = f"t_{base}"
    if used is None:
        return base
    candidate, k = base, 1
    while candidate in used:
        k += 1
        candidate = f"{base}_{k}"
    used.add(candidate)
    return candidate


def check_model(model: Any) -> keras.Model:
    """Return ``model`` if it is a built keras.Model with inputs, else raise ExportError."""
    if not isinstance(model, keras.Model):
        raise ExportError(f"Expected a keras.Model, but received {type(model).__name__}.")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ExportError(
            f"Expected a built model with known inputs, but model {model.name!r} has none; "
            "build it (call it once or give it an Input) before exporting."
        )
    return model


def input_names(model: keras.Model) -> list[str]:
    """Valid, unique names for the model's inputs, in order."""
    used: set[str] = set()
    return [safe_name(getattr(t._keras_history[0], "name", t.name), used) for t in model.inputs]


def output_names(model: keras.Model) -> list[str]:
    """Valid, unique names for the model's outputs, in order."""
    used: set[str] = set()
    struct = getattr(model, "_outputs_struct", None)
    if isinstance(struct, dict):
        raw = keras.tree.flatten({k: k for k in struct})  # the order outputs are flattened in
    else:
        raw = getattr(model, "output_names", None) or [t.name for t in model.outputs]
    return [safe_name(str(n), used) for n in raw]


def input_specs(model: keras.Model, batch: int | None = None) -> list[tf.TensorSpec]:
    """One TensorSpec per model input, with a dynamic (None) or the given batch dimension."""
    names = input_names(model)
    return [
        tf.TensorSpec((batch, *tuple(t.shape[1:])), tf.as_dtype(t.dtype), name=name)
        for t, name in zip(model.inputs, names, strict=True)
    ]


def random_batch(model: keras.Model, batch_size: int = 2, seed: int = 0) -> list[np.ndarray]:
    """A reproducible random batch for every input: floats in [0, 1), integers in {0, 1},
    strings drawn from the vocabularies of the model's lookup layers (some words if none)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in model.inputs:
        shape = (batch_size, *(FREE_DIM if d is None else int(d) for d in t.shape[1:]))
        dtype = tf.as_dtype(t.dtype)
        if dtype == tf.string:
            arrays.append(rng.choice(string_pool(model), size=shape).astype(np.str_))
        elif dtype.is_integer:
            arrays.append(rng.integers(0, 2, size=shape).astype(dtype.as_numpy_dtype))
        elif dtype.is_bool:
            arrays.append(rng.integers(0, 2, size=shape).astype(bool))
        else:
            arrays.append(rng.random(shape).astype(dtype.as_numpy_dtype))
    return arrays


def string_pool(model: keras.Model) -> list[str]:
    """Words for string inputs: the string vocabularies of the model's layers and, unless a
    lookup refuses unknown words (no OOV index), one word outside them, as a user's data has;
    a few plain words when no layer has a vocabulary."""
    words: set[str] = set()
    unknown_ok = True
    for layer in all_layers(model):
        try:
            vocabulary = layer.get_vocabulary() if hasattr(layer, "get_vocabulary") else []
        except Exception:  # an unadapted lookup layer has none yet
            vocabulary = []
        words |= {
            w for w in map(str, vocabulary) if w and w != str(getattr(layer, "oov_token", ""))
        }
        unknown_ok = unknown_ok and getattr(layer, "num_oov_indices", 1) > 0
    if not words:
        return ["the", "a", "model", "unseen"]
    return sorted(words)[:64] + (["unseen"] if unknown_ok else [])


def serving_function(model: keras.Model) -> Callable[..., list[tf.Tensor]]:
    """A tf.function taking one tensor per input and returning the flat list of outputs."""

    @tf.function(autograph=False)
    def serve(*xs: tf.Tensor) -> list[tf.Tensor]:
        return keras.tree.flatten(model(model_input(model, list(xs)), training=False))

    return serve


def frozen_function(model: keras.Model, batch: int | None = None, fmt: str | None = None) -> Any:
    """The inference ConcreteFunction with every variable and captured tensor as a constant.

    Real inputs only (captures are constants after freezing), a dynamic batch unless ``batch``
    is given, control flow kept (While loops of recurrent layers stay loops). For a format
    ``fmt`` (onnx, tflite), a layer that writes a variable in call() is refused first, by name.
    """
    concrete = serving_function(model).get_concrete_function(*input_specs(model, batch))
    if fmt is not None:
        check_stateless(concrete, model, fmt)
    return convert_variables_to_constants_v2(
        concrete, lower_control_flow=False, aggressive_inlining=True
    )
