"""Speaker recognition, after keras-io examples/audio/speaker_recognition_using_cnn.py ("Speaker
Recognition"): residual blocks of Conv1D with a 1x1 shortcut (Add), MaxPool1D, AveragePooling1D,
Flatten and Dense layers on FFT magnitudes. Small: 64 frequency bins, 8-16 filters."""

from __future__ import annotations

import keras

from tests.corpus.models._util import seed

SOURCE = "examples/audio/speaker_recognition_using_cnn.py"
TITLE = "Speaker Recognition"


def residual_block(x, filters, conv_num=3, activation="relu"):
    s = keras.layers.Conv1D(filters, 1, padding="same")(x)
    for _ in range(conv_num - 1):
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv1D(filters, 3, padding="same")(x)
    x = keras.layers.Add()([x, s])
    x = keras.layers.Activation(activation)(x)
    return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)


def build(input_shape=(64, 1), num_classes=5) -> keras.Model:
    seed(60)
    inputs = keras.layers.Input(shape=input_shape, name="input")
    x = residual_block(inputs, 8, 2)
    x = residual_block(x, 16, 2)
    x = residual_block(x, 16, 3)
    x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.models.Model(inputs=inputs, outputs=outputs, name="speaker_recognition")
