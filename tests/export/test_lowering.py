"""Lookups and buckets ONNX and TFLite cannot hold as tables, written as comparisons for the
converters (designer.export.lowering) and checked against the original model; what stays out
of reach is refused by layer name."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from designer.export import export_model
from designer.export.lowering import lower_for_conversion
from designer.export.report import ExportError


def _lookup_model(mode: str, mask_token: int | None = None) -> keras.Model:
    shape = (1,) if mode in ("int", "one_hot") else (3,)
    codes = keras.Input(shape, dtype="int64", name="codes")
    extra = {"idf_weights": [1.0, 2.0, 0.5]} if mode == "tf_idf" else {}
    lookup = keras.layers.IntegerLookup(
        vocabulary=[3, 7, 9], output_mode=mode, mask_token=mask_token, name="lookup", **extra
    )
    encoded = keras.ops.cast(lookup(codes), "float32")
    return keras.Model(codes, keras.layers.Dense(2, name="head")(encoded), name=f"lookup_{mode}")


@pytest.mark.parametrize(
    ("mode", "formats"),
    [("int", ("onnx", "tflite")), ("one_hot", ("onnx", "tflite")), ("multi_hot", ("onnx",))],
)
def test_an_integer_lookup_exports_as_comparisons(tmp_path: Path, mode, formats) -> None:
    model = _lookup_model(mode)
    for fmt in formats:
        report = export_model(model, fmt, tmp_path / f"m.{fmt}")
        assert report.passed and report.verification.max_abs_diff < 1e-6, report.summary()
        assert any("written as comparisons" in w for w in report.warnings)


def test_the_rewrite_computes_what_the_lookup_computes_out_of_vocabulary_too() -> None:
    model = _lookup_model("count")
    lowered, notes = lower_for_conversion(model, "onnx")
    assert lowered is not model and "'lookup' (IntegerLookup)" in notes[0]
    assert model.get_layer("head") in lowered.layers  # shared: the same weights
    codes = np.array([[3, 3, 9], [1, 7, 100], [-5, 9, 9]], dtype="int64")  # 1, 100, -5: OOV
    np.testing.assert_allclose(lowered.predict(codes, verbose=0), model.predict(codes, verbose=0))


def test_lookups_the_rewrite_cannot_reproduce_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="layer 'lookup' \\(IntegerLookup\\) keeps a vocabulary"):
        export_model(_lookup_model("one_hot", mask_token=0), "onnx", tmp_path / "masked.onnx")
    with pytest.raises(ExportError, match="DenseBincount"):
        export_model(_lookup_model("multi_hot"), "tflite", tmp_path / "multi.tflite")
    assert list(tmp_path.iterdir()) == []


def test_a_discretization_exports_to_onnx_without_bucketize(tmp_path: Path) -> None:
    values = keras.Input((2,), name="values")
    buckets = keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 2.5], name="bins")
    hot = keras.layers.Discretization(bin_boundaries=[0.5], output_mode="one_hot", name="hot_bins")
    joined = keras.layers.Concatenate()(
        [keras.ops.cast(buckets(values), "float32"), hot(values[:, :1])]
    )
    model = keras.Model(values, keras.layers.Dense(3)(joined))
    for fmt in ("onnx", "tflite"):
        report = export_model(model, fmt, tmp_path / f"bins.{fmt}")
        assert report.passed and report.verification.max_abs_diff < 1e-5, report.summary()


def test_a_feature_cross_is_refused_by_name(tmp_path: Path) -> None:
    a = keras.Input((1,), dtype="int64", name="a")
    b = keras.Input((1,), dtype="int64", name="b")
    cross = keras.layers.HashedCrossing(num_bins=8, output_mode="one_hot", name="a_x_b")((a, b))
    model = keras.Model([a, b], keras.layers.Dense(1)(cross))
    for fmt in ("onnx", "tflite"):
        with pytest.raises(ExportError, match="layer 'a_x_b' \\(HashedCrossing\\) crosses"):
            export_model(model, fmt, tmp_path / f"cross.{fmt}")
