"""Exports checked against the user's original model, custom objects in generated code (run in a
fresh process), and clear refusals for what ONNX and TFLite cannot hold. Real Keras, TF,
onnxruntime and the TFLite interpreter on tiny models."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType

import keras
import numpy as np
import pytest

from designer.app.export_job import original_reference
from designer.app.files import open_path
from designer.cli.main import main as cli_main
from designer.core.build import build_model
from designer.export import ExportError, VerificationError, export_model
from designer.export.codegen import run_python
from designer.export.report import Reference
from designer.export.signature import keras_outputs, random_batch

USER_CODE = '''
"""Custom classes of a user, in a file of their own (not importable elsewhere)."""

import keras
import numpy as np
from keras import layers, ops

GAIN = 2.0


def gained(x):
    return x * GAIN


@keras.saving.register_keras_serializable(package="fidelity")
class MaskedDense(layers.Layer):
    """A dense layer whose kernel is masked to a lower triangle (as in MADE or PixelCNN)."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], self.units), name="kernel")
        self.mask = np.tril(np.ones((shape[-1], self.units), "float32"))

    def call(self, x):
        return gained(ops.matmul(x, self.kernel * self.mask))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="fidelity")
class TransformerBlock(layers.Layer):
    """Self-attention and a feed-forward network, each with a residual (the Keras example)."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(rate)

    def call(self, inputs, training=False):
        x = self.norm1(inputs + self.drop(self.att(inputs, inputs), training=training))
        return self.norm2(x + self.drop(self.ffn(x), training=training))

    def get_config(self):
        names = ("embed_dim", "num_heads", "ff_dim", "rate")
        return {**super().get_config(), **{n: getattr(self, n) for n in names}}


@keras.saving.register_keras_serializable(package="fidelity")
class L1Penalty(keras.regularizers.Regularizer):
    """An L1 penalty of its own."""

    def __init__(self, strength=0.01):
        self.strength = strength

    def __call__(self, w):
        return self.strength * ops.sum(ops.abs(w))

    def get_config(self):
        return {"strength": self.strength}
'''


@keras.saving.register_keras_serializable(package="fidelity")
class Centre(keras.layers.Layer):
    """Subtracts a centre measured on data and stored beside the weights, not as a variable:
    the designer's import carries variables only, so its rebuild differs from the file."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.centre = np.zeros((3,), "float32")

    def call(self, x):
        return x - self.centre

    def save_own_variables(self, store):
        store["centre"] = self.centre

    def load_own_variables(self, store):
        self.centre = np.asarray(store["centre"])


class Noisy(keras.layers.Layer):
    """Adds (zero times) noise drawn with a SeedGenerator: its seed advances on every call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator(1)

    def call(self, x):
        return x + 0.0 * keras.random.normal(keras.ops.shape(x), seed=self.seed)


class SelfMasking(keras.layers.Layer):
    """Masks its own kernel in call() with an assign, as some masked convolutions do."""

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], 2), name="kernel")

    def call(self, x):
        self.kernel.assign(self.kernel * 0.5)
        return keras.ops.matmul(x, self.kernel)


def user_module(tmp_path: Path) -> ModuleType:
    """USER_CODE loaded from a file under a one-off module name, as --custom-objects does."""
    path = tmp_path / "user_layers.py"
    path.write_text(USER_CODE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"nd_user_{uuid.uuid4().hex}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def small_dense(seed: int) -> keras.Model:
    """Input -> Dense -> Dense, weights drawn from ``seed``."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(2, name="out")(keras.layers.Dense(3, name="hidden")(inp))
    return keras.Model(inp, out, name="small")


def lookup_model() -> keras.Model:
    """A string input mapped by StringLookup to an embedding."""
    words = keras.Input((1,), dtype="string", name="word")
    ids = keras.layers.StringLookup(vocabulary=["cat", "dog", "fish"], name="lookup")(words)
    x = keras.layers.Flatten(name="flat")(keras.layers.Embedding(5, 3, name="embed")(ids))
    return keras.Model(words, keras.layers.Dense(2, name="out")(x), name="lookup_net")


