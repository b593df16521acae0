"""Constructs the generated Python must write: slices and Ellipsis in operation arguments, an
adapted Discretization (its boundaries, never with num_bins as well), and constants in operation
arguments (numpy arrays, constant tensors, dtypes) as ``np.array`` literals that keep their dtype."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from designer.app.files import project_from_model
from designer.core.build import build_model
from designer.export import export_model, generate_code
from designer.export.codegen_graph import _constant
from designer.export.pyrender import MAX_LINE, render, render_array
from tests.export.test_codegen import ruff_check


def run_generated(model: keras.Model) -> keras.Model:
    """The model that ``generate_code(model)``'s ``build_model()`` makes, with its weights."""
    namespace: dict = {"__name__": "generated", "__file__": "generated.py"}
    exec(compile(generate_code(model), "generated.py", "exec"), namespace)
    rebuilt = namespace["build_model"]()
    rebuilt.set_weights(model.get_weights())
    return rebuilt


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


def test_arrays_render_as_numpy_literals_with_their_dtype() -> None:
    assert render_array(np.array([0.1, 2.0], "float32")) == 'np.array([0.1, 2.0], dtype="float32")'
    assert render_array(np.array(3, "int32")) == 'np.array(3, dtype="int32")'
    assert render_array(np.array([True, False])) == 'np.array([True, False], dtype="bool")'
    for value in (
        np.random.default_rng(0).normal(size=(5, 12)).astype("float32"),
        np.arange(60, dtype="int64").reshape(3, 4, 5),
        np.array([np.nan, np.inf, 1e-30], "float32"),
    ):
        source = render_array(value, indent=8)
        assert all(len(line) <= MAX_LINE for line in (" " * 8 + source).splitlines())
        got = eval(source, {"np": np})
        assert got.dtype == value.dtype
        np.testing.assert_array_equal(got, value)


def test_constant_tensors_and_dtypes_in_arguments_become_arrays_and_names() -> None:
    tensor = keras.ops.convert_to_tensor([[1.5, -2.0]], dtype="float32")
    assert str(_constant(tensor, 4)) == 'np.array([[1.5, -2.0]], dtype="float32")'
    assert _constant(np.float32, 4) == "float32"
    assert _constant(np.dtype("int32"), 4) == "int32"
    assert _constant(tensor.dtype, 4) == "float32"
    assert _constant(np.int64(2), 4) == 2 and _constant(0.5, 4) == 0.5


def test_numpy_constants_in_operations_keep_their_dtype() -> None:
    """The designer's rebuild holds constants as numpy arrays; as plain lists ``keras.ops``
    fails (``Invalid dtype: list``) or changes the result's dtype."""
    x = keras.Input((3, 4), name="x")
    shifted = keras.ops.add(x, np.arange(12, dtype="float32").reshape(3, 4) / 7)
    kept = keras.ops.where(shifted > 0, shifted, np.zeros((3, 4), "float32"))
    ids = keras.ops.cast(keras.ops.argmax(kept, axis=-1), "int32")
    picked = keras.ops.take(np.array([5, 6, 7, 8], "int32"), ids)
    model = keras.Model(x, [kept, picked])
    rebuilt = run_generated(model)
    xs = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    for got, want in zip(rebuilt(xs), model(xs), strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def column_embedding_model() -> keras.Model:
    """TabTransformer's column embedding: an Embedding called on a constant ``ops.arange``
    (an eager tensor, not part of the graph) added to the stacked feature embeddings."""
    a, b = keras.Input((), dtype="int32", name="a"), keras.Input((), dtype="int32", name="b")
    stacked = keras.ops.stack(
        [
            keras.layers.Embedding(5, 4, name="emb_a")(a),
            keras.layers.Embedding(6, 4, name="emb_b")(b),
        ],
        axis=1,
    )
    columns = keras.layers.Embedding(2, 4, name="columns")(keras.ops.arange(0, 2, 1))
    x = stacked + columns
    x = keras.ops.multiply(x, keras.ops.convert_to_tensor([0.5, 1.0, 2.0, -1.0]))
    out = keras.layers.Dense(1, name="out")(keras.layers.Flatten(name="flat")(x))
    return keras.Model({"a": a, "b": b}, out, name="columns")


def test_constant_tensors_are_written_as_arrays_and_run_in_a_fresh_process(
    tmp_path: Path,
) -> None:
    model = column_embedding_model()
    rebuilt = build_model(project_from_model(model).graph)  # what File > Export writes code from
    for i, network in enumerate((model, rebuilt)):
        report = export_model(network, "python", tmp_path / f"net{i}.py")
        assert report.verification.passed and report.verification.max_abs_diff == 0.0
        ruff_check(Path(report.path))
        assert "np.array(" in Path(report.path).read_text(encoding="utf-8")
