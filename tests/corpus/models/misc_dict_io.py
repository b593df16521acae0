"""Dict inputs and dict outputs (keras-io guides/functional_api.py, "Models with multiple inputs
and outputs", with dicts; the pattern of examples/vision/object_detection_using_vision_transformer.py
heads): an image and a metadata vector passed as a dict, a classification head and a box head
returned as a dict ``{"class": ..., "box": ...}``."""

from __future__ import annotations

import keras
from keras import layers

from tests.corpus.models._util import seed

SOURCE = "guides/functional_api.py"
TITLE = "The Functional API: dict inputs and dict outputs"


def build() -> keras.Model:
    seed(72)
    image = keras.Input(shape=(16, 16, 3), name="image")
    meta = keras.Input(shape=(4,), name="meta")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.concatenate([x, meta])
    x = layers.Dense(16, activation="relu")(x)
    outputs = {
        "class": layers.Dense(3, activation="softmax", name="class")(x),
        "box": layers.Dense(4, name="box")(x),
    }
    return keras.Model({"image": image, "meta": meta}, outputs, name="dict_io")
