"""Generated Python code: ruff-clean, runnable, same configuration, same outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from designer.export import ExportError, export_model
from designer.export.codegen import generate_code, load_script
from designer.export.signature import keras_outputs, random_batch
from tests.export.conftest import lstm_model, small_cnn, tricky_multi_io

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def branchy() -> keras.Model:
    """Skip connections, an Add, a Concatenate and branches created in interleaved order."""
    inp = keras.Input((8, 8, 3), name="image")
    a1 = keras.layers.Conv2D(4, 3, padding="same", name="a1")
    b1 = keras.layers.Conv2D(4, 1, name="b1")
    a2 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="a2")
    b2 = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="b2")
    x_a = a2(a1(inp))
    x_b = b2(b1(inp))
    skip = keras.layers.Add(name="skip")([x_a, keras.layers.Conv2D(4, 1, name="proj")(inp)])
    merged = keras.layers.Concatenate(name="merge")([skip, x_b])
    out = keras.layers.Dense(2, name="out")(keras.layers.GlobalMaxPooling2D(name="gmp")(merged))
    return keras.Model(inp, out, name="branchy")


def shared_multi_io() -> keras.Model:
    """Dict inputs and outputs, a shared Dense, LSTM states, Bidirectional, TimeDistributed."""
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    encoder = keras.layers.Dense(4, activation="tanh", name="encoder")
    diff = keras.layers.Subtract(name="diff")([encoder(left), encoder(right)])
    seq = keras.Input((5, 3), name="seq")
    lstm = keras.layers.LSTM(4, return_state=True, return_sequences=True, name="lstm")
    states, h, c = lstm(seq)
    s = keras.layers.Bidirectional(keras.layers.GRU(3), name="bi")(states)
    t = keras.layers.TimeDistributed(keras.layers.Dense(2), name="td")(
        keras.layers.RepeatVector(3, name="repeat")(h)
    )
    out = keras.layers.Concatenate(name="cat")([diff, s, c, keras.layers.Flatten(name="flat")(t)])
    score = keras.layers.Dense(1, name="score")(out)
    return keras.Model({"left": left, "right": right, "seq": seq}, {"score": score, "state": h})


def transfer() -> keras.Model:
    """A frozen MobileNetV2 (alpha 0.35, 96 px, no weights) nested under a new head."""
    base = keras.applications.MobileNetV2(
        alpha=0.35, input_shape=(96, 96, 3), include_top=False, weights=None
    )
    base.trainable = False
    inp = keras.Input((96, 96, 3), name="image")
    x = base(keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inp), training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inp, keras.layers.Dense(5, activation="softmax", name="head")(x))


def comparable(config: dict) -> dict:
    """A model config without None-valued call kwargs (the code omits ``mask=None``)."""
    for layer in config.get("layers", []):
        for node in layer.get("inbound_nodes", []):
            kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
            for key in [k for k, v in kwargs.items() if v is None]:
                del kwargs[key]
        if "config" in layer and "layers" in layer["config"]:
            comparable(layer["config"])
    return config


def ruff_check(path: Path) -> None:
    """Assert ruff (with the project's rules) finds nothing in ``path``."""
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


BUILDERS = [small_cnn, branchy, tricky_multi_io, shared_multi_io, lstm_model, transfer]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_generated_code_rebuilds_the_same_model(build, tmp_path: Path) -> None:
    model = build()
    report = export_model(model, "python", tmp_path / "net.py")
    script = Path(report.path)
    assert report.verification.passed and report.verification.max_abs_diff == 0.0
    assert report.extra_files == [str(tmp_path / "net.weights.h5")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.py", "net.weights.h5"]
    ruff_check(script)
    rebuilt = load_script(script).build_model()
    assert type(rebuilt) is type(model)
    assert comparable(rebuilt.get_config()) == comparable(model.get_config())
    assert rebuilt.count_params() == model.count_params()
    rebuilt.load_weights(tmp_path / "net.weights.h5")
    xs = random_batch(model)
    for got, want in zip(keras_outputs(rebuilt, xs), keras_outputs(model, xs), strict=True):
        np.testing.assert_array_equal(got, want)


def test_code_is_readable(tmp_path: Path) -> None:
    code = generate_code(branchy())
    lines = code.splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    # A branch is finished before the next starts, even though Keras interleaves them.
    assert at('name="a1"') < at('name="a2"') < at('name="b1"') < at('name="b2"')
    assert '    a1 = layers.Conv2D(4, (3, 3), padding="same", name="a1")(image)' in lines
    assert '    b1 = layers.Conv2D(4, (1, 1), name="b1")(image)' in lines  # defaults omitted
    assert '    skip = layers.Add(name="skip")([a2, proj])' in lines
    assert '    model = keras.Model(inputs=image, outputs=out, name="branchy")' in lines
    assert "def build_model() -> keras.Model:" in lines
    # MaxPooling2D's strides default follows pool_size, so 1 must be written out.
    assert "strides=(1, 1)" in lines[at('name="b2"')]


def test_shared_layer_is_created_once_and_called_twice() -> None:
    code = generate_code(shared_multi_io())
    assert code.count("layers.Dense(4") == 1
    assert "encoder = encoder_layer(left)" in code
    assert "encoder_2 = encoder_layer(right)" in code
    assert "lstm, lstm_1, lstm_2 = layers.LSTM(" in code


def test_nested_model_gets_its_own_builder() -> None:
    code = generate_code(transfer())
    assert "def build_mobilenetv2_0_35_96() -> keras.Model:" in code
    assert "mobilenetv2_0_35_96_layer = build_mobilenetv2_0_35_96()" in code
    assert "mobilenetv2_0_35_96_layer.trainable = False" in code
    assert "mobilenetv2_0_35_96_layer(scale, training=False)" in code


class Halve(keras.layers.Layer):
    """A layer whose class the generated code cannot import (it is made to look like __main__)."""

    def call(self, x):
        return x / 2


Halve.__module__ = "__main__"


def test_lambda_and_sourceless_classes_are_refused_and_slices_written(tmp_path: Path) -> None:
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2, name="double")(inp))
    with pytest.raises(ExportError, match="Lambda layer 'double'"):
        export_model(model, "python", tmp_path / "lam.py")
    model = keras.Model(inp, Halve(name="halve")(inp))
    with pytest.raises(ExportError, match="layer 'halve' is __main__.Halve"):
        generate_code(model)
    assert list(tmp_path.iterdir()) == []
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(inp)[:, :1])
    assert " = d[:, :1]" in generate_code(model)  # a subscript, as written by hand