def dcn_model(strings: bool = False) -> keras.Model:
    """Deep & Cross after the Keras example: dict inputs, expand_dims ops, two cross layers
    (x0 * Dense(x) + x), a nested functional deep tower; a StringLookup feature if ``strings``."""
    inputs = {n: keras.Input((), name=n) for n in ("age", "hours")}
    features = [keras.ops.expand_dims(inputs[n], -1) for n in ("age", "hours")]
    if strings:
        inputs["job"] = keras.Input((), dtype="string", name="job")
        lookup = keras.layers.StringLookup(
            vocabulary=["clerk", "smith"], num_oov_indices=0, name="job_lookup"
        )
        features.append(keras.layers.Embedding(2, 2, name="job_embed")(lookup(inputs["job"])))
    x0 = keras.layers.Concatenate(name="features")(features)
    cross = x0
    for i in range(2):
        cross = x0 * keras.layers.Dense(x0.shape[-1], name=f"cross_{i}")(cross) + cross
    tower_in = keras.Input((x0.shape[-1],), name="tower_in")
    tower = keras.Model(
        tower_in, keras.layers.Dense(4, "relu", name="deep")(tower_in), name="tower"
    )
    merged = keras.layers.Concatenate(name="merged")([cross, tower(x0)])
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(merged), name="dcn")


def round_trip(model: keras.Model, tmp_path: Path) -> tuple[keras.Model, Reference]:
    """Save ``model``, open the file as the designer does, and return the rebuild and the
    reference the export check uses (the model loaded from the file)."""
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    project = open_path(path)
    reference, note = original_reference(project.source_model, project.graph)
    assert reference is not None, note
    return build_model(project.graph), reference


# ------------------------------------------------------------------ the original as reference
def test_an_export_differing_from_the_original_fails_even_when_it_matches_the_rebuild(
    tmp_path: Path,
) -> None:
    rebuilt, original = small_dense(1), small_dense(2)  # same network, other weights
    reference = Reference(original, "the original model file 'small.keras'")
    for fmt in ("onnx", "tflite"):
        with pytest.raises(VerificationError) as caught:
            export_model(rebuilt, fmt, tmp_path / f"small.{fmt}", reference=reference)
        v = caught.value.report.verification
        assert v is not None and not v.passed and v.reference == reference.label
        assert v.rebuild_diff is not None and v.rebuild_diff > v.tolerance
        assert "the original model file 'small.keras'" in str(caught.value)
        assert "the designer's rebuild differs from it by" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing written
    report = export_model(
        rebuilt, "onnx", tmp_path / "same.onnx", reference=Reference(rebuilt, "x")
    )
    assert report.passed and report.verification.rebuild_diff == 0.0


