"""An adapted Normalization layer in front of a small regressor, after the Normalization API
example (keras.io/api/layers/preprocessing_layers/numerical/normalization, ``layer.adapt(data)``)
as the keras-io structured-data examples use it: mean and variance learned from random data far
from 0/1, so that a layer computing with mean 0 and variance 1 is visible."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "keras.io/api/layers/preprocessing_layers/numerical/normalization"
TITLE = "Normalization layer (adapted)"


def build() -> keras.Model:
    rng = seed(74)
    norm = layers.Normalization(axis=-1)
    norm.adapt(rng.normal(5.0, 3.0, size=(256, 6)).astype("float32"))
    inputs = keras.Input(shape=(6,))
    x = norm(inputs)
    x = layers.Dense(8, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name="normalization")
