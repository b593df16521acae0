"""Run a generated script's model in a fresh Python process: ``python -c <this file> SCRIPT IN OUT``.

The check of the Python export must not run in the designer's own process, where every custom
class the model uses is already imported and registered: a script that forgot one would pass
there and fail for the user. So this file is run as the source of ``python -c`` (importing
nothing of the designer): it imports SCRIPT, builds the model, loads its weights, runs it on
the arrays of IN (``x0``, ``x1``... in an .npz) and writes the outputs to OUT (``y0``...).
The designer uses its :func:`model_input` and :func:`keras_outputs` too, so both sides feed and
read a model the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import keras
import numpy as np


def model_input(model: keras.Model, xs: list[Any]) -> Any:
    """Arrange flat inputs the way the model expects them (a tensor, a list or a dict)."""
    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, (dict, list, tuple)):
        return keras.tree.pack_sequence_as(struct, list(xs))  # model.inputs is flatten(struct)
    return xs[0] if len(xs) == 1 else list(xs)


def keras_outputs(model: keras.Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    """The model's outputs on ``xs`` in inference mode, flattened to a list of arrays."""
    out = model(model_input(model, xs), training=False)
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(out)]


def run_script(script: str, inputs: str, outputs: str) -> None:
    """Build the model of ``script`` with its weights, run it on ``inputs``, save ``outputs``."""
    spec = importlib.util.spec_from_file_location("generated_model", script)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    if module.WEIGHTS is not None:
        model.load_weights(module.WEIGHTS)
    with np.load(inputs) as data:
        xs = [data[f"x{i}"] for i in range(len(data.files))]
    ys = keras_outputs(model, xs)
    np.savez(
        outputs,
        **{f"y{i}": y.astype(np.str_) if y.dtype == object else y for i, y in enumerate(ys)},
    )


if __name__ == "__main__":
    run_script(*sys.argv[1:4])