def test_cli_export_of_a_model_file_compares_with_the_file_not_the_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inp = keras.Input((3,), name="x")
    centre = Centre(name="centre")
    centre.centre = np.array([1.0, 2.0, 3.0], "float32")
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(centre(inp)), name="centred")
    path = tmp_path / "centred.keras"
    model.save(path)
    out = tmp_path / "centred.onnx"
    capsys.readouterr()
    code = cli_main(["export", str(path), "--format", "onnx", "--out", str(out), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2 and not out.exists(), data
    v = data["verification"]
    assert v["reference"] == "the original model file 'centred.keras'" and not v["passed"]
    assert v["max_abs_diff"] > 1 and v["rebuild_diff"] > 1  # the rebuild lost the centre
    assert "not rebuilt faithfully" in data["error"]


def test_the_original_is_the_reference_only_while_the_network_is_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "small.keras"
    small_dense(3).save(path)
    project = open_path(path)
    assert project.source_model == path and project.path is None
    reference, note = original_reference(project.source_model, project.graph)
    assert reference is not None and note == ""
    rebuilt = build_model(project.graph)
    report = export_model(rebuilt, "tflite", tmp_path / "small.tflite", reference=reference)
    assert (
        report.passed and report.verification.reference == "the original model file 'small.keras'"
    )
    assert "compared with the original model file 'small.keras'" in report.summary()
    hidden = project.graph.find("hidden")
    assert hidden is not None
    project.graph.set_params(hidden.id, units=5)
    reference, note = original_reference(project.source_model, project.graph)
    assert reference is None and "edited after it was opened" in note
    assert original_reference(None, project.graph) == (None, "")


# ------------------------------------------------------------------ custom objects in Python
def test_custom_layer_and_regulariser_are_recreated_and_checked_in_a_fresh_process(
    tmp_path: Path,
) -> None:
    user = user_module(tmp_path)
    inp = keras.Input((3, 4), name="x")
    x = user.TransformerBlock(4, 2, 8, name="block")(inp)
    x = user.MaskedDense(3, name="masked")(keras.layers.GlobalAveragePooling1D(name="pool")(x))
    x = keras.layers.Dense(2, kernel_regularizer=user.L1Penalty(0.1), name="d")(x)
    model = keras.Model(inp, keras.ops.sin(x[:, 1:]), name="custom")
    out = tmp_path / "out"
    out.mkdir()
    report = export_model(model, "python", out / "custom.py")
    assert report.passed, report.summary()
    code = (out / "custom.py").read_text(encoding="utf-8")
    for line in (
        "class MaskedDense(layers.Layer):",
        "class TransformerBlock(layers.Layer):",
        'block = TransformerBlock(4, 2, 8, name="block")(x, training=False)',
        "class L1Penalty(keras.regularizers.Regularizer):",
        "def gained(x):",
        "GAIN = 2.0",
        "kernel_regularizer=L1Penalty(strength=0.1)",
        " = d[:, 1:]",
        "# MaskedDense: re-created from the source of",
    ):
        assert line in code, code
    assert any("MaskedDense re-created in the script from its source" in w for w in report.warnings)
    assert any("L1Penalty re-created" in w for w in report.warnings)
    assert "Custom objects:" in code  # the module docstring says how each got there


def test_the_python_check_runs_the_script_outside_the_designers_process(tmp_path: Path) -> None:
    sys.modules["nd_only_here"] = ModuleType("nd_only_here")  # importable in this process only
    script = tmp_path / "needs_module.py"
    script.write_text("import nd_only_here\nWEIGHTS = None\n", encoding="utf-8")
    with pytest.raises(ExportError, match="fresh Python process.*nd_only_here"):
        run_python(script, [np.zeros((1, 2), "float32")])


# ------------------------------------------------------------------ strings and lookups
def test_a_string_lookup_exports_to_every_format(tmp_path: Path) -> None:
    model = lookup_model()
    words = random_batch(model, 6)[0]
    assert words.dtype.kind == "U" and set(words.ravel()) <= {"cat", "dog", "fish", "unseen"}
    for fmt, name in (
        ("onnx", "lookup.onnx"),
        ("tflite", "lookup.tflite"),
        ("savedmodel", "lookup_sm"),
        ("python", "lookup.py"),
    ):
        report = export_model(model, fmt, tmp_path / name)
        assert report.passed and report.verification.max_abs_diff < 1e-5, report.summary()


def test_lookups_onnx_and_tflite_cannot_hold_are_refused_by_name(tmp_path: Path) -> None:
    text = keras.Input((1,), dtype="string", name="text")
    hot = keras.layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot", name="hot")
    vectorize = keras.layers.TextVectorization(
        max_tokens=8, output_sequence_length=3, vocabulary=["cat", "sat"], name="vectorize"
    )
    tokens = keras.ops.cast(vectorize(text), "float32")
    model = keras.Model(text, keras.layers.Concatenate(name="cat")([hot(text), tokens]))
    for fmt in ("onnx", "tflite"):
        with pytest.raises(ExportError) as caught:
            export_model(model, fmt, tmp_path / f"text.{fmt}")
        message = str(caught.value)
        hot_refused = (
            "layer 'hot' (StringLookup) keeps a vocabulary table (output_mode 'multi_hot')"
        )
        assert (hot_refused in message) == (fmt == "tflite")  # ONNX holds multi-hot
        assert "layer 'vectorize' (TextVectorization) splits text" in message
        assert "export to SavedModel or .keras, or move the lookup out of the model" in message
    assert list(tmp_path.iterdir()) == []
    assert export_model(model, "savedmodel", tmp_path / "text_sm").passed


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_string_lookup_encodings_export_where_the_format_holds_them(tmp_path, mode) -> None:
    """Every encoding to ONNX (the table as a CategoryMapper, then plain operations); one-hot
    to TFLite too (multi-hot, count and tf-idf need the DenseBincount Flex operation)."""
    shape = (1,) if mode == "one_hot" else (3,)
    words = keras.Input(shape, dtype="string", name="words")
    extra = {"idf_weights": [1.0, 2.0, 0.5]} if mode == "tf_idf" else {}
    lookup = keras.layers.StringLookup(
        vocabulary=["cat", "dog", "fish"], output_mode=mode, name="lookup", **extra
    )
    model = keras.Model(words, keras.layers.Dense(2, name="head")(lookup(words)))
    report = export_model(model, "onnx", tmp_path / "encoded.onnx")
    assert report.passed and report.verification.max_abs_diff < 1e-5, report.summary()
    if mode == "one_hot":
        assert export_model(model, "tflite", tmp_path / "encoded.tflite").passed
    else:
        with pytest.raises(ExportError, match="DenseBincount"):
            export_model(model, "tflite", tmp_path / "encoded.tflite")


def test_layers_that_change_state_in_call_are_refused_by_name(tmp_path: Path) -> None:
    inp = keras.Input((4,), name="x")
    noisy = keras.Model(inp, Noisy(name="noisy")(inp), name="noisy_net")
    masking = keras.Model(inp, SelfMasking(name="self_mask")(inp), name="masking_net")
    for fmt in ("onnx", "tflite"):
        with pytest.raises(ExportError, match="layer 'noisy' \\(Noisy\\) draws random numbers"):
            export_model(noisy, fmt, tmp_path / f"noisy.{fmt}")
        with pytest.raises(
            ExportError, match="layer 'self_mask' \\(SelfMasking\\) writes its variable"
        ):
            export_model(masking, fmt, tmp_path / f"masking.{fmt}")
    assert export_model(noisy, "savedmodel", tmp_path / "noisy_sm").passed


# ------------------------------------------------------------------ ops and nested models
def test_a_model_with_keras_ops_between_layers_exports_to_onnx(tmp_path: Path) -> None:
    inp = keras.Input((4,), name="x")
    x = keras.layers.Dense(3, name="d")(inp)
    x = keras.ops.concatenate([keras.ops.sin(x), keras.ops.square(x)], axis=-1)
    x = keras.ops.multiply(x[:, 1:5], 0.5) + 1.0
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(x), name="ops_net")
    report = export_model(model, "onnx", tmp_path / "ops.onnx")
    assert report.passed, report.summary()


def test_a_deep_and_cross_network_with_a_nested_tower_exports_from_its_file(
    tmp_path: Path,
) -> None:
    rebuilt, reference = round_trip(dcn_model(), tmp_path)
    for fmt in ("onnx", "tflite"):
        report = export_model(rebuilt, fmt, tmp_path / f"dcn.{fmt}", reference=reference)
        assert report.passed and report.verification.rebuild_diff is not None, report.summary()
    xs = random_batch(rebuilt, 2)
    assert xs[0].shape == (2,)  # scalar features: a batch of numbers
    np.testing.assert_allclose(keras_outputs(rebuilt, xs)[0], keras_outputs(reference.model, xs)[0])
    rebuilt, reference = round_trip(dcn_model(strings=True), tmp_path)  # the example's features
    for fmt in ("onnx", "tflite"):
        report = export_model(rebuilt, fmt, tmp_path / f"dcn_strings.{fmt}", reference=reference)
        assert report.passed, report.summary()
