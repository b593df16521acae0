"""Tiny real Keras models shared by the export tests."""

from __future__ import annotations

import keras
import pytest


def tricky_multi_io() -> keras.Model:
    """Two inputs, two outputs and the layers that break naive ONNX/TFLite conversion."""
    img = keras.Input((16, 16, 3), name="img")
    vec = keras.Input((5,), name="vec")
    x = keras.layers.Normalization(mean=[0.4, 0.5, 0.6], variance=[0.1, 0.2, 0.3])(img)
    x = keras.layers.Rescaling(1 / 255.0, offset=-0.5)(x)
    x = keras.layers.Conv2D(8, 3, padding="same", name="stem")(x)
    x = keras.layers.Conv2D(8, 7, padding="same", groups=8, name="grouped")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x)
    x = keras.layers.Activation("gelu", name="exact_gelu")(x)
    x = keras.layers.DepthwiseConv2D(3, name="dw")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Concatenate()([x, vec])
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(x)
    reg = keras.layers.Dense(1, name="reg")(x)
    return keras.Model([img, vec], [cls, reg], name="tricky")


def small_cnn() -> keras.Model:
    """A LeNet-like Sequential CNN."""
    return keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="small_cnn",
    )


def lstm_model() -> keras.Model:
    """An Embedding + LSTM text classifier with integer inputs and a free time dimension."""
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(20, 4)(tokens)
    x = keras.layers.LSTM(6)(x)
    return keras.Model(tokens, keras.layers.Dense(2, activation="softmax")(x), name="lstm")


@pytest.fixture(scope="session")
def tricky() -> keras.Model:
    """Session-wide tricky multi-input/output model."""
    return tricky_multi_io()


@pytest.fixture(scope="session")
def cnn() -> keras.Model:
    """Session-wide small CNN."""
    return small_cnn()


@pytest.fixture(scope="session")
def lstm() -> keras.Model:
    """Session-wide LSTM model."""
    return lstm_model()
