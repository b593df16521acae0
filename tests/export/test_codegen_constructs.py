"""Constructs the generated Python must write: slices and Ellipsis in operation arguments, and
an adapted Discretization (its boundaries, never with num_bins as well)."""

from __future__ import annotations

import keras
import numpy as np

from designer.export import generate_code
from designer.export.pyrender import render


def test_slices_and_ellipsis_render_as_python() -> None:
    assert render(...) == "..."
    assert render((slice(None, 2, None), Ellipsis)) == "(slice(None, 2, None), ...)"
    assert eval(render([slice(1, None, 2)])) == [slice(1, None, 2)]


def test_an_adapted_discretization_is_written_with_its_boundaries_only() -> None:
    layer = keras.layers.Discretization(num_bins=4, name="bins")
    layer.adapt(np.linspace(0.0, 1.0, 50)[:, None])
    inputs = keras.Input((1,), name="x")
    model = keras.Model(inputs, layer(inputs))
    namespace: dict = {"__name__": "generated", "__file__": "generated.py"}
    exec(compile(generate_code(model), "generated.py", "exec"), namespace)
    rebuilt = namespace["build_model"]()
    x = np.array([[0.1], [0.6], [0.9]], "float32")
    np.testing.assert_array_equal(rebuilt(x), model(x))
