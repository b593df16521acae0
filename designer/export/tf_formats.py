"""The native formats: a ``.keras`` file and a TensorFlow SavedModel with a serving signature."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from designer.export.report import ExportError
from designer.export.signature import input_specs, keras_outputs, model_input, output_names

SERVING_KEY = "serving_default"


def write_keras(model: keras.Model, path: Path) -> list[str]:
    """Save the whole model (architecture, weights, compile state) as a ``.keras`` file."""
    model.save(path)
    return []


def run_keras(path: Path, xs: list[np.ndarray]) -> list[np.ndarray]:
    """Load a ``.keras`` file with keras.saving.load_model and run it on ``xs``."""
    loaded = keras.saving.load_model(path, compile=False)
    return keras_outputs(loaded, xs)


def write_savedmodel(model: keras.Model, path: Path) -> list[str]:
    """Export a SavedModel folder whose ``serving_default`` signature has a dynamic batch."""
    specs = input_specs(model)
    names = output_names(model)

    def serve(*xs: tf.Tensor) -> dict[str, tf.Tensor]:
        outs = keras.tree.flatten(model(model_input(model, list(xs)), training=False))
        return dict(zip(names, outs, strict=True))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", serve, input_signature=specs)
    with contextlib.redirect_stdout(io.StringIO()):  # write_out prints a summary otherwise
        archive.write_out(str(path), verbose=False)
    return []


def run_savedmodel(
    path: Path, xs: list[np.ndarray], in_names: list[str], out_names: list[str]
) -> list[np.ndarray]:
    """Load a SavedModel with tf.saved_model.load and run its serving signature on ``xs``."""
    loaded = tf.saved_model.load(str(path))
    if SERVING_KEY not in loaded.signatures:
        raise ExportError(
            f"Expected a {SERVING_KEY!r} signature in the SavedModel, "
            f"but it has {sorted(loaded.signatures)}."
        )
    fn = loaded.signatures[SERVING_KEY]
    _, kwargs_spec = fn.structured_input_signature
    if sorted(kwargs_spec) != sorted(in_names):
        raise ExportError(
            f"Expected the serving signature to take inputs {in_names}, "
            f"but it takes {sorted(kwargs_spec)}."
        )
    result = fn(**{n: tf.constant(x) for n, x in zip(in_names, xs, strict=True)})
    missing = [n for n in out_names if n not in result]
    if missing:
        raise ExportError(
            f"Expected outputs {out_names} from the serving signature, "
            f"but it returns {sorted(result)}."
        )
    return [result[n].numpy() for n in out_names]
