"""Tiny models and data shared by the training tests."""

from __future__ import annotations

import keras
import numpy as np


def blobs(n: int = 96, classes: int = 3, features: int = 6, seed: int = 0):
    """Separable Gaussian blobs: (x float32, y int64)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centers = rng.normal(0, 3, size=(classes, features))
    x = (centers[y] + rng.normal(0, 1, size=(n, features))).astype("float32")
    return x, y.astype("int64")


def classifier(features: int = 6, classes: int = 3, seed: int = 0) -> keras.Model:
    """Input -> Dense(8, relu) 'hidden' -> Dense(classes, softmax) 'out'."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((features,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(classes, activation="softmax", name="out")(h)
    return keras.Model(inp, out)


def weights_of(model: keras.Model, layer: str) -> list[np.ndarray]:
    """Copies of a layer's weights."""
    return [np.array(w) for w in model.get_layer(layer).get_weights()]