def ops_and_private_layers() -> keras.Model:
    """Raw keras.ops calls with constants and config arguments, and a layer private to Keras."""
    from keras.src.applications.convnext import LayerScale

    inp = keras.Input((4, 3), name="seq")
    x = keras.layers.Dense(3, name="d")(inp)
    x = keras.ops.multiply(keras.ops.add(x, 3.0), 1 / 6)
    x = LayerScale(0.5, 3, name="scale")(keras.ops.sin(x))
    x = keras.ops.mean(x, axis=-1, keepdims=True)
    return keras.Model(inp, keras.ops.subtract(2.0, x), name="ops")


def test_raw_ops_and_private_layer_classes_round_trip(tmp_path: Path) -> None:
    keras.backend.clear_session()
    model = ops_and_private_layers()
    code = generate_code(model)
    for line in (
        "from keras.src.applications.convnext import LayerScale",
        "add = keras.ops.add(d, 3.0)",
        "multiply = keras.ops.multiply(add, 0.16666666666666666)",
        'scale = LayerScale(0.5, 3, name="scale")(sin)',
        "mean = keras.ops.mean(scale, axis=-1, keepdims=True)",
        "subtract = keras.ops.subtract(2.0, mean)",
    ):
        assert line in code, code
    script = tmp_path / "ops.py"
    script.write_text(code, encoding="utf-8")
    ruff_check(script)
    keras.backend.clear_session()  # op names (add, mean, ...) start again as in the original
    rebuilt = load_script(script).build_model()
    assert comparable(rebuilt.get_config()) == comparable(model.get_config())
    model.get_layer("scale").set_weights([np.array([1.0, -2.0, 3.0], "float32")])
    rebuilt.set_weights(model.get_weights())
    xs = random_batch(model, 2)
    np.testing.assert_array_equal(keras_outputs(rebuilt, xs)[0], keras_outputs(model, xs)[0])


def test_training_and_data_sections_run(tmp_path: Path) -> None:
    model = small_cnn()
    rng = np.random.default_rng(0)
    x = rng.random((16, 12, 12, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, 16), 10)
    np.savez(tmp_path / "digits.npz", images=x, labels=y)
    training = {
        "optimizer": "sgd",
        "learning_rate": 0.05,
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 2,
        "batch_size": 8,
    }
    data = {"kind": "arrays", "path": "digits.npz", "x": "images", "y": "labels"}
    report = export_model(model, "python", tmp_path / "train_me", training=training, data=data)
    script = Path(report.path)
    assert script.name == "train_me.py"
    code = script.read_text()
    assert "keras.optimizers.SGD(learning_rate=0.05)" in code
    ruff_check(script)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Epoch 2/2" in result.stdout
    trained = keras.saving.load_model(tmp_path / "small_cnn_trained.keras")
    assert trained.count_params() == model.count_params()


def test_image_folder_section_and_bad_options() -> None:
    data = {
        "kind": "image_folder",
        "path": "flowers",
        "image_size": [32, 32],
        "validation_split": 0.2,
    }
    code = generate_code(small_cnn(), data=data, training={"loss": "mse"})
    assert "keras.utils.image_dataset_from_directory(" in code
    assert 'subset="both"' in code
    with pytest.raises(ExportError, match="Expected training keys among"):
        generate_code(small_cnn(), training={"loss": "mse", "epoch": 3})
    with pytest.raises(ExportError, match="Expected a data kind among"):
        generate_code(small_cnn(), data={"kind": "csv", "path": "x.csv"})
    with pytest.raises(ExportError, match="keras.optimizers name"):
        generate_code(small_cnn(), training={"loss": "mse", "optimizer": "sgdx"})
